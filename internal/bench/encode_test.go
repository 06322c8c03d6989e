package main

import (
	"path/filepath"
	"testing"

	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/query"
)

// The Processor's own batches are what DuckDB's Arrow scan reads: the
// encoding bound copies them to Parquet. (A list of dictionary-encoded
// strings made DuckDB fail with an internal error.)
func TestEncodingBoundCopies(t *testing.T) {
	if !query.ArrowEnabled {
		t.Skip("built without -tags duckdb_arrow: no DuckDB Arrow scan to feed")
	}
	camp := filepath.Join(t.TempDir(), "campaign")
	if _, err := synth.WriteCampaign(camp, synth.SmallConfig()); err != nil {
		t.Fatal(err)
	}
	cols, err := batches(camp)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, bs := range cols {
			for _, rec := range bs {
				rec.Release()
			}
		}
	}()
	if len(cols["records"]) == 0 || len(cols["calls"]) == 0 {
		t.Fatalf("no batches: %v", cols)
	}
	if _, err := duckCopy(cols, t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
