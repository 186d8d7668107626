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
  ``lifecycle_<events table>_<key>_<part>``, listed in the table ``lifecycles``. Beside it, the
  *journey* of every event under the dataset's stage map (each person's entry into and advance
  from each stage, and the stages and touchpoints they met: ``journey_<events table>_<key>_<part>``,
  listed in ``journeys``). It does not depend on the lifecycle's settings, so the stage table and
  the drivers read it under any settings (any grain, churn window or segment; cut at ``as_of`` when
  that comes before the last event), instead of grouping the whole log again.
- **an in-memory database** attached to the workspace's connection (``lifecycle``), for any other
  settings (another end date, quarters, a churn window being tried): shared by every cursor of the
  process, the :data:`KEEP` most recently used. A cursor in a read snapshot sees a lifecycle stored
  there after its snapshot began (DuckDB starts its transaction on an attached database when the
  database is first read). A new process computes them again, once, from what is at hand when it
  can (:meth:`analytics.model.Model._build_lifecycle`): by quarter, from the same settings' months
  when either place has them, so the first look by quarter walks no events; with an earlier end date
  than the first look's (its churn window), by cutting the first look's at that date.
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
JOURNEY_PARTS = ("advance", "exposure")
# Raised when the stored journey's columns change (2: the exposure's first_ts): a journey stored in an
# older form is under another key, and the workspace stores it again when it opens.
JOURNEY_FORM = 2
# What the workspace file stores, by kind: the catalogue listing them, and their tables' parts.
KINDS = {"lifecycle": ("lifecycles", PARTS), "journey": ("journeys", JOURNEY_PARTS)}


def _digest(parts: tuple) -> str:
    """A short, stable key for ``parts`` (their repr hashed)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def lifecycle_key(events_table: str, churn_events: list[str], churn_after_days: int, as_of: datetime, grain: str) -> str:
    """What a lifecycle depends on, hashed: the events table (a new one per upload) and the settings."""
    return _digest((events_table, sorted(churn_events), churn_after_days, as_of.isoformat(), grain))


def journey_key(events_table: str, stage_names: list[str], event_stage_pairs: list[tuple[str, str]],
                churn_events: list[str]) -> str:
    """What a journey (every event's entries and exposures) depends on, hashed: the events table and
    the stage map's stages, (event, stage) pairs (their order numbers the touchpoints) and churn
    events, and the form its tables are stored in (:data:`JOURNEY_FORM`)."""
    return _digest((events_table, list(stage_names), list(event_stage_pairs), sorted(churn_events), JOURNEY_FORM))


def file_tables(events_table: str, key: str, kind: str = "lifecycle") -> tuple[str, ...]:
    """The names of a stored lifecycle's (or journey's) tables in the workspace file (unquoted)."""
    return tuple(f"{kind}_{events_table}_{key}_{part}" for part in KINDS[kind][1])


# The lifecycles and journeys stored in the workspace file. Read as tables, not from DuckDB's catalogue
# functions: those start the reader's transaction on every attached database, the in-memory one
# too, which would then never see a lifecycle stored there after that moment.
FILE_CATALOGUE = tuple(
    f"CREATE TABLE IF NOT EXISTS {catalogue} (events_table VARCHAR NOT NULL, key VARCHAR NOT NULL)"
    for catalogue, _ in KINDS.values()
)


def in_file(cur: duckdb.DuckDBPyConnection, events_table: str, key: str, kind: str = "lifecycle") -> tuple[str, ...] | None:
    """The lifecycle's (or journey's) tables in the workspace file, quoted for SQL, when ``cur`` sees them."""
    found = cur.execute(f"SELECT count(*) FROM {KINDS[kind][0]} WHERE events_table = ? AND key = ?",
                        [events_table, key]).fetchone()[0]
    return tuple(quote_ident(t) for t in file_tables(events_table, key, kind)) if found else None


def store_in_file(cur: duckdb.DuckDBPyConnection, events_table: str, key: str, kind: str = "lifecycle") -> tuple[str, ...]:
    """Register a lifecycle (or journey) in the workspace file (in the caller's transaction); the
    tables to write it into, quoted for SQL."""
    cur.execute(f"INSERT INTO {KINDS[kind][0]} VALUES (?, ?)", [events_table, key])
    return tuple(quote_ident(t) for t in file_tables(events_table, key, kind))


def drop_from_file(cur: duckdb.DuckDBPyConnection, events_table: str) -> None:
    """Drop every lifecycle and journey of ``events_table`` from the workspace file (in the caller's transaction)."""
    for kind, (catalogue, _) in KINDS.items():
        for (key,) in cur.execute(f"SELECT key FROM {catalogue} WHERE events_table = ?", [events_table]).fetchall():
            for table in file_tables(events_table, key, kind):
                cur.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
        cur.execute(f"DELETE FROM {catalogue} WHERE events_table = ?", [events_table])


class LifecycleStore:
    """The lifecycles of one workspace connection, most recently used last."""

    def __init__(self, con: duckdb.DuckDBPyConnection, keep: int = KEEP):
        self._con = con
        self._keep = keep
        self._lock = threading.RLock()  # a build may look up what is kept (cached)
        self._tables: OrderedDict[str, tuple[str, str, str]] = OrderedDict()
        self.builds = 0  # lifecycles computed so far (the tests count them)
        con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {SCHEMA}")

    def cached(self, key: str) -> tuple[str, str, str] | None:
        """The tables kept under ``key``, qualified for SQL, or ``None``: nothing is computed. For a
        build, which runs under the store's lock, so they stay until it is done."""
        with self._lock:
            return self._tables.get(key)

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
