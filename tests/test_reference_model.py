"""Tests of the plain-Python reference model against DOMAIN.md.

Every expected number in the hand-built tests is derived in the comment next to it; the
property tests check the identities the contract promises on random logs.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:  # run as a package (tests/__init__.py present) or as rootdir-inserted modules
    from tests.reference_model import reference_model
    from tests.strategies import event_logs
except ModuleNotFoundError:
    from reference_model import reference_model
    from strategies import event_logs

MOVEMENT_KEYS = [
    "period", "customers_start", "new", "reactivated", "churned", "customers_end",
    "value_start", "new_value", "reactivation_value", "expansion", "contraction",
    "churned_value", "value_end", "revenue",
]  # fmt: skip
STAGE_KEYS = [
    "period", "stage", "entered", "advanced", "conversion", "median_days_to_advance", "gained",
    "gained_value", "lost", "lost_value", "net", "baseline_gained", "baseline_lost", "impact",
    "value_impact",
]  # fmt: skip
DRIVER_KEYS = [
    "stage", "event", "exposed", "exposed_lost", "unexposed", "unexposed_lost", "risk_ratio",
    "ci_low", "ci_high", "p_value", "q_value", "customers_at_stake", "value_at_stake",
]  # fmt: skip
COHORT_KEYS = ["cohort", "periods_since", "customers", "active", "retention"]
MONEY = {
    "value_start", "new_value", "reactivation_value", "expansion", "contraction",
    "churned_value", "value_end", "revenue", "gained_value", "lost_value", "value_at_stake",
}  # fmt: skip
Z_95 = 1.959963984540054


def at(text: str) -> datetime:
    """'2026-01-03' or '2026-01-03 12:00:01' -> naive datetime."""
    return datetime.fromisoformat(text)


def ev(customer, when, event, revenue=0, stage=None, segment=None) -> dict:
    return {
        "customer_id": customer,
        "ts": at(when),
        "event": event,
        "stage": stage,
        "revenue": Decimal(str(revenue)),
        "segment": segment,
    }


def journey_map(churn_after_days=45, baseline_periods=3) -> dict:
    """The worked example's map: Discover, Buy, Onboard, Use, Renew; cancel is the churn event."""
    stages = [
        ("Discover", ["ad_click", "site_visit"]),
        ("Buy", ["purchase"]),
        ("Onboard", ["onboarding_call"]),
        ("Use", ["login", "support_ticket"]),
        ("Renew", ["renewal", "cancel"]),
    ]
    return {
        "stages": [{"name": n, "goal": f"goal of {n}", "events": e} for n, e in stages],
        "churn_events": ["cancel"],
        "friction_events": ["support_ticket"],
        "churn_after_days": churn_after_days,
        "baseline_periods": baseline_periods,
    }


def row(rows: list[dict], **where) -> dict:
    [match] = [r for r in rows if all(r[k] == v for k, v in where.items())]
    return match


def movement(result, period) -> dict:
    return row(result["movements"], period=period)


def stage_row(result, period, stage) -> dict:
    return row(result["stages"], period=period, stage=stage)


def project(r: dict, keys) -> dict:
    return {k: r[k] for k in keys}


# --------------------------------------------------------------------------------------------
# The worked example of DOMAIN.md (W = 45 days, months)
# --------------------------------------------------------------------------------------------

EXAMPLE = [
    ev("A", "2026-01-03", "site_visit"),
    ev("A", "2026-01-05", "purchase", 100),
    ev("A", "2026-02-05", "renewal", 100),
    ev("A", "2026-03-05", "renewal", 120),
    ev("A", "2026-03-20", "cancel"),
    ev("B", "2026-01-10", "ad_click"),
    ev("B", "2026-02-01", "purchase", 50),
    ev("B", "2026-02-10", "support_ticket"),
    ev("C", "2026-01-20", "purchase", 80),
    ev("C", "2026-01-25", "login"),
    ev("C", "2026-04-02", "purchase", 80),
    ev("D", "2026-03-01", "site_visit"),
    ev("E", "2026-04-10", "purchase", 200),
]


@pytest.fixture
def example():
    return reference_model(EXAMPLE, journey_map())


def test_worked_example_movements_every_cell(example):
    # The table of DOMAIN.md, cell by cell.
    table = """
    2026-01 0 2 0 0 2   0 180   0   0 0   0 180 180
    2026-02 2 1 0 0 3 180  50   0 100 0   0 330 150
    2026-03 3 0 0 3 0 330   0   0   0 0 330   0 120
    2026-04 0 1 1 0 2   0 200 160   0 0   0 360 280
    """
    expected = []
    for line in table.strip().splitlines():
        label, *numbers = line.split()
        values = [int(n) for n in numbers[:5]] + [Decimal(n) for n in numbers[5:]]
        expected.append(dict(zip(MOVEMENT_KEYS, [label, *values], strict=True)))
    assert example["movements"] == expected


def test_worked_example_shapes_and_types(example):
    assert [list(r) for r in example["movements"]] == [MOVEMENT_KEYS] * 4
    assert all(list(r) == STAGE_KEYS for r in example["stages"])
    assert all(list(r) == DRIVER_KEYS for r in example["drivers"])
    assert all(list(r) == COHORT_KEYS for r in example["cohorts"])
    for table in example.values():
        for r in table:
            for key in MONEY & r.keys():
                assert isinstance(r[key], Decimal), (key, r)
    # Every period has every stage in journey order, then Unmapped.
    order = ["Discover", "Buy", "Onboard", "Use", "Renew", "Unmapped"]
    assert [(r["period"], r["stage"]) for r in example["stages"]] == [
        (p, s) for p in ["2026-01", "2026-02", "2026-03", "2026-04"] for s in order
    ]


def test_worked_example_march_stage_table(example):
    # DOMAIN.md: Use lost 2 (lost_value 130), Renew lost 1 (lost_value 200), impact -2 and -1.
    # Use = B (support ticket 10 Feb, value at 1 Mar 50) + C (login 25 Jan, value 80);
    # Renew = A (renewal 5 Mar; value at 1 Mar = 100 + 100). Jan and Feb lost nobody, so both
    # baselines are 0 and impact = -lost; value_impact = -lost_value.
    use = stage_row(example, "2026-03", "Use")
    assert project(use, ["lost", "lost_value", "net", "impact", "value_impact"]) == {
        "lost": 2, "lost_value": 130, "net": -2, "impact": -2.0, "value_impact": -130,
    }  # fmt: skip
    renew = stage_row(example, "2026-03", "Renew")
    assert project(renew, ["lost", "lost_value", "net", "impact", "value_impact"]) == {
        "lost": 1, "lost_value": 200, "net": -1, "impact": -1.0, "value_impact": -200,
    }  # fmt: skip
    # D's site visit on 1 Mar is D's first Discover event; D never reaches a later stage.
    discover = stage_row(example, "2026-03", "Discover")
    assert project(discover, ["entered", "advanced", "conversion", "median_days_to_advance"]) == {
        "entered": 1, "advanced": 0, "conversion": 0.0, "median_days_to_advance": None,
    }  # fmt: skip
    # Baselines over Jan and Feb: Buy gained 2 then 1 -> 1.5 (values 180, 50 -> 115).
    buy = stage_row(example, "2026-03", "Buy")
    assert buy["baseline_gained"] == 1.5
    assert buy["impact"] == -1.5
    assert buy["value_impact"] == Decimal(-115)


def test_worked_example_january_stage_table(example):
    # DOMAIN.md: Discover entered 2 (A 3 Jan, B 10 Jan), advanced 2 (A buys 2 days later, B 22
    # days later: median 12); Buy entered 2 (A 5 Jan, C 20 Jan; B's first purchase is in Feb),
    # advanced 2 (A renews 31 days later, C logs in 5 days later: median 18), gained 2 (A, C,
    # worth 100 + 80 at 1 Feb). January is the first period: no baseline, no impact.
    discover = stage_row(example, "2026-01", "Discover")
    assert discover == {
        "period": "2026-01", "stage": "Discover", "entered": 2, "advanced": 2, "conversion": 1.0,
        "median_days_to_advance": 12.0, "gained": 0, "gained_value": 0, "lost": 0,
        "lost_value": 0, "net": 0, "baseline_gained": None, "baseline_lost": None,
        "impact": None, "value_impact": None,
    }  # fmt: skip
    buy = stage_row(example, "2026-01", "Buy")
    assert project(buy, STAGE_KEYS[2:11]) == {
        "entered": 2, "advanced": 2, "conversion": 1.0, "median_days_to_advance": 18.0,
        "gained": 2, "gained_value": 180, "lost": 0, "lost_value": 0, "net": 2,
    }  # fmt: skip
    # Use: C's login on 25 Jan; C has no later-stage (Renew) event.
    use = stage_row(example, "2026-01", "Use")
    assert (use["entered"], use["advanced"], use["conversion"]) == (1, 0, 0.0)
    unmapped = stage_row(example, "2026-01", "Unmapped")
    assert project(unmapped, STAGE_KEYS[2:6]) == {
        "entered": 0, "advanced": 0, "conversion": None, "median_days_to_advance": None,
    }  # fmt: skip


def test_worked_example_february_stage_table(example):
    # Buy: B enters 1 Feb and raises a support ticket (Use) 9 days later; B is gained at Buy
    # (value at 1 Mar: 50). Baseline = January alone: gained 2 (180) -> impact (1-2) = -1,
    # value_impact 50 - 180 = -130.
    buy = stage_row(example, "2026-02", "Buy")
    assert project(buy, STAGE_KEYS[2:]) == {
        "entered": 1, "advanced": 1, "conversion": 1.0, "median_days_to_advance": 9.0,
        "gained": 1, "gained_value": 50, "lost": 0, "lost_value": 0, "net": 1,
        "baseline_gained": 2.0, "baseline_lost": 0.0, "impact": -1.0, "value_impact": -130,
    }  # fmt: skip
    # Renew: A's renewal on 5 Feb, nothing after Renew exists. Use: B's ticket on 10 Feb.
    assert stage_row(example, "2026-02", "Renew")["entered"] == 1
    assert stage_row(example, "2026-02", "Use")["entered"] == 1
    assert stage_row(example, "2026-02", "Renew")["advanced"] == 0


def test_worked_example_april_stage_table(example):
    # E is new (purchase 10 Apr, worth 200) and C is won back by the purchase of 2 Apr (worth
    # 80 + 80 in the year before 1 May): Buy gained 2, gained_value 360. Baseline over Jan, Feb,
    # Mar: gained 2, 1, 0 -> 1.0 (values 180, 50, 0 -> 230/3); impact 2 - 1 = 1.
    buy = stage_row(example, "2026-04", "Buy")
    assert (buy["gained"], buy["gained_value"], buy["baseline_gained"]) == (2, 360, 1.0)
    assert buy["impact"] == 1.0
    assert float(buy["value_impact"]) == pytest.approx(float(Decimal(360) - Decimal(230) / Decimal(3)))
    # Use lost 0, 0, 2 before April: baseline_lost 2/3, impact (0 - 0) - (0 - 2/3) = 2/3.
    use = stage_row(example, "2026-04", "Use")
    assert use["baseline_lost"] == pytest.approx(2 / 3)
    assert use["impact"] == pytest.approx(2 / 3)
    assert float(use["value_impact"]) == pytest.approx(130 / 3)
    # Renew: baseline_lost 1/3 (A in March).
    assert stage_row(example, "2026-04", "Renew")["impact"] == pytest.approx(1 / 3)


def test_worked_example_cohorts(example):
    # Jan cohort A, C: both active at 1 Feb and 1 Mar, nobody at 1 Apr, C at the end (April).
    # Feb cohort B: active at 1 Mar, lost 18 Mar. Apr cohort E: active at the end.
    assert [tuple(r.values()) for r in example["cohorts"]] == [
        ("2026-01", 0, 2, 2, 1.0),
        ("2026-01", 1, 2, 2, 1.0),
        ("2026-01", 2, 2, 0, 0.0),
        ("2026-01", 3, 2, 1, 0.5),
        ("2026-02", 0, 1, 1, 1.0),
        ("2026-02", 1, 1, 0, 0.0),
        ("2026-02", 2, 1, 0, 0.0),
        ("2026-04", 0, 1, 1, 1.0),
    ]


def test_worked_example_drivers(example):
    # Population per stage = acquired customers with an event in it (D never paid: out).
    # Discover: A (site_visit), B (ad_click), both lost. Buy: A, B, C, E all purchased; A, B, C
    # were lost at least once; at stake = C (80 + 80) + E (200, bought exactly at as_of, which
    # the (as_of - 365 days, as_of] window includes). Onboard: nobody. Use: C (login, lost but
    # active again: 160 at stake), B (support_ticket, lost). Renew: A (renewal; cancel is a
    # churn event, so it gets no row). Fewer than 30 per group everywhere: no ratios.
    got = [
        (r["stage"], r["event"], r["exposed"], r["exposed_lost"], r["unexposed"],
         r["unexposed_lost"], r["value_at_stake"])
        for r in example["drivers"]
    ]  # fmt: skip
    assert got == [
        ("Discover", "ad_click", 1, 1, 1, 1, 0),
        ("Discover", "site_visit", 1, 1, 1, 1, 0),
        ("Buy", "purchase", 4, 3, 0, 0, 360),
        ("Onboard", "onboarding_call", 0, 0, 0, 0, 0),
        ("Use", "login", 1, 1, 1, 1, 160),
        ("Use", "support_ticket", 1, 1, 1, 1, 0),
        ("Renew", "renewal", 1, 1, 0, 0, 0),
    ]
    # the customers at stake: Buy's C and E, Use's C (login)
    assert [r["customers_at_stake"] for r in example["drivers"]] == [0, 0, 2, 0, 1, 0, 0]
    for r in example["drivers"]:
        assert [r[k] for k in DRIVER_KEYS[6:11]] == [None] * 5


def test_worked_example_quarters():
    # Q1 [1 Jan, 1 Apr): A, B, C are all acquired and lost inside Q1 -> class other; nobody is
    # active at 1 Apr. Revenue 100+100+120+50+80 = 450. Q2: C won back (160), E new (200).
    result = reference_model(EXAMPLE, journey_map(), grain="quarter")
    assert result["movements"] == [
        dict(zip(MOVEMENT_KEYS, ["2026-Q1", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Decimal(450)], strict=True)),
        dict(zip(MOVEMENT_KEYS, ["2026-Q2", 0, 1, 1, 0, 2, 0, 200, 160, 0, 0, 0, 360, 280], strict=True)),
    ]
    # Discover in Q1: A, B, D entered; A (2 days) and B (22 days) advanced: median 12.
    discover = stage_row(result, "2026-Q1", "Discover")
    assert (discover["entered"], discover["advanced"]) == (3, 2)
    assert discover["conversion"] == pytest.approx(2 / 3)
    assert discover["median_days_to_advance"] == 12.0
    # No class churned/new in Q1, so no attribution; Q2 gains both at Buy.
    assert sum(r["lost"] + r["gained"] for r in result["stages"] if r["period"] == "2026-Q1") == 0
    assert stage_row(result, "2026-Q2", "Buy")["gained"] == 2
    # Cohort Q1 = A, B, C: none active at 1 Apr, C active at the end.
    assert [tuple(r.values()) for r in result["cohorts"]] == [
        ("2026-Q1", 0, 3, 0, 0.0),
        ("2026-Q1", 1, 3, 1, pytest.approx(1 / 3)),
        ("2026-Q2", 0, 1, 1, 1.0),
    ]


def test_quarter_and_month_labels_across_a_year_end():
    events = [ev("A", "2025-11-15", "site_visit"), ev("A", "2026-02-01", "site_visit")]
    quarters = reference_model(events, journey_map(), grain="quarter")["movements"]
    assert [r["period"] for r in quarters] == ["2025-Q4", "2026-Q1"]
    months = reference_model(events, journey_map())["movements"]
    assert [r["period"] for r in months] == ["2025-11", "2025-12", "2026-01", "2026-02"]


# --------------------------------------------------------------------------------------------
# Hand-built edge cases (W given per test; money is in whole units)
# --------------------------------------------------------------------------------------------


def test_window_is_inclusive_at_its_end_and_a_loss_at_a_belongs_to_its_period():
    # W = 10 days, as_of 5 Feb.
    # P buys 22 Jan: window ends 1 Feb 00:00 = start of Feb. A loss exactly at a still counts as
    #   active at a, so P is new in Jan and churned in Feb (lost at Buy, value at 1 Feb = 10).
    # Q buys 22 Jan and again exactly at 1 Feb 00:00, the end of the window: kept (inclusive).
    #   Jan new (10), Feb retained: value at 1 Feb = 10 (the second buy is not before 1 Feb),
    #   at the end = 10 + 7 -> expansion 7.
    # R buys 22 Jan and at 1 Feb 00:00:01, one second late: lost at 1 Feb 00:00 and won back at
    #   00:00:01. Active at 1 Feb (the loss is at a) and at the end -> retained, expansion 7.
    events = [
        ev("P", "2026-01-22", "purchase", 10),
        ev("Q", "2026-01-22", "purchase", 10),
        ev("Q", "2026-02-01", "renewal", 7),
        ev("R", "2026-01-22", "purchase", 10),
        ev("R", "2026-02-01 00:00:01", "renewal", 7),
    ]
    result = reference_model(events, journey_map(), churn_after_days=10, as_of=at("2026-02-05"))
    jan, feb = result["movements"]
    assert project(jan, ["new", "customers_end", "value_end"]) == {
        "new": 3, "customers_end": 3, "value_end": 30,
    }  # fmt: skip
    assert project(feb, MOVEMENT_KEYS[1:]) == {
        "customers_start": 3, "new": 0, "reactivated": 0, "churned": 1, "customers_end": 2,
        "value_start": 30, "new_value": 0, "reactivation_value": 0, "expansion": 14,
        "contraction": 0, "churned_value": 10, "value_end": 34, "revenue": 14,
    }  # fmt: skip
    buy = stage_row(result, "2026-02", "Buy")
    assert (buy["lost"], buy["lost_value"]) == (1, 10)
    # Drivers see R's loss (outcome "ever lost") though R is retained in every period:
    # Buy/purchase exposed P, Q, R; lost P and R.
    purchase = row(result["drivers"], stage="Buy", event="purchase")
    assert (purchase["exposed"], purchase["exposed_lost"]) == (3, 2)


def test_churn_and_payment_at_the_same_time():
    # W = 45. A buys 5 Jan (100); on 10 Feb a cancel and a renewal (50) share the timestamp, the
    # cancel listed first. Value events go first: the renewal extends, then the cancel ends the
    # activity at 10 Feb. Feb: churned 1, churned_value = value at 1 Feb = 100, revenue 50;
    # lost at the latest non-churn event at or before 10 Feb = the renewal -> Renew.
    # B buys and cancels at the same instant 20 Jan: acquired and lost at once, never active at
    # any instant -> class other in Jan, but a cohort of one with nobody active.
    events = [
        ev("A", "2026-01-05", "purchase", 100),
        ev("A", "2026-02-10", "cancel"),
        ev("A", "2026-02-10", "renewal", 50),
        ev("B", "2026-01-20", "cancel"),
        ev("B", "2026-01-20", "purchase", 30),
    ]
    result = reference_model(events, journey_map())
    jan, feb = result["movements"]
    assert (jan["new"], jan["churned"], jan["customers_end"], jan["revenue"]) == (1, 0, 1, 130)
    assert (feb["churned"], feb["churned_value"], feb["customers_end"], feb["revenue"]) == (
        1, 100, 0, 50,
    )  # fmt: skip
    assert stage_row(result, "2026-02", "Renew")["lost"] == 1
    assert stage_row(result, "2026-02", "Renew")["lost_value"] == 100
    assert row(result["cohorts"], cohort="2026-01", periods_since=0)["customers"] == 2
    assert row(result["cohorts"], cohort="2026-01", periods_since=0)["active"] == 1


def test_payments_at_the_same_instant_at_a_spells_start_and_end():
    # W = 10, as_of 10 Mar. Every payment of A comes in a pair at one instant.
    # 25 Jan, purchase 10 + renewal 5: acquired (one spell, not two). 3 Feb, renewals 7 + 3,
    #   9 days later: still the same spell, its last payments; lost 13 Feb.
    # 5 Mar, purchase 20 + renewal 1, 30 days after: a second spell, still active at as_of.
    # Jan: new, value at 1 Feb = 15, gained at Buy (purchase and renewal tie: the earlier stage).
    # Feb: active at 1 Feb, lost 13 Feb at the latest non-churn event before it (the renewals:
    #   Renew) -> churned, churned_value 15, revenue 10.
    # Mar: back on 5 Mar and active at the end -> reactivated; value at the end (revenue in
    #   (as_of - 365 days, as_of]) = 15 + 10 + 21 = 46, gained at Buy.
    # Had the 5 Mar pair been split between two spells, the first spell would run to March and
    # A would be retained in Feb and Mar.
    events = [
        ev("A", "2026-01-25", "purchase", 10),
        ev("A", "2026-01-25", "renewal", 5),
        ev("A", "2026-02-03", "renewal", 7),
        ev("A", "2026-02-03", "renewal", 3),
        ev("A", "2026-03-05", "renewal", 1),
        ev("A", "2026-03-05", "purchase", 20),
    ]
    result = reference_model(events, journey_map(), churn_after_days=10, as_of=at("2026-03-10"))
    jan, feb, mar = result["movements"]
    assert project(jan, ["new", "customers_end", "value_end", "revenue"]) == {
        "new": 1, "customers_end": 1, "value_end": 15, "revenue": 15,
    }  # fmt: skip
    assert project(feb, MOVEMENT_KEYS[1:]) == {
        "customers_start": 1, "new": 0, "reactivated": 0, "churned": 1, "customers_end": 0,
        "value_start": 15, "new_value": 0, "reactivation_value": 0, "expansion": 0,
        "contraction": 0, "churned_value": 15, "value_end": 0, "revenue": 10,
    }  # fmt: skip
    assert project(mar, MOVEMENT_KEYS[1:]) == {
        "customers_start": 0, "new": 0, "reactivated": 1, "churned": 0, "customers_end": 1,
        "value_start": 0, "new_value": 0, "reactivation_value": 46, "expansion": 0,
        "contraction": 0, "churned_value": 0, "value_end": 46, "revenue": 21,
    }  # fmt: skip
    assert project(stage_row(result, "2026-01", "Buy"), ["gained", "gained_value"]) == {"gained": 1, "gained_value": 15}
    assert project(stage_row(result, "2026-02", "Renew"), ["lost", "lost_value"]) == {"lost": 1, "lost_value": 15}
    assert project(stage_row(result, "2026-03", "Buy"), ["gained", "gained_value"]) == {"gained": 1, "gained_value": 46}


def test_churn_event_of_someone_inactive_changes_nothing():
    # W = 10. A prospect cancelling (with a 5 fee: a churn event is never a value event) is
    # not acquired. B buys 25 Jan, the window ends 4 Feb (loss), logs in 7 Feb, cancels 10 Feb
    # while already lost: no second loss. Feb: B churned, lost at Buy (the purchase is the
    # latest non-churn event before the only loss, 4 Feb; were the cancel a loss, the login
    # would make it Use). Revenue in Feb: the fee 5. The prospect is in no driver population.
    events = [
        ev("P", "2026-01-10", "cancel", 5),
        ev("B", "2026-01-25", "purchase", 20),
        ev("B", "2026-02-07", "login"),
        ev("B", "2026-02-10", "cancel"),
        ev("P", "2026-02-11", "cancel", 5),
    ]
    result = reference_model(events, journey_map(), churn_after_days=10)
    jan, feb = result["movements"]
    assert (jan["new"], jan["customers_end"], jan["revenue"]) == (1, 1, 25)
    assert (feb["churned"], feb["churned_value"], feb["customers_end"], feb["revenue"]) == (
        1, 20, 0, 5,
    )  # fmt: skip
    assert stage_row(result, "2026-02", "Buy")["lost"] == 1
    assert stage_row(result, "2026-02", "Use")["lost"] == 0
    assert [r["cohort"] for r in result["cohorts"]] == ["2026-01", "2026-01"]
    assert row(result["drivers"], event="purchase")["exposed"] == 1


def test_loss_after_as_of_has_not_happened():
    # W = 10. A buys 25 Jan: the window ends 4 Feb 00:00. A purchase on 4 Feb 12:00 is in the
    # data but after an as_of of 4 Feb 00:00, so it is ignored.
    events = [ev("A", "2026-01-25", "purchase", 20), ev("A", "2026-02-04 12:00", "purchase", 20)]
    # as_of 3 Feb: the loss (4 Feb) is after as_of -> A still active at the end of Feb.
    early = reference_model(events, journey_map(), churn_after_days=10, as_of=at("2026-02-03"))
    feb = early["movements"][1]
    assert (feb["churned"], feb["customers_end"], feb["value_end"], feb["revenue"]) == (0, 1, 20, 0)
    assert row(early["drivers"], event="purchase")["exposed_lost"] == 0
    # as_of exactly at the window end: L <= as_of, so the loss happened.
    exact = reference_model(events, journey_map(), churn_after_days=10, as_of=at("2026-02-04"))
    feb = exact["movements"][1]
    assert (feb["churned"], feb["customers_end"], feb["churned_value"]) == (1, 0, 20)
    # Default as_of = the latest event (4 Feb 12:00): the late purchase reactivates A.
    default = reference_model(events, journey_map(), churn_after_days=10)
    feb = default["movements"][1]
    # A is lost at 4 Feb 00:00 and back at 12:00: active at 1 Feb and at the end -> retained,
    # value 20 -> 40 (expansion 20).
    assert project(feb, ["churned", "reactivated", "customers_end", "expansion", "revenue"]) == {
        "churned": 0, "reactivated": 0, "customers_end": 1, "expansion": 20, "revenue": 20,
    }  # fmt: skip


def test_reactivation_and_loss_inside_one_period():
    # W = 10, as_of 10 Mar.
    # A buys 5 Jan (10), lost 15 Jan. Buys 3 Feb (purchase, 10): back, lost 13 Feb. Renews
    #   20 Feb (renewal, 10): back again, active until 2 Mar. Feb: not active at 1 Feb, active
    #   at 1 Mar -> reactivated, gained at the LAST reactivation (the renewal: Renew),
    #   gained_value = value at 1 Mar = 30. March: churned at 2 Mar, lost at Renew.
    # B buys 28 Jan (10) -> active at 1 Feb. Lost 7 Feb, back 9 Feb through a renewal (10),
    #   logs in 12 Feb, lost 19 Feb. Churned in Feb; lost at the stage of the latest non-churn
    #   event before the LAST loss (19 Feb): the login -> Use (the first loss would say Buy).
    # C buys 3 Feb and is lost 13 Feb: acquired and lost inside Feb -> other.
    events = [
        ev("A", "2026-01-05", "purchase", 10),
        ev("A", "2026-02-03", "purchase", 10),
        ev("A", "2026-02-20", "renewal", 10),
        ev("B", "2026-01-28", "purchase", 10),
        ev("B", "2026-02-09", "renewal", 10),
        ev("B", "2026-02-12", "login"),
        ev("C", "2026-02-03", "purchase", 10),
    ]
    result = reference_model(events, journey_map(), churn_after_days=10, as_of=at("2026-03-10"))
    jan, feb, mar = result["movements"]
    # Jan: A acquired and lost -> other; B new (10).
    assert (jan["new"], jan["customers_end"], jan["new_value"]) == (1, 1, 10)
    assert project(feb, MOVEMENT_KEYS[1:]) == {
        "customers_start": 1, "new": 0, "reactivated": 1, "churned": 1, "customers_end": 1,
        "value_start": 10, "new_value": 0, "reactivation_value": 30, "expansion": 0,
        "contraction": 0, "churned_value": 10, "value_end": 30, "revenue": 40,
    }  # fmt: skip
    assert stage_row(result, "2026-02", "Renew")["gained"] == 1
    assert stage_row(result, "2026-02", "Renew")["gained_value"] == 30
    assert stage_row(result, "2026-02", "Use")["lost"] == 1
    assert stage_row(result, "2026-02", "Buy")["lost"] == 0
    assert (mar["churned"], mar["churned_value"]) == (1, 30)
    assert stage_row(result, "2026-03", "Renew")["lost"] == 1


def test_refunds_lower_value_and_never_keep_anyone_active():
    # W = 60, as_of 31 Mar. "refund" is in no stage of the map (Unmapped) and never a value event.
    # A buys 10 Jan (100), refunded 30 on 5 Feb; the refund does not extend the window, which
    #   ends 11 Mar. Feb: retained, 100 -> 70 (contraction 30). Mar: churned, worth 70 at 1 Mar,
    #   lost at the latest non-churn event before 11 Mar: the refund -> Unmapped.
    # B buys 20 Jan (100), renews 15 Feb (40), refunded 50 on 20 Feb. Feb: retained,
    #   100 -> 100 + 40 - 50 = 90 (contraction 10). Mar: unchanged, retained.
    # C is refunded 10 on 15 Jan while a prospect (no acquisition), buys 10 Feb (100): value at
    #   1 Mar counts every event of the year before, the refund too -> new_value 90.
    events = [
        ev("A", "2026-01-10", "purchase", 100),
        ev("A", "2026-02-05", "refund", -30),
        ev("B", "2026-01-20", "purchase", 100),
        ev("B", "2026-02-15", "renewal", 40),
        ev("B", "2026-02-20", "refund", -50),
        ev("C", "2026-01-15", "refund", -10),
        ev("C", "2026-02-10", "purchase", 100),
    ]
    result = reference_model(events, journey_map(60), as_of=at("2026-03-31"))
    jan, feb, mar = result["movements"]
    # Jan revenue: 100 + 100 - 10.
    assert project(jan, ["new", "new_value", "value_end", "revenue"]) == {
        "new": 2, "new_value": 200, "value_end": 200, "revenue": 190,
    }  # fmt: skip
    # Feb: 200 + 90 - 40 = 250; revenue -30 + 40 - 50 + 100 = 60.
    assert project(feb, MOVEMENT_KEYS[1:]) == {
        "customers_start": 2, "new": 1, "reactivated": 0, "churned": 0, "customers_end": 3,
        "value_start": 200, "new_value": 90, "reactivation_value": 0, "expansion": 0,
        "contraction": 40, "churned_value": 0, "value_end": 250, "revenue": 60,
    }  # fmt: skip
    assert project(mar, ["churned", "churned_value", "customers_end", "value_end", "revenue"]) == {
        "churned": 1, "churned_value": 70, "customers_end": 2, "value_end": 180, "revenue": 0,
    }  # fmt: skip
    unmapped = stage_row(result, "2026-03", "Unmapped")
    assert (unmapped["lost"], unmapped["lost_value"]) == (1, 70)


def test_events_before_acquisition():
    # A visits 10 Jan (Discover), clicks an ad 20 Jan (Discover), buys 3 Feb (Buy).
    # Jan: A is a prospect (class other, no movement) but enters Discover on 10 Jan and advances
    # 24 days later (first later-stage event: the purchase). Feb: new, gained at Buy.
    # "webinar" is in no stage (Unmapped): it counts towards no stage's entries.
    events = [
        ev("A", "2026-01-10", "site_visit"),
        ev("A", "2026-01-20", "ad_click"),
        ev("A", "2026-01-25", "webinar"),
        ev("A", "2026-02-03", "purchase", 60),
    ]
    result = reference_model(events, journey_map())
    jan, feb = result["movements"]
    assert project(jan, MOVEMENT_KEYS[1:]) == dict.fromkeys(MOVEMENT_KEYS[1:], 0)
    assert (feb["new"], feb["new_value"], feb["revenue"]) == (1, 60, 60)
    discover = stage_row(result, "2026-01", "Discover")
    assert (discover["entered"], discover["advanced"], discover["median_days_to_advance"]) == (
        1, 1, 24.0,
    )  # fmt: skip
    assert stage_row(result, "2026-02", "Buy")["gained"] == 1
    assert stage_row(result, "2026-02", "Discover")["entered"] == 0
    # Cohort: acquired in Feb, not Jan.
    assert [r["cohort"] for r in result["cohorts"]] == ["2026-02"]


def test_advancing_into_a_stage_entered_before():
    # A logs in (Use) on 2 Jan before the onboarding call (Onboard) on 10 Jan; Use was entered
    # first, so Onboard advances at A's next Use event at or after 10 Jan: the login of 20 Jan,
    # 10 days on. B's onboarding call on 5 Jan is followed by nothing later in the journey (a
    # second call, and a site visit, are not later stages): entered, not advanced. C's login of
    # 1 Jan and call of 15 Jan are all: Use entered before, and never again, so not advanced.
    events = [
        ev("A", "2026-01-02", "login"),
        ev("A", "2026-01-10", "onboarding_call"),
        ev("A", "2026-01-20", "login"),
        ev("B", "2026-01-05", "onboarding_call"),
        ev("B", "2026-01-06", "onboarding_call"),
        ev("B", "2026-01-07", "site_visit"),
        ev("C", "2026-01-01", "login"),
        ev("C", "2026-01-15", "onboarding_call"),
    ]
    result = reference_model(events, journey_map())
    onboard = stage_row(result, "2026-01", "Onboard")
    assert (onboard["entered"], onboard["advanced"], onboard["median_days_to_advance"]) == (3, 1, 10.0)
    use = stage_row(result, "2026-01", "Use")
    assert (use["entered"], use["advanced"]) == (2, 0)


def test_stage_resolution_and_tie_breaks():
    # All new in Jan (as_of 20 Jan, W = 45), one period.
    # A: purchase with data stage "Use" -> gained at Use (a known data stage wins).
    # B: purchase with data stage "Nowhere" (not a stage of the map) -> the map: Buy.
    # C: purchase with data stage "" -> the map: Buy.
    # G: "gift" (in no stage) with data stage "Nowhere" -> Unmapped.
    # D: renewal (Renew) and purchase (Buy) at the same instant -> earliest stage: Buy.
    # E: "gift" (Unmapped) and renewal (Renew) at the same instant -> Renew (Unmapped only when
    #    no stage claims any of them).
    events = [
        ev("A", "2026-01-02", "purchase", 10, stage="Use"),
        ev("B", "2026-01-02", "purchase", 10, stage="Nowhere"),
        ev("C", "2026-01-02", "purchase", 10, stage=""),
        ev("D", "2026-01-02", "renewal", 10),
        ev("D", "2026-01-02", "purchase", 10),
        ev("E", "2026-01-02", "gift", 10),
        ev("E", "2026-01-02", "renewal", 10),
        ev("G", "2026-01-02", "gift", 10, stage="Nowhere"),
    ]
    result = reference_model(events, journey_map(), as_of=at("2026-01-20"))
    gained = {r["stage"]: r["gained"] for r in result["stages"]}
    assert gained == {"Discover": 0, "Buy": 3, "Onboard": 0, "Use": 1, "Renew": 1, "Unmapped": 1}
    # Buy gained B (10), C (10) and D (20).
    assert stage_row(result, "2026-01", "Buy")["gained_value"] == 40
    # The data stage also decides entry: A entered Use, not Buy; G entered nothing.
    assert stage_row(result, "2026-01", "Use")["entered"] == 1
    assert stage_row(result, "2026-01", "Buy")["entered"] == 3  # B, C, D
    assert stage_row(result, "2026-01", "Renew")["entered"] == 2  # D, E


def test_lost_at_ties_prefer_the_later_stage():
    # W = 10, as_of 28 Feb; all buy 25 Jan and are lost 4 Feb (churned in Feb).
    # A: login (Use) and site_visit (Discover) at the same latest time -> Use.
    # B: site_visit (Discover) and "webinar" (Unmapped) at the same latest time -> Discover.
    # C: only "webinar" after the purchase -> Unmapped.
    events = [ev(c, "2026-01-25", "purchase", 10) for c in "ABC"] + [
        ev("A", "2026-01-30", "site_visit"),
        ev("A", "2026-01-30", "login"),
        ev("B", "2026-01-30", "webinar"),
        ev("B", "2026-01-30", "site_visit"),
        ev("C", "2026-01-30", "webinar"),
    ]
    result = reference_model(events, journey_map(), churn_after_days=10, as_of=at("2026-02-28"))
    lost = {r["stage"]: r["lost"] for r in result["stages"] if r["period"] == "2026-02"}
    assert lost == {"Discover": 1, "Buy": 0, "Onboard": 0, "Use": 1, "Renew": 0, "Unmapped": 1}


def test_segment_filter():
    # The worked example with segments. A: "smb" (the later empty value does not count).
    # B: "smb" then "ent" -> ent. C: "ent". D, E: none -> in no segment. F has two events at the
    # same instant, "smb" then "ent" in input order -> the later one, ent; F never pays.
    # The period range (Jan..Apr, as_of 10 Apr from E) stays the same.
    segments = {0: "smb", 1: "", 5: "smb", 7: "ent", 8: "ent"}
    events = [dict(e, segment=segments.get(i)) for i, e in enumerate(EXAMPLE)]
    events += [
        ev("F", "2026-01-15", "site_visit", segment="smb"),
        ev("F", "2026-01-15", "ad_click", segment="ent"),
    ]
    smb = reference_model(events, journey_map(), segment="smb")
    # A alone: Jan new 100; Feb retained 100 -> 200; Mar churned 200; Apr nothing.
    assert [r["period"] for r in smb["movements"]] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert [(r["new"], r["churned"], r["value_end"], r["revenue"]) for r in smb["movements"]] == [
        (1, 0, 100, 100), (0, 0, 200, 100), (0, 1, 0, 120), (0, 0, 0, 0),
    ]  # fmt: skip
    ent = reference_model(events, journey_map(), segment="ent")
    # B and C: Jan new C (80); Feb new B (50) -> 130; Mar both lost; Apr C back (160).
    assert [(r["new"], r["reactivated"], r["churned"], r["value_end"], r["revenue"]) for r in ent["movements"]] == [
        (1, 0, 0, 80, 80),
        (1, 0, 0, 130, 50),
        (0, 0, 2, 0, 0),
        (0, 1, 0, 160, 80),
    ]
    # F (ent) entered Discover in Jan alongside B.
    assert stage_row(ent, "2026-01", "Discover")["entered"] == 2
    nobody = reference_model(events, journey_map(), segment="vip")
    assert len(nobody["movements"]) == 4 and nobody["cohorts"] == []
    assert all(r["customers_end"] == 0 and r["revenue"] == 0 for r in nobody["movements"])


def test_no_events_at_or_before_as_of_gives_empty_tables():
    empty = {"movements": [], "stages": [], "drivers": [], "cohorts": []}
    assert reference_model([], journey_map()) == empty
    assert reference_model(EXAMPLE, journey_map(), as_of=at("2025-12-31")) == empty


def driver_log(groups) -> list[dict]:
    """Customers who buy 1 Jan (10) and log in 2 Jan; per group (count, lost, extra events)
    the first `lost` cancel on 5 Jan. W = 90 and as_of 10 Jan, so only cancels are losses."""
    events, n = [], 0
    for count, lost, extra in groups:
        for i in range(count):
            cid = f"c{n}"
            n += 1
            events += [ev(cid, "2026-01-01", "purchase", 10), ev(cid, "2026-01-02", "login")]
            events += [ev(cid, "2026-01-03", e) for e in extra]
            if i < lost:
                events.append(ev(cid, "2026-01-05", "cancel"))
    return events


def test_drivers_risk_ratio_interval_p_and_q_values():
    # 80 customers, all in Use through their login.
    # support_ticket: 40 exposed (c0..c39), 20 lost; 40 unexposed, 10 lost.
    # complaint (added to Use): c0..c29 -> 30 exposed, 20 lost (all the lost of the first
    # group are c0..c19); 50 unexposed, 10 lost.
    stage_map = journey_map(churn_after_days=90)
    stage_map["stages"][3]["events"].append("complaint")
    events = driver_log([(30, 20, ["support_ticket", "complaint"]), (10, 0, ["support_ticket"]), (40, 10, [])])
    result = reference_model(events, stage_map, as_of=at("2026-01-10"))
    ticket = row(result["drivers"], event="support_ticket")
    complaint = row(result["drivers"], event="complaint")
    assert [ticket[k] for k in DRIVER_KEYS[2:6]] == [40, 20, 40, 10]
    assert [complaint[k] for k in DRIVER_KEYS[2:6]] == [30, 20, 50, 10]
    # support_ticket: RR = (20/40)/(10/40) = 2; ln-CI half width 1.96 * sqrt(1/20 - 1/40 + 1/10
    # - 1/40) = 1.96 * sqrt(0.1). Pooled p = 30/80 = 0.375:
    # z = (0.5 - 0.25) / sqrt(0.375 * 0.625 * (1/40 + 1/40)) = 0.25 / sqrt(0.01171875).
    assert ticket["risk_ratio"] == pytest.approx(2.0)
    half = Z_95 * math.sqrt(0.1)
    assert ticket["ci_low"] == pytest.approx(2 * math.exp(-half))
    assert ticket["ci_high"] == pytest.approx(2 * math.exp(half))
    p_ticket = math.erfc(0.25 / math.sqrt(0.01171875) / math.sqrt(2))
    assert ticket["p_value"] == pytest.approx(p_ticket)
    assert p_ticket == pytest.approx(0.02092, abs=1e-5)  # z = 2.3094
    # complaint: RR = (20/30)/(10/50) = 10/3; z = (2/3 - 1/5) / sqrt(0.234375 * (1/30 + 1/50))
    # = 0.46667 / sqrt(0.0125).
    assert complaint["risk_ratio"] == pytest.approx(10 / 3)
    p_complaint = math.erfc((2 / 3 - 1 / 5) / math.sqrt(0.0125) / math.sqrt(2))
    assert complaint["p_value"] == pytest.approx(p_complaint)
    # Benjamini-Hochberg over the two tested rows (m = 2): the smaller p (complaint) has rank 1:
    # q = min(p_c * 2 / 1, p_t * 2 / 2); the larger has rank 2: q = p_t.
    assert complaint["q_value"] == pytest.approx(min(2 * p_complaint, p_ticket))
    assert ticket["q_value"] == pytest.approx(p_ticket)
    # login: all 80 exposed, 0 unexposed -> not enough data; purchase likewise.
    for event in ["login", "purchase"]:
        assert row(result["drivers"], event=event)["risk_ratio"] is None
        assert row(result["drivers"], event=event)["q_value"] is None
    # At stake: exposed customers still active at as_of, each worth 10:
    # ticket 40 - 20 = 20 -> 200; complaint 30 - 20 = 10 -> 100.
    assert (ticket["value_at_stake"], complaint["value_at_stake"]) == (200, 100)


def test_drivers_zero_cell_correction_and_no_losses():
    # support_ticket: 30 exposed, nobody lost; 30 unexposed, 3 lost. The zero cell a = 0 adds
    # 0.5 everywhere: a = 0.5, n1 = 31, c = 3.5, n0 = 31 -> RR = 0.5 / 3.5 = 1/7, half width
    # 1.96 * sqrt(1/0.5 - 1/31 + 1/3.5 - 1/31). The p-value uses the raw counts: pooled 3/60,
    # z = (0 - 0.1) / sqrt(0.05 * 0.95 * (2/30)).
    events = driver_log([(30, 0, ["support_ticket"]), (30, 3, [])])
    ticket = row(reference_model(events, journey_map(90))["drivers"], event="support_ticket")
    assert ticket["risk_ratio"] == pytest.approx(1 / 7)
    half = Z_95 * math.sqrt(1 / 0.5 - 1 / 31 + 1 / 3.5 - 1 / 31)
    assert ticket["ci_low"] == pytest.approx(math.exp(math.log(1 / 7) - half))
    assert ticket["ci_high"] == pytest.approx(math.exp(math.log(1 / 7) + half))
    z = 0.1 / math.sqrt(0.05 * 0.95 * (2 / 30))
    assert ticket["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert ticket["q_value"] == pytest.approx(ticket["p_value"])  # the only tested row
    # Nobody lost at all: pooled rate 0 -> p = 1; cells 0.5/31 both sides -> RR = 1.
    calm = driver_log([(30, 0, ["support_ticket"]), (30, 0, [])])
    ticket = row(reference_model(calm, journey_map(90))["drivers"], event="support_ticket")
    assert (ticket["risk_ratio"], ticket["p_value"], ticket["q_value"]) == (1.0, 1.0, 1.0)


# --------------------------------------------------------------------------------------------
# Properties on random logs
# --------------------------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(log, **kwargs):
    events, stage_map, as_of = log
    return reference_model(events, stage_map, as_of=as_of, **kwargs)


@PROPERTY_SETTINGS
@given(event_logs(), st.sampled_from(["month", "quarter"]))
def test_waterfalls_balance_and_chain(log, grain):
    movements = run(log, grain=grain)["movements"]
    for r in movements:
        assert r["customers_end"] == (r["customers_start"] + r["new"] + r["reactivated"] - r["churned"])
        assert r["value_end"] == (
            r["value_start"] + r["new_value"] + r["reactivation_value"] + r["expansion"]
            - r["contraction"] - r["churned_value"]
        )  # fmt: skip
        # churned_value / new_value may be negative: a customer's year can be net of refunds.
        assert min(r["expansion"], r["contraction"]) >= 0
    for before, after in pairwise(movements):
        assert before["customers_end"] == after["customers_start"]
        assert before["value_end"] == after["value_start"]
    if movements:  # nobody can be active before the first event
        assert (movements[0]["customers_start"], movements[0]["value_start"]) == (0, 0)


@PROPERTY_SETTINGS
@given(event_logs(), st.sampled_from(["month", "quarter"]))
def test_stage_attribution_reconciles_with_the_waterfall(log, grain):
    result = run(log, grain=grain)
    by_period = defaultdict(Counter)
    for r in result["stages"]:
        for key in ["gained", "gained_value", "lost", "lost_value"]:
            by_period[r["period"]][key] += r[key]
        assert r["net"] == r["gained"] - r["lost"]
        assert 0 <= r["advanced"] <= r["entered"]
    for m in result["movements"]:
        sums = by_period[m["period"]]
        assert sums["lost"] == m["churned"]
        assert sums["lost_value"] == m["churned_value"]
        assert sums["gained"] == m["new"] + m["reactivated"]
        assert sums["gained_value"] == m["new_value"] + m["reactivation_value"]
    _, stage_map, _ = log
    stages = [s["name"] for s in stage_map["stages"]] + ["Unmapped"]
    assert [(r["period"], r["stage"]) for r in result["stages"]] == [
        (m["period"], s) for m in result["movements"] for s in stages
    ]


@PROPERTY_SETTINGS
@given(event_logs())
def test_quarters_agree_with_their_months(log):
    # A quarter's end is its last month's end, so the states there agree; revenue adds up.
    months = run(log, grain="month")["movements"]
    quarters = run(log, grain="quarter")["movements"]
    for q in quarters:
        year, n = q["period"].split("-Q")
        inside = [m for m in months if m["period"][:4] == year and (int(m["period"][5:]) - 1) // 3 + 1 == int(n)]
        assert q["revenue"] == sum((m["revenue"] for m in inside), Decimal(0))
        for key in ["customers_end", "value_end"]:
            assert q[key] == inside[-1][key]
        for key in ["customers_start", "value_start"]:  # both 0 before the first month anyway
            assert q[key] == inside[0][key]


@PROPERTY_SETTINGS
@given(event_logs(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter_without_a_segment_filter(log, rnd):
    events, stage_map, as_of = log
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert run(log) == reference_model(shuffled, stage_map, as_of=as_of)


@PROPERTY_SETTINGS
@given(event_logs())
def test_segments_partition_the_customers(log):
    # Give customers without any segment their own, then every additive number of the
    # unfiltered run is the sum of the per-segment runs, over the same periods.
    events, stage_map, as_of = log
    if not events:
        return
    end = as_of if as_of is not None else max(e["ts"] for e in events)
    has_segment = {e["customer_id"] for e in events if e["segment"] and e["ts"] <= end}
    events = [e if e["customer_id"] in has_segment else dict(e, segment="(none)") for e in events]
    segments = {e["segment"] for e in events if e["segment"] and e["ts"] <= end}
    total = reference_model(events, stage_map, as_of=as_of)
    parts = [reference_model(events, stage_map, as_of=as_of, segment=s) for s in segments]
    for i, m in enumerate(total["movements"]):
        for key in MOVEMENT_KEYS[1:]:
            assert m[key] == sum(p["movements"][i][key] for p in parts)
    for i, r in enumerate(total["stages"]):
        for key in ["entered", "advanced", "gained", "gained_value", "lost", "lost_value"]:
            assert r[key] == sum(p["stages"][i][key] for p in parts)
    cohort_sums = Counter()
    for p in parts:
        for r in p["cohorts"]:
            cohort_sums[(r["cohort"], r["periods_since"], "customers")] += r["customers"]
            cohort_sums[(r["cohort"], r["periods_since"], "active")] += r["active"]
    for r in total["cohorts"]:
        assert r["customers"] == cohort_sums[(r["cohort"], r["periods_since"], "customers")]
        assert r["active"] == cohort_sums[(r["cohort"], r["periods_since"], "active")]


@PROPERTY_SETTINGS
@given(event_logs())
def test_cohorts_and_drivers_are_consistent(log):
    result = run(log)
    labels = [m["period"] for m in result["movements"]]
    for r in result["cohorts"]:
        assert 0 <= r["active"] <= r["customers"]
        assert r["retention"] == r["active"] / r["customers"]
        # k runs to the last period.
        assert labels.index(r["cohort"]) + r["periods_since"] < len(labels)
    last = {r["cohort"]: r for r in result["cohorts"]}  # the latest k of each cohort
    if result["movements"]:
        assert sum(r["active"] for r in last.values()) == result["movements"][-1]["customers_end"]
    for d in result["drivers"]:
        assert 0 <= d["exposed_lost"] <= d["exposed"]
        assert 0 <= d["unexposed_lost"] <= d["unexposed"]
