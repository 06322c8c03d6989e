package pipeline

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/transform/symbolize"
)

// archivedArm generates a small campaign of 60 buffers in arm=a and
// returns that directory and its .tar.zst, whose members are
// arm=a/trial=.../*.kcdf.
func archivedArm(t *testing.T) (arm, arch string) {
	cfg := synth.SmallConfig()
	cfg.Programs = 30
	src := genCampaign(t, cfg)
	arm, arch = filepath.Join(src, "arm=a"), filepath.Join(t.TempDir(), "arm-a.tar.zst")
	tarZst(t, src, arm, arch)
	return arm, arch
}

// TestQueue ingests a directory and an archive of the same buffers with
// slow workers. Jobs queue deep, so that the walker runs ahead of the
// workers it shares the cores with; but an archive's members, read
// during the walk and queued with their bytes (or a spooled copy), hold
// at most SpoolBytes per worker, a spooled one counting as SpoolBytes.
func TestQueue(t *testing.T) {
	arm, arch := archivedArm(t)
	const workers = 2
	for _, c := range []struct {
		source   string
		spool    int64 // SpoolBytes; 0 the default
		min, max int   // of the jobs queued behind one taken
	}{
		{arm, 0, 2 * workers, queuedPerWorker * workers},
		{arch, 0, 2 * workers, queuedPerWorker * workers},
		{arch, 1, 0, workers - 1}, // every member spooled, each taking SpoolBytes
	} {
		var mu sync.Mutex
		most, taken := 0, 0
		testHookTake = func(queued int) {
			mu.Lock()
			most, taken = max(most, queued), taken+1
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
		sum, err := Run(context.Background(), Config{Dataset: filepath.Join(t.TempDir(), "ds"), Sources: []string{c.source}, Workers: workers, SpoolBytes: c.spool}, nil)
		testHookTake = nil
		if err != nil {
			t.Fatalf("%s: %v", c.source, err)
		}
		if sum.Runs != 60 || taken != 60 {
			t.Errorf("%s, SpoolBytes %d: %d runs from %d jobs taken, want 60", c.source, c.spool, sum.Runs, taken)
		}
		if most < c.min || most > c.max {
			t.Errorf("%s, SpoolBytes %d: up to %d jobs queued behind one taken, want %d to %d", c.source, c.spool, most, c.min, c.max)
		}
	}
}

// TestArchiveGroupsHeld ingests an archive on one worker: a group keeps
// the members it ingested in memory until it commits, so it commits
// once they reach two SpoolBytes, however few runs it has.
func TestArchiveGroupsHeld(t *testing.T) {
	arm, arch := archivedArm(t)
	var largest, total int64
	bufs, _ := filepath.Glob(filepath.Join(arm, "*", "*", "*.kcdf"))
	for _, b := range bufs {
		fi, err := os.Stat(b)
		if err != nil {
			t.Fatal(err)
		}
		largest, total = max(largest, fi.Size()), total+fi.Size()
	}
	if len(bufs) != 60 {
		t.Fatalf("%d buffers in %s, want 60", len(bufs), arm)
	}
	// A group past the bound holds less than 2 SpoolBytes and a member,
	// no member larger than SpoolBytes (those are spooled to disk).
	spool := largest
	if total < 6*spool {
		t.Fatalf("members of %d bytes in all, the largest %d: too few for groups to fill", total, spool)
	}
	for _, c := range []struct {
		spool    int64
		min, max int64 // commits
	}{
		{0, 1, 1},
		{spool, total / (3 * spool), total/(2*spool) + 1},
	} {
		sum, err := Run(context.Background(), Config{Dataset: filepath.Join(t.TempDir(), "ds"), Sources: []string{arch}, Workers: 1, SpoolBytes: c.spool}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Runs != 60 || sum.Commits < c.min || sum.Commits > c.max {
			t.Errorf("SpoolBytes %d (members %d bytes in all): %d runs in %d commits, want 60 in %d to %d", c.spool, total, sum.Runs, sum.Commits, c.min, c.max)
		}
	}
}

// TestArchiveMemoryReused ingests a campaign as a directory and as a
// .tar.zst, in small groups on two workers, so that the memory of
// archive members is handed from member to member many times, some
// members spooled to disk: every run's hash is its file's, and its
// records are the directory's, value for value.
func TestArchiveMemoryReused(t *testing.T) {
	arm, arch := archivedArm(t)
	files := map[string]string{} // path in the source -> sha256
	var sizes []int64
	bufs, _ := filepath.Glob(filepath.Join(arm, "*", "*", "*.kcdf"))
	for _, b := range bufs {
		data, err := os.ReadFile(b)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(arm, b)
		files[filepath.ToSlash(rel)] = fmt.Sprintf("%x", sha256.Sum256(data))
		sizes = append(sizes, int64(len(data)))
	}
	slices.Sort(sizes)
	byPath := func(source string) map[string][]recordRowRead {
		ds := filepath.Join(t.TempDir(), "ds")
		c := Config{Dataset: ds, Sources: []string{source}, Workers: 2, GroupRuns: 3, SpoolBytes: sizes[len(sizes)/2]}
		if _, err := Run(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
		paths := map[int64]string{}
		for _, r := range readTable[runRowRead](t, ds, "runs") {
			r.Path = strings.TrimPrefix(r.Path, "arm=a/") // the archive holds the directory
			paths[r.RunID] = r.Path
			if want := files[r.Path]; r.SHA256 != want {
				t.Errorf("%s: run %s has sha256 %s, its file %s", source, r.Path, r.SHA256, want)
			}
		}
		if len(paths) != len(files) {
			t.Fatalf("%s: %d runs, %d files", source, len(paths), len(files))
		}
		recs := map[string][]recordRowRead{}
		for _, r := range readTable[recordRowRead](t, ds, "records") {
			p := paths[r.RunID]
			r.RunID = 0
			recs[p] = append(recs[p], r)
		}
		for _, rs := range recs {
			slices.SortFunc(rs, func(a, b recordRowRead) int { return cmp.Compare(a.Idx, b.Idx) })
		}
		return recs
	}
	dir, tar := byPath(arm), byPath(arch)
	for p, want := range dir {
		if got := tar[p]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d records from the archive differ from the directory's %d", p, len(got), len(want))
		}
	}
}

// TestOnHeap: the hook that lets the heap limit grow is told, as it
// grows, of what the symbol tables parsed need, and of archive members
// once, however many archives, never for directories alone. Boots that
// share one kallsyms need one table's room.
func TestOnHeap(t *testing.T) {
	gen := synth.SmallConfig()
	gen.Programs, gen.Kernel.Symbols = 30, 20_000
	shared := gen
	shared.Kernel.NoKASLR = true
	sharedArm := filepath.Join(genCampaign(t, shared), "arm=a")
	src := genCampaign(t, gen)
	arm, arch := filepath.Join(src, "arm=a"), filepath.Join(t.TempDir(), "arm-a.tar.zst")
	tarZst(t, src, arm, arch)
	second := filepath.Join(t.TempDir(), "arm-b.tar.zst")
	must(t, os.Link(arch, second))
	kallsyms, err := filepath.Glob(filepath.Join(arm, "*", "*", "kallsyms"))
	if err != nil || len(kallsyms) == 0 {
		t.Fatalf("no kallsyms under %s: %v", arm, err)
	}
	var largest *symbolize.Table
	for _, p := range kallsyms {
		data, err := os.ReadFile(p)
		must(t, err)
		tab, err := symbolize.ParseKallsymsBytes(data, p)
		must(t, err)
		if largest == nil || tab.Bytes() > largest.Bytes() {
			largest = tab
		}
	}
	for _, c := range []struct {
		sources  []string
		archives bool
		parsed   int
	}{
		{[]string{arm}, false, len(kallsyms)}, // a boot's is its own (KASLR), each parsed once
		{[]string{arm, arch, second}, true, len(kallsyms)},
		{[]string{sharedArm}, false, 1},
	} {
		var got []int64
		cfg := Config{Dataset: filepath.Join(t.TempDir(), "ds"), Sources: c.sources, Workers: 2, SpoolBytes: 1 << 20,
			OnHeap: func(b int64) { got = append(got, b) }}
		if _, err := Run(context.Background(), cfg, nil); err != nil {
			t.Fatal(err)
		}
		want := cfg.SymbolMemory(largest, c.parsed)
		if c.archives {
			want += cfg.ArchiveMemory()
		}
		if len(got) == 0 || got[len(got)-1] != want || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("%d sources: OnHeap told %v, want growing to %d", len(c.sources), got, want)
		}
		if most := cfg.SymbolMemory(largest, 1000); most>>20 < 4 || most>>20 > 64 || most != 12*tableMemory(largest) {
			t.Errorf("20,000-symbol tables take %d MiB of heap at most, %d tables' worth", most>>20, most/tableMemory(largest))
		}
	}
}
