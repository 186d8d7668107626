"""The report download buttons (Overview, and Prioritise for the quarterly pack).

The document is made only when a button is clicked (Streamlit runs the callable then), so
drawing the page costs nothing; it is the same document as ``python -m analytics report``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from analytics import priorities
from ui.state import View, workspace
from views.report import build_html, html_to_pdf


def _html(view: View) -> str:
    plan = priorities.load_plan(workspace(), view.dataset.name, view.period) if view.grain == "quarter" else None
    return build_html(view.results, view.dataset.name, view.period, plan=plan, start=view.start)


def _pdf(view: View) -> bytes:
    with tempfile.TemporaryDirectory(prefix="journey-ledger-report-") as folder:
        html_path, pdf_path = Path(folder) / "report.html", Path(folder) / "report.pdf"
        html_path.write_text(_html(view), encoding="utf-8")
        html_to_pdf(html_path, pdf_path)
        return pdf_path.read_bytes()


def report_buttons(view: View, what: str = "this report") -> None:
    """Two buttons: the report as self-contained HTML and as PDF."""
    stem = f"journey-ledger-{view.period}" + (f"-{view.segment}" if view.segment else "")
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in stem)
    left, right = st.columns(2)
    left.download_button(f"Download {what} (HTML)", lambda: _html(view), file_name=f"{stem}.html", mime="text/html",
                         key="report_html", on_click="ignore", icon=":material/description:")
    right.download_button(f"Download {what} (PDF)", lambda: _pdf(view), file_name=f"{stem}.pdf",
                          mime="application/pdf", key="report_pdf", on_click="ignore", icon=":material/picture_as_pdf:")
