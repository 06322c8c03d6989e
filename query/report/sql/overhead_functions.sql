-- overhead_functions: the functions that cost the most records, most
-- costly first, one row per group of runs and (module, func):
--
--   group             the campaign, or the runs' value of the attribute
--                     given as group_by (NULL: runs without it)
--   rank              1 for the group's function with the most records
--   function          the function's name, demangled (NULL: records
--                     whose pc resolved to no function)
--   calls             its calls
--   records           its own records (entries, returns, compares):
--   share             what leaving it out of the instrumentation saves,
--                     and that share of the group's records
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
--   group_by  'campaign' (default) or an attribute of runs.attrs: arm,
--             trial, boot, vm, ...
--   campaign  only this campaign (unset or NULL: every campaign)
--   top       how many functions to list per group (default 10; 0
--             lists all)

WITH grouped AS (
  SELECT campaign, run_id,
         run_group(coalesce(getvariable('group_by'), 'campaign'), campaign, attrs) AS "group"
  FROM runs
  WHERE (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
),
own AS (
  SELECT g."group", r.module, r.func, any_value(r.demangled) AS demangled, count(*) AS records
  FROM records r JOIN grouped g USING (campaign, run_id)
  GROUP BY g."group", r.module, r.func
),
nesting AS (
  SELECT g."group", c.module, c.func, c.first_record, c.records,
         max(c.last_record) OVER (PARTITION BY c.campaign, c.run_id, c.module, c.func ORDER BY c.first_record
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS enclosing_last
  FROM calls c JOIN grouped g USING (campaign, run_id)
),
inside AS (
  SELECT "group", module, func, count(*) AS calls,
         CAST(coalesce(sum(records) FILTER (WHERE enclosing_last IS NULL OR first_record > enclosing_last), 0) AS BIGINT)
           AS records_in_calls
  FROM nesting
  GROUP BY "group", module, func
),
ranked AS (
  SELECT o."group", o.module, o.func, o.demangled, coalesce(i.calls, 0) AS calls, o.records,
         o.records / sum(o.records) OVER grp AS share,
         CAST(sum(o.records) OVER cost AS BIGINT) AS cum_records,
         sum(o.records) OVER cost / sum(o.records) OVER grp AS cum_share,
         coalesce(i.records_in_calls, 0) AS records_in_calls,
         coalesce(i.records_in_calls, 0) / sum(o.records) OVER grp AS in_calls_share,
         row_number() OVER cost AS rank
  FROM own o
  LEFT JOIN inside i ON i."group" IS NOT DISTINCT FROM o."group" AND i.module = o.module AND i.func IS NOT DISTINCT FROM o.func
  WINDOW grp AS (PARTITION BY o."group"),
         cost AS (PARTITION BY o."group" ORDER BY o.records DESC, o.module, o.demangled NULLS LAST, o.func NULLS LAST
                  ROWS UNBOUNDED PRECEDING)
)
SELECT "group", rank, module, demangled AS function, calls, records, share, cum_records, cum_share, records_in_calls, in_calls_share
FROM ranked
WHERE coalesce(getvariable('top'), 10) <= 0 OR rank <= coalesce(getvariable('top'), 10)
ORDER BY "group" NULLS LAST, rank;
