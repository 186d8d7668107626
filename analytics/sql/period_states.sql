-- One row per customer and period in which the customer was active at some point: their state at
-- the period's start a and end b, and the instants that attribution needs (acquisition, last
-- reactivation, last loss in the period). The first of the three steps of the customer periods
-- (then boundary_values.sql, customer_periods.sql), each its own statement: as one query with
-- common table expressions the three took a quarter longer at 10 million events.
-- "At a" is the state after everything strictly before a: a spell covers a when it started
-- strictly before a and has no loss, or a loss at or after a.
WITH touching AS (
    SELECT s.customer_key, p.period_idx, p.a, p.b, s.spell_no, s.start_ts, s.loss_ts
    FROM model_spells s
    JOIN model_periods p ON s.start_ts < p.b AND (s.loss_ts IS NULL OR s.loss_ts >= p.a)
),
states AS (
    -- a customer has at most one row per period unless two of their spells touch it (a few in a hundred)
    SELECT customer_key, period_idx,
        bool_or(start_ts < a AND (loss_ts IS NULL OR loss_ts >= a)) AS active_a,
        bool_or(loss_ts IS NULL OR loss_ts >= b) AS active_b,
        bool_or(spell_no = 1 AND start_ts >= a) AS acquired_in,
        max(start_ts) FILTER (WHERE spell_no > 1 AND start_ts >= a) AS last_reactivation_ts,
        min(start_ts) FILTER (WHERE spell_no = 1 AND start_ts >= a) AS acquisition_ts,
        max(loss_ts) FILTER (WHERE loss_ts < b) AS last_loss_ts
    FROM touching
    GROUP BY customer_key, period_idx
),
final AS (
    -- the periods' instants joined after the grouping, not carried through it
    SELECT s.customer_key, s.period_idx, p.a, p.b, p.value_at_b, s.* EXCLUDE (customer_key, period_idx)
    FROM states s JOIN model_periods p USING (period_idx)
)
SELECT * FROM final
