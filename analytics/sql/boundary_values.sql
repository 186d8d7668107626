-- A customer's value at each period boundary where they are active (the second step of the
-- customer periods, after period_states.sql). value_c(t) = revenue in [t - 365 days, t) when
-- active at t (at the end of the period holding as_of, t is just after as_of: see periods.sql).
-- One running sum per customer over a timeline of their revenue, the same revenue taken off again
-- 365 days later, and one probe per boundary t: the sum before a probe is the revenue in
-- [t - 365 days, t). Probes sort before revenue and take-offs at the same instant (revenue at t
-- is not yet in; revenue at t - 365 days is still in).
-- Boundary i is the start of period i and the end of period i - 1: active at the end of period
-- i - 1 is active at the start of period i (the same spells cover both), so only the last
-- period's end needs a probe of its own.
-- Revenue taken off at or after the last boundary changes no probe (probes sort first), so it is
-- left out: with a year of a two-year log's payments gone, the running sum walks a sixth fewer
-- rows (0.92 s -> 0.79 s at 10 million events).
WITH probes AS (
    SELECT customer_key, period_idx AS boundary, a AS t FROM model_states WHERE active_a
    UNION ALL
    SELECT s.customer_key, s.period_idx + 1 AS boundary, p.value_at_b AS t
    FROM model_states s JOIN model_periods p USING (period_idx)
    WHERE s.active_b AND s.period_idx = (SELECT max(period_idx) FROM model_periods)
),
timeline AS (
    SELECT customer_key, ts AS t, 1 AS kind, revenue AS amount, NULL::INTEGER AS boundary
    FROM model_money WHERE revenue <> 0
    UNION ALL
    SELECT customer_key, ts + INTERVAL 365 DAY, 1, -revenue, NULL
    FROM model_money WHERE revenue <> 0 AND ts + INTERVAL 365 DAY < (SELECT max(value_at_b) FROM model_periods)
    UNION ALL
    SELECT customer_key, t, 0, 0, boundary FROM probes
),
running AS (
    SELECT customer_key, boundary,
        sum(amount) OVER (PARTITION BY customer_key ORDER BY t, kind ROWS UNBOUNDED PRECEDING) AS value
    FROM timeline
),
final AS (
    SELECT customer_key, boundary, coalesce(value, 0) AS value FROM running WHERE boundary IS NOT NULL
)
SELECT * FROM final
