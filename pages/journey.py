"""Journey: where the asset was won and lost, stage by stage, against each stage's own baseline."""

from __future__ import annotations

import streamlit as st

from ui.downloads import table_button
from ui.state import sidebar, workspace
from views import charts, narrative, tables
from views.format import plural

st.title("Journey: where the asset was won and lost")
view = sidebar(workspace())
if view is None:
    st.stop()

res = view.results
grain, k = view.grain, res.settings.baseline
st.caption(view.caption())
if note := view.part_period_note():
    st.info(note)  # a part period set against full ones reads as a stage that hurt

period_stages = res.stages[res.stages.period == view.period]
entered, gained, lost = (period_stages[c].sum() for c in ("entered", "gained", "lost"))

st.subheader(f"Stages in {view.period}")
if note := narrative.without_stages(res.stage_names):
    st.info(note)
st.dataframe(
    tables.stage_table(period_stages, res.stage_names, res.goals), hide_index=True, key="journey_stages", placeholder="-",
    column_config={"Stage": st.column_config.Column(pinned=True), "Customer goal": st.column_config.Column(width="medium")},
)
table_button(view, tables.in_journey_order(period_stages, res.stage_names), "stages", "download_stages")
st.caption(
    f"Impact = (gained - baseline gained) - (lost - baseline lost): above 0 the stage helped the asset this {grain} "
    f"(green), below 0 it hurt (red), against the mean of the previous {plural(k, grain)} (fewer at the start of the data). "
    "Value impact is the same in yearly value. Entered: people whose first event in the stage falls in the "
    f"{grain}; advanced: those of them with a later event in a later stage (none after the last stage), up to the "
    "as-of date, so the latest periods show less advancement: their people have had less time. "
    "A lost customer counts at the stage of their last event before the loss and takes their yearly worth "
    "(revenue of the last 365 days) with them."
)
notes = []
if not tables.has_baseline(period_stages):
    notes.append(f"{view.period} is the first {grain} of the data and baselines need at least two periods, "
                 "so impact is blank: choose a later period to see which stages helped or hurt.")
if lost == 0:
    notes.append(f"No customers were lost in {view.period}.")
if gained == 0:
    notes.append(f"No customers were gained or won back in {view.period}.")
for note in notes:
    st.info(note)

st.subheader("Impact over time")
shown = view.periods_shown()
if not tables.has_baseline(res.stages[res.stages.period.isin(shown)]):
    st.info(f"Baselines need at least two periods: up to {view.period} there is no earlier {grain} to compare "
            "with. Choose a later period.")
else:
    measure = st.radio("Impact in", ["customers", "value"], key="journey_heatmap_measure", horizontal=True,
                       format_func={"customers": "customers", "value": "yearly value"}.get)
    st.plotly_chart(charts.impact_heatmap(res.stages, res.stage_names, shown, value=measure == "value"),
                    width="stretch", key="journey_heatmap")

st.subheader(f"Gained and lost at each stage in {view.period}")
# one above the other, each the page's width, so that long stage names keep their room
if gained or lost:  # else the notes above say so
    st.plotly_chart(charts.gained_and_lost(period_stages, res.stage_names), width="stretch", key="journey_gained_lost")
    st.caption("The bars count customers; the dark marks are each stage's baseline, the mean of its previous "
               f"{plural(k, grain)} (fewer at the start of the data). A bar beyond its mark is more than usual.")
st.subheader(f"First entries into each stage in {view.period}")
if entered == 0:
    st.info(f"Nobody entered a stage for the first time in {view.period}.")
else:
    st.plotly_chart(charts.funnel(period_stages, res.stage_names), width="stretch", key="journey_funnel")
