package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/kdf-tools/kdf/internal/synth"
)

// tarZst packs dir's files, paths relative to root, into a .tar.zst.
func tarZst(t *testing.T, root, dir, out string) {
	t.Helper()
	var raw bytes.Buffer
	if err := synth.WriteTar(&raw, root, dir); err != nil {
		t.Fatal(err)
	}
	zw, _ := zstd.NewWriter(nil)
	if err := os.WriteFile(out, zw.EncodeAll(raw.Bytes(), nil), 0o644); err != nil {
		t.Fatal(err)
	}
}

type runAttrs struct {
	RunID    int64   `parquet:"run_id"`
	Source   string  `parquet:"source"`
	Path     string  `parquet:"path"`
	Layout   string  `parquet:"layout"`
	Kallsyms *string `parquet:"kallsyms,optional"`
	Arm      *string `parquet:"arm,optional"`
	Trial    *string `parquet:"trial,optional"`
	Boot     *string `parquet:"boot,optional"`
	ExecNS   *int64  `parquet:"exec_ns,optional"`
	Capacity *int64  `parquet:"capacity,optional"`
	Records  int64   `parquet:"records"`
	Unres    int64   `parquet:"unresolved_pcs"`
}

// TestSourcesAndAttributes ingests one arm from a directory and the
// other from a tar.zst of it: every run carries its path's attributes,
// its manifest's, and the kallsyms of its own boot.
func TestSourcesAndAttributes(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	arch := filepath.Join(t.TempDir(), "arm-b.tar.zst")
	tarZst(t, src, filepath.Join(src, "arm=b"), arch)
	out := filepath.Join(t.TempDir(), "ds")
	sum, err := Run(context.Background(), Config{Dataset: out, Sources: []string{filepath.Join(src, "arm=a"), arch}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Runs != 24 || sum.Rejects != 0 {
		t.Fatalf("%d runs, rejects %v", sum.Runs, sum.ByReason)
	}
	for _, r := range readTable[runAttrs](t, out, "runs") {
		arm := "a"
		if r.Source == "arm-b" { // the archive, by its name
			if !strings.HasPrefix(r.Path, "arm=b/") {
				t.Errorf("%s: not under arm=b in its archive", r.Path)
			}
			arm = "b"
		}
		dir := filepath.ToSlash(filepath.Dir(r.Path))
		switch {
		case r.Arm == nil || *r.Arm != arm || r.Trial == nil || *r.Trial != "1" || r.Boot == nil:
			t.Errorf("%s: attributes arm %v trial %v boot %v", r.Path, r.Arm, r.Trial, r.Boot)
		case r.ExecNS == nil || *r.ExecNS <= 0 || r.Capacity == nil:
			t.Errorf("%s: no exec_ns or capacity from the manifest", r.Path)
		case r.Kallsyms == nil || !strings.HasSuffix(*r.Kallsyms, dir+"/kallsyms"):
			t.Errorf("%s: symbolized with %v, not its boot's kallsyms", r.Path, r.Kallsyms)
		case r.Unres*10 > r.Records:
			t.Errorf("%s: %d of %d pcs unresolved", r.Path, r.Unres, r.Records)
		}
	}
}

type rejectCols struct {
	Path   string `parquet:"path"`
	Reason string `parquet:"reason"`
	Detail string `parquet:"detail"`
}

// TestRejectsRerunAndForce puts bad inputs beside good ones: each ends
// in rejects with its reason, the good ones in runs (a copy of a buffer
// under another name too: it is another run); a re-run adds nothing and
// --force replaces what it re-ingests.
func TestRejectsRerunAndForce(t *testing.T) {
	cfg := synth.SmallConfig()
	src := genCampaign(t, cfg)
	boot := filepath.Join(src, "arm=a", "trial=1", "boot=1")
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(boot, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("notes.txt", []byte("not a buffer\n"))
	write("empty.kcdf", nil)
	dup, _ := os.ReadFile(filepath.Join(boot, "prog-000001.kcdf"))
	write("copy.kcdf", dup)
	out := filepath.Join(t.TempDir(), "ds")
	ingest := func(force bool) *Summary {
		sum, err := Run(context.Background(), Config{Dataset: out, Sources: []string{src}, Force: force}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	first := ingest(false)
	if first.Runs != 25 || first.Rejects != 2 || first.ByReason["not_a_buffer"] != 1 || first.ByReason["empty"] != 1 {
		t.Fatalf("runs %d, rejects %v", first.Runs, first.ByReason)
	}
	rejects := readTable[rejectCols](t, out, "rejects")
	for _, r := range rejects {
		if r.Detail == "" {
			t.Errorf("reject %s (%s) says nothing", r.Path, r.Reason)
		}
	}
	if again := ingest(false); again.Runs != 0 || again.Rejects != 0 || again.Skipped != 27 {
		t.Errorf("re-run: runs %d rejects %d skipped %d", again.Runs, again.Rejects, again.Skipped)
	}
	records := countRows(t, out, "records")
	if forced := ingest(true); forced.Runs != 25 || forced.Replaced != 27 {
		t.Errorf("--force re-ingested %d runs, replaced %d inputs", forced.Runs, forced.Replaced)
	}
	if got := len(readTable[runAttrs](t, out, "runs")); got != 25 {
		t.Errorf("after --force the runs table has %d rows, want 25", got)
	}
	if got := countRows(t, out, "records"); got != records {
		t.Errorf("after --force the records table has %d rows, want %d", got, records)
	}
}

// TestArchiveProgress: an ingest's progress counts an archive by its
// file's bytes, once, not by its members' decompressed sizes (which
// took a compressed campaign past 100% of the bytes expected long
// before its end); a directory's buffers count their own sizes.
func TestArchiveProgress(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	arch := filepath.Join(t.TempDir(), "arm-b.tar.zst")
	tarZst(t, src, filepath.Join(src, "arm=b"), arch)
	bufs, _ := filepath.Glob(filepath.Join(src, "arm=a", "*", "*", "*.kcdf"))
	fi, err := os.Stat(arch)
	must(t, err)
	want := fi.Size()
	for _, b := range bufs {
		fi, err := os.Stat(b)
		must(t, err)
		want += fi.Size()
	}
	prog := &Progress{Estimate: true}
	sum, err := Run(context.Background(), Config{Dataset: filepath.Join(t.TempDir(), "ds"), Sources: []string{filepath.Join(src, "arm=a"), arch}}, prog)
	must(t, err)
	if got := prog.Bytes.Load(); got != want || sum.Bytes <= want {
		t.Errorf("progress %d bytes, want %d (the archive's file and the directory's buffers); the runs' buffers %d bytes", got, want, sum.Bytes)
	}
	if prog.Files.Load() != sum.Runs {
		t.Errorf("progress %d files, %d runs", prog.Files.Load(), sum.Runs)
	}
}
