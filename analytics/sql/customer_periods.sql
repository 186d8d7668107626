-- One row per customer and period in which the customer was active at some point, with the
-- customer's state at the period's start a and end b, their class, their value at a and b,
-- and the instants that attribution needs (acquisition, last reactivation, last loss in the period).
-- "At a" is the state after everything strictly before a: a spell covers a when it started
-- strictly before a and has no loss, or a loss at or after a.
-- value_c(t) = revenue in [t - 365 days, t) when active at t, else 0 (at the end of the period
-- holding as_of, t is just after as_of: see periods.sql). It is read off one running
-- sum per customer over their revenue and two probes per instant t (at t and at t - 365 days),
-- probes sorting before revenue at the same instant: value = sum before t - sum before t - 365 d.
WITH touching AS (
    SELECT s.customer_key, p.period_idx, p.a, p.b, p.value_at_b, s.spell_no, s.start_ts, s.loss_ts
    FROM model_spells s
    JOIN model_periods p ON s.start_ts < p.b AND (s.loss_ts IS NULL OR s.loss_ts >= p.a)
),
states AS (
    SELECT customer_key, period_idx, any_value(a) AS a, any_value(b) AS b, any_value(value_at_b) AS value_at_b,
        bool_or(start_ts < a AND (loss_ts IS NULL OR loss_ts >= a)) AS active_a,
        bool_or(loss_ts IS NULL OR loss_ts >= b) AS active_b,
        bool_or(spell_no = 1 AND start_ts >= a) AS acquired_in,
        max(start_ts) FILTER (WHERE spell_no > 1 AND start_ts >= a) AS last_reactivation_ts,
        min(start_ts) FILTER (WHERE spell_no = 1 AND start_ts >= a) AS acquisition_ts,
        max(loss_ts) FILTER (WHERE loss_ts < b) AS last_loss_ts
    FROM touching
    GROUP BY customer_key, period_idx
),
probes AS (
    -- boundary i is the start of period i and the end of period i - 1: active at the end of
    -- period i - 1 is active at the start of period i (the same spells cover both), so only the
    -- last period's end needs a probe of its own
    SELECT customer_key, period_idx AS boundary, a AS t FROM states WHERE active_a
    UNION ALL
    SELECT customer_key, period_idx + 1 AS boundary, value_at_b AS t FROM states
    WHERE active_b AND period_idx = (SELECT max(period_idx) FROM model_periods)
),
revenue AS (
    SELECT e.customer_key, e.ts, sum(e.revenue) AS amount
    FROM model_money e SEMI JOIN model_spells s ON s.customer_key = e.customer_key
    WHERE e.revenue <> 0
    GROUP BY e.customer_key, e.ts
),
timeline AS (
    SELECT customer_key, ts AS t, 1 AS kind, amount, NULL::INTEGER AS boundary, 0 AS sign FROM revenue
    UNION ALL
    SELECT customer_key, t, 0, 0, boundary, 1 FROM probes
    UNION ALL
    SELECT customer_key, t - INTERVAL 365 DAY, 0, 0, boundary, -1 FROM probes
),
running AS (
    SELECT customer_key, boundary, sign,
        sum(amount) OVER (PARTITION BY customer_key ORDER BY t, kind ROWS UNBOUNDED PRECEDING) AS before
    FROM timeline
),
boundary_values AS (
    SELECT customer_key, boundary, sum(sign * coalesce(before, 0)) AS value
    FROM running WHERE sign <> 0
    GROUP BY customer_key, boundary
),
final AS (
    SELECT s.*,
        CASE
            WHEN acquired_in AND active_b THEN 'new'
            WHEN NOT acquired_in AND NOT active_a AND active_b THEN 'reactivated'
            WHEN active_a AND NOT active_b THEN 'churned'
            WHEN active_a AND active_b THEN 'retained'
            ELSE 'other'
        END AS class,
        coalesce(va.value, 0)::DECIMAL(38, 4) AS value_a,
        coalesce(vb.value, 0)::DECIMAL(38, 4) AS value_b
    FROM states s
    LEFT JOIN boundary_values va ON va.customer_key = s.customer_key AND va.boundary = s.period_idx AND s.active_a
    LEFT JOIN boundary_values vb ON vb.customer_key = s.customer_key AND vb.boundary = s.period_idx + 1 AND s.active_b
)
SELECT * FROM final
