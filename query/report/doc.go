// Package report runs kdf's canned reports: SQL files embedded in the
// binary (sql/*.sql), readable and reusable as they are, over the views
// and macros of package query.
//
// A report is a SQL file plus a small declaration in reports.go: its
// name, its parameters and, where the conventions of package query do
// not fit, the human styles of some columns. Parameters are SQL
// variables the file reads with getvariable('name'), so the same file
// runs in DuckDB's own shell after SET VARIABLE; kdf report makes every
// declared parameter a flag (cost_ns is --cost-ns; group_by, as by is a
// SQL keyword, is --by), and refuses a flag the chosen report does not
// declare, or one that selects nothing in the dataset (Check): --by an
// attribute no run has, --func a glob no function matches; the error
// names the attributes there are, or the closest functions. Two optional hooks finish what SQL does not do well: Post
// turns the query's table into the report's in Go (statistical tests,
// bootstrap intervals from package query/stats), and Plot draws a
// figure with package query/plot (kdf report --plot FILE), from the
// table or from the runs behind it (another report's table, with the
// same variables).
// Adding a report touches neither package query nor cmd/kdf.
//
// The reports:
//
//	values  per function and argument: calls, runs, distinct values,
//	        zero and fault shares, min and max (unsigned and sign-
//	        extended), top values with shares, log2 histogram, entropy;
//	        --plot draws one argument's log2 histogram
//	pairs   per function: calls by status (complete, no_return,
//	        no_entry, truncated), error-return share with the top
//	        errnos, top return values, maximum depth, recursion
//	fields  per function, struct argument (or returned struct) and
//	        field: how often the struct was read again in the run
//	        (same address, shape and type), inside the call or after
//	        it, and how often and to what the field had changed.
//	        kcov_dataflow writes no argument at a function's return:
//	        a later read of the same struct is what shows a change
//
// and, over groups of runs (--by campaign, arm or any attribute):
//
//	overhead            per group: runs, records, words, bytes, buffer
//	                    fill (median, max), saturated and torn runs,
//	                    estimated callback time (records x --cost-ns),
//	                    and from the manifests' exec_ns and baseline_ns
//	                    the overhead's median with a bootstrap 95%
//	                    interval, geometric mean and p90, the median
//	                    extra time and ns per record, times divided by
//	                    the manifests' iters; per run, or with
//	                    --per program each program's best of N; --plot
//	                    draws the CDF of the overhead of each group
//	overhead_runs       the same per run, the CDF's data
//	overhead_programs   per program, best of N: its fastest execution
//	                    with recording on and off, the overhead
//	overhead_functions  per campaign or --by group, the functions that
//	                    cost the most records, their cumulative share
//	                    (what excluding them saves) and the records
//	                    inside their calls; --plot draws them as bars
//	compare             per group (arm) over its trials: median
//	                    [min-max] of value coverage, functions reached
//	                    and records, or of each --metric, with the
//	                    Mann-Whitney U p-value and the Vargha-Delaney
//	                    A12 against the baseline; --plot draws value
//	                    coverage growth, or each metric's trials
//	compare_trials      the trials' values compare summarizes
//	compare_growth      distinct (function, argument, value) tuples after
//	                    each run of each trial, in campaign order
//
// and the examples (sql/examples/):
//
//	ffi_null_buffer  the seed's FFI contract question: calls of
//	                 ffi_check_result whose struct argument has a NULL
//	                 buffer right after ffi_alloc_buf returned 0
//
// A metric of compare is any number per trial, given to --metric as
// NAME=AGGREGATE [FROM TABLE] [WHERE CONDITION] (see Metric): an
// aggregate over the trial's runs (a manifest field is attrs['KEY']),
// records, calls, args, arg_fields or rets, several at once; the SQL
// runs in the same locked-down DuckDB as the reports, wrapped so that
// it reads one table's rows of one trial at a time.
//
// Every report's table can be narrowed to some columns (kdf report
// --columns), and a LaTeX one leaves out the report's Wide columns
// unless told, so that it fits a page.
//
// The example, as `kdf report sql ffi_null_buffer` prints it:
//
//	SELECT c.campaign, c.run_id, c.call_id, c.func, c.module, c.depth,
//	       a.call_id AS alloc_call_id, a.ret AS alloc_ret,
//	       f.field_value AS buffer,
//	       errno_name(c.ret, c.ret_size) AS check_errno
//	FROM calls c
//	ASOF JOIN (SELECT * FROM calls WHERE func = 'ffi_alloc_buf') a
//	  ON a.run_id = c.run_id AND a.segment = c.segment AND a.parent_id = c.parent_id
//	 AND a.call_id < c.call_id
//	JOIN arg_fields f
//	  ON f.run_id = c.run_id AND f.call_id = c.call_id AND f.nvals > 1 AND f.field_idx = 0
//	WHERE c.func = 'ffi_check_result'
//	  AND a.ret = 0
//	  AND f.field_value = 0
//	ORDER BY c.campaign, c.run_id, c.call_id;
//
// Over the seed's rust_ffi_contract session it returns the one call:
//
//	campaign               run_id  call_id  func              module             depth  alloc_call_id  alloc_ret  buffer  check_errno
//	seed     -5939710082442468247       15  ffi_check_result  rust_ffi_contract      5              6        0x0     0x0  EFAULT
package report
