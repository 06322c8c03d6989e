package query

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kdf-tools/kdf/internal/pipeline"
	"github.com/kdf-tools/kdf/internal/seedsession"
	"github.com/kdf-tools/kdf/internal/synth"
)

// writeCampaign generates a campaign's buffers into a new directory.
func writeCampaign(t testing.TB, cfg synth.Config) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "campaign")
	if _, err := synth.WriteCampaign(dir, cfg); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ingestInto ingests sources into the dataset ds under campaign.
func ingestInto(t testing.TB, ds, campaign string, force bool, sources ...string) *pipeline.Summary {
	t.Helper()
	sum, err := pipeline.Run(context.Background(), pipeline.Config{Dataset: ds, Campaign: campaign, Sources: sources, Force: force}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// writeSeedSessions writes the seed's sessions as buffers with their
// kallsyms, one directory each, and returns the parent directory.
func writeSeedSessions(t testing.TB) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "seed")
	if err := seedsession.Write(src); err != nil {
		t.Fatal(err)
	}
	return src
}

// open opens the dataset and closes it when the test ends.
func open(t testing.TB, ds string) *DB {
	t.Helper()
	db, err := Open(ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// scalar runs a query of one value.
func scalar(t testing.TB, db *DB, q string) any {
	t.Helper()
	tab, err := db.Query(context.Background(), q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 1 || len(tab.Columns) != 1 {
		t.Fatalf("%s: %d rows of %d columns, want one value", q, len(tab.Rows), len(tab.Columns))
	}
	return tab.Rows[0][0]
}
