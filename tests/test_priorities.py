"""analytics.priorities: the ranking, the confidence, the stored plan and the meeting notes.

Numbers come from the DOMAIN.md worked example (March: Use lost 2 customers worth 130 a year,
Renew 1 worth 200, nothing lost before) or from small tables written out below.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from analytics import priorities
from analytics.export import to_csv
from analytics.model import Results, Settings, compute
from analytics.priorities import PlanError, binomial_tail, confidence, ranking
from analytics.stagemap import parse_stage_map
from tests.conftest import WORKED_EXAMPLE, WORKED_STAGES
from views.prioritise import to_markdown

NAN = float("nan")


@pytest.fixture
def example(ws, write):
    ws.ingest(write("example.csv", WORKED_EXAMPLE), "Example", stage_map=parse_stage_map(WORKED_STAGES))
    return compute(ws, "Example", Settings(grain="month", as_of=date(2026, 4, 10)))


def same(a: list, b: list) -> bool:
    return len(a) == len(b) and all((math.isnan(x) and math.isnan(y)) or x == pytest.approx(y) for x, y in zip(a, b, strict=True))


# ---- ranking ------------------------------------------------------------------------------------


def test_ranking_of_the_worked_example_in_march(example):
    r = ranking(example, "2026-03")
    assert list(r["stage"]) == ["Renew", "Use", "Discover", "Buy", "Onboard"]  # Unmapped never ranked
    assert list(r["rank"]) == [1, 2, 3, 4, 5]
    renew, use = r.iloc[0], r.iloc[1]
    # baselines: the mean of January and February, when nothing was lost
    assert (renew.lost, renew.baseline_lost, renew.excess_lost) == (1, 0, 1)
    assert (renew.lost_value, renew.baseline_lost_value, renew.excess_lost_value) == (200, 0, 200)
    assert (use.lost, use.excess_lost, use.lost_value, use.excess_lost_value) == (2, 2, 130, 130)
    assert (renew.impact, use.impact) == (-1, -2)
    assert (renew.value_impact, use.value_impact) == (-200, -130)
    # trend: January has no baseline, February lost nothing, March as above (three periods exist)
    assert priorities.trend_periods(example, "2026-03") == ["2026-01", "2026-02", "2026-03"]
    assert same(use.trend, [NAN, 0.0, 130.0])
    assert same(renew.trend, [NAN, 0.0, 200.0])
    # fewer than 30 customers: no touchpoint can be linked with loss
    assert set(r["top_touchpoint"]) == {"none clearly linked"}
    # one loss where January and February lost nobody: 1 of 1 loss falls in March, p = 1/3, not evidence
    assert renew.confidence == "low" and renew.p_value == pytest.approx(1 / 3)
    assert r.iloc[2].confidence == "low" and r.iloc[2].p_value == 1.0


def test_ranking_by_customers_puts_use_first(example):
    r = ranking(example, "2026-03", by="customers")
    assert list(r["stage"][:2]) == ["Use", "Renew"]


def test_first_period_has_no_baseline(example):
    r = ranking(example, "2026-01")
    assert set(r["confidence"]) == {"no baseline"}
    assert r["excess_lost_value"].isna().all()
    assert list(r["stage"]) == ["Discover", "Buy", "Onboard", "Use", "Renew"]  # journey order stays
    assert priorities.lost_more_than_baseline(r).empty


def test_unknown_period_is_refused(example):
    with pytest.raises(Exception, match="no period 2030-01"):
        ranking(example, "2030-01")


def hand_results() -> Results:
    """Two stages over four quarters, written out; Q4's baselines are the means of Q1-Q3."""
    rows = []
    lost = {"A": [2, 4, 3, 10], "B": [6, 6, 6, 6]}
    value = {"A": [20.0, 40.0, 30.0, 100.0], "B": [600.0, 600.0, 600.0, 1200.0]}
    for stage in ("A", "B", "Unmapped"):
        for i, period in enumerate(["Q1", "Q2", "Q3", "Q4"]):
            n = lost.get(stage, [9] * 4)[i]
            v = value.get(stage, [9000.0] * 4)[i]
            prev_n = lost.get(stage, [9] * 4)[:i]
            prev_v = value.get(stage, [9000.0] * 4)[:i]
            bl = sum(prev_n) / len(prev_n) if prev_n else NAN
            bv = sum(prev_v) / len(prev_v) if prev_v else NAN
            rows.append(dict(period=period, stage=stage, lost=n, lost_value=v, baseline_lost=bl, baseline_lost_value=bv,
                             impact=-(n - bl), value_impact=-(v - bv)))
    drivers = pd.DataFrame([
        dict(stage="A", event="x", risk_ratio=2.0, ci_low=1.2, ci_high=3.0, q_value=0.01),
        dict(stage="A", event="y", risk_ratio=3.0, ci_low=0.9, ci_high=9.0, q_value=0.2),  # interval spans 1
        dict(stage="A", event="z", risk_ratio=1.5, ci_low=1.1, ci_high=2.0, q_value=0.001),
        dict(stage="B", event="w", risk_ratio=0.5, ci_low=0.3, ci_high=0.8, q_value=0.01),  # protective
        dict(stage="B", event="v", risk_ratio=NAN, ci_low=NAN, ci_high=NAN, q_value=NAN),  # not enough data
    ])
    periods = pd.DataFrame({"period": ["Q1", "Q2", "Q3", "Q4"]})
    return Results(settings=Settings(grain="quarter", baseline=3), stage_names=["A", "B"], goals={}, periods=periods,
                   movements=pd.DataFrame(), stages=pd.DataFrame(rows), drivers=drivers, cohorts=pd.DataFrame(),
                   segments=[])


def test_ranking_by_hand():
    r = ranking(hand_results(), "Q4")
    # A: lost 10 against (2+4+3)/3 = 3 -> +7 customers, 100 against 30 -> +70 a year
    # B: lost 6 against 6 -> 0 customers, 1200 against 600 -> +600 a year: B first by value
    assert list(r["stage"]) == ["B", "A"]
    b, a = r.iloc[0], r.iloc[1]
    assert (a.baseline_lost, a.excess_lost, a.excess_lost_value) == (3, 7, 70)
    assert (b.excess_lost, b.excess_lost_value) == (0, 600)
    assert same(a.trend, [NAN, 40 - 20, 30 - 30, 70])
    assert same(b.trend, [NAN, 0, 0, 600])
    # top touchpoint: the highest ratio whose interval is above 1 (y's spans 1)
    assert (a.top_touchpoint, a.touchpoint_risk_ratio, a.touchpoint_ci_low, a.touchpoint_ci_high, a.touchpoint_q_value) \
        == ("x", 2.0, 1.2, 3.0, 0.01)
    assert b.top_touchpoint == "none clearly linked" and math.isnan(b.touchpoint_risk_ratio)
    # A: 10 now against 2 + 4 + 3 = 9 in three quarters: X ~ Bin(19, 1/4), P(X >= 10) = 0.0089 -> high;
    # B: 6 against 18, P(X >= 6 | Bin(24, 1/4)) = 0.58 -> low
    assert a.confidence == "high" and a.p_value == pytest.approx(0.0089033, rel=1e-4)
    assert b.confidence == "low"
    assert list(ranking(hand_results(), "Q4", by="customers")["stage"]) == ["A", "B"]


# ---- the confidence -----------------------------------------------------------------------------


def test_binomial_tail_against_closed_forms():
    assert binomial_tail(0, 5, 0.3) == 1.0 and binomial_tail(6, 5, 0.3) == 0.0
    assert binomial_tail(1, 1, 0.25) == pytest.approx(0.25)
    assert binomial_tail(3, 3, 0.25) == pytest.approx(0.25 ** 3)
    assert binomial_tail(2, 4, 0.5) == pytest.approx(11 / 16)  # (6 + 4 + 1) / 16
    assert 0 < binomial_tail(37, 44, 0.25) < 1e-12


@pytest.mark.parametrize(
    ("lost", "baseline", "periods", "label", "p"),
    [
        (1, 0.0, 3, "low", 0.25),  # one customer where none were lost in 3 quarters: 1 of 1 loss falls now, p = 1/4
        (3, 0.0, 3, "medium", 0.25 ** 3),  # p = 0.016
        (4, 0.0, 3, "high", 0.25 ** 4),  # p = 0.0039
        (0, 0.0, 3, "low", 1.0),  # nothing lost
        (5, 2.0, 3, "low", None),  # 5 now against 6 in 3 quarters: X ~ Bin(11, 1/4), P(X >= 5) = 0.11
        (37, 7 / 3, 3, "high", None),  # Onboard in the sample's 2026-Q2
        (2, 1.0, 1, "low", 0.5),  # against one period: Bin(3, 1/2), P(X >= 2) = 1/2
        (4, NAN, 3, "no baseline", None),
        (4, 1.0, 0, "no baseline", None),
    ],
)
def test_confidence_labels(lost, baseline, periods, label, p):
    got = confidence(lost, baseline, periods)
    assert got[0] == label
    if p is not None:
        assert got[1] == pytest.approx(p)


# ---- the plan -----------------------------------------------------------------------------------


def plan_rows(**by_stage) -> list[dict]:
    return [{"stage": s, "owner": o, "effort": e, "notes": n} for s, (o, e, n) in by_stage.items()]


def test_save_and_load(ws):
    assert priorities.load_plan(ws, "D", "2026-Q2").empty  # no table yet: an empty plan
    stored = priorities.save_plan(ws, "D", "2026-Q2", plan_rows(
        Onboard=("Ana", "m", "  fix the wizard  "), Use=("", None, ""), Renew=(None, "XL", None)))
    assert stored == 2  # Use has nothing written: not stored
    plan = priorities.load_plan(ws, "D", "2026-Q2")
    assert plan[["stage", "owner", "effort", "notes"]].to_dict("records") == [
        {"stage": "Onboard", "owner": "Ana", "effort": "M", "notes": "fix the wizard"},
        {"stage": "Renew", "owner": "", "effort": "XL", "notes": ""},
    ]
    assert plan["updated_at"].notna().all()
    # saving again replaces the quarter's plan; other quarters and datasets are untouched
    priorities.save_plan(ws, "D", "2026-Q3", plan_rows(Use=("Bo", "S", "")))
    priorities.save_plan(ws, "E", "2026-Q2", plan_rows(Use=("Cy", "S", "")))
    priorities.save_plan(ws, "D", "2026-Q2", plan_rows(Buy=("Di", "L", "")))
    assert list(priorities.load_plan(ws, "D", "2026-Q2")["stage"]) == ["Buy"]
    assert list(priorities.load_plan(ws, "D", "2026-Q3")["owner"]) == ["Bo"]
    assert list(priorities.load_plan(ws, "E", "2026-Q2")["owner"]) == ["Cy"]


def test_text_is_bound_not_formatted(ws):
    name = "O'Brien\"; DROP TABLE priorities; --"
    priorities.save_plan(ws, name, "2026-Q2", plan_rows(Onboard=("x'); DELETE FROM priorities; --", "S", "'")))
    plan = priorities.load_plan(ws, name, "2026-Q2")
    assert list(plan["owner"]) == ["x'); DELETE FROM priorities; --"] and list(plan["notes"]) == ["'"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (plan_rows(Onboard=("Ana", "huge", "")), "effort of Onboard must be one of S, M, L, XL"),
        (plan_rows(Onboard=("A" * 101, "S", "")), "owner of Onboard has 101 characters"),
        ([{"stage": "Use", "owner": "a"}, {"stage": "Use", "owner": "b"}], "Use twice"),
        ([{"stage": "", "owner": "a"}], "needs its stage"),
    ],
)
def test_a_refused_plan_leaves_the_previous_one(ws, rows, message):
    priorities.save_plan(ws, "D", "2026-Q2", plan_rows(Onboard=("Ana", "M", "first")))
    with pytest.raises(PlanError, match=message):
        priorities.save_plan(ws, "D", "2026-Q2", rows)
    assert list(priorities.load_plan(ws, "D", "2026-Q2")["notes"]) == ["first"]


def test_a_failure_inside_the_transaction_rolls_back(ws, monkeypatch):
    priorities.save_plan(ws, "D", "2026-Q2", plan_rows(Onboard=("Ana", "M", "first"), Use=("Bo", "S", "")))
    real_insert = priorities._insert

    def insert_one_then_fail(cur, dataset, quarter, rows, at):
        real_insert(cur, dataset, quarter, rows[:1], at)  # after the delete and one new row...
        raise RuntimeError("disk full")  # ...the save breaks

    monkeypatch.setattr(priorities, "_insert", insert_one_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        priorities.save_plan(ws, "D", "2026-Q2", plan_rows(Buy=("Cy", "L", "second"), Renew=("Di", "S", "")))
    monkeypatch.undo()
    plan = priorities.load_plan(ws, "D", "2026-Q2")
    assert plan[["stage", "owner", "notes"]].to_dict("records") == [
        {"stage": "Onboard", "owner": "Ana", "notes": "first"}, {"stage": "Use", "owner": "Bo", "notes": ""}]
    assert not ws._write_lock.locked()
    priorities.save_plan(ws, "D", "2026-Q2", plan_rows(Buy=("Cy", "L", "second")))  # the workspace still writes
    assert list(priorities.load_plan(ws, "D", "2026-Q2")["stage"]) == ["Buy"]


def test_rename_and_delete_helpers_carry_the_plans(ws):
    with ws.cursor() as cur:  # no table yet: nothing to do, no error
        priorities.rename_dataset_plans(cur, "D", "F")
        priorities.delete_dataset_plans(cur, "D")
    priorities.save_plan(ws, "D", "2026-Q2", plan_rows(Onboard=("Ana", "M", "")))
    priorities.save_plan(ws, "E", "2026-Q2", plan_rows(Onboard=("Bo", "M", "")))
    with ws.cursor() as cur:
        priorities.rename_dataset_plans(cur, "D", "F")
        priorities.delete_dataset_plans(cur, "E")
    assert list(priorities.load_plan(ws, "F", "2026-Q2")["owner"]) == ["Ana"]
    assert priorities.load_plan(ws, "D", "2026-Q2").empty and priorities.load_plan(ws, "E", "2026-Q2").empty


# ---- for the meeting's notes --------------------------------------------------------------------


def test_markdown_and_csv_of_the_plan():
    r = ranking(hand_results(), "Q4")
    plan = pd.DataFrame(plan_rows(A=("Ana | Bo", "M", "line one\nline two"), B=("", "", "=HYPERLINK(\"x\")")))
    table = priorities.with_plan(r, plan)
    text = to_markdown(table, "Shop | EU", "Q4", segment="Solo <b>maker</b>")
    lines = text.splitlines()
    assert lines[0] == "# Priorities for Q4: Shop \\| EU"
    assert "segment: Solo &lt;b&gt;maker&lt;/b&gt;" in lines[2]
    header = lines.index("| Rank | Stage | Customers lost vs baseline | Value lost vs baseline (a year) | Confidence "
                         "| Top touchpoint | Owner | Effort | Notes |")
    rows = lines[header + 2:header + 4]
    assert rows[0] == "| 1 | B | 6 vs 6.0 (0.0) | 1,200 vs 600 (+600) | low | none clearly linked |  |  | =HYPERLINK(\"x\") |"
    assert rows[1] == ("| 2 | A | 10 vs 3.0 (+7.0) | 100 vs 30 (+70) | high | x (risk ratio 2.00, 95% interval 1.20 to "
                       "3.00, q = 0.010) | Ana \\| Bo | M | line one<br>line two |")
    assert all(row.count(" | ") == 8 for row in rows)  # every cell stays in its column
    assert any("associations" in line for line in lines)
    # a link or an image in user text stays text in a Markdown viewer (an image was fetched from its host)
    evil = table.assign(notes=["![t](http://evil.example/t.png) [x](https://evil.example) *bold*", ""])
    cell = to_markdown(evil, "www.evil.example", "Q4").splitlines()[header + 2].split(" | ")[-1]
    assert cell == "!\\[t\\](http:/\u2060/evil.example/t.png) \\[x\\](https:/\u2060/evil.example) \\*bold\\* |"
    assert "www\u2060.evil.example" in to_markdown(evil, "www.evil.example", "Q4").splitlines()[0]

    csv = to_csv(priorities.export_table(table, ["Q1", "Q2", "Q3", "Q4"]))
    back = pd.read_csv(__import__("io").StringIO(csv))
    assert list(back.loc[back.stage == "B", "notes"]) == ["'=HYPERLINK(\"x\")"]
    assert list(back.loc[back.stage == "A", "excess_lost_value Q4"]) == [70]
    assert "trend" not in back.columns


def test_workspace_rename_and_remove_carry_the_plans(ws, example):
    priorities.save_plan(ws, "Example", "2026-Q1", plan_rows(Use=("Ana", "M", "call the churners")))
    ws.rename("Example", "Renamed")
    assert list(priorities.load_plan(ws, "Renamed", "2026-Q1")["owner"]) == ["Ana"]
    assert priorities.load_plan(ws, "Example", "2026-Q1").empty
    ws.remove("Renamed")
    assert priorities.load_plan(ws, "Renamed", "2026-Q1").empty
