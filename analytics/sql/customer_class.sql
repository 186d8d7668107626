-- A customer's class in a period (DOMAIN.md, movements), from whether they were acquired in it and
-- their state at its start a and its end b. A macro, so that the rule is written once for the
-- customer periods computed from the events (customer_periods.sql) and for those by quarter made
-- from months (quarters_from_months.sql); defined on a cursor before either runs on it.
CREATE OR REPLACE TEMP MACRO customer_class(acquired_in, active_a, active_b) AS
    CASE
        WHEN acquired_in AND active_b THEN 'new'
        WHEN NOT acquired_in AND NOT active_a AND active_b THEN 'reactivated'
        WHEN active_a AND NOT active_b THEN 'churned'
        WHEN active_a AND active_b THEN 'retained'
        ELSE 'other'
    END
