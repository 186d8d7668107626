"""The real shop export of ../shared/data/online_retail, checked against its SOURCE.md figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from analytics.mapping import suggest_mapping
from analytics.workspace import Workspace
from tests.conftest import RETAIL

pytestmark = pytest.mark.skipif(not RETAIL.exists(), reason="shared/data/online_retail is not beside the repo")


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("retail") / "ws.duckdb", seed_sample=False)
    ds = ws.ingest(RETAIL, "Online Retail")
    yield ws, ds
    ws.close()


def test_suggested_mapping_is_the_right_one(retail):
    _, ds = retail
    assert ds.mapping == {
        "customer_id": "CustomerID",
        "timestamp": "InvoiceDate",
        "event": "'purchase'",
        "revenue": "Quantity*UnitPrice",
    }


def test_figures_match_source_md(retail):
    ws, ds = retail
    report = ds.report
    assert report["rows_read"] == 541_909
    refused = {r["reason"]: r for r in report["refused"]}
    assert refused["missing_customer"]["rows"] == 135_080  # "135,080 lines without a CustomerID"
    assert ds.customers == 4_372  # "4,372 customers" (17850.0 read as 17850)
    assert report["first_event"] == "2010-12-01 08:26:00" and report["last_event"] == "2011-12-09 12:50:00"
    # Of the 5,268 exact duplicate lines, those that have a customer are refused as duplicates.
    assert 0 < refused["duplicate"]["rows"] <= 5_268
    assert set(refused) == {"missing_customer", "duplicate"}
    assert ds.rows_kept + report["rows_refused"] == 541_909


def test_revenue_is_quantity_times_unit_price(retail):
    ws, ds = retail
    with ws.cursor() as cur:
        stored = cur.execute(f"SELECT sum(revenue), count(*), count(*) FILTER (WHERE revenue < 0) FROM {ds.table}").fetchone()
        # An independent reading of the same file: every distinct line that has a customer.
        expected = cur.execute(
            "SELECT sum(CAST(Quantity AS DECIMAL(18,4)) * CAST(UnitPrice AS DECIMAL(18,4))), count(*) "
            "FROM (SELECT DISTINCT * FROM read_csv(?, all_varchar = true) WHERE CustomerID IS NOT NULL)",
            [str(RETAIL)],
        ).fetchone()
        whole_file = cur.execute(
            "SELECT round(sum(Quantity * UnitPrice), 2) FROM read_csv(?)", [str(RETAIL)]
        ).fetchone()[0]
    assert whole_file == pytest.approx(9_747_747.93)  # SOURCE.md: the file is the published one
    assert stored[0] == expected[0]
    assert stored[1] == expected[1] == ds.rows_kept
    assert stored[2] > 8_000  # returns are kept as negative revenue
    assert isinstance(stored[0], Decimal)


def test_ids_written_as_floats_are_one_customer(retail):
    ws, ds = retail
    with ws.cursor() as cur:
        assert cur.execute(f"SELECT count(*) FROM {ds.customers_table} WHERE customer_id LIKE '%.0'").fetchone()[0] == 0
        assert cur.execute(f"SELECT count(*) > 0 FROM {ds.events_with_ids()} WHERE customer_id = '17850'").fetchone()[0]


def test_mapping_suggestion_needs_no_override():
    m = suggest_mapping(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"])
    assert m.to_dict()["event"] == "'purchase'"


def test_raw_export_gives_the_waterfall_of_the_export_cleaned_by_hand(retail, tmp_path):
    """The raw file, with its duplicates, returns and missing customers, and the same data cleaned by
    hand (lines without a customer dropped, exact duplicate lines dropped as the report says, revenue
    = quantity x unit price, ids without '.0'), give the same waterfall."""
    import pandas as pd

    from analytics.model import compute

    ws, _ = retail
    raw = pd.read_csv(RETAIL, dtype=str, keep_default_na=False)
    clean = raw[raw.CustomerID != ""].drop_duplicates()
    qty = clean.Quantity.map(Decimal)
    price = clean.UnitPrice.map(Decimal)
    tidy = pd.DataFrame({
        # the line's identity stays (unmapped): without it, two lines of one invoice with the same
        # amount would be exact duplicates of each other in a four-column file
        "invoice": clean.InvoiceNo, "stock_code": clean.StockCode, "description": clean.Description,
        "customer_id": clean.CustomerID.str.replace(r"\.0$", "", regex=True),
        "timestamp": clean.InvoiceDate,
        "event": "purchase",
        "revenue": [str(q * p) for q, p in zip(qty, price, strict=True)],
    })
    path = tmp_path / "retail-clean.csv"
    tidy.to_csv(path, index=False)
    ws.ingest(path, "cleaned")
    assert ws.dataset("cleaned").report["refused"] == []
    by_hand = compute(ws, "cleaned").movements
    from_raw = compute(ws, "Online Retail").movements
    assert len(by_hand) == 13  # 2010-12 to 2011-12
    pd.testing.assert_frame_equal(from_raw, by_hand)
    assert ws.dataset("cleaned").rows_kept == ws.dataset("Online Retail").rows_kept


def _refusals_by_hand(raw) -> dict:
    """The rows the ingest must refuse, numbered as a spreadsheet numbers them (the header is row 1, so
    pandas' index 0 is row 2), read with pandas."""
    no_customer = raw.CustomerID.str.strip() == ""
    kept = raw[~no_customer]
    duplicate = kept.index[kept.duplicated()]
    return {
        "missing_customer": (int(no_customer.sum()), [int(i) + 2 for i in raw.index[no_customer][:5]]),
        "duplicate": (len(duplicate), [int(i) + 2 for i in duplicate[:5]]),
    }


def test_refused_rows_are_counted_and_numbered_as_in_the_file(retail, tmp_path):
    """The rows refused (no customer, exact duplicate) and their numbers, against pandas, for the
    gzip file and for the same file uncompressed (45 MB, read by several threads at once): the
    parse keeps no row number, so this pins that its rows stay in the file's order."""
    import gzip
    import shutil

    import pandas as pd

    ws, ds = retail
    expected = _refusals_by_hand(pd.read_csv(RETAIL, dtype=str, keep_default_na=False))
    assert expected["duplicate"][0] > 5_000 and expected["missing_customer"][0] == 135_080

    def refused(ds):
        return {r["reason"]: (r["rows"], r["examples"]) for r in ds.report["refused"]}

    assert refused(ds) == expected
    plain = tmp_path / "online_retail.csv"
    with gzip.open(RETAIL, "rb") as src, plain.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    assert refused(ws.ingest(plain, "uncompressed")) == expected
