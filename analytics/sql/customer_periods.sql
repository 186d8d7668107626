-- One row per customer and period in which the customer was active at some point, with the
-- customer's state at the period's start a and end b (period_states.sql), their class, and their
-- value at a and b (boundary_values.sql): the last of the three steps. The class is customer_class.sql's.
WITH final AS (
    SELECT s.* EXCLUDE (a),
        customer_class(acquired_in, active_a, active_b) AS class,
        coalesce(va.value, 0)::DECIMAL(38, 4) AS value_a,
        coalesce(vb.value, 0)::DECIMAL(38, 4) AS value_b
    FROM model_states s
    LEFT JOIN model_boundary_values va ON va.customer_key = s.customer_key AND va.boundary = s.period_idx AND s.active_a
    LEFT JOIN model_boundary_values vb ON vb.customer_key = s.customer_key AND vb.boundary = s.period_idx + 1 AND s.active_b
)
SELECT * FROM final
