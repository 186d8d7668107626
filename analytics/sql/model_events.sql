-- The events the stage table and the drivers see: up to as_of, of the chosen customers, each with
-- its stage resolved (a stage given in the data when the map knows it, else the map's stage for
-- the event, else Unmapped) as its journey position, pos (1.. in map order as in model_stages;
-- Unmapped is 0), and as touchpoint the number of its (event, stage) pair in model_stage_events
-- when the map lists the event under that stage (else NULL). Only the columns they read, and
-- numbers rather than names where they group: the whole log passes through here, so every column
-- costs.
-- {events} is the dataset's events table (quoted by analytics.db.quote_ident); {chosen} is empty
-- (everyone) or a semi join on model_chosen (a segment's customers); {until} is
-- "WHERE s.ts <= getvariable('model_as_of')" (as_of, a variable of the cursor: this is a view,
-- which takes no parameters), or empty when every event counts.
WITH final AS (
    SELECT
        s.customer_key,
        s.ts,
        s.event,
        coalesce(data_stage.pos, map_stage.pos, 0) AS pos,
        CASE WHEN data_stage.pos IS NULL OR data_stage.pos = map_stage.pos THEN map_stage.touchpoint END AS touchpoint,
        s.event IN (SELECT event FROM model_churn_events) AS is_churn,
        s.revenue > 0 AND s.event NOT IN (SELECT event FROM model_churn_events) AS is_value
    FROM {events} s
    {chosen}
    LEFT JOIN model_stages data_stage ON data_stage.stage = s.stage
    LEFT JOIN (
        SELECT e.event, e.stage, e.touchpoint, st.pos
        FROM model_stage_events e JOIN model_stages st USING (stage)
    ) map_stage ON map_stage.event = s.event
    {until}
)
SELECT * FROM final
