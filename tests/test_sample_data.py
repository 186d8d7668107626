"""The bundled sample data: it is what its README says, and the model finds the planted effects."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from analytics.model import Settings, model_for
from analytics.stagemap import load_stage_map
from analytics.workspace import SAMPLE_FILE, SAMPLE_STAGES, Workspace
from tests.conftest import ROOT

STAGES = ["Discover", "Evaluate", "Buy", "Onboard", "Use", "Renew", "Advocate"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("sample") / "ws.duckdb", seed_sample=False)
    ws.ingest(SAMPLE_FILE, "sample", stage_map=load_stage_map(SAMPLE_STAGES))
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def stage_rows(sample):
    with model_for(sample, "sample") as m:
        df = m.stage_table()
    return {(r.period, r.stage): r for r in df.itertuples()}


def test_sample_is_read_whole(sample):
    ds = sample.dataset("sample")
    assert (ds.rows_read, ds.rows_kept, ds.customers) == (254_886, 254_886, 5_000)
    assert ds.report["unmapped"] == [] and ds.report["warnings"] == []
    assert ds.stage_map.stage_names == STAGES
    assert ds.first_event.date().isoformat() == "2024-11-01" and ds.last_event.date().isoformat() == "2026-10-31"


@pytest.mark.parametrize("month", ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07"])
def test_onboard_hurts_most_from_march_2026(stage_rows, month):
    rows = [stage_rows[(month, s)] for s in STAGES]
    worst = min(rows, key=lambda r: r.impact)
    assert worst.stage == "Onboard", f"{month}: {worst.stage} hurt most ({worst.impact:.1f})"
    jumps = {r.stage: r.lost - r.baseline_lost for r in rows}
    assert max(jumps, key=jumps.get) == "Onboard"


def test_onboard_losses_before_the_break_are_few(stage_rows):
    before = [stage_rows[(f"2025-{m:02d}", "Onboard")].lost for m in range(1, 13)]
    assert max(before) <= 5
    assert stage_rows[("2026-04", "Onboard")].lost >= 30


def test_the_onboarding_break_is_the_solo_makers(sample):
    lost = {}
    for persona in ["Solo maker", "Growing team", "Enterprise"]:
        with model_for(sample, "sample", Settings(segment=persona)) as m:
            df = m.stage_table()
        onboard = df[(df.stage == "Onboard") & df.period.isin(["2026-03", "2026-04", "2026-05", "2026-06"])]
        lost[persona] = int(onboard.lost.sum())
    assert lost["Solo maker"] >= 100
    assert lost["Growing team"] + lost["Enterprise"] <= 15


@pytest.mark.parametrize("month", ["2025-09", "2025-10", "2025-11"])
def test_renew_improves_from_september_2025(stage_rows, month):
    renew = stage_rows[(month, "Renew")]
    assert renew.lost < renew.baseline_lost - 5
    assert renew.impact > 5


def test_complaint_is_the_top_driver(sample):
    with model_for(sample, "sample") as m:
        drivers = m.drivers().dropna(subset=["risk_ratio"])
    top = drivers.sort_values("risk_ratio", ascending=False).iloc[0]
    assert (top.stage, top.event) == ("Use", "complaint")
    assert top.ci_low > 2 and top.q_value < 1e-6


def test_generator_is_deterministic(tmp_path):
    out = tmp_path / "again.csv.gz"
    subprocess.run([sys.executable, str(ROOT / "sample_data" / "generate.py"), "--out", str(out)], check=True, timeout=300)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(SAMPLE_FILE.read_bytes()).hexdigest()
