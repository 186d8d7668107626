"""Ingest: parsing, refusal reasons, fatal problems, atomicity, datasets side by side."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime
from decimal import Decimal

import pandas as pd
import pytest

from analytics.db import customers_table_of
from analytics.errors import BadUpload, MappingError, WorkspaceError
from analytics.ingest import inspect_file, preview_rows
from analytics.lifecycle import drop_from_file
from analytics.mapping import Mapping, Source, suggest_mapping
from analytics.model import compute, first_look
from analytics.stagemap import parse_stage_map
from analytics.workspace import Workspace
from tests.conftest import WORKED_EXAMPLE, WORKED_STAGES

HEADER = "customer_id,timestamp,event,revenue\n"


def rows(ws, name):
    ds = ws.dataset(name)
    with ws.cursor() as cur:
        return cur.execute(f"SELECT customer_id, ts, event, revenue FROM {ds.events_with_ids()} ORDER BY customer_id, ts, event").fetchall()


def test_worked_example_is_stored_in_canonical_types(ws, write):
    ds = ws.ingest(write("example.csv", WORKED_EXAMPLE), "example", stage_map=parse_stage_map(WORKED_STAGES))
    assert (ds.rows_read, ds.rows_kept, ds.customers) == (13, 13, 5)
    assert ds.first_event == datetime(2026, 1, 3) and ds.last_event == datetime(2026, 4, 10)
    assert ds.source_file == "example.csv"
    assert ds.report["refused"] == [] and ds.report["unmapped"] == []
    stored = rows(ws, "example")
    assert stored[0] == ("A", datetime(2026, 1, 3), "site_visit", Decimal("0"))
    assert stored[3] == ("A", datetime(2026, 3, 5), "renewal", Decimal("120"))
    assert sum(r[3] for r in stored) == Decimal("730")
    assert ds.stage_map.churn_after_days == 45


def test_timestamps_iso_date_only_and_offsets_become_utc(ws, write):
    text = HEADER + "\n".join(
        [
            "a,2026-01-03,x,0",
            "b,2026-01-03 10:15,x,0",
            "c,2026-01-03T10:15:30+02:00,x,0",
            "d,2026-01-03T23:30:00-05:00,x,0",
            "e,2026-01-03T10:15:30Z,x,0",
            "f,2026-01-03 10:15:30 +0200,x,0",    # Ruby's Time#to_s
            "g,2026-01-03 10:15:30 -05:30,x,0",
        ]
    )
    ws.ingest(write("t.csv", text), "t")
    assert [r[1] for r in rows(ws, "t")] == [
        datetime(2026, 1, 3), datetime(2026, 1, 3, 10, 15), datetime(2026, 1, 3, 8, 15, 30),
        datetime(2026, 1, 4, 4, 30), datetime(2026, 1, 3, 10, 15, 30), datetime(2026, 1, 3, 8, 15, 30),
        datetime(2026, 1, 3, 15, 45, 30),
    ]


def test_day_first_dates_are_read_when_unambiguous_and_said_so(ws, write):
    ds = ws.ingest(write("t.csv", HEADER + "a,13/01/2026,x,0\nb,02/03/2026,x,0\n"), "t")
    assert [r[1] for r in rows(ws, "t")] == [datetime(2026, 1, 13), datetime(2026, 3, 2)]
    assert ds.report["date_format"] == "%d/%m/%Y"
    assert ds.report["notes"] == ["timestamps read with the format %d/%m/%Y"]


def test_ambiguous_day_month_dates_are_refused_not_guessed(ws, write):
    path = write("t.csv", HEADER + "a,03/01/2026,x,0\nb,04/02/2026,x,0\n")
    with pytest.raises(MappingError) as err:
        ws.ingest(path, "t")
    assert "t.csv" in str(err.value) and "'%d/%m/%Y' or '%m/%d/%Y'" in str(err.value)
    assert ws.names() == []
    mapping = Mapping(suggest_mapping(["customer_id", "timestamp", "event", "revenue"]).sources, date_format="%m/%d/%Y")
    ws.ingest(path, "t", mapping=mapping)
    assert [r[1] for r in rows(ws, "t")] == [datetime(2026, 3, 1), datetime(2026, 4, 2)]


def test_every_refusal_reason_with_its_rows(ws, write):
    text = HEADER + "\n".join(
        [
            "a,2026-01-01,visit,0",          # row 2 (the header is row 1): kept
            ",2026-01-01,visit,0",           # 3 no customer
            "b,yesterday,visit,0",           # 4 bad timestamp
            "c,1989-12-31,visit,0",          # 5 too early
            "d,2999-01-01,visit,0",          # 6 future
            "e,2026-01-01,,0",               # 7 no event
            "f,2026-01-01,buy,twelve",       # 8 bad revenue
            "a,2026-01-01,visit,0",          # 9 duplicate of 2
            "g,2026-01-01,buy,\"$1,234.50\"",  # 10 kept, cleaned
            "h,2026-01-01,buy",              # 11 too few fields
            "17850.0,2026-01-02,buy,-5",     # 12 kept: id normalised, refund
        ]
    )
    ds = ws.ingest(write("bad.csv", text), "bad")
    got = {r["reason"]: (r["rows"], r["examples"]) for r in ds.report["refused"]}
    assert got == {
        "malformed": (1, [11]),
        "missing_customer": (1, [3]),
        "bad_timestamp": (1, [4]),
        "too_early": (1, [5]),
        "in_future": (1, [6]),
        "missing_event": (1, [7]),
        "bad_revenue": (1, [8]),
        "duplicate": (1, [9]),
    }
    assert (ds.report["rows_read"], ds.rows_kept, ds.report["rows_refused"]) == (11, 3, 8)
    assert ds.report["duplicates"] == 1
    assert rows(ws, "bad") == [
        ("17850", datetime(2026, 1, 2), "buy", Decimal("-5")),
        ("a", datetime(2026, 1, 1), "visit", Decimal("0")),
        ("g", datetime(2026, 1, 1), "buy", Decimal("1234.5")),
    ]


def test_only_rows_written_the_same_are_duplicates(ws, write):
    text = HEADER + "\n".join(
        [
            "a,2026-01-01,buy,10",           # 1 kept
            "a,2026-01-01,buy,10.00",        # 2 kept: reads as row 1, written differently
            "a,2026-01-01 00:00:00,buy,10",  # 3 kept: the same
            "a,2026-01-01,buy,10",           # 4 duplicate of 1
            "a,2026-01-01,buy,10.00",        # 5 duplicate of 2
            "a,2026-01-01,buy,11",           # 6 kept
        ]
    )
    ds = ws.ingest(write("d.csv", text), "d")
    assert [(r["reason"], r["rows"], r["examples"]) for r in ds.report["refused"]] == [("duplicate", 2, [5, 6])]
    assert ds.rows_kept == 4


def test_rows_whose_hashes_collide_are_compared_on_every_parsed_column(ws, write, monkeypatch):
    # every row given the same hash: only rows that also read the same are refused
    monkeypatch.setattr("analytics.ingest._source_columns", lambda info: "42")
    text = HEADER + "a,2026-01-01,buy,10\nb,2026-01-01,buy,10\na,2026-01-01,buy,10.00\na,2026-01-02,buy,10\n"
    ds = ws.ingest(write("c.csv", text), "c")
    assert [(r["reason"], r["rows"], r["examples"]) for r in ds.report["refused"]] == [("duplicate", 1, [4])]
    assert rows(ws, "c") == [
        ("a", datetime(2026, 1, 1), "buy", Decimal("10")),
        ("a", datetime(2026, 1, 2), "buy", Decimal("10")),
        ("b", datetime(2026, 1, 1), "buy", Decimal("10")),
    ]


def test_a_report_stored_with_the_old_numbering_is_read_as_a_spreadsheet_numbers_rows(ws, write):
    """Reports stored before rows were numbered from the header counted data rows from 1 ('row 4' was the
    spreadsheet's row 5) and malformed lines from the header: read back, both are the spreadsheet's."""
    ds = ws.ingest(write("t.csv", HEADER + "a,2026-01-01,x,0\nb,2026-01-02,x\n,2026-01-03,x,0\n"), "t")
    assert [(r["reason"], r["examples"]) for r in ds.report["refused"]] == [("malformed", [3]), ("missing_customer", [4])]
    old = {**ds.report, "refused": [{**r, "examples": [3] if r["reason"] == "malformed" else [3],
                                     "where": "line" if r["reason"] == "malformed" else "row",
                                     "label": "line has the wrong number of fields" if r["reason"] == "malformed" else r["label"]}
                                    for r in ds.report["refused"]]}
    del old["rows_numbered"]
    with ws.cursor() as cur:
        cur.execute("UPDATE datasets SET report = ? WHERE name = 't'", [json.dumps(old)])
    again = ws.dataset("t").report
    assert [(r["label"], r["examples"]) for r in again["refused"]] == [
        ("wrong number of fields", [3]), ("no customer id", [4])]
    assert again == ds.report


def test_rows_after_a_malformed_line_keep_their_numbers(ws, write):
    text = HEADER + "a,2026-01-01,x,0\nb,2026-01-02,x\nc,2026-01-03,x,0\n,2026-01-04,x,0\nd,2026-01-05,x\n,2026-01-06,x,0\n"
    ds = ws.ingest(write("t.csv", text), "t")
    got = {r["reason"]: (r["rows"], r["examples"]) for r in ds.report["refused"]}
    assert got == {"malformed": (2, [3, 6]), "missing_customer": (2, [5, 7])}


@pytest.mark.parametrize("lines, fmt, expected", [
    # the review's dayfirst.csv: every other row without its time; the rows of one form were all refused
    ("a,23/06/2025,x,0\nb,14/02/2025 10:30,x,0\nc,02/03/2025,x,0\nd,13/10/2025 09:15:30,x,0\n",
     "%d/%m/%Y %H:%M:%S or %d/%m/%Y %H:%M or %d/%m/%Y",
     [datetime(2025, 6, 23), datetime(2025, 2, 14, 10, 30), datetime(2025, 3, 2), datetime(2025, 10, 13, 9, 15, 30)]),
    ("a,06/23/2025,x,0\nb,02/14/2025 10:30,x,0\nc,03/02/2025,x,0\n", "%m/%d/%Y %H:%M or %m/%d/%Y",
     [datetime(2025, 6, 23), datetime(2025, 2, 14, 10, 30), datetime(2025, 3, 2)]),
    ("a,23.06.2025,x,0\nb,14.02.2025 10:30,x,0\n", "%d.%m.%Y %H:%M or %d.%m.%Y",
     [datetime(2025, 6, 23), datetime(2025, 2, 14, 10, 30)]),
])
def test_dates_with_and_without_a_time_in_one_order_are_both_read(ws, write, lines, fmt, expected):
    """A day-first file mixing 23/06/2025 and 14/02/2025 10:30 lost every row of one form ('timestamp not
    readable'): the forms of one order are read together, the date-only form as midnight."""
    ds = ws.ingest(write("t.csv", HEADER + lines), "t")
    assert ds.report["refused"] == [] and ds.report["date_format"] == fmt
    assert ds.report["notes"] == [f"timestamps read with the formats {fmt}, a date without a time as midnight"]
    assert sorted(r[1] for r in rows(ws, "t")) == sorted(expected)


def test_a_single_form_stays_one_format_and_other_orders_are_not_joined(ws, write):
    ds = ws.ingest(write("t.csv", HEADER + "a,23/06/2025 10:00,x,0\nb,14/02/2025 10:30,x,0\n"), "t")
    assert ds.report["date_format"] == "%d/%m/%Y %H:%M"
    # a month-first time among day-first dates is another order: it is refused, by row, as before
    ds = ws.ingest(write("u.csv", HEADER + "a,23/06/2025,x,0\nb,24/06/2025,x,0\nc,02/14/2025 10:30,x,0\n"), "u")
    assert ds.report["date_format"] == "%d/%m/%Y"
    assert [(r["reason"], r["examples"]) for r in ds.report["refused"]] == [("bad_timestamp", [4])]


def test_mixed_forms_that_read_both_ways_are_refused_and_can_be_named(ws, write):
    path = write("t.csv", HEADER + "a,03/04/2025,x,0\nb,05/06/2025 10:30,x,0\n")
    with pytest.raises(MappingError) as err:
        ws.ingest(path, "t")
    assert "'%d/%m/%Y %H:%M or %d/%m/%Y' or '%m/%d/%Y %H:%M or %m/%d/%Y'" in str(err.value)
    columns = ["customer_id", "timestamp", "event", "revenue"]
    mapping = Mapping(suggest_mapping(columns).sources, date_format="%d/%m/%Y %H:%M or %d/%m/%Y")
    ws.ingest(path, "t", mapping=mapping)
    assert sorted(r[1] for r in rows(ws, "t")) == [datetime(2025, 4, 3), datetime(2025, 6, 5, 10, 30)]


def test_a_date_format_typed_without_a_time_reads_the_dates_that_have_one(ws, write):
    """'%d/%m/%Y' typed for a file whose dates have a time on some rows refused those rows as 'timestamp not
    readable'; they are read, with a note, and a row that no form reads is still refused."""
    columns = ["customer_id", "timestamp", "event", "revenue"]
    typed = Mapping(suggest_mapping(columns).sources, date_format="%d/%m/%Y")
    text = HEADER + "a,03/04/2025,x,0\nb,05/06/2025 10:30,x,0\nc,07/08/2025 11:12:13,x,0\nd,yesterday,x,0\n"
    ds = ws.ingest(write("t.csv", text), "t", mapping=typed)
    wider = "%d/%m/%Y or %d/%m/%Y %H:%M:%S or %d/%m/%Y %H:%M"
    assert ds.report["date_format"] == wider
    assert ds.report["notes"] == [f"some timestamps have a time after the date: read with the formats {wider}, "
                                  "a date without a time as midnight"]
    assert sorted(r[1] for r in rows(ws, "t")) == [
        datetime(2025, 4, 3), datetime(2025, 6, 5, 10, 30), datetime(2025, 8, 7, 11, 12, 13)]
    assert [(r["reason"], r["examples"]) for r in ds.report["refused"]] == [("bad_timestamp", [5])]
    # no row with a time: the format stays as typed
    ds = ws.ingest(write("u.csv", HEADER + "a,03/04/2025,x,0\nd,yesterday,x,0\n"), "u", mapping=typed)
    assert (ds.report["date_format"], ds.report["notes"]) == ("%d/%m/%Y", [])


@pytest.mark.parametrize("fmt", ["dd/mm/yyyy", "DD/MM/YYYY HH:mm", "%d/%m/%Y or dd/mm/yyyy"])
def test_a_date_format_without_percent_codes_is_refused_with_an_example(ws, write, fmt):
    """'dd/mm/yyyy' read no date, and every row was refused as 'timestamp not readable'."""
    columns = ["customer_id", "timestamp", "event", "revenue"]
    with pytest.raises(MappingError) as err:
        ws.ingest(write("t.csv", HEADER + "a,23/06/2025,x,0\n"), "t", mapping=Mapping(suggest_mapping(columns).sources, date_format=fmt))
    assert str(err.value) == (f"The date format {fmt!r} has no % codes, so it reads no date; write it with them, such as "
                              "%d/%m/%Y for 23/06/2025, or %d/%m/%Y %H:%M for 23/06/2025 14:05 (Unix seconds for 1767398400).")
    assert ws.names() == []


def test_mixed_date_formats_refuse_the_minority_by_row(ws, write):
    text = HEADER + "a,2026-01-01,x,0\nb,2026-01-02,x,0\nc,Jan 3 2026,x,0\nd,2026-01-04,x,0\n"
    ds = ws.ingest(write("t.csv", text), "t")
    assert ds.report["refused"][0]["reason"] == "bad_timestamp"
    assert ds.report["refused"][0]["examples"] == [4]


def test_a_date_format_that_only_starts_after_the_first_rows_is_still_chosen(ws, write):
    """The first 1,000 rows read as ISO 8601, so the file is parsed so first; the 1,500 day-first rows
    after them make %d/%m/%Y the format that reads most, so the file is parsed again with it and the
    ISO rows are refused by row, as in any mixed file."""
    iso = [f"i{n},2026-01-{n % 28 + 1:02d},x,0" for n in range(1_000)]
    day_first = [f"d{n},{n % 28 + 1:02d}/02/2026,x,0" for n in range(1_500)]
    ds = ws.ingest(write("t.csv", HEADER + "\n".join(iso + day_first) + "\n"), "t")
    assert ds.report["date_format"] == "%d/%m/%Y"
    assert ds.report["notes"] == ["timestamps read with the format %d/%m/%Y"]
    [refused] = ds.report["refused"]
    assert (refused["reason"], refused["rows"], refused["examples"]) == ("bad_timestamp", 1_000, [2, 3, 4, 5, 6])
    assert ds.rows_kept == 1_500 and ds.customers == 1_500
    assert (ds.first_event, ds.last_event) == (datetime(2026, 2, 1), datetime(2026, 2, 28))


def test_unmapped_events_are_kept_and_counted(ws, write):
    stages = parse_stage_map(WORKED_STAGES)
    text = WORKED_EXAMPLE + "E,2026-04-11,webinar,0\nE,2026-04-12,webinar,0\nD,2026-04-12,newsletter,0\n"
    ds = ws.ingest(write("t.csv", text), "t", stage_map=stages)
    assert ds.rows_kept == 16
    assert ds.report["unmapped"] == [
        {"event": "webinar", "rows": 2, "stage": "Unmapped"},
        {"event": "newsletter", "rows": 1, "stage": "Unmapped"},
    ]
    # the stage map can be replaced without re-uploading; the report follows it
    bigger = parse_stage_map(WORKED_STAGES.replace('events = ["ad_click", "site_visit"]', 'events = ["ad_click", "site_visit", "webinar"]'))
    ds = ws.set_stage_map("t", bigger)
    assert ds.report["unmapped"] == [{"event": "newsletter", "rows": 1, "stage": "Unmapped"}]
    assert ds.stage_map.stages[0].events == ("ad_click", "site_visit", "webinar")


def test_the_report_warns_of_the_stage_maps_mistakes_the_data_shows(ws, write):
    """Stage names in the data that the map does not have were placed by event name while the report said
    'Every event belongs to a stage.'; listed events that never occur were not mentioned."""
    text = ("customer_id,timestamp,event,stage,revenue\nA,2026-01-03,site_visit,Discover,0\n"
            "A,2026-01-05,purchase,Evaluate,100\nB,2026-01-06,purchase,Evaluate,50\nB,2026-01-07,login,,0\n"
            "C,2026-01-08,renewal,Renew,10\nC,2026-01-09,cancel,,0\n")
    ds = ws.ingest(write("t.csv", text), "t", stage_map=parse_stage_map(WORKED_STAGES))
    assert ds.report["unmapped"] == []
    assert ds.report["warnings"] == [
        "The events 'ad_click', 'onboarding_call', 'support_ticket' of the stage map never occur in the data; "
        "check their spelling.",
        "The stage column of 2 rows names a stage the stage map does not have (Evaluate: 2 rows); those rows were "
        "placed by their event name instead. Add the stage to the map, or correct the column.",
    ]
    # as the model does: the two purchases are in Buy, by their event name
    res = compute(ws, "t")
    assert res.stages.groupby("stage")["entered"].sum().to_dict()["Buy"] == 2
    # a new stage map brings its own warnings: Evaluate now a stage, with no events (the data enters it)
    evaluate = WORKED_STAGES + '\n[[stages]]\nname = "Evaluate"\n\n[[stages]]\nname = "Advocate"\n'
    ds = ws.set_stage_map("t", parse_stage_map(evaluate))
    assert ds.report["warnings"] == [
        "Stage 'Advocate' has no events, so nobody enters it; list its events, or remove it.",
        "The events 'ad_click', 'onboarding_call', 'support_ticket' of the stage map never occur in the data; "
        "check their spelling.",
    ]


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", ["empty.csv is empty"]),
        (b"customer_id,timestamp,event\n", ["has a header but no rows"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", ["not a text file"]),
        (b"who,when\na,2026-01-01\n", ["no customer_id column"]),
        (b"customer_id,event\na,x\n", ["no timestamp column"]),
        (b"customer_id,timestamp,event\na,never,x\nb,nope,y\n", ["no date Journey Ledger can read", "'never'"]),
        (b"customer_id,timestamp,event\na,,x\nb, ,y\n", ["timestamp column timestamp of empty.csv is empty on every row"]),
    ],
    ids=["empty", "header-only", "binary", "no-customer", "no-timestamp", "no-dates", "no-date-filled"],
)
def test_fatal_problems_stop_with_one_sentence(ws, write, content, words):
    path = write("empty.csv", content)
    with pytest.raises((BadUpload, MappingError)) as err:
        ws.ingest(path, "x")
    message = str(err.value)
    for w in words:
        assert w in message
    assert "\n" not in message and "Traceback" not in message
    assert ws.names() == []


def test_gz_that_is_not_gzip(ws, write):
    with pytest.raises(BadUpload, match="ends in .gz but is not gzip-compressed"):
        ws.ingest(write("x.csv.gz", HEADER + "a,2026-01-01,x,0\n"), "x")


@pytest.mark.parametrize(
    "name, content",
    [
        ("latin1.csv", "customer_id;timestamp;event;revenue\nJosé;2026-01-01;café;1,5\n".replace("1,5", "2").encode("latin-1")),
        ("utf16.csv", "customer_id,timestamp,event,revenue\nJosé,2026-01-01,café,2\n".encode("utf-16")),
        ("bom.csv", "\ufeffcustomer_id,timestamp,event,revenue\nJosé,2026-01-01,café,2\n".encode("utf-8")),
        ("tabs.csv", "customer_id\ttimestamp\tevent\trevenue\nJosé\t2026-01-01\tcafé\t2\n".encode()),
        ("quoted.csv", 'customer_id,timestamp,event,revenue\nJosé,2026-01-01,"café, with\na newline",2\n'.encode()),
        ("gz.csv.gz", gzip.compress("customer_id,timestamp,event,revenue\nJosé,2026-01-01,café,2\n".encode())),
        # gzip-compressed but named .csv: known by its magic bytes (DuckDB, going by the name, read it as text)
        ("gz_named.csv", gzip.compress("customer_id,timestamp,event,revenue\nJosé,2026-01-01,café,2\n".encode())),
        ("gz_latin1.csv", gzip.compress("customer_id,timestamp,event,revenue\nJosé,2026-01-01,café,2\n".encode("latin-1"))),
    ],
)
def test_encodings_delimiters_quoting_and_gzip(ws, write, name, content):
    ds = ws.ingest(write(name, content), "x")
    [(customer, ts, event, revenue)] = rows(ws, "x")
    assert customer == "José" and ts == datetime(2026, 1, 1) and revenue == Decimal("2")
    assert event.startswith("café")
    assert ds.rows_kept == 1


def test_constant_event_and_revenue_product(ws, write):
    text = "Invoice,Qty,Unit Price,Cust,When\n1,2,1.25,c1,2026-01-01 10:00\n2,-1,1.25,c1,2026-01-02 10:00\n"
    mapping = Mapping(
        {
            "customer_id": Source(column="Cust"), "timestamp": Source(column="When"),
            "event": Source(constant="purchase"), "revenue": Source(product=("Qty", "Unit Price")),
        }
    )
    ws.ingest(write("shop.csv", text), "shop", mapping=mapping)
    assert rows(ws, "shop") == [
        ("c1", datetime(2026, 1, 1, 10), "purchase", Decimal("2.5")),
        ("c1", datetime(2026, 1, 2, 10), "purchase", Decimal("-1.25")),
    ]


def test_datasets_side_by_side_replace_rename_delete(ws, write):
    ws.ingest(write("a.csv", WORKED_EXAMPLE), "first")
    ws.ingest(write("b.csv", HEADER + "z,2026-05-01,x,3\n"), "second")
    assert sorted(ws.names()) == ["first", "second"]
    with pytest.raises(WorkspaceError, match="already exists"):
        ws.ingest(write("b.csv", HEADER + "z,2026-05-01,x,3\n"), "first")
    old_table = ws.dataset("first").events_table
    ws.ingest(write("c.csv", HEADER + "y,2026-06-01,x,4\ny,2026-06-02,x,5\n"), "first", replace=True)
    assert ws.dataset("first").rows_kept == 2
    with ws.cursor() as cur:
        tables = {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert old_table not in tables and customers_table_of(old_table) not in tables
    ws.rename("second", "renamed")
    assert sorted(ws.names()) == ["first", "renamed"]
    ws.remove("renamed")
    assert ws.names() == ["first"]
    assert len([t for t in tables if t.startswith("events_")]) == 2
    assert len([t for t in tables if t.startswith("customers_")]) == 2


def test_customers_are_stored_once_and_the_events_carry_a_dense_key(ws, write):
    ds = ws.ingest(write("example.csv", WORKED_EXAMPLE), "example", stage_map=parse_stage_map(WORKED_STAGES))
    with ws.cursor() as cur:
        customers = cur.execute(f"SELECT customer_key, customer_id FROM {ds.customers_table} ORDER BY 1").fetchall()
        columns = [r[0] for r in cur.execute(f"DESCRIBE {ds.table}").fetchall()]
        per_key = cur.execute(f"SELECT customer_key, count(*) FROM {ds.table} GROUP BY 1 ORDER BY 1").fetchall()
    assert customers == [(1, "A"), (2, "B"), (3, "C"), (4, "D"), (5, "E")]
    assert columns[0] == "customer_key" and "customer_id" not in columns
    assert sum(n for _, n in per_key) == 13 and [k for k, _ in per_key] == [1, 2, 3, 4, 5]


def test_a_workspace_from_before_the_customer_key_is_brought_up_to_date(tmp_path, write):
    path = tmp_path / "old.duckdb"
    ws = Workspace(path, seed_sample=False)
    ds = ws.ingest(write("example.csv", WORKED_EXAMPLE), "example", stage_map=parse_stage_map(WORKED_STAGES))
    expected = compute(ws, "example").movements
    expected_first_look = compute(ws, "example", first_look(ds.last_event)).movements
    before = rows(ws, "example")
    with ws.cursor() as cur:  # the layout of earlier versions: the text id in every event row, no stored lifecycle
        drop_from_file(cur, ds.events_table)
        cur.execute("DROP TABLE lifecycles")
        cur.execute(f"CREATE TABLE old_layout AS SELECT * FROM {ds.events_with_ids()}")
        cur.execute(f"DROP TABLE {ds.table}")
        cur.execute(f"DROP TABLE {ds.customers_table}")
        cur.execute(f"ALTER TABLE old_layout RENAME TO {ds.table}")
    ws.close()
    ws = Workspace(path, seed_sample=False)
    try:
        assert rows(ws, "example") == before
        pd.testing.assert_frame_equal(compute(ws, "example").movements, expected)
        builds = ws.lifecycles.builds
        pd.testing.assert_frame_equal(compute(ws, "example", first_look(ds.last_event)).movements, expected_first_look)
        assert ws.lifecycles.builds == builds, "the upgrade stores the first look's lifecycle"
    finally:
        ws.close()


def _snapshot(ws):
    with ws.cursor() as cur:
        catalogue = cur.execute("SELECT * FROM datasets ORDER BY name").fetchall()
        tables = cur.execute("SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY 1").fetchall()
    return catalogue, tables, {n: rows(ws, n) for n in ws.names()}


def test_failed_ingest_changes_nothing(ws, write):
    ws.ingest(write("a.csv", WORKED_EXAMPLE), "kept")
    before = _snapshot(ws)
    for bad in [b"", b"customer_id,timestamp,event\n", b"\x00\x01\x02binary"]:
        with pytest.raises(BadUpload):
            ws.ingest(write("bad.csv", bad), "kept", replace=True)
    assert _snapshot(ws) == before


def test_failure_inside_the_transaction_rolls_back(ws, write, monkeypatch):
    ws.ingest(write("a.csv", WORKED_EXAMPLE), "kept")
    before = _snapshot(ws)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("analytics.workspace.json.dumps", boom)  # fails after CREATE TABLE, before COMMIT
    with pytest.raises(RuntimeError):
        ws.ingest(write("b.csv", HEADER + "z,2026-05-01,x,3\n"), "kept", replace=True)
    monkeypatch.undo()
    assert _snapshot(ws) == before


def test_refused_upload_leaves_the_file_byte_for_byte(tmp_path, write):
    path = tmp_path / "ws.duckdb"
    w = Workspace(path, seed_sample=False)
    w.ingest(write("a.csv", WORKED_EXAMPLE), "kept")
    w.close()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    w = Workspace(path, seed_sample=False)
    with pytest.raises(BadUpload):
        w.ingest(write("bad.csv", b"\x00binary"), "other")
    w.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


# ---- the decimal mark ---------------------------------------------------------------------------

SEMI = "customer_id;timestamp;event;revenue\n"


def revenues(ws, name):
    """The stored revenue of each row, in the file's order (the rows here are one a day)."""
    ds = ws.dataset(name)
    with ws.cursor() as cur:
        return [r[0] for r in cur.execute(f"SELECT revenue FROM {ds.events_with_ids()} ORDER BY ts").fetchall()]


def test_dots_in_a_semicolon_file_without_a_decimal_are_thousands(ws, write):
    """The review's euro_thousands_dot.csv: 1.500 and 12.000 (European Excel: one thousand five hundred, twelve
    thousand) were stored as 1.5 and 12, silently. No cell says which mark: a semicolon file takes the comma."""
    text = SEMI + "K1;2026-01-15;purchase;1.500\nK2;2026-01-16;purchase;12.000\nK3;2026-01-17;purchase;250\n"
    ds = ws.ingest(write("euro_thousands_dot.csv", text), "t")
    assert revenues(ws, "t") == [Decimal("1500"), Decimal("12000"), Decimal("250")]
    assert (ds.report["decimal_mark"], ds.report["decimal_mark_from"], ds.report["refused"]) == (",", "semicolon", [])


def test_a_cell_only_a_decimal_comma_reads_decides_the_ambiguous_ones(ws, write):
    """The review's euro_ambiguous_comma.csv: 1,500 and 2,250 (1.50 and 2.25) were stored as 1500 and 2250, and 12,50
    refused. 12,50 reads only with a comma: the comma is the file's mark."""
    text = SEMI + "K1;2026-01-15;purchase;1,500\nK2;2026-01-16;purchase;12,50\nK3;2026-01-17;purchase;2,250\n"
    ds = ws.ingest(write("euro_ambiguous_comma.csv", text), "t")
    assert revenues(ws, "t") == [Decimal("1.5"), Decimal("12.5"), Decimal("2.25")]
    assert (ds.report["decimal_mark"], ds.report["decimal_mark_from"], ds.report["refused"]) == (",", "revenue", [])


def test_decimal_commas_in_a_semicolon_file_are_read(ws, write):
    """The review's euro_semicolon_decimalcomma.csv: every row was refused as 'revenue not a number'."""
    text = SEMI + "A;2026-01-03;site_visit;0,50\nA;2026-01-05;purchase;100,50\nB;2026-01-06;purchase;80,5\n"
    ds = ws.ingest(write("t.csv", text), "t")
    assert revenues(ws, "t") == [Decimal("0.5"), Decimal("100.5"), Decimal("80.5")]
    assert ds.rows_kept == 3 and ds.report["decimal_mark"] == ","


def test_under_a_decimal_comma_dots_are_only_thousands_in_groups_of_three(ws, write):
    lines = [
        "a;2026-01-01;buy;12,50",          # row 2: 12.5, and the evidence for the comma
        "a;2026-01-02;buy;1.234.567,89",   # 3
        "a;2026-01-03;buy;€ 1.234,50",     # 4: a currency sign and a space, as before
        "a;2026-01-04;buy;-3,5",           # 5: a refund
        "a;2026-01-05;buy;1 234,5",        # 6: a space between the thousands
        "a;2026-01-06;buy;0,99",           # 7
        "a;2026-01-07;buy;1.5",            # 8: refused, never 15
        "a;2026-01-08;buy;12.34.567",      # 9: refused, a group of two
        "a;2026-01-09;buy;7",              # 10
    ]
    ds = ws.ingest(write("t.csv", SEMI + "\n".join(lines) + "\n"), "t")
    assert revenues(ws, "t") == [Decimal("12.5"), Decimal("1234567.89"), Decimal("1234.5"), Decimal("-3.5"),
                                 Decimal("1234.5"), Decimal("0.99"), Decimal("7")]
    [bad] = ds.report["refused"]
    assert (bad["reason"], bad["rows"], bad["examples"]) == ("bad_revenue", 2, [8, 9])
    assert bad["fix"] == ("write plain numbers such as 1234,50; if the file writes its numbers as 1,234.50, set the decimal "
                          "mark to point (in the mapping, or --decimal-mark . on the command line)")


def test_under_a_decimal_point_commas_are_only_thousands_in_groups_of_three(ws, write):
    """A semicolon file whose cells say point (12.5, 3.14159, 1,234.50) reads 1.500 as 1.5 and refuses 12,50."""
    lines = ["a;2026-01-01;buy;12.5", "a;2026-01-02;buy;3.14159", "a;2026-01-03;buy;1,234.50", "a;2026-01-04;buy;1.500",
             "a;2026-01-05;buy;12,50", "a;2026-01-06;buy;$1,000,000"]
    ds = ws.ingest(write("t.csv", SEMI + "\n".join(lines) + "\n"), "t")
    assert revenues(ws, "t") == [Decimal("12.5"), Decimal("3.1416"), Decimal("1234.5"), Decimal("1.5"), Decimal("1000000")]
    assert (ds.report["decimal_mark"], ds.report["decimal_mark_from"]) == (".", "revenue")
    assert [(r["reason"], r["examples"]) for r in ds.report["refused"]] == [("bad_revenue", [6])]
    assert "set the decimal mark to comma" in ds.report["refused"][0]["fix"]


def test_a_comma_separated_file_without_evidence_reads_a_point(ws, write):
    ds = ws.ingest(write("t.csv", HEADER + 'a,2026-01-01,buy,"1,500"\nb,2026-01-02,buy,250\n'), "t")
    assert revenues(ws, "t") == [Decimal("1500"), Decimal("250")]
    assert (ds.report["decimal_mark"], ds.report["decimal_mark_from"]) == (".", "default")


def test_the_decimal_mark_chosen_in_the_mapping_wins(ws, write):
    columns = ["customer_id", "timestamp", "event", "revenue"]
    comma = Mapping(suggest_mapping(columns).sources, decimal_mark=",")
    ds = ws.ingest(write("t.csv", HEADER + 'a,2026-01-01,buy,"1,500"\nb,2026-01-02,buy,"1.234,5"\n'), "t", mapping=comma)
    assert revenues(ws, "t") == [Decimal("1.5"), Decimal("1234.5")]
    assert (ds.report["decimal_mark"], ds.report["decimal_mark_from"]) == (",", "chosen")
    assert ws.dataset("t").mapping["decimal_mark"] == ","  # stored with the dataset
    point = Mapping(suggest_mapping(columns).sources, decimal_mark=".")
    ds = ws.ingest(write("u.csv", SEMI + "a;2026-01-01;buy;1.500\nb;2026-01-02;buy;12,50\n"), "u", mapping=point)
    assert revenues(ws, "u") == [Decimal("1.5")]
    assert [(r["reason"], r["examples"]) for r in ds.report["refused"]] == [("bad_revenue", [3])]


def test_a_wrong_mark_that_refuses_every_row_says_how_to_choose_it(ws, write):
    columns = ["customer_id", "timestamp", "event", "revenue"]
    point = Mapping(suggest_mapping(columns).sources, decimal_mark=".")
    with pytest.raises(BadUpload) as err:
        ws.ingest(write("t.csv", SEMI + "a;2026-01-01;buy;12,50\nb;2026-01-02;buy;0,99\n"), "t", mapping=point)
    assert str(err.value) == (
        "No row of t.csv could be used: 2 rows have revenue not a number (rows 2, 3); write plain numbers such as "
        "1234.50; if the file writes its numbers as 1.234,50, set the decimal mark to comma (in the mapping, or "
        "--decimal-mark , on the command line).")


def test_a_revenue_product_reads_both_columns_with_the_mark(ws, write):
    text = "who;when;qty;price\nc1;2026-01-01;2;1,25\nc2;2026-01-02;1.000;0,5\n"
    mapping = Mapping({"customer_id": Source(column="who"), "timestamp": Source(column="when"),
                       "event": Source(constant="purchase"), "revenue": Source(product=("qty", "price"))})
    ds = ws.ingest(write("t.csv", text), "t", mapping=mapping)
    assert revenues(ws, "t") == [Decimal("2.5"), Decimal("500")]
    assert ds.report["decimal_mark"] == ","


def satisfactions(ws, name):
    ds = ws.dataset(name)
    with ws.cursor() as cur:
        return [r[0] for r in cur.execute(f"SELECT satisfaction FROM {ds.events_with_ids()} ORDER BY ts").fetchall()]


def test_satisfaction_is_read_with_the_mark_and_the_unread_are_named_by_column_and_row(ws, write):
    """The review's satisfaction.csv: 4,5 was left empty with only '2 satisfaction values are not numbers'."""
    text = 'customer_id,timestamp,event,revenue,csat\nA,2026-01-05,purchase,100,4\nA,2026-02-05,purchase,100,"4,5"\n' \
           "A,2026-03-05,purchase,100,n/a\n"
    ds = ws.ingest(write("satisfaction.csv", text), "t")
    assert satisfactions(ws, "t") == [4.0, 4.5, None]
    assert (ds.report["decimal_mark"], ds.report["decimal_mark_from"]) == (",", "satisfaction")
    assert ds.report["notes"] == [
        "1 satisfaction value (column csat, row 4) is not a number and was left empty; write it as a number such "
        "as 4,5 (or, if the file writes 4.5, set the decimal mark to point)"]


def test_revenue_decides_the_mark_before_satisfaction(ws, write):
    text = 'customer_id,timestamp,event,revenue,csat\nA,2026-01-05,purchase,10.5,4\nA,2026-02-05,purchase,1,"4,5"\n' \
           "A,2026-03-05,purchase,1,n/a\nA,2026-03-06,purchase,1,3.5\n"
    ds = ws.ingest(write("s.csv", text), "t")
    assert satisfactions(ws, "t") == [4.0, None, None, 3.5]
    assert (ds.report["decimal_mark"], ds.report["decimal_mark_from"]) == (".", "revenue")
    assert ds.report["notes"] == [
        "2 satisfaction values (column csat, rows 3, 4) are not numbers and were left empty; write them as numbers "
        "such as 4.5 (or, if the file writes 4,5, set the decimal mark to comma)"]


# ---- Excel's sep= line --------------------------------------------------------------------------

@pytest.mark.parametrize("first", ["sep=;", '"sep=;"', "SEP=;"])
def test_an_excel_sep_line_names_the_delimiter_and_is_skipped(ws, write, first):
    """The review's excel_sep_line.csv: the preview showed columns 'sep=' and 'column_2', and the ingest said
    there was no customer column. Rows are numbered as Excel shows them, the sep= line hidden: the header is row 1."""
    text = (f"{first}\r\ncustomer_id;timestamp;event;revenue\r\nA;2026-01-05;purchase;10\r\nB;2026-01-06;purchase\r\n"
            "C;2026-01-07;purchase;x\r\nD;2026-01-08;purchase;20\r\n")
    path = write("excel_sep_line.csv", text)
    info = inspect_file(path)
    assert (info.delimiter, info.columns, info.skip) == (";", ["customer_id", "timestamp", "event", "revenue"], 1)
    with ws.cursor() as cur:
        assert list(preview_rows(cur, info)["customer_id"]) == ["A", "C", "D"]
    ds = ws.ingest(path, "t")
    assert rows(ws, "t") == [("A", datetime(2026, 1, 5), "purchase", Decimal("10")),
                             ("D", datetime(2026, 1, 8), "purchase", Decimal("20"))]
    assert [(r["reason"], r["examples"]) for r in ds.report["refused"]] == [("malformed", [3]), ("bad_revenue", [4])]
    assert (ds.report["rows_read"], ds.report["delimiter"]) == (4, ";")


def test_a_sep_line_with_a_tab_and_a_plain_file_that_starts_like_one(ws, write):
    info = inspect_file(write("t.csv", "sep=\t\ncustomer_id\ttimestamp\tevent\na\t2026-01-01\tx\n"))
    assert (info.delimiter, info.columns, info.skip) == ("\t", ["customer_id", "timestamp", "event"], 1)
    # a header whose first column is called 'sep=x' is no sep= line (a letter is no delimiter)
    info = inspect_file(write("u.csv", "sep=x,customer_id,timestamp\n1,a,2026-01-01\n"))
    assert (info.delimiter, info.skip) == (",", 0)


def test_a_title_line_above_the_header_is_named_as_such(ws, write):
    """The review's preamble.csv was refused as 'has only one column (Export generated ...)'."""
    path = write("preamble.csv", "Export generated 2026-11-01 by HubSpot\n" + HEADER + "A,2026-01-05,purchase,10\n")
    with pytest.raises(BadUpload) as err:
        ws.ingest(path, "t")
    assert str(err.value) == (
        "preamble.csv has only one column in its first line (Export generated 2026-11-01 by HubSpot), which looks like "
        "a title rather than the header; remove the lines above the header row (customer, timestamp, event...) so "
        "that the header is the first line, and upload it again.")


# ---- encodings read past the first MiB, and Windows-1252 ----------------------------------------------

ASCII_ROWS = 45_000  # about 1.3 MB of plain ASCII: past the first MiB, where the encoding is detected


def _ascii_start() -> str:
    return HEADER + "".join(f"a{i},2025-01-01,purchase,1\n" for i in range(ASCII_ROWS))


def test_latin1_rows_past_the_first_mib_are_kept_and_a_malformed_line_is_still_refused(ws, write):
    late = "b,2025-06-01,Montréal,2\nc,2025-06-02,x,1,extra\nd,2025-06-03,Zoë's visit,3\n"
    ds = ws.ingest(write("late.csv", (_ascii_start() + late).encode("latin-1")), "x")
    assert ds.report["encoding"] == "latin-1"
    assert (ds.rows_read, ds.rows_kept, ds.report["rows_refused"]) == (ASCII_ROWS + 3, ASCII_ROWS + 2, 1)
    [malformed] = ds.report["refused"]
    assert (malformed["label"], malformed["rows"], malformed["examples"]) == (
        "wrong number of fields", 1, [ASCII_ROWS + 3])  # the header is row 1, b row ASCII_ROWS + 2
    assert rows(ws, "x")[-2:] == [("b", datetime(2025, 6, 1), "Montréal", Decimal("2")),
                                  ("d", datetime(2025, 6, 3), "Zoë's visit", Decimal("3"))]


def test_a_utf8_file_keeps_its_utf8_rows_and_refuses_the_lines_that_are_not(ws, write):
    start = (HEADER + "é,2025-01-01,purchase,1\n" + _ascii_start().removeprefix(HEADER)).encode()
    ds = ws.ingest(write("mixed.csv", start + "b,2025-06-01,Montréal,2\n".encode("latin-1")), "x")
    assert ds.report["encoding"] == "utf-8"  # reading it all as Latin-1 would garble the é
    assert (ds.rows_read, ds.rows_kept) == (ASCII_ROWS + 2, ASCII_ROWS + 1)
    [bad] = ds.report["refused"]
    assert (bad["reason"], bad["rows"], bad["examples"]) == ("bad_encoding", 1, [ASCII_ROWS + 3])
    assert bad["fix"] == "save the whole file as UTF-8 and upload it again"
    assert rows(ws, "x")[-1] == ("é", datetime(2025, 1, 1), "purchase", Decimal("1"))


CP1252_ROWS = 'Renée “Smart”,2026-01-03,visit – web,"€1,234.50"\nZoë,2026-01-04,purchase,€2\n'


@pytest.mark.parametrize("start", ["", "ascii", "latin-1"], ids=["from-the-start", "after-ascii", "after-latin-1"])
def test_windows_1252_files_are_read_through_a_utf8_copy_that_is_removed(ws, write, tmp_path, monkeypatch, start):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    head = {"": HEADER, "ascii": _ascii_start(), "latin-1": HEADER + "Café,2025-01-01,purchase,1\n" + _ascii_start().removeprefix(HEADER)}[start]
    # 0x81 is undefined in Windows-1252: read as Latin-1 reads it
    ds = ws.ingest(write("win.csv", (head + CP1252_ROWS).encode("cp1252") + b"x\x81y,2026-01-05,purchase,3\n"), "x")
    assert ds.report["encoding"] == "Windows-1252"
    assert ds.report["refused"] == []
    stored = {r[0]: r for r in rows(ws, "x")}
    assert stored["Renée “Smart”"] == ("Renée “Smart”", datetime(2026, 1, 3), "visit – web", Decimal("1234.50"))
    assert stored["Zoë"][3] == Decimal("2") and stored["x\x81y"][1] == datetime(2026, 1, 5)
    assert ds.rows_kept == {"": 3, "ascii": ASCII_ROWS + 3, "latin-1": ASCII_ROWS + 4}[start]
    assert list((tmp_path / "tmp").iterdir()) == []  # the copy is gone


def test_a_windows_1252_file_from_european_excel_reads_its_sep_line_decimal_commas_and_row_numbers(ws, write):
    """What a Western European Excel saves as CSV: Windows-1252, a sep=; line, decimal commas."""
    text = ("sep=;\r\ncustomer_id;timestamp;event;revenue\r\nRenée;2026-01-03;Kündigung – web;€1.234,50\r\n"
            "Zoë;2026-01-04;purchase\r\nJörg;2026-01-05;purchase;x\r\n")
    ds = ws.ingest(write("excel.csv", text.encode("cp1252")), "x")
    assert (ds.report["encoding"], ds.report["delimiter"], ds.report["decimal_mark"]) == ("Windows-1252", ";", ",")
    assert rows(ws, "x") == [("Renée", datetime(2026, 1, 3), "Kündigung – web", Decimal("1234.50"))]
    assert [(r["reason"], r["examples"]) for r in ds.report["refused"]] == [("malformed", [3]), ("bad_revenue", [4])]


def test_the_utf8_copy_is_removed_when_the_ingest_fails(ws, write, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    with pytest.raises(BadUpload, match="holds no date Journey Ledger can read"):
        ws.ingest(write("win.csv", (HEADER + "Zoë,soon,x,€1\n").encode("cp1252")), "x")
    assert list((tmp_path / "tmp").iterdir()) == [] and ws.names() == []


def test_the_preview_of_a_windows_1252_file_reads_its_characters(ws, write):
    from analytics.ingest import inspect_file, preview_rows

    info = inspect_file(write("win.csv", ("customer_id,timestamp,event,Zürich – revenue\n" + CP1252_ROWS).encode("cp1252")))
    assert info.encoding == "Windows-1252" and info.columns[-1] == "Zürich – revenue"
    with ws.cursor() as cur:
        preview = preview_rows(cur, info)
    assert preview["customer_id"].tolist() == ["Renée “Smart”", "Zoë"]
    assert preview["Zürich – revenue"].tolist() == ["€1,234.50", "€2"]


def test_an_encoding_error_never_shows_duckdbs_words():
    import duckdb

    from analytics.ingest import _csv_error_message

    message = _csv_error_message(duckdb.InvalidInputException("Invalid Input Error: File is not latin-1 encoded"), "x.csv")
    assert message == "The text encoding of x.csv could not be read; save it as UTF-8 CSV and upload it again."


# ---- two-digit years, AM/PM times, Unix timestamps ----------------------------------------------------

@pytest.mark.parametrize(
    "cells, fmt, expected",
    [
        (["1/20/26", "1/3/26", "12/31/99"], "%m/%d/%y", [datetime(2026, 1, 20), datetime(2026, 1, 3), datetime(1999, 12, 31)]),
        (["15/02/26", "03/01/26", "20/03/26"], "%d/%m/%y", [datetime(2026, 2, 15), datetime(2026, 1, 3), datetime(2026, 3, 20)]),
        (["15/02/26 14:05", "03/01/26 09:30"], "%d/%m/%y %H:%M", [datetime(2026, 2, 15, 14, 5), datetime(2026, 1, 3, 9, 30)]),
        (["1/3/2026 1:05:00 PM", "1/20/2026 12:05:00 AM"], "%m/%d/%Y %I:%M:%S %p",
         [datetime(2026, 1, 3, 13, 5), datetime(2026, 1, 20, 0, 5)]),
        (["1/3/2026 1:05 PM", "1/20/2026 11:59 am"], "%m/%d/%Y %I:%M %p", [datetime(2026, 1, 3, 13, 5), datetime(2026, 1, 20, 11, 59)]),
        (["1767398400", "1767571200"], "Unix seconds", [datetime(2026, 1, 3), datetime(2026, 1, 5)]),
        (["1767398400123", "1767571200000"], "Unix milliseconds", [datetime(2026, 1, 3, 0, 0, 0, 123000), datetime(2026, 1, 5)]),
    ],
    ids=["mdyy", "ddmmyy", "ddmmyy-time", "us-ampm-seconds", "us-ampm", "unix-seconds", "unix-ms"],
)
def test_two_digit_years_am_pm_and_unix_timestamps_are_detected(ws, write, cells, fmt, expected):
    text = HEADER + "".join(f"c{i},{cell},x,1\n" for i, cell in enumerate(cells))
    ds = ws.ingest(write("t.csv", text), "t")
    assert ds.report["date_format"] == fmt
    assert (ds.rows_kept, ds.report["refused"]) == (len(cells), [])
    assert [r[1] for r in rows(ws, "t")] == expected


def test_two_digit_years_that_read_both_ways_are_refused_not_guessed(ws, write):
    with pytest.raises(MappingError) as err:
        ws.ingest(write("t.csv", HEADER + "a,03/01/26,x,0\nb,04/02/26,x,0\n"), "t")
    assert "'%d/%m/%y' or '%m/%d/%y'" in str(err.value)


def test_unix_timestamps_out_of_range_are_refused_by_row(ws, write):
    text = HEADER + "a,1767398400,x,1\nb,1767571200,x,1\nc,4102444800,x,1\nd,600000000,x,1\n"  # 2100, 1989
    ds = ws.ingest(write("t.csv", text), "t")
    assert ds.report["date_format"] == "Unix seconds"
    assert ds.report["notes"] == ["timestamps read as Unix seconds (since 1970-01-01, UTC)"]
    assert [(r["reason"], r["examples"]) for r in ds.report["refused"]] == [("too_early", [5]), ("in_future", [4])]


@pytest.mark.parametrize("typed", ["%s", "Unix seconds", "unix  SECONDS"])
def test_unix_seconds_can_be_typed_as_the_date_format(ws, write, typed):
    from analytics.ingest import date_format_problem

    assert date_format_problem(typed) is None
    columns = ["customer_id", "timestamp", "event", "revenue"]
    ds = ws.ingest(write("t.csv", HEADER + "a,1767398400,x,1\nb,soon,x,1\n"), "t",
                   mapping=Mapping(suggest_mapping(columns).sources, date_format=typed))
    assert ds.report["date_format"] == "Unix seconds"
    assert [r[1] for r in rows(ws, "t")] == [datetime(2026, 1, 3)]
    assert [(r["reason"], r["examples"]) for r in ds.report["refused"]] == [("bad_timestamp", [3])]


def test_unix_milliseconds_can_be_typed_as_the_date_format(ws, write):
    columns = ["customer_id", "timestamp", "event", "revenue"]
    ws.ingest(write("t.csv", HEADER + "a,1767398400500,x,1\n"), "t",
              mapping=Mapping(suggest_mapping(columns).sources, date_format="Unix milliseconds"))
    assert [r[1] for r in rows(ws, "t")] == [datetime(2026, 1, 3, 0, 0, 0, 500000)]
