package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go/format"

	"github.com/kdf-tools/kdf/internal/readback"
	"github.com/kdf-tools/kdf/query"
)

// kdf compact merges an ingest's parts, in zstd whatever codec they were
// ingested with, kdf check says the directory is sound, and a damaged
// ledger file is refused with what to do.
func TestCompactAndCheck(t *testing.T) {
	camp := filepath.Join(t.TempDir(), "campaign")
	kdf(t, "gen", "-o", camp, "--arms", "a,b", "--trials", "2", "--boots", "1", "--programs", "6")
	ds := filepath.Join(t.TempDir(), "ds")
	kdf(t, "ingest", "-q", "-j", "2", "--compression", "snappy", filepath.Join(camp, "arm=a"), "-o", ds, "--campaign", "c")
	kdf(t, "ingest", "-q", "-j", "2", filepath.Join(camp, "arm=b"), "-o", ds, "--campaign", "c")
	if n, _ := readback.Codecs(t, ds); n[format.Snappy] == 0 || n[format.Zstd] == 0 {
		t.Errorf("column chunks by codec after ingesting with snappy, then zstd: %v", n)
	}
	before, _ := kdf(t, "query", ds, "SELECT count(*), sum(value) FROM records")
	if query.ArrowEnabled {
		out, _ := kdf(t, "compact", ds)
		if !strings.Contains(out, "campaign c: ") || !strings.Contains(out, "compacted into") {
			t.Errorf("kdf compact said: %q", out)
		}
		if n, _ := readback.Codecs(t, ds); n[format.Snappy] != 0 || n[format.Zstd] == 0 {
			t.Errorf("column chunks by codec after compaction: %v", n)
		}
		if out, _ := kdf(t, "compact", ds); !strings.Contains(out, "nothing to compact") {
			t.Errorf("compacting again: %q", out)
		}
	} else {
		// Compaction reads DuckDB's sort through Arrow: without it, it is
		// refused with what to do, and the dataset stays as it was.
		if _, _, err := runKDF("compact", ds); !errors.Is(err, query.ErrNoArrow) || exitCode(err, io.Discard) != exitError {
			t.Errorf("kdf compact built without Arrow: %v", err)
		}
	}
	if after, _ := kdf(t, "query", ds, "SELECT count(*), sum(value) FROM records"); after != before {
		t.Errorf("after compaction:\n%s\nwant\n%s", after, before)
	}
	if out, _ := kdf(t, "check", ds); !strings.Contains(out, ": ok: 1 campaigns") {
		t.Errorf("kdf check: %q", out)
	}
	checkTruncatedPart(t, ds)
	checkFlippedPage(t, ds)
	checkFlippedIndex(t, ds)

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

// Datasets written apart (one per host, here one per shard) are queried
// as one, each row telling its dataset.
func TestQuerySeveralDatasets(t *testing.T) {
	camp := filepath.Join(t.TempDir(), "campaign")
	kdf(t, "gen", "-o", camp, "--arms", "a,b", "--trials", "1", "--boots", "1", "--programs", "8")
	whole, one, two := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "host1"), filepath.Join(t.TempDir(), "host2")
	kdf(t, "ingest", "-q", camp, "-o", whole)
	kdf(t, "ingest", "-q", "--shard", "0/2", camp, "-o", one)
	kdf(t, "ingest", "-q", "--shard", "1/2", camp, "-o", two)
	q := "SELECT count(*) AS runs, sum(records) AS records FROM runs"
	want, _ := kdf(t, "query", whole, q)
	if got, _ := kdf(t, "query", one, two, q); got != want {
		t.Errorf("two shards' datasets:\n%s\nwant\n%s", got, want)
	}
	out, _ := kdf(t, "query", "--format", "csv", "h1="+one, "h2="+two, "SELECT dataset, count(*) > 0 AS some FROM records GROUP BY ALL ORDER BY ALL")
	if out != "dataset,some\nh1,true\nh2,true\n" {
		t.Errorf("records by dataset:\n%s", out)
	}
	if out, _ := kdf(t, "report", "overhead", one, two, "--format", "csv"); !strings.Contains(out, "\n") {
		t.Errorf("a report over two datasets: %q", out)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"query", one, one, q}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "NAME=DIR") {
		t.Errorf("one dataset twice: %v", err)
	}
}

// copyWithPart copies the dataset ds and returns the copy and its first
// part of table.
func copyWithPart(t *testing.T, ds, table string) (copyDir, part string) {
	t.Helper()
	copyDir = filepath.Join(t.TempDir(), "copy")
	must(t, os.CopyFS(copyDir, os.DirFS(ds)))
	parts, _ := filepath.Glob(filepath.Join(copyDir, table, "*", "*.parquet"))
	if len(parts) == 0 {
		t.Fatalf("no %s part", table)
	}
	return copyDir, parts[0]
}

// checkTruncatedPart cuts a copy of the dataset's first calls part short:
// kdf check names it and says what to do.
func checkTruncatedPart(t *testing.T, ds string) {
	t.Helper()
	copyDir, part := copyWithPart(t, ds, "calls")
	fi, err := os.Stat(part)
	must(t, err)
	must(t, os.Truncate(part, fi.Size()/2))
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"check", copyDir}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 damaged parts") || !strings.Contains(err.Error(), filepath.Base(part)) ||
		!strings.Contains(err.Error(), "--force") {
		t.Errorf("kdf check of a truncated part: %v", err)
	}
}

// checkFlippedIndex flips a byte of a part's page index, which a
// reader skips pages by: plain kdf check finds it by the footer's
// checksum.
func checkFlippedIndex(t *testing.T, ds string) {
	t.Helper()
	copyDir, part := copyWithPart(t, ds, "calls")
	b, err := os.ReadFile(part)
	must(t, err)
	footer := len(b) - 8 - int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	b[footer-20] ^= 0x01
	must(t, os.WriteFile(part, b, 0o644))
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"check", copyDir}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 damaged parts") || !strings.Contains(err.Error(), filepath.Base(part)+": part: offset ") ||
		!strings.Contains(err.Error(), "do not match their checksum") {
		t.Errorf("kdf check of a part with its page index flipped: %v", err)
	}
}

// checkFlippedPage flips a byte in the middle of a copy of the
// dataset's first records part: the footer is whole, so plain kdf check
// passes; --data names the part, the row group, the column and the
// page's offset (the byte may fall in a page's data, whose checksum
// fails, or in its header).
func checkFlippedPage(t *testing.T, ds string) {
	t.Helper()
	copyDir, part := copyWithPart(t, ds, "records")
	b, err := os.ReadFile(part)
	must(t, err)
	b[len(b)/2] ^= 0x20
	must(t, os.WriteFile(part, b, 0o644))
	if out, _ := kdf(t, "check", copyDir); !strings.Contains(out, ": ok: ") {
		t.Errorf("kdf check of a part with a page flipped: %q", out)
	}
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"check", "--data", copyDir}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 damaged parts") || !strings.Contains(err.Error(), filepath.Base(part)+": row group ") ||
		!strings.Contains(err.Error(), ": column ") {
		t.Errorf("kdf check --data of a part with a page flipped: %v", err)
	}
	if out, _ := kdf(t, "check", "--data", ds); !strings.Contains(out, "match their checksums") {
		t.Errorf("kdf check --data of the dataset: %q", out)
	}
}
