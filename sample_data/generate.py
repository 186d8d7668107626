#!/usr/bin/env python3
"""Generate the Journey Ledger sample dataset: the event export of "Ledgerly".

Ledgerly is a fictional subscription bookkeeping app sold to three personas
(Solo maker, Growing team, Enterprise). It launched on the first day of the data
(2024-11-01 by default), so the export starts with nobody and grows. Every person,
customer or prospect who never pays, is simulated from first visit to last event;
``sample_data/README.md`` describes the business rules and the planted effects.

Usage::

    python sample_data/generate.py [--customers N] [--months 24] [--start 2024-11-01]
                                   [--seed S] [--usage 1.0] [--out PATH]

``--out`` ending in ``.gz`` writes gzip (with a fixed header, so the same seed gives
byte-identical files). Default: ``sample_data/events.csv.gz`` next to this file.

Library use::

    from sample_data.generate import generate, write_csv
    for row in generate(customers=5000):  # tuples in CSV column order
        ...

Performance: people are simulated with numpy in chunks, then all events are kept as
compact arrays (about 14 bytes per event) and sorted once by (timestamp, customer_id);
rows are formatted lazily in blocks. 10 million events take about a minute and well
under 1 GB of memory. Same arguments give the same events on any machine with the same
numpy bit generator (PCG64).
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import sys
import time
from collections.abc import Iterator

import numpy as np

DEFAULT_SEED = 20261123
DEFAULT_CUSTOMERS = 5000
DEFAULT_MONTHS = 24
DEFAULT_START = "2024-11-01"

COLUMNS = ("customer_id", "timestamp", "event", "revenue", "segment", "channel", "satisfaction")

# Planted effects (absolute dates, UTC). See README.md "Planted effects".
DUNNING_FIX = "2025-09-01"  # renewal reminders + card updater: failed payments rarely end in cancel
ONBOARDING_BREAK = "2026-03-01"  # setup wizard breaks for Solo makers still onboarding
BREAK_REACH_DAYS = 24  # ...which includes first purchases from 24 days before the break (2026-02-05)

MIN = 60.0
HOUR = 3600.0
DAY = 86400.0
MONTH = 30.4375 * DAY

# Every event with its journey stage, in journey order (mirrors stages.toml).
EVENTS = (
    ("ad_click", "Discover"),
    ("site_visit", "Discover"),
    ("webinar_signup", "Discover"),
    ("referral_visit", "Discover"),
    ("trial_start", "Evaluate"),
    ("demo_request", "Evaluate"),
    ("pricing_view", "Evaluate"),
    ("case_study_download", "Evaluate"),
    ("purchase", "Buy"),
    ("checkout_error", "Buy"),
    ("onboarding_call", "Onboard"),
    ("setup_complete", "Onboard"),
    ("setup_error", "Onboard"),
    ("welcome_email_open", "Onboard"),
    ("login", "Use"),
    ("feature_use", "Use"),
    ("support_ticket", "Use"),
    ("complaint", "Use"),
    ("payment", "Renew"),
    ("renewal", "Renew"),
    ("upgrade", "Renew"),
    ("downgrade", "Renew"),
    ("refund", "Renew"),
    ("payment_failed", "Renew"),
    ("cancel", "Renew"),
    ("review_posted", "Advocate"),
    ("referral_sent", "Advocate"),
    ("nps_response", "Advocate"),
)
EVENT_NAMES = tuple(name for name, _ in EVENTS)
EVENT_STAGE = dict(EVENTS)
E = {name: code for code, name in enumerate(EVENT_NAMES)}

PERSONAS = ("Solo maker", "Growing team", "Enterprise")
SOLO, TEAM, ENT = 0, 1, 2
CHANNELS = ("web", "email", "phone", "in_app", "partner")
WEB, EMAIL, PHONE, IN_APP, PARTNER = range(5)

# --- business parameters (per persona: Solo maker, Growing team, Enterprise) -------------
PERSONA_SHARE = (0.52, 0.33, 0.15)
P_EVALUATE = (0.84, 0.86, 0.86)  # a Discover-only visitor never evaluates
P_BUY_GIVEN_EVAL = (0.76, 0.74, 0.68)
EVAL_DAYS = ((3, 20), (5, 30), (14, 60))  # evaluation length before purchase (uniform)
P_TRIAL = (0.85, 0.70, 0.25)
P_DEMO = (0.04, 0.35, 0.85)
P_CASE_STUDY = (0.08, 0.25, 0.55)
P_ANNUAL = (0.20, 0.28, 0.40)
MONTHLY_CENTS = np.array([2900, 9900, 49900], np.int64)
UPGRADE_CENTS = np.array([5900, 19900, 99900], np.int64)
DOWNGRADE_CENTS = np.array([1900, 5900, 29900], np.int64)
ANNUAL_FACTOR = 10  # an annual plan costs 10 months
P_UPGRADE = (0.16, 0.18, 0.10)
P_DOWNGRADE = (0.06, 0.07, 0.05)  # monthly plans only
CHURN_PER_MONTH = np.array([0.024, 0.016, 0.009])  # voluntary hazard, monthly plans
ANNUAL_CHURN_FACTOR = 0.55
COMPLAINER_SHARE = 0.09
COMPLAINER_CHURN_FACTOR = 5.5
TICKETER_SHARE = 0.40
TICKETER_CHURN_FACTOR = 1.15
REACTIVATED_CHURN_FACTOR = 1.3
P_PAYMENT_FAIL = (0.045, 0.060)  # per due payment: (monthly, annual)
P_FAIL_FATAL = (0.60, 0.05)  # share of failure episodes ending in cancel: before / from DUNNING_FIX
P_ONBOARD_QUIT = 0.03  # first purchases that give up during onboarding
# Solo makers onboarding while the setup wizard is broken; it gets worse as the faulty release
# reaches more users: onboarding starting in the break month, the next month, and from then on.
P_ONBOARD_QUIT_BROKEN = (0.42, 0.48, 0.56)
P_SETUP_ERROR = (0.16, 0.14, 0.18)
P_SETUP_ERROR_BROKEN = 0.85
P_REMORSE = 0.012  # cancel within 3 days of the first purchase (lost at Buy)
LOGINS_PER_DAY = np.array([0.11, 0.17, 0.24])
FEATURES_PER_LOGIN = 0.55
P_ONBOARDING_CALL = (0.22, 0.60, 0.95)
# How a voluntary leaver's last days look: Use event, a payment (Renew), an NPS detractor
# answer (Advocate), or silence (no cancel: lost when the W window runs out).
LEAVE_KIND_P = (0.72, 0.15, 0.06, 0.07)
P_REACTIVATE = {"involuntary": 0.22, "onboarding": 0.06, "other": 0.10}

CSAT_HAPPY = (0.03, 0.06, 0.14, 0.37, 0.40)  # scores 1..5
CSAT_UNHAPPY = (0.30, 0.30, 0.22, 0.13, 0.05)
NPS_HAPPY = (0.0, 0.0, 0.01, 0.01, 0.02, 0.04, 0.07, 0.15, 0.25, 0.25, 0.20)  # scores 0..10
NPS_UNHAPPY = (0.10, 0.10, 0.12, 0.13, 0.15, 0.15, 0.12, 0.08, 0.08, 0.04, 0.03)
NPS_DETRACTOR = (0.15, 0.20, 0.25, 0.25, 0.15)  # scores 0..4

# Channel mix per event: (web, email, phone, in_app, partner); Enterprise overrides below.
_CHANNEL_MIX = {
    "ad_click": (1, 0, 0, 0, 0),
    "site_visit": (1, 0, 0, 0, 0),
    "webinar_signup": (0.4, 0.6, 0, 0, 0),
    "referral_visit": (0.3, 0, 0, 0, 0.7),
    "trial_start": (0.9, 0, 0, 0.1, 0),
    "demo_request": (0.55, 0.1, 0.25, 0, 0.1),
    "pricing_view": (0.85, 0, 0, 0.15, 0),
    "case_study_download": (0.6, 0.4, 0, 0, 0),
    "purchase": (0.85, 0, 0.05, 0.1, 0),
    "checkout_error": (0.85, 0, 0, 0.15, 0),
    "onboarding_call": (0, 0, 1, 0, 0),
    "setup_complete": (0.2, 0, 0, 0.8, 0),
    "setup_error": (0.2, 0, 0, 0.8, 0),
    "welcome_email_open": (0, 1, 0, 0, 0),
    "login": (0.55, 0, 0, 0.45, 0),
    "feature_use": (0.3, 0, 0, 0.7, 0),
    "support_ticket": (0.15, 0.45, 0.25, 0.15, 0),
    "complaint": (0.1, 0.4, 0.5, 0, 0),
    "payment": (1, 0, 0, 0, 0),
    "renewal": (0.9, 0, 0, 0, 0.1),
    "upgrade": (0.4, 0, 0.1, 0.5, 0),
    "downgrade": (0.5, 0, 0.1, 0.4, 0),
    "refund": (0.2, 0.5, 0.3, 0, 0),
    "payment_failed": (0, 1, 0, 0, 0),
    "cancel": (0.45, 0.15, 0.15, 0.25, 0),
    "review_posted": (1, 0, 0, 0, 0),
    "referral_sent": (0, 0.6, 0, 0.4, 0),
    "nps_response": (0, 0.6, 0, 0.4, 0),
}
_CHANNEL_MIX_ENT = {
    "ad_click": (1, 0, 0, 0, 0),
    "purchase": (0.3, 0, 0.35, 0, 0.35),
    "renewal": (0.4, 0.2, 0.2, 0, 0.2),
    "payment": (0.7, 0.3, 0, 0, 0),
    "demo_request": (0.3, 0.1, 0.3, 0, 0.3),
    "cancel": (0.2, 0.3, 0.4, 0.1, 0),
    "support_ticket": (0.05, 0.45, 0.4, 0.1, 0),
}


def _channel_cdf() -> np.ndarray:
    """Cumulative channel probabilities, shape (event, persona, channel)."""
    cdf = np.zeros((len(EVENT_NAMES), len(PERSONAS), len(CHANNELS)))
    for code, name in enumerate(EVENT_NAMES):
        for p in range(len(PERSONAS)):
            mix = _CHANNEL_MIX_ENT.get(name, _CHANNEL_MIX[name]) if p == ENT else _CHANNEL_MIX[name]
            w = np.asarray(mix, float)
            cdf[code, p] = np.cumsum(w / w.sum())
    cdf[:, :, -1] = 1.0
    return cdf


_CHANNEL_CDF = _channel_cdf()


def _pick(rng: np.random.Generator, n: int, probs) -> np.ndarray:
    """n draws of an index with the given probabilities."""
    cdf = np.cumsum(np.asarray(probs, float))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def _by_persona(values, pers: np.ndarray) -> np.ndarray:
    return np.asarray(values)[pers]


class _Events:
    """Collects event columns of one chunk; times are float seconds since the start."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, who, t, ev, rev=0, sat=-1) -> None:
        who = np.asarray(who, np.int64)
        n = who.size
        if n == 0:
            return
        self.parts.append(
            (
                who,
                np.asarray(t, float).reshape(n),
                np.broadcast_to(np.asarray(ev, np.int8), (n,)),
                np.broadcast_to(np.asarray(rev, np.int64), (n,)),
                np.broadcast_to(np.asarray(sat, np.int8), (n,)),
            )
        )

    def arrays(self):
        cols = [np.concatenate([p[i] for p in self.parts]) for i in range(5)]
        return cols


class _World:
    """Calendar of one run: start, end and the planted-effect dates in seconds."""

    def __init__(self, start: str, months: int, usage: float = 1.0) -> None:
        self.usage = usage  # multiplier on logins and feature use per day (the bulk of a log)
        self.t0 = np.datetime64(start, "s")
        self.t0_month = self.t0.astype("datetime64[M]")
        if self.t0_month.astype("datetime64[s]") != self.t0:
            raise ValueError(f"start must be the first day of a month, got {start!r}")
        self.months = months
        month_starts = (self.t0_month + np.arange(months + 1)).astype("datetime64[s]")
        self.month_start = (month_starts - self.t0).astype(np.int64).astype(float)
        self.month_of_year = (self.t0_month + np.arange(months)).astype(int) % 12 + 1
        self.end = self.month_start[-1]
        self.fix = self._sec(DUNNING_FIX)
        self.brk = self._sec(ONBOARDING_BREAK)
        brk_month = np.datetime64(ONBOARDING_BREAK, "M")
        self.brk_next = [float(((brk_month + i).astype("datetime64[s]") - self.t0).astype(np.int64)) for i in (1, 2)]

    def _sec(self, day: str) -> float:
        return float((np.datetime64(day, "s") - self.t0).astype(np.int64))

    def add_months(self, t: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Same day of month (capped at the 28th) k months after t, at midnight."""
        dt = self.t0 + np.floor(t).astype(np.int64).astype("timedelta64[s]")
        month = dt.astype("datetime64[M]")
        day = (dt.astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)
        due = (month + k.astype("timedelta64[M]")).astype("datetime64[D]") + np.minimum(day, 27).astype(
            "timedelta64[D]"
        )
        return (due.astype("datetime64[s]") - self.t0).astype(np.int64).astype(float)


def _arrivals(rng: np.random.Generator, world: _World, n: int) -> np.ndarray:
    """First-touch times of n people: growing over time, with a January bump."""
    m = np.arange(world.months)
    weight = 1.0 + 0.8 * m / max(world.months - 1, 1)
    weight = weight * np.where(world.month_of_year == 1, 1.4, 1.0) * np.where(world.month_of_year == 12, 0.9, 1.0)
    month = _pick(rng, n, weight)
    a, b = world.month_start[month], world.month_start[month + 1]
    return np.sort(a + rng.random(n) * (b - a))


def _uniform(rng, lo, hi, n=None):
    lo = np.asarray(lo, float)
    hi = np.asarray(hi, float)
    size = n if n is not None else np.broadcast(lo, hi).shape
    return lo + rng.random(size) * (hi - lo)


def _spread(rng, lo: np.ndarray, hi: np.ndarray, counts: np.ndarray):
    """counts[i] uniform times in [lo[i], hi[i]); returns (owner index, times)."""
    owner = np.repeat(np.arange(len(counts)), counts)
    return owner, lo[owner] + rng.random(owner.size) * (hi[owner] - lo[owner])


# Life outcome kinds
SURVIVE, ONBOARD_QUIT, REMORSE, INVOLUNTARY, LEAVE_USE, LEAVE_RENEW, LEAVE_ADVOCATE, SILENT = range(8)


def _simulate_chunk(rng: np.random.Generator, world: _World, arrivals: np.ndarray):
    """Simulate the people of one chunk; returns (who, t, event, revenue, satisfaction, persona)."""
    n = arrivals.size
    ev = _Events()
    pers = _pick(rng, n, PERSONA_SHARE)
    complainer = rng.random(n) < COMPLAINER_SHARE
    ticketer = rng.random(n) < TICKETER_SHARE
    activity = rng.lognormal(0.0, 0.45, n)

    # ---- Discover ---------------------------------------------------------------------
    n_disc = 1 + np.minimum(rng.poisson(1.0, n), 5)
    who = np.repeat(np.arange(n), n_disc)
    first = np.r_[True, who[1:] != who[:-1]]
    gaps = np.where(first, 0.0, rng.exponential(2 * DAY, who.size) + 5 * MIN)
    t = arrivals[who] + _cumsum_by_group(gaps, who)
    kind = np.where(
        first,
        np.choose(
            _pick_by_persona(
                rng, pers[who], ((0.38, 0.32, 0.12, 0.18), (0.30, 0.33, 0.17, 0.20), (0.15, 0.30, 0.30, 0.25))
            ),
            [E["ad_click"], E["site_visit"], E["webinar_signup"], E["referral_visit"]],
        ),
        np.choose(_pick(rng, who.size, (0.2, 0.7, 0.1)), [E["ad_click"], E["site_visit"], E["webinar_signup"]]),
    )
    ev.add(who, t, kind)
    last_disc = np.zeros(n)
    np.maximum.at(last_disc, who, t)

    # ---- Evaluate ---------------------------------------------------------------------
    evaluates = rng.random(n) < _by_persona(P_EVALUATE, pers)
    e0 = last_disc + rng.exponential(3 * DAY, n) + 30 * MIN
    lo, hi = np.asarray(EVAL_DAYS, float)[pers].T
    e_end = e0 + _uniform(rng, lo, hi) * DAY
    idx = np.flatnonzero(evaluates & (rng.random(n) < _by_persona(P_TRIAL, pers)))
    ev.add(idx, e0[idx], E["trial_start"])
    idx = np.flatnonzero(evaluates & (rng.random(n) < _by_persona(P_DEMO, pers)))
    ev.add(idx, e0[idx] + _uniform(rng, 0, 3 * DAY, idx.size), E["demo_request"])
    cnt = np.where(evaluates, 1 + rng.poisson(1.0, n), 0)
    owner, tt = _spread(rng, e0, e_end, cnt)
    ev.add(owner, tt, E["pricing_view"])
    idx = np.flatnonzero(evaluates & (rng.random(n) < _by_persona(P_CASE_STUDY, pers)))
    ev.add(idx, _uniform(rng, e0[idx], e_end[idx]), E["case_study_download"])

    # ---- Buy --------------------------------------------------------------------------
    buys = evaluates & (rng.random(n) < _by_persona(P_BUY_GIVEN_EVAL, pers))
    purchase_t = e_end + _uniform(rng, 10 * MIN, DAY, n)
    buys &= purchase_t < world.end
    idx = np.flatnonzero(buys & (rng.random(n) < 0.06))
    ev.add(idx, purchase_t[idx] - _uniform(rng, 2 * MIN, 3 * HOUR, idx.size), E["checkout_error"])
    idx = np.flatnonzero(evaluates & ~buys & (rng.random(n) < 0.03))
    ev.add(idx, e_end[idx], E["checkout_error"])

    buyers = np.flatnonzero(buys)
    annual = rng.random(buyers.size) < _by_persona(P_ANNUAL, pers[buyers])
    lives = {
        "who": buyers,
        "s": purchase_t[buyers],
        "annual": annual,
        "first": np.ones(buyers.size, bool),
    }
    for _generation in range(4):
        if lives["who"].size == 0:
            break
        lives = _simulate_lives(rng, world, ev, lives, pers, complainer, ticketer, activity)

    who, t, code, rev, sat = ev.arrays()
    keep = (t >= 0) & (t < world.end)
    return who[keep], t[keep], code[keep], rev[keep], sat[keep], pers


def _cumsum_by_group(x: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running sum of x restarting at each new group (group sorted)."""
    c = np.cumsum(x)
    start = np.r_[True, group[1:] != group[:-1]]
    base = np.repeat(c[start] - x[start], np.diff(np.r_[np.flatnonzero(start), x.size]))
    return c - base


def _pick_by_persona(rng, pers: np.ndarray, table) -> np.ndarray:
    cdf = np.cumsum(np.asarray(table, float), axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(pers.size)
    return np.minimum((cdf[pers] <= u[:, None]).sum(axis=1), cdf.shape[1] - 1)


def _score(rng, n: int, probs, low: int) -> np.ndarray:
    return (low + _pick(rng, n, probs)).astype(np.int8)


def _simulate_lives(rng, world: _World, ev: _Events, lives: dict, pers, complainer, ticketer, activity) -> dict:
    """One paid life per row: purchase, onboarding, use, billing, advocacy and how it ends.

    Returns the lives that start later by a reactivation purchase.
    """
    who, s, annual, first = lives["who"], lives["s"], lives["annual"], lives["first"]
    L = who.size
    lp = pers[who]
    lc = complainer[who]
    lt = ticketer[who]
    base = MONTHLY_CENTS[lp] * np.where(annual, ANNUAL_FACTOR, 1)
    pay_code = np.where(annual, E["renewal"], E["payment"]).astype(np.int8)
    end = world.end

    ev.add(who, s, E["purchase"], base)

    # ---- billing calendar: due dates after the purchase ---------------------------------
    span = end - s
    k_max = np.where(annual, np.floor(span / (365 * DAY)) + 1, np.floor(span / (26 * DAY)) + 2).astype(np.int64)
    k_max = np.maximum(k_max, 0)
    life = np.repeat(np.arange(L), k_max)
    k = np.arange(life.size) - np.repeat(np.cumsum(k_max) - k_max, k_max) + 1
    due = np.empty(life.size)
    a = annual[life]
    due[a] = s[life[a]] + k[a] * 365 * DAY + _uniform(rng, 0, 2 * HOUR, int(a.sum()))
    m = ~a
    due[m] = (
        world.add_months(s[life[m]], k[m])
        + rng.integers(-1, 2, int(m.sum())) * DAY
        + _uniform(rng, 0, 6 * HOUR, int(m.sum()))
    )
    keep = due < end
    life, k, due = life[keep], k[keep], due[keep]
    n_due = np.bincount(life, minlength=L)
    off = np.cumsum(n_due) - n_due

    # ---- voluntary churn time and failed payments -----------------------------------------
    hazard = CHURN_PER_MONTH[lp] * np.where(annual, ANNUAL_CHURN_FACTOR, 1.0)
    hazard = hazard * np.where(lc, COMPLAINER_CHURN_FACTOR, 1.0) * np.where(lt, TICKETER_CHURN_FACTOR, 1.0)
    hazard = hazard * np.where(first, 1.0, REACTIVATED_CHURN_FACTOR)
    t_v = s + rng.exponential(1.0, L) / hazard * MONTH

    fail = rng.random(due.size) < np.where(annual[life], P_PAYMENT_FAIL[1], P_PAYMENT_FAIL[0])
    fatal_p = np.where(due < world.fix, P_FAIL_FATAL[0], P_FAIL_FATAL[1])
    fatal = fail & (rng.random(due.size) < fatal_p) & (due < t_v[life])
    d_fatal = np.full(L, np.inf)
    fi = np.flatnonzero(fatal)
    if fi.size:
        uniq, firsts = np.unique(life[fi], return_index=True)
        d_fatal[uniq] = due[fi[firsts]]

    # ---- how the life ends ---------------------------------------------------------------
    # Solo makers still onboarding on the break day hit the broken setup wizard from then on
    broken = (lp == SOLO) & (s >= world.brk - BREAK_REACH_DAYS * DAY) & first
    o = np.where(broken, np.maximum(s, world.brk), s)  # when their onboarding (errors) starts
    kind = np.full(L, SURVIVE)
    u = rng.random(L)
    p_quit = np.select(
        [o < world.brk_next[0], o < world.brk_next[1]], P_ONBOARD_QUIT_BROKEN[:2], P_ONBOARD_QUIT_BROKEN[2]
    )
    onb = first & (u < np.where(broken, p_quit, P_ONBOARD_QUIT))
    remorse = first & ~onb & (rng.random(L) < P_REMORSE)
    kind[onb] = ONBOARD_QUIT
    kind[remorse] = REMORSE
    open_ = kind == SURVIVE
    inv = open_ & (d_fatal < t_v) & (d_fatal < end)
    kind[inv] = INVOLUNTARY
    vol = open_ & ~inv & (t_v < end)
    leave = np.array([LEAVE_USE, LEAVE_RENEW, LEAVE_ADVOCATE, SILENT])[_pick(rng, L, LEAVE_KIND_P)]
    kind[vol] = leave[vol]
    # a Renew leaver cancels right after a payment: the last one due at or before t_v
    n_before = np.bincount(life[due <= t_v[life]], minlength=L)
    no_payment_yet = (kind == LEAVE_RENEW) & (n_before == 0)
    kind[no_payment_yet] = LEAVE_USE
    renew_idx = off + n_before - 1  # valid where kind == LEAVE_RENEW

    stop = np.full(L, end)  # regular activity happens in [s, stop)
    cancel_t = np.full(L, np.inf)
    final_t = np.full(L, np.nan)
    for kd in (ONBOARD_QUIT, REMORSE):
        stop[kind == kd] = s[kind == kd]
    # onboarding quitters: before the first renewal normally; 2-5 weeks into a broken setup
    sel = (kind == ONBOARD_QUIT) & ~broken
    cancel_t[sel] = s[sel] + _uniform(rng, 10 * DAY, 27 * DAY, int(sel.sum()))
    sel = (kind == ONBOARD_QUIT) & broken
    cancel_t[sel] = o[sel] + _uniform(rng, 18 * DAY, 36 * DAY, int(sel.sum()))
    sel = kind == ONBOARD_QUIT
    final_t[sel] = cancel_t[sel] - _uniform(rng, 2 * HOUR, 3 * DAY, int(sel.sum()))
    sel = kind == REMORSE
    cancel_t[sel] = s[sel] + _uniform(rng, HOUR, 72 * HOUR, int(sel.sum()))
    sel = kind == INVOLUNTARY
    stop[sel] = d_fatal[sel]
    sel = np.isin(kind, (LEAVE_USE, LEAVE_ADVOCATE))
    final_t[sel] = np.maximum(t_v[sel] - _uniform(rng, HOUR, 72 * HOUR, int(sel.sum())), s[sel] + 20 * MIN)
    cancel_t[sel] = np.maximum(t_v[sel], final_t[sel] + HOUR)
    stop[sel] = final_t[sel]
    sel = kind == LEAVE_RENEW
    final_t[sel] = due[renew_idx[sel]]
    stop[sel] = final_t[sel]
    cancel_t[sel] = final_t[sel] + _uniform(rng, 2 * DAY, 6 * DAY, int(sel.sum()))
    sel = kind == SILENT
    stop[sel] = t_v[sel]

    # payments go on until the last touch; an onboarding quitter may pay once before giving up
    pay_stop = np.where(kind == ONBOARD_QUIT, final_t, stop)

    # ---- plan changes: one upgrade or downgrade at most --------------------------------------
    regular = due < pay_stop[life]
    n_reg = np.bincount(life[regular], minlength=L)
    u = rng.random(L)
    p_up = _by_persona(P_UPGRADE, lp)
    p_down = np.where(annual, 0.0, _by_persona(P_DOWNGRADE, lp))
    change = np.where(u < p_up, 1, np.where(u < p_up + p_down, -1, 0)) * ((n_reg >= 1) & (kind != ONBOARD_QUIT))
    kc = 1 + np.floor(rng.random(L) * np.maximum(n_reg, 1)).astype(np.int64)  # change before due kc
    price_after = np.where(change > 0, UPGRADE_CENTS[lp], np.where(change < 0, DOWNGRADE_CENTS[lp], MONTHLY_CENTS[lp]))
    price_after = price_after * np.where(annual, ANNUAL_FACTOR, 1)
    ci = np.flatnonzero(change != 0)
    nxt = due[off[ci] + kc[ci] - 1]
    prev = np.where(kc[ci] >= 2, due[np.maximum(off[ci] + kc[ci] - 2, 0)], s[ci])
    phi = _uniform(rng, 0.1, 0.9, ci.size)
    change_t = nxt - phi * (nxt - prev)
    up = change[ci] > 0
    prorata = np.round((price_after[ci] - base[ci]) * phi).astype(np.int64)
    ev.add(who[ci[up]], change_t[up], E["upgrade"], prorata[up])
    ev.add(who[ci[~up]], change_t[~up], E["downgrade"], 0)
    price_of_due = np.where((change[life] != 0) & (k >= kc[life]), price_after[life], base[life])

    # ---- regular payments (failed ones are retried and recovered) -------------------------
    ok = regular & ~fail
    pay_t = due[ok]
    ev.add(who[life[ok]], pay_t, pay_code[life[ok]], price_of_due[ok])
    fi = np.flatnonzero(regular & fail)
    second = rng.random(fi.size) < 0.4
    t1 = due[fi]
    t2 = t1 + _uniform(rng, 2.5 * DAY, 3.5 * DAY, fi.size)
    rec = np.where(second, t2, t1) + _uniform(rng, 0.5 * DAY, 3 * DAY, fi.size)
    lim = pay_stop[life[fi]]
    ev.add(who[life[fi]], t1, E["payment_failed"])
    sec = second & (t2 < lim)
    ev.add(who[life[fi[sec]]], t2[sec], E["payment_failed"])
    r_ok = rec < lim
    ev.add(who[life[fi[r_ok]]], rec[r_ok], pay_code[life[fi[r_ok]]], price_of_due[fi[r_ok]])
    pay_t = np.r_[pay_t, rec[r_ok]]
    pay_life = np.r_[life[ok], life[fi[r_ok]]]
    pay_amt = np.r_[price_of_due[ok], price_of_due[fi[r_ok]]]
    # refunds: a few % of payments, full or half
    ri = np.flatnonzero(rng.random(pay_t.size) < 0.025)
    rt = pay_t[ri] + _uniform(rng, DAY, 10 * DAY, ri.size)
    amt = np.where(rng.random(ri.size) < 0.7, pay_amt[ri], pay_amt[ri] // 2)
    r_ok = rt < pay_stop[pay_life[ri]]
    ev.add(who[pay_life[ri[r_ok]]], rt[r_ok], E["refund"], -amt[r_ok])

    # ---- onboarding (first lives) ------------------------------------------------------------
    onboard = first & (kind != REMORSE)
    quit_ = kind == ONBOARD_QUIT
    lim = np.where(quit_, final_t, stop)  # onboarding events must come before this
    idx = np.flatnonzero(onboard & (rng.random(L) < 0.85))
    tt = s[idx] + _uniform(rng, 5 * MIN, 48 * HOUR, idx.size)
    ok = tt < lim[idx]
    ev.add(who[idx[ok]], tt[ok], E["welcome_email_open"])
    idx = np.flatnonzero(onboard & (rng.random(L) < _by_persona(P_ONBOARDING_CALL, lp)))
    tt = s[idx] + _uniform(rng, DAY, 10 * DAY, idx.size)
    sad = (broken[idx] & (tt >= world.brk)) | quit_[idx]
    sat = np.where(rng.random(idx.size) < 0.8, 0, -1).astype(np.int8)
    score = np.where(sad, _score(rng, idx.size, CSAT_UNHAPPY, 1), _score(rng, idx.size, CSAT_HAPPY, 1))
    sat = np.where(sat == 0, score, sat).astype(np.int8)
    ok = tt < lim[idx]
    ev.add(who[idx[ok]], tt[ok], E["onboarding_call"], 0, sat[ok])
    p_err = np.where(broken, P_SETUP_ERROR_BROKEN, _by_persona(P_SETUP_ERROR, lp))
    p_err = np.where(quit_, np.maximum(p_err, 0.5), p_err)
    has_err = onboard & (rng.random(L) < p_err)
    n_err = np.where(has_err, 1 + rng.poisson(np.where(broken, 1.2, 0.3)), 0)
    owner, tt = _spread(rng, o + HOUR, o + 8 * DAY, n_err)
    ok = tt < lim[owner]
    ev.add(who[owner[ok]], tt[ok], E["setup_error"])
    last_err = np.full(L, -np.inf)
    np.maximum.at(last_err, owner[ok], tt[ok])
    idx = np.flatnonzero(onboard & ~quit_ & (rng.random(L) < 0.92))
    tt = np.maximum(s[idx], last_err[idx]) + _uniform(rng, HOUR, np.where(np.isfinite(last_err[idx]), 3, 7) * DAY)
    ok = tt < lim[idx]
    ev.add(who[idx[ok]], tt[ok], E["setup_complete"])
    # the onboarding quitter's last touch before the cancel is an Onboard event
    idx = np.flatnonzero(quit_)
    last = np.choose(
        _pick(rng, idx.size, (0.7, 0.2, 0.1)), [E["setup_error"], E["onboarding_call"], E["welcome_email_open"]]
    )
    last = np.where(has_err[idx] | broken[idx], E["setup_error"], last)
    sat = np.where(
        (last == E["onboarding_call"]) & (rng.random(idx.size) < 0.8), _score(rng, idx.size, CSAT_UNHAPPY, 1), -1
    )
    ev.add(who[idx], final_t[idx], last, 0, sat)
    ev.add(who[idx], cancel_t[idx], E["cancel"])
    an = idx[annual[idx]]  # annual quitters get their money back after cancelling
    ev.add(who[an], cancel_t[an] + _uniform(rng, HOUR, 3 * DAY, an.size), E["refund"], -base[an])
    idx = np.flatnonzero(~first & (rng.random(L) < 0.5))  # welcome back
    tt = s[idx] + _uniform(rng, 5 * MIN, 24 * HOUR, idx.size)
    ok = tt < stop[idx]
    ev.add(who[idx[ok]], tt[ok], E["welcome_email_open"])

    # ---- remorse: cancel within 3 days, refunded ------------------------------------------
    idx = np.flatnonzero(kind == REMORSE)
    ev.add(who[idx], cancel_t[idx], E["cancel"])
    ev.add(who[idx], cancel_t[idx] + _uniform(rng, HOUR, 2 * DAY, idx.size), E["refund"], -base[idx])

    # ---- Use ------------------------------------------------------------------------------
    u0 = s + 20 * MIN
    days = np.maximum(stop - u0, 0) / DAY
    rate = LOGINS_PER_DAY[lp] * activity[who] * world.usage
    owner, tt = _spread(rng, u0, stop, rng.poisson(rate * days))
    ev.add(who[owner], tt, E["login"])
    owner, tt = _spread(rng, u0, stop, rng.poisson(rate * days * FEATURES_PER_LOGIN))
    ev.add(who[owner], tt, E["feature_use"])
    months = days * DAY / MONTH
    can = days > 0.05
    cnt = np.where(lt & can, 1 + rng.poisson(0.12 * months), 0)
    owner, tt = _spread(rng, u0, stop, cnt)
    unhappy = lc[owner]
    sat = np.where(unhappy, _score(rng, owner.size, CSAT_UNHAPPY, 1), _score(rng, owner.size, CSAT_HAPPY, 1))
    sat = np.where(rng.random(owner.size) < 0.65, sat, -1)
    ev.add(who[owner], tt, E["support_ticket"], 0, sat)
    cnt = np.where(lc & can, 1 + rng.poisson(0.1 * months), 0)
    owner, tt = _spread(rng, u0, stop, cnt)
    ev.add(who[owner], tt, E["complaint"])

    # ---- Advocate ------------------------------------------------------------------------------
    n_nps = np.where(stop > s + 60 * DAY, np.floor((stop - s - 60 * DAY) / (90 * DAY)) + 1, 0).astype(np.int64)
    owner = np.repeat(np.arange(L), n_nps)
    j = np.arange(owner.size) - np.repeat(np.cumsum(n_nps) - n_nps, n_nps)
    tt = s[owner] + 60 * DAY + j * 90 * DAY + _uniform(rng, 0, 5 * DAY, owner.size)
    ok = (rng.random(owner.size) < 0.28) & (tt < stop[owner])
    owner, tt = owner[ok], tt[ok]
    sat = np.where(lc[owner], _score(rng, owner.size, NPS_UNHAPPY, 0), _score(rng, owner.size, NPS_HAPPY, 0))
    ev.add(who[owner], tt, E["nps_response"], 0, sat)
    happy = ~lc & (stop > s + 45 * DAY)
    idx = np.flatnonzero(happy & (rng.random(L) < 0.08))
    ev.add(who[idx], _uniform(rng, s[idx] + 45 * DAY, stop[idx]), E["review_posted"])
    cnt = np.where(happy & (rng.random(L) < 0.12), 1 + rng.poisson(0.4, L), 0)
    owner, tt = _spread(rng, s + 30 * DAY, stop, cnt)
    ev.add(who[owner], tt, E["referral_sent"])

    # ---- last touches of leavers, then the cancel --------------------------------------------
    idx = np.flatnonzero(kind == INVOLUNTARY)
    n_f = 1 + _pick(rng, idx.size, (0.3, 0.4, 0.3))
    t1 = d_fatal[idx]
    t2 = t1 + _uniform(rng, 2.5 * DAY, 3.5 * DAY, idx.size)
    t3 = t2 + _uniform(rng, 3.5 * DAY, 4.5 * DAY, idx.size)
    ev.add(who[idx], t1, E["payment_failed"])
    ev.add(who[idx[n_f >= 2]], t2[n_f >= 2], E["payment_failed"])
    ev.add(who[idx[n_f >= 3]], t3[n_f >= 3], E["payment_failed"])
    last = np.choose(n_f - 1, [t1, t2, t3])
    cancel_t[idx] = last + _uniform(rng, DAY, 3 * DAY, idx.size)
    ev.add(who[idx], cancel_t[idx], E["cancel"])

    idx = np.flatnonzero(kind == LEAVE_USE)
    last = np.where(
        lc[idx] & (rng.random(idx.size) < 0.5),
        E["complaint"],
        np.where(
            lt[idx] & (rng.random(idx.size) < 0.35),
            E["support_ticket"],
            np.where(rng.random(idx.size) < 0.65, E["login"], E["feature_use"]),
        ),
    )
    sat = np.where(
        (last == E["support_ticket"]) & (rng.random(idx.size) < 0.65), _score(rng, idx.size, CSAT_UNHAPPY, 1), -1
    )
    ev.add(who[idx], final_t[idx], last, 0, sat)
    ev.add(who[idx], cancel_t[idx], E["cancel"])

    idx = np.flatnonzero(kind == LEAVE_ADVOCATE)
    ev.add(who[idx], final_t[idx], E["nps_response"], 0, _score(rng, idx.size, NPS_DETRACTOR, 0))
    ev.add(who[idx], cancel_t[idx], E["cancel"])

    idx = np.flatnonzero(kind == LEAVE_RENEW)
    di = renew_idx[idx]
    ev.add(who[idx], due[di], pay_code[idx], price_of_due[di])
    rf = rng.random(idx.size) < 0.3
    ev.add(
        who[idx[rf]],
        due[di[rf]] + _uniform(rng, 2 * HOUR, 36 * HOUR, int(rf.sum())),
        E["refund"],
        -price_of_due[di[rf]],
    )
    ev.add(who[idx], cancel_t[idx], E["cancel"])

    # ---- reactivation: some leavers buy again later --------------------------------------------
    gone = np.isfinite(cancel_t) & (cancel_t < end)
    p = np.where(kind == INVOLUNTARY, P_REACTIVATE["involuntary"], P_REACTIVATE["other"])
    p = np.where(kind == ONBOARD_QUIT, P_REACTIVATE["onboarding"], p)
    back = gone & (rng.random(L) < p)
    r = cancel_t + _uniform(rng, 20 * DAY, 200 * DAY, L)
    back &= r < end
    idx = np.flatnonzero(back)
    ev.add(who[idx], r[idx] - _uniform(rng, HOUR, 4 * DAY, idx.size), E["pricing_view"])
    return {"who": who[idx], "s": r[idx], "annual": annual[idx], "first": np.zeros(idx.size, bool)}


CHUNK_PEOPLE = 20000


def generate_arrays(
    customers: int = DEFAULT_CUSTOMERS,
    months: int = DEFAULT_MONTHS,
    start: str = DEFAULT_START,
    seed: int = DEFAULT_SEED,
    usage: float = 1.0,
) -> dict:
    """Simulate and return all events as compact numpy arrays sorted by (timestamp, customer).

    Keys: ``t`` (int32 seconds since ``start``), ``who`` (int32 customer index, 0-based; the id
    is ``C`` + index + 1 zero-padded), ``event`` (int8 code into ``EVENT_NAMES``), ``revenue``
    (int32 cents), ``satisfaction`` (int8, -1 = empty), ``persona`` (int8 per customer index),
    plus ``start`` and ``id_width``.
    """
    if customers < 1 or months < 1 or usage <= 0:
        raise ValueError("customers, months and usage must be positive")
    world = _World(start, months, usage)
    root = np.random.SeedSequence(seed)
    arrivals = _arrivals(np.random.default_rng(root.spawn(1)[0]), world, customers)
    chunk_seeds = root.spawn(1 + (customers + CHUNK_PEOPLE - 1) // CHUNK_PEOPLE)[1:]
    cols: list[list[np.ndarray]] = [[], [], [], [], []]
    persona = np.empty(customers, np.int8)
    for c, lo in enumerate(range(0, customers, CHUNK_PEOPLE)):
        hi = min(lo + CHUNK_PEOPLE, customers)
        rng = np.random.default_rng(chunk_seeds[c])
        who, t, code, rev, sat, pers = _simulate_chunk(rng, world, arrivals[lo:hi])
        persona[lo:hi] = pers
        compact = (
            (who + lo).astype(np.int32),
            np.floor(t).astype(np.int32),  # seconds since start: fits for 68 years
            code,
            rev.astype(np.int32),  # cents: fits for amounts up to 21 million
            sat,
        )
        for col, x in zip(cols, compact, strict=True):
            col.append(x)
    out = {"persona": persona, "start": world.t0, "id_width": max(6, len(str(customers)))}
    names = ("who", "t", "event", "revenue", "satisfaction")
    for name, col in zip(names, cols, strict=True):
        out[name] = np.concatenate(col)
        col.clear()
    order = np.argsort((out["t"].astype(np.int64) << 32) | out["who"], kind="stable")
    for name in names:  # one column at a time keeps the peak low
        out[name] = out[name][order]
    return out


def _fmt_cents(c: int) -> str:
    sign = "-" if c < 0 else ""
    c = abs(c)
    return f"{sign}{c // 100}" if c % 100 == 0 else f"{sign}{c // 100}.{c % 100:02d}"


def _text_columns(arr: dict, lo: int, hi: int) -> list[list[str]]:
    """The 7 CSV columns of rows [lo, hi) as lists of strings."""
    who = arr["who"][lo:hi]
    w = arr["id_width"]
    ts = np.datetime_as_string(arr["start"] + arr["t"][lo:hi].astype(np.int64).astype("timedelta64[s]"), unit="s")
    ts = np.char.replace(ts, "T", " ")
    uniq, inv = np.unique(arr["revenue"][lo:hi], return_inverse=True)
    rev = np.array([_fmt_cents(int(x)) for x in uniq], dtype=object)[inv]
    sat_txt = np.array([""] + [str(i) for i in range(11)], dtype=object)
    return [
        [f"C{x + 1:0{w}d}" for x in who.tolist()],
        ts.tolist(),
        np.array(EVENT_NAMES, dtype=object)[arr["event"][lo:hi]].tolist(),
        rev.tolist(),
        np.array(PERSONAS, dtype=object)[arr["persona"][who]].tolist(),
        np.array(CHANNELS, dtype=object)[arr["channel"][lo:hi]].tolist(),
        sat_txt[arr["satisfaction"][lo:hi].astype(np.int64) + 1].tolist(),
    ]


def _with_channels(arr: dict, seed: int) -> dict:
    """Draw each event's channel from its mix (persona-specific), after sorting."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    ch = np.empty(arr["t"].size, np.int8)
    step = 1_000_000
    for lo in range(0, ch.size, step):
        hi = min(lo + step, ch.size)
        cdf = _CHANNEL_CDF[arr["event"][lo:hi], arr["persona"][arr["who"][lo:hi]]]
        u = rng.random(hi - lo)
        ch[lo:hi] = np.minimum((cdf <= u[:, None]).sum(axis=1), len(CHANNELS) - 1)
    arr["channel"] = ch
    return arr


BLOCK_ROWS = 200_000


def _csv_blocks(customers: int, months: int, start: str, seed: int, usage: float = 1.0) -> Iterator[str]:
    arr = _with_channels(generate_arrays(customers, months, start, seed, usage), seed)
    yield ",".join(COLUMNS) + "\n"
    n = arr["t"].size
    for lo in range(0, n, BLOCK_ROWS):
        hi = min(lo + BLOCK_ROWS, n)
        cols = _text_columns(arr, lo, hi)
        yield "".join(",".join(row) + "\n" for row in zip(*cols, strict=True))


def generate(
    customers: int = DEFAULT_CUSTOMERS,
    months: int = DEFAULT_MONTHS,
    start: str = DEFAULT_START,
    seed: int = DEFAULT_SEED,
    usage: float = 1.0,
) -> Iterator[tuple]:
    """Yield the sample events, one tuple per row in CSV column order, sorted by time then id.

    ``customers`` is the number of people (payers and prospects), ``months`` the length of the
    data from ``start`` (first day of a month, UTC). Row: (customer_id: str, timestamp:
    'YYYY-MM-DD HH:MM:SS' str, event: str, revenue: float (2 decimals, negative for refunds),
    segment: str, channel: str, satisfaction: int or None). The whole simulation runs on the first
    ``next()``; rows are then produced in blocks, so memory stays at about 30 bytes per event plus
    one block of Python objects. Roughly 50 events per person at the default settings; ``usage``
    scales the logins and feature use (three quarters of a log): 0.2 gives about 20 per person.
    """
    arr = _with_channels(generate_arrays(customers, months, start, seed, usage), seed)
    n = arr["t"].size
    for lo in range(0, n, BLOCK_ROWS):
        hi = min(lo + BLOCK_ROWS, n)
        ids, ts, evs, _rev, segs, chans, _sat = _text_columns(arr, lo, hi)
        rev = (arr["revenue"][lo:hi] / 100).tolist()
        sat = [None if s < 0 else s for s in arr["satisfaction"][lo:hi].tolist()]
        yield from zip(ids, ts, evs, rev, segs, chans, sat, strict=True)


def write_csv(
    path: str | os.PathLike,
    customers: int = DEFAULT_CUSTOMERS,
    months: int = DEFAULT_MONTHS,
    start: str = DEFAULT_START,
    seed: int = DEFAULT_SEED,
    usage: float = 1.0,
) -> int:
    """Write the sample CSV (gzip when the path ends in .gz, with a fixed header); returns rows."""
    path = os.fspath(path)
    rows = -1
    with open(path, "wb") as raw:
        if path.endswith(".gz"):
            out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0)
        else:
            out = raw
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        for block in _csv_blocks(customers, months, start, seed, usage):
            text.write(block)
            rows += block.count("\n")
        text.flush()
        text.detach()
        if out is not raw:
            out.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS, help="people, payers and prospects")
    ap.add_argument("--months", type=int, default=DEFAULT_MONTHS)
    ap.add_argument("--start", default=DEFAULT_START, help="first day of the data, YYYY-MM-01 (UTC)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--usage", type=float, default=1.0,
                    help="multiplier on logins and feature use (1.0: ~51 events per person; 0.2: ~20)")
    ap.add_argument("--out", default=os.path.join(here, "events.csv.gz"), help="CSV path; .gz = gzip")
    args = ap.parse_args(argv)
    began = time.perf_counter()
    rows = write_csv(args.out, args.customers, args.months, args.start, args.seed, args.usage)
    size = os.path.getsize(args.out)
    print(
        f"wrote {rows:,} events for {args.customers:,} people to {args.out} "
        f"({size / 1e6:.2f} MB) in {time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
