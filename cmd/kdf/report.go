package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/plot"
	"github.com/kdf-tools/kdf/query/report"
	"github.com/kdf-tools/kdf/query/table"
)

var reportCommand = &command{
	name:    "report",
	args:    "NAME DATASET... [options] | sql NAME | list",
	summary: "run a canned report (values, pairs, ...) or example over a dataset; `report sql NAME` prints its SQL",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &reportOptions{fs: fs, lists: map[string]*[]string{}}
		o.out.register(fs, true)
		o.db.register(fs)
		fs.StringVar(&o.plot, "plot", "", "also draw the report as a figure in `FILE` (.svg, .png or .pdf), for reports that draw one")
		fs.StringVar(&o.columns, "columns", "", "show these columns, in this order: comma-separated `NAMES` or globs (overhead_*), or all; "+
			"LaTeX leaves out the report's widest columns unless told")
		fs.StringVar(&o.caption, "caption", "", "the table's caption (table, md, latex): LaTeX puts the table in a float with it")
		fs.StringVar(&o.label, "label", "", "the table's label (md, latex): \\label{`NAME`}, or pandoc-crossref's {#NAME}")
		// Every parameter of every report is a flag; a report refuses
		// the ones it does not take. A default the reports disagree on
		// is not shown.
		defaults, docs, lists := map[string]string{}, map[string]string{}, map[string]bool{}
		var names []string
		for _, r := range report.All() {
			for _, p := range r.Params {
				def := ""
				if p.Default != nil {
					def = fmt.Sprint(p.Default)
				}
				name := p.FlagName()
				if old, ok := defaults[name]; !ok {
					names = append(names, name)
					defaults[name], docs[name], lists[name] = def, p.Doc, p.Type == report.Strings
				} else if old != def {
					defaults[name] = ""
				}
			}
		}
		for _, name := range names {
			if lists[name] {
				o.lists[name] = new([]string)
				fs.Var(listFlag{o.lists[name]}, name, docs[name]+"; repeatable")
			} else {
				fs.String(name, defaults[name], docs[name])
			}
		}
		return o.run
	},
}

type reportOptions struct {
	fs                      *flag.FlagSet
	out                     outputFlags
	db                      dbFlags
	plot                    string
	columns, caption, label string
	lists                   map[string]*[]string // the repeatable flags' values
}

func (o *reportOptions) run(ctx context.Context, e *env, args []string) error {
	switch {
	case len(args) == 0 || len(args) == 1 && args[0] == "list":
		return o.list(e)
	case len(args) == 2 && args[0] == "sql":
		return printSQL(e, args[1])
	case len(args) < 2:
		return fmt.Errorf("%w: report takes NAME DATASET..., sql NAME, or list", errUsage)
	}
	r, err := report.Lookup(args[0])
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	given := o.given()
	vars, err := r.Vars(given)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	file, err := o.check(r, vars)
	if err != nil {
		return err
	}
	db, err := o.db.open(ctx, args[1:])
	if err != nil {
		return err
	}
	defer db.Close()
	if err := r.Check(ctx, db, given); err != nil {
		return err
	}
	if file {
		text, err := r.SQL()
		if err != nil {
			return err
		}
		return o.out.writeFile(ctx, db, text, r.SQLVars(vars))
	}
	return o.write(ctx, e, db, r, vars)
}

// write runs the report and writes its table, and its figure with
// --plot.
func (o *reportOptions) write(ctx context.Context, e *env, db *query.DB, r *report.Report, vars query.Vars) error {
	t, err := r.Run(ctx, db, vars)
	if err != nil {
		return err
	}
	if err := o.writeTable(e, r, t); err != nil || o.plot == "" {
		return err
	}
	fig, err := r.Plot(ctx, db, t, vars)
	if err != nil {
		return fmt.Errorf("report %s: %w", r.Name, err)
	}
	return fig.Save(o.plot)
}

// writeTable writes the report's table with the columns chosen, its
// caption and its label; a LaTeX table says which columns it left out.
func (o *reportOptions) writeTable(e *env, r *report.Report, t *table.Table) error {
	f, err := table.ParseFormat(o.out.format)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	t, left, err := r.Columns(t, o.columns, f)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return o.out.to(e, func(w io.Writer) error {
		if len(left) > 0 {
			fmt.Fprintf(w, "%% kdf report %s leaves out for the page: %s (--columns all keeps them)\n", r.Name, strings.Join(left, ", "))
		}
		return t.WriteOptions(w, f, table.Options{Caption: o.caption, Label: o.label})
	})
}

// check refuses what the report cannot do before anything runs, and
// reports whether the output is a Parquet or Arrow file.
func (o *reportOptions) check(r *report.Report, vars query.Vars) (bool, error) {
	file, err := o.out.fileFormat()
	f, ferr := table.ParseFormat(o.out.format)
	switch {
	case err != nil:
		return false, err
	case file && o.columns != "":
		return false, fmt.Errorf("%w: --columns goes with a table format, not %s", errUsage, o.out.format)
	case o.caption != "" && (ferr != nil || !f.Human()):
		return false, fmt.Errorf("%w: --caption goes with table, md or latex, not %s", errUsage, o.out.format)
	case o.label != "" && (ferr != nil || f != table.Markdown && f != table.LaTeX):
		return false, fmt.Errorf("%w: --label goes with md or latex, not %s", errUsage, o.out.format)
	case file && r.Finished(vars):
		return false, fmt.Errorf("%w: report %s finishes its table in Go: write it as csv or json", errUsage, r.Name)
	case file && o.plot != "":
		return false, fmt.Errorf("%w: --plot goes with a table format, not %s", errUsage, o.out.format)
	case o.plot != "" && r.Plot == nil:
		return false, fmt.Errorf("%w: report %s draws no figure", errUsage, r.Name)
	case o.plot != "":
		if _, err := plot.FormatOf(o.plot); err != nil {
			return false, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	return file, nil
}

// printSQL prints a report's SQL file.
func printSQL(e *env, name string) error {
	r, err := report.Lookup(name)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	text, err := r.SQL()
	if err == nil {
		_, err = fmt.Fprint(e.stdout, text)
	}
	return err
}

// given returns the report parameters set on the command line.
func (o *reportOptions) given() map[string]string {
	given := map[string]string{}
	o.fs.Visit(func(f *flag.Flag) {
		for _, r := range report.All() {
			for _, p := range r.Params {
				if p.FlagName() != f.Name {
					continue
				}
				given[p.Name] = f.Value.String()
				if l, ok := o.lists[f.Name]; ok {
					given[p.Name] = strings.Join(*l, report.ListSep)
				}
			}
		}
	})
	return given
}

func (o *reportOptions) list(e *env) error {
	t := table.New(table.Column{Name: "name"}, table.Column{Name: "kind"}, table.Column{Name: "parameters"}, table.Column{Name: "summary"})
	for _, r := range report.All() {
		kind := "report"
		if r.Example {
			kind = "example"
		}
		var params []string
		for _, p := range r.Params {
			params = append(params, "--"+p.FlagName())
		}
		t.Add(r.Name, kind, strings.Join(params, " "), r.Summary)
	}
	return o.out.table(e, t)
}
