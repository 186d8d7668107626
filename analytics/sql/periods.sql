-- Calendar periods (UTC), half-open [a, b), from the one holding $first to the one holding $as_of.
-- value_at_b is the instant at which the value at the end is measured: b, except in the period
-- holding as_of, where it is just after as_of (revenue in (as_of - 365 days, as_of]): measured at
-- b, an unfinished period would lose the revenue of (as_of - 365 days, b - 365 days) with nothing
-- new to replace it, a contraction that did not happen.
-- Parameters: $first TIMESTAMP, $as_of TIMESTAMP, $grain 'month' | 'quarter', $step INTERVAL.
WITH starts AS (
    SELECT unnest(generate_series(date_trunc($grain, $first), date_trunc($grain, $as_of), $step)) AS a
),
final AS (
    SELECT
        (row_number() OVER (ORDER BY a) - 1)::INTEGER AS period_idx,
        CASE WHEN $grain = 'quarter' THEN strftime(a, '%Y') || '-Q' || quarter(a) ELSE strftime(a, '%Y-%m') END AS period,
        a::TIMESTAMP AS a,
        (a + $step)::TIMESTAMP AS b,
        least(a + $step, $as_of + INTERVAL 1 MICROSECOND)::TIMESTAMP AS value_at_b
    FROM starts
)
SELECT * FROM final ORDER BY period_idx
