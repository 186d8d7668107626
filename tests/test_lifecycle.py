"""The stored lifecycle: computed once per dataset and settings, reused for every segment, and the
same tables as the model computing it alone for the chosen customers; the first look's stored in
the workspace file with the events, following their stage map and gone with them."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.db import sql
from analytics.lifecycle import FILE_CATALOGUE, KINDS, LifecycleStore
from analytics.model import LIFECYCLE_TABLES, Model, Settings, compute, first_look, store_first_look
from analytics.stagemap import load_stage_map, stage_map_from_dict
from analytics.workspace import SAMPLE_FILE, SAMPLE_STAGES, Workspace
from tests.pages_helpers import sample_workspace
from tests.sql_harness import EVENTS_TABLE, events_database
from tests.strategies import DAYS, START, event_logs


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    ws = Workspace(sample_workspace(tmp_path_factory.mktemp("lifecycle")), seed_sample=False)
    yield ws
    ws.close()


def alone(ws: Workspace, settings: Settings) -> dict[str, pd.DataFrame]:
    """The tables computed without the store: the lifecycle of the chosen customers only."""
    ds = ws.dataset("Sample")
    with Model(ws.snapshot(), ds.events_table, ds.stage_map, settings) as m:
        return {"movements": m.movements(), "stages": m.stage_table(extended=True), "drivers": m.drivers(),
                "cohorts": m.cohorts()}


@pytest.mark.parametrize("settings", [
    Settings(),
    Settings(segment="Solo maker"),
    Settings(grain="quarter", segment="Enterprise"),
    Settings(as_of=date(2026, 3, 31), churn_after_days=60, segment="Growing team"),
])
def test_stored_lifecycle_gives_the_same_tables(sample, settings):
    stored = compute(sample, "Sample", settings)
    expected = alone(sample, settings)
    for name, df in expected.items():
        pd.testing.assert_frame_equal(getattr(stored, name).reset_index(drop=True), df.reset_index(drop=True),
                                      check_exact=False, rtol=1e-12, obj=name)
    assert stored.movements.customers_end.iloc[-1] > 0


def test_a_segment_reuses_the_lifecycle_of_every_customer(sample):
    store = sample.lifecycles
    settings = Settings(grain="month", as_of=date(2026, 6, 30))
    builds = store.builds
    compute(sample, "Sample", settings)
    assert store.builds == builds + 1
    for segment in ("Solo maker", "Growing team", "Enterprise", None):
        compute(sample, "Sample", Settings(grain="month", as_of=date(2026, 6, 30), segment=segment))
    assert store.builds == builds + 1, "a segment or a second look must not compute the lifecycle again"
    compute(sample, "Sample", Settings(grain="quarter", as_of=date(2026, 6, 30)))
    compute(sample, "Sample", Settings(grain="month", as_of=date(2026, 6, 30), churn_after_days=90))
    assert store.builds == builds + 3  # a new grain or churn window is a new lifecycle


def test_segments_add_up_to_everyone(sample):
    settings = Settings(grain="quarter")
    everyone = compute(sample, "Sample", settings).movements
    parts = [compute(sample, "Sample", Settings(grain="quarter", segment=s)).movements
             for s in ("Solo maker", "Growing team", "Enterprise")]
    for col in ("new", "churned", "customers_end", "value_end"):
        assert sum(p[col] for p in parts).tolist() == pytest.approx(everyone[col].tolist())


def file_lifecycles(ws: Workspace, kind: str = "lifecycle") -> list[tuple[str, str]]:
    """What the workspace file lists as stored, of one kind (see analytics.lifecycle.KINDS)."""
    with ws.cursor() as cur:
        return cur.execute(f"SELECT events_table, key FROM {KINDS[kind][0]} ORDER BY ALL").fetchall()


def lifecycle_tables(ws: Workspace, kind: str = "lifecycle") -> set[str]:
    """The tables of one kind in the workspace file."""
    with ws.cursor() as cur:
        return {r[0] for r in cur.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND starts_with(table_name, ?)", [f"{kind}_"]
        ).fetchall()}


def file_journeys(ws: Workspace) -> list[tuple[str, str]]:
    return file_lifecycles(ws, "journey")


def journey_tables(ws: Workspace) -> set[str]:
    return lifecycle_tables(ws, "journey")


JOURNEY_VIEWS = ("model_advance", "model_exposure")


def file_database(events):
    """``events`` stored as :func:`tests.sql_harness.events_database` stores them, with the catalogues
    a workspace file keeps of its stored lifecycles and journeys (none stored yet)."""
    con = events_database(events)
    for statement in FILE_CATALOGUE:
        con.execute(statement)
    return con


@contextmanager
def queries_read():
    """The names of the SQL files (analytics/sql) the model reads meanwhile."""
    names = []

    def spy(name: str) -> str:
        names.append(name)
        return sql(name)

    with mock.patch("analytics.model.sql", spy):
        yield names


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(log=event_logs(), w=st.integers(1, 60))
def test_quarters_follow_from_the_months_of_the_same_lifecycle(log, w):
    """By quarter, the lifecycle is made from the same settings' months when they are kept: the
    same money, spells and customer periods, row for row, as computed by quarter from the events."""
    events, stage_map, as_of = log
    con = file_database(events)
    sm = stage_map_from_dict(stage_map)
    store = LifecycleStore(con)
    months = Settings(grain="month", as_of=as_of, churn_after_days=w)
    Model(con.cursor(), EVENTS_TABLE, sm, months, store).cur.close()
    quarters = replace(months, grain="quarter")
    with queries_read() as read, Model(con.cursor(), EVENTS_TABLE, sm, quarters, store) as m:
        derived = {t: m.cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in LIFECYCLE_TABLES}
        empty = m.empty
    with Model(con.cursor(), EVENTS_TABLE, sm, quarters) as m:
        computed = {t: m.cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in LIFECYCLE_TABLES}
    con.close()
    assert derived == computed
    assert ("quarters_from_months" in read) == (not empty)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(log=event_logs(), w=st.integers(1, 60), day=st.one_of(st.none(), st.integers(0, DAYS)))
def test_an_earlier_end_date_cuts_the_lifecycle_and_journey_of_the_first_look(log, w, day):
    """With an end date before the first look's (the same churn window), the lifecycle is the stored
    first look's cut at that date: the same money, spells and customer periods, row for row, as
    computed from the events, by month and by quarter (through the cut months); and the stored
    journey cut at that date is the journey computed from the events up to it. The end is an
    instant, or a day as the sidebar gives it (its end: revenue at midnight a year before the next
    day is the edge of the value just after it)."""
    events, stage_map, as_of = log
    if day is not None:
        as_of = (START + timedelta(days=day)).date()
    sm = replace(stage_map_from_dict(stage_map), churn_after_days=w)
    for grain in ("month", "quarter"):  # each in a process of its own: by quarter, the months are cut first
        con = file_database(events)
        with con.cursor() as cur:
            store_first_look(cur, EVENTS_TABLE, sm)
            last = cur.execute(f"SELECT max(ts) FROM {EVENTS_TABLE}").fetchone()[0]
        chosen = Settings(grain=grain, as_of=as_of)
        with queries_read() as read, Model(con.cursor(), EVENTS_TABLE, sm, chosen, LifecycleStore(con)) as m:
            derived = {t: m.cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in LIFECYCLE_TABLES}
            first_as_of = None if m.empty else first_look(last).resolved(sm, last).as_of
            cut = not m.empty and m.settings.as_of < first_as_of
            months_at_hand = not m.empty and m.settings.as_of <= first_as_of  # the first look's, or cut from it
            m._journey()
            derived |= {t: m.cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in JOURNEY_VIEWS}
        with Model(con.cursor(), EVENTS_TABLE, sm, chosen) as m:
            computed = {t: m.cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in LIFECYCLE_TABLES}
            m._journey()
            computed |= {t: m.cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in JOURNEY_VIEWS}
        con.close()
        assert derived == computed, grain
        assert ("last_period_values" in read) == cut, grain
        assert ("quarters_from_months" in read) == (months_at_hand and grain == "quarter"), grain


def test_a_cut_lifecycle_counts_the_revenue_of_a_year_before_the_day_after_the_end():
    """The value at the end of the last period of a cut lifecycle is the revenue in
    (end - 365 days, end]: for the end of 2025-12-31, a payment at 2025-01-01 00:00 still counts."""
    events = [
        {"customer_id": "a", "ts": datetime(2025, 1, 1), "event": "payment", "revenue": Decimal("100")},
        {"customer_id": "a", "ts": datetime(2025, 6, 1, 12), "event": "payment", "revenue": Decimal("50")},
        {"customer_id": "a", "ts": datetime(2024, 12, 31, 23), "event": "payment", "revenue": Decimal("7")},
        {"customer_id": "b", "ts": datetime(2026, 1, 15, 9), "event": "payment", "revenue": Decimal("20")},
    ]
    con = file_database(events)
    sm = stage_map_from_dict({"stages": [{"name": "Buy", "goal": "", "events": ["payment"]}], "churn_events": [],
                              "churn_after_days": 400, "baseline_periods": 3})
    with con.cursor() as cur:
        store_first_look(cur, EVENTS_TABLE, sm)
    chosen = Settings(as_of=date(2025, 12, 31))
    query = "SELECT value_a, value_b FROM model_customer_periods WHERE period_idx = 12"  # 2025-12
    with queries_read() as read, Model(con.cursor(), EVENTS_TABLE, sm, chosen, LifecycleStore(con)) as m:
        assert m.cur.execute(query).fetchall() == [(Decimal("157"), Decimal("150"))]
    assert "last_period_values" in read
    with Model(con.cursor(), EVENTS_TABLE, sm, chosen) as m:
        assert m.cur.execute(query).fetchall() == [(Decimal("157"), Decimal("150"))]
    con.close()


def test_a_first_look_stored_at_the_end_of_the_last_day_is_stored_again_at_the_last_event(tmp_path):
    """The first look was the end of the latest event's day, where the command line's report takes the latest
    event (DOMAIN.md's default): the page and the report differed. A workspace stored so is brought up to date
    when it opens, and its page settings then read a stored lifecycle."""
    path = sample_workspace(tmp_path)
    ws = Workspace(path, seed_sample=False)
    ds = ws.dataset("Sample")
    with ws.cursor() as cur, mock.patch("analytics.model.first_look", lambda last: Settings(grain="month", as_of=last.date())):
        store_first_look(cur, ds.events_table, ds.stage_map)  # as an older version stored it
    old_keys = file_lifecycles(ws)
    ws.close()
    ws = Workspace(path, seed_sample=False)
    try:
        assert file_lifecycles(ws) != old_keys and len(file_lifecycles(ws)) == 1
        compute(ws, "Sample", first_look(ds.last_event))
        compute(ws, "Sample", Settings())  # the command line's default: the same instant, the same lifecycle
        assert ws.lifecycles.builds == 0
    finally:
        ws.close()


def test_the_first_look_is_stored_with_the_dataset_and_a_new_process_computes_no_lifecycle(tmp_path):
    path = sample_workspace(tmp_path)  # ingested, then closed: what a restart or another process opens
    ws = Workspace(path, seed_sample=False)
    try:
        ds = ws.dataset("Sample")
        assert file_lifecycles(ws) == [(ds.events_table, file_lifecycles(ws)[0][1])]
        assert len(lifecycle_tables(ws)) == 3
        first = first_look(ds.last_event)
        # what the sidebar opens with, DOMAIN.md's default as-of, and so the command line's report
        assert first == Settings(grain="month", as_of=ds.last_event)
        assert first.resolved(ds.stage_map, ds.last_event) == Settings().resolved(ds.stage_map, ds.last_event)
        stored = compute(ws, "Sample", first)
        compute(ws, "Sample", replace(first, segment="Enterprise"))
        assert ws.lifecycles.builds == 0, "the first look and its segments read the stored lifecycle"
        expected = alone(ws, first)
        for name, df in expected.items():
            pd.testing.assert_frame_equal(getattr(stored, name).reset_index(drop=True), df.reset_index(drop=True),
                                          check_exact=False, rtol=1e-12, obj=name)
        by_quarter = replace(first, grain="quarter")
        with queries_read() as read:
            stored = compute(ws, "Sample", by_quarter)
        assert ws.lifecycles.builds == 1  # other settings: made once, kept in memory
        assert "quarters_from_months" in read, "by quarter, the stored months give the customer periods"
        for name, df in alone(ws, by_quarter).items():
            pd.testing.assert_frame_equal(getattr(stored, name).reset_index(drop=True), df.reset_index(drop=True),
                                          check_exact=False, rtol=1e-12, obj=name)
    finally:
        ws.close()


def test_the_stored_lifecycle_follows_a_new_stage_map_and_goes_with_its_events(tmp_path):
    ws = Workspace(sample_workspace(tmp_path), seed_sample=False)
    try:
        ds = ws.dataset("Sample")
        [(_, old_key)] = file_lifecycles(ws)
        old_tables = lifecycle_tables(ws)
        ds = ws.set_stage_map("Sample", replace(ds.stage_map, churn_after_days=60))
        [(table, new_key)] = file_lifecycles(ws)
        assert table == ds.events_table and new_key != old_key
        assert len(lifecycle_tables(ws)) == 3 and not lifecycle_tables(ws) & old_tables
        first = first_look(ds.last_event)
        stored = compute(ws, "Sample", first)
        assert ws.lifecycles.builds == 0
        pd.testing.assert_frame_equal(stored.movements, alone(ws, first)["movements"])

        ws.ingest(SAMPLE_FILE, "Sample", stage_map=load_stage_map(SAMPLE_STAGES), replace=True)
        assert [t for t, _ in file_lifecycles(ws)] == [ws.dataset("Sample").events_table]
        assert len(lifecycle_tables(ws)) == 3
        ws.remove("Sample")
        assert file_lifecycles(ws) == [] and lifecycle_tables(ws) == set()
    finally:
        ws.close()


def test_a_lifecycle_that_cannot_be_stored_leaves_the_dataset_whole(tmp_path, monkeypatch):
    import duckdb

    import analytics.workspace as workspace

    def out_of_memory(*args):
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block (as at 100 M events)")

    monkeypatch.setattr(workspace, "store_first_look", out_of_memory)
    ws = Workspace(tmp_path / "ws.duckdb", seed_sample=False)
    try:
        ds = ws.ingest(SAMPLE_FILE, "Sample", stage_map=load_stage_map(SAMPLE_STAGES))
        assert ds.rows_kept > 0 and file_lifecycles(ws) == [] and lifecycle_tables(ws) == set()
        first = first_look(ds.last_event)
        pd.testing.assert_frame_equal(compute(ws, "Sample", first).movements, alone(ws, first)["movements"])
        assert ws.lifecycles.builds == 1  # computed when opened instead
    finally:
        ws.close()


def test_the_journey_is_stored_with_the_first_look_and_follows_the_stage_map(tmp_path):
    ws = Workspace(sample_workspace(tmp_path), seed_sample=False)
    try:
        ds = ws.dataset("Sample")
        [(table, old_key)] = file_journeys(ws)
        assert table == ds.events_table
        assert journey_tables(ws) == {f"journey_{table}_{old_key}_advance", f"journey_{table}_{old_key}_exposure"}
        with Model(ws.snapshot(), ds.events_table, ds.stage_map, first_look(ds.last_event)) as m:
            m.stage_table()  # the journey computed from the log, as without the workspace's store
            for part in ("advance", "exposure"):
                computed = m.cur.execute(f"SELECT * FROM model_{part} ORDER BY ALL").fetchall()
                stored = m.cur.execute(f"SELECT * FROM journey_{table}_{old_key}_{part} ORDER BY ALL").fetchall()
                assert stored == computed and len(stored) > 1000, part

        # a new churn window is the same journey; a new journey order is another
        ws.set_stage_map("Sample", replace(ds.stage_map, churn_after_days=60))
        assert [k for _, k in file_journeys(ws)] == [old_key]
        ds = ws.set_stage_map("Sample", replace(ds.stage_map, stages=ds.stage_map.stages[::-1]))
        [(_, new_key)] = file_journeys(ws)
        assert new_key != old_key and len(journey_tables(ws)) == 2 and old_key not in str(journey_tables(ws))
        first = first_look(ds.last_event)
        pd.testing.assert_frame_equal(compute(ws, "Sample", first).stages, alone(ws, first)["stages"])

        ws.remove("Sample")
        assert file_journeys(ws) == [] and journey_tables(ws) == set()
    finally:
        ws.close()


def test_the_stored_journey_is_read_under_every_end_date(tmp_path):
    """The stored journey is read under any settings (any end date, grain, churn window or segment):
    cut at an earlier end it gives the tables computed from the log, and emptied on purpose it shows
    where it is read. Only a stage map being previewed computes its own."""
    ws = Workspace(sample_workspace(tmp_path), seed_sample=False)
    try:
        ds = ws.dataset("Sample")
        earlier = [Settings(as_of=date(2026, 3, 31)), Settings(grain="quarter", as_of=date(2026, 5, 14),
                                                                segment="Enterprise", churn_after_days=60)]
        assert ds.last_event.date() > date(2026, 5, 14)
        chosen = [first_look(ds.last_event), Settings(), Settings(grain="quarter", churn_after_days=60),
                  Settings(segment="Enterprise"), *earlier]
        for settings in chosen:
            result = compute(ws, "Sample", settings)
            assert result.stages.entered.sum() > 0 and result.drivers.exposed.sum() > 0
        for settings in earlier:
            result, expected = compute(ws, "Sample", settings), alone(ws, settings)
            for name in ("stages", "drivers"):
                pd.testing.assert_frame_equal(getattr(result, name).reset_index(drop=True), expected[name],
                                              check_exact=False, rtol=1e-12, obj=name)
        with ws.cursor() as cur:
            for table in journey_tables(ws):
                cur.execute(f"DELETE FROM {table}")
        for settings in chosen:
            result = compute(ws, "Sample", settings)
            assert result.stages.entered.sum() == 0 and result.drivers.exposed.sum() == 0, settings
            assert result.stages.gained.sum() > 0  # the attribution reads the events themselves
        # a preview of another stage map (the Data page's editor) computes its own journey
        other = replace(ds.stage_map, stages=ds.stage_map.stages[::-1])
        preview = compute(ws, "Sample", Settings(), stage_map=other)
        with Model(ws.snapshot(), ds.events_table, other, Settings()) as m:
            pd.testing.assert_frame_equal(preview.stages, m.stage_table(extended=True))
        assert preview.stages.entered.sum() > 0
    finally:
        ws.close()


@pytest.mark.parametrize("before", ["no journey", "an older form"])
def test_a_first_look_stored_before_the_journey_gains_it_when_the_workspace_opens(tmp_path, before):
    path = sample_workspace(tmp_path)
    ws = Workspace(path, seed_sample=False)
    [(events, key)] = file_journeys(ws)
    with ws.cursor() as cur:
        if before == "no journey":  # as stored by earlier versions: the lifecycle alone
            for table in journey_tables(ws):
                cur.execute(f"DROP TABLE {table}")
            cur.execute("DROP TABLE journeys")
        else:  # the exposure without first_ts, under the key of its form
            cur.execute(f"ALTER TABLE journey_{events}_{key}_exposure DROP COLUMN first_ts")
            for part in ("advance", "exposure"):
                cur.execute(f"ALTER TABLE journey_{events}_{key}_{part} RENAME TO journey_{events}_older_{part}")
            cur.execute("UPDATE journeys SET key = 'older'")
    lifecycle_before = file_lifecycles(ws)
    ws.close()
    ws = Workspace(path, seed_sample=False)
    try:
        ds = ws.dataset("Sample")
        assert file_journeys(ws) == [(ds.events_table, key)]
        assert journey_tables(ws) == {f"journey_{events}_{key}_advance", f"journey_{events}_{key}_exposure"}
        assert file_lifecycles(ws) == lifecycle_before
        first = first_look(ds.last_event)
        pd.testing.assert_frame_equal(compute(ws, "Sample", first).drivers, alone(ws, first)["drivers"])
        assert ws.lifecycles.builds == 0
    finally:
        ws.close()
