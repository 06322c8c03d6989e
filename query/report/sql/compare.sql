-- compare: what each group of runs (each arm, by default) reached, per
-- trial: the runs of one group and one trial (the trial attribute,
-- within one campaign) are one sample point. One row per trial:
--
--   group           the run's value of the attribute (NULL: runs
--                   without it), or its campaign
--   campaign        the trial's campaign
--   trial           the trial attribute (NULL: runs without it, one
--                   trial)
--   baseline        the group is the one the others are compared with:
--                   the baseline variable, else the first group by name
--   runs            runs in the trial
--   value_coverage  distinct (module, function, argument index, value)
--                   tuples its arguments took (the first value word;
--                   records whose pc resolved to no function are left
--                   out)
--   functions       distinct functions called (resolved ones)
--   records         records decoded
--
-- kdf report compare_trials prints this table. kdf report compare
-- summarizes it in Go with package query/stats: per metric and group,
-- median [min-max] across trials, and against the baseline group the
-- two-sided Mann-Whitney U p-value and the Vargha-Delaney A12 effect
-- size (the probability that a trial of the group exceeds one of the
-- baseline) with its magnitude.
--
-- Variables (SET VARIABLE name = ...):
--   group_by  an attribute of runs.attrs (default 'arm'), or 'campaign'
--   campaign  only this campaign (unset or NULL: every campaign)
--   baseline  the group the others are compared with

WITH r AS (
  SELECT campaign, run_id, records, trial,
         run_group(coalesce(getvariable('group_by'), 'arm'), campaign, attrs) AS "group"
  FROM runs
  WHERE (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
),
rt AS (
  -- a key per trial: the group and trial may be NULL
  SELECT *, dense_rank() OVER (ORDER BY "group", campaign, trial) AS tk
  FROM r
),
trials AS (
  SELECT tk, any_value("group") AS "group", any_value(campaign) AS campaign, any_value(trial) AS trial,
         count(*) AS runs, CAST(sum(records) AS BIGINT) AS records
  FROM rt
  GROUP BY tk
),
value_tuples AS (
  SELECT tk, count(*) AS value_coverage
  FROM (
    SELECT DISTINCT rt.tk, a.module, a.func, a.arg_idx, a.value
    FROM args a
    JOIN rt ON rt.campaign = a.campaign AND rt.run_id = a.run_id
    WHERE a.func IS NOT NULL
  )
  GROUP BY tk
),
reached AS (
  SELECT tk, count(*) AS functions
  FROM (
    SELECT DISTINCT rt.tk, c.module, c.func
    FROM calls c
    JOIN rt ON rt.campaign = c.campaign AND rt.run_id = c.run_id
    WHERE c.func IS NOT NULL
  )
  GROUP BY tk
)
SELECT "group", campaign, trial,
       "group" IS NOT DISTINCT FROM coalesce(getvariable('baseline'), min("group") OVER ()) AS baseline,
       runs, coalesce(value_coverage, 0) AS value_coverage, coalesce(functions, 0) AS functions, records
FROM trials
LEFT JOIN value_tuples USING (tk)
LEFT JOIN reached USING (tk)
ORDER BY "group" NULLS LAST, campaign, try_cast(trial AS BIGINT) NULLS LAST, trial NULLS LAST;
