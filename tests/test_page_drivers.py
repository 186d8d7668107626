"""The Drivers page, opened headless with AppTest: the stage choice, the forest plot and the ranked table.

On the bundled sample the page shows the model's drivers (planted effect c: complaints go with
loss in Use); on the tiny worked example no group reaches 30 customers, and the page says so.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages_helpers import example_workspace, ok, open_page, sample_with_results, shop_workspace, shown_table
from views.charts import log_ticks

RATIO = "Risk ratio (95% interval)"


def page(path, monkeypatch, period: str | None = None) -> AppTest:
    """The Drivers page on the workspace at ``path``, for ``?period=`` when given."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(path))
    return open_page("drivers", **({"period": period} if period else {}))



def driver_table(at: AppTest):
    """The touchpoint table as data (raw) and as the reader sees it (shown), by touchpoint, in page order."""
    return shown_table(at, "Touchpoint")


def ratio_text(r) -> str:
    return f"{r.risk_ratio:.2f} ({r.ci_low:.2f} to {r.ci_high:.2f})"


def has_forest(at: AppTest) -> bool:
    return any(c.proto.id.endswith("-drivers_forest") for c in at.get("plotly_chart"))


def association_note(at: AppTest) -> bool:
    return any(i.value.startswith("These are associations, not proof of cause") for i in at.info)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return sample_with_results(tmp_path_factory.mktemp("sample"), "Enterprise")


@pytest.fixture
def sample_page(sample, monkeypatch):
    path, _ = sample
    return lambda period=None: page(path, monkeypatch, period)


def test_sample_use_complaint_is_the_top_row(sample, sample_page):
    _, expected = sample
    model = expected[None].drivers.set_index(["stage", "event"])
    at = ok(sample_page("2026-04").run())
    assert at.selectbox(key="drivers_stage").value == "Onboard"  # the most negative impact in 2026-04
    assert association_note(at) and has_forest(at)
    at.selectbox(key="drivers_stage").set_value("Use").run()
    raw, shown = driver_table(ok(at))
    complaint = model.loc[("Use", "complaint")]
    assert raw.index[0] == "complaint"
    assert shown.loc["complaint", RATIO] == ratio_text(complaint) == "2.78 (2.43 to 3.18)"
    assert raw.loc["complaint", ["Exposed (customers)", "Not exposed (customers)"]].tolist() == [233, 2408]
    assert shown.loc["complaint", ["Lost of exposed", "Lost of not exposed", "p-value", "q-value"]].tolist() == [
        "135 (57.9%)", "502 (20.8%)", "< 0.001", "< 0.001"]
    assert raw.loc["complaint", "q-value"] == pytest.approx(complaint.q_value)
    assert raw.loc["complaint", "Value at stake (a year)"] == pytest.approx(complaint.value_at_stake)
    assert raw.loc["complaint", "At stake (customers)"] == complaint.customers_at_stake > 0
    ranked = expected[None].drivers.query("stage == 'Use'").sort_values("risk_ratio", ascending=False)
    assert list(raw.index) == list(ranked.event)  # ranked by risk ratio, every Use touchpoint has one
    assert "the 2,641 acquired customers with an event in Use up to 2026-10-31, other than a churn event." in at.caption[1].value
    assert "Churn events (cancel) are the loss itself: they neither bring anyone into the stage nor are tested" in at.caption[1].value
    assert any("not proof of cause" in i.value for i in at.info)
    colour = at.dataframe[0].proto.arrow_data.styler.styles
    assert "#ffebee" in colour and "#e8f5e9" in colour  # complaint above 1, login below


def test_forest_axis_labels_ratios_in_full(sample, sample_page):
    """The log axis is labelled with round ratios written in full (0.5, 1, 2), not plotly's digits
    ("4 5 6 ... 1 2 3"), and every interval of the chart lies inside it."""
    _, expected = sample
    at = ok(sample_page().run())
    at.selectbox(key="drivers_stage").set_value("Use").run()
    (forest,) = [json.loads(c.proto.spec) for c in ok(at).get("plotly_chart") if c.proto.id.endswith("-drivers_forest")]
    axis = forest["layout"]["xaxis"]
    use = expected[None].drivers.query("stage == 'Use'")
    assert (use.ci_low.min(), use.ci_high.max()) == pytest.approx((0.35, 3.18), abs=0.005)
    assert axis["tickvals"] == [0.5, 0.75, 1, 1.5, 2, 3]
    assert axis["ticktext"] == ["0.5", "0.75", "1", "1.5", "2", "3"]
    low, high = (10 ** v for v in axis["range"])
    assert low < use.ci_low.min() and use.ci_high.max() < high


@pytest.mark.parametrize(("low", "high", "ticks"), [
    (0.81, 1.21, [0.9, 1, 1.1, 1.2]),  # the narrowest axis the chart draws (0.9 to 1.1, padded)
    (0.3, 3.5, [0.5, 0.75, 1, 1.5, 2, 3]),
    (0.05, 12, [0.1, 1, 10]),  # eight of 0.05, 0.1, 0.2, 0.5...: decades
    (0.004, 300, [0.01, 0.1, 1, 10, 100]),
])
def test_log_ticks(low, high, ticks):
    assert log_ticks(low, high) == ticks


def test_the_stage_follows_the_period_until_one_is_picked(sample, sample_page):
    _, expected = sample
    stages = expected[None].stages
    at = ok(sample_page().run())
    last = at.selectbox(key="qp_period").value
    october = stages[(stages.period == last) & (stages.stage != "Unmapped")].sort_values(["impact", "value_impact"])
    assert at.selectbox(key="drivers_stage").value == october.stage.iloc[0]
    at.selectbox(key="qp_period").set_value("2026-04").run()
    assert ok(at).selectbox(key="drivers_stage").value == "Onboard"
    assert driver_table(at)[0].index[0] == "setup_error"
    at.selectbox(key="drivers_stage").set_value("Renew").run()
    at.selectbox(key="qp_period").set_value("2026-03").run()
    assert ok(at).selectbox(key="drivers_stage").value == "Renew"  # picked by hand: it stays
    raw, shown = driver_table(at)
    top = expected[None].drivers.query("stage == 'Renew'").sort_values("risk_ratio", ascending=False).iloc[0]
    assert (raw.index[0], shown.iloc[0][RATIO]) == (top.event, ratio_text(top))
    # another page and back, as a page link does: the stage picked came back as the period's worst
    for k in list(at.query_params):
        del at.query_params[k]
    at.switch_page("pages/cohorts.py").run()
    at.switch_page("pages/drivers.py").run()
    assert ok(at).selectbox(key="drivers_stage").value == "Renew"


def test_sample_segment_filter(sample, sample_page):
    _, expected = sample
    model = expected["Enterprise"].drivers.set_index(["stage", "event"])
    at = ok(sample_page("2026-04").run())
    at.selectbox(key="drivers_stage").set_value("Use").run()
    at.selectbox(key="qp_segment").set_value("Enterprise").run()
    raw, shown = driver_table(ok(at))
    assert "segment: Enterprise" in at.caption[0].value
    for event in raw.index:
        r = model.loc[("Use", event)]
        assert raw.loc[event, ["Exposed (customers)", "Not exposed (customers)"]].tolist() == [r.exposed, r.unexposed]
        assert shown.loc[event, RATIO] == ("not enough data" if r.exposed < 30 or r.unexposed < 30 else ratio_text(r))
    assert raw.loc["complaint", "Exposed (customers)"] < 233  # a part of the whole sample's complainers


def test_tiny_example_has_not_enough_data(tmp_path, monkeypatch):
    at = ok(page(example_workspace(tmp_path), monkeypatch, "2026-03").run())
    assert at.selectbox(key="drivers_stage").value == "Use"  # impact -2 in March, the most negative
    raw, shown = driver_table(at)
    assert list(raw.index) == ["login", "support_ticket"]
    assert list(shown[RATIO]) == ["not enough data"] * 2 and list(shown["p-value"]) == ["-"] * 2
    assert shown.loc["login", ["Lost of exposed", "Value at stake (a year)"]].tolist() == ["1 (100.0%)", "160"]
    assert not has_forest(at) and association_note(at)
    assert any(i.value.startswith("Not enough data for a risk ratio in Use") for i in at.info)

    at.selectbox(key="qp_period").set_value("2026-01").run()  # no baseline, nobody lost
    assert ok(at).selectbox(key="drivers_stage").value == "Use"  # the stage that lost most in the whole data

    for stage in ["Discover", "Buy", "Onboard", "Renew"]:
        at.selectbox(key="drivers_stage").set_value(stage).run()
        raw, shown = driver_table(ok(at))
        assert len(raw) and set(shown[RATIO]) == {"not enough data"}, stage
    assert raw.loc["renewal", ["Exposed (customers)", "Not exposed (customers)"]].tolist() == [1, 0]  # A only
    at.selectbox(key="drivers_stage").set_value("Buy").run()
    raw, shown = driver_table(ok(at))
    assert shown.loc["purchase", ["Lost of exposed", "Lost of not exposed", "Value at stake (a year)"]].tolist() == [
        "3 (75.0%)", "0", "360"]


def test_a_dataset_without_stages_is_told_to_add_them(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(shop_workspace(tmp_path)))
    at = ok(open_page("drivers").run())
    assert [i.value for i in at.info] == [
        "The stage map of Shop has no stages, so every event is Unmapped and there are no touchpoints to compare: add "
        "stages on the Data page (its Stage map tab)."]
    assert "drivers_stage" not in [s.key for s in at.selectbox]  # no empty stage picker above the sentence
    assert not has_forest(at) and not at.dataframe
