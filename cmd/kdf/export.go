package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/export"
)

var exportCommand = &command{
	name: "export",
	args: "pprof|folded|perfetto [options] DATASET...",
	summary: "write calls for the viewers people use: a pprof profile of call stacks (go tool pprof), folded stacks for flame graphs, " +
		"or one run's calls as a trace for the Perfetto UI and chrome://tracing",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &exportOptions{}
		f := &o.filter
		fs.StringVar(&o.file, "o", "", "write to `FILE` (pprof needs it; folded and perfetto write to stdout without it)")
		fs.StringVar(&f.Campaign, "campaign", "", "only this campaign's runs")
		fs.Var(attrFlag{&f.Attrs}, "attr", "only runs with this attribute, as `KEY=VALUE` (arm=dataflow); repeatable, all must hold")
		fs.Var(listFlag{&f.Runs}, "run", "only this run, by its run_id or its path (`RUN`); repeatable. perfetto needs exactly one run")
		fs.StringVar(&f.Func, "func", "", "pprof, folded: only the calls of functions whose name or demangled name matches `GLOB`, with their callees")
		fs.StringVar(&f.Where, "where", "", "pprof, folded: only the calls for which `SQL` holds, a condition over the calls view (hexv(args[3]) = '0x8912': lists count from 1), with their callees")
		fs.StringVar(&o.value, "value", string(export.Records), "folded: what a stack counts: records (written by its last call itself) or calls")
		o.db.register(fs)
		return o.run
	},
}

type exportOptions struct {
	file   string
	filter export.Filter
	value  string
	db     dbFlags
}

func (o *exportOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("%w: export takes a format (pprof, folded or perfetto) and DATASET...", errUsage)
	}
	format, datasets := args[0], args[1:]
	write, err := o.writer(format)
	if err != nil {
		return err
	}
	for _, arg := range datasets {
		if _, d := query.DatasetArg(arg); !isDir(d) {
			return fmt.Errorf("%w: export: %q is not a dataset directory", errUsage, d)
		}
	}
	db, err := o.db.open(ctx, datasets)
	if err != nil {
		return err
	}
	defer db.Close()
	return write(ctx, e, db)
}

// writer checks the options for the format and returns what writes it.
func (o *exportOptions) writer(format string) (func(context.Context, *env, *query.DB) error, error) {
	switch {
	case format != "pprof" && format != "folded" && format != "perfetto":
		return nil, fmt.Errorf("%w: export %q: the formats are pprof, folded and perfetto", errUsage, format)
	case format == "pprof" && o.file == "":
		return nil, fmt.Errorf("%w: export pprof writes a binary profile: give -o FILE.pb.gz", errUsage)
	case format == "perfetto" && (o.filter.Func != "" || o.filter.Where != ""):
		return nil, fmt.Errorf("%w: export perfetto shows a whole run: --func and --where are for pprof and folded", errUsage)
	case format == "perfetto" && len(o.filter.Runs) != 1:
		return nil, fmt.Errorf("%w: export perfetto shows one run: give --run RUN_ID (kdf query DATASET \"SELECT run_id, path FROM runs\" lists them)", errUsage)
	case format != "folded" && o.value != string(export.Records):
		return nil, fmt.Errorf("%w: --value is for folded only (a pprof profile has both records and calls)", errUsage)
	}
	value, err := export.ParseValue(o.value)
	if err != nil {
		return nil, fmt.Errorf("%w: --value: %v", errUsage, err)
	}
	switch format {
	case "pprof":
		return o.pprof, nil
	case "folded":
		return func(ctx context.Context, e *env, db *query.DB) error { return o.folded(ctx, e, db, value) }, nil
	}
	return o.perfetto, nil
}

func (o *exportOptions) pprof(ctx context.Context, e *env, db *query.DB) error {
	s, err := export.ReadStacks(ctx, db, o.filter)
	if err != nil {
		return err
	}
	p := s.Profile(o.comments(db, s)...)
	if err := p.CheckValid(); err != nil {
		return fmt.Errorf("export pprof: %w", err)
	}
	if err := o.to(e, p.Write); err != nil {
		return err
	}
	o.summary(e, s)
	return nil
}

func (o *exportOptions) folded(ctx context.Context, e *env, db *query.DB, v export.Value) error {
	s, err := export.ReadStacks(ctx, db, o.filter)
	if err != nil {
		return err
	}
	if err := o.to(e, func(w io.Writer) error { return s.WriteFolded(w, v) }); err != nil {
		return err
	}
	o.summary(e, s)
	return nil
}

func (o *exportOptions) perfetto(ctx context.Context, e *env, db *query.DB) error {
	return o.to(e, func(w io.Writer) error { return export.WriteTrace(ctx, db, o.filter, w) })
}

// comments are what pprof -comments shows: where the profile came from
// and what its values are.
func (o *exportOptions) comments(db *query.DB, s *export.Stacks) []string {
	c := []string{
		"kdf export pprof " + strings.Join(db.Dirs(), " "),
		fmt.Sprintf("%d runs, %d distinct stacks", s.Runs, len(s.Stacks)),
		"records: what each call wrote itself (its records minus its callees'); summed up a stack, a function's records inside its calls",
		"calls: calls at the stack's leaf",
	}
	if f := o.filter.String(); f != "" {
		c = append(c, "filters: "+f)
	}
	return c
}

// summary says on stderr what a file holds, so that a profile of the
// wrong runs is noticed before it is opened.
func (o *exportOptions) summary(e *env, s *export.Stacks) {
	if o.file == "" {
		return
	}
	records, calls := s.Total()
	fmt.Fprintf(e.stderr, "wrote %s: %d stacks, %d calls, %d records from %d runs\n", o.file, len(s.Stacks), calls, records, s.Runs)
}

// to hands fn stdout, or the -o file, which a failure removes: half a
// profile is no profile.
func (o *exportOptions) to(e *env, fn func(io.Writer) error) error {
	out := outputFlags{file: o.file}
	err := out.to(e, fn)
	if err != nil && o.file != "" {
		os.Remove(o.file)
	}
	return err
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// attrFlag collects --attr KEY=VALUE.
type attrFlag struct{ m *map[string]string }

func (a attrFlag) String() string { return "" }

func (a attrFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, not %q", s)
	}
	if *a.m == nil {
		*a.m = map[string]string{}
	}
	(*a.m)[k] = v
	return nil
}

// listFlag collects a repeated flag's values.
type listFlag struct{ l *[]string }

func (l listFlag) String() string { return "" }

func (l listFlag) Set(s string) error {
	*l.l = append(*l.l, s)
	return nil
}
