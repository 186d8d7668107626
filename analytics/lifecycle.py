"""Every customer's lifecycle, computed once per dataset and settings and kept for reuse.

The lifecycle is the costly half of the model: the money and churn events (``model_money``), the
activity spells (``model_spells``) and each customer's state, class and value per period
(``model_customer_periods``). None depends on the segment filter (a customer's spells are their
own), so they are computed for every customer once per dataset version and lifecycle settings
(as_of, churn window, churn events, grain), and a segment, a new page or a second look reads them
back, filtered to the segment's customers.

Two places keep them:

- **the workspace file**, for the settings the pages open with (:func:`analytics.model.first_look`):
  written by the ingest, by a new stage map and by the upgrade of an older workspace, each in a
  transaction of its own once the events are committed, and dropped with the events. A new process, a
  restart or a second user opens the Overview without computing any lifecycle. Their tables are
  ``lifecycle_<events table>_<key>_<part>``, listed in the table ``lifecycles``.
- **an in-memory database** attached to the workspace's connection (``lifecycle``), for any other
  settings (another end date, quarters, a churn window being tried): shared by every cursor of the
  process, the :data:`KEEP` most recently used. A cursor in a read snapshot sees a lifecycle stored
  there after its snapshot began (DuckDB starts its transaction on an attached database when the
  database is first read). A new process computes them again, once.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime

import duckdb

from analytics.db import quote_ident

KEEP = 4  # lifecycles kept per process; at 10 M events one takes about 300 MB
SCHEMA = "lifecycle"
PARTS = ("money", "spells", "customer_periods")


def lifecycle_key(events_table: str, churn_events: list[str], churn_after_days: int, as_of: datetime, grain: str) -> str:
    """What a lifecycle depends on, hashed: the events table (a new one per upload) and the settings."""
    text = repr((events_table, sorted(churn_events), churn_after_days, as_of.isoformat(), grain))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_tables(events_table: str, lifecycle_key: str) -> tuple[str, str, str]:
    """The names of a lifecycle's tables in the workspace file (unquoted)."""
    return tuple(f"lifecycle_{events_table}_{lifecycle_key}_{part}" for part in PARTS)


# The lifecycles stored in the workspace file. Read as a table, not from DuckDB's catalogue
# functions: those start the reader's transaction on every attached database, the in-memory one
# too, which would then never see a lifecycle stored there after that moment.
FILE_CATALOGUE = "CREATE TABLE IF NOT EXISTS lifecycles (events_table VARCHAR NOT NULL, key VARCHAR NOT NULL)"


def in_file(cur: duckdb.DuckDBPyConnection, events_table: str, lifecycle_key: str) -> tuple[str, str, str] | None:
    """The lifecycle's tables in the workspace file, quoted for SQL, when ``cur`` sees them."""
    found = cur.execute("SELECT count(*) FROM lifecycles WHERE events_table = ? AND key = ?",
                        [events_table, lifecycle_key]).fetchone()[0]
    return tuple(quote_ident(t) for t in file_tables(events_table, lifecycle_key)) if found else None


def store_in_file(cur: duckdb.DuckDBPyConnection, events_table: str, lifecycle_key: str) -> tuple[str, str, str]:
    """Register a lifecycle in the workspace file (in the caller's transaction); the tables to
    write it into, quoted for SQL."""
    cur.execute("INSERT INTO lifecycles VALUES (?, ?)", [events_table, lifecycle_key])
    return tuple(quote_ident(t) for t in file_tables(events_table, lifecycle_key))


def drop_from_file(cur: duckdb.DuckDBPyConnection, events_table: str) -> None:
    """Drop every lifecycle of ``events_table`` from the workspace file (in the caller's transaction)."""
    for (lifecycle_key,) in cur.execute("SELECT key FROM lifecycles WHERE events_table = ?", [events_table]).fetchall():
        for table in file_tables(events_table, lifecycle_key):
            cur.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
    cur.execute("DELETE FROM lifecycles WHERE events_table = ?", [events_table])


class LifecycleStore:
    """The lifecycles of one workspace connection, most recently used last."""

    def __init__(self, con: duckdb.DuckDBPyConnection, keep: int = KEEP):
        self._con = con
        self._keep = keep
        self._lock = threading.Lock()
        self._tables: OrderedDict[str, tuple[str, str, str]] = OrderedDict()
        self.builds = 0  # lifecycles computed so far (the tests count them)
        con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {SCHEMA}")

    def tables(self, key: str, build, reader: duckdb.DuckDBPyConnection) -> tuple[str, str, str] | None:
        """The (money, spells, customer periods) tables stored under ``key``, qualified for SQL;
        made first by ``build(cursor, tables)`` when missing. ``reader`` (the
        caller's cursor) reads them before anything else may drop them: from then on its
        transaction keeps them, whatever the store evicts.

        ``build`` runs on a cursor of its own, outside the caller's snapshot: when the events it
        reads are gone (another session replaced or deleted the dataset meanwhile) nothing is
        stored and the answer is ``None``, and the caller computes from its snapshot instead.
        """
        with self._lock:
            if key not in self._tables:
                names = tuple(f"{SCHEMA}.{part}_{key}" for part in PARTS)
                cur = self._con.cursor()
                try:
                    cur.execute("SET TimeZone = 'UTC'")
                    build(cur, names)
                except duckdb.Error:
                    for table in names:
                        cur.execute(f"DROP TABLE IF EXISTS {table}")
                    return None
                finally:
                    cur.close()
                self.builds += 1
                self._tables[key] = names
                while len(self._tables) > self._keep:
                    _, old = self._tables.popitem(last=False)
                    with self._con.cursor() as drop:
                        for table in old:
                            drop.execute(f"DROP TABLE IF EXISTS {table}")
            self._tables.move_to_end(key)
            for table in self._tables[key]:
                reader.execute(f"SELECT 1 FROM {table} LIMIT 0").fetchall()
            return self._tables[key]
