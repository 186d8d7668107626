"""The dashboard in Chromium: every page opens without an error, the numbers are the model's,
an upload through the Data page works, a filter changes what is shown."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlparse

import pytest

from analytics.model import Settings, compute
from analytics.workspace import SAMPLE_NAME, Workspace
from tests.browser.conftest import assert_no_error, settle, shoot
from tests.conftest import WORKED_EXAMPLE
from views.format import count, money

PAGES = ["", "journey", "drivers", "cohorts", "prioritise", "data"]  # Overview, the default page, is at /


def metric(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """The model's numbers for the sample, from a workspace of the test's own (the server holds its file)."""
    ws = Workspace(tmp_path_factory.mktemp("expected") / "ws.duckdb", seed_sample=True)
    assert ws.names() == [SAMPLE_NAME]

    def row(period, **settings):
        return compute(ws, SAMPLE_NAME, Settings(**settings)).movements.set_index("period").loc[period]

    yield row
    ws.close()


@pytest.mark.parametrize("name", PAGES)
def test_every_page_opens_without_an_error(server, page, name):
    """...and asks nothing of another host: a page's Material icon made Streamlit fetch the tab's icon
    from fonts.gstatic.com, from a dashboard served on localhost (and failing offline)."""
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{server}/{name}")
    settle(page)
    assert_no_error(page)
    assert [u for u in requested if not u.startswith((server, "data:", "blob:"))] == []
    assert page.locator('[data-testid="stDialog"]').count() == 0  # e.g. "Page not found"
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text().splitlines()
    assert {"Overview", "Journey", "Drivers", "Cohorts and segments", "Prioritise", "Data"} <= set(nav)
    shoot(page, name or "overview")


def test_overview_shows_the_models_numbers(server, model, page):
    page.goto(f"{server}/")
    settle(page)
    assert "period=2026-10" in page.url  # the latest complete month
    row = model("2026-10")
    assert metric(page, "Active customers") == count(row.customers_end)
    assert metric(page, "Asset value") == money(row.value_end)
    assert metric(page, "Revenue in period") == money(row.revenue)


def test_a_link_opens_its_view(server, model, page):
    page.goto(f"{server}/?period=2026-04&segment=Solo+maker")
    settle(page)
    assert_no_error(page)
    assert metric(page, "Active customers") == count(model("2026-04", segment="Solo maker").customers_end)
    assert "Onboard lost" in " ".join(page.locator('[data-testid="stMarkdown"]').all_inner_texts())
    shoot(page, "overview-solo-maker-2026-04")


def test_changing_the_segment_in_the_sidebar(server, model, page):
    page.goto(f"{server}/")
    settle(page)
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Segment")
    box.click()
    page.get_by_role("option", name="Enterprise").click()
    settle(page)
    assert "segment=Enterprise" in page.url
    row = model("2026-10", segment="Enterprise")
    assert metric(page, "Active customers") == count(row.customers_end)
    assert_no_error(page)


def test_a_page_link_keeps_the_sidebar_choices(server, model, page):
    """Streamlit clears the URL when a page link is followed: the choices come back from the session."""
    page.goto(f"{server}/?segment=Enterprise&period=2026-04&to=2026-06-30")
    settle(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Journey").click()
    settle(page)
    assert_no_error(page)
    assert "/journey?" in page.url
    for part in ("segment=Enterprise", "period=2026-04", "to=2026-06-30"):
        assert part in page.url
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_role("combobox", name="Segment").input_value() == "Enterprise"
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Overview").click()
    settle(page)
    row = model("2026-04", segment="Enterprise", as_of=date(2026, 6, 30))
    assert metric(page, "Active customers") == count(row.customers_end)


def upload(server, page, csv) -> None:
    """Upload ``csv`` on the Data page with the form's defaults, as a person does."""
    page.goto(f"{server}/data")
    settle(page)
    page.locator('[data-testid="stFileUploader"]').filter(has_text="Event export").locator('input[type="file"]').set_input_files(str(csv))
    settle(page)
    page.get_by_role("button", name="Ingest").click()
    settle(page)
    assert_no_error(page)


def test_upload_a_csv_through_the_data_page(server, page, tmp_path):
    csv = tmp_path / "worked-example.csv"
    csv.write_text(WORKED_EXAMPLE)
    upload(server, page, csv)
    assert "dataset=worked-example" in page.url
    assert metric(page, "Rows kept") == "13 rows"
    assert metric(page, "Customers") == "5 people"
    shoot(page, "data-after-upload")


def test_an_address_in_user_text_is_not_a_link(server, page, tmp_path):
    """A dataset named after its file, www.evil.example, was drawn as a link to http://www.evil.example/ in the
    page's messages: Streamlit's Markdown links bare addresses even when their characters are escaped."""
    csv = tmp_path / "www.evil.example.csv"
    csv.write_text(WORKED_EXAMPLE)
    upload(server, page, csv)
    links = page.evaluate("() => Array.from(document.querySelectorAll('a')).map(a => a.href)")
    assert [h for h in links if "evil" in urlparse(h).netloc or h.startswith("mailto:")] == []
    assert "www\u2060.evil.example" in page.locator('[data-testid="stMain"]').inner_text()  # the name, as text
