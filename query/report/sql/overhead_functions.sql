-- overhead_functions: the functions that cost the most records, most
-- costly first, one row per (module, func):
--
--   rank              1 for the function with the most records
--   function          the function's name, demangled (NULL: records
--                     whose pc resolved to no function)
--   calls             its calls
--   records           its own records (entries, returns, compares):
--   share             what leaving it out of the instrumentation saves,
--                     and that share of every record
--   cum_records       the same for this function and every one ranked
--   cum_share         above it together: what excluding the top rank
--                     functions saves
--   records_in_calls  records inside its calls, nested calls included
--   in_calls_share    (a recursive call counted once, inside its
--                     outermost call): what recording nothing under the
--                     function saves. Functions overlap here (a caller
--                     holds its callees' records), so these do not add
--                     up.
--
-- Variables (SET VARIABLE name = ...):
--   campaign  only this campaign (unset or NULL: every campaign)
--   top       how many functions to list (default 10; 0 lists all)

WITH own AS (
  SELECT module, func, any_value(demangled) AS demangled, count(*) AS records
  FROM records
  WHERE (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
  GROUP BY module, func
),
nesting AS (
  SELECT module, func, first_record, records,
         max(last_record) OVER (PARTITION BY campaign, run_id, module, func ORDER BY first_record
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS enclosing_last
  FROM calls
  WHERE (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
),
inside AS (
  SELECT module, func, count(*) AS calls,
         CAST(coalesce(sum(records) FILTER (WHERE enclosing_last IS NULL OR first_record > enclosing_last), 0) AS BIGINT)
           AS records_in_calls
  FROM nesting
  GROUP BY module, func
),
ranked AS (
  SELECT o.module, o.func, o.demangled, coalesce(i.calls, 0) AS calls, o.records,
         o.records / sum(o.records) OVER () AS share,
         CAST(sum(o.records) OVER cost AS BIGINT) AS cum_records,
         sum(o.records) OVER cost / sum(o.records) OVER () AS cum_share,
         coalesce(i.records_in_calls, 0) AS records_in_calls,
         coalesce(i.records_in_calls, 0) / sum(o.records) OVER () AS in_calls_share,
         row_number() OVER cost AS rank
  FROM own o
  LEFT JOIN inside i ON i.module = o.module AND i.func IS NOT DISTINCT FROM o.func
  WINDOW cost AS (ORDER BY o.records DESC, o.module, o.demangled NULLS LAST, o.func NULLS LAST ROWS UNBOUNDED PRECEDING)
)
SELECT rank, module, demangled AS function, calls, records, share, cum_records, cum_share, records_in_calls, in_calls_share
FROM ranked
WHERE coalesce(getvariable('top'), 10) <= 0 OR rank <= coalesce(getvariable('top'), 10)
ORDER BY rank;
