-- overhead_runs: what recording cost, one row per run, in the groups
-- of the overhead report and in campaign order within each (by the
-- timestamp attribute, then path):
--
--   group          the campaign, or the run's value of the attribute
--                  (NULL: the run lacks it)
--   campaign, path the run: its campaign and its path in its source
--   run_id         its key in the other tables
--   records        records decoded
--   words          record words written (-1: past what a buffer holds)
--   bytes          words x 8 (NULL when words is -1)
--   fill           buffer fill, (words + 1) / capacity (NULL: capacity
--                  unknown)
--   saturated      the buffer filled up: records were probably dropped
--   torn           the counted words end in an incomplete record
--   callback_ns    estimated time spent in the callbacks: records x
--                  cost_ns
--   exec_ns        the manifest's times with recording on and off
--   baseline_ns
--   iters          the executions both times add up: the manifest's
--                  iters, 1 without (iters_of; kdf record's times,
--                  medians, are one execution's already)
--   overhead       exec_ns / baseline_ns - 1 (NULL without both times,
--                  or with baseline_ns 0)
--   extra_ns       (exec_ns - baseline_ns) / iters: the time
--                  recording added to one execution
--   ns_per_record  extra_ns / records
--
-- Variables (SET VARIABLE name = ...):
--   group_by  'campaign' (default) or an attribute of runs.attrs: arm,
--             trial, boot, vm, ...
--   campaign  only this campaign (unset or NULL: every campaign)
--   cost_ns   cost of one callback in nanoseconds (default 27, as
--             measured on the seed)

SELECT run_group(coalesce(getvariable('group_by'), 'campaign'), campaign, attrs) AS "group",
       campaign, path, run_id, records, words,
       CASE WHEN words >= 0 THEN words * 8 END AS bytes,
       fill, saturated, torn,
       records * coalesce(getvariable('cost_ns'), 27.0::DOUBLE) AS callback_ns,
       exec_ns, baseline_ns, iters_of(attrs) AS iters,
       CASE WHEN baseline_ns > 0 THEN exec_ns / baseline_ns - 1 END AS overhead,
       CASE WHEN baseline_ns > 0 THEN (exec_ns - baseline_ns) / iters_of(attrs) END AS extra_ns,
       CASE WHEN baseline_ns > 0 AND records > 0 THEN (exec_ns - baseline_ns) / iters_of(attrs) / records END AS ns_per_record
FROM runs
WHERE (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
ORDER BY "group" NULLS LAST, campaign, try_cast("timestamp" AS TIMESTAMPTZ) NULLS LAST, "timestamp" NULLS LAST, path, run_id;
