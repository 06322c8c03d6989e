package table

import (
	"bufio"
	"strings"
)

// delimited renders CSV and TSV: a header line, then one line per row.
type delimited struct {
	w     *bufio.Writer
	cols  []Column
	sep   byte
	field func(v any) string
}

func newDelimited(w *bufio.Writer, cols []Column, sep byte, field func(any) string) *delimited {
	d := &delimited{w: w, cols: cols, sep: sep, field: field}
	names := make([]any, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	d.line(names)
	return d
}

func (d *delimited) Write(row []any) error {
	if err := checkRow(row, d.cols); err != nil {
		return err
	}
	d.line(row)
	return nil
}

func (d *delimited) line(row []any) {
	for i, v := range row {
		if i > 0 {
			d.w.WriteByte(d.sep)
		}
		d.w.WriteString(d.field(v))
	}
	d.w.WriteByte('\n')
}

func (d *delimited) Close() error { return d.w.Flush() }

// csvField quotes as RFC 4180 asks, and also quotes an empty string so
// that it stays distinct from NULL, which is an empty field.
func csvField(v any) string {
	if v == nil {
		return ""
	}
	s := exact(v)
	if s == "" || strings.ContainsAny(s, ",\"\r\n") || s[0] == ' ' || s[len(s)-1] == ' ' {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// tsvField escapes what would break the line structure, as PostgreSQL's
// text format does; NULL is an empty field, as in CSV (an empty string
// is one too: CSV and JSON tell them apart).
var tsvEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

func tsvField(v any) string {
	if v == nil {
		return ""
	}
	return tsvEscaper.Replace(exact(v))
}

// jsonWriter writes JSON lines: one object per row, keys in column
// order.
type jsonWriter struct {
	w    *bufio.Writer
	cols []Column
	buf  []byte
}

func (j *jsonWriter) Write(row []any) error {
	if err := checkRow(row, j.cols); err != nil {
		return err
	}
	b := append(j.buf[:0], '{')
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, j.cols[i].Name)
		b = append(b, ':')
		b = appendJSON(b, v)
	}
	b = append(b, '}', '\n')
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

func (j *jsonWriter) Close() error { return j.w.Flush() }
