"""A plain-Python reference implementation of the analytics contract in DOMAIN.md.

It is deliberately slow and literal: every number is computed the way the contract words it, one
customer at a time, so that the production DuckDB SQL can be checked against it on random event
logs. Clarity beats speed everywhere in this file.

Entry point::

    reference_model(events, stage_map, *, grain="month", as_of=None, baseline=None,
                    churn_after_days=None, segment=None) -> dict[str, list[dict]]

Inputs
------
- ``events``: dicts with keys ``customer_id`` (str), ``ts`` (naive ``datetime``, UTC), ``event``
  (str), ``stage`` (str or None), ``revenue`` (``Decimal``), ``segment`` (str or None).
- ``stage_map``: ``{"stages": [{"name", "goal", "events"}...] (journey order), "churn_events",
  "friction_events", "churn_after_days", "baseline_periods"}``. The per-call ``churn_after_days``
  and ``baseline`` override the map's values (``baseline`` defaults to 3).

Rules (they settle the contract's ambiguities; the SQL must follow the same ones)
----------------------------------------------------------------------------------
World and periods
  - ``as_of`` defaults to the latest ``ts`` among ALL events (before any segment filter). Events
    with ``ts > as_of`` are ignored everywhere. A loss at time L happens only if L <= as_of.
  - Periods are calendar months ("2026-01") or quarters ("2026-Q1"), half-open [a, b). They run
    from the period holding the first event of the whole dataset (ts <= as_of, before the segment
    filter) to the period holding ``as_of``. The segment filter never changes the period range.
  - ``segment``: keep only customers whose segment equals it. A customer's segment is the last
    non-empty segment value among their events with ts <= as_of (ties on ts: the later in input
    order).

Stages
  - Stage of an event: the data ``stage`` when it is a stage name of the map; else (None, empty
    or a name the map does not know) the map's stage for the event name (the first stage in
    journey order that lists it); else "Unmapped".
  - Journey order = position in the map; "Unmapped" ranks below every stage.

Lifecycle (per customer, a state machine over their events with ts <= as_of)
  - Events sorted by ts; at equal ts value events first, then churn events, then the others
    (input order inside each group). A value event has revenue > 0 and is not a churn event
    (a churn event is one whose name is in ``churn_events``).
  - The first value event acquires the customer: active from its ts. Every value event at t while
    active extends the window to t + W days (W = churn_after_days); a value event exactly at the
    window end keeps them active. A churn event at c while active ends activity at c (loss at c);
    a churn event while not active does nothing. When the window end L is reached with no value
    event at or before L, the customer is lost at L (only if L <= as_of). A value event while lost
    (t > L) reactivates them at t.
  - The result is a list of active intervals [start, end] (end None = still active at as_of);
    the starts are the acquisition then the reactivations, the ends are the losses.
  - State "at instant a" = after everything strictly before a: active at a iff some interval has
    start < a <= end. So an acquisition exactly at a is not yet active at a, and a loss exactly at
    a still counts as active at a (the loss belongs to the period containing a). For the last
    period b > as_of, so "active at b" means active after every event/loss up to as_of.

Asset and waterfall
  - Classes in period [a, b): new (acquired in [a, b) and active at b), reactivated (acquired
    before a, not active at a, active at b), churned (active at a, not at b), retained (active at
    a and b), other.
  - value_c(t) = sum of revenue of ALL the customer's events (negative ones and churn events
    included, ts <= as_of) with ts in [t - 365 days, t) if the customer is active at t, else 0.
  - new_value = value_c(b) of new; reactivation_value = value_c(b) of reactivated; churned_value
    = value_c(a) of churned; a retained customer's change value_c(b) - value_c(a) goes to
    expansion when > 0 and to contraction (as a positive amount) when < 0.
  - revenue = plain sum of revenue of events in [a, b) (ts <= as_of, filtered customers).

Attribution
  - Lost at: for a customer churned in p, take their LAST loss time in p; among their events that
    are not churn events with ts <= that loss time, the latest by ts; ties: the later stage in
    journey order (Unmapped lowest), then the later event name alphabetically; none: "Unmapped".
  - Gained at: new -> the acquiring value event; reactivated -> the value event of their last
    reactivation in p. Several value events at that exact ts: the earliest stage in journey order
    wins (Unmapped only when no stage claims any of them), then the earlier event name
    alphabetically.
  - lost_value = value_c(a) of the lost customer; gained_value = value_c(b) of the gained one.

Stage table (every period; every stage in journey order, then "Unmapped")
  - entered = people (prospects included, after the segment filter) whose first-ever event in
    the stage falls in p; advanced = of those, people with an event in a later stage (higher
    journey index, never Unmapped) at ts >= the entry ts; conversion = advanced / entered as a
    float (None when entered = 0); median_days_to_advance = median over advancers of (first
    later-stage event at or after entry - entry) in days (seconds / 86400) as a float, None when
    nobody advanced (an even count takes the mean of the two middle values). For "Unmapped"
    these are 0 / 0 / None / None.
  - net = gained - lost. baseline_gained / baseline_lost = mean of gained / lost of the same
    stage over the previous k periods (k = baseline; fewer at the start; None for the first
    period), a float. The value baselines are Decimal means (Decimal division). impact =
    (gained - baseline_gained) - (lost - baseline_lost), value_impact the same with gained_value
    and lost_value; both None when the baseline is None.

Drivers (one row per stage s, not Unmapped, and per event e that the map lists under s and that
is not a churn event; rows with exposed = 0 included; ordered by journey order then event name)
  - population = acquired customers having any event resolved to stage s (any ts <= as_of);
    exposed = those with at least one event named e resolved to stage s; outcome = had at least
    one loss (losses are always <= as_of).
  - a = exposed_lost, n1 = exposed, c = unexposed_lost, n0 = unexposed. When any of the cells a,
    n1 - a, c, n0 - c is zero, add 0.5 to every cell (so n1 and n0 grow by 1). risk_ratio =
    (a/n1)/(c/n0) on those (possibly corrected) cells; 95% CI = exp(ln RR -/+ 1.959963984540054 *
    sqrt(1/a - 1/n1 + 1/c - 1/n0)) on the same cells. p_value = two-sided pooled two-proportion
    z-test on the UNcorrected counts, erfc(|z| / sqrt(2)); 1.0 when the pooled rate is 0 or 1.
  - When n1 < 30 or n0 < 30: risk_ratio, ci_low, ci_high, p_value, q_value are None.
  - q_value = Benjamini-Hochberg over the rows that have a p_value: q_i = min over j with
    rank_j >= rank_i of p_j * m / rank_j, capped at 1.
  - customers_at_stake = the exposed customers still active at as_of; value_at_stake = sum over them (after everything up to
    as_of) of their revenue with ts in (as_of - 365 days, as_of].

Cohorts
  - cohort = label of the acquisition period; for k = 0 .. up to the last period: customers =
    cohort size, active = cohort customers active at the end b of period cohort + k (same rule
    as the waterfall), retention = active / customers as a float. Ordered by cohort, then k.

Money is ``Decimal`` throughout. Without any event at or before ``as_of`` every list is empty.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

UNMAPPED = "Unmapped"
YEAR = timedelta(days=365)
Z_95 = 1.959963984540054
MIN_GROUP = 30  # below this many customers in a group a driver says "not enough data"
ZERO = Decimal(0)


# --------------------------------------------------------------------------------------------
# Stage map
# --------------------------------------------------------------------------------------------


@dataclass
class Journey:
    """The stage map reduced to what the rules need."""

    stages: list[str]  # journey order
    stage_events: dict[str, list[str]]  # stage -> events the map lists under it
    churn_events: set[str]

    @classmethod
    def from_map(cls, stage_map: dict) -> Journey:
        stages = [s["name"] for s in stage_map["stages"]]
        stage_events = {s["name"]: list(s.get("events", [])) for s in stage_map["stages"]}
        return cls(stages, stage_events, set(stage_map.get("churn_events", [])))

    def resolve(self, event: str, data_stage: str | None) -> str:
        """Stage of one event: a known data stage, else the map's stage for the name."""
        if data_stage in self.stages:
            return data_stage
        for stage in self.stages:
            if event in self.stage_events[stage]:
                return stage
        return UNMAPPED

    def rank(self, stage: str) -> int:
        """Journey index; Unmapped ranks below every stage."""
        return self.stages.index(stage) if stage != UNMAPPED else -1


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


@dataclass
class Period:
    label: str
    start: datetime  # a, inclusive
    end: datetime  # b, exclusive
    value_end: datetime | None = None  # where the value at the end is measured (see periods_between)

    def __post_init__(self) -> None:
        if self.value_end is None:
            self.value_end = self.end

    def holds(self, t: datetime) -> bool:
        return self.start <= t < self.end


def period_of(t: datetime, grain: str) -> Period:
    months = {"month": 1, "quarter": 3}[grain]
    first_month = (t.month - 1) // months * months + 1
    start = datetime(t.year, first_month, 1)
    carry, month0 = divmod(first_month - 1 + months, 12)
    end = datetime(t.year + carry, month0 + 1, 1)
    if grain == "month":
        label = f"{t.year}-{first_month:02d}"
    else:
        label = f"{t.year}-Q{(first_month - 1) // 3 + 1}"
    return Period(label, start, end)


def periods_between(first: datetime, last: datetime, grain: str) -> list[Period]:
    """The periods from first's to last's (last = as_of). The last period's value at its end is
    measured just after as_of: revenue in (as_of - 365 days, as_of], not in [b - 365 days, b),
    which would drop the revenue of (as_of - 365 days, b - 365 days) with nothing to replace it."""
    periods = [period_of(first, grain)]
    while not periods[-1].holds(last):
        periods.append(period_of(periods[-1].end, grain))
    periods[-1].value_end = min(periods[-1].end, last + timedelta(microseconds=1))
    return periods


# --------------------------------------------------------------------------------------------
# Events and the per-customer lifecycle
# --------------------------------------------------------------------------------------------


@dataclass
class Event:
    position: int  # index in the input list
    customer_id: str
    ts: datetime
    event: str
    stage: str  # resolved
    revenue: Decimal
    segment: str | None
    is_value: bool
    is_churn: bool


@dataclass
class Customer:
    customer_id: str
    events: list[Event]  # ts <= as_of, in lifecycle order
    # Active intervals [start, end]; end None = still active at as_of. Activity covers an
    # instant t iff start < t <= end (see active_at).
    intervals: list[tuple[datetime, datetime | None]] = field(default_factory=list)

    @property
    def acquired_at(self) -> datetime | None:
        return self.intervals[0][0] if self.intervals else None

    @property
    def reactivations(self) -> list[datetime]:
        return [start for start, _ in self.intervals[1:]]

    @property
    def losses(self) -> list[datetime]:
        return [end for _, end in self.intervals if end is not None]


def lifecycle_order(event: Event) -> tuple:
    """Sort key: time, then value events, churn events, the rest; then input order."""
    group = 0 if event.is_value else 1 if event.is_churn else 2
    return (event.ts, group, event.position)


def active_intervals(events: list[Event], window: timedelta, as_of: datetime) -> list[tuple[datetime, datetime | None]]:
    """Run the lifecycle state machine over one customer's events (already in lifecycle order)."""
    intervals: list[tuple[datetime, datetime | None]] = []
    active = False
    start = window_end = None
    for event in events:
        t = event.ts
        if active and window_end < t:
            # The window ran out before this event with no value event in it: lost at its end.
            intervals.append((start, window_end))
            active = False
        if event.is_value:
            if not active:  # acquisition (first time) or reactivation
                start, active = t, True
            window_end = t + window
        elif event.is_churn and active:
            intervals.append((start, t))
            active = False
    if active:
        # A loss scheduled after as_of has not happened.
        intervals.append((start, window_end if window_end <= as_of else None))
    return intervals


def active_at(customer: Customer, t: datetime) -> bool:
    """State after everything strictly before t (a loss exactly at t is still active at t)."""
    return any(start < t and (end is None or t <= end) for start, end in customer.intervals)


def active_after_as_of(customer: Customer) -> bool:
    """Active after every event and loss up to as_of (the state at the end of the world)."""
    return bool(customer.intervals) and customer.intervals[-1][1] is None


def revenue_between(customer: Customer, low: datetime, high: datetime) -> Decimal:
    """Revenue of the customer's events with low <= ts < high."""
    return sum((e.revenue for e in customer.events if low <= e.ts < high), ZERO)


def value_at(customer: Customer, t: datetime) -> Decimal:
    """value_c(t): revenue in [t - 365 days, t) if active at t, else 0."""
    return revenue_between(customer, t - YEAR, t) if active_at(customer, t) else ZERO


def customer_segment(events: list[Event]) -> str | None:
    """Last non-empty segment by (ts, input order)."""
    segment = None
    for event in sorted(events, key=lambda e: (e.ts, e.position)):
        if event.segment:
            segment = event.segment
    return segment


# --------------------------------------------------------------------------------------------
# Classes and attribution
# --------------------------------------------------------------------------------------------

NEW, REACTIVATED, CHURNED, RETAINED, OTHER = "new", "reactivated", "churned", "retained", "other"


def classify(customer: Customer, period: Period) -> str:
    at_a = active_at(customer, period.start)
    at_b = active_at(customer, period.end)
    if at_a and at_b:
        return RETAINED
    if at_a:
        return CHURNED
    if at_b:
        return NEW if customer.acquired_at >= period.start else REACTIVATED
    return OTHER


def gained_at(customer: Customer, period: Period, cls: str, journey: Journey) -> str:
    if cls == NEW:
        moment = customer.acquired_at
    else:
        moment = max(t for t in customer.reactivations if period.holds(t))
    candidates = [e for e in customer.events if e.ts == moment and e.is_value]

    def earliest_stage_first(e: Event) -> tuple:
        rank = journey.rank(e.stage) if e.stage != UNMAPPED else len(journey.stages)
        return (rank, e.event)

    return min(candidates, key=earliest_stage_first).stage


def lost_at(customer: Customer, period: Period, journey: Journey) -> str:
    loss = max(t for t in customer.losses if period.holds(t))
    candidates = [e for e in customer.events if not e.is_churn and e.ts <= loss]
    if not candidates:
        return UNMAPPED
    return max(candidates, key=lambda e: (e.ts, journey.rank(e.stage), e.event)).stage


# --------------------------------------------------------------------------------------------
# The four tables
# --------------------------------------------------------------------------------------------


def movements_table(customers: list[Customer], periods: list[Period]) -> list[dict]:
    rows = []
    for p in periods:
        count = {NEW: 0, REACTIVATED: 0, CHURNED: 0}
        new_value = reactivation_value = expansion = contraction = churned_value = ZERO
        for c in customers:
            cls = classify(c, p)
            if cls in count:
                count[cls] += 1
            if cls == NEW:
                new_value += value_at(c, p.value_end)
            elif cls == REACTIVATED:
                reactivation_value += value_at(c, p.value_end)
            elif cls == CHURNED:
                churned_value += value_at(c, p.start)
            elif cls == RETAINED:
                change = value_at(c, p.value_end) - value_at(c, p.start)
                if change > 0:
                    expansion += change
                elif change < 0:
                    contraction += -change
        rows.append(
            {
                "period": p.label,
                "customers_start": sum(active_at(c, p.start) for c in customers),
                "new": count[NEW],
                "reactivated": count[REACTIVATED],
                "churned": count[CHURNED],
                "customers_end": sum(active_at(c, p.end) for c in customers),
                "value_start": sum((value_at(c, p.start) for c in customers), ZERO),
                "new_value": new_value,
                "reactivation_value": reactivation_value,
                "expansion": expansion,
                "contraction": contraction,
                "churned_value": churned_value,
                "value_end": sum((value_at(c, p.value_end) for c in customers), ZERO),
                "revenue": sum((revenue_between(c, p.start, p.end) for c in customers), ZERO),
            }
        )
    return rows


def stage_progress(customer: Customer, stage: str, journey: Journey):
    """(entry ts, first later-stage ts at or after entry or None), or None if never in stage."""
    in_stage = [e.ts for e in customer.events if e.stage == stage]
    if not in_stage:
        return None
    entry = min(in_stage)
    later = [
        e.ts
        for e in customer.events
        if e.stage != UNMAPPED and journey.rank(e.stage) > journey.rank(stage) and e.ts >= entry
    ]
    return entry, (min(later) if later else None)


def stage_table(customers: list[Customer], periods: list[Period], journey: Journey, k: int) -> list[dict]:
    all_stages = journey.stages + [UNMAPPED]
    # Gains and losses per (period index, stage) from the attribution rules.
    flows = {
        (i, s): {"gained": 0, "gained_value": ZERO, "lost": 0, "lost_value": ZERO}
        for i in range(len(periods))
        for s in all_stages
    }
    for i, p in enumerate(periods):
        for c in customers:
            cls = classify(c, p)
            if cls in (NEW, REACTIVATED):
                cell = flows[(i, gained_at(c, p, cls, journey))]
                cell["gained"] += 1
                cell["gained_value"] += value_at(c, p.value_end)
            elif cls == CHURNED:
                cell = flows[(i, lost_at(c, p, journey))]
                cell["lost"] += 1
                cell["lost_value"] += value_at(c, p.start)

    rows = []
    for i, p in enumerate(periods):
        for s in all_stages:
            entered, days_to_advance = 0, []
            if s != UNMAPPED:
                for c in customers:
                    progress = stage_progress(c, s, journey)
                    if progress is None or not p.holds(progress[0]):
                        continue
                    entered += 1
                    entry, advance = progress
                    if advance is not None:
                        days_to_advance.append((advance - entry).total_seconds() / 86400)
            f = flows[(i, s)]
            previous = [flows[(j, s)] for j in range(max(0, i - k), i)]
            if previous:
                n = len(previous)
                baseline_gained = sum(x["gained"] for x in previous) / n
                baseline_lost = sum(x["lost"] for x in previous) / n
                baseline_gained_value = sum((x["gained_value"] for x in previous), ZERO) / n
                baseline_lost_value = sum((x["lost_value"] for x in previous), ZERO) / n
                impact = (f["gained"] - baseline_gained) - (f["lost"] - baseline_lost)
                value_impact = (f["gained_value"] - baseline_gained_value) - (f["lost_value"] - baseline_lost_value)
            else:
                baseline_gained = baseline_lost = impact = value_impact = None
            rows.append(
                {
                    "period": p.label,
                    "stage": s,
                    "entered": entered,
                    "advanced": len(days_to_advance),
                    "conversion": len(days_to_advance) / entered if entered else None,
                    "median_days_to_advance": (float(statistics.median(days_to_advance)) if days_to_advance else None),
                    "gained": f["gained"],
                    "gained_value": f["gained_value"],
                    "lost": f["lost"],
                    "lost_value": f["lost_value"],
                    "net": f["gained"] - f["lost"],
                    "baseline_gained": baseline_gained,
                    "baseline_lost": baseline_lost,
                    "impact": impact,
                    "value_impact": value_impact,
                }
            )
    return rows


def risk_ratio_ci(a: float, n1: float, c: float, n0: float) -> tuple[float, float, float]:
    """Risk ratio and 95% log-method CI, adding 0.5 to every cell when one cell is zero."""
    if 0 in (a, n1 - a, c, n0 - c):
        a, c = a + 0.5, c + 0.5
        n1, n0 = n1 + 1, n0 + 1  # (a + .5) + (n1 - a + .5)
    rr = (a / n1) / (c / n0)
    half_width = Z_95 * math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    return rr, math.exp(math.log(rr) - half_width), math.exp(math.log(rr) + half_width)


def two_proportion_p_value(a: int, n1: int, c: int, n0: int) -> float:
    """Two-sided pooled two-proportion z-test."""
    pooled = (a + c) / (n1 + n0)
    if pooled in (0, 1):
        return 1.0
    z = (a / n1 - c / n0) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    return math.erfc(abs(z) / math.sqrt(2))


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    rank = {i: r + 1 for r, i in enumerate(order)}
    return [min(1.0, min(p_values[j] * m / rank[j] for j in range(m) if rank[j] >= rank[i])) for i in range(m)]


def drivers_table(customers: list[Customer], journey: Journey, as_of: datetime) -> list[dict]:
    acquired = [c for c in customers if c.acquired_at is not None]
    rows = []
    for s in journey.stages:
        events = sorted(set(journey.stage_events[s]) - journey.churn_events)
        # a churn event is the outcome itself: it does not put anyone into a stage's population
        population = [c for c in acquired if any(e.stage == s and e.event not in journey.churn_events for e in c.events)]
        for name in events:
            exposed = [c for c in population if any(e.stage == s and e.event == name for e in c.events)]
            exposed_ids = {c.customer_id for c in exposed}
            unexposed = [c for c in population if c.customer_id not in exposed_ids]
            a = sum(bool(c.losses) for c in exposed)
            cc = sum(bool(c.losses) for c in unexposed)
            n1, n0 = len(exposed), len(unexposed)
            if n1 >= MIN_GROUP and n0 >= MIN_GROUP:
                rr, low, high = risk_ratio_ci(a, n1, cc, n0)
                p_value = two_proportion_p_value(a, n1, cc, n0)
            else:
                rr = low = high = p_value = None
            still_active = [c for c in exposed if active_after_as_of(c)]
            at_stake = sum(
                (e.revenue for c in still_active for e in c.events if as_of - YEAR < e.ts <= as_of),
                ZERO,
            )
            rows.append(
                {
                    "stage": s,
                    "event": name,
                    "exposed": n1,
                    "exposed_lost": a,
                    "unexposed": n0,
                    "unexposed_lost": cc,
                    "risk_ratio": rr,
                    "ci_low": low,
                    "ci_high": high,
                    "p_value": p_value,
                    "q_value": None,
                    "customers_at_stake": len(still_active),
                    "value_at_stake": at_stake,
                }
            )
    tested = [r for r in rows if r["p_value"] is not None]
    for row, q in zip(tested, benjamini_hochberg([r["p_value"] for r in tested]), strict=True):
        row["q_value"] = q
    return rows


def cohorts_table(customers: list[Customer], periods: list[Period]) -> list[dict]:
    rows = []
    for i, p in enumerate(periods):
        cohort = [c for c in customers if c.acquired_at is not None and p.holds(c.acquired_at)]
        if not cohort:
            continue
        for k, later in enumerate(periods[i:]):
            active = sum(active_at(c, later.end) for c in cohort)
            rows.append(
                {
                    "cohort": p.label,
                    "periods_since": k,
                    "customers": len(cohort),
                    "active": active,
                    "retention": active / len(cohort),
                }
            )
    return rows


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def build_customers(events: list[dict], journey: Journey, window: timedelta, as_of: datetime) -> dict[str, Customer]:
    """Customers (prospects included) from the events with ts <= as_of, lifecycle computed."""
    by_customer: dict[str, list[Event]] = {}
    for position, raw in enumerate(events):
        if raw["ts"] > as_of:
            continue
        revenue = Decimal(raw["revenue"]) if raw.get("revenue") is not None else ZERO
        is_churn = raw["event"] in journey.churn_events
        event = Event(
            position=position,
            customer_id=raw["customer_id"],
            ts=raw["ts"],
            event=raw["event"],
            stage=journey.resolve(raw["event"], raw.get("stage")),
            revenue=revenue,
            segment=raw.get("segment"),
            is_value=revenue > 0 and not is_churn,
            is_churn=is_churn,
        )
        by_customer.setdefault(event.customer_id, []).append(event)
    customers = {}
    for customer_id, own in by_customer.items():
        own = sorted(own, key=lifecycle_order)
        customers[customer_id] = Customer(customer_id, own, active_intervals(own, window, as_of))
    return customers


def reference_model(
    events: list[dict],
    stage_map: dict,
    *,
    grain: str = "month",
    as_of: datetime | None = None,
    baseline: int | None = None,
    churn_after_days: int | None = None,
    segment: str | None = None,
) -> dict[str, list[dict]]:
    """Movements, stages, drivers and cohorts of an event log, by the rules of this module."""
    if grain not in ("month", "quarter"):
        raise ValueError(f"grain must be 'month' or 'quarter', not {grain!r}")
    journey = Journey.from_map(stage_map)
    if churn_after_days is None:
        churn_after_days = stage_map.get("churn_after_days", 90)
    if baseline is None:
        baseline = stage_map.get("baseline_periods", 3)
    window = timedelta(days=churn_after_days)

    empty = {"movements": [], "stages": [], "drivers": [], "cohorts": []}
    if as_of is None:
        if not events:
            return empty
        as_of = max(e["ts"] for e in events)
    seen = [e["ts"] for e in events if e["ts"] <= as_of]
    if not seen:
        return empty
    periods = periods_between(min(seen), as_of, grain)

    customers = list(build_customers(events, journey, window, as_of).values())
    if segment is not None:
        customers = [c for c in customers if customer_segment(c.events) == segment]

    return {
        "movements": movements_table(customers, periods),
        "stages": stage_table(customers, periods, journey, baseline),
        "drivers": drivers_table(customers, journey, as_of),
        "cohorts": cohorts_table(customers, periods),
    }
