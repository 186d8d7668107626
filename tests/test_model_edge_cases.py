"""Every hand-derived case of the reference model's tests, run against the SQL model too.

tests/test_reference_model.py pins each lifecycle rule with a few events and an answer worked
out by hand in a comment (window inclusive at its end, churn and payment at the same time, churn
of someone inactive, loss after as_of, reactivation and loss inside one period, refunds, events
before acquisition, tie-breaks, segments, drivers' statistics). Here the same test bodies call the
SQL model instead of the reference.
"""

from __future__ import annotations

import inspect

import pytest

import tests.test_reference_model as cases
from tests.sql_harness import sql_model

HAND_CASES = sorted(
    name for name, fn in vars(cases).items()
    if name.startswith("test_") and callable(fn) and not hasattr(fn, "hypothesis")
)


@pytest.mark.parametrize("name", HAND_CASES)
def test_sql_model_passes_the_hand_derived_case(name, monkeypatch):
    monkeypatch.setattr(cases, "reference_model", sql_model)
    fn = getattr(cases, name)
    kwargs = {}
    if "example" in inspect.signature(fn).parameters:
        kwargs["example"] = sql_model(cases.EXAMPLE, cases.journey_map())
    fn(**kwargs)
