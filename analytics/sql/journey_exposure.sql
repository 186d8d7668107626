-- Who met which stage and touchpoint (DOMAIN.md, drivers): one row per person, stage and
-- touchpoint with a non-churn event of the stage. A churn event is the outcome itself: it is no
-- touchpoint, and it does not put anyone into a stage's population. touchpoint is NULL for an
-- event of the stage that the map lists elsewhere (the data gave the stage): it puts the person
-- into the stage, not into a touchpoint. first_ts, the first such event, lets a journey stored
-- for every event be cut at an earlier as_of. Stored and read like journey_advance.sql.
WITH final AS (
    SELECT customer_key, pos, touchpoint, min(ts) AS first_ts
    FROM model_ev WHERE pos > 0 AND NOT is_churn
    GROUP BY customer_key, pos, touchpoint
)
SELECT * FROM final
