-- One row per customer and period in which the customer was active at some point: their state at
-- the period's start a and end b, and the instants that attribution needs (acquisition, last
-- reactivation, last loss in the period). The first of the three steps of the customer periods
-- (then boundary_values.sql, customer_periods.sql), each its own statement: as one query with
-- common table expressions the three took a quarter longer at 10 million events.
-- "At a" is the state after everything strictly before a: a spell covers a when it started
-- strictly before a and has no loss, or a loss at or after a.
WITH touching AS (
    -- each spell in each period it touches, with what it says of the period
    SELECT s.customer_key, p.period_idx, p.a,
        s.start_ts < p.a AND (s.loss_ts IS NULL OR s.loss_ts >= p.a) AS active_a,
        s.loss_ts IS NULL OR s.loss_ts >= p.b AS active_b,
        s.spell_no = 1 AND s.start_ts >= p.a AS acquired_in,
        CASE WHEN s.spell_no > 1 AND s.start_ts >= p.a THEN s.start_ts END AS last_reactivation_ts,
        CASE WHEN s.spell_no = 1 AND s.start_ts >= p.a THEN s.start_ts END AS acquisition_ts,
        CASE WHEN s.loss_ts < p.b THEN s.loss_ts END AS last_loss_ts,
        -- A customer's spells never overlap (each starts after the loss before it), so two of
        -- them share a period only where one is lost and a later one starts: only those rows
        -- (the period of a loss, the period of a reactivation) are grouped, 0.62 s -> 0.39 s at
        -- 10 million events against grouping every customer with a second spell.
        (s.spell_no > 1 AND s.start_ts >= p.a) OR coalesce(s.loss_ts < p.b, false) AS edge
    FROM model_spells s
    JOIN model_periods p ON s.start_ts < p.b AND (s.loss_ts IS NULL OR s.loss_ts >= p.a)
),
final AS (
    SELECT * EXCLUDE (edge) FROM touching WHERE NOT edge
    UNION ALL
    SELECT customer_key, period_idx, a,
        bool_or(active_a), bool_or(active_b), bool_or(acquired_in),
        max(last_reactivation_ts), min(acquisition_ts), max(last_loss_ts)
    FROM touching WHERE edge
    GROUP BY customer_key, period_idx, a
)
SELECT * FROM final
