-- Touchpoints and loss (DOMAIN.md, drivers): for each stage s and each non-churn event e that the
-- stage map lists under s, the acquired customers with a non-churn event in s, split into those exposed to
-- e (in s) and the rest, and how many of each were ever lost up to as_of. The statistics (risk
-- ratio, interval, p and q values) are computed from these counts in analytics/model.py.
-- customers_at_stake: the exposed customers still active at as_of; value_at_stake: their yearly worth,
-- their revenue in (as_of - 365 days, as_of] (DOMAIN.md: "the customers and value at stake").
-- Parameters: $as_of TIMESTAMP.
WITH customers AS (
    SELECT customer_key, bool_or(loss_ts IS NOT NULL) AS ever_lost, bool_or(loss_ts IS NULL) AS active_now
    FROM model_spells GROUP BY customer_key
),
worth AS (
    SELECT e.customer_key, sum(e.revenue) AS value
    FROM model_money e SEMI JOIN customers c ON c.customer_key = e.customer_key AND c.active_now
    WHERE e.ts > $as_of - INTERVAL 365 DAY
    GROUP BY e.customer_key
),
exposure AS (
    -- who met which stage and touchpoint (journey_exposure.sql), read once; the joins on
    -- customers below keep the acquired ones
    SELECT * FROM model_exposure
),
in_stage AS (
    SELECT DISTINCT customer_key, pos FROM exposure
),
population AS (
    SELECT i.pos, count(*) AS n, count(*) FILTER (WHERE c.ever_lost) AS n_lost
    FROM in_stage i JOIN customers c USING (customer_key)
    GROUP BY i.pos
),
pairs AS (
    SELECT st.stage, st.pos, se.event, se.touchpoint
    FROM model_stage_events se JOIN model_stages st USING (stage)
    WHERE se.event NOT IN (SELECT event FROM model_churn_events)
),
exposed AS (
    SELECT x.touchpoint,
        count(*) AS exposed,
        count(*) FILTER (WHERE c.ever_lost) AS exposed_lost,
        count(*) FILTER (WHERE c.active_now) AS customers_at_stake,
        sum(w.value) FILTER (WHERE c.active_now) AS value_at_stake
    FROM exposure x
    JOIN customers c USING (customer_key)
    LEFT JOIN worth w USING (customer_key)
    WHERE x.touchpoint IS NOT NULL
    GROUP BY x.touchpoint
),
final AS (
    SELECT pr.stage, pr.event,
        coalesce(ex.exposed, 0) AS exposed,
        coalesce(ex.exposed_lost, 0) AS exposed_lost,
        coalesce(po.n, 0) - coalesce(ex.exposed, 0) AS unexposed,
        coalesce(po.n_lost, 0) - coalesce(ex.exposed_lost, 0) AS unexposed_lost,
        coalesce(ex.customers_at_stake, 0) AS customers_at_stake,
        coalesce(ex.value_at_stake, 0)::DECIMAL(38, 4) AS value_at_stake
    FROM pairs pr
    LEFT JOIN exposed ex USING (touchpoint)
    LEFT JOIN population po USING (pos)
    ORDER BY pr.pos, pr.event
)
SELECT * FROM final
