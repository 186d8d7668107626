"""The SQL model agrees with the plain-Python reference model on random event logs.

Two implementations written apart from the same contract: where they disagree, one of them is
wrong. Money is compared exactly (Decimal); ratios and averages to 1e-9.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_model import reference_model
from tests.sql_harness import sql_model
from tests.strategies import event_logs

TABLES = ("movements", "stages", "drivers", "cohorts")


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b
    return float(a) == pytest.approx(float(b), rel=1e-9, abs=1e-9)


def assert_tables_agree(got: dict, want: dict) -> None:
    for table in TABLES:
        g, w = got[table], want[table]
        assert len(g) == len(w), f"{table}: {len(g)} rows from SQL, {len(w)} from the reference"
        for i, (rg, rw) in enumerate(zip(g, w, strict=False)):
            assert list(rg) == list(rw), f"{table}: columns differ"
            diff = {k: (rg[k], rw[k]) for k in rw if not same(rg[k], rw[k])}
            assert not diff, f"{table} row {i} ({rw.get('period') or rw.get('stage') or rw.get('cohort')}): sql, reference = {diff}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(log=event_logs(), grain=st.sampled_from(["month", "quarter"]))
def test_sql_agrees_with_reference(log, grain):
    events, stage_map, as_of = log
    want = reference_model(events, stage_map, grain=grain, as_of=as_of)
    got = sql_model(events, stage_map, grain=grain, as_of=as_of)
    assert_tables_agree(got, want)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(log=event_logs(), segment=st.sampled_from(["smb", "enterprise"]), baseline=st.integers(1, 4), w=st.integers(1, 60))
def test_sql_agrees_with_reference_with_overrides(log, segment, baseline, w):
    events, stage_map, as_of = log
    kwargs = dict(as_of=as_of, segment=segment, baseline=baseline, churn_after_days=w)
    assert_tables_agree(sql_model(events, stage_map, **kwargs), reference_model(events, stage_map, **kwargs))
