//go:build duckdb_arrow

package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

// encodingBound times DuckDB writing the campaign's already-decoded
// columns to zstd Parquet with all threads (COPY from an Arrow view):
// what ingest would cost if decoding, symbolizing and pairing were free
// and DuckDB's writer did the rest.
func (b *bench) encodingBound(camp string, n int) error {
	cols, err := batches(camp)
	if err != nil {
		return err
	}
	defer func() {
		for _, bs := range cols {
			for _, rec := range bs {
				rec.Release()
			}
		}
	}()
	r := &result{Name: "encoding bound: DuckDB COPY", Size: n}
	for _, bs := range cols["records"] {
		r.Records += bs.NumRows()
	}
	for range b.repeat {
		secs, err := duckCopy(cols, filepath.Join(b.work, "copy"))
		if err != nil {
			return err
		}
		r.Seconds = append(r.Seconds, secs)
	}
	b.results = append(b.results, r)
	return nil
}

// duckCopy registers the batches as views and copies each table to a
// Parquet file, returning the seconds the copies took.
func duckCopy(cols map[string][]arrow.RecordBatch, dir string) (float64, error) {
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return 0, err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var secs float64
	var releases []func()
	defer func() {
		for _, release := range releases {
			release()
		}
	}()
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		for name, bs := range cols {
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
		return 0, err
	}
	for name := range cols {
		q := fmt.Sprintf("COPY %s TO '%s' (FORMAT parquet, COMPRESSION zstd)", name, filepath.Join(dir, name+".parquet"))
		start := time.Now()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("%s: %w", q, err)
		}
		secs += time.Since(start).Seconds()
	}
	return secs, nil
}
