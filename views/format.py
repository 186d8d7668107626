"""Numbers as people read them: thousands separators, money, percentages, signs."""

from __future__ import annotations

import math


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def count(x, unit: str = "") -> str:
    """12,345 customers."""
    if _missing(x):
        return "-"
    s = f"{x:,.0f}"
    return f"{s} {unit}".strip()


def money(x) -> str:
    """Money without a currency sign (exports rarely say which): 980, 18,300, 2.41 M."""
    if _missing(x):
        return "-"
    sign = "-" if x < 0 else ""
    x = abs(float(x))
    if x >= 1_000_000:
        return f"{sign}{x / 1_000_000:,.2f} M"
    if x >= 1_000:
        return f"{sign}{x:,.0f}"
    return f"{sign}{x:,.0f}" if x == int(x) else f"{sign}{x:,.2f}"


def signed(x, fmt=count) -> str:
    """+12 / -3 / 0, with the given formatter."""
    if _missing(x):
        return "-"
    text = fmt(abs(x))
    return ("+" if x > 0 else "-" if x < 0 else "") + text


def percent(x, digits: int = 1) -> str:
    if _missing(x):
        return "-"
    return f"{100 * x:.{digits}f}%"


def days(x) -> str:
    if _missing(x):
        return "-"
    return f"{x:.1f} days"
