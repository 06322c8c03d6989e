-- The compare_growth report written by hand over the Parquet parts: no
-- views, macros or variables (grouped by arm). {runs} and {records}
-- are replaced by the lists of their parts.
WITH rt AS (
  SELECT campaign, run_id, trial, attrs['arm'] AS "group", exec_ns,
         CAST(attrs['round'] AS DOUBLE) AS round, CAST("timestamp" AS TIMESTAMPTZ) AS ts,
         dense_rank() OVER (ORDER BY attrs['arm'], campaign, trial) AS tk,
         row_number() OVER (PARTITION BY attrs['arm'], campaign, trial
                            ORDER BY try_cast("timestamp" AS TIMESTAMPTZ) NULLS LAST, "timestamp" NULLS LAST, path, run_id) AS run
  FROM read_parquet({runs}, hive_partitioning = true, hive_types = {'campaign': VARCHAR})
),
news AS (
  SELECT tk, run, count(*) AS new_values
  FROM (
    SELECT rt.tk, min(rt.run) AS run
    FROM read_parquet({records}, hive_partitioning = true, hive_types = {'campaign': VARCHAR}) a
    JOIN rt ON rt.campaign = a.campaign AND rt.run_id = a.run_id
    WHERE a.kind = 'entry' AND a.func IS NOT NULL
    GROUP BY rt.tk, a.module, a.func, a.arg_idx, a.value
  ) GROUP BY tk, run
)
SELECT rt."group", rt.campaign, rt.trial, rt.run, rt.run_id, rt.round,
       date_diff('microsecond', first_value(rt.ts) OVER (PARTITION BY rt.tk ORDER BY rt.run), rt.ts) / 1e6 AS elapsed_s,
       sum(rt.exec_ns) OVER (PARTITION BY rt.tk ORDER BY rt.run) / 1e9 AS exec_s,
       coalesce(news.new_values, 0) AS new_values,
       CAST(sum(coalesce(news.new_values, 0)) OVER (PARTITION BY rt.tk ORDER BY rt.run) AS BIGINT) AS value_coverage
FROM rt LEFT JOIN news ON news.tk = rt.tk AND news.run = rt.run
ORDER BY rt."group" NULLS LAST, rt.campaign, try_cast(rt.trial AS BIGINT) NULLS LAST, rt.trial NULLS LAST, rt.run
