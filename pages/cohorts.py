"""Cohorts and segments: how long each acquisition cohort stays, and where each persona's journey differs."""

from __future__ import annotations

import streamlit as st

from analytics.model import Settings
from ui.downloads import table_button
from ui.format import md
from ui.state import ALL, as_of_for, dataset_version, results, segment_stages, sidebar, workspace
from views import charts
from views import prioritise as tables
from views.format import money, signed

st.title("Cohorts and segments")
view = sidebar(workspace())
if view is None:
    st.stop()

res, ds = view.results, view.dataset
st.caption(view.caption())

# ---- retention by acquisition cohort ----------------------------------------------------------
st.header("Retention by acquisition cohort")
cohorts = tables.cohorts_in_range(res.cohorts, res.periods, view.start)
st.plotly_chart(charts.retention_heatmap(cohorts, view.grain), width="stretch", key="retention")
st.caption(
    f"Each row is the customers first acquired in a {view.grain} (how many in brackets); each cell the share of them "
    f"active at the end of the k-th {view.grain} after, up to the as-of date. Cohorts acquired before the start of the "
    "date range are left out." + (" Only the customers of the chosen segment." if view.segment else "")
)

# ---- the stage table of each segment side by side ---------------------------------------------
st.header(f"Stages by segment, {view.period}")
if note := view.part_period_note():
    st.info(note)
if not res.segments:
    st.info("This dataset has no segment column (or no customer has a segment), so there are no personas to "
            "compare. Map a segment or persona column when uploading the export on the Data page.")
    st.stop()

as_of = as_of_for(ds, res.settings.as_of.date())  # as the sidebar makes it: the same cached runs as the sidebar's
per_segment = {s: segment_stages(ds.name, dataset_version(ds), Settings(grain=view.grain, as_of=as_of, segment=s))
               for s in res.segments}
per_segment[ALL] = results(ds.name, dataset_version(ds), Settings(grain=view.grain, as_of=as_of)).stages
segments = list(per_segment)
comparison = tables.segment_comparison(per_segment, view.period, res.stage_names)
st.dataframe(tables.segment_comparison_style(comparison, segments), hide_index=True, width="stretch", placeholder="-",
             key="segment_stages", column_config={"stage": st.column_config.TextColumn("Stage", pinned=True)})
table_button(view, comparison, "stages-by-segment", "download_segment_stages")
st.caption(
    "Impact: each stage against its own baseline within the segment, (gained - baseline gained) - (lost - baseline "
    "lost), in customers and in yearly value; below 0 the stage hurt. Red: each segment's most negative impact. Then "
    "the customers lost at each stage. Every segment is shown whatever the sidebar's segment filter."
)

worst = tables.worst_stages({s: t for s, t in per_segment.items() if s != ALL}, view.period, res.stage_names)
if worst:
    st.markdown("**Where each segment was hurt most**")
    for w in worst:
        st.markdown(
            f"- {md(w['segment'])}: {md(w['stage'])}, impact {w['impact']:+.1f} customers "
            f"({signed(w['value_impact'], money)} a year) against its baseline "
            f"({w['gained']} gained, {w['lost']} lost)."
        )
elif not tables.has_baseline(per_segment, view.period):
    st.info(f"{view.period} is the first {view.grain} of the data: there is no baseline to compare with yet.")
else:
    st.info(f"No stage did worse than its baseline in {view.period} in any segment.")
