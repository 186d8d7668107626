-- Retention by acquisition cohort: of the customers acquired in a period, how many are active
-- at the end of each period since (k = 0 is the acquisition period itself).
WITH cohort_of AS (
    SELECT s.customer_key, p.period_idx AS cohort_idx
    FROM model_spells s JOIN model_periods p ON s.start_ts >= p.a AND s.start_ts < p.b
    WHERE s.spell_no = 1
),
sizes AS (
    SELECT cohort_idx, count(*) AS customers FROM cohort_of GROUP BY cohort_idx
),
active AS (
    SELECT c.cohort_idx, cp.period_idx, count(*) AS active
    FROM model_customer_periods cp JOIN cohort_of c USING (customer_key)
    WHERE cp.active_b
    GROUP BY c.cohort_idx, cp.period_idx
),
final AS (
    SELECT pc.period AS cohort,
        (p.period_idx - s.cohort_idx)::INTEGER AS periods_since,
        s.customers,
        coalesce(a.active, 0) AS active,
        coalesce(a.active, 0) / s.customers AS retention
    FROM sizes s
    JOIN model_periods pc ON pc.period_idx = s.cohort_idx
    JOIN model_periods p ON p.period_idx >= s.cohort_idx
    LEFT JOIN active a ON a.cohort_idx = s.cohort_idx AND a.period_idx = p.period_idx
    ORDER BY s.cohort_idx, p.period_idx
)
SELECT * FROM final
