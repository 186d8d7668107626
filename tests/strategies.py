"""Hypothesis strategies for random event logs and stage maps.

`event_logs()` draws `(events, stage_map, as_of)` in the shapes `reference_model` takes, so the
SQL tests can feed the same draws to both implementations and compare.

The draws are built to hit the contract's edges often:
- timestamps sit on a coarse grid (whole days, at 00:00 or 12:00) over ~8 months, so ties on
  time, events exactly at a window end (W is a whole number of days) and events exactly at a
  period boundary (the 1st at 00:00) are common;
- revenues include 0, negative refunds and non-integer amounts; churn events may carry revenue;
- data stages are mostly None, sometimes "", a stage of the map, or one it does not know;
- segments are optional and may change over a customer's events;
- `as_of` is either None (the latest event) or a grid instant that may cut the log anywhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

START = datetime(2026, 1, 1)
DAYS = 240  # about 8 months

STAGE_NAMES = ["Discover", "Evaluate", "Buy", "Onboard", "Use", "Renew", "Advocate"]
EVENT_NAMES = [
    "ad_click",
    "site_visit",
    "trial_start",
    "purchase",
    "onboarding_call",
    "login",
    "support_ticket",
    "renewal",
    "upgrade",
    "refund",
    "cancel",
    "referral",
]
CHURN_CANDIDATES = ["cancel", "refund"]
REVENUES = [Decimal(x) for x in ("0", "0", "0", "10", "25", "100", "12.50", "-5", "-30")]
SEGMENTS = ["smb", "enterprise"]


@st.composite
def stage_maps(draw) -> dict:
    """1 to 5 stages in a random journey order; each event listed under at most one stage."""
    names = draw(st.lists(st.sampled_from(STAGE_NAMES), min_size=1, max_size=5, unique=True))
    listed = draw(st.lists(st.sampled_from(EVENT_NAMES), max_size=len(EVENT_NAMES), unique=True))
    owner = {event: draw(st.sampled_from(names)) for event in listed}
    churn_events = draw(st.lists(st.sampled_from(CHURN_CANDIDATES), max_size=2, unique=True))
    return {
        "stages": [
            {
                "name": name,
                "goal": f"I want to {name.lower()}.",
                "events": [e for e in listed if owner[e] == name],
            }
            for name in names
        ],
        "churn_events": churn_events,
        "friction_events": ["support_ticket"],
        "churn_after_days": draw(st.integers(min_value=1, max_value=60)),
        "baseline_periods": draw(st.integers(min_value=1, max_value=4)),
    }


def grid_instants() -> st.SearchStrategy[datetime]:
    return st.builds(
        lambda day, half: START + timedelta(days=day, hours=12 * half),
        st.integers(min_value=0, max_value=DAYS),
        st.integers(min_value=0, max_value=1),
    )


@st.composite
def event_logs(draw, max_customers: int = 8, max_events: int = 25):
    """(events, stage_map, as_of): 1-8 customers with 0-25 events each, as_of None or a time."""
    stage_map = draw(stage_maps())
    stage_names = [s["name"] for s in stage_map["stages"]]
    data_stages = st.one_of(
        st.none(),
        st.none(),
        st.none(),
        st.just(""),
        st.sampled_from(stage_names),
        st.just("Nowhere"),  # a stage the map does not know: the map's stage for the event
    )
    n_customers = draw(st.integers(min_value=1, max_value=max_customers))
    events = []
    for i in range(n_customers):
        for _ in range(draw(st.integers(min_value=0, max_value=max_events))):
            events.append(
                {
                    "customer_id": f"c{i}",
                    "ts": draw(grid_instants()),
                    "event": draw(st.sampled_from(EVENT_NAMES)),
                    "stage": draw(data_stages),
                    "revenue": draw(st.sampled_from(REVENUES)),
                    "segment": draw(st.one_of(st.none(), st.just(""), st.sampled_from(SEGMENTS))),
                }
            )
    # Interleave customers (the input order matters only for ties the rules settle by it).
    events = draw(st.permutations(events))
    as_of = draw(st.one_of(st.none(), grid_instants()))
    return list(events), stage_map, as_of
