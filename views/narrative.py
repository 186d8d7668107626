"""Plain sentences generated from the model's numbers, for the Overview and the report."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from analytics.model import MIN_GROUP  # below it in either group, no risk ratio ("not enough data")
from views.format import count, decimal, money, percent, plural, rounded, signed

GRAIN_WORD = {"month": "month", "quarter": "quarter"}


def _change(new: float, old: float) -> float | None:
    return None if not old else (new - old) / abs(old)


def _active(start, end) -> str:
    """'2,129 active customers (+4.2%, 86 more)': the customers at the end and their change over the period."""
    who = "no active customers" if end == 0 else plural(end, "active customer")
    diff = end - start
    if start == 0:
        change = "none at the start"
    elif diff == 0:
        change = "as many as at the start"
    else:
        change = (f"{'+' if diff > 0 else '-'}{percent(abs(diff) / start)}, "
                  f"{count(abs(diff))} {'more' if diff > 0 else 'fewer'}")
    return f"{who} ({change})"


def is_complete(period: str, periods: pd.DataFrame) -> bool:
    """Whether ``period`` is over at the results' as_of (the ``complete`` column of ``Results.periods``)."""
    return bool(periods.set_index("period").at[period, "complete"])


def period_label(period: str, periods: pd.DataFrame, as_of: datetime) -> str:
    """'2026-04', or '2026-05 so far (to 2026-05-15)' when the period is not over at ``as_of``."""
    return period if is_complete(period, periods) else f"{period} so far (to {as_of:%Y-%m-%d})"


def part_period_note(period: str, periods: pd.DataFrame, as_of: datetime, grain: str) -> str | None:
    """What to say when ``period`` is not over: how far its numbers run, and that the changes against
    the previous period and the baselines compare part of a period with full ones; ``None`` when it is over."""
    if is_complete(period, periods):
        return None
    word = GRAIN_WORD.get(grain, grain)
    note = f"{period} is not over: its numbers run to {as_of:%Y-%m-%d}."
    if list(periods["period"]).index(period) > 0:
        note += (f" The changes against the previous {word} and the stages' baselines compare this part of a {word} "
                 f"with full {word}s: a part {word} gains, loses and earns less than a full one.")
    return note


def headline(row: pd.Series, label: str | None = None) -> str:
    """One sentence: how the asset's yearly value changed in the period and where it ended, then the
    active customers and their own change (the two grow at different rates: each says its own).
    ``label``: how the period reads (:func:`period_label`: '2026-05 so far (to 2026-05-15)'); its name by default."""
    label = label or row.period
    if not (row.customers_start or row.customers_end or row.value_start or row.value_end):
        if row.revenue:  # DOMAIN.md's class 'other': acquired and lost inside the period, in no movement
            return (f"There were no active customers at the start or end of {label}, though it brought "
                    f"{money(row.revenue)} of revenue: customers acquired and lost inside a period count as neither "
                    "new nor lost in it.")
        return f"There were no active customers at the start or end of {label}."
    rel = _change(row.value_end, row.value_start)
    verb = "grew" if row.value_end > row.value_start else "shrank" if row.value_end < row.value_start else "held"
    by = f" by {percent(abs(rel))}" if rel is not None and verb != "held" else ""
    return (
        f"In {label} the customer asset's yearly value {verb}{by} {'at' if verb == 'held' else 'to'} "
        f"{money(row.value_end)} a year, with {_active(row.customers_start, row.customers_end)}."
    )


def movement_sentences(row: pd.Series) -> list[str]:
    """What grew and what shrank, in customers and yearly value."""
    out = []
    gained = row.new + row.reactivated
    out.append(
        f"{plural(row.new, 'new customer')} brought {money(row.new_value)} a year"
        + (f" and {count(row.reactivated)} won back brought {money(row.reactivation_value)}" if row.reactivated else "")
        + "."
    )
    if row.churned:
        out.append(f"{plural(row.churned, 'customer')} worth {money(row.churned_value)} a year "
                   f"{'was' if row.churned == 1 else 'were'} lost"
                   + (f", {percent(row.churned / row.customers_start)} of those active at the start." if row.customers_start else "."))
    else:
        out.append("No customers were lost in this period.")
    if row.expansion or row.contraction:
        out.append(f"Customers who stayed spent {money(row.expansion)} a year more and {money(row.contraction)} less.")
    net = gained - row.churned
    out.append(f"Net change: {'+' if net >= 0 else '-'}{plural(abs(net), 'customer')}, "
               f"{signed(row.value_end - row.value_start, money)} a year.")
    return out


def customers(n) -> str:
    """'1 customer', '41 customers', 'nobody'."""
    return "nobody" if n == 0 else plural(n, "customer")


def _amount(x: float) -> str:
    return count(abs(x)) if abs(x - rounded(x)) < 0.05 else decimal(abs(x))


def without_baseline(period: str, grain: str, baseline: int) -> str | None:
    """What to say instead of the stages that hurt and helped in the data's first period (a baseline of
    no period); ``None`` when there is a baseline."""
    if baseline:
        return None
    return (f"{period} is the first {GRAIN_WORD.get(grain, grain)} of the data: there is no baseline to compare "
            "the stages with yet.")


def stage_sentence(r, baseline: int, grain: str, part: bool = False) -> str:
    """'Onboard lost 41 customers worth 18,300 a year, 23 more than its 3-month baseline.'

    ``baseline``: the number of periods the baseline covers (:func:`baseline_periods`); ``part``: the
    period is not over, and the baseline is of full periods ('its 3-month baseline of full months')."""
    word = GRAIN_WORD.get(grain, grain)
    unit = f"its {baseline}-{word} baseline" + (f" of full {word}s" if part else "")
    parts = []
    for verb, n, value, base in (("lost", r.lost, r.lost_value, r.baseline_lost),
                                 ("gained", r.gained, r.gained_value, r.baseline_gained)):
        if not n and not base:
            continue
        worth = f" worth {money(value)} a year" if n else ""
        diff = n - base
        versus = f"{_amount(diff)} {'more' if diff > 0 else 'fewer'} than {unit}" if abs(diff) >= 0.05 else f"as many as {unit}"
        parts.append(f"{verb} {customers(n)}{worth}, {versus}")
        unit = "its baseline"
    return f"{r.stage} " + "; ".join(parts or ["gained and lost nobody, as in its baseline"]) + "."


def stage_sentences(period_stages: pd.DataFrame, baseline: int, grain: str, top: int = 2,
                    part: bool = False) -> tuple[list[str], list[str]]:
    """The stages that hurt most and helped most against their baseline (by impact, then value);
    ``baseline``: the number of periods it covers (:func:`baseline_periods`); ``part``: see :func:`stage_sentence`."""
    rows = period_stages.dropna(subset=["impact"])
    hurt = rows[rows.impact < 0].sort_values(["impact", "value_impact"]).head(top)
    helped = rows[rows.impact > 0].sort_values(["impact", "value_impact"], ascending=False).head(top)
    return ([stage_sentence(r, baseline, grain, part) for r in hurt.itertuples()],
            [stage_sentence(r, baseline, grain, part) for r in helped.itertuples()])


def no_driver(drivers: pd.DataFrame, stage_names: list[str]) -> str:
    """Why no touchpoint is shown as going with loss (the drivers table has none whose risk ratio's 95%
    interval lies above 1): none could be tested, none had enough data, or none of those tested did."""
    if drivers.empty:
        return ("No touchpoint could be tested: the stage map has no stages." if not stage_names else
                "No touchpoint could be tested: there are no customers to compare yet.")
    untested = int(drivers["risk_ratio"].isna().sum())
    if untested == len(drivers):
        return (f"Not enough data to tell: every touchpoint was met, or not met, by fewer than {MIN_GROUP} customers "
                f"of its stage, and a risk ratio needs at least {MIN_GROUP} on each side.")
    out = ("No touchpoint is clearly associated with loss: none has a risk ratio whose 95% interval lies above 1.")
    if untested:
        out += (f" {plural(untested, 'other touchpoint')} had fewer than {MIN_GROUP} customers on one side and "
                f"{'was' if untested == 1 else 'were'} not tested.")
    return out


def without_stages(stage_names: list[str]) -> str | None:
    """What to say instead of the stages that hurt and helped when the stage map has none (every event
    Unmapped, as for a shop export ingested without one); ``None`` when it has stages."""
    if stage_names:
        return None
    return ("The stage map has no stages, so every event is Unmapped: add stages on the Data page to see where in the "
            "journey customers were gained and lost.")
