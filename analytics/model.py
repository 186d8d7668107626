"""The customer-asset model of DOMAIN.md, computed by DuckDB over a dataset's stored events.

One call prepares, on its own cursor, a chain of temporary tables (one SQL file each, in
``analytics/sql``)::

    model_chosen            the chosen segment's customers (only when a segment is chosen)
    model_money             the events with revenue or a churn event, up to as_of, of those customers
    model_spells            activity spells per customer: start (acquisition or reactivation), loss
    model_periods           calendar months or quarters, half-open [a, b)
    model_customer_periods  each customer's state, class and value at the start and end of a period
                            (joining two temp tables made before it and dropped after it: the
                            states per period, and the values at the period boundaries)
    model_ev                every event up to as_of of those customers, stages resolved: a view
                            (made on first use; only the stage table and the drivers read the
                            whole log; with the journey stored, every event, see Model._journey)
    model_advance           each person's entry into each stage and advance from it, and
    model_exposure          the stages and touchpoints each person met: both views, on model_ev
                            or on the journey of every event stored with the first look

The lifecycle reads only ``model_money`` (payments, refunds, cancels: a small share of a log), so
the movements and the cohorts never pay for the visits, logins and tickets. Given the workspace's
:class:`~analytics.lifecycle.LifecycleStore` (as :func:`compute` and :func:`model_for` do),
``model_money``, ``model_spells`` and ``model_customer_periods`` are views on every customer's
lifecycle, computed once per dataset and settings and filtered to the chosen segment: the one of
:func:`first_look` stored in the workspace file with the events (:func:`store_first_look`), any
other kept in memory (see :mod:`analytics.lifecycle`); by quarter, made from the same settings'
months when either place has them (``quarters_from_months.sql``); with an end date before the
first look's, the first look's cut at that date (``Model._cut_first_look``). Likewise
``model_advance`` and ``model_exposure`` are views on the journey stored with the first look
under the dataset's stage map, cut at as_of when it comes before the last event (the grouping of
the whole log by person and stage: a third of the Overview's time at 10 M events when computed).

and every table of the product reads from them: :func:`movements`, :func:`stage_table`,
:func:`drivers`, :func:`cohorts`. Nothing walks customers in Python; pandas only carries the
(small) results.

Rules chosen where DOMAIN.md leaves room (the tests pin each one):

- ``as_of`` given as a date means the end of that day (every event on it counts); the default is
  the latest timestamp in the dataset. Events after ``as_of`` are ignored; a loss happens when its
  time is at or before ``as_of``.
- Periods run from the one holding the dataset's first event to the one holding ``as_of``, the
  same with and without a segment filter. In the last period, "active at b" is the state after
  everything up to ``as_of``, and the value at its end is measured just after ``as_of`` (revenue
  in ``(as_of - 365 days, as_of]``): measured at b, an unfinished period would lose a year-old
  slice of revenue with nothing new to replace it and show a contraction that did not happen.
- Anything that happens at instant x (acquisition, reactivation, loss) belongs to the period
  holding x, and the state "at a" counts only what happened strictly before a: a window that ends
  exactly at a still holds the customer at a.
- A customer's segment is the last non-empty one seen up to ``as_of`` (ties: the file's order).
- A stage written in the data counts when the stage map knows it; otherwise the event's stage in
  the map; otherwise ``Unmapped``.
- Drivers leave out churn events (being exposed to ``cancel`` is the loss itself), as touchpoints
  and as a way into a stage: the population is every acquired customer with a non-churn event in
  the stage (else everyone whose only Renew event is ``cancel`` would sit, lost, among the
  unexposed and make every Renew touchpoint look protective); ``customers_at_stake`` are the exposed
  customers still active at ``as_of`` and ``value_at_stake`` their revenue in ``(as_of - 365 days,
  as_of]``, the customers and yearly worth that the touchpoint's risk bears on. Ratios are empty below 30 customers in either group.
- The p-value is the pooled two-proportion z-test on the raw counts (1.0 when everyone or no one
  was lost); the interval uses the log method, with 0.5 added to every cell when one is zero.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import partial

import duckdb
import pandas as pd

from analytics import lifecycle
from analytics.db import customers_table_of, quote_ident, sql
from analytics.errors import JourneyLedgerError
from analytics.lifecycle import LifecycleStore
from analytics.stagemap import StageMap

GRAINS = {"month": "1 month", "quarter": "3 months"}
MIN_GROUP = 30
Z95 = 1.959963984540054

MOVEMENT_COLUMNS = [
    "period", "customers_start", "new", "reactivated", "churned", "customers_end", "value_start",
    "new_value", "reactivation_value", "expansion", "contraction", "churned_value", "value_end", "revenue",
]
STAGE_COLUMNS = [
    "period", "stage", "entered", "advanced", "conversion", "median_days_to_advance", "gained",
    "gained_value", "lost", "lost_value", "net", "baseline_gained", "baseline_lost", "impact", "value_impact",
]
DRIVER_COLUMNS = [
    "stage", "event", "exposed", "exposed_lost", "unexposed", "unexposed_lost", "risk_ratio", "ci_low",
    "ci_high", "p_value", "q_value", "customers_at_stake", "value_at_stake",
]
COHORT_COLUMNS = ["cohort", "periods_since", "customers", "active", "retention"]

# The lifecycle's tables, those stored (see analytics.lifecycle). The customer periods join two temp
# tables made before them by statements of their own, model_states and model_boundary_values: as
# common table expressions of one query the three took 4.0-4.2 s at 10 million events, as three
# statements 3.1-3.4 s. Those two are dropped once the customer periods are made.
LIFECYCLE_TABLES = ("model_money", "model_spells", "model_customer_periods")


@dataclass(frozen=True)
class Settings:
    """What a model run depends on besides the events. ``None`` means the default."""

    grain: str = "month"
    as_of: datetime | date | None = None
    segment: str | None = None
    churn_after_days: int | None = None  # default: the stage map's
    baseline: int | None = None  # default: the stage map's baseline_periods

    def resolved(self, stage_map: StageMap, last_event: datetime | None) -> Settings:
        """Every default filled in from the stage map and the data; invalid values refused."""
        if self.grain not in GRAINS:
            raise JourneyLedgerError(f"The period must be month or quarter, not {self.grain!r}.")
        as_of = self.as_of
        if as_of is None:
            as_of = last_event
        elif not isinstance(as_of, datetime):  # a date: the whole day counts
            as_of = datetime.combine(as_of, time()) + timedelta(days=1) - timedelta(microseconds=1)
        w = self.churn_after_days if self.churn_after_days is not None else stage_map.churn_after_days
        k = self.baseline if self.baseline is not None else stage_map.baseline_periods
        if not 1 <= w <= 3650:
            raise JourneyLedgerError(f"The churn window must be from 1 to 3650 days, not {w}.")
        if not 1 <= k <= 36:
            raise JourneyLedgerError(f"The baseline must be from 1 to 36 periods, not {k}.")
        return replace(self, as_of=as_of, churn_after_days=w, baseline=k)


class Model:
    """The model of one dataset under one :class:`Settings`, prepared on its own cursor.

    Use as a context manager; the temporary tables vanish with the cursor.
    """

    def __init__(self, cur: duckdb.DuckDBPyConnection, events_table: str, stage_map: StageMap, settings: Settings,
                 lifecycles: LifecycleStore | None = None, *, store_into: tuple[str, str, str] | None = None):
        self.cur = cur
        self.stage_map = stage_map
        self._events_table = events_table
        self._lifecycles = lifecycles  # None: compute the lifecycle here, for the chosen customers only
        self._store_into = store_into  # (money, spells, customer periods): the lifecycle goes into these tables
        first, last = cur.execute(f"SELECT min(ts), max(ts) FROM {quote_ident(events_table)}").fetchone()
        self._first, self._last = first, last
        self.settings = settings.resolved(stage_map, last)
        self._every_event = last is not None and self.settings.as_of >= last  # nothing after as_of to leave out
        self.empty = first is None or first > self.settings.as_of
        self.events = quote_ident(events_table)
        self.customers = quote_ident(customers_table_of(events_table))
        self._prepare(self.events, first)

    def __enter__(self) -> Model:
        return self

    def __exit__(self, *exc) -> None:
        self.cur.close()

    def _prepare(self, events: str, first: datetime | None) -> None:
        cur, s, sm = self.cur, self.settings, self.stage_map
        cur.execute("CREATE OR REPLACE TEMP TABLE model_stages (stage VARCHAR, pos INTEGER)")
        cur.execute("CREATE OR REPLACE TEMP TABLE model_stage_events (event VARCHAR, stage VARCHAR, touchpoint INTEGER)")
        cur.execute("CREATE OR REPLACE TEMP TABLE model_churn_events (event VARCHAR)")
        if sm.stages:
            cur.executemany("INSERT INTO model_stages VALUES (?, ?)", [(n, i) for i, n in enumerate(sm.stage_names, 1)])
        if sm.event_stage_pairs():
            cur.executemany("INSERT INTO model_stage_events VALUES (?, ?, ?)",
                            [(e, st, i) for i, (e, st) in enumerate(sm.event_stage_pairs(), 1)])
        if sm.churn_events:
            cur.executemany("INSERT INTO model_churn_events VALUES (?)", [(e,) for e in sm.churn_events])
        as_of = s.as_of or datetime(1970, 1, 1)
        w = timedelta(days=s.churn_after_days)
        self._chosen = ""
        if s.segment is not None:
            cur.execute(
                "CREATE OR REPLACE TEMP TABLE model_chosen AS " + sql("model_chosen").format(events=events),
                {"as_of": as_of, "segment": s.segment},
            )
            self._chosen = "SEMI JOIN model_chosen chosen ON chosen.customer_key = s.customer_key"
        self._as_of = as_of
        self._has_journey = False
        make_periods(cur, first or as_of, as_of, s.grain)
        if self.empty:
            cur.execute("DELETE FROM model_periods")
        steps = [  # (table, query, parameters), each reading those before it
            ("model_money", sql("model_money").format(events=events, chosen=self._chosen), {"as_of": as_of}),
            ("model_spells", sql("spells"), {"as_of": as_of, "w": w}),
            ("model_states", sql("period_states"), {}),
            ("model_boundary_values", sql("boundary_values"), {}),
            ("model_customer_periods", sql("customer_periods"), {}),
        ]
        stored = None
        if self._lifecycles is not None and not self.empty:
            key = lifecycle_key(self._events_table, sm, s)
            stored = (lifecycle.in_file(cur, self._events_table, key)
                      or self._lifecycles.tables(key, self._build_lifecycle, cur))
        if stored:
            # every customer's lifecycle, stored once per dataset and settings: a segment is a filter on it
            for name, table in zip(LIFECYCLE_TABLES, stored, strict=True):
                cur.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT s.* FROM {table} s {self._chosen}")
            return
        into = dict(zip(LIFECYCLE_TABLES, self._store_into, strict=True)) if self._store_into else {}
        cur.execute(sql("customer_class"))
        for name, query, params in steps:
            if name in into:
                cur.execute(f"CREATE TABLE {into[name]} AS {query}", params)
                cur.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {into[name]}")
            else:
                cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}", params)
        for name, _, _ in steps:
            if name not in LIFECYCLE_TABLES:  # the customer periods' parts, done with
                cur.execute(f"DROP TABLE {name}")

    def _build_lifecycle(self, cur: duckdb.DuckDBPyConnection, tables: tuple[str, str, str]) -> None:
        """Store every customer's lifecycle under these settings in ``tables`` (money, spells, customer periods).

        From what is at hand when it can be, else computed from the events:

        - by quarter, when the same lifecycle by month is at hand (the first look's in the workspace
          file, or one this process keeps, or one cut from the first look as below), the customer
          periods follow from its months (quarters_from_months.sql) and the money and spells, which
          no grain changes, are copied: at 10 M events 0.60-0.66 s instead of 1.7-2.5 s;
        - by month, with an end date before the first look's and its churn window, the lifecycle is
          the first look's cut at the end date (:meth:`_cut_first_look`).
        """
        s = self.settings
        if s.grain == "quarter" and self._lifecycles is not None:
            months_settings = replace(s, grain="month")
            key = lifecycle_key(self._events_table, self.stage_map, months_settings)
            months = lifecycle.in_file(cur, self._events_table, key) or self._lifecycles.cached(key)
            if not months and (cut := self._first_look_to_cut(cur)):
                months = self._lifecycles.tables(
                    key, partial(self._cut_first_look, source=cut, settings=months_settings), cur)
            if months:
                money, spells, periods = tables
                cur.execute(f"CREATE TABLE {money} AS SELECT * FROM {months[0]}")
                cur.execute(f"CREATE TABLE {spells} AS SELECT * FROM {months[1]}")
                cur.execute(sql("customer_class"))
                cur.execute(f"CREATE TABLE {periods} AS " + sql("quarters_from_months").format(months=months[2]),
                            {"first": self._first, "as_of": s.as_of})
                return
        elif cut := self._first_look_to_cut(cur):
            self._cut_first_look(cur, tables, source=cut, settings=s)
            return
        Model(cur, self._events_table, self.stage_map, replace(s, segment=None), store_into=tables)

    def _first_look_to_cut(self, cur: duckdb.DuckDBPyConnection) -> tuple[str, str, str] | None:
        """The first look's lifecycle stored in the workspace file under this model's churn window,
        when this model's end date comes before the first look's (so its lifecycle is that one cut)."""
        if self._lifecycles is None or self._last is None:
            return None
        first = replace(first_look(self._last), churn_after_days=self.settings.churn_after_days)
        first = first.resolved(self.stage_map, self._last)
        if self.settings.as_of >= first.as_of:
            return None
        return lifecycle.in_file(cur, self._events_table, lifecycle_key(self._events_table, self.stage_map, first))

    def _cut_first_look(self, cur: duckdb.DuckDBPyConnection, tables: tuple[str, str, str], *,
                        source: tuple[str, str, str], settings: Settings) -> None:
        """The lifecycle by month up to ``settings.as_of``, cut from the first look's (``source``), which
        has the same churn window and churn events and a later end: at 10 M events 0.5-0.75 s instead of
        1.2-2.8 s (ends from 200 days to one day before the last event's).

        Why it is exact: the spells are decided by each value event's predecessors, by whether the
        next value event comes within the churn window and by the first churn event after it; cutting
        the log at as_of changes only spells that run past as_of, whose loss (after as_of) then
        becomes no loss. So the money is the first look's up to as_of and the spells are its spells
        started by as_of, a loss after as_of left out. Every period before the one holding as_of has
        the same rows (a loss left out is after its end, and its boundary values count revenue before
        it); only that last period is computed, from the cut spells (period_states.sql), its value at
        the start taken from the first look's row and its value just after as_of summed from the cut
        money (last_period_values.sql), then joined as customer_periods.sql joins them."""
        money, spells, periods = tables
        at = {"as_of": settings.as_of}
        cur.execute(f"CREATE TABLE {money} AS SELECT * FROM {source[0]} WHERE ts <= $as_of", at)
        cur.execute(f"CREATE TABLE {spells} AS SELECT * REPLACE (CASE WHEN loss_ts <= $as_of THEN loss_ts END "
                    f"AS loss_ts) FROM {source[1]} WHERE start_ts <= $as_of", at)
        make_periods(cur, self._first, settings.as_of, "month")
        last = cur.execute("SELECT max(period_idx) FROM model_periods").fetchone()[0]
        cur.execute("DELETE FROM model_periods WHERE period_idx < ?", [last])
        cur.execute(f"CREATE OR REPLACE TEMP VIEW model_money AS SELECT * FROM {money}")
        cur.execute(f"CREATE OR REPLACE TEMP VIEW model_spells AS SELECT * FROM {spells}")
        cur.execute("CREATE OR REPLACE TEMP TABLE model_states AS " + sql("period_states"))
        cur.execute("CREATE OR REPLACE TEMP TABLE model_boundary_values AS "
                    + sql("last_period_values").format(stored=source[2]))
        cur.execute(sql("customer_class"))
        cur.execute(f"CREATE TABLE {periods} AS SELECT * FROM {source[2]} WHERE period_idx < $last "
                    "UNION ALL BY NAME SELECT * FROM (" + sql("customer_periods") + ")", {"last": last})
        for name in ("model_states", "model_boundary_values", "model_periods"):
            cur.execute(f"DROP TABLE {name}")
        for name in ("model_money", "model_spells"):
            cur.execute(f"DROP VIEW {name}")

    def _journey(self, store_into: tuple[str, ...] | None = None) -> None:
        """Make, once, on first use: ``model_ev`` (every event up to as_of of the chosen customers,
        stages resolved), and the entries and exposures the stage table and the drivers read,
        ``model_advance`` and ``model_exposure`` (journey_advance.sql, journey_exposure.sql).

        ``model_ev`` is a view, never a table: each of the two queries that read it (the stage table,
        the drivers) resolves the log as it scans it, rather than the resolved log being written once
        and read twice. With nothing stored, in fresh processes: at 10 M events the same time within
        the noise (4.25-5.14 s against 4.27-4.98 s, four alternating pairs) in 1.1 GB of peak memory
        against 1.45 GB; at 100 M events, where the written log spilled to disk, 65.3 and 66.9 s
        against 94.2 and 97.8 s. As of is a variable of this cursor (views take no parameters),
        folded into each scan.

        When the workspace stores the journey of every event under this stage map (with the first
        look), those two are views on it, filtered to the chosen customers, and ``model_ev`` is
        every event: the stage table then reads only the events of the customers it gained and lost,
        up to the instant of the gain or loss. With an end before the last event they are the stored
        journey cut at as_of: an entry up to as_of, an advance after it none (each is the first such
        event of the log, so the first up to as_of when it is up to as_of, else there is none), a
        stage and touchpoint met by as_of (``first_ts``). Otherwise ``model_ev`` is the events up to
        as_of and the two are views on it, or, given ``store_into`` (the first look's, every event
        counting), written into those tables.
        """
        if self._has_journey:
            return
        cur = self.cur
        stored = None
        if self._lifecycles is not None and not self.empty:
            stored = lifecycle.in_file(cur, self._events_table, journey_key(self._events_table, self.stage_map), "journey")
        events = partial(sql("model_events").format, events=self.events, chosen=self._chosen)
        cut = ""
        if not self._every_event:
            cur.execute("SET VARIABLE model_as_of = ?", [self._as_of])
            cut = "getvariable('model_as_of')"
        # With the journey stored (or being stored), every event whatever as_of: then only the stage
        # table reads it, at instants of the lifecycle (a loss, an acquisition), which are never
        # after as_of; a filter on the time made DuckDB hash the log rather than the lost customers
        # (0.58 s -> 1.0 s at 10 M events).
        until = f"WHERE s.ts <= {cut}" if cut and not (stored or store_into) else ""
        cur.execute("CREATE OR REPLACE TEMP VIEW model_ev AS " + events(until=until))
        if stored:
            advance, exposure = (f"SELECT s.* FROM {table} s {self._chosen}" for table in stored)
            if cut:
                advance = (f"SELECT s.* REPLACE (CASE WHEN s.advanced_ts <= {cut} THEN s.advanced_ts END AS advanced_ts) "
                           f"FROM {stored[0]} s {self._chosen} WHERE s.entry_ts <= {cut}")
                exposure += f" WHERE s.first_ts <= {cut}"
            cur.execute("CREATE OR REPLACE TEMP VIEW model_advance AS " + advance)
            cur.execute("CREATE OR REPLACE TEMP VIEW model_exposure AS " + exposure)
        elif store_into:
            for part, table in zip(lifecycle.JOURNEY_PARTS, store_into, strict=True):
                cur.execute(f"CREATE TABLE {table} AS " + sql(f"journey_{part}"))
                cur.execute(f"CREATE OR REPLACE TEMP VIEW model_{part} AS SELECT * FROM {table}")
        else:
            for part in lifecycle.JOURNEY_PARTS:
                cur.execute(f"CREATE OR REPLACE TEMP VIEW model_{part} AS " + sql(f"journey_{part}"))
        self._has_journey = True

    def _df(self, name: str, params: dict | None, exact: bool) -> pd.DataFrame:
        """A query's result; money as ``Decimal`` objects when ``exact``, else as floats."""
        if name in ("stage_table", "drivers"):
            self._journey()
        result = self.cur.sql(sql(name), params=params or {})
        if exact:
            return result.to_arrow_table().to_pandas()
        return result.df()

    def movements(self, exact: bool = False) -> pd.DataFrame:
        """The waterfall per period: counts and value (see DOMAIN.md), columns :data:`MOVEMENT_COLUMNS`."""
        return self._df("movements", {"grain": self.settings.grain}, exact)[MOVEMENT_COLUMNS]

    def stage_table(self, exact: bool = False, extended: bool = False) -> pd.DataFrame:
        """Per period and stage (journey order, then Unmapped): :data:`STAGE_COLUMNS`.

        ``extended`` adds ``baseline_gained_value`` and ``baseline_lost_value`` (the value
        baselines behind ``value_impact``).
        """
        df = self._df("stage_table", {"k": self.settings.baseline, "grain": self.settings.grain}, exact)
        return df if extended else df[STAGE_COLUMNS]

    def periods(self) -> pd.DataFrame:
        """The periods (period, a, b) and whether each is complete: as_of falls on or after its last day."""
        df = self.cur.sql("SELECT period, a, b FROM model_periods ORDER BY period_idx").df()
        last_day = (df["b"] - pd.Timedelta(days=1)).dt.normalize()
        df["complete"] = pd.Timestamp(self.settings.as_of).normalize() >= last_day if len(df) else []
        return df

    def segments(self) -> list[str]:
        """The segments of the dataset (each customer's last non-empty one), sorted."""
        return segments_of(self.cur, self.events)

    def customer_classes(self) -> pd.DataFrame:
        """Each customer's class per period (customer_id, period, class) where it is not 'other'
        or the customer was active at some point of the period; any customer and period absent
        from this table is 'other'."""
        return self.cur.sql(
            "SELECT c.customer_id, p.period, cp.class FROM model_customer_periods cp "
            f"JOIN model_periods p USING (period_idx) JOIN {self.customers} c USING (customer_key) "
            "ORDER BY p.period_idx, c.customer_id"
        ).df()

    def cohorts(self, exact: bool = False) -> pd.DataFrame:
        """Retention by acquisition cohort: :data:`COHORT_COLUMNS`."""
        return self._df("cohorts", None, exact)[COHORT_COLUMNS]

    def drivers(self, exact: bool = False) -> pd.DataFrame:
        """Touchpoints of each stage against loss, with risk ratios: :data:`DRIVER_COLUMNS`."""
        df = self._df("drivers", {"as_of": self.settings.as_of or datetime(1970, 1, 1)}, exact)
        if self.empty:  # no event up to as_of: nothing to test
            df = df.iloc[0:0]
        return add_driver_statistics(df)[DRIVER_COLUMNS]


def make_periods(cur: duckdb.DuckDBPyConnection, first: datetime, as_of: datetime, grain: str) -> None:
    """The temp table ``model_periods`` on ``cur``: the periods of ``grain`` from the one holding
    ``first`` to the one holding ``as_of`` (periods.sql)."""
    cur.execute("CREATE OR REPLACE TEMP TABLE model_periods AS " + sql("periods"),
                {"first": first, "as_of": as_of, "grain": grain, "step": GRAINS[grain]})


def baseline_periods(periods: list[str], period: str, k: int) -> int:
    """How many periods the baseline of ``period`` covers (DOMAIN.md: the previous ``k`` present in the data,
    fewer at the start of the data, none for the first period; ``periods``: every period of the results)."""
    return min(k, periods.index(period))


def first_look(last_event: datetime) -> Settings:
    """The settings the pages open with: months, up to the dataset's latest event, DOMAIN.md's default
    as-of, the same instant as the command line's report (their lifecycle is stored in the workspace file
    with the dataset, see :func:`store_first_look`). Until 2026-11-24 it was the end of the latest event's
    day, so the page and the command line's report of the same month differed (the online retail
    export's 2011-12 value: 7.18 M on the page, 7.19 M in the report, both 'as of 2011-12-09'); the
    workspace stores the first look again when it opens (``Workspace._add_journeys``)."""
    return Settings(grain="month", as_of=last_event)


def lifecycle_key(events_table: str, stage_map: StageMap, settings: Settings) -> str:
    """The key of the lifecycle under ``settings`` (resolved): what it depends on, and nothing else."""
    return lifecycle.lifecycle_key(events_table, stage_map.churn_events, settings.churn_after_days, settings.as_of,
                                   settings.grain)


def journey_key(events_table: str, stage_map: StageMap) -> str:
    """The key of the journey of every event under ``stage_map``: what it depends on, and nothing else."""
    return lifecycle.journey_key(events_table, stage_map.stage_names, stage_map.event_stage_pairs(),
                                 list(stage_map.churn_events))


def store_first_look(cur: duckdb.DuckDBPyConnection, events_table: str, stage_map: StageMap) -> None:
    """Compute every customer's lifecycle under :func:`first_look`, and the journey of every event
    under ``stage_map``, and store them in the workspace file, in the caller's transaction (the
    workspace opens one for it once the events are committed): the first Overview of a dataset, in
    any process, then computes no lifecycle and groups no log. Replaces any stored before for the table."""
    lifecycle.drop_from_file(cur, events_table)
    last = cur.execute(f"SELECT max(ts) FROM {quote_ident(events_table)}").fetchone()[0]
    if last is None:
        return
    settings = first_look(last).resolved(stage_map, last)
    tables = lifecycle.store_in_file(cur, events_table, lifecycle_key(events_table, stage_map, settings))
    model = Model(cur, events_table, stage_map, settings, store_into=tables)
    model._journey(store_into=lifecycle.store_in_file(cur, events_table, journey_key(events_table, stage_map), "journey"))


def segments_of(cur: duckdb.DuckDBPyConnection, events: str) -> list[str]:
    """The segments of an events table (quoted name; each customer's last non-empty one), sorted.
    The workspace keeps them with the dataset (its report's ``segments``), as they never change."""
    return [r[0] for r in cur.execute(
        f"SELECT DISTINCT segment FROM (SELECT last(segment ORDER BY ts, row_no) FILTER (WHERE segment IS NOT NULL) "
        f"AS segment FROM {events} GROUP BY customer_key) WHERE segment IS NOT NULL ORDER BY 1"
    ).fetchall()]


def risk_ratio(a: int, n1: int, c: int, n0: int) -> tuple[float, float, float]:
    """Risk ratio of loss, exposed (a of n1) against unexposed (c of n0), with its 95% interval.

    Log method; when any of the four cells (a, n1 - a, c, n0 - c) is zero, 0.5 is added to every
    cell first.
    """
    a_, b_, c_, d_ = a, n1 - a, c, n0 - c
    if 0 in (a_, b_, c_, d_):
        a_, b_, c_, d_ = a_ + 0.5, b_ + 0.5, c_ + 0.5, d_ + 0.5
    n1_, n0_ = a_ + b_, c_ + d_
    rr = (a_ / n1_) / (c_ / n0_)
    se = math.sqrt(1 / a_ - 1 / n1_ + 1 / c_ - 1 / n0_)
    return rr, math.exp(math.log(rr) - Z95 * se), math.exp(math.log(rr) + Z95 * se)


def two_proportion_p(a: int, n1: int, c: int, n0: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test; 1.0 when the pooled rate is 0 or 1."""
    pooled = (a + c) / (n1 + n0)
    if pooled in (0.0, 1.0):
        return 1.0
    z = (a / n1 - c / n0) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    return math.erfc(abs(z) / math.sqrt(2))


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Benjamini-Hochberg q-values, in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q[i] = min(running, 1.0)
    return q


def add_driver_statistics(df: pd.DataFrame) -> pd.DataFrame:
    """Risk ratio, interval, p and q values for each row with at least 30 customers per group."""
    df = df.copy()
    for col in ("risk_ratio", "ci_low", "ci_high", "p_value", "q_value"):
        df[col] = float("nan")
    tested = []
    for i, r in df.iterrows():  # one row per touchpoint: a few dozen at most
        a, n1, c, n0 = int(r.exposed_lost), int(r.exposed), int(r.unexposed_lost), int(r.unexposed)
        if n1 < MIN_GROUP or n0 < MIN_GROUP:
            continue
        df.loc[i, ["risk_ratio", "ci_low", "ci_high"]] = risk_ratio(a, n1, c, n0)
        df.loc[i, "p_value"] = two_proportion_p(a, n1, c, n0)
        tested.append(i)
    if tested:
        df.loc[tested, "q_value"] = benjamini_hochberg(list(df.loc[tested, "p_value"]))
    return df


def model_for(ws, dataset_name: str, settings: Settings | None = None) -> Model:
    """A :class:`Model` of a stored dataset, on a snapshot cursor of workspace ``ws``."""
    cur = ws.snapshot()
    try:
        ds = ws.dataset(dataset_name, cur)
        return Model(cur, ds.events_table, ds.stage_map, settings or Settings(), ws.lifecycles)
    except BaseException:
        cur.close()
        raise


@dataclass
class Results:
    """Every table of one model run: what the pages and the report show."""

    settings: Settings
    stage_names: list[str]
    goals: dict[str, str]
    periods: pd.DataFrame
    movements: pd.DataFrame
    stages: pd.DataFrame  # extended with the value baselines
    drivers: pd.DataFrame
    cohorts: pd.DataFrame
    segments: list[str]


@contextmanager
def _prepared(ws, dataset_name: str, settings: Settings | None, stage_map: StageMap | None, stored: bool):
    """The dataset's catalogue row and a model prepared on it, both from one snapshot of the workspace."""
    cur = ws.snapshot()  # the catalogue row and the events it names, from one moment
    try:
        ds = ws.dataset(dataset_name, cur)
    except BaseException:
        cur.close()
        raise
    with Model(cur, ds.events_table, stage_map or ds.stage_map, settings or Settings(),
               ws.lifecycles if stored else None) as m:
        yield ds, m


def stages_of(ws, dataset_name: str, settings: Settings | None = None) -> pd.DataFrame:
    """The stage table alone of a stored dataset under ``settings`` (the Cohorts page's table of every
    segment side by side needs nothing else: half the time of :func:`compute` per segment)."""
    with _prepared(ws, dataset_name, settings, None, True) as (_, m):
        return m.stage_table(extended=True)


def compute(ws, dataset_name: str, settings: Settings | None = None, stage_map: StageMap | None = None, *,
            stored: bool = True) -> Results:
    """All the tables of a stored dataset under ``settings``, from one prepared model.

    ``stage_map`` replaces the dataset's own for this computation only (a preview of an edit).
    ``stored=False`` reads no stored lifecycle or journey: everything computed from the events
    (the benchmark's full cost).
    """
    with _prepared(ws, dataset_name, settings, stage_map, stored) as (ds, m):
        stage_map = stage_map or ds.stage_map
        return Results(
            settings=m.settings,
            stage_names=stage_map.stage_names,
            goals={s.name: s.goal for s in stage_map.stages},
            periods=m.periods(),
            movements=m.movements(),
            stages=m.stage_table(extended=True),
            drivers=m.drivers(),
            cohorts=m.cohorts(),
            segments=ds.report["segments"] if "segments" in ds.report else m.segments(),
        )
