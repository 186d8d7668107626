"""Display tables of the model's results: plain column names with units, signs and colours.

Each builder takes the model's tables (``analytics.model.Results``) and returns a pandas
``Styler``: the data underneath keeps the model's numbers (so a test or an export reads them
exactly), the Styler decides how they read on screen (``+3.0``, ``9,031``, ``57.9%``) and paints
what helped green and what hurt red.
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from views.format import count, decimal, missing, money_in_full, percent, rounded, signed, signed_decimal, signed_money

UNMAPPED = "Unmapped"
NOT_ENOUGH = "not enough data"

# Text colour on a light background of the same hue: readable, and the sign says it too.
HELPED = "color: #1b5e20; background-color: #e8f5e9"
HURT = "color: #b71c1c; background-color: #ffebee"

STAGE_COLUMNS = {  # model column -> column shown, what the page is about first: a laptop shows about five
    "stage": "Stage",
    "impact": "Impact (customers)",
    "gained": "Gained (customers)",
    "baseline_gained": "Baseline gained (customers)",
    "lost": "Lost (customers)",
    "baseline_lost": "Baseline lost (customers)",
    "value_impact": "Value impact (a year)",
    "gained_value": "Gained value (a year)",
    "lost_value": "Lost value (a year)",
    "net": "Net (customers)",
    "entered": "Entered (people)",
    "advanced": "Advanced (people)",
    "conversion": "Conversion (%)",
    "median_days_to_advance": "Median days to advance",
    "goal": "Customer goal",
}

DRIVER_COLUMNS = [
    "Touchpoint", "Exposed (customers)", "Lost of exposed", "Not exposed (customers)", "Lost of not exposed",
    "Risk ratio (95% interval)", "p-value", "q-value", "At stake (customers)", "Value at stake (a year)",
]


def _sign_colour(x, digits: int = 1) -> str:
    """Green above 0 (helped), red below (hurt), nothing at 0 as shown (``digits``) or without a baseline."""
    if missing(x) or rounded(x, digits) == 0:
        return ""
    return HELPED if x > 0 else HURT


def in_journey_order(period_stages: pd.DataFrame, stage_names: list[str]) -> pd.DataFrame:
    """The rows of one period's stage table, stages in journey order, ``Unmapped`` last."""
    order = {s: i for i, s in enumerate([*stage_names, UNMAPPED])}
    rows = period_stages[period_stages["stage"].isin(order)]
    return rows.sort_values("stage", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def stage_table(period_stages: pd.DataFrame, stage_names: list[str], goals: dict[str, str]) -> Styler:
    """The stage table of one period (DOMAIN.md, "The stage table") for reading.

    One row per stage in journey order with its customer goal, ``Unmapped`` last; ``Unmapped``
    has only gained and lost numbers (events no stage claims have no entry or advancement), so its
    entry columns read "-", as do the advancement columns of the last stage (nothing comes after
    it). Impact and value impact are signed and coloured: green helped, red hurt.
    """
    df = in_journey_order(period_stages, stage_names)
    df = df.assign(goal=[goals.get(s, "") for s in df["stage"]])  # with no stages, map() gives floats
    unmapped = df["stage"] == UNMAPPED
    entry = ["entered", "advanced", "conversion", "median_days_to_advance"]
    df[entry] = df[entry].astype("float64")
    df.loc[unmapped, entry] = float("nan")
    if stage_names:  # the last stage has no later stage to advance to: "0 advanced" would read as a failure
        df.loc[df["stage"] == stage_names[-1], entry[1:]] = float("nan")
    df.loc[unmapped, "goal"] = "(events that no stage of the map claims)"
    table = df[list(STAGE_COLUMNS)].rename(columns=STAGE_COLUMNS)
    c = STAGE_COLUMNS
    fmt = {
        c["entered"]: count, c["advanced"]: count, c["conversion"]: percent,
        c["median_days_to_advance"]: decimal,
        c["gained"]: count, c["gained_value"]: money_in_full, c["lost"]: count, c["lost_value"]: money_in_full,
        c["net"]: lambda x: signed(x, count),
        c["baseline_gained"]: decimal, c["baseline_lost"]: decimal,
        c["impact"]: signed_decimal, c["value_impact"]: signed_money,
    }
    return (table.style.format(fmt)
            .map(_sign_colour, subset=[c["impact"]])
            .map(_sign_colour, digits=0, subset=[c["value_impact"]]))


def has_baseline(period_stages: pd.DataFrame) -> bool:
    """Whether the period has a baseline to compare with (every period but the first does)."""
    return bool(period_stages["impact"].notna().any())


def worst_stage(stages: pd.DataFrame, period: str, stage_names: list[str]) -> str | None:
    """The stage that hurt the asset most in ``period``: the most negative impact, then the most
    negative value impact, then journey order. Without a baseline (the data's first period), the
    stage that lost the most customers in the period, or else in the whole data (as the drivers
    are). ``Unmapped`` is never chosen; None without stages."""
    if not stage_names:
        return None
    rows = stages[stages["stage"].isin(stage_names)]
    now = in_journey_order(rows[rows["period"] == period], stage_names)
    if has_baseline(now):
        ranked = now.dropna(subset=["impact"]).sort_values(["impact", "value_impact"], kind="stable")
    elif now["lost"].sum() > 0:
        ranked = now.sort_values(["lost", "lost_value"], ascending=False, kind="stable")
    else:
        totals = rows.groupby("stage", sort=False)[["lost", "lost_value"]].sum().reset_index()
        ranked = in_journey_order(totals, stage_names).sort_values(["lost", "lost_value"], ascending=False, kind="stable")
    return str(ranked.iloc[0]["stage"]) if len(ranked) else stage_names[0]


def stage_drivers(drivers: pd.DataFrame, stage: str) -> pd.DataFrame:
    """A stage's touchpoints ranked by risk ratio (highest first); those without a ratio (too few
    customers) after them, by exposed customers then name."""
    rows = drivers[drivers["stage"] == stage]
    tested = rows.dropna(subset=["risk_ratio"]).sort_values(["risk_ratio", "event"], ascending=[False, True], kind="stable")
    untested = rows[rows["risk_ratio"].isna()].sort_values(["exposed", "event"], ascending=[False, True], kind="stable")
    return pd.concat([tested, untested]).reset_index(drop=True)


def population(stage_drivers: pd.DataFrame) -> tuple[int, int]:
    """(customers, of whom lost) in a stage's drivers population: every row shares it."""
    if stage_drivers.empty:
        return 0, 0
    r = stage_drivers.iloc[0]
    return int(r.exposed + r.unexposed), int(r.exposed_lost + r.unexposed_lost)


def _lost_of(lost: int, n: int) -> str:
    return f"{count(lost)} ({percent(lost / n)})" if n else count(lost)


def _ratio(r) -> str:
    if missing(r.risk_ratio):
        return NOT_ENOUGH
    return f"{r.risk_ratio:.2f} ({r.ci_low:.2f} to {r.ci_high:.2f})"


def _p(x) -> str:
    if missing(x):
        return "-"
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def _ratio_colour(r) -> str:
    """Red when the whole interval is above 1 (more losses among the exposed), green below 1."""
    if missing(r.risk_ratio):
        return ""
    return HURT if r.ci_low > 1 else HELPED if r.ci_high < 1 else ""


def driver_table(stage_drivers: pd.DataFrame) -> Styler:
    """The touchpoints of one stage (from :func:`stage_drivers`) for reading.

    Counts and loss rates of both groups, the risk ratio with its 95% interval (or "not enough
    data" below 30 customers in either group), p and q values, and the customers and value at stake.
    """
    d = stage_drivers
    table = pd.DataFrame({
        "Touchpoint": d["event"],
        "Exposed (customers)": d["exposed"],
        "Lost of exposed": [_lost_of(a, n) for a, n in zip(d["exposed_lost"], d["exposed"], strict=True)],
        "Not exposed (customers)": d["unexposed"],
        "Lost of not exposed": [_lost_of(c, n) for c, n in zip(d["unexposed_lost"], d["unexposed"], strict=True)],
        "Risk ratio (95% interval)": [_ratio(r) for r in d.itertuples()],
        "p-value": d["p_value"],
        "q-value": d["q_value"],
        "At stake (customers)": d["customers_at_stake"],
        "Value at stake (a year)": d["value_at_stake"].astype("float64"),
    }, columns=DRIVER_COLUMNS)
    colours = [_ratio_colour(r) for r in d.itertuples()]
    fmt = {"Exposed (customers)": count, "Not exposed (customers)": count, "At stake (customers)": count,
           "p-value": _p, "q-value": _p,
           "Value at stake (a year)": money_in_full}
    return (table.style.format(fmt)
            .apply(lambda _: colours, subset=["Risk ratio (95% interval)"], axis=0))
