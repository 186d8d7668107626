-- The events the model sees: up to as_of, of the chosen segment's customers, each with its
-- stage resolved (a stage given in the data when the map knows it, else the map's stage for the
-- event, else Unmapped) and its journey position (1.. in map order; Unmapped is 0).
-- {events} is the dataset's events table (quoted by analytics.db.quote_ident).
-- Parameters: $as_of TIMESTAMP, $segment VARCHAR (NULL: everyone).
WITH src AS (
    SELECT * FROM {events} WHERE ts <= $as_of
),
segments AS (
    -- a customer's segment is the last non-empty value seen (ties on time: the file's order)
    SELECT customer_id, last(segment ORDER BY ts, row_no) FILTER (WHERE segment IS NOT NULL) AS segment
    FROM src
    GROUP BY customer_id
),
chosen AS (
    SELECT customer_id FROM segments WHERE $segment IS NULL OR segment = $segment
),
final AS (
    SELECT
        s.customer_id,
        s.ts,
        s.row_no,
        s.event,
        coalesce(data_stage.stage, map_stage.stage, 'Unmapped') AS stage,
        coalesce(data_stage.pos, map_stage.pos, 0) AS pos,
        s.revenue,
        s.event IN (SELECT event FROM model_churn_events) AS is_churn,
        s.revenue > 0 AND s.event NOT IN (SELECT event FROM model_churn_events) AS is_value
    FROM src s
    SEMI JOIN chosen c ON c.customer_id = s.customer_id
    LEFT JOIN model_stages data_stage ON data_stage.stage = s.stage
    LEFT JOIN (
        SELECT e.event, e.stage, st.pos
        FROM model_stage_events e JOIN model_stages st USING (stage)
    ) map_stage ON map_stage.event = s.event
)
SELECT * FROM final
