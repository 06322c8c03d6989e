package table

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Format is a rendering of a table.
type Format uint8

const (
	Text Format = iota
	CSV
	TSV
	JSON
	Markdown
	LaTeX
)

var formatNames = [...]string{"table", "csv", "tsv", "json", "md", "latex"}

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Human reports whether the format is for people (styles applied) or
// for machines (exact values).
func (f Format) Human() bool { return f == Text || f == Markdown || f == LaTeX }

// Formats lists the formats by the names ParseFormat takes.
func Formats() []string { return formatNames[:] }

// ParseFormat reads a format name: table (or text), csv, tsv, json (or
// jsonl), md (or markdown), latex (or tex).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "table", "text", "txt":
		return Text, nil
	case "csv":
		return CSV, nil
	case "tsv":
		return TSV, nil
	case "json", "jsonl", "ndjson":
		return JSON, nil
	case "md", "markdown":
		return Markdown, nil
	case "latex", "tex":
		return LaTeX, nil
	}
	return 0, fmt.Errorf("table: unknown format %q: want one of %s", s, strings.Join(Formats(), ", "))
}

// RowWriter renders rows as they come. Exact formats write each row at
// once; human ones hold the rows until Close, to align the columns.
type RowWriter interface {
	Write(row []any) error
	// Close writes what is held and flushes; it does not close the
	// underlying writer.
	Close() error
}

// Missing is how the human formats show NULL: an em dash (LaTeX's
// ---), in a cell and inside a list. CSV and TSV leave the field
// empty, JSON writes null.
const Missing = "—"

// Options are what a human rendering writes around the table; the
// exact formats have no place for them.
type Options struct {
	// Caption is written as given: LaTeX markup in LaTeX, which then
	// puts the table in a table float; pandoc's "Table: caption" after
	// a Markdown table; a line above a text table.
	Caption string
	// Label is LaTeX's \label (a float's), and pandoc-crossref's
	// {#label} in Markdown; text shows none.
	Label string
}

// NewWriter returns a RowWriter rendering rows of the columns in format
// f to w.
func NewWriter(w io.Writer, f Format, cols []Column) (RowWriter, error) {
	return NewWriterOptions(w, f, cols, Options{})
}

// NewWriterOptions is NewWriter with a caption and a label.
func NewWriterOptions(w io.Writer, f Format, cols []Column, o Options) (RowWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch f {
	case Text, Markdown, LaTeX:
		return newGrid(bw, f, cols, o), nil
	case CSV:
		return newDelimited(bw, cols, ',', csvField), nil
	case TSV:
		return newDelimited(bw, cols, '\t', tsvField), nil
	case JSON:
		return &jsonWriter{w: bw, cols: cols}, nil
	}
	return nil, fmt.Errorf("table: unknown format %v", f)
}

// Write renders the whole table.
func (t *Table) Write(w io.Writer, f Format) error {
	return t.WriteOptions(w, f, Options{})
}

// WriteOptions renders the whole table with a caption and a label.
func (t *Table) WriteOptions(w io.Writer, f Format, o Options) error {
	rw, err := NewWriterOptions(w, f, t.Columns, o)
	if err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := rw.Write(r); err != nil {
			return err
		}
	}
	return rw.Close()
}

// String renders the table as Text.
func (t *Table) String() string {
	var b strings.Builder
	t.Write(&b, Text)
	return b.String()
}

// checkRow guards the renderers against a row of the wrong width.
func checkRow(row []any, cols []Column) error {
	if len(row) != len(cols) {
		return fmt.Errorf("table: row of %d values for %d columns", len(row), len(cols))
	}
	return nil
}
