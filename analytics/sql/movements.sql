-- The customer-asset waterfall per period, counts and value (DOMAIN.md).
-- Parameters: $grain 'month' | 'quarter'.
WITH per_period AS (
    SELECT period_idx,
        count(*) FILTER (WHERE active_a) AS customers_start,
        count(*) FILTER (WHERE class = 'new') AS new,
        count(*) FILTER (WHERE class = 'reactivated') AS reactivated,
        count(*) FILTER (WHERE class = 'churned') AS churned,
        count(*) FILTER (WHERE active_b) AS customers_end,
        sum(value_a) AS value_start,
        sum(value_b) FILTER (WHERE class = 'new') AS new_value,
        sum(value_b) FILTER (WHERE class = 'reactivated') AS reactivation_value,
        sum(greatest(value_b - value_a, 0)) FILTER (WHERE class = 'retained') AS expansion,
        sum(greatest(value_a - value_b, 0)) FILTER (WHERE class = 'retained') AS contraction,
        sum(value_a) FILTER (WHERE class = 'churned') AS churned_value,
        sum(value_b) AS value_end
    FROM model_customer_periods
    GROUP BY period_idx
),
revenue AS (
    SELECT p.period_idx, r.revenue
    FROM (SELECT date_trunc($grain, ts) AS a, sum(revenue) AS revenue FROM model_money GROUP BY 1) r
    JOIN model_periods p USING (a)
),
final AS (
    SELECT p.period,
        coalesce(m.customers_start, 0) AS customers_start,
        coalesce(m.new, 0) AS new,
        coalesce(m.reactivated, 0) AS reactivated,
        coalesce(m.churned, 0) AS churned,
        coalesce(m.customers_end, 0) AS customers_end,
        coalesce(m.value_start, 0)::DECIMAL(38, 4) AS value_start,
        coalesce(m.new_value, 0)::DECIMAL(38, 4) AS new_value,
        coalesce(m.reactivation_value, 0)::DECIMAL(38, 4) AS reactivation_value,
        coalesce(m.expansion, 0)::DECIMAL(38, 4) AS expansion,
        coalesce(m.contraction, 0)::DECIMAL(38, 4) AS contraction,
        coalesce(m.churned_value, 0)::DECIMAL(38, 4) AS churned_value,
        coalesce(m.value_end, 0)::DECIMAL(38, 4) AS value_end,
        coalesce(r.revenue, 0)::DECIMAL(38, 4) AS revenue
    FROM model_periods p
    LEFT JOIN per_period m USING (period_idx)
    LEFT JOIN revenue r USING (period_idx)
    ORDER BY p.period_idx
)
SELECT * FROM final
