-- overhead: what recording cost, per group of runs (the campaign, or
-- the value of an attribute such as arm), one row per group:
--
--   group          the campaign, or the runs' value of the attribute
--                  (NULL: runs without it); kdf report names the column
--                  after --by
--   runs           runs (buffers)
--   records        records decoded
--   words          record words written (the buffers' counters; a
--                  counter past what a buffer can hold, -1, is left out)
--   bytes          words x 8
--   fill_median    median and largest buffer fill, (words + 1) /
--   fill_max       capacity, over the runs whose capacity is known
--   saturated      runs whose buffer filled up: records were probably
--                  dropped
--   torn           runs whose counted words end in an incomplete record
--   callback_ns    estimated time spent in the callbacks: records x
--                  cost_ns
--   timed          runs whose manifest gives exec_ns and baseline_ns
--                  (baseline_ns > 0)
--   ratios         exec_ns / baseline_ns of each timed run, increasing
--   extra_ns       exec_ns - baseline_ns of each timed run, increasing
--   ns_per_record  (exec_ns - baseline_ns) / records of each timed run
--                  with records, increasing
--
-- kdf report overhead finishes the table in Go with package query/stats
-- and replaces the three lists by their summaries: overhead_median
-- (median of the ratios, minus 1), overhead_lo and overhead_hi (a 95%
-- percentile bootstrap interval of that median, from the exact
-- bootstrap distribution rather than sampled resamples), overhead_geomean (geometric mean of the ratios, minus 1),
-- overhead_p90 (their 90th percentile, type 7, minus 1), extra_ns and
-- ns_per_record (medians). In DuckDB's shell, median(ratios) is
-- list_median(ratios), the same type 7 median.
--
-- Variables (SET VARIABLE name = ...):
--   group_by  'campaign' (default) or an attribute of runs.attrs: arm,
--             trial, boot, vm, ...
--   campaign  only this campaign (unset or NULL: every campaign)
--   cost_ns   cost of one callback in nanoseconds (default 27, as
--             measured on the seed)

WITH r AS (
  SELECT run_group(coalesce(getvariable('group_by'), 'campaign'), campaign, attrs) AS "group",
         records, words, fill, saturated, torn,
         CASE WHEN baseline_ns > 0 THEN exec_ns / baseline_ns END AS ratio,
         CASE WHEN baseline_ns > 0 THEN exec_ns - baseline_ns END AS extra_ns
  FROM runs
  WHERE (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
)
SELECT "group",
       count(*) AS runs,
       CAST(sum(records) AS BIGINT) AS records,
       CAST(coalesce(sum(words) FILTER (WHERE words >= 0), 0) AS BIGINT) AS words,
       CAST(coalesce(sum(words) FILTER (WHERE words >= 0), 0) * 8 AS BIGINT) AS bytes,
       median(fill) AS fill_median,
       max(fill) AS fill_max,
       count(*) FILTER (WHERE saturated) AS saturated,
       count(*) FILTER (WHERE torn) AS torn,
       CAST(sum(records) AS DOUBLE) * coalesce(getvariable('cost_ns'), 27.0::DOUBLE) AS callback_ns,
       count(ratio) AS timed,
       coalesce(list(ratio ORDER BY ratio) FILTER (WHERE ratio IS NOT NULL), []) AS ratios,
       coalesce(list(extra_ns ORDER BY extra_ns) FILTER (WHERE extra_ns IS NOT NULL), []) AS extra_ns,
       coalesce(list(extra_ns / records ORDER BY extra_ns / records) FILTER (WHERE extra_ns IS NOT NULL AND records > 0), [])
         AS ns_per_record
FROM r
GROUP BY ALL
ORDER BY "group" NULLS LAST;
