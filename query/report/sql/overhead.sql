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
--   timed          timed samples: runs whose manifest gives exec_ns and
--                  baseline_ns (baseline_ns > 0), or with per =
--                  'program', programs (the manifest's program) with
--                  such a run
--   ratios         exec_ns / baseline_ns of each timed sample,
--                  increasing
--   extra_ns       exec_ns - baseline_ns of each timed sample, per
--                  iteration, increasing
--   ns_per_record  extra_ns / records of each timed sample with
--                  records, increasing
--
-- A run's times cover iters_of(attrs) executions (its manifest's iters,
-- else 1): they are divided by it, one execution's times. (kdf
-- record's iterations counts the runs its times are the medians of:
-- they are one execution's already.) With per = 'program' a sample is a program's best of N: the
-- fastest execution of its runs with recording on over the fastest with
-- it off (and the records of that fastest run); a run without a
-- program attribute is a program of its own.
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
--   per       'run' (default): each run is a timed sample; 'program':
--             each program's best of its runs

WITH r AS (
  SELECT run_group(coalesce(getvariable('group_by'), 'campaign'), campaign, attrs) AS "group",
         campaign, path, records, words, fill, saturated, torn,
         CASE WHEN getvariable('per') = 'program' AND program IS NOT NULL THEN 'p' || program ELSE 'r' || run_id END AS sample,
         exec_ns / iters_of(attrs) AS exec_ns, baseline_ns / iters_of(attrs) AS baseline_ns
  FROM runs
  WHERE (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
),
samples AS (
  -- each timed run, or each program's best of its timed runs
  SELECT "group", min(exec_ns) / min(baseline_ns) AS ratio, min(exec_ns) - min(baseline_ns) AS extra_ns,
         arg_min(records, (exec_ns, path)) AS records
  FROM r
  WHERE baseline_ns > 0 AND exec_ns IS NOT NULL
  GROUP BY "group", campaign, sample
),
timing AS (
  SELECT "group", count(*) AS timed,
         list(ratio ORDER BY ratio) AS ratios,
         list(extra_ns ORDER BY extra_ns) AS extra_ns,
         coalesce(list(extra_ns / records ORDER BY extra_ns / records) FILTER (WHERE records > 0), []) AS ns_per_record
  FROM samples
  GROUP BY "group"
),
accounting AS (
  SELECT "group",
         count(*) AS runs,
         CAST(sum(records) AS BIGINT) AS records,
         CAST(coalesce(sum(words) FILTER (WHERE words >= 0), 0) AS BIGINT) AS words,
         CAST(coalesce(sum(words) FILTER (WHERE words >= 0), 0) * 8 AS BIGINT) AS bytes,
         median(fill) AS fill_median,
         max(fill) AS fill_max,
         count(*) FILTER (WHERE saturated) AS saturated,
         count(*) FILTER (WHERE torn) AS torn,
         CAST(sum(records) AS DOUBLE) * coalesce(getvariable('cost_ns'), 27.0::DOUBLE) AS callback_ns
  FROM r
  GROUP BY "group"
)
SELECT a.*, coalesce(t.timed, 0) AS timed, coalesce(t.ratios, []) AS ratios, coalesce(t.extra_ns, []) AS extra_ns,
       coalesce(t.ns_per_record, []) AS ns_per_record
FROM accounting a
LEFT JOIN timing t ON t."group" IS NOT DISTINCT FROM a."group"
ORDER BY a."group" NULLS LAST;
