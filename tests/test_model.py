"""The SQL model through the whole product path: CSV -> workspace -> model -> command line.

The worked example of DOMAIN.md cell by cell, the identities on random logs, and the command
line's columns and options.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.cli import main
from analytics.model import MOVEMENT_COLUMNS, STAGE_COLUMNS, Model, Settings, model_for
from analytics.stagemap import parse_stage_map, stage_map_from_dict
from analytics.workspace import Workspace
from tests.conftest import WORKED_EXAMPLE, WORKED_STAGES
from tests.reference_model import Journey, build_customers, classify, periods_between
from tests.sql_harness import EVENTS_TABLE, events_database, records, sql_model
from tests.strategies import event_logs

EXPECTED_MOVEMENTS = """\
period,customers_start,new,reactivated,churned,customers_end,value_start,new_value,reactivation_value,expansion,contraction,churned_value,value_end,revenue
2026-01,0,2,0,0,2,0,180,0,0,0,0,180,180
2026-02,2,1,0,0,3,180,50,0,100,0,0,330,150
2026-03,3,0,0,3,0,330,0,0,0,0,330,0,120
2026-04,0,1,1,0,2,0,200,160,0,0,0,360,280
"""


@pytest.fixture
def example(ws, write):
    ws.ingest(write("example.csv", WORKED_EXAMPLE), "example", stage_map=parse_stage_map(WORKED_STAGES))
    return ws


def test_worked_example_movements_to_the_cent(example):
    with model_for(example, "example") as m:
        rows = records(m.movements(exact=True))
    header, *lines = EXPECTED_MOVEMENTS.splitlines()
    expected = [dict(zip(header.split(","), line.split(","), strict=False)) for line in lines]
    assert [list(r) for r in rows] == [MOVEMENT_COLUMNS] * 4
    for got, want in zip(rows, expected, strict=False):
        assert got["period"] == want["period"]
        for col in MOVEMENT_COLUMNS[1:]:
            assert Decimal(str(got[col])) == Decimal(want[col]), (want["period"], col)


def test_worked_example_stage_table(example):
    with model_for(example, "example") as m:
        rows = records(m.stage_table(exact=True))
    by = {(r["period"], r["stage"]): r for r in rows}
    assert [r["stage"] for r in rows[:6]] == ["Discover", "Buy", "Onboard", "Use", "Renew", "Unmapped"]
    assert len(rows) == 4 * 6
    use, renew = by[("2026-03", "Use")], by[("2026-03", "Renew")]
    assert (use["lost"], use["lost_value"], use["impact"]) == (2, Decimal("130"), -2)
    assert (renew["lost"], renew["lost_value"], renew["impact"]) == (1, Decimal("200"), -1)
    discover, buy = by[("2026-01", "Discover")], by[("2026-01", "Buy")]
    assert (discover["entered"], discover["advanced"], discover["median_days_to_advance"]) == (2, 2, 12)
    assert (buy["entered"], buy["advanced"], buy["median_days_to_advance"]) == (2, 2, 18)
    assert (buy["gained"], buy["gained_value"]) == (2, Decimal("180"))
    assert buy["baseline_gained"] is None and buy["impact"] is None  # no baseline in the first period
    # April: E acquired at Buy (200), C won back at Buy (160); Buy's baseline is the mean of Jan-Mar (2, 1, 0)
    april_buy = by[("2026-04", "Buy")]
    assert (april_buy["gained"], april_buy["gained_value"], april_buy["baseline_gained"]) == (2, Decimal("360"), 1.0)
    assert april_buy["impact"] == 1.0 and april_buy["value_impact"] == pytest.approx(360 - 230 / 3)


def test_worked_example_cohorts(example):
    with model_for(example, "example") as m:
        rows = records(m.cohorts(exact=True))
    assert [(r["cohort"], r["periods_since"], r["customers"], r["active"]) for r in rows] == [
        ("2026-01", 0, 2, 2), ("2026-01", 1, 2, 2), ("2026-01", 2, 2, 0), ("2026-01", 3, 2, 1),
        ("2026-02", 0, 1, 1), ("2026-02", 1, 1, 0), ("2026-02", 2, 1, 0),
        ("2026-04", 0, 1, 1),
    ]
    assert rows[3]["retention"] == 0.5


def test_worked_example_in_quarters(example):
    with model_for(example, "example", Settings(grain="quarter")) as m:
        rows = records(m.movements(exact=True))
    # A, B and C are acquired and lost inside Q1: class "other"; Q2 wins E and C back.
    assert [(r["period"], r["new"], r["reactivated"], r["churned"], r["customers_end"], r["value_end"], r["revenue"]) for r in rows] == [
        ("2026-Q1", 0, 0, 0, 0, 0, 450),
        ("2026-Q2", 1, 1, 0, 2, 360, 280),
    ]


def test_as_of_date_means_the_end_of_that_day(example):
    with model_for(example, "example", Settings(as_of=date(2026, 3, 19))) as m:
        march = records(m.movements(exact=True))[-1]
    # On 19 March: B (window to 18 March) and C (to 6 March) are lost; A cancels only on the 20th.
    assert (march["period"], march["churned"], march["customers_end"]) == ("2026-03", 2, 1)
    with model_for(example, "example", Settings(as_of=date(2026, 3, 20))) as m:
        assert records(m.movements(exact=True))[-1]["churned"] == 3


def test_settings_come_from_the_stage_map_or_the_call(example):
    with model_for(example, "example") as m:
        assert (m.settings.churn_after_days, m.settings.baseline) == (45, 3)
    with model_for(example, "example", Settings(churn_after_days=400)) as m:
        march = records(m.movements(exact=True))[2]
    assert (march["churned"], march["customers_end"]) == (1, 2)  # only A's cancel loses anyone


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(log=event_logs(), grain=st.sampled_from(["month", "quarter"]))
def test_identities_hold_on_random_logs(log, grain):
    events, stage_map, as_of = log
    out = sql_model(events, stage_map, grain=grain, as_of=as_of, tables=("movements", "stages"))
    previous_end = None
    for m in out["movements"]:
        assert m["customers_end"] == m["customers_start"] + m["new"] + m["reactivated"] - m["churned"]
        assert m["value_end"] == (m["value_start"] + m["new_value"] + m["reactivation_value"] + m["expansion"]
                                  - m["contraction"] - m["churned_value"])
        if previous_end is not None:
            assert m["customers_start"] == previous_end
        previous_end = m["customers_end"]
        stages = [s for s in out["stages"] if s["period"] == m["period"]]
        assert sum(s["lost"] for s in stages) == m["churned"]
        assert sum(s["lost_value"] for s in stages) == m["churned_value"]
        assert sum(s["gained"] for s in stages) == m["new"] + m["reactivated"]
        assert sum(s["gained_value"] for s in stages) == m["new_value"] + m["reactivation_value"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(log=event_logs())
def test_every_customer_is_in_exactly_the_class_the_rules_give(log):
    events, stage_map, as_of = log
    con = events_database(events)
    with Model(con.cursor(), EVENTS_TABLE, stage_map_from_dict(stage_map), Settings(as_of=as_of)) as m:
        got = {(r.customer_id, r.period): r["class"] for _, r in m.customer_classes().iterrows()}
        as_of = m.settings.as_of
    seen = [e["ts"] for e in events if as_of is not None and e["ts"] <= as_of]
    if not seen:
        assert got == {}
        return
    window = timedelta(days=stage_map["churn_after_days"])
    customers = build_customers(events, Journey.from_map(stage_map), window, as_of).values()
    for period in periods_between(min(seen), as_of, "month"):
        for c in customers:
            assert got.get((c.customer_id, period.label), "other") == classify(c, period)


def test_command_line_reads_a_dataset_or_a_file(example, write, tmp_path, capsys):
    ws_path = str(example.path)
    example.close()
    assert main(["movements", "--dataset", "example", "--workspace", ws_path]) == 0
    assert capsys.readouterr().out == EXPECTED_MOVEMENTS
    csv, stages = write("e.csv", WORKED_EXAMPLE), write("s.toml", WORKED_STAGES)
    assert main(["movements", str(csv), "--stages", str(stages)]) == 0
    assert capsys.readouterr().out == EXPECTED_MOVEMENTS
    assert main(["stages", "--dataset", "example", "--workspace", ws_path, "--format", "json"]) == 0
    stages_json = json.loads(capsys.readouterr().out)
    assert list(stages_json[0]) == STAGE_COLUMNS and len(stages_json) == 24
    assert main(["movements", "--dataset", "example", "--workspace", ws_path, "--period", "quarter", "--as-of", "2026-04-30"]) == 0
    assert [line.split(",")[0] for line in capsys.readouterr().out.splitlines()] == ["period", "2026-Q1", "2026-Q2"]
    assert main(["cohorts", "--dataset", "example", "--workspace", ws_path, "--churn-after-days", "400", "--baseline", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "cohort,periods_since,customers,active,retention"
    assert main(["drivers", "--dataset", "example", "--workspace", ws_path]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "stage,event,exposed,exposed_lost,unexposed,unexposed_lost,risk_ratio,ci_low,ci_high,p_value,q_value,customers_at_stake,value_at_stake"
    assert out[1] == "Discover,ad_click,1,1,1,1,,,,,,0,0"  # below 30 per group: no ratio


def test_command_line_refuses_bad_choices(example, capsys):
    ws_path = str(example.path)
    example.close()
    assert main(["movements", "--workspace", ws_path]) == 1
    assert "Give either --dataset NAME or a CSV file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["movements", "--dataset", "example", "--as-of", "31/03/2026"])
    assert exit_.value.code == 2
    assert "is not a date like 2026-03-31" in capsys.readouterr().err
    assert main(["movements", "--dataset", "nope", "--workspace", ws_path]) == 1
    assert capsys.readouterr().err.startswith("error: There is no dataset called 'nope'")


def test_formula_cells_are_made_safe_in_csv(ws, write, capsys):
    text = "customer_id,timestamp,event,revenue\na,2026-01-01,=HYPERLINK(1),5\n"
    stages = "[[stages]]\nname = \"-Buy\"\nevents = [\"=HYPERLINK(1)\"]\n"
    ws.ingest(write("f.csv", text), "f", stage_map=parse_stage_map(stages))
    path = str(ws.path)
    ws.close()
    assert main(["stages", "--dataset", "f", "--workspace", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("2026-01,'-Buy,")
    assert main(["drivers", "--dataset", "f", "--workspace", path]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("'-Buy,'=HYPERLINK(1),")


def test_workspace_is_reopened_not_locked(tmp_path):
    # a Workspace closed by one command can be opened by the next
    w = Workspace(tmp_path / "a.duckdb", seed_sample=False)
    w.close()
    Workspace(tmp_path / "a.duckdb", seed_sample=False).close()


def test_the_stage_table_alone_is_the_one_of_all_the_tables(tmp_path):
    """The Cohorts page reads each segment's stage table alone (half the time of every table per segment)."""
    import pandas as pd

    from analytics.model import compute, stages_of
    from tests.pages_helpers import sample_workspace

    ws = Workspace(sample_workspace(tmp_path), seed_sample=False)
    try:
        for settings in (Settings(segment="Enterprise"), Settings(grain="quarter", segment="Solo maker")):
            pd.testing.assert_frame_equal(stages_of(ws, "Sample", settings), compute(ws, "Sample", settings).stages)
    finally:
        ws.close()
