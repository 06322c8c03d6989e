package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kdf-tools/kdf/internal/pipeline"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/query"
)

// tempDir holds what the package's tests share: the campaign and its
// dataset, made once.
var tempDir string

func TestMain(m *testing.M) {
	var err error
	if tempDir, err = os.MkdirTemp("", "kdf-export-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tempDir)
	os.Exit(code)
}

var campaign struct {
	once sync.Once
	dir  string
	err  error
}

// campaignDataset is a small generated campaign, ingested once for the
// package's tests: two arms, both layouts, and, by its seed, every case
// an export must show: several segments, truncated and no_return calls,
// pre-entry returns, damaged words, a torn tail, full buffers, Rust
// names, and a boot whose kallsyms hides its addresses, so its pcs resolve to no
// function. needCases checks that they are there.
func campaignDataset(t *testing.T) *query.DB {
	t.Helper()
	campaign.once.Do(func() {
		cfg := synth.SmallConfig()
		cfg.Seed, cfg.Kernel.Hostile, cfg.HiddenKallsymsProb = 4, true, 0.5
		dir := filepath.Join(tempDir, "campaign")
		if _, campaign.err = synth.WriteCampaign(dir, cfg); campaign.err != nil {
			return
		}
		campaign.dir = filepath.Join(tempDir, "dataset")
		_, campaign.err = pipeline.Run(context.Background(), pipeline.Config{Dataset: campaign.dir, Campaign: "small", Sources: []string{dir}}, nil)
	})
	if campaign.err != nil {
		t.Fatal(campaign.err)
	}
	db, err := query.Open(campaign.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// needCases fails the test when the campaign lost a case the tests are
// meant to cover (a change to the generator can do that).
func needCases(t *testing.T, db *query.DB) {
	t.Helper()
	for what, q := range map[string]string{
		"runs of several segments":  "SELECT count(*) FROM runs WHERE segments > 1",
		"truncated calls":           "SELECT count(*) FROM calls WHERE status = 'truncated'",
		"no_return calls":           "SELECT count(*) FROM calls WHERE status = 'no_return'",
		"pre-entry returns":         "SELECT count(*) FROM records WHERE kind = 'pre_ret'",
		"damaged runs":              "SELECT count(*) FROM runs WHERE damaged_words > 0",
		"torn runs":                 "SELECT count(*) FROM runs WHERE torn",
		"full buffers":              "SELECT count(*) FROM runs WHERE saturated",
		"unresolved calls":          "SELECT count(*) FROM calls WHERE func IS NULL",
		"calls of modules":          "SELECT count(*) FROM calls WHERE module <> ''",
		"demangled names":           "SELECT count(*) FROM calls WHERE demangled <> func",
		"struct arguments":          "SELECT count(*) FROM args WHERE nvals > 1",
		"pre-entry returns in span": "SELECT count(*) FROM calls WHERE pre_ret IS NOT NULL",
	} {
		if n := count(t, db, q, nil); n == 0 {
			t.Fatalf("the test campaign has no %s: pick another seed in campaignDataset", what)
		}
	}
}

// count runs a query of one integer.
func count(t *testing.T, db *query.DB, q string, vars query.Vars) int64 {
	t.Helper()
	tab, err := db.Query(context.Background(), q, vars)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if len(tab.Rows) != 1 {
		t.Fatalf("%s: %d rows", q, len(tab.Rows))
	}
	n, ok := tab.Rows[0][0].(int64)
	if !ok && tab.Rows[0][0] != nil {
		t.Fatalf("%s: %T, want an integer", q, tab.Rows[0][0])
	}
	return n
}
