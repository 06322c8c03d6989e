-- The compare report's query written by hand over the Parquet parts:
-- no views, macros or variables (grouped by arm, the first arm the
-- baseline). {runs}, {records} and {calls} are replaced by the lists
-- of their parts.
WITH rt AS (
  SELECT campaign, run_id, records, trial, attrs['arm'] AS "group",
         dense_rank() OVER (ORDER BY attrs['arm'], campaign, trial) AS tk
  FROM read_parquet({runs}, hive_partitioning = true, hive_types = {'campaign': VARCHAR})
),
trials AS (
  SELECT tk, any_value("group") AS "group", any_value(campaign) AS campaign, any_value(trial) AS trial,
         count(*) AS runs, CAST(sum(records) AS BIGINT) AS records
  FROM rt GROUP BY tk
),
value_tuples AS (
  SELECT tk, count(*) AS value_coverage
  FROM (
    SELECT DISTINCT rt.tk, a.module, a.func, a.arg_idx, a.value
    FROM read_parquet({records}, hive_partitioning = true, hive_types = {'campaign': VARCHAR}) a
    JOIN rt ON rt.campaign = a.campaign AND rt.run_id = a.run_id
    WHERE a.kind = 'entry' AND a.func IS NOT NULL
  ) GROUP BY tk
),
reached AS (
  SELECT tk, count(*) AS functions
  FROM (
    SELECT DISTINCT rt.tk, c.module, c.func
    FROM read_parquet({calls}, hive_partitioning = true, hive_types = {'campaign': VARCHAR}) c
    JOIN rt ON rt.campaign = c.campaign AND rt.run_id = c.run_id
    WHERE c.func IS NOT NULL
  ) GROUP BY tk
)
SELECT "group", campaign, trial, "group" IS NOT DISTINCT FROM min("group") OVER () AS baseline,
       runs, coalesce(value_coverage, 0) AS value_coverage, coalesce(functions, 0) AS functions, records
FROM trials LEFT JOIN value_tuples USING (tk) LEFT JOIN reached USING (tk)
ORDER BY "group" NULLS LAST, campaign, try_cast(trial AS BIGINT) NULLS LAST, trial NULLS LAST
