"""Overview: the monthly customer-asset report. What changed, and why, at a glance."""

from __future__ import annotations

import streamlit as st

from ui.format import md
from ui.state import sidebar, workspace
from views import charts, narrative
from views.format import count, money, percent

st.title("Customer asset report")
view = sidebar(workspace())
if view is None:
    st.stop()

res = view.results
moves = res.movements.set_index("period", drop=False)
row = moves.loc[view.period]
position = list(moves.index).index(view.period)
prev = moves.iloc[position - 1] if position > 0 else None
segment = f" · segment: {md(view.segment)}" if view.segment else ""
st.caption(f"{md(view.dataset.name)} · {view.grain} {view.period}{segment} · as of {res.settings.as_of:%Y-%m-%d}")

st.subheader(md(narrative.headline(row)))


def delta(now, before, fmt):
    if prev is None:
        return None
    d = now - before
    return ("+" if d > 0 else "-" if d < 0 else "") + fmt(abs(d))


churn_rate = row.churned / row.customers_start if row.customers_start else None
prev_rate = prev.churned / prev.customers_start if prev is not None and prev.customers_start else None
cards = st.columns(5)
cards[0].metric("Active customers", count(row.customers_end),
                delta(row.customers_end, prev.customers_end if prev is not None else 0, count))
cards[1].metric("Asset value (a year)", money(row.value_end),
                delta(row.value_end, prev.value_end if prev is not None else 0, money))
net = row.customers_end - row.customers_start
prev_net = prev.customers_end - prev.customers_start if prev is not None else 0
cards[2].metric("Net change (customers)", ("+" if net > 0 else "") + count(net), delta(net, prev_net, count))
cards[3].metric(
    "Churn rate", percent(churn_rate) if churn_rate is not None else "-",
    (delta(churn_rate, prev_rate, lambda x: f"{100 * x:.1f} pts") if churn_rate is not None and prev_rate is not None else None),
    delta_color="inverse",
)
cards[4].metric("Revenue in period", money(row.revenue), delta(row.revenue, prev.revenue if prev is not None else 0, money))
st.caption(
    "Changes are against the previous " + view.grain + ". Asset value: the revenue of the last 365 days of every active "
    "customer. Churn rate: customers lost in the period over those active at its start."
)

left, right = st.columns(2)
left.plotly_chart(charts.customer_waterfall(row), width="stretch", key="waterfall_customers")
right.plotly_chart(charts.value_waterfall(row), width="stretch", key="waterfall_value")

st.markdown("**What changed**")
for sentence in narrative.movement_sentences(row):
    st.markdown("- " + md(sentence))

period_stages = res.stages[res.stages.period == view.period]
hurt, helped = narrative.stage_sentences(period_stages, res.settings.baseline, view.grain)
left, right = st.columns(2)
with left:
    st.markdown("**Stages that hurt most** (against their own baseline)")
    if hurt:
        for s in hurt:
            st.markdown("- " + md(s))
    else:
        st.markdown("- No stage did worse than its baseline.")
with right:
    st.markdown("**Stages that helped most**")
    if helped:
        for s in helped:
            st.markdown("- " + md(s))
    else:
        st.markdown("- No stage did better than its baseline.")

shown = [p for p in view.periods_shown()][-12:]
st.plotly_chart(charts.trend(res.movements[res.movements.period.isin(shown)]), width="stretch", key="trend")
