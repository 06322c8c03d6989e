//go:build duckdb_arrow

package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
)

// ArrowEnabled reports whether this build writes Arrow IPC files (it
// was built with the duckdb_arrow tag).
const ArrowEnabled = true

// WriteArrow writes the result of the query (its last statement, the
// others run first) to w as an Arrow IPC file, batch by batch, with
// the types DuckDB gives (UBIGINT as uint64, lists, maps and structs
// nested).
func (db *DB) WriteArrow(ctx context.Context, query string, vars Vars, w io.Writer) error {
	return db.withLast(ctx, query, vars, func(c *sql.Conn, last string) error {
		return c.Raw(func(dc any) error {
			conn, ok := dc.(driver.Conn)
			if !ok {
				return fmt.Errorf("query: the driver connection is a %T", dc)
			}
			a, err := duckdb.NewArrowFromConn(conn)
			if err != nil {
				return fmt.Errorf("query: %w", err)
			}
			rr, err := a.QueryContext(ctx, last)
			if err != nil {
				return fmt.Errorf("query: %w", err)
			}
			defer rr.Release()
			return writeIPC(w, rr, allocator)
		})
	})
}

// allocator is the Arrow allocator of the IPC writer; tests swap in a
// checked one.
var allocator memory.Allocator = memory.DefaultAllocator

// writeIPC copies the reader's batches into an IPC file.
func writeIPC(w io.Writer, rr array.RecordReader, mem memory.Allocator) error {
	fw, err := ipc.NewFileWriter(w, ipc.WithSchema(rr.Schema()), ipc.WithAllocator(mem))
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	for rr.Next() {
		if err := fw.Write(rr.RecordBatch()); err != nil {
			fw.Close()
			return fmt.Errorf("query: writing Arrow: %w", err)
		}
	}
	if err := rr.Err(); err != nil {
		fw.Close()
		return fmt.Errorf("query: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("query: writing Arrow: %w", err)
	}
	return nil
}

// EncodeParquet writes each table's Arrow batches to dir/NAME.parquet
// with DuckDB's own Parquet writer (zstd, all threads) and returns the
// time the writes took, setting up excluded. It is the bound kdf's
// writer is measured against: what ingest would cost if decoding,
// symbolizing and pairing were free and DuckDB wrote the columns.
func EncodeParquet(ctx context.Context, tables map[string][]arrow.RecordBatch, dir string) (time.Duration, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return 0, fmt.Errorf("query: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("query: %w", err)
	}
	defer c.Close()
	var releases []func()
	defer func() {
		for _, release := range releases {
			release()
		}
	}()
	err = c.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		for name, bs := range tables {
			rr, err := array.NewRecordReader(bs[0].Schema(), bs)
			if err != nil {
				return err
			}
			release, err := a.RegisterView(rr, name)
			if err != nil {
				return err
			}
			releases = append(releases, release)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("query: %w", err)
	}
	var took time.Duration
	for name := range tables {
		q := fmt.Sprintf("COPY %s TO %s (FORMAT parquet, COMPRESSION zstd)", name, literal(filepath.Join(dir, name+".parquet")))
		start := time.Now()
		if _, err := c.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("query: %s: %w", q, err)
		}
		took += time.Since(start)
	}
	return took, nil
}
