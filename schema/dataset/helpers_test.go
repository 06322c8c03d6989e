package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The tests write fake parts: text, one row per line, tab-separated.
// runs and records rows are "<run_id>\t<path>", rejects rows
// "<source>\t<path>": enough for the exclusions to apply to them.

const testSource = "src"

// testInput is input i of a synthetic campaign: every fifth is a reject.
func testInput(i int) Input {
	sum := sha256.Sum256([]byte(fmt.Sprint("input-", i)))
	in := Input{SHA256: hex.EncodeToString(sum[:]), Source: testSource, Path: fmt.Sprintf("b/%d.kcdf", i)}
	if i%5 == 0 {
		in.Outcome, in.Reason = OutcomeReject, "not_a_buffer"
	} else {
		in.Outcome, in.RunID = OutcomeRun, int64(binary.BigEndian.Uint64(sum[:8]))
	}
	return in
}

// writeGroup writes the parts of the inputs ids (runs, records and
// rejects, each only if it has rows) and returns them closed.
func writeGroup(t testing.TB, w *Writer, campaign string, ids []int) ([]*PartFile, []Input) {
	t.Helper()
	parts, inputs, err := makeGroup(w, campaign, ids)
	if err != nil {
		t.Fatal(err)
	}
	return parts, inputs
}

// makeGroup is writeGroup for the child processes, which have no T.
func makeGroup(w *Writer, campaign string, ids []int) ([]*PartFile, []Input, error) {
	rows := map[string][]string{}
	var inputs []Input
	for _, i := range ids {
		in := testInput(i)
		inputs = append(inputs, in)
		if in.Outcome == OutcomeReject {
			rows["rejects"] = append(rows["rejects"], in.Source+"\t"+in.Path)
			continue
		}
		row := fmt.Sprintf("%d\t%s", in.RunID, in.Path)
		rows["runs"] = append(rows["runs"], row)
		rows["records"] = append(rows["records"], row, row)
	}
	var parts []*PartFile
	for _, table := range []string{"runs", "records", "rejects"} {
		if len(rows[table]) == 0 {
			continue
		}
		p, err := w.CreatePart(table, campaign)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, p)
		if _, err := p.Write([]byte(strings.Join(rows[table], "\n") + "\n")); err != nil {
			return nil, nil, err
		}
		if err := p.Close(); err != nil {
			return nil, nil, err
		}
	}
	return parts, inputs, nil
}

// commitGroup writes and commits a group.
func commitGroup(t testing.TB, w *Writer, ids ...int) {
	t.Helper()
	parts, inputs := writeGroup(t, w, "c1", ids)
	if err := w.Commit(context.Background(), parts, inputs); err != nil {
		t.Fatal(err)
	}
}

// logical renders what a ledger-honouring reader sees, independent of
// part names and commit numbers: every table's rows, sorted, with the
// exclusions applied, and the live inputs. Two datasets with equal
// logical views hold the same data.
func logical(t testing.TB, d *Dataset) string {
	t.Helper()
	l, err := d.Committed()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range []string{"runs", "records", "rejects", "functions"} {
		parts, err := l.Parts(table)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := l.Excluded(table)
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, p := range parts {
			rows = append(rows, partRows(t, p, ex)...)
		}
		slices.Sort(rows)
		fmt.Fprintf(&b, "%s: %d rows\n%s\n", table, len(rows), strings.Join(rows, "\n"))
	}
	var inputs []string
	for _, in := range l.Inputs() {
		inputs = append(inputs, fmt.Sprintf("input %s %s %s %s\n", in.SHA256[:12], in.Source, in.Path, in.Outcome))
	}
	slices.Sort(inputs)
	return b.String() + strings.Join(inputs, "")
}

// partRows reads a fake part's rows, minus the excluded ones.
func partRows(t testing.TB, part string, ex []Exclusion) []string {
	b, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, row := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(row, "\t")
		skip := false
		for _, e := range ex {
			skip = skip || e.Part == part && (e.ByRunID && f[0] == fmt.Sprint(e.RunID) ||
				!e.ByRunID && f[0] == e.Source && f[1] == e.Path)
		}
		if !skip {
			rows = append(rows, row)
		}
	}
	return rows
}

// tree lists every file under dir, relative, sorted.
func tree(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func mustCreate(t testing.TB) *Dataset {
	t.Helper()
	d, err := Create(filepath.Join(t.TempDir(), "ds"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustWriter(t testing.TB, d *Dataset) *Writer {
	t.Helper()
	w, err := d.NewWriter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func mustCheck(t testing.TB, d *Dataset) {
	t.Helper()
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
}
