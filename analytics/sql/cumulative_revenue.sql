-- Running revenue per customer: cum at ts = all revenue up to and including ts.
-- value_c(t) is then cum(last ts < t) - cum(last ts < t - 365 days).
WITH per_instant AS (
    SELECT customer_id, ts, sum(revenue) AS revenue FROM model_ev GROUP BY customer_id, ts
),
final AS (
    SELECT customer_id, ts,
        sum(revenue) OVER (PARTITION BY customer_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS cum
    FROM per_instant
)
SELECT * FROM final
