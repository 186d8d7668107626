"""The report that leaves the app: its figures are the model's, it is self-contained, the PDF reads right."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import plotly.io as pio
import pytest

from analytics import priorities
from analytics.cli import main
from analytics.model import Settings, compute
from analytics.stagemap import load_stage_map
from analytics.workspace import SAMPLE_FILE, SAMPLE_STAGES, Workspace
from tests.pages_helpers import example_workspace, open_page, sample_workspace, shop_workspace
from views import narrative
from views.cards import cards
from views.format import count, money
from views.prioritise import to_markdown
from views.report import build_html


class Page(HTMLParser):
    """Collects the cards, tables and headline of a report by their data- attributes."""

    def __init__(self):
        super().__init__()
        self.cards, self.tables, self.scripts_with_src, self.links = {}, {}, [], []
        self._card = self._field = self._table = None
        self._row = None
        self._headline = False
        self.headline = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and "src" in a:
            self.scripts_with_src.append(a["src"])
        if tag in ("link", "img", "iframe") and (a.get("href") or a.get("src")):
            self.links.append(a.get("href") or a.get("src"))
        if "data-card" in a:
            self._card = a["data-card"]
            self.cards[self._card] = {}
        if self._card and a.get("class") in ("value", "delta good", "delta bad", "delta "):
            self._field = a["class"].split()[0]
        if "data-table" in a:
            self._table = a["data-table"]
            self.tables[self._table] = []
        if self._table and tag == "tr":
            self._row = []
        if "data-headline" in a:
            self._headline = True

    def handle_endtag(self, tag):
        if tag == "div":
            self._field = None
            self._headline = False
        if tag == "tr" and self._table is not None and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._field and self._card:
            self.cards[self._card][self._field] = data
        if self._row is not None and data.strip():
            self._row.append(data)
        if self._headline:
            self.headline += data


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("report") / "ws.duckdb", seed_sample=False)
    ws.ingest(SAMPLE_FILE, "Ledgerly <b>&</b> Co", stage_map=load_stage_map(SAMPLE_STAGES))
    yield ws
    ws.close()


def report(ws, tmp_path, period, *args) -> tuple[str, Page]:
    out = tmp_path / "r.html"
    path = str(ws.path)
    assert main(["report", "--dataset", "Ledgerly <b>&</b> Co", "--period", period, "--out", str(out),
                 "--workspace", path, *args]) == 0
    html = out.read_text()
    page = Page()
    page.feed(html)
    return html, page


@pytest.fixture
def closed(sample):
    """The module's workspace with its connection closed (the command line opens the file itself)."""
    path = sample.path
    sample.close()
    yield Workspace(path, seed_sample=False)


def test_the_figures_are_the_models(closed, tmp_path):
    ws = closed
    res = compute(ws, "Ledgerly <b>&</b> Co", Settings())
    ws.close()
    html, page = report(ws, tmp_path, "2026-03")
    row = res.movements.set_index("period", drop=False).loc["2026-03"]
    assert page.headline == narrative.headline(row)
    expected = {c.label: c.value for c in cards(res.movements, "2026-03")}
    assert {k: v["value"] for k, v in page.cards.items()} == expected
    assert page.cards["Active customers"]["value"] == count(row.customers_end)
    assert page.cards["Asset value (a year)"]["value"] == money(row.value_end)
    stages = {r[0]: r for r in page.tables["stages"][1:]}
    model = res.stages[res.stages.period == "2026-03"].set_index("stage")
    assert list(stages) == list(model.index)
    assert stages["Onboard"][3] == count(model.loc["Onboard", "lost"])
    assert stages["Onboard"][5] == f"{model.loc['Onboard', 'impact']:+.1f}"
    drivers = page.tables["drivers"]
    assert drivers[1][:2] == ["Use", "complaint"]
    assert "These are associations, not proof of cause" in html
    assert "Ledgerly &lt;b&gt;&amp;&lt;/b&gt; Co: customer asset report, 2026-03" in html  # the name as text, not markup
    assert "churn window" in html and "trailing 365 days" in html


def figures(html: str) -> dict[str, tuple[list, dict]]:
    """Each figure's traces and layout as the report hands them to plotly.js, by the figure's name."""
    decoder, out = json.JSONDecoder(), {}
    for m in re.finditer(r'Plotly\.newPlot\(\s*"fig-(\w+)",\s*', html):
        data, end = decoder.raw_decode(html, m.end())
        layout, _ = decoder.raw_decode(html, end + re.match(r"\s*,\s*", html[end:]).end())
        out[m.group(1)] = (data, layout)
    return out


def figure_layouts(html: str) -> dict[str, dict]:
    """Each figure's layout as the report hands it to plotly.js, by the figure's name."""
    return {name: layout for name, (_, layout) in figures(html).items()}


def test_the_figures_make_room_for_their_labels(closed, monkeypatch):
    """The charts' margins are 10 px: only automargin keeps tick labels and axis titles inside the figure.
    Inside the app (where the report is downloaded) plotly's default template is Streamlit's, which does
    not turn automargin on: the report's figures must, and be the same as the command line's."""
    import streamlit.elements.plotly_chart  # noqa: F401  registers the "streamlit" template

    ws = closed
    month = compute(ws, "Ledgerly <b>&</b> Co", Settings())
    quarter = compute(ws, "Ledgerly <b>&</b> Co", Settings(grain="quarter"))
    ws.close()
    made = datetime(2026, 11, 1, tzinfo=UTC)
    for res, period in ((month, "2026-10"), (quarter, "2026-Q3")):
        monkeypatch.setattr(pio.templates, "default", "streamlit")
        layouts = figure_layouts(build_html(res, "Ledgerly", period, made=made))
        monkeypatch.setattr(pio.templates, "default", "plotly")
        assert layouts == figure_layouts(build_html(res, "Ledgerly", period, made=made))  # as the command line's
        assert set(layouts) == {"customers", "value", "trend"}
        for name, layout in layouts.items():
            axes = [k for k in layout if re.fullmatch(r"[xy]axis\d*", k)]
            assert len(axes) == (3 if name == "trend" else 2)
            for axis in axes:
                assert layout[axis].get("automargin") is True, (period, name, axis)
            assert layout["margin"] == {"l": 10, "r": 10, "t": 50, "b": 10}  # what automargin grows from


def test_the_trend_starts_where_the_pages_does(tmp_path, monkeypatch):
    """From 2026-06-01 to 2026-10-31, month 2026-10: the Overview's trend shows the 5 months of the range,
    and so does the report downloaded from it (it showed the 12 months up to 2026-10)."""
    from ui.downloads import _html
    from ui.state import View

    path = sample_workspace(tmp_path)
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(path))
    at = open_page("overview", **{"from": "2026-06-01", "to": "2026-10-31", "period": "2026-10"}).run()
    assert not at.exception
    (page,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith("-trend")]
    months = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    assert page["data"][0]["x"] == months
    assert page["layout"]["title"]["text"].endswith("each period, 2026-06 to 2026-10")
    ws = Workspace(path, seed_sample=False)
    try:
        view = View(ws.dataset("Sample"), compute(ws, "Sample", Settings(as_of=date(2026, 10, 31))), "2026-10",
                    date(2026, 6, 1))
        data, layout = figures(_html(view))["trend"]
    finally:
        ws.close()
    assert data[0]["x"] == data[1]["x"] == months
    assert layout["title"]["text"] == page["layout"]["title"]["text"]
    assert data[0]["y"] == page["data"][0]["y"]


def test_self_contained(closed, tmp_path):
    ws = closed
    ws.close()
    html, page = report(ws, tmp_path, "2026-03")
    assert page.scripts_with_src == [] and page.links == []
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"@import|url\(\s*['\"]?https?:", html)
    assert html.count('class="figure"') == 3


def test_quarter_report_carries_the_plan(closed, tmp_path):
    ws = closed
    priorities.save_plan(ws, "Ledgerly <b>&</b> Co", "2026-Q2",
                         [{"stage": "Onboard", "owner": "Ana", "effort": "M", "notes": "<script>fix</script> the wizard"}])
    ws.close()
    html, page = report(ws, tmp_path, "2026-Q2")
    plan = {r[1]: r for r in page.tables["plan"][1:]}
    assert plan["Onboard"][-3:] == ["Ana", "M", "<script>fix</script> the wizard"]
    assert "&lt;script&gt;fix&lt;/script&gt;" in html and "<script>fix" not in html


def test_the_pack_ranks_as_the_page_does_and_carries_each_stages_evidence(closed):
    """Ranked by customers on the page, the Markdown listed Onboard first under a sentence saying 'by the yearly
    value', and the pack always ranked by value; its plan had no touchpoint for any stage."""
    res = compute(closed, "Ledgerly <b>&</b> Co", Settings(grain="quarter"))
    for by in ("value", "customers"):
        page = Page()
        html = build_html(res, "L", "2026-Q2", plan=priorities.load_plan(closed, "Ledgerly <b>&</b> Co", "2026-Q2"), by=by)
        page.feed(html)
        header, *rows = page.tables["plan"]
        ranked = priorities.ranking(res, "2026-Q2", by=by)
        assert [r[1] for r in rows] == list(ranked["stage"])
        assert f"Stages ranked by {priorities.RANKED_BY[by]}" in html
        markdown = to_markdown(priorities.with_plan(ranked, priorities.load_plan(closed, "Ledgerly <b>&</b> Co", "2026-Q2")),
                               "L", "2026-Q2", by=by)
        assert f"Stages ranked by {priorities.RANKED_BY[by]} (the mean of the previous quarters)." in markdown
        evidence = dict(zip([r[1] for r in rows], [r[header.index("Top touchpoint")] for r in rows], strict=True))
        assert evidence["Onboard"].startswith("setup_error (risk ratio 1.97, 95% interval 1.78 to 2.17")
    assert [r[1] for r in rows][0] == "Onboard"  # by customers: 37 lost against a baseline of 2.3


MONEY = re.compile(r"[+-]?\d{1,3}(,\d{3})*|[+-]?\d+\.\d\d M")  # whole units, or millions
IN_FULL = re.compile(r"[+-]?\d{1,3}(,\d{3})*")  # a table's column: whole units, never "1.14 M" beside 132,039


def test_money_is_whole_in_the_report_and_the_pack(closed, tmp_path):
    """Amounts under 1,000 kept their cents (Use's value impact "+628.00", the plan's Buy "-9.67" where the
    Prioritise page and the meeting's Markdown read -10): every amount is whole, millions as "2.60 M"."""
    ws = closed
    priorities.save_plan(ws, "Ledgerly <b>&</b> Co", "2026-Q3", [{"stage": "Buy", "owner": "Ana"}])
    quarter = compute(ws, "Ledgerly <b>&</b> Co", Settings(grain="quarter"))
    saved = priorities.load_plan(ws, "Ledgerly <b>&</b> Co", "2026-Q3")
    ws.close()
    _, month = report(ws, tmp_path, "2026-10")
    stages = {r[0]: r for r in month.tables["stages"][1:]}
    assert stages["Use"][6] == "+628"  # the model's 627.996667
    # the value grew by 7.8%, the customers by 4.2%: each says its own
    assert month.headline == ("In 2026-10 the customer asset's yearly value grew by 7.8% to 2.60 M a year, "
                              "with 2,129 active customers (+4.2%, 86 more).")
    assert stages["Advocate"][6] == "-29" and stages["Buy"][2] == "100,005"  # 100,004.68
    assert month.cards["Asset value (a year)"]["value"] == "2.60 M"
    for name in ("stages", "drivers"):
        header, *rows = month.tables[name]
        for column, title in enumerate(header):
            if "(a year)" in title:
                assert all(IN_FULL.fullmatch(r[column]) for r in rows), (name, title, [r[column] for r in rows])
    _, pack = report(ws, tmp_path, "2026-Q3")
    plan = {r[1]: r for r in pack.tables["plan"][1:]}
    assert plan["Buy"][3] == "-10"  # the model's -9.67, as the page's %,.0f column shows it
    assert plan["Onboard"][3] == "+866"
    ranked = priorities.ranking(quarter, "2026-Q3")
    markdown = to_markdown(priorities.with_plan(ranked, saved), "L", "2026-Q3")
    buy = next(line for line in markdown.splitlines() if line.startswith("| ") and "| Buy |" in line)
    assert "(-10)" in buy
    for r in pack.tables["plan"][1:]:
        assert IN_FULL.fullmatch(r[3]) or r[3] == "-", r


@pytest.mark.skipif(not shutil.which("pdftotext") or not shutil.which("chromium"),
                    reason="pdftotext and chromium come with bash scripts/test.sh")
def test_pdf_pages_and_text(closed, tmp_path):
    ws = closed
    # an unbroken link in the notes and a long owner pushed the pack's plan off the page, the notes cut
    note = "https://jira.example.com/browse/CXP-12345?focusedCommentId=99887766&page=com.atlassian.jira.plugin Target: halve it"
    priorities.save_plan(ws, "Ledgerly <b>&</b> Co", "2026-Q2",
                         [{"stage": "Onboard", "owner": "PriyaRamanHeadOfCustomerExperienceEMEA", "notes": note}])
    ws.close()
    out = tmp_path / "pack.pdf"
    assert main(["report", "--dataset", "Ledgerly <b>&</b> Co", "--period", "2026-Q2", "--out", str(out),
                 "--workspace", str(ws.path)]) == 0
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 3 <= pages <= 6
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for words in ["customer asset report, 2026-Q2", "In 2026-Q2 the customer asset's yearly value grew", "Where the asset was won and lost",
                  "Touchpoints that go with losing customers", "Which stage to fix first", "Definitions"]:
        assert words in text
    plain = re.sub(r"\s", "", subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout)
    assert re.sub(r"\s", "", note) in plain and "PriyaRamanHeadOfCustomerExperienceEMEA" in plain  # all on the page
    # page breaks fall between blocks: each page starts with a heading, a chart title or a table, not mid-row
    for page_text in text.split("\f")[1:-1]:
        assert page_text.strip(), "an empty page"


def test_bad_requests_are_refused_with_a_sentence(closed, tmp_path, capsys):
    ws = closed
    ws.close()
    assert main(["report", "--dataset", "Ledgerly <b>&</b> Co", "--period", "2031-01", "--out", str(tmp_path / "r.html"),
                 "--workspace", str(ws.path)]) == 1
    assert "has no month '2031-01'; its months run from 2024-11 to 2026-10." in capsys.readouterr().err
    assert main(["report", "--dataset", "Ledgerly <b>&</b> Co", "--period", "2026-03", "--out", str(tmp_path / "r.docx"),
                 "--workspace", str(ws.path)]) == 1
    assert "can be written as .html or .pdf" in capsys.readouterr().err


def test_the_first_month_has_no_baseline_sentence(closed, tmp_path):
    """The data's first month has no baseline: the report says so instead of "No stage did worse than its
    baseline"; the second month's baseline is 1 month, not 3."""
    ws = closed
    ws.close()
    html, _ = report(ws, tmp_path, "2024-11")
    assert "2024-11 is the first month of the data: there is no baseline to compare the stages with yet." in html
    assert "than its baseline" not in html and "-month baseline" not in html
    html, _ = report(ws, tmp_path, "2024-12")
    assert set(re.findall(r"\d+-month baseline", html)) == {"1-month baseline"}
    html, _ = report(ws, tmp_path, "2026-10")
    assert "3-month baseline" in html and "(fewer at the start of the data, none in its first period)" in html


def test_a_quarter_in_progress_says_so_far(closed, tmp_path):
    """The sample ends on 2026-10-31: its 2026-Q4 pack covers one month of the quarter, and says so."""
    ws = closed
    ws.close()
    html, page = report(ws, tmp_path, "2026-Q4")
    assert "Ledgerly &lt;b&gt;&amp;&lt;/b&gt; Co: customer asset report, 2026-Q4 so far (to 2026-10-31)" in html
    assert page.headline.startswith("In 2026-Q4 so far (to 2026-10-31) the customer asset's yearly value ")
    assert ("2026-Q4 is not over: its numbers run to 2026-10-31. The changes against the previous quarter and the "
            "stages&#x27; baselines compare this part of a quarter with full quarters") in html
    deltas = [v["delta"] for v in page.cards.values()]
    assert len(deltas) == 5 and all(d.endswith(" vs the full previous quarter") for d in deltas), deltas
    assert "baseline of full quarters." in html
    html, page = report(ws, tmp_path, "2026-Q3")  # over: as before
    assert "so far" not in html and "data-part-period" not in html
    deltas = [v["delta"] for v in page.cards.values()]
    assert len(deltas) == 5 and all(d.endswith(" vs previous quarter") and "full" not in d for d in deltas), deltas


def test_too_few_customers_is_not_enough_data(tmp_path):
    """The worked example's 5 customers: no touchpoint has 30 on each side, the report says so."""
    out = tmp_path / "example.html"
    path = example_workspace(tmp_path)
    assert main(["report", "--dataset", "Example", "--period", "2026-03", "--out", str(out), "--workspace", str(path)]) == 0
    html = out.read_text()
    assert ("Not enough data to tell: every touchpoint was met, or not met, by fewer than 30 customers of its stage, "
            "and a risk ratio needs at least 30 on each side.") in html
    assert "clearly associated" not in html


def test_a_dataset_without_stages_says_so(tmp_path):
    out = tmp_path / "shop.html"
    path = shop_workspace(tmp_path)
    assert main(["report", "--dataset", "Shop", "--period", "2025-11", "--out", str(out), "--workspace", str(path)]) == 0
    html = out.read_text()
    assert narrative.without_stages([]) in html
    assert "No touchpoint could be tested: the stage map has no stages." in html
    assert "Hurt most against their baseline" not in html
