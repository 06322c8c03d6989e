package table

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Select returns a table of the named columns, in the order named. A
// name may be a glob (overhead_*, as path.Match reads it), which
// selects the columns it matches in the table's order; a column named
// twice is kept once, where first named. A name or glob that matches
// no column is an error listing the columns there are.
func (t *Table) Select(names ...string) (*Table, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("table: no columns selected: the columns are %s", t.columnNames())
	}
	var idx []int
	for _, name := range names {
		found := false
		for i, c := range t.Columns {
			if ok, err := path.Match(name, c.Name); err != nil {
				return nil, fmt.Errorf("table: column pattern %q: %w", name, err)
			} else if ok || c.Name == name {
				found = true
				if !slices.Contains(idx, i) {
					idx = append(idx, i)
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("table: no column %q: the columns are %s", name, t.columnNames())
		}
	}
	return t.pick(idx), nil
}

// pick returns a table of the columns at idx.
func (t *Table) pick(idx []int) *Table {
	out := &Table{Columns: make([]Column, len(idx)), Rows: make([][]any, len(t.Rows))}
	for j, i := range idx {
		out.Columns[j] = t.Columns[i]
	}
	for r, row := range t.Rows {
		sel := make([]any, len(idx))
		for j, i := range idx {
			sel[j] = row[i]
		}
		out.Rows[r] = sel
	}
	return out
}

// Drop returns the table without the named columns; names it does not
// have are ignored.
func (t *Table) Drop(names ...string) *Table {
	var keep []int
	for i, c := range t.Columns {
		if !slices.Contains(names, c.Name) {
			keep = append(keep, i)
		}
	}
	if len(keep) == len(t.Columns) {
		return t
	}
	return t.pick(keep)
}

func (t *Table) columnNames() string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
