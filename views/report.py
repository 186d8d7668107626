"""The customer-asset report that leaves the app: one self-contained HTML document, and its PDF.

Built from the same :class:`~analytics.model.Results`, cards, sentences and plotly figures as
the Overview and Prioritise pages, never a second computation. The HTML carries plotly.js
inline (no network: it opens offline in any browser); the PDF is that HTML printed by the
headless Chromium the tests already use, with page breaks kept out of charts and tables.
Every piece of user text (dataset, stage, event, segment names, plan notes) is HTML-escaped.
"""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path

import pandas as pd
from plotly.offline import get_plotlyjs

from analytics import priorities
from analytics.model import Results, baseline_periods
from views import charts, narrative
from views.cards import cards
from views.format import count, money_in_full, plural, signed_decimal, signed_money
from views.prioritise import touchpoint_text

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]

FIGURE_WIDTH = 700  # px: fits an A4 page's printable width
REPORT_TEMPLATE = "plotly"

CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: Inter, "Segoe UI", Helvetica, Arial, sans-serif; color: #263238; max-width: 720px;
       margin: 24px auto; padding: 0 16px; font-size: 14px; line-height: 1.45; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 26px 0 8px; border-bottom: 1px solid #cfd8dc; break-after: avoid; page-break-after: avoid; }
.meta { color: #607d8b; margin-bottom: 14px; }
.headline { font-size: 19px; font-weight: 600; margin: 12px 0 16px; }
.cards { display: flex; gap: 10px; flex-wrap: wrap; }
.card { flex: 1 1 150px; border: 1px solid #cfd8dc; border-radius: 6px; padding: 8px 10px; }
.card .label { color: #607d8b; font-size: 12px; } .card .value { font-size: 22px; font-weight: 600; }
.card .delta { font-size: 12px; } .good { color: #2e7d32; } .bad { color: #c62828; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; margin: 6px 0; }
th, td { border-bottom: 1px solid #eceff1; padding: 4px 6px; text-align: right; vertical-align: top; }
td:not(.text) { white-space: nowrap; }
td.long { overflow-wrap: anywhere; min-width: 7em; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
th { background: #f5f7f8; }
.keep { break-inside: avoid; page-break-inside: avoid; }
.figure { break-inside: avoid; page-break-inside: avoid; margin: 6px 0; }
.pagebreak { break-before: page; page-break-before: always; }
.note { color: #607d8b; font-size: 12px; }
.nowrap { white-space: nowrap; }
.part { border-left: 3px solid #f9a825; padding: 4px 10px; background: #fffde7; }
ul { margin: 4px 0 8px 18px; padding: 0; }
"""


def _figure(fig, name: str, height: int | None = None) -> str:
    # plotly's own template, whatever the process's default: inside Streamlit the default is Streamlit's,
    # and the report downloaded from a page must be the same document as the command line's
    fig = fig.update_layout(template=REPORT_TEMPLATE, width=FIGURE_WIDTH, **({"height": height} if height else {}))
    html = fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                       config={"displayModeBar": False, "staticPlot": False}, div_id=f"fig-{name}")
    return f'<div class="figure" data-figure="{name}">{html}</div>'


def _table(df: pd.DataFrame, text_columns: tuple[str, ...] = (), name: str = "", long_columns: tuple[str, ...] = ()) -> str:
    """An HTML table; ``long_columns`` (text typed by people: owners, notes) may break anywhere, so that an
    unbroken URL wraps inside the page instead of pushing the table off it."""
    def cls(c) -> str:
        return " ".join(k for k, cols in (("text", text_columns), ("long", long_columns)) if c in cols)

    head = "".join(f'<th class="{cls(c)}">{escape(str(c))}</th>' for c in df.columns)
    rows = []
    for record in df.itertuples(index=False):
        cells = "".join(f'<td class="{cls(c)}">{escape(str(v))}</td>' for c, v in zip(df.columns, record, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    return f'<table class="keep" data-table="{name}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def stage_summary(res: Results, period: str) -> pd.DataFrame:
    """Where the asset was won and lost, by stage (journey order, then Unmapped)."""
    rows = res.stages[res.stages.period == period]
    return pd.DataFrame({
        "Stage": rows.stage,
        "Gained (customers)": rows.gained.map(count),
        "Gained value (a year)": rows.gained_value.map(money_in_full),
        "Lost (customers)": rows.lost.map(count),
        "Lost value (a year)": rows.lost_value.map(money_in_full),
        "Impact vs baseline (customers)": rows.impact.map(signed_decimal),
        "Value impact (a year)": rows.value_impact.map(signed_money),
    })


def top_drivers(res: Results, n: int = 5) -> pd.DataFrame:
    """The touchpoints most associated with loss: risk ratio's interval above 1, highest first."""
    d = res.drivers.dropna(subset=["risk_ratio"])
    d = d[d.ci_low > 1].sort_values("risk_ratio", ascending=False).head(n)
    return pd.DataFrame({
        "Stage": d.stage,
        "Touchpoint": d.event,
        "Lost if exposed": [f"{a / n1 * 100:.0f}% of {count(n1)}" for a, n1 in zip(d.exposed_lost, d.exposed, strict=True)],
        "Lost if not": [f"{c / n0 * 100:.0f}% of {count(n0)}" for c, n0 in zip(d.unexposed_lost, d.unexposed, strict=True)],
        "Risk ratio (95% interval)": [f"{r:.2f} ({lo:.2f} to {hi:.2f})" for r, lo, hi in zip(d.risk_ratio, d.ci_low, d.ci_high, strict=True)],
        "q-value": d.q_value.map(lambda q: "< 0.001" if q < 0.001 else f"{q:.3f}"),
        "At stake (customers)": d.customers_at_stake.map(count),
        "Value at stake (a year)": d.value_at_stake.map(money_in_full),
    })


def plan_table(res: Results, quarter: str, plan: pd.DataFrame, by: str = "value") -> pd.DataFrame:
    """The quarter's prioritisation (ranked ``by`` value or customers, as on the page) with each stage's
    evidence (its top touchpoint) and the meeting's owners, effort and notes."""
    ranked = priorities.with_plan(priorities.ranking(res, quarter, by=by), plan)
    return pd.DataFrame({
        "Rank": ranked["rank"],
        "Stage": ranked.stage,
        "Lost beyond baseline (customers)": ranked.excess_lost.map(signed_decimal),
        "Value lost beyond baseline (a year)": ranked.excess_lost_value.map(signed_money),
        "Confidence": ranked.confidence,
        "Top touchpoint": [touchpoint_text(r) for _, r in ranked.iterrows()],
        "Owner": ranked.owner,
        "Effort": ranked.effort,
        "Notes": ranked.notes,
    })


def build_html(res: Results, dataset: str, period: str, *, plan: pd.DataFrame | None = None,
               made: datetime | None = None, start: date | None = None, by: str = "value") -> str:
    """The whole report as one HTML document (plotly.js inline, nothing fetched).

    ``start``: the first day of the date range (the sidebar's), where the trend starts, as on the
    Overview page; None for the data's first day. ``by``: the plan's order (the quarterly pack), as the
    Prioritise page ranks it."""
    made = made or datetime.now(UTC)
    grain = res.settings.grain
    row = res.movements.set_index("period", drop=False).loc[period]
    segment = res.settings.segment
    label = narrative.period_label(period, res.periods, res.settings.as_of)  # "2026-05 so far (to 2026-05-15)"
    part = label != period
    title = f"{dataset}: customer asset report, {label}"
    parts = [
        # the period's label kept on one line: an ISO date is not cut at its hyphens
        f'<h1>{escape(f"{dataset}: customer asset report, ")}<span class="nowrap">{escape(label)}</span></h1>',
        f'<div class="meta">{"Segment: " + escape(segment) + " · " if segment else ""}'
        f"{grain} {escape(label)} · data as of {res.settings.as_of:%Y-%m-%d} · made {made:%Y-%m-%d %H:%M} UTC</div>",
        f'<div class="headline" data-headline>{escape(narrative.headline(row, label))}</div>',
    ]
    if note := narrative.part_period_note(period, res.periods, res.settings.as_of, grain):
        parts.append(f'<p class="part" data-part-period>{escape(note)}</p>')
    parts.append('<div class="cards keep">')
    versus = f"vs the full previous {grain}" if part else f"vs previous {grain}"
    for c in cards(res.movements, period):
        good = None if not c.delta or c.delta[0] not in "+-" else (c.delta[0] == "+") != c.lower_is_better
        css = "" if good is None else ("good" if good else "bad")
        delta = f'<div class="delta {css}">{escape(c.delta)} {versus}</div>' if c.delta else ""
        parts.append(f'<div class="card" data-card="{escape(c.label)}"><div class="label">{escape(c.label)}</div>'
                     f'<div class="value">{escape(c.value)}</div>{delta}</div>')
    parts.append("</div>")
    parts.append('<h2>What changed</h2><ul class="keep">' + "".join(
        f"<li>{escape(s)}</li>" for s in narrative.movement_sentences(row)) + "</ul>")
    parts.append(_figure(charts.customer_waterfall(row), "customers", 330))
    parts.append(_figure(charts.value_waterfall(row), "value", 330))
    shown = charts.trend_periods(res.periods, start, period)
    parts.append(_figure(charts.trend(res.movements[res.movements.period.isin(shown)]), "trend", 360))
    baseline = baseline_periods(list(res.periods.period), period, res.settings.baseline)
    hurt, helped = narrative.stage_sentences(res.stages[res.stages.period == period], baseline, grain, part=part)
    parts.append('<section class="keep"><h2>Where the asset was won and lost</h2>')
    parts.append(_table(stage_summary(res, period), ("Stage",), "stages") + "</section>")
    if note := narrative.without_stages(res.stage_names) or narrative.without_baseline(period, grain, baseline):
        parts.append(f'<p class="keep">{escape(note)}</p>')
    else:
        parts.append('<div class="keep"><p><b>Hurt most against their baseline</b></p><ul>'
                     + "".join(f"<li>{escape(s)}</li>" for s in hurt or ["No stage did worse than its baseline."])
                     + "</ul><p><b>Helped most</b></p><ul>"
                     + "".join(f"<li>{escape(s)}</li>" for s in helped or ["No stage did better than its baseline."])
                     + "</ul></div>")
    drivers = top_drivers(res)
    parts.append('<section class="keep"><h2>Touchpoints that go with losing customers</h2>')
    if drivers.empty:
        parts.append(f"<p>{escape(narrative.no_driver(res.drivers, res.stage_names))}</p>")
    else:
        parts.append(_table(drivers, ("Stage", "Touchpoint"), "drivers"))
    parts.append('<p class="note">These are associations, not proof of cause: customers who met a touchpoint were lost more '
                 "often than the others of its stage, over all the history up to the report's date; other differences "
                 "between them may explain it.</p></section>")
    if grain == "quarter" and plan is not None:
        parts.append('<div class="pagebreak"></div><h2>Which stage to fix first: the plan for ' + escape(period) + "</h2>")
        parts.append(_table(plan_table(res, period, plan, by), ("Stage", "Confidence", "Top touchpoint", "Owner", "Effort", "Notes"),
                            "plan", long_columns=("Owner", "Notes")))
        parts.append(f'<p class="note">Stages ranked by {escape(priorities.RANKED_BY[by])} (the mean of the previous '
                     f"quarters). Confidence: {escape(priorities.CONFIDENCE_RULE)}. Top touchpoint: the "
                     "stage's touchpoint most associated with loss, an association, not proof of cause.</p>")
    parts.append(
        '<h2>Definitions</h2><p class="note keep">'
        f"A customer is active from their first payment; each payment keeps them active for "
        f"{plural(res.settings.churn_after_days, 'day')} (the churn window), and a churn event ends it. The asset value is, for "
        "the active customers, their revenue over the trailing 365 days: the asset's yearly worth. Lost customers are "
        "attributed to the stage of their last event before the loss, gained ones to the stage of the payment that "
        f"brought them. A stage's baseline is the mean of its previous {plural(res.settings.baseline, grain)} "
        "(fewer at the start of the data, none in its first period); impact = "
        "(gained - baseline gained) - (lost - baseline lost). Periods are calendar "
        f"{grain}s in UTC; data as of {res.settings.as_of:%Y-%m-%d %H:%M} UTC. Churn rate = customers lost / customers "
        f"active at the start of the {grain}. Money is in the currency of the export.</p>"
    )
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline' "
        "'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:\">"
        f"<title>{escape(title)}</title><style>{CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>{body}</body></html>"
    )


def html_to_pdf(html_path: Path, pdf_path: Path) -> None:
    """Print the HTML report to PDF (A4) with the headless Chromium the browser tests use.

    Runs on a thread of its own: Playwright's synchronous API refuses to start inside a thread
    that already runs an event loop (a test session's browser, a server's).
    """
    errors: list[BaseException] = []

    def work() -> None:
        try:
            _print_pdf(html_path, pdf_path)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=work, name="report-pdf")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _print_pdf(html_path: Path, pdf_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
            page.goto(html_path.resolve().as_uri())
            page.wait_for_function("() => document.querySelectorAll('.figure .main-svg').length >= 3", timeout=60_000)
            page.pdf(path=str(pdf_path), format="A4", print_background=True,
                     margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"})
        finally:
            browser.close()


def write_report(ws, dataset: str, period: str, out: Path, *, grain: str = "month", segment: str | None = None) -> Path:
    """Compute the dataset's results and write the report of ``period`` to ``out`` (.html or .pdf)."""
    from analytics.errors import JourneyLedgerError
    from analytics.model import Settings, compute

    if out.suffix.lower() not in (".html", ".pdf"):
        raise JourneyLedgerError(f"The report can be written as .html or .pdf, not {out.suffix or 'a file without an ending'}.")
    res = compute(ws, dataset, Settings(grain=grain, segment=segment))
    if period not in set(res.movements.period):
        known = list(res.movements.period)
        raise JourneyLedgerError(
            f"{dataset!r} has no {grain} {period!r}; its {grain}s run from {known[0]} to {known[-1]}." if known
            else f"{dataset!r} has no events to report on."
        )
    plan = priorities.load_plan(ws, dataset, period) if grain == "quarter" else None
    html = build_html(res, dataset, period, plan=plan)
    if out.suffix.lower() == ".html":
        out.write_text(html, encoding="utf-8")
        return out
    html_path = out.with_suffix(".report.html")
    html_path.write_text(html, encoding="utf-8")
    try:
        html_to_pdf(html_path, out)
    finally:
        html_path.unlink(missing_ok=True)
    return out
