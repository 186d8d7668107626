-- The customer periods by quarter, from the same lifecycle's customer periods by month (the same
-- as_of, churn window and churn events): what period_states.sql, boundary_values.sql and
-- customer_periods.sql give by quarter, without walking the spells and the revenue again.
-- A quarter's start and end are month boundaries, and the last quarter ends where the last month
-- does (the values just after as_of, see periods.sql), so each quarter row follows from its
-- months' rows: a customer has a row in a quarter when they have one in any of its months (a
-- spell touching the quarter touches one of its months); their state and value at its start are
-- those of its first month's start, at its end those of its last month's end (the month holding
-- as_of, in the last quarter); acquired in it when acquired in any of its months, the acquisition
-- the earliest, the last reactivation and the last loss the latest. Equal to the computed ones
-- on random logs (tests/test_lifecycle.py).
-- The class is customer_class.sql's. {months} is the monthly customer periods table.
-- Parameters: $first TIMESTAMP (the first event, where the periods begin), $as_of TIMESTAMP.
WITH months AS (
    SELECT m.*, date_trunc('month', $first) + to_months(m.period_idx) AS a
    FROM {months} m
),
quarters AS (
    SELECT customer_key,
        date_diff('quarter', date_trunc('quarter', $first), a)::INTEGER AS period_idx,
        bool_or(active_a AND month(a) % 3 = 1) AS active_a,
        bool_or(active_b AND (month(a) % 3 = 0 OR a = date_trunc('month', $as_of))) AS active_b,
        bool_or(acquired_in) AS acquired_in,
        max(last_reactivation_ts) AS last_reactivation_ts,
        min(acquisition_ts) AS acquisition_ts,
        max(last_loss_ts) AS last_loss_ts,
        sum(value_a) FILTER (WHERE month(a) % 3 = 1) AS value_a,
        sum(value_b) FILTER (WHERE month(a) % 3 = 0 OR a = date_trunc('month', $as_of)) AS value_b
    FROM months
    GROUP BY ALL
),
final AS (
    SELECT customer_key, period_idx, active_a, active_b, acquired_in, last_reactivation_ts, acquisition_ts,
        last_loss_ts,
        customer_class(acquired_in, active_a, active_b) AS class,
        coalesce(value_a, 0)::DECIMAL(38, 4) AS value_a,
        coalesce(value_b, 0)::DECIMAL(38, 4) AS value_b
    FROM quarters
)
SELECT * FROM final
