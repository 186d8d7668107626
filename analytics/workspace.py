"""The workspace: one DuckDB file holding every dataset side by side.

Layout:

- ``datasets``: the catalogue, a row per dataset (name, source file, mapping, stage map as TOML,
  upload time, row counts, date range and the validation report as JSON);
- ``events_<key>``: a dataset's events in canonical columns, sorted by customer and time::

      customer_key INTEGER, ts TIMESTAMP (UTC), event VARCHAR, stage VARCHAR (as given in the
      data, may be NULL), revenue DECIMAL(18,4), segment VARCHAR, channel VARCHAR, satisfaction
      DOUBLE, row_no BIGINT (the data row of the source file: ties on time keep the file's order)

- ``customers_<key>``: its customers, ``customer_key INTEGER, customer_id VARCHAR``. The events
  carry the dense integer key, not the text id: the model joins, groups and sorts by customer,
  and an integer does that several times faster than text (and costs the same for a 36-character
  UUID as for a short code). :meth:`Dataset.events_with_ids` joins the id back where it is shown.
- ``lifecycle_<events table>_<key>_{money,spells,customer_periods}``: every customer's
  lifecycle under the settings the pages open with, written after the events (and again after a
  new stage map) and dropped with them, listed in ``lifecycles`` (see :mod:`analytics.lifecycle`).
- ``journey_<events table>_<key>_{advance,exposure}``: with it, the journey of every event under
  the stage map (each person's stage entries and advances, the stages and touchpoints they met),
  listed in ``journeys``.

A workspace written before the customer key (events with a ``customer_id`` column) is brought up
to date when it is opened, a dataset per transaction (its first look's lifecycle stored too), and so
is one whose first look was stored without the journey, or with it in an older form.

Every change (ingest, replace, rename, delete, new stage map) is one transaction: readers see the
old state or the new one, never half of it. The first look's lifecycle, derived from the events,
follows in a transaction of its own; until it lands (or when it cannot be computed) the pages
compute it when opened. The workspace is ``data/workspace.duckdb`` unless the
environment variable ``JOURNEY_LEDGER_WORKSPACE`` or an explicit path says otherwise. A new
workspace is created with the bundled sample dataset in it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analytics import ingest as _ingest
from analytics import lifecycle, priorities
from analytics.db import connect, customers_table_of, quote_ident, sql, transaction
from analytics.errors import DatasetNotFound, WorkspaceError
from analytics.lifecycle import LifecycleStore
from analytics.mapping import Mapping
from analytics.model import first_look, journey_key, lifecycle_key, segments_of, store_first_look
from analytics.stagemap import DEFAULT_STAGE_MAP, StageMap, parse_stage_map

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATH = ROOT / "data" / "workspace.duckdb"
SAMPLE_FILE = ROOT / "sample_data" / "events.csv.gz"
SAMPLE_STAGES = ROOT / "sample_data" / "stages.toml"
SAMPLE_NAME = "Sample: Ledgerly subscriptions"
ENV_VAR = "JOURNEY_LEDGER_WORKSPACE"
SAMPLE_ENV_VAR = "JOURNEY_LEDGER_SAMPLE"  # "0": create new workspaces empty (the tests do)

CATALOGUE = """
CREATE TABLE IF NOT EXISTS datasets (
    name VARCHAR NOT NULL,
    events_table VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    mapping JSON NOT NULL,
    stage_map VARCHAR NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_kept BIGINT NOT NULL,
    customers BIGINT NOT NULL,
    first_event TIMESTAMP,
    last_event TIMESTAMP,
    report JSON NOT NULL
)
"""
MAX_NAME = 80
# the usable rows of an ingest's staged file, in the columns and order of events_table.sql's source
STAGED_EVENTS = ("(SELECT customer_id, ts, event, stage, revenue, segment, channel, satisfaction, rowid + 1 AS row_no "
                 "FROM parsed WHERE reason IS NULL)")


def default_path() -> Path:
    """The workspace file: ``$JOURNEY_LEDGER_WORKSPACE`` or ``data/workspace.duckdb``."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else DEFAULT_PATH


@dataclass(frozen=True)
class Dataset:
    """A dataset's catalogue row."""

    name: str
    events_table: str
    source_file: str
    mapping: dict
    stage_map: StageMap
    uploaded_at: datetime
    rows_read: int
    rows_kept: int
    customers: int
    first_event: datetime | None
    last_event: datetime | None
    report: dict

    @property
    def table(self) -> str:
        """The events table, quoted for SQL."""
        return quote_ident(self.events_table)

    @property
    def customers_table(self) -> str:
        """The customers table (customer_key, customer_id), quoted for SQL."""
        return quote_ident(customers_table_of(self.events_table))

    def events_with_ids(self) -> str:
        """A table expression of the events with ``customer_id`` in place of ``customer_key``."""
        return (f"(SELECT c.customer_id, e.* EXCLUDE (customer_key) FROM {self.table} e "
                f"JOIN {self.customers_table} c USING (customer_key))")


def check_name(name: str) -> str:
    """A dataset name, trimmed; refuses empty, over-long and control characters."""
    name = (name or "").strip()
    if not name:
        raise WorkspaceError("Give the dataset a name.")
    if len(name) > MAX_NAME:
        raise WorkspaceError(f"A dataset name can have at most {MAX_NAME} characters; shorten it.")
    if any(ord(ch) < 32 for ch in name):
        raise WorkspaceError("A dataset name cannot contain line breaks or control characters.")
    return name


class Workspace:
    """One workspace file, one connection per process, a cursor per call, one writer at a time."""

    def __init__(self, path: str | Path | None = None, *, seed_sample: bool | None = None):
        self.path = Path(path) if path is not None else default_path()
        is_new = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con = connect(self.path)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WorkspaceError(
                    f"The workspace {self.path} is in use by another program (the dashboard or another "
                    "command); close it, or choose another workspace with --workspace."
                ) from None
            raise WorkspaceError(f"The workspace {self.path} cannot be opened: {str(exc).splitlines()[0]}.") from None
        except duckdb.Error as exc:
            raise WorkspaceError(
                f"{self.path} is not a Journey Ledger workspace ({str(exc).splitlines()[0]}); "
                "choose another file with --workspace."
            ) from None
        self._write_lock = threading.Lock()
        self._con.execute(CATALOGUE)
        for statement in lifecycle.FILE_CATALOGUE:
            self._con.execute(statement)
        self.lifecycles = LifecycleStore(self._con)
        self._add_customer_keys()
        self._add_journeys()
        if seed_sample is None:
            seed_sample = os.environ.get(SAMPLE_ENV_VAR, "1") != "0"
        if is_new and seed_sample and SAMPLE_FILE.exists():
            from analytics.stagemap import load_stage_map

            self.ingest(SAMPLE_FILE, SAMPLE_NAME, stage_map=load_stage_map(SAMPLE_STAGES))

    def close(self) -> None:
        self._con.close()

    def _add_customer_keys(self) -> None:
        """Bring datasets stored before the customer key (events with customer_id) up to date."""
        with self.cursor() as cur:
            old = cur.execute(
                "SELECT d.events_table, d.stage_map FROM datasets d JOIN duckdb_columns() c "
                "ON c.table_name = d.events_table AND c.schema_name = 'main' AND c.column_name = 'customer_id' "
                "WHERE c.database_name = current_database()"
            ).fetchall()
            for table, stage_map in old:
                with transaction(cur):
                    _ingest.make_customer_keys(cur, quote_ident(table))
                    cur.execute(f"CREATE TABLE {quote_ident(customers_table_of(table))} AS " + sql("customers_table"))
                    cur.execute(
                        f"CREATE TABLE {quote_ident(table + '_keyed')} AS "
                        + sql("events_table").format(source=quote_ident(table))
                    )
                    cur.execute(f"DROP TABLE {quote_ident(table)}")
                    cur.execute(f"ALTER TABLE {quote_ident(table + '_keyed')} RENAME TO {quote_ident(table)}")
                self._store_first_look(cur, table, parse_stage_map(stage_map, "the stored stage map"))

    def _add_journeys(self) -> None:
        """Store the first look again for datasets whose stored one is of an older form: without its journey
        (the two are stored in one transaction since), a journey in an older form
        (:data:`analytics.lifecycle.JOURNEY_FORM`), or a lifecycle under other settings than
        :func:`analytics.model.first_look` gives now (its as-of was the end of the latest event's day)."""
        with self.cursor() as cur:
            stored = cur.execute(
                "SELECT events_table, stage_map, last_event FROM datasets "
                "WHERE events_table IN (SELECT events_table FROM lifecycles)"
            ).fetchall()
            for table, text, last in stored:
                stage_map = parse_stage_map(text, "the stored stage map")
                settings = first_look(last).resolved(stage_map, last)
                if (not lifecycle.in_file(cur, table, journey_key(table, stage_map), "journey")
                        or not lifecycle.in_file(cur, table, lifecycle_key(table, stage_map, settings))):
                    self._store_first_look(cur, table, stage_map)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor (DuckDB connection sharing the database), pinned to UTC."""
        cur = self._con.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        return cur

    def snapshot(self) -> duckdb.DuckDBPyConnection:
        """A cursor inside a read transaction: everything read on it comes from one moment, whatever
        other sessions replace or delete meanwhile (DuckDB keeps old versions for open transactions)."""
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        return cur

    # ---- reading ---------------------------------------------------------------------------

    def datasets(self) -> list[Dataset]:
        """Every dataset, most recently uploaded first."""
        with self.cursor() as cur:
            rows = cur.execute("SELECT * FROM datasets ORDER BY uploaded_at DESC, name").fetchall()
            cols = [d[0] for d in cur.description]
        return [self._dataset(dict(zip(cols, r, strict=False))) for r in rows]

    def names(self) -> list[str]:
        return [d.name for d in self.datasets()]

    def dataset(self, name: str, cur: duckdb.DuckDBPyConnection | None = None) -> Dataset:
        """The dataset called ``name``; :class:`DatasetNotFound` says which names exist.

        With ``cur``, read on that cursor (inside its transaction, so that the events table read
        next is the one this catalogue row names even if another session replaces it meanwhile).
        """
        if cur is None:
            with self.cursor() as own:
                return self.dataset(name, own)
        cur.execute("SELECT * FROM datasets WHERE name = ?", [name])
        row = cur.fetchone()
        cols = [d[0] for d in cur.description]
        if row is None:
            names = self.names()
            known = ", ".join(repr(n) for n in names) if names else "none yet"
            raise DatasetNotFound(f"There is no dataset called {name!r} in the workspace; its datasets are: {known}.")
        return self._dataset(dict(zip(cols, row, strict=False)))

    def event_counts(self, name: str) -> list[tuple[str, int]]:
        """Every event name of a dataset with its number of rows, most frequent first."""
        ds = self.dataset(name)
        with self.cursor() as cur:
            return cur.execute(
                f"SELECT event, count(*) AS n FROM {ds.table} GROUP BY event ORDER BY n DESC, event"
            ).fetchall()

    def stage_counts(self, name: str) -> dict[str, int]:
        """The stage names a dataset's own stage column gives, with their rows."""
        ds = self.dataset(name)
        with self.cursor() as cur:
            return _ingest.data_stages(cur, ds.table)

    @staticmethod
    def _dataset(row: dict) -> Dataset:
        row["mapping"] = json.loads(row["mapping"])
        row["report"] = _ingest.numbered_as_sheet(json.loads(row["report"]))
        row["stage_map"] = parse_stage_map(row["stage_map"], "the stored stage map")
        return Dataset(**row)

    # ---- changing --------------------------------------------------------------------------

    def ingest(
        self,
        path: str | Path,
        name: str,
        *,
        mapping: Mapping | None = None,
        stage_map: StageMap | None = None,
        source_name: str | None = None,
        replace: bool = False,
    ) -> Dataset:
        """Read a CSV (or .csv.gz) into a new dataset ``name``, or replace it when ``replace``.

        All or nothing: the file is read and checked in temporary tables first; only then are
        the events table and the catalogue row written, in one transaction.
        """
        name = check_name(name)
        stage_map = stage_map or DEFAULT_STAGE_MAP
        label = source_name or Path(path).name
        with self._write_lock:
            with self.cursor() as cur:
                exists = cur.execute("SELECT events_table FROM datasets WHERE name = ?", [name]).fetchone()
                if exists and not replace:
                    raise WorkspaceError(
                        f"A dataset called {name!r} already exists; choose another name or replace it."
                    )
                info = _ingest.inspect_file(path, label)
                staged = _ingest.stage(cur, info, mapping, stage_map)
                table = "events_" + uuid.uuid4().hex[:12]
                report = staged.report
                with transaction(cur):
                    cur.execute(f"CREATE TABLE {quote_ident(customers_table_of(table))} AS " + sql("customers_table"))
                    cur.execute(f"CREATE TABLE {quote_ident(table)} AS " + sql("events_table").format(source=STAGED_EVENTS))
                    report["segments"] = segments_of(cur, quote_ident(table))  # the sidebar's list, once
                    if exists:
                        lifecycle.drop_from_file(cur, exists[0])
                        cur.execute(f"DROP TABLE {quote_ident(exists[0])}")
                        cur.execute(f"DROP TABLE IF EXISTS {quote_ident(customers_table_of(exists[0]))}")
                        cur.execute("DELETE FROM datasets WHERE name = ?", [name])
                    cur.execute(
                        "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            name, table, label, json.dumps(staged.mapping.to_dict()), stage_map.to_toml(),
                            datetime.now(UTC).replace(tzinfo=None, microsecond=0),
                            report["rows_read"], report["rows_kept"], report["customers"],
                            report["first_event"], report["last_event"], json.dumps(report),
                        ],
                    )
            with self.cursor() as cur:  # a new cursor: the staged file's temp tables are gone
                self._store_first_look(cur, table, stage_map)
        return self.dataset(name)

    def _store_first_look(self, cur: duckdb.DuckDBPyConnection, table: str, stage_map: StageMap) -> None:
        """Store the first look's lifecycle of ``table`` (:func:`~analytics.model.store_first_look`) in a
        transaction of its own, once the events are committed, on a cursor without the ingest's temp
        tables (at 100 M events, with the staged file still in memory, it ran out of memory). It is
        derived data: when it cannot be computed the dataset stands without it, and the pages compute
        it when opened."""
        try:
            with transaction(cur):
                store_first_look(cur, table, stage_map)
        except duckdb.Error as exc:
            log.warning("The lifecycle of %s was not stored (%s); it is computed when the pages open it.", table, exc)

    def remove(self, name: str) -> None:
        """Delete a dataset and its events."""
        with self._write_lock, self.cursor() as cur:
            ds = self.dataset(name)
            with transaction(cur):
                lifecycle.drop_from_file(cur, ds.events_table)
                cur.execute(f"DROP TABLE IF EXISTS {ds.table}")
                cur.execute(f"DROP TABLE IF EXISTS {ds.customers_table}")
                cur.execute("DELETE FROM datasets WHERE name = ?", [name])
                priorities.delete_dataset_plans(cur, name)

    def rename(self, name: str, new_name: str) -> None:
        new_name = check_name(new_name)
        with self._write_lock, self.cursor() as cur:
            self.dataset(name)
            if new_name != name and cur.execute("SELECT 1 FROM datasets WHERE name = ?", [new_name]).fetchone():
                raise WorkspaceError(f"A dataset called {new_name!r} already exists; choose another name.")
            with transaction(cur):
                cur.execute("UPDATE datasets SET name = ? WHERE name = ?", [new_name, name])
                priorities.rename_dataset_plans(cur, name, new_name)  # the quarterly plans follow the name

    def set_stage_map(self, name: str, stage_map: StageMap) -> Dataset:
        """Replace a dataset's stage map (no re-upload); its report's Unmapped list and warnings follow."""
        with self._write_lock, self.cursor() as cur:
            ds = self.dataset(name)
            report = dict(ds.report)
            report["unmapped"] = _ingest.unmapped_events(cur, ds.table, stage_map)
            events_seen = {r[0] for r in cur.execute(f"SELECT DISTINCT event FROM {ds.table}").fetchall()}
            report["warnings"] = (stage_map.warnings_for(events_seen)
                                  + stage_map.warnings_against(events_seen, _ingest.data_stages(cur, ds.table)))
            with transaction(cur):
                # the churn events and window may have changed: the first look's lifecycle follows
                lifecycle.drop_from_file(cur, ds.events_table)
                cur.execute(
                    "UPDATE datasets SET stage_map = ?, report = ? WHERE name = ?",
                    [stage_map.to_toml(), json.dumps(report), name],
                )
            self._store_first_look(cur, ds.events_table, stage_map)
        return self.dataset(name)
