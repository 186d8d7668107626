"""One benchmark step, run in a fresh process so that its peak memory is its own.

``python -m benchmarks.steps STEP '{"json": "args"}'`` prints one JSON line: ``{"seconds": ...}``
(and for ``page`` the cached rerun's time as well). The parent (:mod:`benchmarks.run`) reads the
process's peak resident memory from ``os.wait4``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

DATASET = "bench"


def _workspace(path: str):
    from analytics.workspace import Workspace

    return Workspace(path, seed_sample=False)


def ingest(args: dict) -> dict:
    """The whole ingest, and (``events``) the part of it until the events are committed, before the
    first look's lifecycle and journey are computed and stored: the same call, timed at the moment
    it turns to the first look."""
    from analytics.stagemap import load_stage_map

    ws = _workspace(args["workspace"])
    stage_map = load_stage_map(args["stages"])
    marks = {}
    store_first_look = ws._store_first_look

    def timed_first_look(*a):
        marks["events"] = time.perf_counter() - t
        store_first_look(*a)

    ws._store_first_look = timed_first_look
    t = time.perf_counter()
    ws.ingest(args["csv"], DATASET, stage_map=stage_map, replace=True)
    seconds = time.perf_counter() - t
    ws.close()
    return {"seconds": seconds, "events": marks["events"]}


def bare_ingest(args: dict) -> dict:
    """DuckDB alone: the file into a table of a database file, types sniffed, nothing checked."""
    from analytics.db import connect

    path = Path(args["workspace"])
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
    con = connect(path)
    t = time.perf_counter()
    con.execute("CREATE TABLE events AS SELECT * FROM read_csv(?)", [args["csv"]])
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - t
    con.close()
    return {"seconds": seconds}


def window(args: dict) -> dict:
    """The least any lifecycle computation must do: one window pass ordering every customer's events."""
    ws = _workspace(args["workspace"])
    table = ws.dataset(DATASET).table
    with ws.cursor() as cur:
        t = time.perf_counter()
        cur.execute(
            f"SELECT count(*), max(gap) FROM (SELECT ts - lag(ts) OVER (PARTITION BY customer_key ORDER BY ts, row_no) "
            f"AS gap FROM {table})"
        ).fetchall()
        seconds = time.perf_counter() - t
        # the log's size, for the table (without pandas, no other step reports it)
        rows, customers = cur.execute(f"SELECT count(*), count(DISTINCT customer_key) FROM {table}").fetchone()
    return {"seconds": seconds, "rows": rows, "customers": customers}


def computed_window(stage_map) -> int:
    """The churn window (days) of the steps that compute a lifecycle: not the stage map's, whose
    lifecycle the ingest stored and from which an earlier end date is cut."""
    return stage_map.churn_after_days + 15


def settings_of(ws, name: str):
    """The settings of a model step (see :func:`command`)."""
    from analytics.model import Settings, first_look

    ds = ws.dataset(DATASET)
    if name in ("first_look", "quarter"):
        return replace(first_look(ds.last_event), grain="month" if name == "first_look" else "quarter")
    if name == "earlier":  # the end of the month before the last event's: last month's report
        return Settings(as_of=date(ds.last_event.year, ds.last_event.month, 1) - timedelta(days=1))
    if name == "full":
        return Settings()
    return Settings(churn_after_days=computed_window(ds.stage_map))


def command(args: dict) -> dict:
    """One model command from the stored events under another churn window than the stage map's,
    so that the lifecycle is computed (the journey of every event, stored with the first look, is
    read): what trying a churn window costs. ``first_look`` is the Overview under the settings the
    pages open with, whose lifecycle the ingest stored, ``quarter`` the same by quarter (its
    lifecycle made from the stored months), ``earlier`` the Overview ending with the month before
    the last event's (the first look's lifecycle and journey cut at that date); ``full`` the
    Overview reading nothing stored, everything computed from the events: the model's full cost."""
    from analytics.model import compute, model_for

    ws = _workspace(args["workspace"])
    name = args["command"]
    settings = settings_of(ws, name)
    t = time.perf_counter()
    if name in ("overview", "first_look", "quarter", "earlier", "full"):
        compute(ws, DATASET, settings, stored=name != "full")
    else:
        with model_for(ws, DATASET, settings) as m:
            {"movements": m.movements, "stages": m.stage_table, "drivers": m.drivers, "cohorts": m.cohorts}[name]()
    return {"seconds": time.perf_counter() - t}


def page(args: dict) -> dict:
    """The Overview page's model call, ``ui.state.results`` as the sidebar makes it: first in a fresh
    process (Streamlit's cache empty), then again (cached)."""
    os.environ["JOURNEY_LEDGER_WORKSPACE"] = args["workspace"]
    import logging

    logging.disable(logging.WARNING)  # "No runtime found" from st.cache_* outside a server
    from analytics.model import Settings
    from ui import state

    ws = state.workspace()
    ds = ws.dataset(DATASET)
    settings = Settings(grain="month", as_of=state.as_of_for(ds, ds.last_event.date()))
    t = time.perf_counter()
    state.results(ds.name, state.dataset_version(ds), settings)
    uncached = time.perf_counter() - t
    t = time.perf_counter()
    state.results(ds.name, state.dataset_version(ds), settings)
    cached = time.perf_counter() - t
    return {"seconds": uncached, "cached": cached}


def pandas_movements(args: dict) -> dict:
    """The movements in plain pandas (the movements step's churn window), from the events loaded
    into a DataFrame (load timed apart)."""
    from benchmarks import pandas_movements as pm

    ws = _workspace(args["workspace"])
    ds = ws.dataset(DATASET)
    t = time.perf_counter()
    with ws.cursor() as cur:
        ev = pm.load_events(cur, ds.table)
    load = time.perf_counter() - t
    t = time.perf_counter()
    pm.movements(ev, ds.stage_map.churn_events, computed_window(ds.stage_map))
    return {"seconds": time.perf_counter() - t, "load": load}


def agree(args: dict) -> dict:
    """Check that the pandas movements equal ``Model.movements(exact=True)`` on every number."""
    from analytics.model import model_for
    from benchmarks import pandas_movements as pm

    ws = _workspace(args["workspace"])
    ds = ws.dataset(DATASET)
    with ws.cursor() as cur:
        ev = pm.load_events(cur, ds.table)
    ours = pm.movements(ev, ds.stage_map.churn_events, computed_window(ds.stage_map))
    with model_for(ws, DATASET, settings_of(ws, "movements")) as m:
        model = m.movements(exact=True)
    with ws.cursor() as cur:
        rows, customers = cur.execute(f"SELECT count(*), count(DISTINCT customer_key) FROM {ds.table}").fetchone()
    return {
        "seconds": 0.0,
        "differences": pm.disagreements(ours, model),
        "periods": len(model),
        "customers_end": int(model["customers_end"].iloc[-1]),
        "rows": rows,
        "customers": customers,
    }


STEPS = {f.__name__: f for f in (ingest, bare_ingest, window, command, page, pandas_movements, agree)}


def main() -> None:
    step, args = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(STEPS[step](args)), flush=True)


if __name__ == "__main__":
    main()
