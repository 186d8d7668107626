"""The quarterly prioritisation: which stage to fix first, and the plan the meeting agrees on.

Three parts, no UI:

- :func:`ranking`: the stages of one period (a quarter on the Prioritise page) ranked by the
  yearly value they lost beyond their baseline, with the customers behind it, a four-period
  trend, the touchpoint most associated with loss and a confidence label;
- the plan: an owner, an effort and notes per stage, stored in the workspace table
  ``priorities`` (:func:`load_plan`, :func:`save_plan`), keyed by dataset name and quarter;
- :func:`export_table`: the ranking with its plan as a flat table for CSV (the Markdown of the
  meeting's notes is :func:`views.prioritise.to_markdown`).

Units: ``lost``, ``baseline_lost``, ``excess_lost`` are customers; ``*_value`` are yearly value
(money a year, as in DOMAIN.md's ``value(t)``), in the currency of the export.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import pandas as pd

from analytics.db import transaction
from analytics.errors import JourneyLedgerError
from analytics.model import Results, baseline_periods

UNMAPPED = "Unmapped"
NONE_LINKED = "none clearly linked"
NO_BASELINE = "no baseline"
HIGH, MEDIUM, LOW = "high", "medium", "low"
HIGH_P, MEDIUM_P = 0.01, 0.1
TREND_PERIODS = 4
RANK_BY = {"value": "excess_lost_value", "customers": "excess_lost"}
# How each order is said in the meeting's outputs (the Markdown, the pack)
RANKED_BY = {"value": "the yearly value of the customers they lost beyond their baseline",
             "customers": "the number of customers they lost beyond their baseline"}

EFFORTS = ("S", "M", "L", "XL")
PLAN_COLUMNS = ["stage", "owner", "effort", "notes"]
MAX_OWNER = 100
MAX_NOTES = 2000

RANKING_COLUMNS = [
    "rank", "stage", "lost", "baseline_lost", "excess_lost", "lost_value", "baseline_lost_value",
    "excess_lost_value", "impact", "value_impact", "p_value", "confidence", "top_touchpoint",
    "touchpoint_risk_ratio", "touchpoint_ci_low", "touchpoint_ci_high", "touchpoint_q_value", "trend",
]

TABLE = """
CREATE TABLE IF NOT EXISTS priorities (
    dataset VARCHAR,
    quarter VARCHAR,
    stage VARCHAR,
    owner VARCHAR,
    effort VARCHAR,
    notes VARCHAR,
    updated_at TIMESTAMP
)
"""


class PlanError(JourneyLedgerError):
    """The plan cannot be saved as given (an unknown effort, a note too long...)."""


# ---- the ranking --------------------------------------------------------------------------------


def binomial_tail(k: int, n: int, q: float) -> float:
    """P(X >= k) for X ~ Binomial(n, q), summed from the terms (no scipy); 1 for ``k <= 0``, 0 for ``k > n``."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if q >= 1:
        return 1.0
    log_q, log_1q = math.log(q), math.log1p(-q)
    terms = [math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_q + (n - i) * log_1q)
             for i in range(k, n + 1)]
    return min(1.0, sum(terms))


# What the confidence says, for the page's help, the Markdown and the pack.
CONFIDENCE_RULE = ("an exact test of whether the stage lost customers at a higher rate this quarter than in the quarters "
                   "of its baseline (the two counts compared as Poisson counts): high when p < 0.01, medium when "
                   "p < 0.1, else low; one customer lost where none were before is low")


def confidence(lost: float, baseline_lost: float | None, periods: int = 1) -> tuple[str, float]:
    """How sure we are that a stage lost more customers than usual: (label, p-value).

    Rule (not in DOMAIN.md, which defines the baseline but no test): the conditional test of two Poisson
    counts. The period's ``lost`` and its baseline's ``periods`` periods, which lost ``baseline_lost *
    periods`` in all, are taken as Poisson counts with one rate per period; if the rate did not rise, the
    period's share of the ``n`` losses of both is Binomial(n, 1 / (1 + periods)), and p = P(X >= lost).
    "high" when p < 0.01, "medium" when p < 0.1, else "low"; "no baseline" (p NaN) in the data's first
    period. It weighs the baseline's own uncertainty: a Poisson test against the baseline's mean as a
    known rate called 1 customer lost where none were lost before 'high' (p = 0), which one event
    cannot show; this test says low (p = 0.25 against 3 quarters) and needs about 4 such losses for
    'high'. Onboard's 37 against 7 in 3 quarters in the sample is high either way.
    """
    if baseline_lost is None or (isinstance(baseline_lost, float) and math.isnan(baseline_lost)) or periods < 1:
        return NO_BASELINE, float("nan")
    k = int(round(lost))
    before = int(round(float(baseline_lost) * periods))
    p = binomial_tail(k, k + before, 1 / (1 + periods))
    return (HIGH if p < HIGH_P else MEDIUM if p < MEDIUM_P else LOW), p


def trend_periods(results: Results, quarter: str) -> list[str]:
    """The last four periods up to and including ``quarter`` (fewer at the start of the data)."""
    periods = list(results.periods["period"])
    if quarter not in periods:
        raise JourneyLedgerError(f"There is no period {quarter} in this dataset up to the chosen end date.")
    end = periods.index(quarter) + 1
    return periods[max(0, end - TREND_PERIODS):end]


def top_touchpoint(drivers: pd.DataFrame, stage: str) -> dict:
    """The stage's touchpoint most clearly linked with loss: the highest risk ratio among those
    whose 95% interval lies above 1 (ci_low > 1); ties: lower q-value, then event name.
    ``top_touchpoint`` is "none clearly linked" (and the numbers NaN) when no interval does."""
    rows = drivers[(drivers["stage"] == stage) & (drivers["ci_low"] > 1)]
    if rows.empty:
        nan = float("nan")
        return {"top_touchpoint": NONE_LINKED, "touchpoint_risk_ratio": nan, "touchpoint_ci_low": nan,
                "touchpoint_ci_high": nan, "touchpoint_q_value": nan}
    best = rows.sort_values(["risk_ratio", "q_value", "event"], ascending=[False, True, True], kind="stable").iloc[0]
    return {"top_touchpoint": str(best["event"]), "touchpoint_risk_ratio": float(best["risk_ratio"]),
            "touchpoint_ci_low": float(best["ci_low"]), "touchpoint_ci_high": float(best["ci_high"]),
            "touchpoint_q_value": float(best["q_value"])}


def ranking(results: Results, quarter: str, by: str = "value") -> pd.DataFrame:
    """The stages of period ``quarter`` ranked by what they lost beyond their baseline.

    One row per stage of the stage map (``Unmapped`` left out: no stage to fix), columns
    :data:`RANKING_COLUMNS`:

    - ``lost``, ``lost_value``, ``baseline_lost``, ``baseline_lost_value``, ``impact``,
      ``value_impact``: the stage table's numbers for the period (customers; yearly value);
    - ``excess_lost = lost - baseline_lost`` (customers) and ``excess_lost_value = lost_value -
      baseline_lost_value`` (yearly value): above 0 the stage lost more than usual;
    - ``trend``: ``excess_lost_value`` in each of :func:`trend_periods` (oldest first; NaN where a
      period has no baseline);
    - ``confidence``, ``p_value``: see :func:`confidence`;
    - ``top_touchpoint`` and its risk ratio, interval and q-value: see :func:`top_touchpoint`.
      The drivers cover every customer up to ``as_of``, not only this period: an association.

    Order (``rank`` 1 first): ``by="value"`` (the default) sorts by ``excess_lost_value``
    descending, then ``excess_lost``; ``by="customers"`` the other way round; then journey order.
    In the first period, without baselines, the excess columns are NaN and the journey order stays.
    """
    if by not in RANK_BY:
        raise ValueError(f"by must be one of {sorted(RANK_BY)}, not {by!r}")
    periods = trend_periods(results, quarter)
    stages = results.stages
    stages = stages[stages["stage"].isin(results.stage_names)]
    excess = (stages["lost_value"] - stages["baseline_lost_value"]).astype("float64")
    trend = excess.groupby([stages["stage"], stages["period"]]).first()
    now = stages[stages["period"] == quarter].set_index("stage").reindex(results.stage_names)

    covered = baseline_periods(list(results.periods["period"]), quarter, results.settings.baseline)
    rows = []
    for stage in results.stage_names:
        r = now.loc[stage]
        label, p = confidence(float(r["lost"]), float(r["baseline_lost"]), covered)
        rows.append({
            "stage": stage,
            "lost": int(r["lost"]),
            "baseline_lost": float(r["baseline_lost"]),
            "excess_lost": float(r["lost"] - r["baseline_lost"]),
            "lost_value": float(r["lost_value"]),
            "baseline_lost_value": float(r["baseline_lost_value"]),
            "excess_lost_value": float(r["lost_value"] - r["baseline_lost_value"]),
            "impact": float(r["impact"]),
            "value_impact": float(r["value_impact"]),
            "p_value": p,
            "confidence": label,
            **top_touchpoint(results.drivers, stage),
            "trend": [float(trend.get((stage, period), float("nan"))) for period in periods],
        })
    df = pd.DataFrame(rows, columns=[c for c in RANKING_COLUMNS if c != "rank"])
    first, second = RANK_BY[by], RANK_BY["customers" if by == "value" else "value"]
    df = df.sort_values([first, second], ascending=False, na_position="last", kind="stable").reset_index(drop=True)
    df.insert(0, "rank", range(1, len(df) + 1))
    return df[RANKING_COLUMNS]


def has_baseline(ranked: pd.DataFrame) -> bool:
    """Whether the ranked period has baselines to compare with (every period but the data's first)."""
    return bool(ranked["baseline_lost"].notna().any())


def lost_more_than_baseline(ranked: pd.DataFrame, by: str = "value") -> pd.DataFrame:
    """The rows of :func:`ranking` whose ``excess_lost_value`` (``by="value"``) or ``excess_lost``
    (``by="customers"``) is above 0: the stages that lost more than usual."""
    return ranked[ranked[RANK_BY[by]] > 0]


# ---- the plan -----------------------------------------------------------------------------------


def _table_exists(cur) -> bool:
    return cur.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'priorities' AND NOT temporary"
    ).fetchone()[0] > 0


def load_plan(ws, dataset: str, quarter: str) -> pd.DataFrame:
    """The saved plan of ``dataset`` for ``quarter``: columns stage, owner, effort, notes (empty
    text when not set) and updated_at (UTC), one row per stage with something written, by stage."""
    with ws.cursor() as cur:
        if not _table_exists(cur):
            return pd.DataFrame({c: pd.Series(dtype="object") for c in [*PLAN_COLUMNS, "updated_at"]})
        df = cur.execute(
            "SELECT stage, coalesce(owner, '') AS owner, coalesce(effort, '') AS effort, "
            "coalesce(notes, '') AS notes, updated_at FROM priorities "
            "WHERE dataset = ? AND quarter = ? ORDER BY stage",
            [dataset, quarter],
        ).df()
    return df


def _text(value, limit: int, what: str, stage: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    text = str(value).strip()
    if len(text) > limit:
        raise PlanError(f"The {what} of {stage} has {len(text)} characters; keep it to {limit}.")
    return text


def clean_plan(rows: pd.DataFrame | Iterable[Mapping]) -> list[tuple[str, str, str, str]]:
    """The plan's rows as (stage, owner, effort, notes), text trimmed, rows with nothing written
    dropped. Refuses an effort other than S, M, L, XL (or empty), a stage given twice, an owner
    over 100 characters and notes over 2,000."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    out, seen = [], set()
    for r in records:
        stage = _text(r.get("stage"), 200, "name", "a stage")
        if not stage:
            raise PlanError("Every row of the plan needs its stage.")
        if stage in seen:
            raise PlanError(f"The plan has {stage} twice; keep one row per stage.")
        seen.add(stage)
        owner = _text(r.get("owner"), MAX_OWNER, "owner", stage)
        effort = _text(r.get("effort"), 10, "effort", stage).upper()
        notes = _text(r.get("notes"), MAX_NOTES, "notes", stage)
        if effort and effort not in EFFORTS:
            raise PlanError(f"The effort of {stage} must be one of {', '.join(EFFORTS)}, not {effort!r}.")
        if owner or effort or notes:
            out.append((stage, owner, effort, notes))
    return out


def _insert(cur, dataset: str, quarter: str, rows: list[tuple[str, str, str, str]], at: datetime) -> None:
    for stage, owner, effort, notes in rows:
        cur.execute(
            "INSERT INTO priorities VALUES (?, ?, ?, ?, ?, ?, ?)",
            [dataset, quarter, stage, owner or None, effort or None, notes or None, at],
        )


def save_plan(ws, dataset: str, quarter: str, rows: pd.DataFrame | Iterable[Mapping]) -> int:
    """Replace the plan of ``dataset`` for ``quarter`` with ``rows`` (stage, owner, effort, notes).

    All or nothing: the old rows are deleted and the new ones written in one transaction, under
    the workspace's write lock; on any error the previous plan stays. Rows with nothing written
    are not stored. Returns the number of rows stored. See :func:`clean_plan` for what is refused.
    """
    clean = clean_plan(rows)
    at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with ws._write_lock, ws.cursor() as cur:
        cur.execute(TABLE)
        with transaction(cur):
            cur.execute("DELETE FROM priorities WHERE dataset = ? AND quarter = ?", [dataset, quarter])
            _insert(cur, dataset, quarter, clean, at)
    return len(clean)


def rename_dataset_plans(cur, old: str, new: str) -> None:
    """Carry the plans of dataset ``old`` over to ``new``; for the workspace's rename, inside its
    transaction (no lock taken here)."""
    if _table_exists(cur):
        cur.execute("UPDATE priorities SET dataset = ? WHERE dataset = ?", [new, old])


def delete_dataset_plans(cur, dataset: str) -> None:
    """Delete the plans of ``dataset``; for the workspace's remove, inside its transaction."""
    if _table_exists(cur):
        cur.execute("DELETE FROM priorities WHERE dataset = ?", [dataset])


def same_plan(a: pd.DataFrame | Iterable[Mapping], b: pd.DataFrame | Iterable[Mapping]) -> bool:
    """Whether two plans say the same (as saved: text trimmed, empty rows dropped, in any row order); a plan
    that cannot be saved (notes too long) is never the same as one that was."""
    try:
        return sorted(clean_plan(a)) == sorted(clean_plan(b))
    except PlanError:
        return False


def with_plan(ranked: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """The ranking with each stage's owner, effort and notes (empty text where none is saved).

    Saved rows of stages no longer in the ranking (a renamed stage) are left out."""
    cols = ["owner", "effort", "notes"]
    saved = plan.set_index("stage")[cols] if len(plan) else pd.DataFrame(columns=cols)
    out = ranked.drop(columns=[c for c in cols if c in ranked.columns]).copy()
    for c in cols:
        out[c] = [str(saved.at[s, c]) if s in saved.index and pd.notna(saved.at[s, c]) else "" for s in out["stage"]]
    return out


# ---- for the meeting's notes --------------------------------------------------------------------


def export_table(ranking_with_plan: pd.DataFrame, periods: list[str], about: Mapping[str, object] | None = None) -> pd.DataFrame:
    """The ranking with its plan as a flat table for CSV: the trend list becomes one column per
    period (``excess_lost_value <period>``); every other column as in :func:`ranking`. ``about`` (the
    dataset, quarter, segment, as-of) comes first, a column each, so that a file sent on says what it is."""
    df = ranking_with_plan.drop(columns=["trend"]).copy()
    for i, (name, value) in enumerate((about or {}).items()):
        df.insert(i, name, "" if value is None else str(value))
    for i, period in enumerate(periods):
        df[f"excess_lost_value {period}"] = [t[i] if i < len(t) else float("nan") for t in ranking_with_plan["trend"]]
    return df
