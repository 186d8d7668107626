"""The Overview page, headless: the cards are the model's numbers, filters change them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from analytics.model import Model, Settings, compute
from analytics.workspace import Workspace
from tests.pages_helpers import example_workspace, metrics, open_page, sample_workspace, shop_workspace, texts
from views import narrative
from views.format import count, money, percent


@pytest.fixture(scope="module")
def sample_path(tmp_path_factory):
    return sample_workspace(tmp_path_factory.mktemp("overview"))


def model_row(path, dataset, period, **settings):
    ws = Workspace(path, seed_sample=False)
    try:
        res = compute(ws, dataset, Settings(**settings))
    finally:
        ws.close()
    return res.movements.set_index("period").loc[period]


def test_example_defaults_to_the_latest_complete_month(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(example_workspace(tmp_path)))
    at = open_page("overview").run()
    assert not at.exception and not at.error
    # as of 2026-04-10, April is not complete: March is shown. Everyone active on 1 March was lost.
    assert at.query_params["period"] in ("2026-03", ["2026-03"])
    assert metrics(at) == {
        "Active customers": ("0", "-3"),
        "Asset value (a year)": ("0", "-330"),
        "Net change (customers)": ("-3", "-4"),
        "Churn rate": ("100.0%", "+100.0 pts"),
        "Revenue in period": ("120", "-30"),
    }
    page = texts(at)
    assert ("In 2026-03 the customer asset's yearly value shrank by 100.0% to 0 a year, with no active customers "
            "(-100.0%, 3 fewer).") in page
    # March's baseline is January and February: 2 months of data before it, not 3
    assert "- Use lost 2 customers worth 130 a year, 2 more than its 2-month baseline." in page
    assert "- Buy gained nobody, 1.5 fewer than its 2-month baseline." in page
    assert "- No stage did better than its baseline." in page


def test_example_other_period_from_the_sidebar(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(example_workspace(tmp_path)))
    at = open_page("overview").run()
    at.selectbox(key="qp_period").select("2026-02").run()
    assert not at.exception
    assert at.query_params["period"] in ("2026-02", ["2026-02"])
    cards = metrics(at)
    assert cards["Active customers"] == ("3", "+1")
    assert cards["Asset value (a year)"] == ("330", "+150")
    assert cards["Churn rate"] == ("0.0%", "")  # no change shown: nobody was active at the start of January


def test_the_baseline_says_how_many_months_it_covers(tmp_path, monkeypatch):
    """DOMAIN.md: the baseline is the mean of the previous k periods present in the data, fewer at the start,
    none for the first. February's covers January alone; January has none, and no baseline sentence."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(example_workspace(tmp_path)))
    at = open_page("overview", period="2026-02").run()
    assert not at.exception
    assert "- Buy gained 1 customer worth 50 a year, 1 fewer than its 1-month baseline." in texts(at)
    at = open_page("overview", period="2026-01").run()
    assert not at.exception
    assert [i.value for i in at.info] == [
        "2026-01 is the first month of the data: there is no baseline to compare the stages with yet."]
    assert not [t for t in texts(at) if "than its baseline" in t or "-month baseline" in t]


def test_a_link_opens_its_view(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(example_workspace(tmp_path)))
    at = open_page("overview", period="2026-Q2", grain="quarter").run()
    assert not at.exception
    assert metrics(at)["Active customers"] == ("2", "+2")
    assert metrics(at)["Asset value (a year)"] == ("360", "+360")


def test_sample_cards_equal_the_model(sample_path, monkeypatch):
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(sample_path))
    at = open_page("overview").run()
    assert not at.exception and not at.error
    row = model_row(sample_path, "Sample", "2026-10")
    cards = metrics(at)
    assert cards["Active customers"][0] == count(row.customers_end)
    assert cards["Asset value (a year)"][0] == money(row.value_end) == "2.60 M"
    assert cards["Churn rate"][0] == percent(row.churned / row.customers_start)
    assert cards["Revenue in period"][0] == money(row.revenue)
    # a change in money is written like its value: in millions beside millions
    before = model_row(sample_path, "Sample", "2026-09")
    change = cards["Asset value (a year)"][1]
    assert change == "+" + money(row.value_end - before.value_end, like=row.value_end) and change.endswith(" M")
    assert len(at.get("plotly_chart")) == 3


def test_sample_dates_are_written_in_iso(sample_path, monkeypatch):
    """The date range reads 2024-11-01, and the trend's axis shows the periods as written (2026-10),
    not as dates plotly formats (Oct 2026)."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(sample_path))
    at = open_page("overview").run()
    (dates,) = at.get("date_input")
    assert dates.proto.format == "YYYY-MM-DD"
    assert dates.value == (date(2024, 11, 1), date(2026, 10, 31))
    (trend,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith("-trend")]
    assert trend["layout"]["xaxis"]["type"] == "category"
    assert trend["data"][0]["x"][-3:] == ["2026-08", "2026-09", "2026-10"]
    assert trend["layout"]["yaxis2"]["rangemode"] == "tozero"  # both axes from zero: no growth drawn steeper


def test_sample_segment_filter_changes_the_cards(sample_path, monkeypatch):
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(sample_path))
    at = open_page("overview").run()
    at.selectbox(key="qp_segment").select("Solo maker").run()
    assert not at.exception
    row = model_row(sample_path, "Sample", "2026-10", segment="Solo maker")
    assert metrics(at)["Active customers"][0] == count(row.customers_end)
    assert at.query_params["segment"] in ("Solo maker", ["Solo maker"])
    at.selectbox(key="qp_period").select("2026-04").run()
    row = model_row(sample_path, "Sample", "2026-04", segment="Solo maker")
    assert metrics(at)["Active customers"][0] == count(row.customers_end)
    assert any(t.startswith("- Onboard lost") for t in texts(at))


def test_an_earlier_end_date_shows_that_months_report(sample_path, monkeypatch):
    """Last month's report (the date range's end): the cards are the model's under that end computed
    from the events alone, where the page cuts the stored first look."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(sample_path))
    at = open_page("overview", to="2026-06-30").run()
    assert not at.exception and not at.error
    assert at.query_params["period"] in ("2026-06", ["2026-06"])
    assert any("As of 2026-06-30 23:59 UTC" in t for t in texts(at))
    ws = Workspace(sample_path, seed_sample=False)
    try:
        ds = ws.dataset("Sample")
        with Model(ws.snapshot(), ds.events_table, ds.stage_map, Settings(as_of=date(2026, 6, 30))) as m:
            row = m.movements().set_index("period").loc["2026-06"]
    finally:
        ws.close()
    cards = metrics(at)
    assert cards["Active customers"][0] == count(row.customers_end)
    assert cards["Asset value (a year)"][0] == money(row.value_end)
    assert cards["Churn rate"][0] == percent(row.churned / row.customers_start)
    assert cards["Revenue in period"][0] == money(row.revenue)


def test_a_month_in_progress_says_so_far(sample_path, monkeypatch):
    """To 2026-05-15, month 2026-05 (the sidebar's "2026-05 (so far)"): the caption and headline said "month
    2026-05" and compared it with full months without a word."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(sample_path))
    at = open_page("overview", to="2026-05-15", period="2026-05").run()
    assert not at.exception and not at.error
    page = texts(at)
    assert any(t.startswith("Sample · month 2026-05 so far (to 2026-05-15) · as of 2026-05-15") for t in page)
    row = model_row(sample_path, "Sample", "2026-05", as_of=date(2026, 5, 15))
    assert narrative.headline(row, "2026-05 so far (to 2026-05-15)") in page
    assert [i.value for i in at.info] == [
        "2026-05 is not over: its numbers run to 2026-05-15. The changes against the previous month and the stages' "
        "baselines compare this part of a month with full months: a part month gains, loses and earns less than a "
        "full one."]
    assert any(t.startswith("Changes are against the full previous month.") for t in page)
    assert any(t.startswith("- Onboard lost") and t.endswith("than its 3-month baseline of full months.") for t in page)
    at = open_page("overview", to="2026-05-15", period="2026-04").run()  # a full month: as before
    assert not at.info and any(t.startswith("Sample · month 2026-04 · as of 2026-05-15") for t in texts(at))


def test_empty_workspace_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(tmp_path / "empty.duckdb"))
    at = open_page("overview").run()
    assert not at.exception
    assert [i.value for i in at.sidebar.info] == ["No datasets yet: upload an export on the Data page."]


def test_a_dataset_without_stages_says_so_instead_of_ranking_unmapped(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(shop_workspace(tmp_path)))
    at = open_page("overview").run()
    assert not at.exception and not at.error
    assert [i.value for i in at.info] == [narrative.without_stages([])]
    assert not any("Stages that" in m.value or "Unmapped" in m.value for m in at.markdown)
    assert metrics(at)["Active customers"][0] == "3"


def test_the_waterfall_titles_fit_half_a_laptop_screen(tmp_path, monkeypatch):
    """Side by side at 1280 pixels each chart is about 450 wide: a longer title was cut off ("... start")."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(example_workspace(tmp_path)))
    at = open_page("overview").run()
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")[:2]]
    assert titles == ["Active customers, 2026-03: start to end", "Asset value (money a year), 2026-03: start to end"]
    assert max(map(len, titles)) <= 50
