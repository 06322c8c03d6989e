// Package readback reads a dataset's tables back with parquet-go, as a
// reader that knows nothing of kdf's query layer would: for tests that
// check what the directory holds.
package readback

import (
	"os"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/schema/dataset"
)

// Parts returns the paths of a table's committed parts.
func Parts(t testing.TB, dir, table string) []string {
	t.Helper()
	ds, err := dataset.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := ds.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return snap.Paths(table)
}

// Table reads every row of a table into T, whose fields name the
// columns they read with `parquet:"name"` tags.
func Table[T any](t testing.TB, dir, table string) []T {
	t.Helper()
	var out []T
	for _, p := range Parts(t, dir, table) {
		rows, err := parquet.ReadFile[T](p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, rows...)
	}
	return out
}

// Rows counts a table's rows from the parts' footers.
func Rows(t testing.TB, dir, table string) int64 {
	t.Helper()
	var n int64
	for _, p := range Parts(t, dir, table) {
		n += footer(t, p).NumRows
	}
	return n
}

// Codecs counts the column chunks of every committed part of a dataset
// by codec, and sums the parts' sizes.
func Codecs(t testing.TB, dir string) (chunks map[format.CompressionCodec]int, bytes int64) {
	t.Helper()
	chunks = map[format.CompressionCodec]int{}
	for _, tab := range schema.All {
		for _, p := range Parts(t, dir, tab.Name) {
			md := footer(t, p)
			for _, rg := range md.RowGroups {
				for _, c := range rg.Columns {
					chunks[c.MetaData.Codec]++
				}
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			bytes += fi.Size()
		}
	}
	return chunks, bytes
}

// footer reads a part's footer.
func footer(t testing.TB, path string) *format.FileMetaData {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pf.Metadata()
}
