"""Tables written for other programs: CSV safe to open in a spreadsheet, and JSON.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run as
a formula by Excel, LibreOffice or Google Sheets (CSV injection); such cells get a leading
apostrophe, which spreadsheets show as plain text. Numbers are written as they are, unrounded.
"""

from __future__ import annotations

import io
import json
import math
from decimal import Decimal

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A cell made inert for spreadsheets: text that could start a formula is prefixed with '.

    Exact amounts (``Decimal``) are written in plain notation without trailing zeros.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def to_csv(df: pd.DataFrame) -> str:
    """The table as formula-safe CSV text (empty cells for missing values)."""
    safe = df.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(safe_cell)
    safe.columns = [safe_cell(str(c)) for c in safe.columns]
    buf = io.StringIO()
    safe.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


def to_json(df: pd.DataFrame) -> str:
    """The table as a JSON list of objects (null for missing values)."""
    records = [{k: _plain(v) for k, v in row.items()} for row in df.to_dict("records")]
    return json.dumps(records, ensure_ascii=False, indent=1)
