"""The sentences of the Overview and the report, from hand-made rows: what they say and in which words."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from views import narrative


def movement(period="2026-10", **numbers) -> pd.Series:
    row = dict(period=period, customers_start=0, new=0, reactivated=0, churned=0, customers_end=0, value_start=0.0,
               new_value=0.0, reactivation_value=0.0, expansion=0.0, contraction=0.0, churned_value=0.0,
               value_end=0.0, revenue=0.0)
    return pd.Series({**row, **numbers})


def test_the_headline_says_what_grew_by_how_much():
    """The sample's 2026-10: the value grew 7.8% and the customers 4.2%; it read as if the asset (customers
    and value) grew by 7.8%."""
    row = movement(customers_start=2043, customers_end=2129, value_start=2_414_618.80, value_end=2_603_121.78)
    assert narrative.headline(row) == ("In 2026-10 the customer asset's yearly value grew by 7.8% to 2.60 M a year, "
                                       "with 2,129 active customers (+4.2%, 86 more).")
    row = movement(customers_start=3, customers_end=0, value_start=330.0, value_end=0.0, period="2026-03")
    assert narrative.headline(row) == ("In 2026-03 the customer asset's yearly value shrank by 100.0% to 0 a year, "
                                       "with no active customers (-100.0%, 3 fewer).")
    row = movement(customers_start=0, customers_end=1, value_start=0.0, value_end=180.0, period="2026-01")
    assert narrative.headline(row) == ("In 2026-01 the customer asset's yearly value grew to 180 a year, "
                                       "with 1 active customer (none at the start).")
    row = movement(customers_start=2, customers_end=2, value_start=180.0, value_end=180.0, period="2026-Q2")
    assert narrative.headline(row) == ("In 2026-Q2 the customer asset's yearly value held at 180 a year, "
                                       "with 2 active customers (as many as at the start).")


def test_one_customer_is_one_customer():
    """It read "1 new customers brought 50 a year"."""
    row = movement(customers_start=2, new=1, reactivated=1, churned=1, customers_end=3, value_start=200.0,
                   new_value=50.0, reactivation_value=20.0, churned_value=30.0, value_end=240.0)
    assert narrative.movement_sentences(row) == [
        "1 new customer brought 50 a year and 1 won back brought 20.",
        "1 customer worth 30 a year was lost, 50.0% of those active at the start.",
        "Net change: +1 customer, +40 a year.",
    ]
    row = movement(customers_start=40, new=2, churned=3, customers_end=39, value_start=4000.0, new_value=120.0,
                   churned_value=300.0, value_end=3820.0)
    assert narrative.movement_sentences(row) == [
        "2 new customers brought 120 a year.",
        "3 customers worth 300 a year were lost, 7.5% of those active at the start.",
        "Net change: -1 customer, -180 a year.",
    ]


MONTHS = pd.DataFrame({"period": ["2026-04", "2026-05"], "complete": [True, False]})


def test_a_period_in_progress_says_so_far_and_what_it_is_compared_with():
    as_of = datetime(2026, 5, 15, 23, 59, 59)
    assert narrative.period_label("2026-04", MONTHS, as_of) == "2026-04"
    assert narrative.period_label("2026-05", MONTHS, as_of) == "2026-05 so far (to 2026-05-15)"
    assert narrative.part_period_note("2026-04", MONTHS, as_of, "month") is None
    assert narrative.part_period_note("2026-05", MONTHS, as_of, "month") == (
        "2026-05 is not over: its numbers run to 2026-05-15. The changes against the previous month and the stages' "
        "baselines compare this part of a month with full months: a part month gains, loses and earns less than a "
        "full one.")
    first = pd.DataFrame({"period": ["2026-Q2"], "complete": [False]})  # nothing before it to compare with
    assert narrative.part_period_note("2026-Q2", first, as_of, "quarter") == "2026-Q2 is not over: its numbers run to 2026-05-15."
    row = movement(period="2026-05", customers_start=1671, customers_end=1714, value_start=1_638_000.0,
                   value_end=1_700_000.0)
    assert narrative.headline(row, "2026-05 so far (to 2026-05-15)") == (
        "In 2026-05 so far (to 2026-05-15) the customer asset's yearly value grew by 3.8% to 1.70 M a year, "
        "with 1,714 active customers (+2.6%, 43 more).")
    stage = pd.Series(dict(stage="Onboard", lost=26, lost_value=2759.0, baseline_lost=20.7, gained=0, gained_value=0.0,
                           baseline_gained=0.0))
    assert narrative.stage_sentence(stage, 3, "month", part=True) == (
        "Onboard lost 26 customers worth 2,759 a year, 5.3 more than its 3-month baseline of full months.")


def drivers(*ratios) -> pd.DataFrame:
    """A drivers table with one touchpoint per (risk ratio, low, high); None: not enough data to test it."""
    rows = [dict(stage="Use", event=f"e{i}", risk_ratio=r[0] if r else float("nan"), ci_low=r[1] if r else float("nan"),
                 ci_high=r[2] if r else float("nan")) for i, r in enumerate(ratios)]
    return pd.DataFrame(rows, columns=["stage", "event", "risk_ratio", "ci_low", "ci_high"])


def test_no_driver_says_why():
    """The report said "No touchpoint is clearly associated with loss" when no touchpoint had 30 customers on
    each side to be tested: that is not enough data, not an absence of association."""
    assert narrative.no_driver(drivers(None, None), ["Use"]) == (
        "Not enough data to tell: every touchpoint was met, or not met, by fewer than 30 customers of its stage, "
        "and a risk ratio needs at least 30 on each side.")
    assert narrative.no_driver(drivers((1.1, 0.9, 1.3), None), ["Use"]) == (
        "No touchpoint is clearly associated with loss: none has a risk ratio whose 95% interval lies above 1. "
        "1 other touchpoint had fewer than 30 customers on one side and was not tested.")
    assert narrative.no_driver(drivers((1.1, 0.9, 1.3), (0.8, 0.7, 0.9)), ["Use"]) == (
        "No touchpoint is clearly associated with loss: none has a risk ratio whose 95% interval lies above 1.")
    assert narrative.no_driver(drivers(), []) == "No touchpoint could be tested: the stage map has no stages."


def test_an_empty_period_says_so_plainly():
    """It read "the customer asset held to 0 customers worth 0 a year"."""
    assert narrative.headline(movement(period="2026-Q1")) == "There were no active customers at the start or end of 2026-Q1."
    # the worked example's 2026-Q1: A, B and C were acquired and lost inside it, 450 of revenue and no movement
    assert narrative.headline(movement(period="2026-Q1", revenue=450.0)) == (
        "There were no active customers at the start or end of 2026-Q1, though it brought 450 of revenue: customers "
        "acquired and lost inside a period count as neither new nor lost in it.")
