package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kdf compact merges an ingest's parts, kdf check says the directory is
// sound, and a damaged ledger file is refused with what to do.
func TestCompactAndCheck(t *testing.T) {
	camp := filepath.Join(t.TempDir(), "campaign")
	kdf(t, "gen", "-o", camp, "--arms", "a,b", "--trials", "2", "--boots", "1", "--programs", "6")
	ds := filepath.Join(t.TempDir(), "ds")
	for _, arm := range []string{"arm=a", "arm=b"} {
		kdf(t, "ingest", "-q", "-j", "2", filepath.Join(camp, arm), "-o", ds, "--campaign", "c")
	}
	before, _ := kdf(t, "query", ds, "SELECT count(*), sum(value) FROM records")
	out, _ := kdf(t, "compact", ds)
	if !strings.Contains(out, "campaign c: ") || !strings.Contains(out, "compacted into") {
		t.Errorf("kdf compact said: %q", out)
	}
	if after, _ := kdf(t, "query", ds, "SELECT count(*), sum(value) FROM records"); after != before {
		t.Errorf("after compaction:\n%s\nwant\n%s", after, before)
	}
	if out, _ := kdf(t, "compact", ds); !strings.Contains(out, "nothing to compact") {
		t.Errorf("compacting again: %q", out)
	}
	if out, _ := kdf(t, "check", ds); !strings.Contains(out, ": ok: 1 campaigns") {
		t.Errorf("kdf check: %q", out)
	}

	ledger, _ := filepath.Glob(filepath.Join(ds, "_ledger", "*.json"))
	if len(ledger) != 1 {
		t.Fatalf("ledger files %v", ledger)
	}
	must(t, os.WriteFile(ledger[0], []byte(`{"commit": 1, "ad`), 0o644))
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"check", ds}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "is damaged") || !strings.Contains(err.Error(), "kdf check") {
		t.Errorf("kdf check of a damaged ledger: %v", err)
	}
	err = run(context.Background(), []string{"query", ds, "SELECT 1"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "move it out of _ledger") {
		t.Errorf("kdf query of a damaged ledger: %v", err)
	}
	// As the message says: the parts are the dataset.
	must(t, os.Rename(ledger[0], filepath.Join(t.TempDir(), "damaged.json")))
	if out, _ := kdf(t, "check", ds); !strings.Contains(out, ": ok: 1 campaigns") {
		t.Errorf("kdf check without the damaged file: %q", out)
	}
	if after, _ := kdf(t, "query", ds, "SELECT count(*), sum(value) FROM records"); after != before {
		t.Errorf("without the damaged ledger file:\n%s\nwant\n%s", after, before)
	}
	kdf(t, "ingest", "-q", "--force", filepath.Join(camp, "arm=a"), "-o", ds, "--campaign", "c")
	if after, _ := kdf(t, "query", ds, "SELECT count(*), sum(value) FROM records"); after != before {
		t.Errorf("after a forced ingest:\n%s\nwant\n%s", after, before)
	}
}
