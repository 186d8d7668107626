-- Each person's first entry into each stage and where they advanced from it (DOMAIN.md, stage
-- table): one row per person and stage with an event in it (customer_key, pos, entry_ts), and
-- advanced_ts, the first event of any later stage at or after the entry (NULL: none). It does not
-- depend on the lifecycle's settings, so it is stored with the first look for every event
-- (analytics.lifecycle) and otherwise read as a view on model_ev.
WITH entries AS (
    SELECT customer_key, pos, min(ts) AS entry_ts
    FROM model_ev WHERE pos > 0
    GROUP BY customer_key, pos
),
later AS (
    -- the earliest entry of a later stage (journey order): when it came at or after this entry, it
    -- is where the customer advanced to. Otherwise (a later stage entered first, about 4% of
    -- entries at 10 M events) the advance is looked up in the log (back_again).
    SELECT customer_key, pos, entry_ts,
        min(entry_ts) OVER (PARTITION BY customer_key ORDER BY pos DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS first_later
    FROM entries
),
back_again AS (
    -- for those entries: the first event of any later stage from the entry on
    SELECT l.customer_key, l.pos, min(e.ts) AS advanced_ts
    FROM later l
    JOIN model_ev e ON e.customer_key = l.customer_key AND e.pos > l.pos AND e.ts >= l.entry_ts
    WHERE l.first_later < l.entry_ts
    GROUP BY l.customer_key, l.pos
),
final AS (
    SELECT l.customer_key, l.pos, l.entry_ts,
        CASE WHEN l.first_later < l.entry_ts THEN b.advanced_ts ELSE l.first_later END AS advanced_ts
    FROM later l
    LEFT JOIN back_again b USING (customer_key, pos)
)
SELECT * FROM final
