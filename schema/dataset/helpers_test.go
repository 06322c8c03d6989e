package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The tests write fake parts: text, one row per line, each row starting
// with the key (the input's path) of the input it belongs to, then a
// tab and what the row is.

// testKey is input i's key; every fifth input is a reject.
func testKey(i int) string { return fmt.Sprintf("b/%d.kcdf", i) }

func isReject(i int) bool { return i%5 == 0 }

// rowsOf is what input i puts in each table.
func rowsOf(i int) map[string][]string {
	k := testKey(i)
	if isReject(i) {
		return map[string][]string{"rejects": {k + "\treject"}}
	}
	return map[string][]string{"runs": {k + "\trun"}, "records": {k + "\tentry", k + "\tret"}}
}

var testTables = []string{"runs", "records", "rejects"}

// writeRows writes fake parts of the given rows, one per table that has
// rows, closed.
func writeRows(w *Writer, campaign string, rows map[string][]string) ([]*PartFile, error) {
	var parts []*PartFile
	for _, table := range testTables {
		if len(rows[table]) == 0 {
			continue
		}
		p, err := w.CreatePart(table, campaign)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
		if _, err := p.Write([]byte(strings.Join(rows[table], "\n") + "\n")); err != nil {
			return nil, err
		}
		if err := p.Close(); err != nil {
			return nil, err
		}
	}
	return parts, nil
}

// groupRows gathers the rows of the inputs ids.
func groupRows(ids []int) map[string][]string {
	rows := map[string][]string{}
	for _, i := range ids {
		for t, r := range rowsOf(i) {
			rows[t] = append(rows[t], r...)
		}
	}
	return rows
}

func writeGroup(t testing.TB, w *Writer, ids []int) []*PartFile {
	t.Helper()
	parts, err := writeRows(w, "c1", groupRows(ids))
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

// commitGroup writes and commits the inputs ids.
func commitGroup(t testing.TB, w *Writer, ids ...int) {
	t.Helper()
	if err := w.Commit(context.Background(), Group{Parts: writeGroup(t, w, ids), Inputs: len(ids)}); err != nil {
		t.Fatal(err)
	}
}

// replacement builds the group that re-ingests the inputs ids, as a
// forced ingest does: their new rows, and every committed part holding
// rows of theirs rewritten without them.
func replacement(w *Writer, snap *Snapshot, ids []int) (Group, error) {
	drop := map[string]bool{}
	for _, i := range ids {
		drop[testKey(i)] = true
	}
	rewritten := map[string][]string{}
	var remove []Part
	for _, table := range testTables {
		for _, p := range snap.Campaign(table, "c1") {
			rows, err := readRows(p.Path)
			if err != nil {
				return Group{}, err
			}
			kept := slices.DeleteFunc(slices.Clone(rows), func(r string) bool { return drop[keyOf(r)] })
			if len(kept) < len(rows) {
				remove = append(remove, p)
				rewritten[table] = append(rewritten[table], kept...)
			}
		}
	}
	for t, r := range groupRows(ids) {
		rewritten[t] = append(rewritten[t], r...)
	}
	parts, err := writeRows(w, "c1", rewritten)
	return Group{Parts: parts, Remove: remove, Inputs: len(ids), Note: "force"}, err
}

func replace(t testing.TB, w *Writer, ids ...int) {
	t.Helper()
	snap, err := w.d.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	g, err := replacement(w, snap, ids)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(context.Background(), g); err != nil {
		t.Fatal(err)
	}
}

func keyOf(row string) string { k, _, _ := strings.Cut(row, "\t"); return k }

func readRows(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), nil
}

// logical renders what a reader listing the dataset sees, independent of
// part names and commit numbers: every table's rows, sorted. Two
// datasets with equal logical views hold the same data.
func logical(t testing.TB, d *Dataset) string {
	t.Helper()
	snap, err := d.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return render(t, func(table string) []string { return snap.Paths(table) })
}

// globbed is logical for a reader that knows nothing of kdf and reads
// every file matching TABLE/*/*.parquet.
func globbed(t testing.TB, d *Dataset) string {
	t.Helper()
	return render(t, func(table string) []string {
		m, _ := filepath.Glob(filepath.Join(d.Dir(), table, "*", "*.parquet"))
		return m
	})
}

func render(t testing.TB, paths func(table string) []string) string {
	var b strings.Builder
	for _, table := range testTables {
		var rows []string
		for _, p := range paths(table) {
			r, err := readRows(p)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r...)
		}
		slices.Sort(rows)
		fmt.Fprintf(&b, "%s: %d rows\n%s\n", table, len(rows), strings.Join(rows, "\n"))
	}
	return b.String()
}

// held returns the keys of the inputs the dataset holds: the runs and
// rejects rows, as an ingest reads them.
func held(d *Dataset) (map[string]bool, error) {
	snap, err := d.Snapshot()
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for _, table := range []string{"runs", "rejects"} {
		if err := addKeys(keys, snap.Parts(table)); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

func addKeys(keys map[string]bool, parts []Part) error {
	for _, p := range parts {
		if p.Table != "runs" && p.Table != "rejects" {
			continue
		}
		rows, err := readRows(p.Path)
		if err != nil {
			return err
		}
		for _, r := range rows {
			keys[keyOf(r)] = true
		}
	}
	return nil
}

// errTaken is a Prepare's refusal: another writer committed one of the
// group's inputs meanwhile.
var errTaken = errors.New("an input of the group was committed meanwhile")

// refuseTaken is a Prepare that refuses the group if a part committed
// since holds one of the inputs ids.
func refuseTaken(ids []int) func([]Part) ([]*PartFile, error) {
	return func(since []Part) ([]*PartFile, error) {
		keys := map[string]bool{}
		if err := addKeys(keys, since); err != nil {
			return nil, err
		}
		for _, i := range ids {
			if keys[testKey(i)] {
				return nil, fmt.Errorf("%w: %s", errTaken, testKey(i))
			}
		}
		return nil, nil
	}
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
