package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// TestProfiles: ingest, query and report write CPU and memory profiles
// that pprof reads, also when the command fails.
func TestProfiles(t *testing.T) {
	ds := seedDataset(t)
	src := filepath.Join(t.TempDir(), "seed")
	buf, _, _ := seedFiles(t, "eight_args_c")
	must(t, os.MkdirAll(src, 0o755))
	must(t, os.Rename(buf, filepath.Join(src, "b.kcdf")))
	for _, c := range []struct {
		args []string
		fail bool
	}{
		{[]string{"ingest", src, "-o", filepath.Join(t.TempDir(), "ds"), "-q"}, false},
		{[]string{"query", ds, "SELECT count(*) FROM records"}, false},
		{[]string{"report", "list"}, false},
		{[]string{"query", ds, "SELECT nope FROM records"}, true},
	} {
		dir := t.TempDir()
		cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
		_, _, err := runKDF(append(c.args, "--cpuprofile", cpu, "--memprofile", mem)...)
		if (err != nil) != c.fail {
			t.Errorf("kdf %s: %v", strings.Join(c.args, " "), err)
		}
		checkProfile(t, cpu, "cpu")
		checkProfile(t, mem, "alloc_space")
	}
	if _, _, err := runKDF("ingest", src, "-o", filepath.Join(t.TempDir(), "ds"), "--cpuprofile", filepath.Join(t.TempDir(), "no", "cpu")); err == nil {
		t.Error("a profile that cannot be written was accepted")
	}
}

func checkProfile(t *testing.T, path, sampleType string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := p.CheckValid(); err != nil {
		t.Errorf("%s: %v", path, err)
	}
	if !slices.ContainsFunc(p.SampleType, func(s *profile.ValueType) bool { return s.Type == sampleType }) {
		t.Errorf("%s: sample types %v, want %s", path, p.SampleType, sampleType)
	}
}
