"""Formatting for the pages: ISO dates, escaped user text and the tables' count columns (numbers: :mod:`views.format`)."""

from __future__ import annotations

import re
from datetime import datetime

import streamlit as st

from views.format import unlinked

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    """User-supplied text made inert for ``st.markdown``: every Markdown character escaped.

    Streamlit renders no HTML from markdown unless a page asks it to (none does); escaping also stops
    a file or event name from turning into a link, an image or a heading, and a word joiner inside a
    web or e-mail address stops the address becoming a link (GitHub's autolinks, which escapes do not).
    """
    return _MD_SPECIAL.sub(r"\\\1", unlinked(text))


def _iso(t: datetime | str | None, fmt: str) -> str:
    if t is None:
        return "-"
    if isinstance(t, str):
        t = datetime.fromisoformat(t)
    return t.strftime(fmt)


def when(t: datetime | str | None) -> str:
    """An ISO date-time (minutes), or '-'."""
    return _iso(t, "%Y-%m-%d %H:%M")


def day(t: datetime | str | None) -> str:
    """An ISO date, or '-'."""
    return _iso(t, "%Y-%m-%d")


# A table's whole-number column (rows, customers) as the product writes counts: 401,604, not 401604.
COUNT_FORMAT = "%,.0f"


def count_columns(*names: str) -> dict:
    """``column_config`` for whole-number columns shown under their own names, written with
    :data:`COUNT_FORMAT` (Streamlit draws a number as it is unless its column says otherwise)."""
    return {name: st.column_config.NumberColumn(name, format=COUNT_FORMAT) for name in names}
