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
--   new_values      value tuples the run was the first of its trial to
--                   see: distinct (module, function, argument index,
--                   value), as in compare
--   value_coverage  distinct tuples seen by the trial so far: after its
--                   last run, compare's value_coverage
--
-- Variables (SET VARIABLE name = ...):
--   group_by  an attribute of runs.attrs (default 'arm'), or 'campaign'
--   campaign  only this campaign (unset or NULL: every campaign)

WITH r AS (
  SELECT campaign, run_id, trial, "timestamp", path,
         run_group(coalesce(getvariable('group_by'), 'arm'), campaign, attrs) AS "group"
  FROM runs
  WHERE (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
),
rt AS (
  SELECT *,
         dense_rank() OVER (ORDER BY "group", campaign, trial) AS tk,
         row_number() OVER (PARTITION BY "group", campaign, trial
                            ORDER BY try_cast("timestamp" AS TIMESTAMPTZ) NULLS LAST, "timestamp" NULLS LAST, path, run_id) AS run
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
SELECT rt."group", rt.campaign, rt.trial, rt.run, rt.run_id,
       coalesce(news.new_values, 0) AS new_values,
       CAST(sum(coalesce(news.new_values, 0)) OVER (PARTITION BY rt.tk ORDER BY rt.run) AS BIGINT) AS value_coverage
FROM rt
LEFT JOIN news ON news.tk = rt.tk AND news.run = rt.run
ORDER BY rt."group" NULLS LAST, rt.campaign, try_cast(rt.trial AS BIGINT) NULLS LAST, rt.trial NULLS LAST, rt.run;
