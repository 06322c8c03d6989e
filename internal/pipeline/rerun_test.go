package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kdf-tools/kdf/internal/synth"
)

func ingestSum(t *testing.T, cfg Config) *Summary {
	t.Helper()
	sum, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

type runSymbols struct {
	Path     string  `parquet:"path"`
	SHA256   string  `parquet:"sha256"`
	Kallsyms *string `parquet:"kallsyms"`
	Unres    int64   `parquet:"unresolved_pcs"`
}

// Runs ingested before their kallsyms arrived are symbolized by the
// next ingest that finds it, without --force, and replace what was
// there.
func TestSymbolsArriveLater(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	kallsyms, _ := filepath.Glob(filepath.Join(src, "*", "*", "*", "kallsyms"))
	kallsyms = append(kallsyms, filepath.Join(src, "System.map"))
	hidden := t.TempDir()
	for i, k := range kallsyms {
		os.Rename(k, filepath.Join(hidden, filepath.Base(filepath.Dir(k))+"-"+string(rune('a'+i))))
	}
	out := filepath.Join(t.TempDir(), "ds")
	first := ingestSum(t, Config{Dataset: out, Sources: []string{src}})
	if first.Unsymbolized != first.Runs || first.Runs == 0 {
		t.Fatalf("%d of %d runs unsymbolized without kallsyms", first.Unsymbolized, first.Runs)
	}
	records := countRows(t, out, "records")
	for i, k := range kallsyms {
		os.Rename(filepath.Join(hidden, filepath.Base(filepath.Dir(k))+"-"+string(rune('a'+i))), k)
	}
	second := ingestSum(t, Config{Dataset: out, Sources: []string{src}})
	if second.Replaced != first.Runs || second.Unsymbolized != 0 {
		t.Errorf("with kallsyms back: %d replaced, %d unsymbolized", second.Replaced, second.Unsymbolized)
	}
	for _, r := range readTable[runSymbols](t, out, "runs") {
		if r.Kallsyms == nil || r.Unres*10 > int64(countRows(t, out, "records")) {
			t.Errorf("%s: kallsyms %v, %d unresolved", r.Path, r.Kallsyms, r.Unres)
		}
	}
	if got := countRows(t, out, "records"); got != records {
		t.Errorf("records: %d rows, were %d", got, records)
	}
	if third := ingestSum(t, Config{Dataset: out, Sources: []string{src}}); third.Skipped != first.Runs {
		t.Errorf("a third ingest skipped %d of %d", third.Skipped, first.Runs)
	}
}

// A file whose content changed under the same path is reported and left
// as the dataset holds it; --force takes the new content.
func TestChangedContent(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	out := filepath.Join(t.TempDir(), "ds")
	first := ingestSum(t, Config{Dataset: out, Sources: []string{src}})
	a := filepath.Join(src, "arm=a", "trial=1", "boot=1", "prog-000001.kcdf")
	b, _ := os.ReadFile(filepath.Join(src, "arm=a", "trial=1", "boot=1", "prog-000002.kcdf"))
	if err := os.WriteFile(a, b, 0o644); err != nil {
		t.Fatal(err)
	}
	second := ingestSum(t, Config{Dataset: out, Sources: []string{src}})
	if second.Changed != 1 || second.Runs != 0 || len(second.ChangedPaths) != 1 || second.ChangedPaths[0] != "campaign/arm=a/trial=1/boot=1/prog-000001.kcdf" {
		t.Errorf("a changed file: %d changed (%v), %d runs", second.Changed, second.ChangedPaths, second.Runs)
	}
	shas := func() map[string]string {
		m := map[string]string{}
		for _, r := range readTable[runSymbols](t, out, "runs") {
			m[r.Path] = r.SHA256
		}
		return m
	}
	before := shas()["arm=a/trial=1/boot=1/prog-000001.kcdf"]
	forced := ingestSum(t, Config{Dataset: out, Sources: []string{src}, Force: true})
	after := shas()
	if forced.Replaced != first.Runs || after["arm=a/trial=1/boot=1/prog-000001.kcdf"] == before ||
		after["arm=a/trial=1/boot=1/prog-000001.kcdf"] != after["arm=a/trial=1/boot=1/prog-000002.kcdf"] || int64(len(after)) != first.Runs {
		t.Errorf("--force: %d replaced; %d runs; the changed file's hash %s", forced.Replaced, len(after), after["arm=a/trial=1/boot=1/prog-000001.kcdf"])
	}
}

// The same files given again through a directory inside the source are
// the same runs.
func TestSubdirectoryIsTheSameSource(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	out := filepath.Join(t.TempDir(), "ds")
	first := ingestSum(t, Config{Dataset: out, Sources: []string{src}})
	boot := filepath.Join(src, "arm=b", "trial=1", "boot=2")
	again := ingestSum(t, Config{Dataset: out, Sources: []string{boot, src}})
	if again.Runs != 0 || again.Skipped != first.Runs {
		t.Errorf("a boot and its campaign again: %d runs, %d skipped of %d", again.Runs, again.Skipped, first.Runs)
	}
	if got := countRows(t, out, "runs"); got != first.Runs {
		t.Errorf("runs: %d rows, want %d", got, first.Runs)
	}
}

// A reject that a complete walk of its source no longer meets is
// removed: the problem is gone.
func TestStaleRejects(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	notes := filepath.Join(src, "arm=a", "notes.txt")
	os.WriteFile(notes, []byte("not a buffer\n"), 0o644)
	arch := filepath.Join(t.TempDir(), "arm-b.tar.zst")
	tarZst(t, src, filepath.Join(src, "arm=b"), arch)
	out := filepath.Join(t.TempDir(), "ds")
	capped := Config{Dataset: out, Sources: []string{src, arch}}
	capped.Source.MaxArchiveBytes = 64 << 10
	first := ingestSum(t, capped)
	if first.ByReason["not_a_buffer"] != 1 || first.ByReason["decompression_limit"] != 1 {
		t.Fatalf("rejects %v", first.ByReason)
	}
	os.Remove(notes)
	second := ingestSum(t, Config{Dataset: out, Sources: []string{src, arch}})
	// The member the cap stopped at is now a run and replaces its reject;
	// the others (the manifest's lines naming the members the cap cut
	// off, the text file) are gone.
	if second.StaleRejects+second.Replaced != first.Rejects || second.Replaced != 1 || second.Rejects != 0 {
		t.Errorf("with the problems gone: %d stale rejects removed, %d replaced, %d rejects %v; first %d %v",
			second.StaleRejects, second.Replaced, second.Rejects, second.ByReason, first.Rejects, first.ByReason)
	}
	if got := readTable[rejectCols](t, out, "rejects"); len(got) != 0 {
		t.Errorf("rejects left: %+v", got)
	}
	if got, want := countRows(t, out, "runs"), first.Runs+second.Runs; got != want || second.Runs == 0 {
		t.Errorf("runs: %d rows, want %d (%d taken once the cap was lifted)", got, want, second.Runs)
	}
}

// Ingests of one source at once, unsharded and sharded, overlap: each
// input ends once in the dataset, whichever ingest committed it, and a
// conflict costs only the input it is about.
func TestOverlappingIngests(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	out := filepath.Join(t.TempDir(), "ds")
	var wg sync.WaitGroup
	sums := make([]*Summary, 4)
	for i := range sums {
		wg.Go(func() {
			cfg := Config{Dataset: out, Sources: []string{src}, GroupRuns: 3, Workers: 2}
			if i%2 == 1 {
				cfg.Shard, cfg.Shards = i/2, 2
			}
			sum, err := Run(context.Background(), cfg, nil)
			if err != nil {
				t.Error(err)
				return
			}
			sums[i] = sum
		})
	}
	wg.Wait()
	var runs, records int64
	for _, s := range sums {
		if s != nil {
			runs += s.Runs
			records += s.Records
		}
	}
	if got := countRows(t, out, "records"); got != records {
		t.Errorf("the ingests' summaries count %d records, the dataset holds %d", records, got)
	}
	got := readTable[runSymbols](t, out, "runs")
	paths := make([]string, len(got))
	for i, r := range got {
		paths[i] = r.Path
	}
	slices.Sort(paths)
	distinct := len(slices.Compact(paths))
	if distinct != len(got) || len(got) != 24 || runs != 24 {
		t.Errorf("%d runs rows (%d distinct), %d runs committed by the ingests", len(got), distinct, runs)
	}
}

type runProblems struct {
	Path     string  `parquet:"path"`
	Layout   string  `parquet:"layout"`
	Records  int64   `parquet:"records"`
	Unres    int64   `parquet:"unresolved_pcs"`
	Problems *string `parquet:"problems"`
}

// A kallsyms of another boot, and a System.map alone for layout-A pcs
// of a boot with KASLR on, leave most pcs unresolved: each such run
// says why, the summary counts them, and --force replaces them once the
// snapshots are right.
func TestUnresolvedPCs(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	boot := func(arm string, n int) string {
		return filepath.Join(src, "arm="+arm, "trial=1", fmt.Sprintf("boot=%d", n))
	}
	swap := func() {
		a, b := filepath.Join(boot("a", 1), "kallsyms"), filepath.Join(boot("a", 2), "kallsyms")
		tmp := a + ".tmp"
		must(t, os.Rename(a, tmp))
		must(t, os.Rename(b, a))
		must(t, os.Rename(tmp, b))
	}
	swap()
	mapOnly := filepath.Join(boot("b", 2), "kallsyms")
	kb, err := os.ReadFile(mapOnly)
	must(t, err)
	must(t, os.Remove(mapOnly))

	out := filepath.Join(t.TempDir(), "ds")
	sum := ingestSum(t, Config{Dataset: out, Sources: []string{src}})
	var flagged int64
	for _, r := range readTable[runProblems](t, out, "runs") {
		p := ""
		if r.Problems != nil {
			p = *r.Problems
		}
		dir := filepath.Dir(r.Path)
		var want string
		switch {
		case r.Layout == "A" && dir == "arm=a/trial=1/boot=2":
			want = "kallsyms of another boot or kernel"
		case r.Layout == "A" && dir == "arm=b/trial=1/boot=2":
			want = "with a KASLR offset of 0 assumed"
		}
		if want == "" {
			if strings.Contains(p, "did not resolve") || 2*r.Unres > r.Records {
				t.Errorf("%s: %d of %d unresolved, problems %q", r.Path, r.Unres, r.Records, p)
			}
			continue
		}
		flagged++
		if r.Records == 0 || r.Unres != r.Records || !strings.Contains(p, fmt.Sprintf("%d of %d pcs did not resolve", r.Unres, r.Records)) || !strings.Contains(p, want) {
			t.Errorf("%s: %d of %d unresolved, problems %q; want %q", r.Path, r.Unres, r.Records, p, want)
		}
	}
	if flagged == 0 || sum.Unresolved != flagged || len(sum.UnresolvedPaths) != int(min(flagged, maxChangedPaths)) {
		t.Errorf("summary: %d unresolved runs (%v); the runs table flags %d", sum.Unresolved, sum.UnresolvedPaths, flagged)
	}

	swap()
	must(t, os.WriteFile(mapOnly, kb, 0o644))
	again := ingestSum(t, Config{Dataset: out, Sources: []string{src}, Force: true})
	if again.Unresolved != 0 || again.Replaced != again.Runs {
		t.Errorf("with the snapshots right and --force: %d unresolved runs, %d of %d replaced", again.Unresolved, again.Replaced, again.Runs)
	}
	for _, r := range readTable[runProblems](t, out, "runs") {
		if r.Problems != nil && strings.Contains(*r.Problems, "did not resolve") {
			t.Errorf("%s: %s", r.Path, *r.Problems)
		}
	}
}

// An ingest that fails after some commits (here: its part files can no
// longer be made, as on a full disk) returns the error with a summary
// of what it committed, which stays; the same ingest again, once the
// cause is gone, skips that and adds the rest.
func TestFailureKeepsCommits(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	out := filepath.Join(t.TempDir(), "ds")
	tmp := filepath.Join(out, "_tmp")
	var jobs atomic.Int32
	testHookProcess = func(*job) {
		if jobs.Add(1) == 9 {
			must(t, os.Rename(tmp, tmp+".gone"))
			must(t, os.WriteFile(tmp, nil, 0o644)) // a file where the part directories go
		}
	}
	sum, err := Run(context.Background(), Config{Dataset: out, Sources: []string{src}, Workers: 1, GroupRuns: 4}, nil)
	testHookProcess = nil
	if err == nil || sum == nil {
		t.Fatalf("an ingest whose parts cannot be written: err %v, summary %v", err, sum)
	}
	if sum.Commits != 2 || sum.Runs != 8 {
		t.Errorf("before the failure: %d commits of %d runs; want 2 of 8", sum.Commits, sum.Runs)
	}
	if got := countRows(t, out, "runs"); got != sum.Runs {
		t.Errorf("the dataset holds %d runs, the summary says %d were committed", got, sum.Runs)
	}
	must(t, os.Remove(tmp))
	must(t, os.Rename(tmp+".gone", tmp))
	again := ingestSum(t, Config{Dataset: out, Sources: []string{src}, Workers: 1, GroupRuns: 4})
	full := ingestSum(t, Config{Dataset: filepath.Join(t.TempDir(), "ds"), Sources: []string{src}})
	if again.Skipped != sum.Runs || again.Runs+sum.Runs != full.Runs || countRows(t, out, "records") != full.Records {
		t.Errorf("again: %d skipped, %d runs, %d records; want %d skipped, %d runs, %d records in all",
			again.Skipped, again.Runs, countRows(t, out, "records"), sum.Runs, full.Runs, full.Records)
	}
}
