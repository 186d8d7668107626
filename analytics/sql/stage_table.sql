-- The stage table per period and stage (DOMAIN.md): entry and advancement, where customers were
-- gained and lost, and each against the stage's own baseline (mean of the previous k periods).
-- Entries and advances come from model_advance (journey_advance.sql).
-- Parameters: $k INTEGER (baseline periods), $grain 'month' | 'quarter'.
WITH lost AS (
    SELECT customer_key, period_idx, last_loss_ts, value_a FROM model_customer_periods WHERE class = 'churned'
),
lost_at AS (
    -- the latest non-churn event at or before the last loss in the period; ties on time: the
    -- later stage in journey order (Unmapped lowest), then the later event name
    SELECT l.period_idx, l.customer_key, any_value(l.value_a) AS value_a,
        coalesce(last(e.pos ORDER BY e.ts, e.pos, e.event), 0) AS pos
    FROM lost l
    LEFT JOIN model_ev e ON e.customer_key = l.customer_key AND e.ts <= l.last_loss_ts AND NOT e.is_churn
    GROUP BY l.period_idx, l.customer_key
),
gained AS (
    SELECT customer_key, period_idx, value_b,
        CASE WHEN class = 'new' THEN acquisition_ts ELSE last_reactivation_ts END AS at_ts
    FROM model_customer_periods WHERE class IN ('new', 'reactivated')
),
gained_at AS (
    -- ties on time: the earliest stage in journey order (Unmapped only when no stage claims any
    -- of the value events), then the earlier event name
    SELECT g.period_idx, g.customer_key, any_value(g.value_b) AS value_b,
        first(e.pos ORDER BY CASE WHEN e.pos = 0 THEN 2147483647 ELSE e.pos END, e.event) AS pos
    FROM gained g
    JOIN model_ev e ON e.customer_key = g.customer_key AND e.ts = g.at_ts AND e.is_value
    GROUP BY g.period_idx, g.customer_key
),
entered AS (
    SELECT p.period_idx, a.pos,
        count(*) AS entered,
        count(a.advanced_ts) AS advanced,
        median(epoch(a.advanced_ts) - epoch(a.entry_ts)) / 86400 AS median_days_to_advance
    FROM model_advance a
    JOIN model_periods p ON p.a = date_trunc($grain, a.entry_ts)
    GROUP BY p.period_idx, a.pos
),
lost_by_stage AS (
    SELECT period_idx, pos, count(*) AS lost, sum(value_a) AS lost_value FROM lost_at GROUP BY ALL
),
gained_by_stage AS (
    SELECT period_idx, pos, count(*) AS gained, sum(value_b) AS gained_value FROM gained_at GROUP BY ALL
),
grid AS (
    SELECT p.period_idx, p.period, s.stage, s.pos
    FROM model_periods p
    CROSS JOIN (SELECT stage, pos FROM model_stages UNION ALL SELECT 'Unmapped', 0) s
),
counts AS (
    SELECT g.period_idx, g.period, g.stage, g.pos,
        coalesce(en.entered, 0) AS entered,
        coalesce(en.advanced, 0) AS advanced,
        en.median_days_to_advance,
        coalesce(ga.gained, 0) AS gained,
        coalesce(ga.gained_value, 0)::DECIMAL(38, 4) AS gained_value,
        coalesce(lo.lost, 0) AS lost,
        coalesce(lo.lost_value, 0)::DECIMAL(38, 4) AS lost_value
    FROM grid g
    LEFT JOIN entered en USING (period_idx, pos)
    LEFT JOIN gained_by_stage ga USING (period_idx, pos)
    LEFT JOIN lost_by_stage lo USING (period_idx, pos)
),
baselines AS (
    SELECT *,
        avg(gained) OVER w AS baseline_gained,
        avg(lost) OVER w AS baseline_lost,
        avg(gained_value) OVER w AS baseline_gained_value,
        avg(lost_value) OVER w AS baseline_lost_value
    FROM counts
    WINDOW w AS (PARTITION BY stage ORDER BY period_idx ROWS BETWEEN $k PRECEDING AND 1 PRECEDING)
),
final AS (
    SELECT period, stage, entered, advanced,
        CASE WHEN entered > 0 THEN advanced / entered END AS conversion,
        median_days_to_advance,
        gained, gained_value, lost, lost_value,
        gained - lost AS net,
        baseline_gained, baseline_lost,
        (gained - baseline_gained) - (lost - baseline_lost) AS impact,
        (gained_value - baseline_gained_value) - (lost_value - baseline_lost_value) AS value_impact,
        baseline_gained_value, baseline_lost_value
    FROM baselines
    ORDER BY period_idx, CASE WHEN pos = 0 THEN 2147483647 ELSE pos END
)
SELECT * FROM final
