package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/table"
)

// outputFlags choose how query and report write their result: a table
// rendering to stdout or -o, or a Parquet or Arrow file.
type outputFlags struct {
	format string
	file   string
}

func (o *outputFlags) register(fs *flag.FlagSet, files bool) {
	formats := strings.Join(table.Formats(), ", ")
	if files {
		formats += ", parquet, arrow (these two with -o)"
	}
	fs.StringVar(&o.format, "format", "table", "write the result as `FORMAT`: "+formats)
	fs.StringVar(&o.file, "o", "", "write to `FILE` instead of stdout")
}

// fileFormat reports whether the format is a file DuckDB writes.
func (o *outputFlags) fileFormat() (bool, error) {
	switch o.format {
	case "parquet", "arrow":
		if o.file == "" {
			return true, fmt.Errorf("%w: --format %s needs -o FILE", errUsage, o.format)
		}
		return true, nil
	}
	return false, nil
}

// query runs the SQL and writes its result, streaming rows.
func (o *outputFlags) query(ctx context.Context, e *env, db *query.DB, sql string, vars query.Vars) error {
	if file, err := o.fileFormat(); file || err != nil {
		if err != nil {
			return err
		}
		return o.writeFile(ctx, db, sql, vars)
	}
	f, err := table.ParseFormat(o.format)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	rows, err := db.Rows(ctx, sql, vars)
	if err != nil {
		return err
	}
	defer rows.Close()
	return o.to(e, func(w io.Writer) error {
		tw, err := table.NewWriter(w, f, rows.Columns())
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := tw.Write(rows.Row()); err != nil {
				return err
			}
		}
		return errors.Join(rows.Err(), tw.Close())
	})
}

// table writes a computed table in a table format.
func (o *outputFlags) table(e *env, t *table.Table) error {
	f, err := table.ParseFormat(o.format)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return o.to(e, func(w io.Writer) error { return t.Write(w, f) })
}

// writeFile writes Parquet with DuckDB's COPY or an Arrow IPC file.
func (o *outputFlags) writeFile(ctx context.Context, db *query.DB, sql string, vars query.Vars) error {
	if o.format == "parquet" {
		return db.CopyParquet(ctx, sql, vars, o.file)
	}
	f, err := os.Create(o.file)
	if err != nil {
		return err
	}
	err = db.WriteArrow(ctx, sql, vars, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(o.file)
	}
	return err
}

// to hands fn stdout, or the -o file.
func (o *outputFlags) to(e *env, fn func(io.Writer) error) error {
	if o.file == "" {
		return fn(e.stdout)
	}
	f, err := os.Create(o.file)
	if err != nil {
		return err
	}
	err = fn(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
