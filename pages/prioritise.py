"""Prioritise: the quarterly meeting. Which stage lost most beyond its baseline, and who fixes it."""

from __future__ import annotations

import hashlib

import streamlit as st

from analytics import priorities
from analytics.errors import JourneyLedgerError
from analytics.export import to_csv
from ui.downloads import file_stem, report_buttons
from ui.format import COUNT_FORMAT, md
from ui.state import kept_choice, sidebar, stop_without_stages, workspace
from views import charts
from views import prioritise as tables
from views.format import plural

RANK_BY = {"value": "Value lost beyond baseline", "customers": "Customers lost beyond baseline"}

st.title("Prioritise: which stage to fix first")
ws = workspace()
view = sidebar(ws, grain="quarter")
if view is None:
    st.stop()

res, ds, quarter = view.results, view.dataset, view.period
st.caption(view.caption())
if note := view.part_period_note():
    st.info(note)

stop_without_stages(view, "there is nothing to rank")  # (and an empty plan editor would fail on its column types)

by = st.radio("Rank by", list(RANK_BY), format_func=RANK_BY.get, key="rank_by", horizontal=True,
              on_change=kept_choice("rank_by", RANK_BY, "value"),
              help="Value: the yearly worth of the customers lost beyond the stage's baseline. "
                   "Customers: how many more customers than usual the stage lost.")
ranked = priorities.ranking(res, quarter, by=by)
periods = priorities.trend_periods(res, quarter)

st.subheader("Stages ranked by what they lost beyond their baseline")
if not priorities.has_baseline(ranked):
    st.info(f"{quarter} is the first quarter of the data: there is no baseline to compare with yet. "
            "Choose a later quarter in the sidebar.")
elif priorities.lost_more_than_baseline(ranked, by).empty:
    st.info(f"No stage lost more than its baseline in {quarter}: nothing stands out to fix this quarter.")
st.dataframe(
    tables.ranking_table(ranked),
    hide_index=True, width="stretch", key="ranking", placeholder="-",
    column_config={
        "rank": st.column_config.NumberColumn("Rank", format="%d"),
        "stage": "Stage",
        "lost": st.column_config.NumberColumn("Lost (customers)", format=COUNT_FORMAT),
        "baseline_lost": st.column_config.NumberColumn("Baseline lost (customers)", format="%.1f"),
        "excess_lost": st.column_config.NumberColumn("Lost beyond baseline (customers)", format="%+.1f"),
        "lost_value": st.column_config.NumberColumn("Value lost (money a year)", format="%,.0f"),
        "baseline_lost_value": st.column_config.NumberColumn("Baseline value lost (money a year)", format="%,.0f"),
        "excess_lost_value": st.column_config.NumberColumn("Value lost beyond baseline (money a year)", format="%,.0f"),
        "confidence": st.column_config.TextColumn(
            "Confidence", help=f"Confidence: {priorities.CONFIDENCE_RULE}."),
        "touchpoint": st.column_config.TextColumn(
            "Top touchpoint (risk ratio, 95% interval, q)", width="large",
            help="The stage's touchpoint with the highest risk ratio of loss whose interval lies above 1, "
                 "over every customer up to the as-of date. An association, not proof of cause."),
        "trend": st.column_config.LineChartColumn(f"Value lost beyond baseline, {periods[0]} to {periods[-1]}"),
    },
)
st.caption(
    "Baseline: the mean of the previous quarters (up to " + str(res.settings.baseline) + "). Value: the yearly worth "
    "(revenue of the last 365 days) of the customers lost at the stage. Customers acquired and lost inside the same "
    "quarter are not counted as lost: they were not active at its start or at its end. Touchpoints are associations with loss, not proof of cause."
)
st.plotly_chart(charts.priority_trend(ranked, periods), width="stretch", key="trend")

st.subheader(f"The plan for {quarter}")
if view.segment:  # the plan belongs to the stage and the quarter, not to a segment
    st.caption(f"One plan per quarter for all of {md(ds.name)}: its owners, effort and notes are the same under every "
               f"segment, and saving here replaces it for all. The numbers beside them are those of {md(view.segment)}.")
# The editor keeps its edits by row, in the browser too, and the rows follow the ranking: when they move
# (another quarter, ranking by customers, a segment, an end date) the editor is another widget, keyed by its
# rows (dropping the old one's state in the session left the browser's, which put an owner typed on Use on
# Onboard too), and the plan typed and not yet saved is shown from the session's draft, kept by stage
# (also while other pages are visited).
plan_key = (ds.name, quarter)
drafts = st.session_state.setdefault("plan_drafts", {})
rows_for = repr((plan_key, tuple(ranked["stage"])))
editor_key = "plan_editor_" + hashlib.sha256(rows_for.encode()).hexdigest()[:12]
saved = priorities.load_plan(ws, ds.name, quarter)
plan = priorities.with_plan(ranked, drafts.get(plan_key, saved))
edited = st.data_editor(
    tables.plan_table(plan),
    key=editor_key, hide_index=True, width="stretch", num_rows="fixed", placeholder="",  # empty, to fill in
    disabled=["rank", "stage", "excess_lost", "excess_lost_value", "confidence"],
    column_config={
        "rank": st.column_config.NumberColumn("Rank", format="%d"),
        "stage": "Stage",
        "excess_lost": st.column_config.NumberColumn("Lost beyond baseline (customers)", format="%+.1f"),
        "excess_lost_value": st.column_config.NumberColumn("Value lost beyond baseline (money a year)", format="%,.0f"),
        "confidence": "Confidence",
        "owner": st.column_config.TextColumn("Owner", max_chars=priorities.MAX_OWNER),
        "effort": st.column_config.SelectboxColumn("Effort", options=list(priorities.EFFORTS)),
        "notes": st.column_config.TextColumn("Notes", width="large", max_chars=priorities.MAX_NOTES),
    },
)
if priorities.same_plan(edited, saved):
    drafts.pop(plan_key, None)
else:
    drafts[plan_key] = edited[priorities.PLAN_COLUMNS].copy()
if st.button("Save plan", key="save_plan", type="primary"):
    try:
        stored = priorities.save_plan(ws, ds.name, quarter, edited)
    except JourneyLedgerError as exc:
        st.error(md(exc))
    else:
        drafts.pop(plan_key, None)
        st.success(f"Plan for {quarter} saved: {plural(stored, 'stage')} with an owner, effort or notes.")
elif plan_key in drafts:
    st.caption("This plan has changes that are not saved: Save plan keeps them. Until then they stay here while "
               "you visit other pages, in this browser tab only.")

final = priorities.with_plan(ranked, edited)
left, right = st.columns(2)
left.download_button(
    "Download the ranking and plan (CSV)",
    to_csv(priorities.export_table(final, periods, {"dataset": ds.name, "quarter": quarter, "segment": view.segment,
                                                    "as_of": f"{res.settings.as_of:%Y-%m-%d %H:%M}",
                                                    "ranked_by": priorities.RANKED_BY[by]})),
    file_name=f"{file_stem(view, 'priorities')}.csv", mime="text/csv", key="download_csv", on_click="ignore",
)
right.download_button(
    "Download for the meeting notes (Markdown)",
    tables.to_markdown(final, ds.name, quarter, segment=view.segment, as_of=res.settings.as_of, by=by),
    file_name=f"{file_stem(view, 'priorities')}.md", mime="text/markdown", key="download_md", on_click="ignore",
)
st.caption("The downloads hold the plan as it is in the editor, saved or not.")
st.subheader("The quarterly pack")
st.caption(f"The customer-asset report of {quarter} with this ranking and the saved plan, to send or print.")
report_buttons(view, "the quarterly pack", by=by)
