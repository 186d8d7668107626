"""The download buttons: the report (Overview, and Prioritise for the quarterly pack) and the pages' tables.

The document is made only when a button is clicked (Streamlit runs the callable then), so
drawing the page costs nothing; it is the same document as ``python -m analytics report``.

The tables' own toolbar download is off (``client.disableDataExport``): it wrote a stage or event named
``=...`` or ``@...`` as a formula a spreadsheet would run. :func:`table_button` writes the model's table,
unrounded, through :func:`analytics.export.to_csv`, which makes such cells plain text.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from analytics import priorities
from analytics.export import to_csv
from ui.state import View, workspace
from views.report import build_html, html_to_pdf


def _html(view: View, by: str = "value") -> str:
    plan = priorities.load_plan(workspace(), view.dataset.name, view.period) if view.grain == "quarter" else None
    return build_html(view.results, view.dataset.name, view.period, plan=plan, start=view.start, by=by)


def _pdf(view: View, by: str = "value") -> bytes:
    with tempfile.TemporaryDirectory(prefix="journey-ledger-report-") as folder:
        html_path, pdf_path = Path(folder) / "report.html", Path(folder) / "report.pdf"
        html_path.write_text(_html(view, by), encoding="utf-8")
        html_to_pdf(html_path, pdf_path)
        return pdf_path.read_bytes()


def file_stem(view: View, what: str = "journey-ledger") -> str:
    """A download's file name without its extension, which tells one download from another once sent on:
    what it is, the dataset, the period and the segment ('priorities-Shop-EU-2026-Q2-Solo-maker')."""
    parts = [what, view.dataset.name, view.period, view.segment or ""]
    stem = "-".join(p for p in parts if p)
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in stem)
    while "--" in stem:
        stem = stem.replace("--", "-")
    return stem.strip("-")[:150]


def table_button(view: View, table, what: str, key: str) -> None:
    """A button to download ``table`` (the model's numbers, unrounded) as spreadsheet-safe CSV."""
    st.download_button("Download this table (CSV)", to_csv(table), file_name=f"{file_stem(view, what)}.csv",
                       mime="text/csv", key=key, on_click="ignore")


def report_buttons(view: View, what: str = "this report", by: str = "value") -> None:
    """Two buttons: the report as self-contained HTML and as PDF (``by``: the quarterly pack's plan order)."""
    stem = file_stem(view)
    left, right = st.columns(2)
    left.download_button(f"Download {what} (HTML)", lambda: _html(view, by), file_name=f"{stem}.html", mime="text/html",
                         key="report_html", on_click="ignore", icon=":material/description:")
    right.download_button(f"Download {what} (PDF)", lambda: _pdf(view, by), file_name=f"{stem}.pdf",
                          mime="application/pdf", key="report_pdf", on_click="ignore", icon=":material/picture_as_pdf:")
