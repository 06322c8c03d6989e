// Package report runs kdf's canned reports: SQL files embedded in the
// binary (sql/*.sql), readable and reusable as they are, over the views
// and macros of package query.
//
// A report is a SQL file plus a small declaration in reports.go: its
// name, its parameters and, where the conventions of package query do
// not fit, the human styles of some columns. Parameters are SQL
// variables the file reads with getvariable('name'), so the same file
// runs in DuckDB's own shell after SET VARIABLE; kdf report makes every
// declared parameter a flag, and refuses a flag the chosen report does
// not declare. Two optional hooks finish what SQL does not do well: Post
// turns the query's table into the report's in Go (statistical tests,
// bootstrap intervals from package query/stats), and Plot draws the
// table as a figure with package query/plot (kdf report --plot FILE).
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
//
// and the examples (sql/examples/):
//
//	ffi_null_buffer  the seed's FFI contract question: calls of
//	                 ffi_check_result whose struct argument has a NULL
//	                 buffer right after ffi_alloc_buf returned 0
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
