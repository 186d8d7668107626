"""The stored lifecycle: computed once per dataset and settings, reused for every segment, and the
same tables as the model computing it alone for the chosen customers."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.model import Model, Settings, compute
from analytics.workspace import Workspace
from tests.pages_helpers import sample_workspace


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    ws = Workspace(sample_workspace(tmp_path_factory.mktemp("lifecycle")), seed_sample=False)
    yield ws
    ws.close()


def alone(ws: Workspace, settings: Settings) -> dict[str, pd.DataFrame]:
    """The tables computed without the store: the lifecycle of the chosen customers only."""
    ds = ws.dataset("Sample")
    with Model(ws.snapshot(), ds.events_table, ds.stage_map, settings) as m:
        return {"movements": m.movements(), "stages": m.stage_table(extended=True), "drivers": m.drivers(),
                "cohorts": m.cohorts()}


@pytest.mark.parametrize("settings", [
    Settings(),
    Settings(segment="Solo maker"),
    Settings(grain="quarter", segment="Enterprise"),
    Settings(as_of=date(2026, 3, 31), churn_after_days=60, segment="Growing team"),
])
def test_stored_lifecycle_gives_the_same_tables(sample, settings):
    stored = compute(sample, "Sample", settings)
    expected = alone(sample, settings)
    for name, df in expected.items():
        pd.testing.assert_frame_equal(getattr(stored, name).reset_index(drop=True), df.reset_index(drop=True),
                                      check_exact=False, rtol=1e-12, obj=name)
    assert stored.movements.customers_end.iloc[-1] > 0


def test_a_segment_reuses_the_lifecycle_of_every_customer(sample):
    store = sample.lifecycles
    settings = Settings(grain="month", as_of=date(2026, 6, 30))
    builds = store.builds
    compute(sample, "Sample", settings)
    assert store.builds == builds + 1
    for segment in ("Solo maker", "Growing team", "Enterprise", None):
        compute(sample, "Sample", Settings(grain="month", as_of=date(2026, 6, 30), segment=segment))
    assert store.builds == builds + 1, "a segment or a second look must not compute the lifecycle again"
    compute(sample, "Sample", Settings(grain="quarter", as_of=date(2026, 6, 30)))
    compute(sample, "Sample", Settings(grain="month", as_of=date(2026, 6, 30), churn_after_days=90))
    assert store.builds == builds + 3  # a new grain or churn window is a new lifecycle


def test_segments_add_up_to_everyone(sample):
    settings = Settings(grain="quarter")
    everyone = compute(sample, "Sample", settings).movements
    parts = [compute(sample, "Sample", Settings(grain="quarter", segment=s)).movements
             for s in ("Solo maker", "Growing team", "Enterprise")]
    for col in ("new", "churned", "customers_end", "value_end"):
        assert sum(p[col] for p in parts).tolist() == pytest.approx(everyone[col].tolist())
