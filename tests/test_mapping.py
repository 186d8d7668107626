import pytest

from analytics.errors import MappingError
from analytics.mapping import (
    Mapping,
    Source,
    apply_overrides,
    check_mapping,
    parse_decimal_mark,
    parse_map_args,
    suggest_mapping,
)

RETAIL_COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]


def test_exact_names_ignore_case_spaces_and_underscores():
    m = suggest_mapping(["Customer ID", "TIME_STAMP", "Event", "REVENUE", "Segment"])
    assert m.describe() == {
        "customer_id": "Customer ID", "timestamp": "TIME_STAMP", "event": "Event",
        "revenue": "REVENUE", "segment": "Segment",
    }


@pytest.mark.parametrize(
    "columns, expected",
    [
        (["user_id", "event_time", "event_type", "amount", "persona"],
         {"customer_id": "user_id", "timestamp": "event_time", "event": "event_type", "revenue": "amount", "segment": "persona"}),
        (["client", "date", "action", "price", "channel", "csat"],
         {"customer_id": "client", "timestamp": "date", "event": "action", "revenue": "price", "channel": "channel", "satisfaction": "csat"}),
    ],
)
def test_synonyms(columns, expected):
    assert {k: v.column for k, v in suggest_mapping(columns).sources.items()} == expected


def test_shop_export_gets_constant_event_and_revenue_product():
    m = suggest_mapping(RETAIL_COLUMNS)
    assert m.get("customer_id") == Source(column="CustomerID")
    assert m.get("timestamp") == Source(column="InvoiceDate")
    assert m.get("revenue") == Source(product=("Quantity", "UnitPrice"))
    assert m.get("event") == Source(constant="purchase")
    assert m.get("segment") is None


def test_exact_name_beats_a_synonym_elsewhere():
    # "user" is a synonym of customer_id, but the exact name wins wherever it stands.
    m = suggest_mapping(["user", "customer_id", "timestamp", "event"])
    assert m.get("customer_id").column == "customer_id"


def test_command_line_forms():
    overrides = parse_map_args(["event='purchase'", "revenue=Quantity*UnitPrice", "segment=Country", "channel="], RETAIL_COLUMNS)
    assert overrides == {
        "event": Source(constant="purchase"),
        "revenue": Source(product=("Quantity", "UnitPrice")),
        "segment": Source(column="Country"),
        "channel": None,
    }
    m = apply_overrides(suggest_mapping(RETAIL_COLUMNS), overrides)
    assert m.get("segment").column == "Country"
    assert m.to_dict()["revenue"] == "Quantity*UnitPrice"


@pytest.mark.parametrize(
    "arg, words",
    [
        ("segment=Nope", ["no column 'Nope' for segment", "InvoiceNo"]),
        ("colour=Country", ["'colour' is not a column Journey Ledger knows"]),
        ("customer_id", ["canonical=SOURCE"]),
        ("revenue='12'", ["revenue cannot be the same on every row"]),
        ("segment=Quantity*UnitPrice", ["Only revenue can be a product"]),
        ("event=''", ["constant for event is empty"]),
    ],
)
def test_bad_overrides_say_what_to_do(arg, words):
    with pytest.raises(MappingError) as err:
        parse_map_args([arg], RETAIL_COLUMNS)
    for w in words:
        assert w in str(err.value)


def test_missing_required_column_is_named():
    m = suggest_mapping(["who", "when", "what"])
    with pytest.raises(MappingError) as err:
        check_mapping(m, ["who", "when", "what"], "export.csv")
    assert "export.csv has no customer_id column" in str(err.value)


@pytest.mark.parametrize("text, mark", [(",", ","), ("comma", ","), (" Comma ", ","), (".", "."), ("point", "."),
                                        ("dot", "."), ("detect", None), ("", None), (None, None)])
def test_decimal_mark_forms(text, mark):
    assert parse_decimal_mark(text) == mark


def test_a_decimal_mark_that_is_neither_says_the_two():
    with pytest.raises(MappingError) as err:
        parse_decimal_mark("'")
    assert str(err.value) == ("The decimal mark \"'\" is not one Journey Ledger reads; write . (or point) for 1,234.50, "
                              ", (or comma) for 1.234,50, or leave it out to detect it.")


def test_the_decimal_mark_is_kept_with_the_mapping():
    m = apply_overrides(suggest_mapping(RETAIL_COLUMNS), {}, decimal_mark=",")
    assert m.decimal_mark == "," and m.to_dict()["decimal_mark"] == ","
    again = Mapping.from_dict(m.to_dict(), RETAIL_COLUMNS)
    assert again == m
    assert "decimal_mark" not in suggest_mapping(RETAIL_COLUMNS).to_dict()
    assert Mapping.from_dict(suggest_mapping(RETAIL_COLUMNS).to_dict()).decimal_mark is None
