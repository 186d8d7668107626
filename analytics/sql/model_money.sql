-- The events the lifecycle, the values and the revenue need: up to as_of, of the chosen
-- customers, those with revenue (value events, refunds, zero-revenue rows excluded) or a churn
-- event. A small share of a log (payments and cancels, not the visits, logins and tickets), so
-- the spells and the customer periods never walk the whole log.
-- {events} is the dataset's events table (quoted by analytics.db.quote_ident); {chosen} is empty
-- (everyone) or a semi join on model_chosen (a segment's customers).
-- Parameters: $as_of TIMESTAMP.
WITH churn AS (
    SELECT event FROM model_churn_events
),
final AS (
    SELECT
        s.customer_key,
        s.ts,
        s.revenue,
        s.event IN (SELECT event FROM churn) AS is_churn,
        s.revenue > 0 AND s.event NOT IN (SELECT event FROM churn) AS is_value
    FROM {events} s
    {chosen}
    WHERE s.ts <= $as_of AND (s.revenue <> 0 OR s.event IN (SELECT event FROM churn))
)
SELECT * FROM final
