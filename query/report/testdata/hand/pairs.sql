-- The pairs report written by hand over the Parquet parts: no views,
-- macros or variables. {calls} is replaced by the list of calls parts.
WITH calls AS (
  SELECT * FROM read_parquet({calls}, hive_partitioning = true)
),
c AS (
  SELECT c.module, c.func, c.demangled, c.status, c.depth, c.run_id, c.ret,
         CASE WHEN c.ret_size = 4 AND c.ret & 4294967295 >= 4294963201 THEN 4294967296 - (c.ret & 4294967295)
              WHEN c.ret_size = 8 AND c.ret >= 18446744073709547521 THEN CAST(18446744073709551616 - CAST(c.ret AS HUGEINT) AS BIGINT)
         END AS code,
         coalesce(p.func = c.func AND p.module = c.module, false) AS recursive
  FROM calls c LEFT JOIN calls p ON p.run_id = c.run_id AND p.call_id = c.parent_id
),
named AS (
  SELECT c.*, CASE WHEN c.code IS NOT NULL THEN coalesce(e.name, 'E' || c.code) END AS errno_name
  FROM c LEFT JOIN errnos e ON e.code = c.code
),
totals AS (
  SELECT module, func, demangled, count(*) AS calls,
         count(*) FILTER (WHERE status = 'complete') AS complete,
         count(*) FILTER (WHERE status = 'no_return') AS no_return,
         count(*) FILTER (WHERE status = 'no_entry') AS no_entry,
         count(*) FILTER (WHERE status = 'truncated') AS truncated,
         count(DISTINCT run_id) AS runs, count(ret) AS returns,
         count(errno_name) / nullif(count(ret), 0) AS error_share,
         max(depth) AS max_depth, count(*) FILTER (WHERE recursive) AS recursive
  FROM named GROUP BY ALL
),
errs AS (
  SELECT module, func,
         list(errno_name ORDER BY rank) FILTER (WHERE rank <= 5) AS top_errnos,
         list(share ORDER BY rank) FILTER (WHERE rank <= 5) AS top_errno_shares
  FROM (
    SELECT module, func, errno_name, n / returns AS share,
           row_number() OVER (PARTITION BY module, func ORDER BY n DESC, errno_name) AS rank
    FROM (SELECT module, func, errno_name, count(*) AS n FROM named WHERE errno_name IS NOT NULL GROUP BY ALL)
    JOIN totals USING (module, func)
  ) GROUP BY ALL
),
rets AS (
  SELECT module, func,
         list(ret ORDER BY rank) FILTER (WHERE rank <= 5) AS top_rets,
         list(share ORDER BY rank) FILTER (WHERE rank <= 5) AS top_ret_shares
  FROM (
    SELECT module, func, ret, n / returns AS share,
           row_number() OVER (PARTITION BY module, func ORDER BY n DESC, ret) AS rank
    FROM (SELECT module, func, ret, count(*) AS n FROM c WHERE ret IS NOT NULL GROUP BY ALL)
    JOIN totals USING (module, func)
  ) GROUP BY ALL
)
SELECT module, demangled AS function, calls, complete, no_return, no_entry, truncated, runs, returns, error_share,
       coalesce(top_errnos, []) AS top_errnos, coalesce(top_errno_shares, []) AS top_errno_shares,
       coalesce(top_rets, []) AS top_rets, coalesce(top_ret_shares, []) AS top_ret_shares, max_depth, recursive
FROM totals LEFT JOIN errs USING (module, func) LEFT JOIN rets USING (module, func)
ORDER BY module, demangled NULLS LAST, func
