package dataset

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/schema"
)

func TestCreateOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "ds")
	d, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := d.Meta()
	if m.Format != Format || m.DatasetVersion != Version || m.SchemaVersion != schema.Version ||
		!strings.HasPrefix(m.Writer, "kdf ") || len(m.Tables) != len(schema.All) {
		t.Errorf("meta = %+v", m)
	}
	w := mustWriter(t, d)
	commitGroup(t, w, 1)
	w.Close()
	again, err := Create(dir) // idempotent, keeps what is there
	if err != nil {
		t.Fatal(err)
	}
	if snap, _ := again.Snapshot(); len(snap.Parts("runs")) != 1 {
		t.Errorf("Create on a dataset: runs parts = %v", snap.Parts("runs"))
	}
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dir); len(got) != 6 { // kdf.json, lock, one commit, history, a runs and a records part
		t.Errorf("files = %v", got)
	}
}

func TestOpenRefuses(t *testing.T) {
	meta := func(m map[string]any) string {
		dir := t.TempDir()
		b, _ := json.Marshal(m)
		os.WriteFile(filepath.Join(dir, metaName), b, 0o644)
		return dir
	}
	raw := func(s string) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, metaName), []byte(s), 0o644)
		return dir
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct{ name, dir, want string }{
		{"missing", filepath.Join(t.TempDir(), "nope"), "no such file"},
		{"no kdf.json", t.TempDir(), "no kdf.json"},
		{"a file", file, "not a directory"},
		{"null", meta(nil), "has format \"\""},
		{"damaged", raw("{"), "is damaged"},
		{"other format", meta(map[string]any{"format": "delta", "dataset_version": 1}), "not a kdf dataset"},
		{"too new", meta(map[string]any{"format": Format, "dataset_version": Version + 1}), "use the kdf that wrote it"},
		{"schema too new", meta(map[string]any{"format": Format, "dataset_version": Version, "schema_version": schema.Version + 1}), "upgrade kdf"},
		{"version 1", meta(map[string]any{"format": Format, "dataset_version": 1}), "ingest the campaign again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open: %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCreateRefusesNonEmpty(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "thesis.tex"), nil, 0o644)
	if _, err := Create(dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Create: %v", err)
	}
	// What an interrupted Create leaves is no obstacle.
	dir = t.TempDir()
	os.Mkdir(filepath.Join(dir, ledgerDir), 0o755)
	os.Mkdir(filepath.Join(dir, tmpDir), 0o755)
	os.WriteFile(filepath.Join(dir, tmpDir, metaName), []byte("{"), 0o644)
	if _, err := Create(dir); err != nil {
		t.Fatal(err)
	}
}

func TestNewWriterRefusesOldSchema(t *testing.T) {
	d := mustCreate(t)
	d.meta.SchemaVersion = schema.Version - 1
	if _, err := d.NewWriter(context.Background()); err == nil || !strings.Contains(err.Error(), "new dataset") {
		t.Fatalf("NewWriter: %v", err)
	}
}

func TestCheckCampaign(t *testing.T) {
	for _, ok := range []string{"c1", "syzbot-2024.06", "arm_a+b@host,x~1", "a.b"} {
		if err := CheckCampaign(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".hidden", "..", "a/../b", "a/b", "a\x00b", "a..b", "a=b", "a b", "é",
		strings.Repeat("a", maxCampaign+1)} {
		if err := CheckCampaign(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	w := mustWriter(t, mustCreate(t))
	defer w.Close()
	if _, err := w.CreatePart("runs", "../../etc"); err == nil {
		t.Error("CreatePart accepted a campaign with ..")
	}
	if _, err := w.CreatePart("passwords", "c1"); err == nil {
		t.Error("CreatePart accepted an unknown table")
	}
}

// A symbolic link planted in the dataset is not written through.
func TestSymlinkRefused(t *testing.T) {
	d := mustCreate(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(d.Dir(), "runs")); err != nil {
		t.Fatal(err)
	}
	w := mustWriter(t, d)
	defer w.Close()
	err := w.Commit(context.Background(), Group{Parts: writeGroup(t, w, []int{1})})
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("Commit: %v", err)
	}
	if got := tree(t, outside); len(got) != 0 {
		t.Errorf("written outside the dataset: %v", got)
	}
	os.Remove(filepath.Join(d.Dir(), "runs"))
	mustCheck(t, d)
}

// A ledger entry naming a file outside the dataset, or another commit's
// part, is refused, not followed.
func TestHostileLedger(t *testing.T) {
	for name, e := range map[string]entry{
		"outside":         {Commit: 1, Add: []partRef{{Table: "runs", Campaign: "c1", Name: "../../../../etc/passwd"}}},
		"campaign ..":     {Commit: 1, Add: []partRef{{Table: "runs", Campaign: "..", Name: partName(1, "w", 0)}}},
		"another's part":  {Commit: 1, Add: []partRef{{Table: "runs", Campaign: "c1", Name: partName(7, "w", 0)}}},
		"removes a later": {Commit: 1, Remove: []partRef{{Table: "runs", Campaign: "c1", Name: partName(1, "w", 0)}}},
		"removes outside": {Commit: 2, Remove: []partRef{{Table: "runs/../..", Campaign: "c1", Name: partName(1, "w", 0)}}},
	} {
		t.Run(name, func(t *testing.T) {
			d := mustCreate(t)
			b, _ := json.Marshal(e)
			os.WriteFile(filepath.Join(d.Dir(), ledgerDir, commitName(e.Commit)+".json"), b, 0o644)
			if _, err := d.Snapshot(); err == nil || !strings.Contains(err.Error(), "kdf check") {
				t.Fatalf("Snapshot: %v", err)
			}
			if _, err := d.Recover(context.Background()); err == nil {
				t.Fatal("Recover followed it")
			}
		})
	}
}
