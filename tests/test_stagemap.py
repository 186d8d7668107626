import pytest

from analytics.errors import StageMapError
from analytics.stagemap import UNMAPPED, parse_stage_map, stage_map_from_bytes
from tests.conftest import WORKED_STAGES


def test_parses_the_domain_example():
    sm = parse_stage_map(WORKED_STAGES, "stages.toml")
    assert sm.stage_names == ["Discover", "Buy", "Onboard", "Use", "Renew"]
    assert sm.churn_after_days == 45
    assert sm.churn_events == ("cancel",)
    assert sm.friction_events == ("support_ticket",)
    assert sm.baseline_periods == 3
    assert sm.stage_of("login") == "Use"
    assert sm.stage_of("nobody_knows") == UNMAPPED
    assert sm.stages[0].goal == "I want to know what my options are."


def test_round_trips_through_toml():
    sm = parse_stage_map(WORKED_STAGES)
    assert parse_stage_map(sm.to_toml()) == sm


@pytest.mark.parametrize(
    "text, words",
    [
        ("churn_after_dayz = 3", ["unknown key 'churn_after_dayz'", "churn_after_days"]),
        ('[[stages]]\nname = "Buy"\nevents = ["a"]\ncolour = "red"', ["unknown key 'colour'", "stage 1 ('Buy')"]),
        ('[[stages]]\nname = "Buy"\nevents = ["purchase"]\n[[stages]]\nname = "Renew"\nevents = ["purchase"]',
         ["'purchase'", "both 'Buy' and 'Renew'", "remove it from one"]),
        ('[[stages]]\nname = "Buy"\n[[stages]]\nname = "Buy"', ["'Buy' is listed twice"]),
        ('[[stages]]\nname = "Unmapped"', ["reserved"]),
        ('[[stages]]\ngoal = "x"', ["stage 1 has no name"]),
        ("churn_after_days = 0", ["churn_after_days must be a whole number from 1 to 3650"]),
        ('churn_after_days = "90"', ["churn_after_days must be a whole number"]),
        ('churn_events = "cancel"', ["churn_events must be a list"]),
        ("churn_after_days = = 3", ["not valid TOML", "line 1"]),
    ],
)
def test_refuses_with_a_clear_sentence(text, words):
    with pytest.raises(StageMapError) as err:
        parse_stage_map(text, "stages.toml")
    message = str(err.value)
    assert message.startswith("stages.toml")
    for w in words:
        assert w in message


def test_churn_event_missing_from_data_is_a_warning_not_an_error():
    sm = parse_stage_map(WORKED_STAGES)
    assert sm.warnings_for({"purchase", "cancel"}) == []
    [warning] = sm.warnings_for({"purchase"})
    assert "'cancel' never occurs in the data" in warning


def test_mistakes_the_data_shows_are_warnings():
    sm = parse_stage_map(WORKED_STAGES.replace('events = ["purchase"]', 'events = ["purchse"]')
                         .replace('events = ["onboarding_call"]', "events = []"))
    events = {"ad_click", "site_visit", "purchase", "login", "support_ticket", "renewal"}
    assert sm.warnings_against(events, {}) == [
        "Stage 'Onboard' has no events, so nobody enters it; list its events, or remove it.",
        "The event 'purchse' of the stage map never occurs in the data; check its spelling.",
    ]  # the churn event 'cancel' is warnings_for's
    # a stage the data's own stage column names is entered without events; the names the map lacks are counted
    assert sm.warnings_against(events | {"purchse"}, {"Onboard": 3, "Buy": 2, "Evaluate": 4, "Advocate": 1}) == [
        "The stage column of 5 rows names a stage the stage map does not have (Evaluate: 4 rows, Advocate: 1 row); "
        "those rows were placed by their event name instead. Add the stage to the map, or correct the column.",
    ]
    assert sm.warnings_against(events | {"purchse"}, {"Onboard": 1, "Evaluate": 1})[-1].startswith(
        "The stage column of 1 row names a stage the stage map does not have (Evaluate: 1 row); that row was placed "
        "by its event name instead.")
    assert parse_stage_map(WORKED_STAGES).warnings_against(events | {"onboarding_call", "cancel"}, {"Buy": 9}) == []
    many = parse_stage_map('[[stages]]\nname = "A"\nevents = [' + ", ".join(f'"e{i}"' for i in range(12)) + "]")
    assert many.warnings_against(set(), {}) == [
        "The events 'e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9' and 2 more of the stage map never occur "
        "in the data; check their spelling."]


def test_an_uploaded_stage_map_is_read_as_utf8_or_refused():
    text = 'churn_events = ["kündigung"]\n[[stages]]\nname = "Kündigen"\nevents = ["kündigung_formular"]\n'
    assert stage_map_from_bytes(b"\xef\xbb\xbf" + text.encode(), "m.toml").stage_names == ["Kündigen"]
    assert stage_map_from_bytes(text.encode(), "m.toml").churn_events == ("kündigung",)
    with pytest.raises(StageMapError) as exc:
        stage_map_from_bytes(text.encode("latin-1"), "m.toml")
    assert str(exc.value) == "m.toml is not UTF-8 text; save it as UTF-8 TOML."
