package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/ingest/source"
	"github.com/kdf-tools/kdf/schema/dataset"
)

var update = flag.Bool("update", false, "rewrite testdata/hostile from its generator")

// corpusDir is testdata/hostile at the module root.
var corpusDir = filepath.Join("..", "..", "testdata", "hostile")

// Bounds every hostile case must stay within. They are generous: a
// case that needs more is a bug, not a slow machine.
const (
	hostileDeadline = 30 * time.Second // the context given to Run
	hostileTime     = 10 * time.Second // what a case may take
	hostileHeap     = 256 << 20        // peak live heap above the start
	hostileLeak     = 16 << 20         // live heap left after the ingest
)

// TestHostileCorpus checks that testdata/hostile is what its generator
// makes; with -update it rewrites it.
func TestHostileCorpus(t *testing.T) {
	want := newCorpus(t).files()
	want["README.md"] = readme()
	if *update {
		if err := os.RemoveAll(corpusDir); err != nil {
			t.Fatal(err)
		}
		for name, b := range want {
			p := filepath.Join(corpusDir, filepath.FromSlash(name))
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.WriteFile(p, b, 0o644))
		}
		return
	}
	got := map[string][]byte{}
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, p)
		got[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for name, b := range want {
		if g, ok := got[name]; !ok || !sameFile(name, g, b) {
			stale = append(stale, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			stale = append(stale, name+" (not generated)")
		}
	}
	if len(stale) > 0 {
		slices.Sort(stale)
		t.Errorf("testdata/hostile is not what its generator makes: %s\nrun: go test ./internal/pipeline -run TestHostileCorpus -update",
			strings.Join(stale, ", "))
	}
}

// sameFile compares two versions of a corpus file; gzip files by their
// content, since compress/flate's output may change between Go releases.
func sameFile(name string, a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if !strings.HasSuffix(name, ".gz") {
		return false
	}
	ua, erra := gunzip(a)
	ub, errb := gunzip(b)
	return erra == nil && errb == nil && bytes.Equal(ua, ub)
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// hostileRun and hostileReject are the columns of runs and rejects the
// cases check.
type hostileRun struct {
	Source       string  `parquet:"source"`
	Path         string  `parquet:"path"`
	Layout       string  `parquet:"layout"`
	Kallsyms     *string `parquet:"kallsyms,optional"`
	Words        int64   `parquet:"words"`
	Capacity     *int64  `parquet:"capacity,optional"`
	Records      int64   `parquet:"records"`
	DamagedWords int64   `parquet:"damaged_words"`
	DamageEvents int64   `parquet:"damage_events"`
	Torn         bool    `parquet:"torn"`
	TornWords    int64   `parquet:"torn_words"`
	MissingWords int64   `parquet:"missing_words"`
	Unresolved   int64   `parquet:"unresolved_pcs"`
	Problems     *string `parquet:"problems,optional"`
	VM           *string `parquet:"vm,optional"`
	ExecNS       *int64  `parquet:"exec_ns,optional"`
}

type hostileReject struct {
	Source string `parquet:"source"`
	Path   string `parquet:"path"`
	Reason string `parquet:"reason"`
	Detail string `parquet:"detail"`
}

// TestHostile ingests every case of the corpus beside the good boot.
func TestHostile(t *testing.T) {
	if _, err := os.Stat(filepath.Join(corpusDir, "good", "kallsyms")); err != nil {
		t.Fatalf("no corpus: %v (run: go test ./internal/pipeline -run TestHostileCorpus -update)", err)
	}
	for i := range hostileCases {
		c := &hostileCases[i]
		t.Run(c.dir, func(t *testing.T) { runHostile(t, c) })
	}
}

// runHostile lays the case over a copy of the good boot, ingests it and
// checks everything the case promises.
func runHostile(t *testing.T, c *hostileCase) {
	base := t.TempDir()
	// Nested, so that names climbing out of the source or the dataset
	// with ../../.. still land inside base, where the snapshot sees them.
	src, ds := filepath.Join(base, "w", "x", "y", "src"), filepath.Join(base, "w", "x", "y", "ds")
	tmp, outside := filepath.Join(base, "tmp"), filepath.Join(base, "outside")
	for _, d := range []string{tmp, outside} {
		must(t, os.MkdirAll(d, 0o755))
	}
	copyTree(t, filepath.Join(corpusDir, "good"), src)
	if c.files != nil {
		copyTree(t, filepath.Join(corpusDir, c.dir), src)
	}
	if c.build != nil {
		c.build(t, src, outside)
	}
	sources := []string{src}
	if c.sources != nil {
		sources = append(sources, c.sources(t, outside)...)
	}
	t.Setenv("TMPDIR", tmp) // where archive members are spooled
	cwd, _ := os.Getwd()
	before, beforeCwd := snapshot(t, base, ds), listDir(t, cwd)

	cfg := Config{Dataset: ds, Sources: sources, Workers: 2, SpoolBytes: 4 << 10}
	if c.cfg != nil {
		c.cfg(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
	defer cancel()
	var replaced sync.Map // the files the case replaced: changed by the case, not the ingest
	if c.opening != nil {
		testHookOpen = func(j *job) {
			if c.opening(t, src, outside, j.entry.Path) {
				replaced.Store(filepath.Join(src, j.entry.Path), true)
			}
		}
	}
	mem := watchHeap()
	start := time.Now()
	sum, err := Run(ctx, cfg, nil)
	took := time.Since(start)
	testHookOpen = nil
	peak, left := mem.stop()
	t.Logf("%v, peak heap +%d KiB, left +%d KiB: %d runs, rejects %v", took.Round(time.Millisecond), peak>>10, left>>10, sum.Runs, sum.ByReason)
	switch {
	case err != nil:
		t.Fatalf("ingest failed: %v", err)
	case took > hostileTime:
		t.Errorf("ingest took %v, more than %v", took, hostileTime)
	case peak > hostileHeap:
		t.Errorf("peak heap grew by %d MiB, more than %d MiB", peak>>20, hostileHeap>>20)
	case left > hostileLeak:
		t.Errorf("the ingest left %d MiB of live heap", left>>20)
	case sum.Concurrent != 0:
		t.Errorf("%d inputs taken by a concurrent ingest, with none running", sum.Concurrent)
	}

	after := snapshot(t, base, ds)
	replaced.Range(func(p, _ any) bool {
		before[p.(string)] = after[p.(string)]
		return true
	})
	checkUntouched(t, before, after, base)
	if after := listDir(t, cwd); !slices.Equal(after, beforeCwd) {
		t.Errorf("the working directory changed: %v -> %v", beforeCwd, after)
	}
	if _, err := os.Lstat("/tmp/kdf-hostile-escape"); err == nil {
		t.Errorf("/tmp/kdf-hostile-escape exists: an absolute member name was written")
	}
	d, err := dataset.Open(ds)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Check(); err != nil {
		t.Errorf("dataset: %v", err)
	}
	runs, rejects := readTable[hostileRun](t, ds, "runs"), readTable[hostileReject](t, ds, "rejects")
	if int64(len(runs)) != sum.Runs || int64(len(rejects)) != sum.Rejects {
		t.Errorf("tables hold %d runs, %d rejects; the summary says %d, %d", len(runs), len(rejects), sum.Runs, sum.Rejects)
	}
	checkRejects(t, c, src, rejects)
	checkRuns(t, c, src, runs)

	// The same ingest again finds everything in the dataset, the
	// rejects too: judged again, they are what the dataset holds.
	again, err := Run(ctx, cfg, nil)
	inputs := sum.Inputs
	if err != nil || again.Runs != 0 || again.Rejects != 0 || again.Concurrent != 0 || again.Skipped != inputs {
		t.Errorf("a re-run: %v: %d runs, %d rejects, %d retried, %d of %d skipped", err, again.Runs, again.Rejects, again.Concurrent, again.Skipped, inputs)
	}
}

// rowKey names a row for the case table: its path in the source
// directory, or "name:path" for another source (an archive found there
// is named for its file, endings dropped: "campaign" for campaign.tar.gz).
func rowKey(src, name, path string) string {
	if name == source.Name(src) {
		return path
	}
	return name + ":" + path
}

// A wanted path may name alternatives, "a|b": two inputs of one content
// race for the run, and the one the workers reach second is the
// duplicate.
func matches(want, key string) bool { return slices.Contains(strings.Split(want, "|"), key) }

func checkRejects(t *testing.T, c *hostileCase, src string, rows []hostileReject) {
	t.Helper()
	left := slices.Clone(rows)
	for _, w := range c.rejects {
		i := slices.IndexFunc(left, func(r hostileReject) bool {
			return matches(w.path, rowKey(src, r.Source, r.Path)) && r.Reason == w.reason && strings.Contains(r.Detail, w.detail)
		})
		if i < 0 {
			t.Errorf("no reject %s %q with a detail saying %q", w.reason, w.path, w.detail)
			continue
		}
		left = slices.Delete(left, i, i+1)
	}
	for _, r := range left {
		t.Errorf("unexpected reject %s %q: %s", r.Reason, rowKey(src, r.Source, r.Path), r.Detail)
	}
}

// checkRuns matches the runs to the case's, and to the good boot's
// buffers where the case says nothing else of them.
func checkRuns(t *testing.T, c *hostileCase, src string, rows []hostileRun) {
	t.Helper()
	want := slices.Clone(c.runs)
	for _, p := range goodBuffers {
		if !slices.ContainsFunc(c.runs, func(w wantRun) bool { return matches(w.path, p) }) {
			want = append(want, wantRun{p, all(layout("A"), whole)})
		}
	}
	seen := make([]bool, len(want))
	for i := range rows {
		r := &rows[i]
		k := rowKey(src, r.Source, r.Path)
		w := slices.IndexFunc(want, func(w wantRun) bool { return matches(w.path, k) })
		switch {
		case w < 0:
			t.Errorf("unexpected run %q: %+v", k, *r)
		case seen[w]:
			t.Errorf("a second run for %q: %q", want[w].path, k)
		case !want[w].check.ok(r):
			t.Errorf("run %q: want %s; got layout %s words %d records %d damaged %d (%d events) torn %v (%d) missing %d unresolved %d/%d kallsyms %q vm %q problems %q",
				k, want[w].check.desc, r.Layout, r.Words, r.Records, r.DamagedWords, r.DamageEvents, r.Torn, r.TornWords, r.MissingWords,
				r.Unresolved, r.Records, deref(r.Kallsyms), deref(r.VM), deref(r.Problems))
		}
		if w >= 0 {
			seen[w] = true
		}
	}
	for i, w := range want {
		if !seen[i] {
			t.Errorf("no run %q", w.path)
		}
	}
}

// fileState is what a snapshot keeps of one file.
type fileState struct {
	size int64
	mode fs.FileMode
	mod  time.Time
}

// snapshot records every file under root but the dataset's directory.
func snapshot(t *testing.T, root, skip string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fileState{fi.Size(), fi.Mode(), fi.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkUntouched reports every file created, changed or removed outside
// the dataset. A directory's own time changes only if an entry was
// added or removed, which the entries themselves report.
func checkUntouched(t *testing.T, before, after map[string]fileState, base string) {
	t.Helper()
	for p, a := range after {
		rel, _ := filepath.Rel(base, p)
		b, ok := before[p]
		switch {
		case !ok:
			t.Errorf("written outside the dataset: %s", rel)
		case a.mode.IsDir():
		case a != b:
			t.Errorf("changed outside the dataset: %s", rel)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			rel, _ := filepath.Rel(base, p)
			t.Errorf("removed outside the dataset: %s", rel)
		}
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// copyTree copies the regular files under from into to.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// heapWatch samples the live heap while an ingest runs. The runtime's
// metrics are read without stopping the world, so sampling often does
// not slow the ingest.
type heapWatch struct {
	base, peak uint64
	done       chan struct{}
	wg         sync.WaitGroup
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func heapNow() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func watchHeap() *heapWatch {
	runtime.GC()
	w := &heapWatch{base: heapNow(), done: make(chan struct{})}
	w.peak = w.base
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-tick.C:
				w.peak = max(w.peak, heapNow())
			}
		}
	}()
	return w
}

// stop returns the peak growth of the live heap and what is left of it
// after a collection.
func (w *heapWatch) stop() (peak, left uint64) {
	close(w.done)
	w.wg.Wait()
	w.peak = max(w.peak, heapNow())
	runtime.GC()
	runtime.GC() // sync.Pool keeps its victims one collection more
	now := heapNow()
	if now > w.base {
		left = now - w.base
	}
	return w.peak - w.base, left
}
