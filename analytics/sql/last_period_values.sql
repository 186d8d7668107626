-- The values at the two boundaries of the last period (the one holding as_of) of a lifecycle cut
-- from one stored with a later as_of (Model._build_lifecycle), in boundary_values.sql's shape:
-- at the period's start a, the stored row's value_a (the spells and the revenue before a are the
-- same under both); at its end, just after as_of (value_at_b), the revenue in
-- [value_at_b - 365 days, value_at_b), that is (as_of - 365 days, as_of], as boundary_values.sql
-- counts it. model_periods holds the last period only; model_money and model_states are the cut ones.
-- {stored} is the stored lifecycle's customer periods table.
WITH final AS (
    SELECT c.customer_key, c.period_idx AS boundary, c.value_a AS value
    FROM {stored} c JOIN model_periods p USING (period_idx)
    WHERE c.active_a
    UNION ALL
    SELECT s.customer_key, s.period_idx + 1, sum(m.revenue)
    FROM model_states s
    JOIN model_periods p USING (period_idx)
    JOIN model_money m ON m.customer_key = s.customer_key
        AND m.ts >= p.value_at_b - INTERVAL 365 DAY AND m.ts < p.value_at_b
    WHERE s.active_b
    GROUP BY s.customer_key, s.period_idx
)
SELECT * FROM final
