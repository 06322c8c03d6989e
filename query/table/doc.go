// Package table is kdf's one table model and its renderings.
//
// A Table is a list of Columns (a name, a Kind saying which Go type the
// column's values have, and a Style saying how people want to read
// them) and rows of values, nil meaning SQL NULL. Computing a table
// (DuckDB in package query, statistics elsewhere) is kept apart from
// drawing it, which is this package's job, in one of six Formats:
//
//	Text      aligned columns for a terminal            human
//	Markdown  a pipe table, padded to read as source    human
//	LaTeX     a booktabs tabular, specials escaped      human
//	CSV       RFC 4180; NULL is an empty field          exact
//	TSV       tab-separated, \t \n \r \\ escaped, NULL is \N   exact
//	JSON      JSON lines: one object per row            exact
//
// Human renderings apply the column's Style: value words in hex,
// shares as percentages, counts, sizes and durations scaled. Exact
// renderings ignore styles and keep every value as it is: integers,
// unsigned 64-bit ones included, in full decimal; floats in the
// shortest form that reads back to the same bits; nested values (lists,
// maps, structs) as JSON.
//
// The package is pure Go: it does not know DuckDB, so tools that never
// link cgo can draw tables too.
package table
