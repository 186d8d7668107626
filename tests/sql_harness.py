"""Run the SQL model on events given as Python dicts (the reference model's input shape)."""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd

from analytics.db import connect, sql
from analytics.ingest import make_customer_keys
from analytics.model import Model, Settings
from analytics.stagemap import stage_map_from_dict

EVENTS_DDL = """
CREATE TABLE staged (
    customer_id VARCHAR, ts TIMESTAMP, event VARCHAR, stage VARCHAR, revenue DECIMAL(18,4),
    segment VARCHAR, channel VARCHAR, satisfaction DOUBLE, row_no BIGINT
)
"""
EVENTS_TABLE = "events_h"  # with customers_h, stored as the workspace stores a dataset


def store(con) -> None:
    """Move the rows of ``staged`` into ``events_h`` and ``customers_h``, as an ingest stores them."""
    make_customer_keys(con, "staged")
    con.execute("CREATE TABLE customers_h AS " + sql("customers_table"))
    con.execute("CREATE TABLE events_h AS " + sql("events_table").format(source="staged"))


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, Decimal):
        return value.item()
    return value


def records(df: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in df.to_dict("records")]


def events_database(events):
    """An in-memory database holding ``events`` (dicts with customer_id, ts, event, stage, revenue,
    segment) as ``events_h``, stored as an ingest stores them."""
    con = connect()
    con.execute(EVENTS_DDL)
    rows = [
        (e["customer_id"], e["ts"], e["event"], e.get("stage") or None, e["revenue"], e.get("segment") or None,
         None, None, i + 1)
        for i, e in enumerate(events)
    ]
    if rows:
        con.executemany("INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    store(con)
    return con


def sql_model(events, stage_map: dict, *, grain="month", as_of=None, baseline=None, churn_after_days=None,
              segment=None, tables=("movements", "stages", "drivers", "cohorts")) -> dict[str, list[dict]]:
    """The SQL model's tables for ``events`` (dicts with customer_id, ts, event, stage, revenue, segment)."""
    con = events_database(events)
    settings = Settings(grain=grain, as_of=as_of, segment=segment, churn_after_days=churn_after_days, baseline=baseline)
    methods = {"movements": "movements", "stages": "stage_table", "drivers": "drivers", "cohorts": "cohorts"}
    with Model(con.cursor(), EVENTS_TABLE, stage_map_from_dict(stage_map), settings) as model:
        out = {t: records(getattr(model, methods[t])(exact=True)) for t in tables}
    con.close()
    return out
