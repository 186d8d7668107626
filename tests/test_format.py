"""How numbers read (views.format): money in whole units at every size, signs only on what is not zero,
units in the singular for one."""

from __future__ import annotations

import math

import pytest

from views.format import (
    count,
    days,
    decimal,
    money,
    money_in_full,
    percent,
    rounded,
    signed,
    signed_decimal,
    signed_money,
)


@pytest.mark.parametrize(("amount", "shown"), [
    (869.48, "869"), (-869.48, "-869"), (882.72, "883"), (628.0, "628"), (-9.67, "-10"),
    (0.3, "0"), (-0.3, "0"), (0, "0"), (18_300.4, "18,300"), (999.6, "1,000"),
    (2_603_121.78, "2.60 M"), (-2_412_345, "-2.41 M"), (None, "-"), (math.nan, "-"),
])
def test_money_is_whole_at_every_size(amount, shown):
    assert money(amount) == shown


def test_a_signed_amount_that_reads_zero_has_no_sign():
    assert signed(627.996667, money) == "+628"
    assert signed(-9.67, money) == "-10"
    assert signed(0.3, money) == signed(-0.3, money) == "0"
    assert signed(1_303.33, money) == "+1,303"
    assert signed(0.04, lambda v: f"{v:.1f}") == "0.0"
    assert signed(-3) == "-3"


def test_a_count_of_one_takes_its_unit_in_the_singular():
    assert count(1, "rows") == "1 row" and count(1.0, "events") == "1 event" and count(1, "people") == "1 person"
    assert count(1, "rows kept") == "1 row kept"
    assert count(0, "rows") == "0 rows" and count(2, "people") == "2 people" and count(1_001, "rows") == "1,001 rows"
    assert count(1) == "1" and count(None, "rows") == "-"


def test_a_change_is_written_in_the_form_of_its_value():
    assert money(1_840_000) == "1.84 M" and money(-762_208) == "-762,208"
    assert money(-762_208, like=1_840_000) == "-0.76 M"
    assert money(4_000, like=1_840_000) == "0.004 M" and money(1_200_000, like=-3_000_000) == "1.20 M"
    assert money(-1_200_000, like=500_000) == "-1,200,000"  # beside a value written in full
    assert money(12.4, like=800) == "12" and money(0, like=2_000_000) == "0.00 M"


@pytest.mark.parametrize("x, digits, expected", [
    (1234.5, 0, 1235.0), (-1234.5, 0, -1235.0), (2.5, 0, 3.0), (0.5, 0, 1.0), (1234.49, 0, 1234.0),
    (0.25, 1, 0.3), (-0.25, 1, -0.3), (2.675, 2, 2.68), (0.15, 1, 0.2), (-0.04, 1, 0.0),
])
def test_a_half_is_rounded_away_from_zero_on_the_number_as_written(x, digits, expected):
    """Python's round and format take a half to even (1,234.5 -> 1,234) and the browser formats the pages'
    columns away from zero (1,235): one rule, as people round, for every number written."""
    got = rounded(x, digits)
    assert got == expected and math.copysign(1, got) == math.copysign(1, expected)


def test_every_writer_rounds_a_half_alike():
    assert (money(1234.5), money_in_full(-1234.5), count(2.5), decimal(0.25), signed_decimal(-0.25),
            signed_money(0.5), percent(0.00125), days(2.25)) == ("1,235", "-1,235", "3", "0.3", "-0.3", "+1", "0.1%",
                                                                 "2.3 days")
    assert money(2_345_000.0, like=2_000_000) == "2.35 M" and money(-5_000.5, like=0) == "-5,001"
