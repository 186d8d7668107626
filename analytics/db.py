"""The one place that opens DuckDB.

A workspace keeps one connection per process (DuckDB allows one writer process per file);
every query runs on its own cursor, with values bound as ``?`` parameters. Identifiers that
must be dynamic (a dataset's events table, a source column named by an upload) go through
:func:`quote_ident` and nowhere else.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).with_name("sql")


def connect(path: str | Path = ":memory:") -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a DuckDB database with the session pinned to UTC."""
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    return con


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB: wrap in double quotes, double any inside."""
    if "\x00" in name:
        raise ValueError("an identifier cannot contain a NUL character")
    return '"' + name.replace('"', '""') + '"'


@cache
def sql(name: str) -> str:
    """The text of ``analytics/sql/<name>.sql``: one query per file."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
