-- Calendar periods (UTC), half-open [a, b), from the one holding $first to the one holding $as_of.
-- Parameters: $first TIMESTAMP, $as_of TIMESTAMP, $grain 'month' | 'quarter', $step INTERVAL.
WITH starts AS (
    SELECT unnest(generate_series(date_trunc($grain, $first), date_trunc($grain, $as_of), $step)) AS a
),
final AS (
    SELECT
        (row_number() OVER (ORDER BY a) - 1)::INTEGER AS period_idx,
        CASE WHEN $grain = 'quarter' THEN strftime(a, '%Y') || '-Q' || quarter(a) ELSE strftime(a, '%Y-%m') END AS period,
        a::TIMESTAMP AS a,
        (a + $step)::TIMESTAMP AS b
    FROM starts
)
SELECT * FROM final ORDER BY period_idx
