-- compare_growth: how value coverage grew over each trial's runs in
-- order, one row per run: within a group (each arm, by default) and a
-- trial, runs are ordered by their timestamp attribute (parsed as a
-- time, else as text), then by path.
--
--   group           the run's value of the attribute (NULL: runs
--                   without it), or its campaign
--   campaign        the trial's campaign
--   trial           the trial attribute (NULL: runs without it)
--   run             the run's position in its trial, from 1
--   run_id          the run
--   round           the run's round attribute, a number (a fuzzing
--                   round, from the manifest); NULL without one
--   elapsed_s       seconds from the trial's first run to this one, by
--                   their timestamps; NULL without a timestamp that
--                   reads as a time
--   exec_s          seconds of execution so far: the trial's exec_ns
--                   summed up to this run, NULL once a run lacks it
--   new_values      value tuples the run was the first of its trial to
--                   see: distinct (module, function, argument index,
--                   value), as in compare
--   value_coverage  distinct tuples seen by the trial so far: after its
--                   last run, compare's value_coverage
--
-- kdf report compare_growth --plot draws value_coverage over run,
-- round, elapsed_s or exec_s (--axis run, round, time or exec).
--
-- Variables (SET VARIABLE name = ...):
--   group_by  an attribute of runs.attrs (default 'arm'), or 'campaign'
--   campaign  only this campaign (unset or NULL: every campaign)

WITH r AS (
  SELECT campaign, run_id, trial, "timestamp", path, exec_ns,
         try_cast(attrs['round'] AS DOUBLE) AS round,
         try_cast("timestamp" AS TIMESTAMPTZ) AS ts,
         run_group(coalesce(getvariable('group_by'), 'arm'), campaign, attrs) AS "group"
  FROM runs
  WHERE (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
),
rt AS (
  SELECT *,
         dense_rank() OVER (ORDER BY "group", campaign, trial) AS tk,
         row_number() OVER (PARTITION BY "group", campaign, trial
                            ORDER BY ts NULLS LAST, "timestamp" NULLS LAST, path, run_id) AS run
  FROM r
),
firsts AS (
  -- each tuple at the first run of its trial that saw it
  SELECT rt.tk, min(rt.run) AS run
  FROM args a
  JOIN rt ON rt.campaign = a.campaign AND rt.run_id = a.run_id
  WHERE a.func IS NOT NULL
  GROUP BY rt.tk, a.module, a.func, a.arg_idx, a.value
),
news AS (
  SELECT tk, run, count(*) AS new_values
  FROM firsts
  GROUP BY tk, run
)
SELECT rt."group", rt.campaign, rt.trial, rt.run, rt.run_id, rt.round,
       (epoch_us(rt.ts) - epoch_us(min(rt.ts) OVER (PARTITION BY rt.tk))) / 1e6 AS elapsed_s,
       CASE WHEN count(rt.exec_ns) OVER so_far = rt.run THEN sum(rt.exec_ns) OVER so_far / 1e9 END AS exec_s,
       coalesce(news.new_values, 0) AS new_values,
       CAST(sum(coalesce(news.new_values, 0)) OVER so_far AS BIGINT) AS value_coverage
FROM rt
LEFT JOIN news ON news.tk = rt.tk AND news.run = rt.run
WINDOW so_far AS (PARTITION BY rt.tk ORDER BY rt.run ROWS UNBOUNDED PRECEDING)
ORDER BY rt."group" NULLS LAST, rt.campaign, try_cast(rt.trial AS BIGINT) NULLS LAST, rt.trial NULLS LAST, rt.run;
