-- Who met which stage and touchpoint (DOMAIN.md, drivers): one row per person, stage and
-- touchpoint with a non-churn event of the stage. A churn event is the outcome itself: it is no
-- touchpoint, and it does not put anyone into a stage's population. touchpoint is NULL for an
-- event of the stage that the map lists elsewhere (the data gave the stage): it puts the person
-- into the stage, not into a touchpoint. Stored and read like journey_advance.sql.
WITH final AS (
    SELECT DISTINCT customer_key, pos, touchpoint FROM model_ev WHERE pos > 0 AND NOT is_churn
)
SELECT * FROM final
