//go:build !duckdb_arrow

package main

import "fmt"

// encodingBound needs DuckDB's Arrow interface: build with -tags
// duckdb_arrow (make bench does).
func (b *bench) encodingBound(camp string, n int) error {
	fmt.Println("bench: built without -tags duckdb_arrow: no encoding bound")
	return nil
}
