"""How numbers read (views.format): money in whole units at every size, signs only on what is not zero,
units in the singular for one."""

from __future__ import annotations

import math

import pytest

from views.format import count, money, signed


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
