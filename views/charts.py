"""Plotly figures of the model's results. Every figure has a title that says what it shows."""

from __future__ import annotations

import html
import math
from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go

from views.format import count, money, signed, signed_decimal

GAIN = "#2e7d32"
LOSS = "#c62828"
TOTAL = "#37474f"
NEUTRAL = "#90a4ae"
FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13)


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)),
        height=height, margin=dict(l=10, r=10, t=50, b=10), font=FONT,
        plot_bgcolor="white", paper_bgcolor="white", showlegend=False,
    )
    # automargin: the margins grow to hold the tick labels and axis titles. Set here, not left to the
    # template: plotly's default template sets it, Streamlit's (the default template inside the app,
    # where the report is downloaded) does not, and with margins of 10 px the labels were cut off.
    fig.update_xaxes(showgrid=False, automargin=True)
    fig.update_yaxes(gridcolor="#eceff1", zerolinecolor="#b0bec5", automargin=True)
    return fig


def _empty(title: str, message: str, height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font=dict(size=14))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height)


def _waterfall(labels: list[str], values: list[float], text, y_title: str, title: str) -> go.Figure:
    """A start-to-end waterfall: the first value absolute, the last the total, the ones between changes."""
    fig = go.Figure(go.Waterfall(
        x=labels, y=values, measure=["absolute"] + ["relative"] * (len(values) - 2) + ["total"],
        text=[text(abs(v)) for v in values], textposition="outside",
        increasing=dict(marker=dict(color=GAIN)), decreasing=dict(marker=dict(color=LOSS)),
        totals=dict(marker=dict(color=TOTAL)), connector=dict(line=dict(color=NEUTRAL)),
    ))
    fig.update_yaxes(title_text=y_title)
    return _layout(fig, title)


def customer_waterfall(row: pd.Series) -> go.Figure:
    """Customers at the start of the period, what came in and went out, customers at the end."""
    return _waterfall(
        ["Start", "New", "Won back", "Lost", "End"],
        [row.customers_start, row.new, row.reactivated, -row.churned, row.customers_end],
        count, "active customers", f"Active customers, {row.period}: start to end")


def value_waterfall(row: pd.Series) -> go.Figure:
    """The yearly value of the active customers: start, new, won back, expansion, contraction, lost, end."""
    return _waterfall(
        ["Start", "New", "Won back", "Expansion", "Contraction", "Lost", "End"],
        [row.value_start, row.new_value, row.reactivation_value, row.expansion, -row.contraction,
         -row.churned_value, row.value_end],
        money, "yearly value (money a year)",
        f"Asset value (money a year), {row.period}: start to end")


TREND_PERIODS = 12  # the Overview's and the report's trend: the last 12 periods at most


def periods_from(periods: pd.DataFrame, start: date | None, period: str) -> list[str]:
    """The periods (of the model's ``periods`` table) from the one holding ``start`` (the first day of
    the sidebar's date range; the data's first period when None) up to and including ``period``."""
    shown = periods[periods["period"] <= period]
    if start is not None:
        shown = shown[shown["b"] > datetime.combine(start, datetime.min.time())]
    return list(shown["period"])


def trend_periods(periods: pd.DataFrame, start: date | None, period: str) -> list[str]:
    """The periods of the trend chart, on the Overview and in the report: :func:`periods_from`, the
    last :data:`TREND_PERIODS` of them."""
    return periods_from(periods, start, period)[-TREND_PERIODS:]


def _span(periods: list[str]) -> str:
    """The periods a chart covers, as a reader says it: '2026-Q1', '2025-11 to 2026-10'."""
    return periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"


def trend(movements: pd.DataFrame) -> go.Figure:
    """Active customers (bars) and asset value (line) at the end of each period."""
    if movements.empty:
        return _empty("Customers and value over time", "No periods to show.")
    fig = go.Figure()
    fig.add_bar(x=movements.period, y=movements.customers_end, name="active customers", marker_color="#90caf9",
                hovertemplate="%{x}: %{y:,} customers<extra></extra>")
    fig.add_scatter(x=movements.period, y=movements.value_end, name="yearly value", yaxis="y2", mode="lines+markers",
                    line=dict(color=TOTAL, width=2), hovertemplate="%{x}: %{y:,.0f} a year<extra></extra>")
    fig.update_layout(
        yaxis=dict(title="active customers at period end"),
        # from zero like the customers, so that neither line's growth is drawn steeper than it is; ticks of its own
        yaxis2=dict(title="yearly value at period end", overlaying="y", side="right", showgrid=False,
                    rangemode="tozero", tickmode="auto"),
        showlegend=True, legend=dict(orientation="h", y=-0.15),
    )
    _layout(fig, f"Customers and yearly value at the end of each period, {_span(list(movements.period))}")
    fig.update_layout(showlegend=True)
    fig.update_xaxes(type="category")  # the periods as written (2026-03, 2026-Q1), not read as dates
    return fig


def impact_heatmap(stages: pd.DataFrame, stage_names: list[str], periods: list[str], value: bool = False) -> go.Figure:
    """Stage by period: impact against baseline (green helped, red hurt), in customers or, with
    ``value``, in yearly value. Cells without a baseline (the data's first period) stay blank."""
    column = "value_impact" if value else "impact"
    rows = [s for s in stage_names] + ["Unmapped"]
    data = stages[stages.period.isin(periods)].pivot(index="stage", columns="period", values=column)
    data = data.reindex(index=[r for r in rows if r in data.index], columns=periods)
    if "Unmapped" in data.index and not data.loc["Unmapped"].fillna(0).round(2).any():
        data = data.drop(index="Unmapped")  # no event without a stage was ever gained or lost here
    if data.empty or data.isna().all().all():
        return _empty("Impact by stage and period", "Baselines need at least two periods of data.")
    limit = max(1.0, float(data.abs().max().max()))
    text = data.map(lambda v: "" if pd.isna(v) else signed(v, money) if value else signed_decimal(v))
    number = "%{z:+,.0f} a year" if value else "%{z:+.1f} customers"
    fig = go.Figure(go.Heatmap(
        # stage names are user text and plotly reads tags (<a href>, <b>) in labels: escaped, shown as typed
        z=data.values, x=list(data.columns), y=[html.escape(s) for s in data.index], zmin=-limit, zmax=limit,
        colorscale=[[0, LOSS], [0.5, "#f5f5f5"], [1, GAIN]], text=text.values, texttemplate="%{text}",
        hovertemplate="%{y}, %{x}: " + number + " against baseline<extra></extra>", hoverongaps=False,
        colorbar=dict(title="money a year" if value else "customers"),
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(type="category")  # "2026-03" is a period label, not a date to place on a time axis
    unit = "yearly value" if value else "customers"
    return _layout(fig, f"Impact by stage and period ({unit} against each stage's baseline; green helped, red hurt)",
                   height=max(300, 50 * len(data.index) + 100))


def gained_and_lost(period_stages: pd.DataFrame, stage_names: list[str]) -> go.Figure:
    """Customers gained (new or won back, to the right) and lost (to the left) at each stage in the period,
    in journey order, each stage's baseline (mean of its previous periods) marked beside its bars."""
    rows = period_stages.set_index("stage")
    stages = [s for s in [*stage_names, "Unmapped"] if s in rows.index
              and (s != "Unmapped" or rows.loc[s, "gained"] > 0 or rows.loc[s, "lost"] > 0)]
    title = "Customers gained (new or won back) and lost at each stage, against the stage's baseline"
    if not stages or (rows.loc[stages, "gained"].sum() == 0 and rows.loc[stages, "lost"].sum() == 0):
        return _empty(title, "Nobody was gained, won back or lost in this period.")
    part = {c: rows.loc[stages, c].astype(float).tolist() for c in ("gained", "lost", "baseline_gained", "baseline_lost")}
    y = [html.escape(s) for s in stages]
    fig = go.Figure()
    fig.add_bar(name="gained", y=y, x=part["gained"], orientation="h", marker_color=GAIN,
                text=[count(v) if v else "" for v in part["gained"]], textposition="outside",
                hovertemplate="%{y}: %{x:,} customers gained<extra></extra>")
    fig.add_bar(name="lost", y=y, x=[-v for v in part["lost"]], orientation="h", marker_color=LOSS,
                text=[count(v) if v else "" for v in part["lost"]], textposition="outside",
                hovertemplate="%{y}: %{customdata:,} customers lost<extra></extra>", customdata=part["lost"])
    for column, sign in (("baseline_gained", 1), ("baseline_lost", -1)):
        fig.add_scatter(name="baseline", y=y, x=[sign * v for v in part[column]], mode="markers", showlegend=sign == 1,
                        marker=dict(symbol="line-ns", size=18, line=dict(width=3, color=TOTAL)),
                        customdata=part[column], hovertemplate="%{y}: baseline %{customdata:,.1f} customers<extra></extra>")
    fig.update_layout(barmode="relative", bargap=0.35)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="customers (lost to the left, gained to the right)", zeroline=True, zerolinewidth=2)
    fig = _layout(fig, title, max(300, 40 * len(stages) + 120))
    fig.update_layout(showlegend=True, legend=dict(orientation="h", y=-0.25, x=0))
    return fig


def funnel(period_stages: pd.DataFrame, stage_names: list[str]) -> go.Figure:
    """People entering each stage in the period, with conversion and median days to advance."""
    rows = period_stages.set_index("stage")
    stages = [s for s in stage_names if s in rows.index]
    entered = [int(rows.loc[s, "entered"]) for s in stages]
    if sum(entered) == 0:
        return _empty("Funnel", "Nobody entered a stage in this period.")
    text = []
    for s in stages:
        conv, med = rows.loc[s, "conversion"], rows.loc[s, "median_days_to_advance"]
        part = f"{count(rows.loc[s, 'entered'])} entered"
        if s == stage_names[-1]:  # no later stage to advance to
            conv = med = float("nan")
        if not pd.isna(conv):
            part += f", {conv * 100:.0f}% advanced"
        if not pd.isna(med):
            part += f", median {med:.1f} days"
        text.append(part)
    fig = go.Figure(go.Bar(x=entered, y=[html.escape(s) for s in stages], orientation="h", marker_color="#64b5f6", text=text,
                           textposition="auto", hovertemplate="%{y}: %{x:,} people entered<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="people entering the stage for the first time")
    return _layout(fig, "Funnel: first entries per stage, share that advanced to a later stage and median days to do so",
                   max(300, 45 * len(stages) + 100))


# Tick values for a log axis of ratios, from the finest to the coarsest; 1 is in each.
RATIO_TICKS = (
    (0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.7, 2),
    (0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10),
    (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100),
    (0.0001, 0.001, 0.01, 0.1, 1, 10, 100, 1000, 10000),
)


def log_ticks(low: float, high: float) -> list[float]:
    """The tick values of a log axis of ratios from ``low`` to ``high``: round ratios written in full
    (0.5, 1, 2), where plotly labels 0.4 as "4" beside 1 and 2. The finest of :data:`RATIO_TICKS`
    that puts at most seven ticks on the axis.

    >>> log_ticks(0.81, 1.21)
    [0.9, 1, 1.1, 1.2]
    >>> log_ticks(0.3, 3.5)
    [0.5, 0.75, 1, 1.5, 2, 3]
    >>> log_ticks(0.01, 100)
    [0.01, 0.1, 1, 10, 100]
    """
    for ticks in RATIO_TICKS:
        inside = [t for t in ticks if low <= t <= high]
        if len(inside) <= 7:
            return inside
    return inside


def forest(drivers: pd.DataFrame, stage: str | None = None) -> go.Figure:
    """Risk ratio of loss for each touchpoint with its 95% interval, on a log scale; 1 = no difference.

    Highest ratio on top; touchpoints without a ratio (fewer than 30 customers on one side) are left out.
    """
    tested = drivers.dropna(subset=["risk_ratio"]).sort_values("risk_ratio")
    if tested.empty:
        return _empty("Touchpoints and loss", "Not enough data: every touchpoint has fewer than 30 customers on one side.")
    colors = [LOSS if lo > 1 else GAIN if hi < 1 else NEUTRAL for lo, hi in zip(tested.ci_low, tested.ci_high, strict=True)]
    fig = go.Figure(go.Scatter(
        x=tested.risk_ratio, y=[html.escape(e) for e in tested.event], mode="markers",
        marker=dict(color=colors, size=11),
        error_x=dict(type="data", symmetric=False, array=tested.ci_high - tested.risk_ratio,
                     arrayminus=tested.risk_ratio - tested.ci_low, color="#78909c", thickness=1.5),
        customdata=list(zip(tested.ci_low, tested.ci_high, tested.exposed, tested.exposed_lost / tested.exposed,
                            tested.unexposed_lost / tested.unexposed, strict=True)),
        hovertemplate=("%{y}: risk ratio %{x:.2f} (%{customdata[0]:.2f} to %{customdata[1]:.2f}); "
                       "%{customdata[2]:,} exposed, %{customdata[3]:.1%} lost against %{customdata[4]:.1%}<extra></extra>"),
    ))
    fig.add_vline(x=1, line_dash="dash", line_color="#78909c")
    fig.update_xaxes(type="log", title_text="risk ratio of being lost, exposed vs not (log scale; 1 = same risk)")
    fig.update_yaxes(type="category")
    low = min(tested.ci_low.min(), 0.9)
    high = max(tested.ci_high.max(), 1.1)
    ticks = log_ticks(low * 0.9, high * 1.1)
    fig.update_xaxes(range=[math.log10(low * 0.9), math.log10(high * 1.1)],
                     tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    where = f" of {html.escape(stage)}" if stage else ""  # plotly reads tags in titles
    return _layout(fig, f"Touchpoints{where} and loss: risk ratio with 95% interval (red: more losses, green: fewer)",
                   max(280, 40 * len(tested) + 120))


def retention_heatmap(cohorts: pd.DataFrame, grain: str) -> go.Figure:
    """Share of each acquisition cohort still active k periods later."""
    if cohorts.empty:
        return _empty("Retention by cohort", "Nobody was acquired in the chosen range.")
    data = cohorts.pivot(index="cohort", columns="periods_since", values="retention")
    sizes = cohorts.groupby("cohort")["customers"].first()
    labels = [f"{c} ({count(sizes[c])})" for c in data.index]
    text = data.map(lambda v: "" if pd.isna(v) else f"{v * 100:.0f}%")
    fig = go.Figure(go.Heatmap(
        z=data.values * 100, x=[str(c) for c in data.columns], y=labels, zmin=0, zmax=100,
        colorscale="Blues", text=text.values, texttemplate="%{text}",
        hovertemplate="cohort %{y}, %{x} " + grain + "s later: %{z:.1f}% active<extra></extra>",
        colorbar=dict(title="% active"),
    ))
    fig.update_yaxes(autorange="reversed", title_text="acquisition cohort (customers)")
    fig.update_xaxes(title_text=f"{grain}s since acquisition", type="category")
    return _layout(fig, f"Retention by acquisition cohort: share still active at the end of each {grain}",
                   max(320, 22 * len(labels) + 120))


def priority_trend(ranked: pd.DataFrame, periods: list[str]) -> go.Figure:
    """Yearly value each stage lost beyond its baseline in each of the last quarters (the ``trend``
    lists of ``analytics.priorities.ranking``): above 0 the stage lost more than usual. Stages that
    never lost anything in these quarters are left out; the top-ranked stage is drawn thickest."""
    import html  # plotly reads tags in trace names: stage names are user text

    title = f"Value lost beyond baseline, {_span(periods) if periods else 'no quarter'} (money a year; above 0: more than usual)"
    rows = [r for _, r in ranked.iterrows() if any(not pd.isna(v) and round(v, 2) != 0 for v in r["trend"])]
    if not periods or not rows:
        return _empty(title, "Nothing lost beyond a baseline in these quarters (the first quarter has no baseline).")
    fig = go.Figure()
    for r in rows:
        top = r["rank"] == ranked["rank"].min()
        fig.add_scatter(
            x=periods, y=list(r["trend"]), name=html.escape(str(r["stage"])), mode="lines+markers",
            line=dict(width=3.5 if top else 1.8), hovertemplate="%{x}: %{y:+,.0f} a year beyond baseline<extra>%{fullData.name}</extra>",
        )
    fig.add_hline(y=0, line_color="#78909c", line_dash="dash")
    fig.update_xaxes(type="category", title_text="quarter")
    fig.update_yaxes(title_text="value lost - baseline (a year)")
    _layout(fig, title, height=340)
    fig.update_layout(showlegend=True, legend=dict(orientation="h", y=-0.25))
    return fig
