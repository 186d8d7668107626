"""Display tables of the Cohorts and segments page and of the Prioritise page.

Builders take the model's tables (``analytics.model.Results``) or :mod:`analytics.priorities`'s
ranking and return plain DataFrames or pandas ``Styler`` objects: the numbers underneath stay the
model's (a test or an export reads them exactly); formatting and colour decide how they read.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd
from pandas.io.formats.style import Styler

from analytics.priorities import CONFIDENCE_RULE, NONE_LINKED, RANKED_BY
from views.format import count, decimal, missing, money_in_full, rounded, signed_decimal, signed_money, unlinked

UNMAPPED = "Unmapped"
HURT = "color: #b71c1c; background-color: #ffebee; font-weight: bold"

SEGMENT_MEASURES = {  # stage-table column -> how it reads after the segment's name, in the table's order
    "impact": "impact (customers)",
    "value_impact": "value impact (a year)",
    "lost": "lost (customers)",
}


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
        fmt[segment_column(segment, "impact")] = signed_decimal
        fmt[segment_column(segment, "value_impact")] = signed_money

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


# The ranking's numbers as the page shows them: money whole, customers' means to one decimal.
SHOWN_DIGITS = {"lost_value": 0, "baseline_lost_value": 0, "excess_lost_value": 0, "baseline_lost": 1, "excess_lost": 1}


def _as_shown(df: pd.DataFrame) -> pd.DataFrame:
    """The columns of :data:`SHOWN_DIGITS` rounded by :func:`views.format.rounded`, as the report and the
    Markdown write them: the browser formats them (``%,.0f``) with its own rounding of a half, which
    would otherwise show 1,235 where the pack says 1,234 (the CSV download keeps the model's numbers)."""
    for col, digits in SHOWN_DIGITS.items():
        if col in df.columns:
            df[col] = [v if missing(v) else rounded(v, digits) for v in df[col]]
    return df


def ranking_table(ranked: pd.DataFrame) -> pd.DataFrame:
    """The ranking (:func:`analytics.priorities.ranking`) as shown: its numbers rounded as written
    everywhere, the top touchpoint as one sentence with its risk ratio, interval and q-value, and the
    trend list."""
    df = _as_shown(ranked.copy())
    df["touchpoint"] = [touchpoint_text(r) for _, r in df.iterrows()]
    df["trend"] = [[None if missing(v) else rounded(v, 2) for v in t] for t in df["trend"]]
    return df[RANKING_SHOWN]


def plan_table(ranking_with_plan: pd.DataFrame) -> pd.DataFrame:
    """The plan editor's rows: rank and stage, the owner, effort (None when not chosen) and notes
    to edit, then what the stage lost beyond its baseline and how sure that is (read only, rounded
    as :func:`ranking_table`'s)."""
    df = _as_shown(ranking_with_plan[PLAN_SHOWN].copy())
    df["effort"] = [e if e else None for e in df["effort"]]
    return df.reset_index(drop=True)


# ---- the meeting's notes ------------------------------------------------------------------------


_CELL_SPECIAL = re.compile(r"([\\`*\[\]~|])")  # links and images, emphasis, code, strike-through, cells


def _cell(text: object) -> str:
    """User text made inert inside a Markdown table cell: the characters of links and images ([ ]), emphasis
    (*; an underscore inside a word, as in setup_error, emphasises nothing), code and cells escaped, HTML characters written as entities, a word joiner (U+2060) inside a web or e-mail
    address (which viewers link even when escaped), line breaks turned into <br>. A note's
    ``![t](http://host/t.png)`` stayed an image that a Markdown viewer fetched."""
    s = _CELL_SPECIAL.sub(r"\\\1", unlinked(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(part for part in s.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def touchpoint_text(row, escape=str) -> str:
    """'setup_error (risk ratio 1.97, 95% interval 1.78 to 2.17, q < 0.001)' or 'none clearly linked';
    ``escape`` is applied to the event name (user text)."""
    if row["top_touchpoint"] == NONE_LINKED or missing(row["touchpoint_risk_ratio"]):
        return NONE_LINKED
    q = row["touchpoint_q_value"]
    q_text = "q below 0.001" if q < 0.001 else f"q = {q:.3f}"
    return (f"{escape(row['top_touchpoint'])} (risk ratio {row['touchpoint_risk_ratio']:.2f}, 95% interval "
            f"{row['touchpoint_ci_low']:.2f} to {row['touchpoint_ci_high']:.2f}, {q_text})")


def to_markdown(ranking_with_plan: pd.DataFrame, dataset: str, quarter: str, *, segment: str | None = None,
                as_of: datetime | None = None, by: str = "value") -> str:
    """A Markdown document for the meeting: title, the ranked table with its plan and two notes; ``by``:
    the order the ranking was made in (:data:`analytics.priorities.RANKED_BY`), said above the table.

    Columns: rank, stage, customers lost vs baseline, yearly value lost vs baseline, confidence,
    top touchpoint, owner, effort, notes. User text (dataset, stage, event, owner, notes) is
    escaped so that it stays inside its cell.
    """
    title = f"# Priorities for {_cell(quarter)}: {_cell(dataset)}"
    about = [f"Dataset: {_cell(dataset)}", f"quarter {_cell(quarter)}"]
    if segment:
        about.append(f"segment: {_cell(segment)}")
    if as_of is not None:
        about.append(f"as of {as_of:%Y-%m-%d}")
    lines = [
        title, "", " · ".join(about) + ".", "",
        f"Stages ranked by {RANKED_BY[by]} (the mean of the previous quarters).", "",
        "| Rank | Stage | Customers lost vs baseline | Value lost vs baseline (a year) | Confidence "
        "| Top touchpoint | Owner | Effort | Notes |",
        "|---:|---|---:|---:|---|---|---|---|---|",
    ]
    for _, r in ranking_with_plan.iterrows():
        customers = f"{count(r['lost'])} vs {decimal(r['baseline_lost'])} ({signed_decimal(r['excess_lost'])})"
        value = (f"{money_in_full(r['lost_value'])} vs {money_in_full(r['baseline_lost_value'])} "
                 f"({signed_money(r['excess_lost_value'])})")
        cells = [str(r["rank"]), _cell(r["stage"]), customers, value, _cell(r["confidence"]),
                 touchpoint_text(r, _cell), _cell(r.get("owner", "")), _cell(r.get("effort", "")),
                 _cell(r.get("notes", ""))]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Touchpoints are associations with loss over all customers up to the as-of date, not proof of cause.",
        "",
        f"Confidence: {CONFIDENCE_RULE}.",
        "",
    ]
    return "\n".join(lines)
