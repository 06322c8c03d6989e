// Package schema defines the dataset's tables as Arrow schemas: runs
// (one row per raw buffer), records (one per record), calls (one per
// rebuilt call), functions (one per symbol a record resolved to) and
// rejects (one per input not ingested, and why).
//
// Every column is declared once, with its type and meaning, in
// tables.go; the Arrow schemas, the Parquet layout (package part) and
// the README's table of columns (Markdown, checked by a test) all come
// from those declarations. pc, pointer and value words are unsigned
// 64-bit; symbol and low-cardinality string columns are marked for
// dictionary encoding.
package schema
