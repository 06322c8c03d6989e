-- overhead_programs: what recording cost each program, best of N: one
-- row per group of runs and program (the manifest's program attribute;
-- a run without one is a program of its own), from the program's
-- fastest execution with recording on and its fastest with it off, as
-- benchmarks take the best of repeated runs to keep out the noise of
-- the machine:
--
--   group          the campaign, or the runs' value of the attribute
--                  (NULL: runs without it)
--   campaign       the program's campaign
--   program_id     the first 12 hex digits of the MD5 of its text
--   path           the path of its fastest timed run (of runs as fast,
--                  the first by path)
--   runs           its runs, and of them those timed (exec_ns and
--   timed          baseline_ns > 0): N
--   exec_ns        the fastest execution of its timed runs with
--   baseline_ns    recording on, and with it off (a run's times divided
--                  by its iters, iters_of)
--   overhead       exec_ns / baseline_ns - 1
--   extra_ns       exec_ns - baseline_ns
--   records        records of the fastest run
--   ns_per_record  extra_ns / records
--
-- kdf report overhead --per program summarizes these rows per group;
-- its --plot draws their CDF.
--
-- Variables (SET VARIABLE name = ...):
--   group_by  'campaign' (default) or an attribute of runs.attrs: arm,
--             trial, boot, vm, ...
--   campaign  only this campaign (unset or NULL: every campaign)

WITH r AS (
  SELECT run_group(coalesce(getvariable('group_by'), 'campaign'), campaign, attrs) AS "group",
         campaign, path, run_id, records, program,
         CASE WHEN program IS NOT NULL THEN 'p' || program ELSE 'r' || run_id END AS sample,
         CASE WHEN baseline_ns > 0 THEN exec_ns / iters_of(attrs) END AS exec_ns,
         CASE WHEN baseline_ns > 0 THEN baseline_ns / iters_of(attrs) END AS baseline_ns
  FROM runs
  WHERE (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
),
best AS (
  SELECT "group", campaign, sample, left(md5(any_value(coalesce(program, CAST(run_id AS VARCHAR)))), 12) AS program_id,
         arg_min(path, (exec_ns, path)) AS path, count(*) AS runs, count(exec_ns) AS timed,
         min(exec_ns) AS exec_ns, min(baseline_ns) AS baseline_ns, arg_min(records, (exec_ns, path)) AS records,
         min(path) AS first_path
  FROM r
  GROUP BY "group", campaign, sample
)
SELECT "group", campaign, program_id, coalesce(path, first_path) AS path, runs, timed, exec_ns, baseline_ns,
       exec_ns / baseline_ns - 1 AS overhead,
       exec_ns - baseline_ns AS extra_ns,
       records,
       CASE WHEN records > 0 THEN (exec_ns - baseline_ns) / records END AS ns_per_record
FROM best
ORDER BY "group" NULLS LAST, campaign, overhead NULLS LAST, program_id;
