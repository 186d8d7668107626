"""The one place that opens DuckDB.

A workspace keeps one connection per process (DuckDB allows one writer process per file);
every query runs on its own cursor, with values bound as ``?`` parameters. Identifiers that
must be dynamic (a dataset's events table, a source column named by an upload) go through
:func:`quote_ident` and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).with_name("sql")
# DuckDB's own default is 80% of the machine's memory; a laptop running a browser and a dashboard
# needs a bound. Past it, DuckDB spills to disk (sorts, joins, aggregates) instead of failing.
MEMORY_LIMIT_ENV = "JOURNEY_LEDGER_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "2GB"


def connect(path: str | Path = ":memory:") -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a DuckDB database with the session pinned to UTC.

    Memory is capped at ``$JOURNEY_LEDGER_MEMORY_LIMIT`` (default 2GB, DuckDB's syntax such as
    ``4GB``); a workspace file spills to a ``<file>.tmp`` folder next to it.
    """
    config = {"memory_limit": os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT}
    if str(path) != ":memory:":
        config["temp_directory"] = str(Path(path).with_name(Path(path).name + ".tmp"))
    con = duckdb.connect(str(path), config=config)
    con.execute("SET TimeZone = 'UTC'")
    return con


@contextmanager
def transaction(cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything run on ``cur`` inside the block, all or nothing: committed at its end, rolled
    back on any exception (which goes on up)."""
    cur.execute("BEGIN TRANSACTION")
    try:
        yield
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise


def customers_table_of(events_table: str) -> str:
    """A dataset's customers table, ``customers_<key>``, for its events table ``events_<key>``."""
    return "customers_" + events_table.removeprefix("events_")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB: wrap in double quotes, double any inside."""
    if "\x00" in name:
        raise ValueError("an identifier cannot contain a NUL character")
    return '"' + name.replace('"', '""') + '"'


@cache
def sql(name: str) -> str:
    """The text of ``analytics/sql/<name>.sql``: one query per file."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
