"""The Prioritise page, opened headless with AppTest on the bundled sample: the ranking, the plan,
the downloads."""

from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import priorities
from analytics.model import Settings, compute
from analytics.stagemap import load_stage_map
from analytics.workspace import SAMPLE_FILE, SAMPLE_STAGES, Workspace
from tests.pages_helpers import formatted_counts, open_page, shop_workspace
from views.format import rounded
from views.prioritise import SHOWN_DIGITS

AS_OF = date(2026, 10, 31)  # the sample's last day: the sidebar's default end date


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A workspace holding the sample as 'Sample', and the model's quarterly results for it."""
    path = tmp_path_factory.mktemp("prioritise") / "ws.duckdb"
    ws = Workspace(path, seed_sample=False)
    ws.ingest(SAMPLE_FILE, "Sample", stage_map=load_stage_map(SAMPLE_STAGES))
    res = compute(ws, "Sample", Settings(grain="quarter", as_of=AS_OF))
    ws.close()
    return path, res


@pytest.fixture
def page(sample, monkeypatch):
    """page(**query) -> an AppTest of app.py on the Prioritise page of the sample workspace."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(sample[0]))

    def _page(**query) -> AppTest:
        return open_page("prioritise", **query)

    return _page


def ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def plan_editor(at: AppTest):
    """The page's plan editor (its key follows its rows: see pages/prioritise.py)."""
    (editor,) = [e for e in at.data_editor if e.key.startswith("plan_editor_")]
    return editor


def saved_plan(sample, quarter: str, column: str) -> list[dict]:
    """The sample's saved plan for ``quarter``, read from its workspace file: stage, owner and ``column``."""
    ws = Workspace(sample[0], seed_sample=False)
    try:
        return priorities.load_plan(ws, "Sample", quarter)[["stage", "owner", column]].to_dict("records")
    finally:
        ws.close()


def ranking_shown(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if d.editing_mode == "read_only" and "excess_lost_value" in d.value.columns)


def test_2026_q2_ranks_what_the_model_says(page, sample):
    at = page(period="2026-Q2").run()
    ok(at)
    shown = ranking_shown(at)
    expected = priorities.ranking(sample[1], "2026-Q2")
    assert "lost" in formatted_counts(at)  # 1,234 customers, not 1234
    numbers = ["rank", "lost", "baseline_lost", "excess_lost", "lost_value", "baseline_lost_value", "excess_lost_value"]
    # the model's numbers, rounded as the report and the Markdown write them (the browser's own rounding of
    # a half would differ), money whole and the customers' means to one decimal
    for col, digits in SHOWN_DIGITS.items():
        expected[col] = [rounded(v, digits) for v in expected[col]]
    pd.testing.assert_frame_equal(shown[["stage", *numbers, "confidence"]].reset_index(drop=True),
                                  expected[["stage", *numbers, "confidence"]], check_dtype=False)
    # ...which are the stage table's numbers for the quarter
    model = sample[1].stages.set_index(["period", "stage"]).loc["2026-Q2"]
    for r in shown.itertuples():
        assert r.lost == model.at[r.stage, "lost"]
        assert r.lost_value == pytest.approx(model.at[r.stage, "lost_value"], abs=0.5)
        assert r.excess_lost_value == pytest.approx(model.at[r.stage, "lost_value"] - model.at[r.stage, "baseline_lost_value"],
                                                    abs=0.5)
    # Onboard lost by far the most customers beyond its baseline (37 against 2.3, planted effect a)...
    onboard = shown.set_index("stage").loc["Onboard"]
    assert (onboard.lost, round(onboard.excess_lost, 1), onboard.confidence) == (37, 34.7, "high")
    assert onboard.touchpoint.startswith("setup_error (risk ratio 1.97")
    assert onboard.trend[-1] == pytest.approx(onboard.excess_lost_value, abs=0.5)  # the value shown whole
    # ...but Use and Renew lost more yearly value beyond theirs: a few valuable customers
    assert list(shown["stage"][:3]) == ["Use", "Renew", "Onboard"]
    assert [round(v) for v in shown["excess_lost_value"][:3]] == [40637, 13266, 8609]

    at.radio(key="rank_by").set_value("customers").run()
    ok(at)
    assert ranking_shown(at)["stage"].iloc[0] == "Onboard"
    assert plan_editor(at).value["stage"].iloc[0] == "Onboard"  # the plan follows the ranking


def test_edit_save_reopen_and_download(page, sample, downloads):
    at = page(period="2026-Q2").run()
    ok(at)
    editor = plan_editor(at).value
    row = list(editor["stage"]).index("Onboard")
    assert editor.columns.tolist() == ["rank", "stage", "owner", "effort", "notes", "excess_lost_value", "excess_lost", "confidence"]
    at.session_state[plan_editor(at).key] = {
        "edited_rows": {row: {"owner": "Ana | CX", "effort": "M", "notes": "=HYPERLINK(\"http://x\")\nsecond line"}},
        "added_rows": [], "deleted_rows": [],
    }
    at.button(key="save_plan").click().run()
    ok(at)
    assert [s.value for s in at.success] == ["Plan for 2026-Q2 saved: 1 stage with an owner, effort or notes."]

    # downloads: the CSV is formula-safe, the Markdown holds the table
    csv = pd.read_csv(io.StringIO(downloads["priorities-Sample-2026-Q2.csv"].decode()))
    assert csv.columns[:5].tolist() == ["dataset", "quarter", "segment", "as_of", "ranked_by"]  # what the file is, once sent on
    assert csv.ranked_by.unique().tolist() == ["the yearly value of the customers they lost beyond their baseline"]
    assert (csv.dataset.unique().tolist(), csv.quarter.unique().tolist(), csv.as_of.unique().tolist()) == (
        ["Sample"], ["2026-Q2"], ["2026-10-31 23:59"])
    onboard = csv.set_index("stage").loc["Onboard"]
    assert onboard.notes == "'=HYPERLINK(\"http://x\")\nsecond line" and onboard.owner == "Ana | CX"
    assert onboard.lost == 37 and onboard["excess_lost_value 2026-Q2"] == pytest.approx(8609.33, abs=0.01)
    md = downloads["priorities-Sample-2026-Q2.md"].decode()
    assert md.startswith("# Priorities for 2026-Q2: Sample\n")
    assert ("| 3 | Onboard | 37 vs 2.3 (+34.7) | 9,031 vs 422 (+8,609) | high | setup_error (risk ratio 1.97, "
            "95% interval 1.78 to 2.17, q below 0.001) | Ana \\| CX | M | =HYPERLINK(\"http:/\u2060/x\")<br>second line |") in md

    # another quarter in the same session: the edits made to 2026-Q2 do not follow
    at.selectbox(key="qp_period").set_value("2026-Q1").run()
    ok(at)
    assert plan_editor(at).value["owner"].eq("").all()
    assert at.session_state[plan_editor(at).key]["edited_rows"] == {}

    # a new session sees the saved plan, for this quarter only
    again = page(period="2026-Q2").run()
    ok(again)
    saved = plan_editor(again).value.set_index("stage")
    assert (saved.at["Onboard", "owner"], saved.at["Onboard", "effort"]) == ("Ana | CX", "M")
    assert saved.at["Onboard", "notes"] == "=HYPERLINK(\"http://x\")\nsecond line"
    assert saved.drop(index="Onboard")["owner"].eq("").all()
    other = page(period="2026-Q1").run()
    ok(other)
    assert plan_editor(other).value["owner"].eq("").all()
    assert saved_plan(sample, "2026-Q2", "effort") == [{"stage": "Onboard", "owner": "Ana | CX", "effort": "M"}]


def test_an_edit_stays_with_its_stage_when_the_rows_move_and_while_other_pages_are_visited(page, sample):
    """An owner typed on Buy (rank 4), then 'Customers lost beyond baseline' chosen: the editor kept its edits by
    row, the rows moved, and Save wrote the owner and note on Evaluate."""
    at = page(period="2026-Q1").run()
    ok(at)
    editor = plan_editor(at).value
    row = list(editor["stage"]).index("Buy")
    at.session_state[plan_editor(at).key] = {"edited_rows": {row: {"owner": "Owner of Buy", "notes": "Note of Buy"}},
                                       "added_rows": [], "deleted_rows": []}
    at.run()
    at.radio(key="rank_by").set_value("customers").run()
    ok(at)
    now = plan_editor(at).value.set_index("stage")
    assert list(now.index).index("Buy") != row  # the rows moved...
    assert (now.at["Buy", "owner"], now.at["Buy", "notes"]) == ("Owner of Buy", "Note of Buy")  # ...the edit did not
    assert now.drop(index="Buy")["owner"].eq("").all()
    assert any("changes that are not saved" in c.value for c in at.caption)
    assert at.session_state[plan_editor(at).key]["edited_rows"] == {}  # a new widget: the browser's edits by row go
    # another page and back, as a page link does (Streamlit drops the state of a widget not drawn)
    for k in list(at.query_params):
        del at.query_params[k]
    at.switch_page("pages/journey.py").run()
    at.switch_page("pages/prioritise.py").run()
    ok(at)
    assert plan_editor(at).value.set_index("stage").at["Buy", "owner"] == "Owner of Buy"
    assert at.radio(key="rank_by").value == "customers"  # the order chosen, kept as the other choices are
    at.button(key="save_plan").click().run()
    ok(at)
    assert not any("changes that are not saved" in c.value for c in at.caption)
    assert saved_plan(sample, "2026-Q1", "notes") == [{"stage": "Buy", "owner": "Owner of Buy", "notes": "Note of Buy"}]


def test_empty_states_are_explained(page):
    at = page(period="2024-Q4").run()
    ok(at)
    assert any("first quarter of the data" in i.value for i in at.info)
    at = page(period="2026-Q4").run()  # so far: every stage lost less value than its baseline
    ok(at)
    assert [i.value for i in at.info] == [
        "2026-Q4 is not over: its numbers run to 2026-10-31. The changes against the previous quarter and the stages' "
        "baselines compare this part of a quarter with full quarters: a part quarter gains, loses and earns less than "
        "a full one.",
        "No stage lost more than its baseline in 2026-Q4: nothing stands out to fix this quarter.",
    ]
    assert any(c.value.startswith("Sample · quarter 2026-Q4 so far (to 2026-10-31) · as of 2026-10-31") for c in at.caption)


def test_one_quarter_is_one_quarter(page):
    """The first quarter's trend covers 1 quarter: its title read "last 1 quarters", then "last 1 quarter"."""
    at = page(period="2024-Q4").run()
    ok(at)
    (chart,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith("-trend")]
    assert chart["layout"]["title"]["text"] == ("Value lost beyond baseline, 2024-Q4 "
                                                "(money a year; above 0: more than usual)")
    at = page(period="2025-Q1").run()
    (chart,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith("-trend")]
    assert chart["layout"]["title"]["text"].startswith("Value lost beyond baseline, 2024-Q4 to 2025-Q1 (")


def test_a_dataset_without_stages_is_told_to_add_them(tmp_path, monkeypatch):
    """Every event Unmapped: the page says what to do instead of calling a mid-year quarter the first one
    and failing on an empty plan."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(shop_workspace(tmp_path)))
    at = open_page("prioritise", period="2025-Q3").run()
    ok(at)
    assert [i.value for i in at.info] == [
        "The stage map of Shop has no stages, so every event is Unmapped and there is nothing to rank: add stages on "
        "the Data page (its Stage map tab)."]
    assert not at.dataframe and not at.button  # no ranking, no plan to save


def test_the_plan_under_a_segment_says_it_is_the_whole_datasets(page):
    at = page(period="2026-Q2", segment="Enterprise").run()
    ok(at)
    assert ("One plan per quarter for all of Sample: its owners, effort and notes are the same under every segment, "
            "and saving here replaces it for all. The numbers beside them are those of Enterprise.") in [
        c.value for c in at.caption]
    at = page(period="2026-Q2").run()
    ok(at)
    assert not any(c.value.startswith("One plan per quarter") for c in at.caption)
