// Package table is kdf's one table model and its renderings.
//
// A Table is a list of Columns (a name, a Kind saying which Go type the
// column's values have, and a Style saying how people want to read
// them) and rows of values, nil meaning SQL NULL. Computing a table
// (DuckDB in package query, statistics elsewhere) is kept apart from
// drawing it, which is this package's job, in one of six Formats:
//
//	Text      aligned columns for a terminal              human
//	Markdown  a pipe table, padded to read as source      human
//	LaTeX     booktabs, fitted to \linewidth (below)      human
//	CSV       RFC 4180                                    exact
//	TSV       tab-separated, \t \n \r \\ escaped         exact
//	JSON      JSON lines: one object per row              exact
//
// Human renderings apply the column's Style: value words in hex,
// shares as percentages, counts, sizes and durations scaled. Exact
// renderings ignore styles and keep every value as it is: integers,
// unsigned 64-bit ones included, in full decimal; floats in the
// shortest form that reads back to the same bits; nested values (lists,
// maps, structs) as JSON.
//
// A missing value (NULL) has one symbol in every human format, in a
// cell and inside a list: Missing, an em dash (--- in LaTeX source).
// CSV and TSV leave the field empty (CSV quotes an empty string, TSV
// cannot tell it from NULL), JSON writes null.
//
// LaTeX is written for a paper: a booktabs tabular inside
// \resizebox, which scales it down to \linewidth when it is wider and
// leaves it as it is otherwise; with a caption or a label (Options) a
// table float around it. From LongRows rows it is a longtable instead,
// which breaks across pages and repeats its header, in a smaller font
// the wider its columns (a longtable cannot be scaled). The first line
// names the packages it needs. Select keeps the columns a page has
// room for.
//
// The package is pure Go: it does not know DuckDB, so tools that never
// link cgo can draw tables too.
package table
