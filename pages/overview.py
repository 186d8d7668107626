"""Overview: the monthly customer-asset report. What changed, and why, at a glance."""

from __future__ import annotations

import streamlit as st

from analytics.model import baseline_periods
from ui.downloads import report_buttons
from ui.format import md
from ui.state import sidebar, workspace
from views import charts, narrative
from views.cards import cards

CARD_WIDTH = 150  # px: five in a row from a 1,280-pixel window, each value ("307,093", "2.60 M") whole

st.title("Customer asset report")
view = sidebar(workspace())
if view is None:
    st.stop()

res = view.results
moves = res.movements.set_index("period", drop=False)
row = moves.loc[view.period]
part = view.label != view.period
st.caption(view.caption())

st.subheader(md(narrative.headline(row, view.label)))
if note := view.part_period_note():
    st.info(note)
report_buttons(view)


# a row that wraps: five columns on a narrow window cut the values short ("2.6...", "30...")
with st.container(horizontal=True, wrap=True, key="cards"):
    for card in cards(res.movements, view.period):
        st.metric(card.label, card.value, card.delta, delta_color="inverse" if card.lower_is_better else "normal",
                  width=CARD_WIDTH)
st.caption(
    "Changes are against the " + ("full " if part else "") + "previous " + view.grain + ". Asset value: the revenue of the last 365 days of every active "
    "customer. Churn rate: customers lost in the period over those active at its start."
)

left, right = st.columns(2)
left.plotly_chart(charts.customer_waterfall(row), width="stretch", key="waterfall_customers")
right.plotly_chart(charts.value_waterfall(row), width="stretch", key="waterfall_value")

st.markdown("**What changed**")
for sentence in narrative.movement_sentences(row):
    st.markdown("- " + md(sentence))

period_stages = res.stages[res.stages.period == view.period]
baseline = baseline_periods(list(res.periods.period), view.period, res.settings.baseline)
hurt, helped = narrative.stage_sentences(period_stages, baseline, view.grain, part=part)
blocks = [
    ("**Stages that hurt most** (against their own baseline)", hurt, "No stage did worse than its baseline."),
    ("**Stages that helped most**", helped, "No stage did better than its baseline."),
]
if note := narrative.without_stages(res.stage_names) or narrative.without_baseline(view.period, view.grain, baseline):
    st.info(note)
else:
    for column, (title, sentences, none) in zip(st.columns(2), blocks, strict=True):
        column.markdown(title)
        for s in sentences or [none]:
            column.markdown("- " + md(s))

shown = charts.trend_periods(res.periods, view.start, view.period)
st.plotly_chart(charts.trend(res.movements[res.movements.period.isin(shown)]), width="stretch", key="trend")
