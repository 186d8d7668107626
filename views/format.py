"""Numbers as people read them: thousands separators, money, percentages, signs."""

from __future__ import annotations

import math


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


_SINGULAR = {"people": "person"}


def singular(unit: str) -> str:
    """The singular of a plural unit, its first word: rows -> row, people -> person, rows kept -> row kept."""
    first, space, rest = unit.partition(" ")
    first = _SINGULAR.get(first, first[:-1] if first.endswith("s") else first)
    return first + space + rest


def count(x, unit: str = "") -> str:
    """12,345 customers; 1 customer (``unit`` is given in the plural)."""
    if _missing(x):
        return "-"
    s = f"{x:,.0f}"
    if unit and s == "1":
        unit = singular(unit)
    return f"{s} {unit}".strip()


def plural(n, noun: str, nouns: str | None = None) -> str:
    """The count with its noun in the right number: '1 customer', '2,043 customers', '0 quarters'."""
    return f"{count(n)} {noun if n == 1 else nouns or noun + 's'}"


def money(x, like=None) -> str:
    """Money in whole units, without a currency sign (exports rarely say which): 980, 18,300, 2.41 M.

    Whole at every size (869.48 reads 869, 0.30 reads 0), rounded as the tables and the Markdown of the
    meeting round (Python's round): the pages, the report and the pack compare amounts, they do not
    audit cents. The CSV exports keep the full precision.

    With ``like``, in the form that ``like`` is written in: a change beside its value, -0.76 M beside
    1.84 M rather than -762,208 (millions get the decimals that keep a change other than nought)."""
    if _missing(x):
        return "-"
    n = round(float(x))
    size = abs(round(float(like))) if like is not None and not _missing(like) else abs(n)
    if size >= 1_000_000:
        ax, digits = abs(float(x)), 2
        while ax and round(ax / 1_000_000, digits) == 0 and digits < 6:
            digits += 1
        return f"{'-' if x < 0 else ''}{ax / 1_000_000:,.{digits}f} M"
    return f"{n:,}"


def money_in_full(x) -> str:
    """Money written out whole, never as millions: for a table's column, where 1,140,000 and 132,039 are
    compared down the column (1.14 M beside 132,039 reads as the smaller)."""
    return money(x, like=0)


def signed(x, fmt=count) -> str:
    """+12 / -3 / 0, with the given formatter; no sign when what is shown is zero (0.3 as money: 0)."""
    if _missing(x):
        return "-"
    text = fmt(abs(x))
    if not any(ch in "123456789" for ch in text):
        return text
    return ("+" if x > 0 else "-" if x < 0 else "") + text


def percent(x, digits: int = 1) -> str:
    if _missing(x):
        return "-"
    return f"{100 * x:.{digits}f}%"


def days(x) -> str:
    if _missing(x):
        return "-"
    return f"{x:.1f} days"
