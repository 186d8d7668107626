"""The movements table (DOMAIN.md waterfall) written plainly in pandas: the benchmark's yardstick.

Same contract as :meth:`analytics.model.Model.movements` with the default settings (as_of = the
latest event, no segment): activity spells per customer, customer states at each period's start
and end, value = revenue in the 365 days before an instant. Money is carried in integer
ten-thousandths (the events table's DECIMAL(18,4)), so every sum is exact and comparable to the
model's decimals number for number.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

MONEY = 10_000  # DECIMAL(18,4) in integer units
COUNTS = ["customers_start", "new", "reactivated", "churned", "customers_end"]
VALUES = [
    "value_start",
    "new_value",
    "reactivation_value",
    "expansion",
    "contraction",
    "churned_value",
    "value_end",
    "revenue",
]


def load_events(cur, events_table: str) -> pd.DataFrame:
    """The columns the movements need, from a stored events table (quoted name): customers by
    their integer key, as the stored events carry them."""
    return cur.sql(f"SELECT customer_key AS customer_id, ts, event, revenue FROM {events_table}").df()


def periods(first: pd.Timestamp, as_of: pd.Timestamp, grain: str = "month") -> pd.DataFrame:
    freq = {"month": "MS", "quarter": "QS"}[grain]
    step = pd.DateOffset(months=1 if grain == "month" else 3)
    start = first.to_period("M" if grain == "month" else "Q").start_time
    a = pd.date_range(start, as_of, freq=freq)
    p = pd.DataFrame({"a": a, "b": a + step})
    p["value_at_b"] = p["b"].where(p["b"] <= as_of + pd.Timedelta(microseconds=1), as_of + pd.Timedelta(microseconds=1))
    if grain == "month":
        p["period"] = p["a"].dt.strftime("%Y-%m")
    else:
        p["period"] = p["a"].dt.year.astype(str) + "-Q" + p["a"].dt.quarter.astype(str)
    return p


def spells(ev: pd.DataFrame, churn_events: list[str], w: pd.Timedelta, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per activity spell: customer_id, spell_no, start_ts, loss_ts (NaT = still active)."""
    is_churn = ev["event"].isin(churn_events)
    value = ev.loc[(ev["revenue"] > 0) & ~is_churn, ["customer_id", "ts"]].drop_duplicates()
    churn = ev.loc[is_churn, ["customer_id", "ts"]].drop_duplicates().rename(columns={"ts": "next_churn"})
    value = value.sort_values("ts")
    churn = churn.sort_values("next_churn")
    v = pd.merge_asof(
        value,
        churn,
        left_on="ts",
        right_on="next_churn",
        by="customer_id",
        direction="forward",
        allow_exact_matches=True,
    )
    v = v.sort_values(["customer_id", "ts"], kind="stable").reset_index(drop=True)
    g = v.groupby("customer_id", sort=False)
    prev_ts = g["ts"].shift()
    prev_churn = g["next_churn"].shift()
    starts = prev_ts.isna() | (v["ts"] > prev_ts + w) | (prev_churn < v["ts"])
    v["spell_no"] = starts.astype(np.int64).groupby(v["customer_id"], sort=False).cumsum()
    s = v.groupby(["customer_id", "spell_no"], sort=False).agg(
        start_ts=("ts", "first"), last_value_ts=("ts", "last"), churn_after_last=("next_churn", "last")
    )
    s = s.reset_index()
    end = s["last_value_ts"] + w
    by_churn = s["churn_after_last"].notna() & (s["churn_after_last"] <= end)
    s["loss_ts"] = s["churn_after_last"].where(by_churn, end.where(end <= as_of))
    return s[["customer_id", "spell_no", "start_ts", "loss_ts"]]


def _values_at(probes: pd.DataFrame, revenue: pd.DataFrame) -> np.ndarray:
    """Revenue (integer units) in [t - 365 days, t) for each probe row (customer_id, t)."""
    rev = revenue.sort_values(["customer_id", "ts"], kind="stable").copy()
    rev["cum"] = rev.groupby("customer_id", sort=False)["amount"].cumsum()
    rev = rev.sort_values("ts", kind="stable")

    def before(t: pd.Series) -> np.ndarray:
        q = pd.DataFrame(
            {"customer_id": probes["customer_id"].to_numpy(), "t": t.to_numpy(), "i": np.arange(len(probes))}
        ).sort_values("t", kind="stable")
        m = pd.merge_asof(
            q,
            rev[["customer_id", "ts", "cum"]],
            left_on="t",
            right_on="ts",
            by="customer_id",
            direction="backward",
            allow_exact_matches=False,
        )
        out = np.zeros(len(probes), np.int64)
        out[m["i"].to_numpy()] = m["cum"].fillna(0).to_numpy(np.int64)
        return out

    return before(probes["t"]) - before(probes["t"] - pd.Timedelta(days=365))


def movements(ev: pd.DataFrame, churn_events: list[str], churn_after_days: int, grain: str = "month") -> pd.DataFrame:
    """The waterfall per period; counts as int, money as int ten-thousandths (see :func:`as_decimal`)."""
    as_of = ev["ts"].max()
    ev = ev.assign(revenue=(ev["revenue"].astype("float64") * MONEY).round().astype(np.int64))
    p = periods(ev["ts"].min(), as_of, grain)
    sp = spells(ev, churn_events, pd.Timedelta(days=churn_after_days), as_of)

    # every (spell, period) it touches: from the period of its start to that of its loss (or the last)
    a = p["a"].to_numpy()
    first_idx = np.searchsorted(a, sp["start_ts"].to_numpy(), side="right") - 1
    last_idx = np.where(
        sp["loss_ts"].isna(), len(p) - 1, np.searchsorted(a, sp["loss_ts"].fillna(as_of).to_numpy(), side="right") - 1
    )
    n = last_idx - first_idx + 1
    t = sp.loc[sp.index.repeat(n)].reset_index(drop=True)
    t["period_idx"] = np.repeat(first_idx, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    t = t.join(p[["a", "b", "value_at_b"]], on="period_idx")
    t["active_a"] = (t["start_ts"] < t["a"]) & (t["loss_ts"].isna() | (t["loss_ts"] >= t["a"]))
    t["active_b"] = t["loss_ts"].isna() | (t["loss_ts"] >= t["b"])
    t["acquired_in"] = (t["spell_no"] == 1) & (t["start_ts"] >= t["a"])
    st = (
        t.groupby(["customer_id", "period_idx"], sort=False)
        .agg(
            a=("a", "first"),
            value_at_b=("value_at_b", "first"),
            active_a=("active_a", "any"),
            active_b=("active_b", "any"),
            acquired_in=("acquired_in", "any"),
        )
        .reset_index()
    )
    st["class"] = np.select(
        [
            st["acquired_in"] & st["active_b"],
            ~st["acquired_in"] & ~st["active_a"] & st["active_b"],
            st["active_a"] & ~st["active_b"],
            st["active_a"] & st["active_b"],
        ],
        ["new", "reactivated", "churned", "retained"],
        "other",
    )

    payers = ev[ev["customer_id"].isin(sp["customer_id"].unique()) & (ev["revenue"] != 0)]
    revenue = payers.groupby(["customer_id", "ts"], sort=False)["revenue"].sum().rename("amount").reset_index()
    st["value_a"] = 0
    st["value_b"] = 0
    on_a = st["active_a"].to_numpy()
    on_b = st["active_b"].to_numpy()
    st.loc[on_a, "value_a"] = _values_at(st.loc[on_a, ["customer_id", "a"]].rename(columns={"a": "t"}), revenue)
    st.loc[on_b, "value_b"] = _values_at(
        st.loc[on_b, ["customer_id", "value_at_b"]].rename(columns={"value_at_b": "t"}), revenue
    )

    cls = st["class"]
    change = st["value_b"] - st["value_a"]
    retained = cls == "retained"
    per = (
        pd.DataFrame(
            {
                "period_idx": st["period_idx"],
                "customers_start": st["active_a"].astype(np.int64),
                "new": (cls == "new").astype(np.int64),
                "reactivated": (cls == "reactivated").astype(np.int64),
                "churned": (cls == "churned").astype(np.int64),
                "customers_end": st["active_b"].astype(np.int64),
                "value_start": st["value_a"],
                "new_value": st["value_b"].where(cls == "new", 0),
                "reactivation_value": st["value_b"].where(cls == "reactivated", 0),
                "expansion": change.clip(lower=0).where(retained, 0),
                "contraction": (-change).clip(lower=0).where(retained, 0),
                "churned_value": st["value_a"].where(cls == "churned", 0),
                "value_end": st["value_b"],
            }
        )
        .groupby("period_idx")
        .sum()
    )
    idx = np.searchsorted(a, ev["ts"].to_numpy(), side="right") - 1
    per["revenue"] = pd.Series(ev["revenue"].to_numpy()).groupby(idx).sum()
    out = p[["period"]].join(per.reindex(range(len(p))).fillna(0).astype(np.int64))
    return out.reset_index(drop=True)


def as_decimal(df: pd.DataFrame) -> pd.DataFrame:
    """Money columns of :func:`movements` as ``Decimal`` (4 places), like ``Model.movements(exact=True)``."""
    df = df.copy()
    for c in VALUES:
        df[c] = [Decimal(int(v)).scaleb(-4) for v in df[c]]
    return df


def disagreements(ours: pd.DataFrame, model: pd.DataFrame) -> list[str]:
    """Every number where the pandas table (integer units) and the model's exact table differ."""
    out = []
    if list(ours["period"]) != list(model["period"]):
        return [f"periods differ: {list(ours['period'])[:3]}... vs {list(model['period'])[:3]}..."]
    for c in COUNTS:
        for per, x, y in zip(ours["period"], ours[c], model[c], strict=True):
            if int(x) != int(y):
                out.append(f"{per} {c}: pandas {x} model {y}")
    for c in VALUES:
        for per, x, y in zip(ours["period"], ours[c], model[c], strict=True):
            if int(x) != int(Decimal(y) * MONEY):
                out.append(f"{per} {c}: pandas {Decimal(int(x)).scaleb(-4)} model {y}")
    return out
