"""The Cohorts and segments page, opened headless with AppTest: the retention heatmap on the
worked example, the segments side by side on the bundled sample."""

from __future__ import annotations

import base64
import json
from datetime import date

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from analytics.model import Settings, compute
from analytics.stagemap import load_stage_map, parse_stage_map
from analytics.workspace import SAMPLE_FILE, SAMPLE_STAGES, Workspace
from tests.conftest import WORKED_EXAMPLE, WORKED_STAGES
from tests.pages_helpers import open_page


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory):
    """Two workspaces: 'Example' (the DOMAIN.md worked example) and 'Sample' (the bundled sample)."""
    folder = tmp_path_factory.mktemp("cohorts")
    example = Workspace(folder / "example.duckdb", seed_sample=False)
    (folder / "example.csv").write_text(WORKED_EXAMPLE)
    example.ingest(folder / "example.csv", "Example", stage_map=parse_stage_map(WORKED_STAGES))
    example.close()
    sample = Workspace(folder / "sample.duckdb", seed_sample=False)
    sample.ingest(SAMPLE_FILE, "Sample", stage_map=load_stage_map(SAMPLE_STAGES))
    sample.close()
    return {"example": folder / "example.duckdb", "sample": folder / "sample.duckdb"}


@pytest.fixture
def page(workspaces, monkeypatch):
    """page(workspace, **query) -> an AppTest of app.py on the Cohorts page."""

    def _page(which: str, **query) -> AppTest:
        monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(workspaces[which]))
        return open_page("cohorts", **query)

    return _page


def ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def decoded(array):
    """A plotly array as sent to the browser: a list, or typed binary ({dtype, bdata, shape})."""
    if isinstance(array, dict) and "bdata" in array:
        shape = [int(n) for n in str(array.get("shape", "-1")).split(",")]
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).reshape(shape)
    return np.asarray(array)


def heatmap(at: AppTest) -> tuple[list[str], list[str], np.ndarray]:
    """The retention heatmap's y labels ('cohort (customers)'), x (periods since) and z (% active)."""
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    trace = next(f["data"][0] for f in charts if f["data"] and f["data"][0]["type"] == "heatmap")
    return list(decoded(trace["y"])), list(decoded(trace["x"])), decoded(trace["z"])


def test_heatmap_is_the_models_cohort_table(page, workspaces):
    at = page("example").run()
    ok(at)
    y, x, z = heatmap(at)
    assert y == ["2026-01 (2)", "2026-02 (1)", "2026-04 (1)"]
    assert x == ["0", "1", "2", "3"]
    # 2026-01: A and C, both active at the end of January and February, both lost in March, C back in April
    assert list(z[0]) == [100, 100, 0, 50]
    ws = Workspace(workspaces["example"], seed_sample=False)
    try:
        model = compute(ws, "Example", Settings(grain="month", as_of=date(2026, 4, 10))).cohorts
    finally:
        ws.close()
    for i, (cohort, rows) in enumerate(model.groupby("cohort", sort=True)):
        assert y[i] == f"{cohort} ({rows.customers.iloc[0]})"
        assert [v for v in z[i] if v == v] == [100 * r for r in rows.retention]  # NaN: not reached by as_of

    # no segment column: the comparison says why it is empty
    assert any("no segment column" in i.value for i in at.info)
    assert not at.dataframe


def test_the_date_range_leaves_earlier_cohorts_out(page):
    at = page("example", **{"from": "2026-02-15"}).run()
    ok(at)
    assert heatmap(at)[0] == ["2026-02 (1)", "2026-04 (1)"]


def test_onboard_hurt_solo_makers_in_april_2026(page, workspaces):
    at = page("sample", period="2026-04").run()
    ok(at)
    table = next(d.value for d in at.dataframe if "stage" in d.value.columns).set_index("stage")
    impact = {s: table.at["Onboard", f"{s}: impact (customers)"] for s in ("Solo maker", "Growing team", "Enterprise")}
    assert impact["Solo maker"] == pytest.approx(-26.667, abs=0.001)
    assert impact["Solo maker"] < 10 * min(impact["Growing team"], impact["Enterprise"]) < 0
    assert table.at["Onboard", "Solo maker: lost (customers)"] == 34
    ws = Workspace(workspaces["sample"], seed_sample=False)
    try:  # the figures are the model's, segment by segment
        for segment in ("Solo maker", None):
            stages = compute(ws, "Sample", Settings(grain="month", as_of=date(2026, 10, 31), segment=segment)).stages
            row = stages[(stages.period == "2026-04") & (stages.stage == "Onboard")].iloc[0]
            name = segment or "All customers"
            assert table.at["Onboard", f"{name}: impact (customers)"] == pytest.approx(row.impact)
            assert table.at["Onboard", f"{name}: value impact (a year)"] == pytest.approx(row.value_impact)
    finally:
        ws.close()
    worst = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert worst[0].startswith("- Solo maker: Onboard, impact -26.7 customers")
