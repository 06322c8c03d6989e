package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/kdf-tools/kdf/query/internal/sqltext"
)

// ErrNoArrow is WriteArrow's error in a build without DuckDB's Arrow
// interface (the duckdb_arrow build tag).
var ErrNoArrow = errors.New("query: this kdf was built without Arrow output: rebuild with -tags duckdb_arrow (make build does), or write Parquet")

var outputs atomic.Int64 // names the files written in the private directory

// CopyParquet writes the result of the query (its last statement, the
// others run first) to the Parquet file dst, with DuckDB's COPY and
// zstd. DuckDB writes into its private directory, kdf moves the file to
// dst: DuckDB itself never writes outside that directory.
func (db *DB) CopyParquet(ctx context.Context, query string, vars Vars, dst string) error {
	return db.withLast(ctx, query, vars, func(c *sql.Conn, last string) error {
		tmp := filepath.Join(db.tmp, fmt.Sprintf("out-%d.parquet", outputs.Add(1)))
		defer os.Remove(tmp)
		copySQL := fmt.Sprintf("COPY (%s\n) TO %s (FORMAT parquet, COMPRESSION zstd)", last, literal(tmp))
		if _, err := c.ExecContext(ctx, copySQL); err != nil {
			return fmt.Errorf("query: %w", err)
		}
		return moveFile(tmp, dst)
	})
}

// withLast runs all statements of query but the last on one connection
// with the variables set, then hands fn the last one.
func (db *DB) withLast(ctx context.Context, query string, vars Vars, fn func(*sql.Conn, string) error) error {
	query, vars, err := vars.bind(query)
	if err != nil {
		return err
	}
	stmts := sqltext.Split(query)
	if len(stmts) == 0 {
		return errors.New("query: no statement to run")
	}
	c, err := db.conn(ctx, vars)
	if err != nil {
		return err
	}
	defer c.Close()
	defer vars.reset(c)
	for _, s := range stmts[:len(stmts)-1] {
		if _, err := c.ExecContext(ctx, s.SQL); err != nil {
			return fmt.Errorf("query: %w", err)
		}
	}
	return fn(c, stmts[len(stmts)-1].SQL)
}

// moveFile renames src to dst, or copies it when they lie on different
// file systems.
func moveFile(src, dst string) error {
	if err := os.Rename(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("query: writing %s: %w", dst, err)
	}
	return nil
}
