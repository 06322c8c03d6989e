package report

import (
	"context"
	"embed"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/plot"
	"github.com/kdf-tools/kdf/query/table"
)

//go:embed sql/*.sql sql/examples/*.sql
var files embed.FS

// Type is the type of a report parameter's value.
type Type uint8

const (
	String Type = iota
	Int
	Float
	// Strings is a flag given any number of times; its values are a
	// []string. Given as one text, they are separated by ListSep.
	Strings
)

// ListSep separates the values of a Strings parameter given as one
// text: NUL, which no command-line argument can hold.
const ListSep = "\x00"

// Param is one parameter of a report: a SQL variable the report's file
// reads with getvariable(Name), and the flag kdf report sets it with.
type Param struct {
	Name string
	// Flag is the flag's name when it is not Name with its underscores
	// made dashes (cost_ns is --cost-ns): group_by is --by, as by, a
	// SQL keyword, cannot name a variable.
	Flag string
	Type Type
	Doc  string
	// Default is the value when the parameter is not given: nil (NULL,
	// which the filters read as "no filter"), or a value of Type.
	Default any
	// Go marks a parameter the report's Go hooks read (Post, Plot), not
	// its SQL: it is not set as a SQL variable.
	Go bool
	// Check, when set, refuses a value (each value of Strings) before
	// anything runs.
	Check func(text string) error
}

// Report is one canned report: a SQL file and how to run it.
type Report struct {
	Name    string
	Summary string
	// File is the report's SQL under sql/, as `kdf report sql NAME`
	// prints it.
	File   string
	Params []Param
	// Styles override the conventional styles of the result's columns
	// (package query: hex for value words, percent for shares).
	Styles map[string]table.Style
	// Post, when set, turns the SQL's table into the report's: for what
	// SQL does not compute well (statistical tests, bootstraps). The
	// report's table then cannot be written as Parquet or Arrow by
	// DuckDB directly.
	Post func(ctx context.Context, db *query.DB, t *table.Table, vars query.Vars) (*table.Table, error)
	// PostWhen, when set, says whether Post has anything to do with
	// these variables; when it has not, the report is its SQL alone.
	PostWhen func(vars query.Vars) bool
	// Plot, when set, draws the report as a figure (kdf report --plot
	// FILE): from its table, or from the dataset with the same
	// variables (a figure of the runs behind a summary).
	Plot func(ctx context.Context, db *query.DB, t *table.Table, vars query.Vars) (*plot.Figure, error)
	// Wide are the columns a LaTeX table leaves out unless --columns
	// names them: a page is narrower than a terminal.
	Wide []string
	// Example marks a documented example query rather than a report.
	Example bool
}

// Columns returns the table with the columns to show: those named in
// columns (comma-separated names or globs, in the order wanted; "all"
// is every column), or, when columns is empty, every column but the
// report's Wide ones in LaTeX and every column elsewhere. It also
// returns the columns Wide left out.
func (r *Report) Columns(t *table.Table, columns string, f table.Format) (*table.Table, []string, error) {
	switch strings.TrimSpace(columns) {
	case "all":
		return t, nil, nil
	case "":
		if f != table.LaTeX {
			return t, nil, nil
		}
		out := t.Drop(r.Wide...)
		var left []string
		for _, c := range t.Columns {
			if out.Index(c.Name) < 0 {
				left = append(left, c.Name)
			}
		}
		return out, left, nil
	}
	var names []string
	for _, n := range strings.Split(columns, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	out, err := t.Select(names...)
	if err != nil {
		return nil, nil, fmt.Errorf("report %s: --columns: %w", r.Name, err)
	}
	return out, nil, nil
}

// SQL returns the report's SQL text.
func (r *Report) SQL() (string, error) {
	b, err := files.ReadFile("sql/" + r.File)
	if err != nil {
		return "", fmt.Errorf("report %s: %w", r.Name, err)
	}
	return string(b), nil
}

// Vars turns parameter values given as text (flags) into the report's
// variables: typed, with the defaults of those not given. A name the
// report does not take is an error.
func (r *Report) Vars(given map[string]string) (query.Vars, error) {
	vars := query.Vars{}
	for _, p := range r.Params {
		vars[p.Name] = p.Default
	}
	for name, text := range given {
		i := slices.IndexFunc(r.Params, func(p Param) bool { return p.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("report %s takes no parameter %q (it takes %s)", r.Name, name, r.paramNames())
		}
		v, err := r.Params[i].parse(text)
		if err != nil {
			return nil, fmt.Errorf("report %s: --%s: %w", r.Name, r.Params[i].FlagName(), err)
		}
		vars[name] = v
	}
	return vars, nil
}

func (r *Report) paramNames() string {
	if len(r.Params) == 0 {
		return "none"
	}
	var names []string
	for _, p := range r.Params {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// FlagName is the name of the parameter's flag.
func (p Param) FlagName() string {
	if p.Flag != "" {
		return p.Flag
	}
	return strings.ReplaceAll(p.Name, "_", "-")
}

func (p Param) parse(text string) (any, error) {
	if p.Type == Strings {
		values := strings.Split(text, ListSep)
		for _, v := range values {
			if p.Check != nil {
				if err := p.Check(v); err != nil {
					return nil, err
				}
			}
		}
		return values, nil
	}
	if p.Check != nil {
		if err := p.Check(text); err != nil {
			return nil, err
		}
	}
	switch p.Type {
	case Int:
		return strconv.ParseInt(text, 10, 64)
	case Float:
		return strconv.ParseFloat(text, 64)
	}
	return text, nil
}

// Finished reports whether Post finishes the report's table in Go
// with these variables: then DuckDB cannot write it as a file itself.
func (r *Report) Finished(vars query.Vars) bool {
	return r.Post != nil && (r.PostWhen == nil || r.PostWhen(vars))
}

// SQLVars are the variables the report's SQL reads: those of Go
// parameters left out.
func (r *Report) SQLVars(vars query.Vars) query.Vars {
	out := query.Vars{}
	for k, v := range vars {
		if i := slices.IndexFunc(r.Params, func(p Param) bool { return p.Name == k }); i < 0 || !r.Params[i].Go {
			out[k] = v
		}
	}
	return out
}

// Run runs the report over the dataset with the variables (Vars makes
// them from flags; nil takes every default).
func (r *Report) Run(ctx context.Context, db *query.DB, vars query.Vars) (*table.Table, error) {
	if vars == nil {
		var err error
		if vars, err = r.Vars(nil); err != nil {
			return nil, err
		}
	}
	text, err := r.SQL()
	if err != nil {
		return nil, err
	}
	t, err := db.Query(ctx, text, r.SQLVars(vars))
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", r.Name, err)
	}
	if r.Finished(vars) {
		if t, err = r.Post(ctx, db, t, vars); err != nil {
			return nil, fmt.Errorf("report %s: %w", r.Name, err)
		}
	}
	r.style(t)
	return t, nil
}

func (r *Report) style(t *table.Table) {
	for i := range t.Columns {
		if s, ok := r.Styles[t.Columns[i].Name]; ok {
			t.Columns[i].Style = s
		}
	}
}

// All returns the reports, then the examples, in order.
func All() []*Report { return slices.Clone(reports) }

// Lookup returns the report or example called name.
func Lookup(name string) (*Report, error) {
	for _, r := range reports {
		if r.Name == name {
			return r, nil
		}
	}
	var names []string
	for _, r := range reports {
		names = append(names, r.Name)
	}
	return nil, fmt.Errorf("no report %q: the reports and examples are %s", name, strings.Join(names, ", "))
}
