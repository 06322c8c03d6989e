package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/kdf-tools/kdf/query"
)

// encodingBound times DuckDB writing the campaign's already-decoded
// columns to zstd Parquet with all threads (COPY from an Arrow view):
// what ingest would cost if decoding, symbolizing and pairing were free
// and DuckDB's writer did the rest.
func (b *bench) encodingBound(camp string, n int) error {
	if !query.ArrowEnabled {
		fmt.Println("bench: built without -tags duckdb_arrow: no encoding bound")
		return nil
	}
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

// duckCopy copies each table's batches to a Parquet file in dir with
// DuckDB's writer, returning the seconds the copies took.
func duckCopy(cols map[string][]arrow.RecordBatch, dir string) (float64, error) {
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	took, err := query.EncodeParquet(context.Background(), cols, dir)
	return took.Seconds(), err
}
