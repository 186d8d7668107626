-- The customers of the chosen segment: a customer's segment is the last non-empty value seen up
-- to as_of (ties on time: the file's order).
-- {events} is the dataset's events table (quoted by analytics.db.quote_ident).
-- Parameters: $as_of TIMESTAMP, $segment VARCHAR.
WITH segments AS (
    SELECT customer_key, last(segment ORDER BY ts, row_no) FILTER (WHERE segment IS NOT NULL) AS segment
    FROM {events}
    WHERE ts <= $as_of
    GROUP BY customer_key
),
final AS (
    SELECT customer_key FROM segments WHERE segment = $segment
)
SELECT * FROM final
