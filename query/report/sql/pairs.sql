-- pairs: how the entries and returns of each function paired into
-- calls, one row per (module, func):
--
--   function          the function's name, demangled (Rust symbols
--                     read eight_args_rust::write_handler)
--   calls             calls rebuilt
--   complete          with entry and return
--   no_return         closed by an outer return: void functions, or a
--                     return record lost
--   no_entry          a return without entry: functions without
--                     arguments
--   truncated         still open when the buffer's segment ended
--   runs              runs (buffers) with a call of the function
--   returns           calls with a return value
--   error_share       share of returns that carry an errno (sizes 4
--                     and 8, -4095..-1 once sign-extended; ERR_PTRs
--                     included)
--   top_errnos        the most common errnos, most common first, and
--   top_errno_shares  each one's share of returns
--   top_rets          the most common return values and each one's
--   top_ret_shares    share of returns
--   max_depth         deepest nesting a call reached (0: top of a
--                     segment)
--   recursive         calls whose parent is a call of the same function
--
-- Pre-entry return records (kind pre_ret) are not returns here.
--
-- Variables (SET VARIABLE name = ...; unset or NULL: no filter):
--   func      glob over function names, matched against func and
--             demangled: '*ioctl*'
--   module    a module, '' for the core kernel
--   campaign  a campaign
--   top       how many errnos and return values to list (default 5)

WITH c AS (
  SELECT c.module, c.func, c.demangled, c.status, c.depth, c.run_id, c.ret,
         errno_name(c.ret, c.ret_size) AS errno_name,
         coalesce(p.func = c.func AND p.module = c.module, false) AS recursive
  FROM calls c
  LEFT JOIN calls p ON p.run_id = c.run_id AND p.call_id = c.parent_id
  WHERE (getvariable('func') IS NULL OR c.func GLOB getvariable('func') OR c.demangled GLOB getvariable('func'))
    AND (getvariable('module') IS NULL OR c.module = getvariable('module'))
    AND (getvariable('campaign') IS NULL OR c.campaign = getvariable('campaign'))
),
totals AS (
  SELECT module, func, demangled,
         count(*) AS calls,
         count(*) FILTER (WHERE status = 'complete') AS complete,
         count(*) FILTER (WHERE status = 'no_return') AS no_return,
         count(*) FILTER (WHERE status = 'no_entry') AS no_entry,
         count(*) FILTER (WHERE status = 'truncated') AS truncated,
         count(DISTINCT run_id) AS runs,
         count(ret) AS returns,
         count(errno_name) / nullif(count(ret), 0) AS error_share,
         max(depth) AS max_depth,
         count(*) FILTER (WHERE recursive) AS recursive
  FROM c
  GROUP BY ALL
),
errnos AS (
  SELECT module, func,
         list(errno_name ORDER BY rank) FILTER (WHERE rank <= coalesce(getvariable('top'), 5)) AS top_errnos,
         list(share ORDER BY rank) FILTER (WHERE rank <= coalesce(getvariable('top'), 5)) AS top_errno_shares
  FROM (
    SELECT module, func, errno_name, n / returns AS share,
           row_number() OVER (PARTITION BY module, func ORDER BY n DESC, errno_name) AS rank
    FROM (SELECT module, func, errno_name, count(*) AS n FROM c WHERE errno_name IS NOT NULL GROUP BY ALL)
    JOIN totals USING (module, func)
  )
  GROUP BY ALL
),
rets AS (
  SELECT module, func,
         list(ret ORDER BY rank) FILTER (WHERE rank <= coalesce(getvariable('top'), 5)) AS top_rets,
         list(share ORDER BY rank) FILTER (WHERE rank <= coalesce(getvariable('top'), 5)) AS top_ret_shares
  FROM (
    SELECT module, func, ret, n / returns AS share,
           row_number() OVER (PARTITION BY module, func ORDER BY n DESC, ret) AS rank
    FROM (SELECT module, func, ret, count(*) AS n FROM c WHERE ret IS NOT NULL GROUP BY ALL)
    JOIN totals USING (module, func)
  )
  GROUP BY ALL
)
SELECT module, demangled AS function, calls, complete, no_return, no_entry, truncated, runs, returns, error_share,
       coalesce(top_errnos, []) AS top_errnos, coalesce(top_errno_shares, []) AS top_errno_shares,
       coalesce(top_rets, []) AS top_rets, coalesce(top_ret_shares, []) AS top_ret_shares,
       max_depth, recursive
FROM totals
LEFT JOIN errnos USING (module, func)
LEFT JOIN rets USING (module, func)
ORDER BY module, demangled NULLS LAST, func;
