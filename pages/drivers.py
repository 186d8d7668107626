"""Drivers: which touchpoints inside a stage go with losing customers (associations, not causes)."""

from __future__ import annotations

import streamlit as st

from ui.downloads import table_button
from ui.format import md
from ui.state import kept_choice, sidebar, stop_without_stages, workspace
from views import charts, tables
from views.format import count, percent

st.title("Drivers: touchpoints that go with losing customers")
view = sidebar(workspace())
if view is None:
    st.stop()

res = view.results
as_of = f"{res.settings.as_of:%Y-%m-%d}"
st.caption(view.caption())

# The stage follows the period's worst stage until someone picks another one, kept for the session.
stop_without_stages(view, "there are no touchpoints to compare")
stages = res.stage_names
worst = tables.worst_stage(res.stages, view.period, stages)
stage = st.selectbox("Stage", stages, key="drivers_stage", on_change=kept_choice("drivers_stage", stages, worst),
                     help=f"Opens on the stage that hurt the asset most in {view.period} (most negative impact), "
                          "until you pick another.")

st.info(
    "These are associations, not proof of cause: customers exposed to a touchpoint were lost more (or less) often "
    "than the other customers of the stage, and other differences between the two groups (persona, plan, how long "
    "they have been customers) may explain it."
)

rows = tables.stage_drivers(res.drivers, stage)
n, n_lost = tables.population(rows)
share = percent(n_lost / n) if n else "-"
churn = ", ".join(md(e) for e in view.dataset.stage_map.churn_events)
# DOMAIN.md's population is "every acquired customer with an event in s"; a churn event is left out of it
# (analytics/model.py, drivers), and the caption says so, since it changes the counts shown.
churn_rule = (f" Churn events ({churn}) are the loss itself: they neither bring anyone into the stage nor are "
              "tested as touchpoints." if churn else "")
st.caption(
    f"Population: the {count(n)} acquired customers with an event in {md(stage)} up to {as_of}"
    f"{', other than a churn event' if churn else ''}. Outcome: lost at least once up to {as_of}, as "
    f"{count(n_lost)} of them were ({share}).{churn_rule} Drivers use the whole history up to the as-of date, not "
    f"only {view.period}: the period only chooses the stage shown first."
)
if rows.empty:
    st.info(f"{md(stage)} has no touchpoints to test: its events are all churn events, or it has none.")
    st.stop()

if rows["risk_ratio"].notna().any():
    st.plotly_chart(charts.forest(rows, stage), width="stretch", key="drivers_forest")
else:
    st.info(f"Not enough data for a risk ratio in {md(stage)}: every touchpoint has fewer than 30 customers "
            "exposed or fewer than 30 not exposed.")

st.dataframe(tables.driver_table(rows), hide_index=True, key="drivers_table", placeholder="-",
             column_config={"Touchpoint": st.column_config.Column(pinned=True)})
table_button(view, rows, f"drivers-{stage}", "download_drivers")
st.caption(
    "Ranked by risk ratio: the loss rate of the exposed over that of the others (1 = same risk), with its 95% "
    "interval; red when the whole interval is above 1, green when below. p-value: two-proportion z-test; q-value: "
    "the p-value adjusted for testing every touchpoint of every stage together (Benjamini-Hochberg). "
    "\"not enough data\": fewer than 30 customers exposed or not exposed. At stake: the exposed customers still "
    f"active on {as_of}, and their yearly worth (revenue of the last 365 days)."
)
