"""Rendering a dataset's validation report and stage map with Streamlit elements (no HTML)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.ingest import decimal_mark_text, refused_where
from ui.format import count_columns, md, when
from views.format import count

METRIC_WIDTH = 250  # px: "10,000,000 rows" whole


def render_report(report: dict) -> None:
    """The validation report of an ingest: what was read, kept and refused, and why."""
    # a row that wraps: four columns cut "541,909 rows" to "541,909 ..." on a 1,280-pixel window
    with st.container(horizontal=True, wrap=True):
        for label, n, unit in (("Rows read", report["rows_read"], "rows"), ("Rows kept", report["rows_kept"], "rows"),
                               ("Rows refused", report["rows_refused"], "rows"), ("Customers", report["customers"], "people")):
            st.metric(label, count(n, unit), width=METRIC_WIDTH)
    st.caption(
        f"File {md(report['file'])}: {md(report['encoding'])}, delimiter {md(repr(report['delimiter']))}, "
        f"timestamps read as {md(report['date_format'])}"
        + (f"; {md(mark)}" if (mark := decimal_mark_text(report)) else "")
        + f". Events from {when(report['first_event'])} "
        f"to {when(report['last_event'])} UTC. Duplicate rows removed: {count(report['duplicates'], 'rows')}."
    )
    if report["refused"]:
        st.markdown("**Refused rows, by reason**")
        st.dataframe(
            pd.DataFrame(
                {
                    "reason": [r["label"] for r in report["refused"]],
                    "rows": [r["rows"] for r in report["refused"]],
                    "first rows": [
                        refused_where(r, more=False) for r in report["refused"]
                    ],
                    "what to do": [r["fix"] for r in report["refused"]],
                }
            ),
            hide_index=True,
            width="stretch",
            placeholder="-",
            column_config=count_columns("rows"),
        )
        st.caption("Rows are numbered as a spreadsheet numbers them: the header is row 1.")
    else:
        st.success("Every row was kept.")
    st.markdown("**Column mapping used**")
    st.dataframe(
        pd.DataFrame({"column": list(report["mapping"]), "comes from": list(report["mapping"].values())}),
        hide_index=True,
        placeholder="-",
    )
    if report["unmapped"]:
        st.markdown("**Events with no stage** (shown as Unmapped; assign them in the stage map)")
        st.dataframe(
            pd.DataFrame({"event": [u["event"] for u in report["unmapped"]], "rows": [u["rows"] for u in report["unmapped"]]}),
            hide_index=True,
            placeholder="-",
            column_config=count_columns("rows"),
        )
    else:
        st.caption("Every event belongs to a stage.")
    for note in report.get("notes", []):
        st.info(md(note))
    for warning in report.get("warnings", []):
        st.warning(md(warning))
