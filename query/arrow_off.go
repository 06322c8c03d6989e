//go:build !duckdb_arrow

package query

import (
	"context"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// ArrowEnabled reports whether this build writes Arrow IPC files (it
// was built with the duckdb_arrow tag).
const ArrowEnabled = false

// WriteArrow needs the duckdb_arrow build tag; without it, it returns
// ErrNoArrow.
func (db *DB) WriteArrow(ctx context.Context, query string, vars Vars, w io.Writer) error {
	return ErrNoArrow
}

// EncodeParquet needs the duckdb_arrow build tag; without it, it
// returns ErrNoArrow.
func EncodeParquet(ctx context.Context, tables map[string][]arrow.RecordBatch, dir string) (time.Duration, error) {
	return 0, ErrNoArrow
}
