-- The overhead report's query written by hand over the Parquet parts:
-- no views, macros or variables (grouped by campaign, 27 ns a
-- callback). {runs} is replaced by the list of runs parts.
WITH r AS (
  SELECT campaign AS "group", records, words, fill, saturated, torn,
         CASE WHEN baseline_ns > 0 THEN exec_ns / baseline_ns END AS ratio,
         CASE WHEN baseline_ns > 0 THEN exec_ns - baseline_ns END AS extra_ns
  FROM read_parquet({runs}, hive_partitioning = true, hive_types = {'campaign': VARCHAR})
)
SELECT "group", count(*) AS runs, CAST(sum(records) AS BIGINT) AS records,
       CAST(coalesce(sum(words) FILTER (WHERE words >= 0), 0) AS BIGINT) AS words,
       CAST(coalesce(sum(words) FILTER (WHERE words >= 0), 0) * 8 AS BIGINT) AS bytes,
       median(fill) AS fill_median, max(fill) AS fill_max,
       count(*) FILTER (WHERE saturated) AS saturated, count(*) FILTER (WHERE torn) AS torn,
       CAST(sum(records) AS DOUBLE) * 27.0::DOUBLE AS callback_ns,
       count(ratio) AS timed,
       coalesce(list(ratio ORDER BY ratio) FILTER (WHERE ratio IS NOT NULL), []) AS ratios,
       coalesce(list(extra_ns ORDER BY extra_ns) FILTER (WHERE extra_ns IS NOT NULL), []) AS extra_ns,
       coalesce(list(extra_ns / records ORDER BY extra_ns / records) FILTER (WHERE extra_ns IS NOT NULL AND records > 0), []) AS ns_per_record
FROM r GROUP BY ALL ORDER BY "group" NULLS LAST
