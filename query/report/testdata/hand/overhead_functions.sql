-- The overhead_functions report written by hand over the Parquet
-- parts: no views, macros or variables (the top 10). {records} and
-- {calls} are replaced by the lists of their parts.
WITH own AS (
  SELECT module, func, any_value(demangled) AS demangled, count(*) AS records
  FROM read_parquet({records}, hive_partitioning = true)
  GROUP BY module, func
),
inside AS (
  SELECT module, func, count(*) AS calls,
         CAST(coalesce(sum(records) FILTER (WHERE enclosing_last IS NULL OR first_record > enclosing_last), 0) AS BIGINT) AS records_in_calls
  FROM (
    SELECT module, func, first_record, records,
           max(last_record) OVER (PARTITION BY campaign, run_id, module, func ORDER BY first_record
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS enclosing_last
    FROM read_parquet({calls}, hive_partitioning = true)
  )
  GROUP BY module, func
),
ranked AS (
  SELECT o.module, o.demangled, coalesce(i.calls, 0) AS calls, o.records,
         o.records / sum(o.records) OVER () AS share,
         CAST(sum(o.records) OVER w AS BIGINT) AS cum_records,
         sum(o.records) OVER w / sum(o.records) OVER () AS cum_share,
         coalesce(i.records_in_calls, 0) AS records_in_calls,
         coalesce(i.records_in_calls, 0) / sum(o.records) OVER () AS in_calls_share,
         row_number() OVER w AS rank
  FROM own o LEFT JOIN inside i ON i.module = o.module AND i.func IS NOT DISTINCT FROM o.func
  WINDOW w AS (ORDER BY o.records DESC, o.module, o.demangled NULLS LAST, o.func NULLS LAST ROWS UNBOUNDED PRECEDING)
)
SELECT rank, module, demangled AS function, calls, records, share, cum_records, cum_share, records_in_calls, in_calls_share
FROM ranked WHERE rank <= 10 ORDER BY rank
