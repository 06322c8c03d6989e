-- The overhead_functions report written by hand over the Parquet
-- parts: no views, macros or variables (grouped by campaign, the top 10
-- of each). {runs}, {records} and {calls} are replaced by the lists of
-- their parts.
WITH grouped AS (
  SELECT campaign, run_id, campaign AS "group"
  FROM read_parquet({runs}, hive_partitioning = true, hive_types = {'campaign': VARCHAR})
),
own AS (
  SELECT g."group", r.module, r.func, any_value(r.demangled) AS demangled, count(*) AS records
  FROM read_parquet({records}, hive_partitioning = true, hive_types = {'campaign': VARCHAR}) r
  JOIN grouped g USING (campaign, run_id)
  GROUP BY g."group", r.module, r.func
),
inside AS (
  SELECT "group", module, func, count(*) AS calls,
         CAST(coalesce(sum(records) FILTER (WHERE enclosing_last IS NULL OR first_record > enclosing_last), 0) AS BIGINT) AS records_in_calls
  FROM (
    SELECT g."group", c.module, c.func, c.first_record, c.records,
           max(c.last_record) OVER (PARTITION BY c.campaign, c.run_id, c.module, c.func ORDER BY c.first_record
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS enclosing_last
    FROM read_parquet({calls}, hive_partitioning = true, hive_types = {'campaign': VARCHAR}) c
    JOIN grouped g USING (campaign, run_id)
  )
  GROUP BY "group", module, func
),
ranked AS (
  SELECT o."group", o.module, o.demangled, coalesce(i.calls, 0) AS calls, o.records,
         o.records / sum(o.records) OVER grp AS share,
         CAST(sum(o.records) OVER w AS BIGINT) AS cum_records,
         sum(o.records) OVER w / sum(o.records) OVER grp AS cum_share,
         coalesce(i.records_in_calls, 0) AS records_in_calls,
         coalesce(i.records_in_calls, 0) / sum(o.records) OVER grp AS in_calls_share,
         row_number() OVER w AS rank
  FROM own o LEFT JOIN inside i ON i."group" IS NOT DISTINCT FROM o."group" AND i.module = o.module AND i.func IS NOT DISTINCT FROM o.func
  WINDOW grp AS (PARTITION BY o."group"),
         w AS (PARTITION BY o."group" ORDER BY o.records DESC, o.module, o.demangled NULLS LAST, o.func NULLS LAST ROWS UNBOUNDED PRECEDING)
)
SELECT "group", rank, module, demangled AS function, calls, records, share, cum_records, cum_share, records_in_calls, in_calls_share
FROM ranked WHERE rank <= 10 ORDER BY "group" NULLS LAST, rank
