"""Numbers as people read them: thousands separators, money, percentages, signs."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

# Markdown viewers (Streamlit's, GitHub's) link a bare web or e-mail address even when its characters are
# escaped ("http\\://x" too): a word joiner (U+2060, invisible, no line break) inside each keeps it text.
_ADDRESS = re.compile(r"(?i)(://|\bwww\.|@)")


def unlinked(text: object) -> str:
    """``text`` with a word joiner inside every web or e-mail address (``http:/\u2060/``, ``www\u2060.``,
    ``a\u2060@b``), so that no Markdown viewer makes it a link; user text written as Markdown goes through it."""
    return _ADDRESS.sub(lambda m: m.group(1)[:-1] + "\u2060" + m.group(1)[-1], str(text))


def missing(x) -> bool:
    """No number: None or NaN (written '-')."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def rounded(x, digits: int = 0) -> float:
    """``x`` rounded as people round: a half away from zero (2.5 -> 3, -2.5 -> -3, 0.25 -> 0.3), on the
    number as Python writes it (2.675 -> 2.68, where the binary value would give 2.67).

    Every number the product writes is rounded by it, and the pages' tables whose columns the browser
    formats (``%,.0f``) get their numbers already rounded, so the browser's rounding has nothing left to
    decide: the page, the report and the meeting's Markdown write the same amount. (Python's ``round``
    and format round a half to even, the browser's away from zero: 1,234.5 read 1,234 in the report and
    1,235 on the page.)"""
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(x))).quantize(step, rounding=ROUND_HALF_UP)) + 0.0  # + 0.0: no -0.0


_SINGULAR = {"people": "person"}


def singular(unit: str) -> str:
    """The singular of a plural unit, its first word: rows -> row, people -> person, rows kept -> row kept."""
    first, space, rest = unit.partition(" ")
    first = _SINGULAR.get(first, first[:-1] if first.endswith("s") else first)
    return first + space + rest


def count(x, unit: str = "") -> str:
    """12,345 customers; 1 customer (``unit`` is given in the plural)."""
    if missing(x):
        return "-"
    s = f"{rounded(x):,.0f}"
    if unit and s == "1":
        unit = singular(unit)
    return f"{s} {unit}".strip()


def plural(n, noun: str, nouns: str | None = None) -> str:
    """The count with its noun in the right number: '1 customer', '2,043 customers', '0 quarters'."""
    return f"{count(n)} {noun if n == 1 else nouns or noun + 's'}"


def money(x, like=None) -> str:
    """Money in whole units, without a currency sign (exports rarely say which): 980, 18,300, 2.41 M.

    Whole at every size (869.48 reads 869, 0.30 reads 0, 869.5 reads 870: see :func:`rounded`): the
    pages, the report and the pack compare amounts, they do not audit cents. The CSV exports keep the
    full precision.

    With ``like``, in the form that ``like`` is written in: a change beside its value, -0.76 M beside
    1.84 M rather than -762,208 (millions get the decimals that keep a change other than nought)."""
    if missing(x):
        return "-"
    n = int(rounded(x))
    size = abs(rounded(like)) if like is not None and not missing(like) else abs(n)
    if size >= 1_000_000:
        ax, digits = abs(float(x)), 2
        while ax and rounded(ax / 1_000_000, digits) == 0 and digits < 6:
            digits += 1
        return f"{'-' if x < 0 else ''}{rounded(ax / 1_000_000, digits):,.{digits}f} M"
    return f"{n:,}"


def money_in_full(x) -> str:
    """Money written out whole, never as millions: for a table's column, where 1,140,000 and 132,039 are
    compared down the column (1.14 M beside 132,039 reads as the smaller)."""
    return money(x, like=0)


def decimal(x, digits: int = 1) -> str:
    """A number with its decimals, as a baseline's mean is written: 2.5, 1,234.0 (see :func:`rounded`)."""
    return "-" if missing(x) else f"{rounded(x, digits):,.{digits}f}"


def signed(x, fmt=count) -> str:
    """+12 / -3 / 0, with the given formatter; no sign when what is shown is zero (0.3 as money: 0)."""
    if missing(x):
        return "-"
    text = fmt(abs(x))
    if not any(ch in "123456789" for ch in text):
        return text
    return ("+" if x > 0 else "-" if x < 0 else "") + text


def signed_decimal(x) -> str:
    """+3.0 / -19.5 / 0.0: a change in customers against a baseline's mean."""
    return signed(x, decimal)


def signed_money(x) -> str:
    """+1,234 / -56,789: a change in money, written out whole (a table's column)."""
    return signed(x, money_in_full)


def percent(x, digits: int = 1) -> str:
    if missing(x):
        return "-"
    return f"{rounded(100 * x, digits):.{digits}f}%"


def days(x) -> str:
    if missing(x):
        return "-"
    return f"{rounded(x, 1):.1f} days"
