-- Activity spells: one row per stretch of time a customer is active (DOMAIN.md, lifecycle).
-- A value event starts a new spell when it is the customer's first, when it comes more than W
-- after the previous value event (the window ran out; a value event exactly at the window's end
-- still keeps them), or when a churn event fell at or after the previous value event and
-- strictly before it (value events come before churn events at the same instant). A spell ends
-- at the first churn event at or after its last value event and within W of it, else at the last
-- value event + W. The end is a loss only when it is at or before as_of (loss_ts; NULL = active).
-- Spell 1 starts at acquisition; later spells start at reactivations.
-- One pass orders each customer's value events and marks the edges: an event starts a spell by
-- the rule above, and ends one when the next event starts one (or none follows). Only the edges
-- (two per spell at most) are numbered. Value events at the same instant need no de-duplication:
-- neither starts or ends a spell against the other.
-- Parameters: $as_of TIMESTAMP, $w INTERVAL.
WITH value_times AS (
    SELECT customer_key, ts FROM model_money WHERE is_value
),
churn_times AS (
    SELECT DISTINCT customer_key, ts FROM model_money WHERE is_churn
),
with_next_churn AS (
    -- the first churn event at or after each value event
    SELECT v.customer_key, v.ts, c.ts AS next_churn
    FROM value_times v
    ASOF LEFT JOIN churn_times c ON c.customer_key = v.customer_key AND c.ts >= v.ts
),
neighbours AS (
    SELECT customer_key, ts, next_churn,
        lag(ts) OVER w AS prev_ts,
        lag(next_churn) OVER w AS prev_next_churn,
        lead(ts) OVER w AS next_ts
    FROM with_next_churn
    WINDOW w AS (PARTITION BY customer_key ORDER BY ts)
),
edges AS (
    SELECT * FROM (
        SELECT customer_key, ts, next_churn,
            -- no churn event ahead (NULL) is no churn in between: true or false, never NULL
            prev_ts IS NULL OR ts > prev_ts + $w OR coalesce(prev_next_churn < ts, false) AS starts,
            next_ts IS NULL OR next_ts > ts + $w OR coalesce(next_churn < next_ts, false) AS ends
        FROM neighbours
    )
    WHERE starts OR ends
),
numbered AS (
    -- at the same instant a start sorts before an end, so the end takes its spell's number
    SELECT *,
        sum(starts::INTEGER) OVER (PARTITION BY customer_key ORDER BY ts, NOT starts ROWS UNBOUNDED PRECEDING) AS spell_no
    FROM edges
),
spells AS (
    SELECT customer_key, spell_no,
        min(ts) AS start_ts,
        max(ts) AS last_value_ts,
        arg_max(next_churn, ts) AS churn_after_last
    FROM numbered
    GROUP BY customer_key, spell_no
),
final AS (
    SELECT customer_key, spell_no::INTEGER AS spell_no, start_ts,
        CASE
            WHEN churn_after_last IS NOT NULL AND churn_after_last <= last_value_ts + $w THEN churn_after_last
            WHEN last_value_ts + $w <= $as_of THEN last_value_ts + $w
        END AS loss_ts
    FROM spells
)
SELECT * FROM final
