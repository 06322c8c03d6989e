-- Checksums of a kdf dataset, one query per table, each returning one
-- row. A statement starts with a line "-- TABLE: what it checks" and
-- ends with ";" at the end of a line. checksums.mjs runs them in DuckDB
-- over a plain read_parquet of the directory and computes the same
-- columns with Polars; query/engines_test.go runs them over kdf's views.
-- Both add campaigns, each campaign's rows ("007=24,2026=24"), to every
-- table's checksums.
-- Sums of unsigned 64-bit columns need 128-bit arithmetic: DuckDB sums a
-- UBIGINT (and a BIGINT) into a HUGEINT.

-- runs: identity, accounting, nullable columns, the attrs map
SELECT count(*) AS rows,
  count(DISTINCT run_id) AS distinct_run_id,
  sum(run_id) AS sum_run_id,
  sum(bytes) AS sum_bytes,
  sum(exec_ns) AS sum_exec_ns,
  count(exec_ns) AS nonnull_exec_ns,
  sum(kaslr_offset) AS sum_kaslr_offset,
  count(kaslr_offset) AS nonnull_kaslr_offset,
  sum(first_seq) AS sum_first_seq,
  sum(last_seq) AS sum_last_seq,
  sum(cardinality(attrs)) AS attrs_entries,
  count(*) FILTER (WHERE attrs['arm'] = arm) AS attrs_arm
FROM runs;

-- records: unsigned 64-bit values: pcs are kernel addresses, >= 2^63,
-- and so are some values
SELECT count(*) AS rows,
  count(DISTINCT run_id) AS distinct_run_id,
  count(func) AS nonnull_func,
  sum(pc) AS sum_pc,
  min(pc) AS min_pc,
  sum(func_offset) AS sum_func_offset,
  sum(addr) AS sum_addr,
  sum(value) AS sum_value,
  max(value) AS max_value,
  count(*) FILTER (WHERE value >= 9223372036854775808) AS values_ge_2_63,
  sum(seq) AS sum_seq,
  sum(arg_idx) AS sum_arg_idx,
  sum(size) AS sum_size,
  sum(len(fields)) AS fields_items,
  (SELECT sum(f) FROM (SELECT unnest(fields) AS f FROM records)) AS sum_fields
FROM records;

-- calls: nullable returns, the args and arg_sizes lists
SELECT count(*) AS rows,
  count(DISTINCT run_id) AS distinct_run_id,
  count(*) FILTER (WHERE status = 'complete') AS complete,
  sum(pc) AS sum_pc,
  sum(ret) AS sum_ret,
  count(ret) AS nonnull_ret,
  sum(ret_size) AS sum_ret_size,
  sum(pre_ret) AS sum_pre_ret,
  sum(len(args)) AS args_items,
  (SELECT sum(a) FROM (SELECT unnest(args) AS a FROM calls)) AS sum_args,
  (SELECT sum(s) FROM (SELECT unnest(arg_sizes) AS s FROM calls)) AS sum_arg_sizes
FROM calls;

-- functions: symbol addresses
SELECT count(*) AS rows,
  count(DISTINCT func) AS distinct_func,
  sum(addr) AS sum_addr
FROM functions;

-- rejects: why inputs were not taken
SELECT count(*) AS rows,
  (SELECT string_agg(reason || '=' || n, ',' ORDER BY reason)
     FROM (SELECT reason, count(*) AS n FROM rejects GROUP BY reason)) AS reasons,
  sum(bytes) AS sum_bytes
FROM rejects;
