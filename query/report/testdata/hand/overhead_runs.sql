-- The overhead_runs report written by hand over the Parquet parts: no
-- views, macros or variables (grouped by campaign, 27 ns a callback).
-- {runs} is replaced by the list of runs parts.
SELECT campaign AS "group", campaign, path, run_id, records, words,
       CASE WHEN words >= 0 THEN words * 8 END AS bytes,
       fill, saturated, torn, records * 27.0::DOUBLE AS callback_ns, exec_ns, baseline_ns,
       coalesce(CAST(attrs['iters'] AS DOUBLE), 1.0) AS iters,
       CASE WHEN baseline_ns > 0 THEN exec_ns / baseline_ns - 1 END AS overhead,
       CASE WHEN baseline_ns > 0 THEN (exec_ns - baseline_ns) / coalesce(CAST(attrs['iters'] AS DOUBLE), 1.0) END AS extra_ns,
       CASE WHEN baseline_ns > 0 AND records > 0
            THEN (exec_ns - baseline_ns) / coalesce(CAST(attrs['iters'] AS DOUBLE), 1.0) / records END AS ns_per_record
FROM read_parquet({runs}, hive_partitioning = true, hive_types = {'campaign': VARCHAR})
ORDER BY "group" NULLS LAST, campaign, try_cast("timestamp" AS TIMESTAMPTZ) NULLS LAST, "timestamp" NULLS LAST, path, run_id
