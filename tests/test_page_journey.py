"""The Journey page, opened headless with AppTest: the stage table, the impact heatmap, the flow.

Two datasets: the worked example of DOMAIN.md (every number checked by hand) and the bundled
sample (the page shows the model's numbers, planted effect a: Onboard hurts most in 2026-04).
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from analytics.stagemap import parse_stage_map
from analytics.workspace import Workspace
from tests.pages_helpers import example_workspace, ok, open_page, sample_with_results, shop_workspace, shown_table
from views import narrative


def page(path, monkeypatch, period: str | None = None) -> AppTest:
    """The Journey page on the workspace at ``path``, for ``?period=`` when given."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(path))
    return open_page("journey", **({"period": period} if period else {}))



def stage_table(at: AppTest):
    """The stage table as the model's numbers (raw) and as the reader sees it (shown), by stage."""
    return shown_table(at, "Stage")


def charts(at: AppTest) -> dict[str, go.Figure]:
    """The page's plotly figures by key."""
    return {c.proto.id.split("-")[-1]: pio.from_json(c.proto.spec) for c in at.get("plotly_chart")}


def array(data) -> np.ndarray:
    """A plotly array: a list, or the typed array plotly writes for numpy data (base64 "bdata")."""
    if isinstance(data, dict):
        shape = tuple(int(n) for n in str(data.get("shape", "-1")).split(","))
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).reshape(shape)
    return np.asarray(data, dtype=float)


def heatmap(at: AppTest) -> pd.DataFrame:
    """The impact heatmap's cells: stage by period."""
    trace = charts(at)["journey_heatmap"].data[0]
    return pd.DataFrame(array(trace.z), index=list(trace.y), columns=list(trace.x))


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


@pytest.fixture
def example(tmp_path, monkeypatch):
    path = example_workspace(tmp_path)
    return lambda period=None: page(path, monkeypatch, period)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return sample_with_results(tmp_path_factory.mktemp("sample"), "Solo maker")


@pytest.fixture
def sample_page(sample, monkeypatch):
    path, _ = sample
    return lambda period=None: page(path, monkeypatch, period)


def test_march_shows_the_worked_losses(example):
    at = ok(example("2026-03").run())
    raw, shown = stage_table(at)
    # a laptop shows about five columns: the page's question first, the goal (long text) last
    assert list(raw.columns[:6]) == ["Stage", "Impact (customers)", "Gained (customers)", "Baseline gained (customers)",
                                     "Lost (customers)", "Baseline lost (customers)"]
    assert raw.columns[-1] == "Customer goal"
    assert list(raw["Stage"]) == ["Discover", "Buy", "Onboard", "Use", "Renew", "Unmapped"]
    assert raw.loc["Use", "Customer goal"] == "I want it to work when I need it."
    use, renew = raw.loc["Use"], raw.loc["Renew"]
    assert (use["Lost (customers)"], use["Lost value (a year)"], use["Impact (customers)"]) == (2, 130, -2)
    assert (renew["Lost (customers)"], renew["Lost value (a year)"], renew["Impact (customers)"]) == (1, 200, -1)
    assert raw.loc["Buy", "Impact (customers)"] == -1.5  # gained nobody against a baseline of 1.5
    assert shown.loc["Use", ["Lost value (a year)", "Net (customers)", "Impact (customers)", "Value impact (a year)"]].tolist() == [
        "130", "-2", "-2.0", "-130"]
    assert shown.loc["Renew", "Impact (customers)"] == "-1.0" and shown.loc["Discover", "Impact (customers)"] == "0.0"
    assert shown.loc["Unmapped", "Entered (people)"] == "-"  # events without a stage have no entries
    assert "No customers were gained or won back in 2026-03." in infos(at)
    assert raw.loc["Discover", "Entered (people)"] == 1  # D's first visit
    assert set(charts(at)) == {"journey_heatmap", "journey_gained_lost", "journey_funnel"}
    gained, lost, base_gained, base_lost = charts(at)["journey_gained_lost"].data
    assert list(lost.y) == ["Discover", "Buy", "Onboard", "Use", "Renew"]  # Unmapped gained and lost nobody
    assert list(lost.x) == [0, 0, 0, -2, -1] and list(gained.x) == [0, 0, 0, 0, 0]
    assert list(base_gained.x) == [0, 1.5, 0, 0, 0] and list(base_lost.x) == [0, 0, 0, 0, 0]


def test_the_stage_table_downloads_as_spreadsheet_safe_csv(tmp_path, monkeypatch, downloads):
    """The table's own toolbar download is off (it wrote '=...' as a formula); the page's button writes the
    model's table, cells that could start a formula made text, in a file named for what it holds."""
    path = tmp_path / "hostile.duckdb"
    csv = tmp_path / "shop.csv"
    csv.write_text("customer_id,timestamp,event,revenue\n" + "".join(
        f"C{c},2025-{m:02d}-0{c},purchase,{10 * c}\n" for c in range(1, 4) for m in range(1, 13)))
    ws = Workspace(path, seed_sample=False)
    ws.ingest(csv, "Shop", stage_map=parse_stage_map('churn_after_days = 45\n[[stages]]\nname = "=Hack"\nevents = ["purchase"]\n'))
    ws.close()
    at = ok(page(path, monkeypatch).run())
    period = at.query_params["period"][0] if isinstance(at.query_params["period"], list) else at.query_params["period"]
    csv = downloads[f"stages-Shop-{period}.csv"].decode()
    table = pd.read_csv(io.StringIO(csv))
    assert "'=Hack" in list(table["stage"]) and "=Hack" not in list(table["stage"])
    assert {"period", "stage", "gained", "lost", "impact", "value_impact"} <= set(table.columns)


def test_a_period_in_progress_says_so(sample_page):
    """Half of 2026-10 against full months showed Buy at -74.7 in red with no word that the month was not over."""
    at = sample_page("2026-10")
    at.query_params["to"] = "2026-10-15"
    at = ok(at.run())
    assert any(c.value.startswith("Sample · month 2026-10 so far (to 2026-10-15) · as of 2026-10-15") for c in at.caption)
    assert infos(at)[0].startswith("2026-10 is not over: its numbers run to 2026-10-15. The changes against the previous "
                                   "month and the stages' baselines compare this part of a month with full months")


def test_impact_is_coloured_by_sign(example):
    at = ok(example("2026-03").run())
    styles = at.dataframe[0].proto.arrow_data.styler.styles
    assert "#ffebee" in styles and "#e8f5e9" not in styles  # only losses against the baseline in March
    at = ok(example("2026-04").run())
    assert "#e8f5e9" in at.dataframe[0].proto.arrow_data.styler.styles


def test_january_has_no_baseline_and_says_so(example):
    at = ok(example("2026-01").run())
    raw, shown = stage_table(at)
    assert raw.loc["Discover", ["Entered (people)", "Advanced (people)", "Median days to advance"]].tolist() == [2, 2, 12]
    assert raw.loc["Buy", ["Gained (customers)", "Gained value (a year)", "Median days to advance"]].tolist() == [2, 180, 18]
    assert shown.loc["Buy", "Conversion (%)"] == "100.0%" and shown.loc["Buy", "Impact (customers)"] == "-"
    notes = infos(at)
    assert any("baselines need at least two periods" in n for n in notes)
    assert any(n.startswith("Baselines need at least two periods") for n in notes)  # instead of an empty heatmap
    assert "No customers were lost in 2026-01." in notes
    assert "journey_heatmap" not in charts(at)


def test_the_last_stage_has_nothing_to_advance_to(example):
    at = ok(example("2026-02").run())
    raw, shown = stage_table(at)
    assert raw.loc["Renew", "Entered (people)"] == 1  # A's first renewal
    assert shown.loc["Renew", ["Advanced (people)", "Conversion (%)"]].tolist() == ["-", "-"]
    # the browser shows a missing number as the table's placeholder, whatever the Styler says
    assert raw.loc["Renew", ["Advanced (people)", "Conversion (%)"]].isna().all()
    assert at.dataframe[0].proto.placeholder == "-"
    assert shown.loc["Buy", ["Entered (people)", "Advanced (people)", "Conversion (%)"]].tolist() == ["1", "1", "100.0%"]


def test_user_text_is_escaped(tmp_path, monkeypatch):
    path = example_workspace(tmp_path, "[Q1](http://x.test) *draft*")
    at = ok(page(path, monkeypatch, "2026-03").run())
    assert at.caption[0].value.startswith(r"\[Q1\]\(http\:")  # no link, no emphasis
    assert r"\*draft\*" in at.caption[0].value


def test_changing_the_period_and_the_heatmap_measure(example):
    at = ok(example().run())
    assert at.selectbox(key="qp_period").value == "2026-03"  # the last complete month
    at.selectbox(key="qp_period").set_value("2026-04").run()
    ok(at)
    raw, shown = stage_table(at)
    assert raw.loc["Buy", ["Gained (customers)", "Gained value (a year)"]].tolist() == [2, 360]
    assert shown.loc["Buy", "Impact (customers)"] == "+1.0" and shown.loc["Buy", "Net (customers)"] == "+2"
    assert "No customers were lost in 2026-04." in infos(at)
    assert set(charts(at)) == {"journey_heatmap", "journey_gained_lost", "journey_funnel"}

    heat = heatmap(at)
    assert list(heat.columns) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert list(heat.index) == ["Discover", "Buy", "Onboard", "Use", "Renew"]  # Unmapped never gained or lost anyone
    assert heat["2026-01"].isna().all()  # no baseline in the first month
    assert (heat.loc["Use", "2026-03"], heat.loc["Buy", "2026-04"]) == (-2, 1)
    at.radio(key="journey_heatmap_measure").set_value("value").run()
    heat = heatmap(ok(at))
    assert (heat.loc["Use", "2026-03"], heat.loc["Renew", "2026-03"]) == (-130, -200)


def test_sample_april_2026_onboard_hurts_most(sample, sample_page):
    _, expected = sample
    model = expected[None].stages.set_index(["period", "stage"])
    at = ok(sample_page("2026-04").run())
    raw, shown = stage_table(at)
    assert list(raw["Stage"]) == ["Discover", "Evaluate", "Buy", "Onboard", "Use", "Renew", "Advocate", "Unmapped"]
    assert raw["Impact (customers)"].idxmin() == "Onboard"
    onboard = model.loc[("2026-04", "Onboard")]
    assert raw.loc["Onboard", "Impact (customers)"] == pytest.approx(onboard.impact)
    assert raw.loc["Onboard", "Lost (customers)"] == onboard.lost == 37
    assert shown.loc["Onboard", "Impact (customers)"] == f"{onboard.impact:+.1f}" == "-28.3"
    assert raw.loc["Onboard", "Value impact (a year)"] == pytest.approx(onboard.value_impact)
    assert set(charts(at)) == {"journey_heatmap", "journey_gained_lost", "journey_funnel"}
    assert not infos(at)

    heat = heatmap(at)
    assert heat.columns[0] == "2024-11" and heat.columns[-1] == "2026-04"
    assert heat.loc["Onboard", "2026-03"] == pytest.approx(model.loc[("2026-03", "Onboard")].impact)
    assert heat.loc["Onboard", "2026-04"] == pytest.approx(onboard.impact)

    # the bars are the model's gains and losses per stage with its baselines; the funnel's bars say how
    # many entered, the last stage too
    april = model.xs("2026-04", level="period")
    gained, lost, base_gained, base_lost = charts(at)["journey_gained_lost"].data
    shown_stages = list(gained.y)
    assert shown_stages[:7] == ["Discover", "Evaluate", "Buy", "Onboard", "Use", "Renew", "Advocate"]
    assert list(gained.x) == list(april.loc[shown_stages, "gained"])
    assert list(lost.x) == list(-april.loc[shown_stages, "lost"]) and lost.x[3] == -37
    assert list(base_lost.x) == pytest.approx(list(-april.loc[shown_stages, "baseline_lost"]))
    assert list(base_gained.x) == pytest.approx(list(april.loc[shown_stages, "baseline_gained"]))
    funnel = charts(at)["journey_funnel"].data[0]
    advocate = april.loc["Advocate", "entered"]
    assert funnel.text[-1] == f"{advocate:,} entered" and funnel.x[-1] == advocate


def test_sample_segment_filter(sample, sample_page):
    _, expected = sample
    model = expected["Solo maker"].stages.set_index(["period", "stage"])
    at = ok(sample_page("2026-04").run())
    at.selectbox(key="qp_segment").set_value("Solo maker").run()
    raw, _ = stage_table(ok(at))
    assert "segment: Solo maker" in at.caption[0].value
    for stage in ["Buy", "Onboard", "Use"]:
        row = model.loc[("2026-04", stage)]
        assert raw.loc[stage, ["Lost (customers)", "Gained (customers)"]].tolist() == [row.lost, row.gained]
        assert raw.loc[stage, "Impact (customers)"] == pytest.approx(row.impact)
    assert raw["Impact (customers)"].idxmin() == "Onboard"
    assert raw.loc["Onboard", "Lost (customers)"] == 34  # sample_data/README.md, planted effect a


def test_a_dataset_without_stages_says_so(tmp_path, monkeypatch):
    at = ok(page(shop_workspace(tmp_path), monkeypatch, "2025-11").run())
    assert narrative.without_stages([]) in infos(at)
    raw, _ = stage_table(at)
    assert list(raw["Stage"]) == ["Unmapped"]  # its gains and losses are still shown
