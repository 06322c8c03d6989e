-- The values report written by hand over the Parquet parts, as a user
-- without kdf's views would: no views, macros or variables. The
-- benchmark compares it with the report; a test checks that both give
-- the same table. {records} is replaced by the list of records parts.
WITH a AS (
  SELECT module, func, demangled, arg_idx, arg_name, size, value, run_id,
         CASE
           WHEN size = 1 THEN CAST(value & 255 AS BIGINT) - CASE WHEN value & 128 <> 0 THEN 256 ELSE 0 END
           WHEN size = 2 THEN CAST(value & 65535 AS BIGINT) - CASE WHEN value & 32768 <> 0 THEN 65536 ELSE 0 END
           WHEN size = 4 THEN CAST(value & 4294967295 AS BIGINT) - CASE WHEN value & 2147483648 <> 0 THEN 4294967296 ELSE 0 END
           ELSE CAST(CAST(value AS HUGEINT) - CASE WHEN value >= 9223372036854775808 THEN 18446744073709551616 ELSE 0 END AS BIGINT)
         END AS value_s
  FROM read_parquet({records}, hive_partitioning = true)
  WHERE kind = 'entry'
),
totals AS (
  SELECT module, func, demangled, arg_idx, min(arg_name) AS arg_name, max(size) AS size, count(*) AS calls, count(DISTINCT run_id) AS runs,
         avg(CASE WHEN value = 0 THEN 1 ELSE 0 END) AS zero_share,
         avg(CASE WHEN value = 3134905733 THEN 1 ELSE 0 END) AS fault_share,
         min(value) AS min, max(value) AS max, min(value_s) AS min_s, max(value_s) AS max_s
  FROM a GROUP BY ALL
),
per_value AS (SELECT module, func, arg_idx, value, count(*) AS n FROM a GROUP BY ALL),
ranked AS (
  SELECT *, n / sum(n) OVER (PARTITION BY module, func, arg_idx) AS share,
         row_number() OVER (PARTITION BY module, func, arg_idx ORDER BY n DESC, value) AS rank
  FROM per_value
),
distribution AS (
  SELECT module, func, arg_idx, count(*) AS distinct_values,
         list(value ORDER BY rank) FILTER (WHERE rank <= 5) AS top_values,
         list(share ORDER BY rank) FILTER (WHERE rank <= 5) AS top_shares,
         round(abs(sum(share * log2(share))), 9) AS entropy_bits
  FROM ranked GROUP BY ALL
),
histogram AS (
  SELECT module, func, arg_idx, map(list(bucket ORDER BY bucket), list(n ORDER BY bucket)) AS log2_hist
  FROM (
    SELECT module, func, arg_idx,
           CASE WHEN value = 0 THEN 0
                WHEN (CAST(1 AS UBIGINT) << least(63, CAST(floor(log2(CAST(value AS DOUBLE))) AS INTEGER))) > value
                  THEN least(63, CAST(floor(log2(CAST(value AS DOUBLE))) AS INTEGER))
                ELSE least(63, CAST(floor(log2(CAST(value AS DOUBLE))) AS INTEGER)) + 1 END AS bucket,
           CAST(sum(n) AS BIGINT) AS n
    FROM per_value GROUP BY ALL
  ) GROUP BY ALL
)
SELECT module, demangled AS function, arg_idx, arg_name, size, calls, runs, distinct_values, zero_share, fault_share,
       min, max, min_s, max_s, top_values, top_shares, log2_hist, entropy_bits
FROM totals JOIN distribution USING (module, func, arg_idx) JOIN histogram USING (module, func, arg_idx)
ORDER BY module, demangled NULLS LAST, func, arg_idx
