"""The headline cards of a period (Overview page and report): value, and change against the previous period."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from views.format import count, money, percent, signed


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    delta: str | None  # change against the previous period, signed; None for the first period
    lower_is_better: bool = False


def _delta(now, before, fmt) -> str | None:
    if before is None or now is None:
        return None
    return signed(now - before, fmt)


def churn_rate(row: pd.Series) -> float | None:
    """Customers lost in the period over those active at its start."""
    return row.churned / row.customers_start if row.customers_start else None


def cards(movements: pd.DataFrame, period: str) -> list[Card]:
    """Active customers, asset value, net change, churn rate and revenue for ``period``; a change in money
    is written in its value's form (+0.19 M beside 2.60 M, not +186,830)."""
    moves = movements.set_index("period", drop=False)
    row = moves.loc[period]
    i = list(moves.index).index(period)
    prev = moves.iloc[i - 1] if i > 0 else None

    def before(f):
        return None if prev is None else f(prev)

    net = row.customers_end - row.customers_start
    rate = churn_rate(row)
    return [
        Card("Active customers", count(row.customers_end), _delta(row.customers_end, before(lambda r: r.customers_end), count)),
        Card("Asset value (a year)", money(row.value_end),
             _delta(row.value_end, before(lambda r: r.value_end), lambda d: money(d, like=row.value_end))),
        Card("Net change (customers)", ("+" if net > 0 else "") + count(net),
             _delta(net, before(lambda r: r.customers_end - r.customers_start), count)),
        Card("Churn rate", percent(rate) if rate is not None else "-",
             _delta(rate, before(churn_rate), lambda x: f"{100 * x:.1f} pts"), lower_is_better=True),
        Card("Revenue in period", money(row.revenue),
             _delta(row.revenue, before(lambda r: r.revenue), lambda d: money(d, like=row.revenue))),
    ]
