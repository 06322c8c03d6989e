//go:build !duckdb_arrow

package query

import "context"

// Compact needs DuckDB's Arrow interface (the duckdb_arrow build tag,
// which make build sets): DuckDB sorts, and kdf's writer writes the
// batches it hands over. Without it, it returns ErrNoArrow.
func Compact(ctx context.Context, dir string, opt CompactOptions) ([]CompactResult, error) {
	return nil, ErrNoArrow
}
