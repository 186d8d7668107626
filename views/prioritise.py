"""Display tables of the Cohorts and segments page and of the Prioritise page.

Builders take the model's tables (``analytics.model.Results``) or :mod:`analytics.priorities`'s
ranking and return plain DataFrames or pandas ``Styler`` objects: the numbers underneath stay the
model's (a test or an export reads them exactly); formatting and colour decide how they read.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
from pandas.io.formats.style import Styler

from analytics.priorities import touchpoint_text
from views.format import count, money_in_full, signed

UNMAPPED = "Unmapped"
HURT = "color: #b71c1c; background-color: #ffebee; font-weight: bold"

SEGMENT_MEASURES = {  # stage-table column -> how it reads after the segment's name, in the table's order
    "impact": "impact (customers)",
    "value_impact": "value impact (a year)",
    "lost": "lost (customers)",
}


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _signed_one_decimal(x) -> str:
    return "-" if _missing(x) else signed(round(float(x), 1), lambda v: f"{v:,.1f}")


def _signed_money(x) -> str:
    return "-" if _missing(x) else signed(float(x), money_in_full)


# ---- Cohorts and segments ----------------------------------------------------------------------


def cohorts_in_range(cohorts: pd.DataFrame, periods: pd.DataFrame, start: date) -> pd.DataFrame:
    """The rows of the model's cohort table whose acquisition period ends after ``start`` (the first
    day of the sidebar's date range): cohorts acquired before the range are left out; every later
    cell, up to the period holding as_of, stays."""
    shown = set(periods.loc[periods["b"] > pd.Timestamp(start), "period"])
    return cohorts[cohorts["cohort"].isin(shown)].reset_index(drop=True)


def segment_column(segment: str, measure: str) -> str:
    """The comparison table's column for one segment and measure: 'Solo maker: impact (customers)'."""
    return f"{segment}: {SEGMENT_MEASURES[measure]}"


def segment_comparison(per_segment: dict[str, pd.DataFrame], period: str, stage_names: list[str]) -> pd.DataFrame:
    """One period's stage table of each segment side by side: a row per stage (journey order;
    ``Unmapped`` last, only when some segment gained or lost customers there), then the impact
    (customers) of every segment, their value impact (a year), their lost (customers): grouped by
    measure so that the segments' impacts sit next to each other."""
    rows = list(stage_names)
    now = {s: t[t["period"] == period].set_index("stage") for s, t in per_segment.items()}
    if any(UNMAPPED in t.index and (t.at[UNMAPPED, "lost"] or t.at[UNMAPPED, "gained"]) for t in now.values()):
        rows.append(UNMAPPED)
    table = pd.DataFrame({"stage": rows})
    for measure in SEGMENT_MEASURES:
        for segment, t in now.items():
            table[segment_column(segment, measure)] = t[measure].reindex(rows).astype("float64").to_numpy()
    return table


def worst_stages(per_segment: dict[str, pd.DataFrame], period: str, stage_names: list[str]) -> list[dict]:
    """Each segment's stage with the most negative impact in ``period`` (ties: value impact, then
    journey order), most negative first: dicts with segment, stage, impact, value_impact, lost, gained.
    Segments where no stage did worse than its baseline (or without a baseline) are left out."""
    out = []
    for segment, t in per_segment.items():
        rows = t[(t["period"] == period) & t["stage"].isin(stage_names)].copy()
        rows["pos"] = rows["stage"].map({s: i for i, s in enumerate(stage_names)})
        rows = rows[rows["impact"] < 0].sort_values(["impact", "value_impact", "pos"], kind="stable")
        if len(rows):
            r = rows.iloc[0]
            out.append({"segment": segment, "stage": r["stage"], "impact": float(r["impact"]),
                        "value_impact": float(r["value_impact"]), "lost": int(r["lost"]), "gained": int(r["gained"])})
    return sorted(out, key=lambda w: w["impact"])


def has_baseline(per_segment: dict[str, pd.DataFrame], period: str) -> bool:
    """Whether ``period`` has baselines to compare with in any segment (not in the data's first period)."""
    return any(t.loc[t["period"] == period, "impact"].notna().any() for t in per_segment.values())


def segment_comparison_style(table: pd.DataFrame, segments: list[str]) -> Styler:
    """:func:`segment_comparison` for reading: signed impacts, and each segment's most negative
    impact (below 0) painted red, so a persona whose journey hurts somewhere else stands out."""
    fmt = {}
    for segment in segments:
        fmt[segment_column(segment, "lost")] = count
        fmt[segment_column(segment, "impact")] = _signed_one_decimal
        fmt[segment_column(segment, "value_impact")] = _signed_money

    def worst(column: pd.Series) -> list[str]:
        values = column.where(table["stage"] != UNMAPPED)
        if values.notna().any() and values.min() < 0:
            return [HURT if v == values.min() else "" for v in values]
        return [""] * len(column)

    impact_columns = [segment_column(s, "impact") for s in segments]
    return table.style.format(fmt).apply(worst, subset=impact_columns, axis=0)


# ---- Prioritise --------------------------------------------------------------------------------

# what decides the rank first, the details behind it after: a narrow screen still shows the point
RANKING_SHOWN = [
    "rank", "stage", "excess_lost_value", "excess_lost", "confidence", "touchpoint", "trend",
    "lost_value", "baseline_lost_value", "lost", "baseline_lost",
]
PLAN_SHOWN = ["rank", "stage", "owner", "effort", "notes", "excess_lost_value", "excess_lost", "confidence"]


def ranking_table(ranked: pd.DataFrame) -> pd.DataFrame:
    """The ranking (:func:`analytics.priorities.ranking`) as shown: the model's numbers, the top
    touchpoint as one sentence with its risk ratio, interval and q-value, and the trend list."""
    df = ranked.copy()
    df["touchpoint"] = [touchpoint_text(r) for _, r in df.iterrows()]
    df["trend"] = [[None if _missing(v) else round(v, 2) for v in t] for t in df["trend"]]
    return df[RANKING_SHOWN]


def plan_table(ranking_with_plan: pd.DataFrame) -> pd.DataFrame:
    """The plan editor's rows: rank and stage, the owner, effort (None when not chosen) and notes
    to edit, then what the stage lost beyond its baseline and how sure that is (read only)."""
    df = ranking_with_plan[PLAN_SHOWN].copy()
    df["effort"] = [e if e else None for e in df["effort"]]
    return df.reset_index(drop=True)
