-- values: how each argument of each function was distributed over the
-- dataset, one row per (module, func, arg_idx):
--
--   function         the function's name, demangled (Rust symbols read
--                    eight_args_rust::write_handler)
--   arg_name         the parameter's name, from the runs' type source
--                    (BTF, DWARF); NULL without one
--   size             the argument's size in bytes (the largest seen)
--   calls            ENTRY records of the argument: the calls that
--                    recorded it (in layout B a struct passed in several
--                    registers counts once per register)
--   runs             runs (buffers) that saw it
--   distinct_values  distinct value words
--   zero_share       share of calls whose value was 0
--   fault_share      share whose value was the fault marker 0xBADADD85
--   min, max         smallest and largest value word, unsigned
--   min_s, max_s     the same, sign-extended by size (sext)
--   top_values       the most common values, most common first (ties:
--   top_shares       smaller value first), and each one's share of calls
--   log2_hist        calls by log2 bucket of the value word: bucket 0
--                    is the value 0, bucket k holds [2^(k-1), 2^k)
--   entropy_bits     Shannon entropy of the values, in bits, rounded to
--                    1e-9 (sums of doubles vary in their last bits with
--                    the order DuckDB's threads add them)
--
-- A struct argument's value is its first field; arg_fields has them all.
--
-- Variables (SET VARIABLE name = ...; unset or NULL: no filter):
--   func      glob over function names, matched against func and
--             demangled: '*ioctl*'
--   module    a module, '' for the core kernel
--   campaign  a campaign
--   arg       an argument index (from 0)
--   top       how many top values to list (default 5)

WITH a AS (
  SELECT module, func, demangled, arg_idx, arg_name, size, value, value_s, is_fault, run_id
  FROM args
  WHERE (getvariable('func') IS NULL OR func GLOB getvariable('func') OR demangled GLOB getvariable('func'))
    AND (getvariable('module') IS NULL OR module = getvariable('module'))
    AND (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
    AND (getvariable('arg') IS NULL OR arg_idx = getvariable('arg'))
),
totals AS (
  SELECT module, func, demangled, arg_idx,
         min(arg_name) AS arg_name,
         max(size) AS size,
         count(*) AS calls,
         count(DISTINCT run_id) AS runs,
         avg(CASE WHEN value = 0 THEN 1 ELSE 0 END) AS zero_share,
         avg(CASE WHEN is_fault THEN 1 ELSE 0 END) AS fault_share,
         min(value) AS min, max(value) AS max,
         min(value_s) AS min_s, max(value_s) AS max_s
  FROM a
  GROUP BY ALL
),
per_value AS (
  SELECT module, func, arg_idx, value, count(*) AS n
  FROM a
  GROUP BY ALL
),
ranked AS (
  SELECT *,
         n / sum(n) OVER arg AS share,
         row_number() OVER (PARTITION BY module, func, arg_idx ORDER BY n DESC, value) AS rank
  FROM per_value
  WINDOW arg AS (PARTITION BY module, func, arg_idx)
),
distribution AS (
  SELECT module, func, arg_idx,
         count(*) AS distinct_values,
         list(value ORDER BY rank) FILTER (WHERE rank <= coalesce(getvariable('top'), 5)) AS top_values,
         list(share ORDER BY rank) FILTER (WHERE rank <= coalesce(getvariable('top'), 5)) AS top_shares,
         round(abs(sum(share * log2(share))), 9) AS entropy_bits
  FROM ranked
  GROUP BY ALL
),
histogram AS (
  SELECT module, func, arg_idx, map(list(bucket ORDER BY bucket), list(n ORDER BY bucket)) AS log2_hist
  FROM (
    SELECT module, func, arg_idx, log2_bucket(value) AS bucket, CAST(sum(n) AS BIGINT) AS n
    FROM per_value
    GROUP BY ALL
  )
  GROUP BY ALL
)
SELECT module, demangled AS function, arg_idx, arg_name, size, calls, runs, distinct_values, zero_share, fault_share,
       min, max, min_s, max_s, top_values, top_shares, log2_hist, entropy_bits
FROM totals
JOIN distribution USING (module, func, arg_idx)
JOIN histogram USING (module, func, arg_idx)
ORDER BY module, demangled NULLS LAST, func, arg_idx;
