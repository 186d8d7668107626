-- One row per customer and period in which the customer was active at some point, with the
-- customer's state at the period's start a and end b, their class, their value at a and b,
-- and the instants that attribution needs (acquisition, last reactivation, last loss in the period).
-- "At a" is the state after everything strictly before a: a spell covers a when it started
-- strictly before a and has no loss, or a loss at or after a.
-- value_c(t) = revenue in [t - 365 days, t) when active at t, else 0 (model_cum gives running sums).
WITH touching AS (
    SELECT s.customer_id, p.period_idx, p.a, p.b, s.spell_no, s.start_ts, s.loss_ts
    FROM model_spells s
    JOIN model_periods p ON s.start_ts < p.b AND (s.loss_ts IS NULL OR s.loss_ts >= p.a)
),
states AS (
    SELECT customer_id, period_idx, any_value(a) AS a, any_value(b) AS b,
        bool_or(start_ts < a AND (loss_ts IS NULL OR loss_ts >= a)) AS active_a,
        bool_or(loss_ts IS NULL OR loss_ts >= b) AS active_b,
        bool_or(spell_no = 1 AND start_ts >= a) AS acquired_in,
        max(start_ts) FILTER (WHERE spell_no > 1 AND start_ts >= a) AS last_reactivation_ts,
        min(start_ts) FILTER (WHERE spell_no = 1 AND start_ts >= a) AS acquisition_ts,
        max(loss_ts) FILTER (WHERE loss_ts < b) AS last_loss_ts
    FROM touching
    GROUP BY customer_id, period_idx
),
classed AS (
    SELECT *,
        CASE
            WHEN acquired_in AND active_b THEN 'new'
            WHEN NOT acquired_in AND NOT active_a AND active_b THEN 'reactivated'
            WHEN active_a AND NOT active_b THEN 'churned'
            WHEN active_a AND active_b THEN 'retained'
            ELSE 'other'
        END AS class
    FROM states
),
value_a AS (
    SELECT c.customer_id, c.period_idx,
        coalesce(hi.cum, 0) - coalesce(lo.cum, 0) AS value
    FROM classed c
    ASOF LEFT JOIN model_cum hi ON hi.customer_id = c.customer_id AND hi.ts < c.a
    ASOF LEFT JOIN model_cum lo ON lo.customer_id = c.customer_id AND lo.ts < c.a - INTERVAL 365 DAY
    WHERE c.active_a
),
value_b AS (
    SELECT c.customer_id, c.period_idx,
        coalesce(hi.cum, 0) - coalesce(lo.cum, 0) AS value
    FROM classed c
    ASOF LEFT JOIN model_cum hi ON hi.customer_id = c.customer_id AND hi.ts < c.b
    ASOF LEFT JOIN model_cum lo ON lo.customer_id = c.customer_id AND lo.ts < c.b - INTERVAL 365 DAY
    WHERE c.active_b
),
final AS (
    SELECT c.*,
        coalesce(va.value, 0)::DECIMAL(38, 4) AS value_a,
        coalesce(vb.value, 0)::DECIMAL(38, 4) AS value_b
    FROM classed c
    LEFT JOIN value_a va USING (customer_id, period_idx)
    LEFT JOIN value_b vb USING (customer_id, period_idx)
)
SELECT * FROM final
