// Package query answers SQL over a kdf dataset with DuckDB, embedded:
// no server, nothing downloaded, the library linked into kdf.
//
// This package alone imports the DuckDB binding, kdf's one use of cgo;
// query/report, query/export, query/shell, cmd/kdf and internal/bench
// link it through this package. Rendering (query/table), statistics (query/stats) and
// figures (query/plot) are pure Go, and so are ingest, transform, schema
// and the ingest job (internal/pipeline): they build with CGO_ENABLED=0.
//
// Open lists the dataset's committed parts once (the directory is the
// truth; the ledger only names the parts of an interrupted commit, which
// are never read) and creates, in an in-memory DuckDB database, views
// over exactly those Parquet files, then the macros and views below.
// Queries run over the files in place. Opening costs what listing the
// files costs: compaction (kdf compact) keeps them few. OpenAll opens
// several datasets as one (one per host, or per campaign): their tables
// are unioned.
//
// # The dataset's tables
//
//	runs       one row per raw buffer: provenance, attributes, accounting
//	records    one row per record, symbolized, linked to its call
//	calls      one row per call rebuilt by pairing entries and returns
//	functions  one row per symbol-table function that records resolved to
//	rejects    one row per input not ingested, and why
//
// Columns are those of package schema, in its order; every view also has
// campaign, from the Hive partition of the part's path
// (TABLE/campaign=C/), read as text, and dataset, the name of the
// dataset the row comes from (its directory's base name, or NAME given
// as NAME=DIR). Every row of every part is a row of its table: a plain
// read_parquet of the directory returns the same rows.
//
// # Views for argument and return questions
//
//	args        one row per ENTRY record: campaign, run_id, call_id,
//	            record_idx, func, demangled, module, arg_idx, size, value,
//	            value_s (value sign-extended by size), is_fault, nvals,
//	            fields (every word of a struct; NULL for a scalar)
//	arg_fields  one row per value word of every argument: ..., nvals,
//	            field_idx (0 for a scalar and a struct's first field),
//	            field_value, is_fault
//	rets        one row per RET record (pre-entry returns excluded): ...,
//	            size, value, value_s, errno, errno_name, is_fault
//	errnos      code, name: kdf's errno table
//	contents    one row per distinct buffer content: sha256, runs (how
//	            many runs share it), campaigns, bytes, example_path
//
// # Macros
//
//	sext(v, size)        v read as a signed integer of size bytes (1, 2,
//	                     4; else 8): sext(0xfffffff2, 4) = -14
//	is_fault(v)          v = 0xBADADD85, the kernel's "could not read"
//	errno_of(v, size)    14 for -EFAULT in a 4- or 8-byte return, else NULL
//	errno_name(v, size)  'EFAULT' (or 'E<n>' for a code without a name),
//	                     else NULL; names from package transform/errno
//	hexv(v)              '0xfffffff2' (DuckDB's hex(v) gives 'FFFFFFF2')
//	log2_bucket(v)       0 for 0, k for v in [2^(k-1), 2^k)
//	errno_names()        the errno names as a list indexed by code
//	run_group(group_by, campaign, attrs)
//	                     a run's group as the reports' --by makes it:
//	                     its campaign for 'campaign', else attrs[group_by]
//	iters_of(attrs)      executions a run's times add up: its manifest's
//	                     iters, 1 without
//
// Their SQL is in sql/macros.sql and sql/views.sql, each statement with
// its documentation; Definitions returns every statement Open ran, so
// that other engines can be given the same definitions.
//
// # Results
//
// Rows converts each result into the table model of query/table:
// UBIGINT as uint64 (styled hex for people: pc, address and value
// words), HUGEINT as *big.Int, DECIMAL exactly, lists, maps and structs
// nested, dates and times as text. Columns named share, *_share or
// *_shares are fractions, styled as percentages. CopyParquet writes a
// result with DuckDB's COPY; WriteArrow writes an Arrow IPC file and
// needs the build tag duckdb_arrow (DuckDB's Arrow interface), without
// which it returns ErrNoArrow.
//
// Vars are SQL variables for one query; SQL reads them with
// getvariable('name'). The canned reports (package query/report) take
// their parameters this way, so their files run unchanged in DuckDB's
// own shell after SET VARIABLE. Where a query reads a variable only
// through getvariable('name') with a literal name, the call is replaced
// by the value as a typed constant, which is what DuckDB would fold it
// into; otherwise the variables are declared on the query's connection
// and removed afterwards.
//
// # Security
//
// A dataset is data someone else may have produced, and SQL is a
// language that reads files. Once Open has created the views, DuckDB is
// locked down (enable_external_access = false, lock_configuration =
// true), so that a query can read:
//
//   - the committed parts the ledger names (allowed_paths), through the
//     views or read_parquet of those exact paths;
//   - a private temporary directory, created by Open and removed by
//     Close (allowed_directories), where DuckDB spills past its memory
//     limit and writes CopyParquet's file before kdf moves it to its
//     destination. It is kdf-query-PID-* in the system's temporary
//     directory, flocked while open, so that Open removes those a
//     killed process left.
//
// and nothing else: no other file (read_csv('/etc/passwd'), a glob over
// the dataset, a part no commit names), no COPY TO elsewhere, no ATTACH,
// no extension installed or loaded, no configuration changed back.
// Settings that only tune a query (threads, memory_limit,
// preserve_insertion_order, default_order, default_null_order) stay
// open, two of them bounded: CheckSettings, which kdf query and kdf
// sql run first, refuses threads beyond 4 per core (DuckDB starts them
// all at once) and memory_limit below 64 MiB (every query would fail)
// or above the machine's memory; Options are held to the same bounds. The database itself is in memory: CREATE TABLE and the like
// last until Close and never reach the disk. kdf itself reads the
// ledger and kdf.json; the dataset is never written.
//
// # Examples
//
// The commands over this package (executed as tests in cmd/kdf, with
// DATASET a small ingested dataset):
//
//	kdf query DATASET "SELECT func, count(*) AS calls FROM calls GROUP BY ALL ORDER BY calls DESC, func LIMIT 5"
//	kdf query DATASET "SELECT func, arg_idx, hexv(value) AS value, value_s FROM args WHERE size = 4 AND value_s < 0 ORDER BY ALL"
//	kdf query DATASET "SELECT errno_name, count(*) AS n FROM rets WHERE errno IS NOT NULL GROUP BY ALL ORDER BY ALL" --format md
//	kdf query DATASET "SELECT func, field_idx, field_value FROM arg_fields WHERE nvals > 1 ORDER BY ALL" --format csv
//	kdf query DATASET "SELECT func, depth FROM calls WHERE depth > getvariable('d') ORDER BY ALL" --var d=8 --format json
//	kdf report values DATASET --func 'ffi_*' --format latex
//	kdf report pairs DATASET --module rust_ffi_contract --top 3
//	kdf report ffi_null_buffer DATASET
//	kdf report sql ffi_null_buffer
package query
