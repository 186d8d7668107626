"""The sidebar's choices: kept when moving between pages, started afresh for another dataset, and a link
that cannot be honoured says so (headless, through app.py as the browser opens it)."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.stagemap import load_stage_map
from analytics.workspace import SAMPLE_FILE, SAMPLE_STAGES, Workspace
from tests.pages_helpers import example_workspace, open_page


@pytest.fixture(scope="module")
def two_datasets(tmp_path_factory):
    """'Example' (the worked example, 2026-01-03 to 2026-04-10) and 'Sample' (2024-11-01 to 2026-10-31,
    with segments), with the name of the one shown first."""
    path = example_workspace(tmp_path_factory.mktemp("sidebar"))
    ws = Workspace(path, seed_sample=False)
    ws.ingest(SAMPLE_FILE, "Sample", stage_map=load_stage_map(SAMPLE_STAGES))
    first = ws.names()[0]
    ws.close()
    return path, first


# Each dataset's own view: its whole date range and its last complete month.
OWN = {"Example": ((date(2026, 1, 3), date(2026, 4, 10)), "2026-03"),
       "Sample": ((date(2024, 11, 1), date(2026, 10, 31)), "2026-10")}


@pytest.fixture
def page(two_datasets, monkeypatch):
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(two_datasets[0]))
    return open_page


def shown(at) -> dict:
    """The sidebar's choices as drawn, and the URL's parameters."""
    return {
        "dataset": at.selectbox(key="qp_dataset").value,
        "grain": at.radio(key="qp_grain").value if any(r.key == "qp_grain" for r in at.radio) else None,
        "dates": at.date_input(key="date_range").value,
        "segment": at.selectbox(key="qp_segment").value,
        "period": at.selectbox(key="qp_period").value,
        "url": {k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]
                for k in at.query_params},
    }


def choose_example_by_quarter(at):
    at.selectbox(key="qp_dataset").select("Example").run()
    at.radio(key="qp_grain").set_value("quarter").run()
    at.selectbox(key="qp_period").select("2026-Q1").run()
    at.date_input(key="date_range").set_value((date(2026, 1, 3), date(2026, 3, 31))).run()
    assert not at.exception
    return shown(at)


@pytest.mark.parametrize("url_cleared", [True, False], ids=["url-cleared-as-by-a-page-link", "url-kept"])
def test_moving_to_another_page_keeps_every_choice(page, url_cleared):
    at = page("overview", dataset="Sample").run()
    before = choose_example_by_quarter(at)
    assert before["url"] == {"dataset": "Example", "grain": "quarter", "from": "2026-01-03", "to": "2026-03-31",
                             "segment": "All customers", "period": "2026-Q1"}
    if url_cleared:  # Streamlit clears the URL's parameters when the sidebar's page links are followed
        for k in list(at.query_params):
            del at.query_params[k]
    at.switch_page("pages/journey.py").run()
    assert not at.exception
    after = shown(at)
    assert after == before
    assert at.title[0].value.startswith("Journey")


def test_another_dataset_starts_from_its_own_whole_range_and_all_customers(page):
    at = page("overview", dataset="Sample", to="2026-06-30", segment="Solo maker").run()
    assert shown(at)["dates"] == (date(2024, 11, 1), date(2026, 6, 30))
    at.selectbox(key="qp_dataset").select("Example").run()
    now = shown(at)
    assert now["dates"] == (date(2026, 1, 3), date(2026, 4, 10))
    assert (now["segment"], now["period"]) == ("All customers", "2026-03")  # April is not complete
    # and back: the example's range lies inside the sample's, and must not be carried over
    at.selectbox(key="qp_dataset").select("Sample").run()
    now = shown(at)
    assert now["dates"] == (date(2024, 11, 1), date(2026, 10, 31))
    assert (now["segment"], now["period"]) == ("All customers", "2026-10")
    assert now["url"]["from"] == "2024-11-01" and now["url"]["to"] == "2026-10-31"


def test_a_link_to_a_dataset_that_is_gone_says_so(page, two_datasets):
    at = page("journey", dataset="Old name", period="2026-02", to="2026-02-28").run()
    assert not at.exception
    assert [w.value for w in at.sidebar.warning] == [
        "There is no dataset named Old name (renamed or deleted?), so another one is shown."]
    now = shown(at)  # the first dataset's own view, not the old link's dates or period
    first = two_datasets[1]
    assert (now["dataset"], now["dates"], now["period"]) == (first, *OWN[first])


def test_a_link_whose_start_is_after_its_end_says_so(page):
    at = page("overview", dataset="Example", **{"from": "2026-03-01", "to": "2026-02-15"}).run()
    assert not at.exception
    assert [w.value for w in at.sidebar.warning] == [
        "The start date 2026-03-01 was after the end date 2026-02-15, so the range starts at the first event instead."]
    assert shown(at)["dates"] == (date(2026, 1, 3), date(2026, 2, 15))


def test_half_a_range_picked_waits_for_its_end(page):
    at = page("overview", dataset="Example").run()
    at.date_input(key="date_range").set_value((date(2026, 2, 1),)).run()
    assert not at.exception
    assert at.date_input(key="date_range").value == (date(2026, 2, 1),)  # not put back to the old range
    assert shown(at)["url"]["to"] == "2026-04-10"
    at.date_input(key="date_range").set_value((date(2026, 2, 1), date(2026, 3, 31))).run()
    assert shown(at)["url"]["from"] == "2026-02-01" and shown(at)["url"]["to"] == "2026-03-31"
    assert shown(at)["period"] == "2026-03"


def test_a_month_shows_as_its_quarter_on_prioritise_and_comes_back(page):
    at = page("journey", dataset="Sample", period="2026-02").run()
    for k in list(at.query_params):  # as a page link does
        del at.query_params[k]
    at.switch_page("pages/prioritise.py").run()
    assert not at.exception
    assert shown(at)["period"] == "2026-Q1"  # the quarter holding February, not the latest quarter
    for k in list(at.query_params):
        del at.query_params[k]
    at.switch_page("pages/journey.py").run()
    assert shown(at)["period"] == "2026-02"  # the month chosen, not the page's default
    # a quarter picked on Prioritise is taken back to the other pages as its last month
    at.switch_page("pages/prioritise.py").run()
    at.selectbox(key="qp_period").select("2025-Q4").run()
    for k in list(at.query_params):
        del at.query_params[k]
    at.switch_page("pages/journey.py").run()
    assert shown(at)["period"] == "2025-12"


def test_a_quarter_opened_by_link_on_prioritise_is_kept(page):
    """A shared link to Prioritise's 2026-Q1: after a visit to Drivers (by page link, which clears the URL)
    Prioritise came back on the latest quarter, 2026-Q4, and Drivers showed the latest month."""
    at = page("prioritise", dataset="Sample", period="2026-Q1").run()
    assert shown(at)["period"] == "2026-Q1"
    for k in list(at.query_params):
        del at.query_params[k]
    at.switch_page("pages/drivers.py").run()
    assert shown(at)["period"] == "2026-03"  # the quarter's last month
    for k in list(at.query_params):
        del at.query_params[k]
    at.switch_page("pages/prioritise.py").run()
    assert not at.exception and shown(at)["period"] == "2026-Q1"
