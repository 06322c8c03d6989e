package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/shell"
	"github.com/kdf-tools/kdf/query/table"
)

var queryCommand = &command{
	name:    "query",
	args:    `[options] DATASET... "SQL" | -f FILE.sql`,
	summary: "run SQL over a dataset's views (runs, records, calls, args, rets, ...) and print the result; several datasets are read as one, with a dataset column (NAME=DIR names one)",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		q := &queryOptions{vars: query.Vars{}}
		fs.StringVar(&q.file, "f", "", "read the SQL from `FILE` (- is stdin)")
		fs.Var(varFlag(q.vars), "var", "set a SQL variable for getvariable('name'), as `name=value` (repeatable; numbers become numbers)")
		q.out.register(fs, true)
		q.db.register(fs)
		return q.run
	},
}

type queryOptions struct {
	file string
	vars query.Vars
	out  outputFlags
	db   dbFlags
}

func (q *queryOptions) run(ctx context.Context, e *env, args []string) error {
	datasets := args
	if q.file == "" && len(args) > 0 {
		datasets = args[:len(args)-1]
	}
	if len(datasets) == 0 {
		return fmt.Errorf("%w: query takes DATASET... and either \"SQL\" or -f FILE.sql", errUsage)
	}
	for _, arg := range datasets {
		_, d := query.DatasetArg(arg)
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return fmt.Errorf("%w: query: %q is not a dataset directory (give DATASET... then \"SQL\", or -f FILE.sql and DATASET...)", errUsage, d)
		}
	}
	text, err := q.sql(args)
	if err != nil {
		return err
	}
	db, err := q.db.open(ctx, datasets)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSettings(ctx, text, q.vars); err != nil {
		return err
	}
	return q.out.query(ctx, e, db, text, q.vars)
}

func (q *queryOptions) sql(args []string) (string, error) {
	if q.file == "" {
		return args[len(args)-1], nil
	}
	var b []byte
	var err error
	if q.file == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(q.file)
	}
	return string(b), err
}

var sqlCommand = &command{
	name:    "sql",
	args:    "[options] DATASET...",
	summary: "an interactive SQL shell over a dataset's views (several read as one), reading statements from stdin; at a terminal it edits lines, keeps their history, completes names with Tab, and Ctrl-C cancels the running statement (.help for commands)",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &sqlOptions{}
		fs.StringVar(&o.format, "format", "table", "print results as `FORMAT`: "+strings.Join(table.Formats(), ", "))
		fs.StringVar(&o.history, "history", shell.HistoryFile(), "at a terminal, keep the statements typed in `FILE` for the next session (\"\": none): $XDG_STATE_HOME/kdf/history, else ~/.local/state/kdf/history")
		o.db.register(fs)
		return o.run
	},
}

type sqlOptions struct {
	format  string
	history string
	db      dbFlags
}

// stdin is what kdf sql and query -f - read; tests replace it.
var stdin io.Reader = os.Stdin

func (o *sqlOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: sql takes DATASET...", errUsage)
	}
	f, err := table.ParseFormat(o.format)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	db, err := o.db.open(ctx, args)
	if err != nil {
		return err
	}
	defer db.Close()
	interactive := isTerminal(stdin)
	if interactive {
		fmt.Fprintf(e.stdout, "kdf sql over %s: statements end with ; .help for commands, .quit to leave\n", strings.Join(db.Dirs(), ", "))
		// Ctrl-C cancels the running statement, which the shell sees
		// to, not the session; SIGTERM still ends it.
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(context.WithoutCancel(ctx), syscall.SIGTERM)
		defer stop()
	}
	// Lines are edited where both ends are the terminal.
	editing := interactive && isTerminal(e.stdout)
	sh := &shell.Shell{DB: db, In: stdin, Out: e.stdout, Err: e.stderr, Format: f, Prompt: interactive, Terminal: editing, History: o.history}
	return sh.Run(ctx)
}

// isTerminal reports whether f is a file open on a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// dbFlags tune the DuckDB database a command opens.
type dbFlags struct{ o query.Options }

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&d.o.Threads, "threads", 0, "DuckDB threads, at most 4 per core (default: one per core)")
	fs.StringVar(&d.o.MemoryLimit, "memory-limit", "", "DuckDB memory limit such as 4GB; past it DuckDB spills to a private temporary directory")
}

func (d *dbFlags) open(ctx context.Context, dirs []string) (*query.DB, error) {
	return query.OpenAll(ctx, dirs, d.o)
}

// varFlag collects --var name=value.
type varFlag query.Vars

func (v varFlag) String() string { return "" }

func (v varFlag) Set(s string) error {
	name, val, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want name=value, not %q", s)
	}
	if n, err := strconv.ParseInt(val, 10, 64); err == nil {
		v[name] = n
	} else if f, err := strconv.ParseFloat(val, 64); err == nil {
		v[name] = f
	} else {
		v[name] = val
	}
	return nil
}
