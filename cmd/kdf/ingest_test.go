package main

import (
	"archive/tar"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/kdf-tools/kdf/internal/pipeline"
	"github.com/kdf-tools/kdf/internal/seedsession"
	"github.com/kdf-tools/kdf/internal/synth"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"512": 512, "64KiB": 64 << 10, "8M": 8 << 20, "256GiB": 256 << 30, "1tb": 1 << 40, "3 MiB": 3 << 20} {
		var v int64
		if err := (byteSize{&v}).Set(in); err != nil || v != want {
			t.Errorf("%q: %d, %v; want %d", in, v, err, want)
		}
	}
	for _, in := range []string{"", "0", "-5", "GiB", "5XB", "1.5GiB", "9999999TiB"} {
		var v int64
		if err := (byteSize{&v}).Set(in); err == nil {
			t.Errorf("%q was accepted as %d", in, v)
		}
	}
}

// TestIngestArchiveCap: --max-archive-bytes stops decompressing an
// archive at the cap, and what lies past it is reported.
func TestIngestArchiveCap(t *testing.T) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, name := range seedsession.Names {
		s, err := seedsession.Build(name)
		if err != nil {
			t.Fatal(err)
		}
		tw.WriteHeader(&tar.Header{Name: name + ".kcdf", Mode: 0o644, Size: int64(len(s.Buffer))})
		tw.Write(s.Buffer)
	}
	// An empty buffer of 64 KiB of zeros: a run without the cap, and
	// past the cap with it.
	tw.WriteHeader(&tar.Header{Name: "zeros.kcdf", Mode: 0o644, Size: 64 << 10})
	tw.Write(make([]byte, 64<<10))
	tw.Close()
	zw, _ := zstd.NewWriter(nil)
	src := filepath.Join(t.TempDir(), "seed.tar.zst")
	if err := os.WriteFile(src, zw.EncodeAll(raw.Bytes(), nil), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cap    string
		reason string
		runs   int
	}{{"", "", 4}, {"16KiB", "decompression_limit", 3}} {
		ds := filepath.Join(t.TempDir(), "ds")
		args := []string{"ingest", src, "-o", ds, "--json"}
		if c.cap != "" {
			args = append(args, "--max-archive-bytes", c.cap)
		}
		out, _, err := runKDF(args...)
		if (c.reason != "") != errors.Is(err, errRejected) {
			t.Errorf("cap %q: %v", c.cap, err)
		}
		var sum struct {
			Runs     int64            `json:"runs"`
			ByReason map[string]int64 `json:"rejects_by_reason"`
		}
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if sum.Runs != int64(c.runs) {
			t.Errorf("cap %q: %d runs, want %d: %s", c.cap, sum.Runs, c.runs, out)
		}
		if c.reason == "" && len(sum.ByReason) != 0 || c.reason != "" && sum.ByReason[c.reason] == 0 {
			t.Errorf("cap %q: rejects %v, want %q: %s", c.cap, sum.ByReason, c.reason, out)
		}
		if c.reason != "" { // the remedy names the option
			detail, _ := kdf(t, "query", ds, "--format", "csv", "SELECT detail FROM rejects")
			if !strings.Contains(detail, "raise the cap if the archive is genuine (kdf ingest --max-archive-bytes") {
				t.Errorf("cap %q: the reject says %q", c.cap, detail)
			}
		}
	}
}

// TestIngestMemoryLimit: the soft memory limit follows --mem-limit,
// else GOMEMLIMIT, else the budget per worker.
func TestIngestMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	for _, c := range []struct {
		env  string
		flag int64
		want int64
	}{
		{"", 0, 128<<20 + 3*128<<20},
		{"", 1 << 30, 1 << 30},
		{"700MiB", 0, 12345}, // the runtime read GOMEMLIMIT at start; left alone
		{"700MiB", 1 << 30, 1 << 30},
	} {
		t.Setenv("GOMEMLIMIT", c.env)
		debug.SetMemoryLimit(12345)
		o := &ingestOptions{memLimit: c.flag}
		o.cfg.Workers = 3
		o.limitMemory()
		if got := debug.SetMemoryLimit(-1); got != c.want {
			t.Errorf("GOMEMLIMIT=%q --mem-limit %d: limit %d, want %d", c.env, c.flag, got, c.want)
		}
		// Archive members and symbol tables raise only a limit kdf chose.
		if o.cfg.OnHeap != nil {
			if c.env != "" || c.flag != 0 {
				t.Errorf("GOMEMLIMIT=%q --mem-limit %d: a limit chosen by the user would grow", c.env, c.flag)
			}
			o.cfg.OnHeap(96 << 20)
			if got, want := debug.SetMemoryLimit(-1), c.want+96<<20; got != want {
				t.Errorf("with 96 MiB more needed: limit %d, want %d", got, want)
			}
		} else if c.env == "" && c.flag == 0 {
			t.Error("the default limit does not grow with what the ingest needs")
		}
	}
}

// TestIngestArchiveMemoryLimit: ingesting an archive raises the
// default limit by what its members may hold; a directory leaves it.
func TestIngestArchiveMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	t.Setenv("GOMEMLIMIT", "")
	buf, ks, _ := seedFiles(t, "eight_args_c")
	dir := filepath.Dir(buf)
	arch := filepath.Join(t.TempDir(), "boot=1.tar")
	f, err := os.Create(arch)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteTar(f, dir, dir); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	base := int64(128<<20 + 2*128<<20)
	for _, c := range []struct {
		src  string
		want int64
	}{
		{dir, base},
		{arch, base + 2*4*32<<20},
	} {
		kdf(t, "ingest", "-q", "-j", "2", "--kallsyms", ks, c.src, "-o", filepath.Join(t.TempDir(), "ds"))
		if got := debug.SetMemoryLimit(-1); got != c.want {
			t.Errorf("ingest of %s: limit %d MiB, want %d", c.src, got>>20, c.want>>20)
		}
	}
}

// TestIngestNonUTF8Symbols: symbol names that are not UTF-8 reach the
// dataset escaped, so DuckDB can read the func column (one raw byte in
// it fails every query that reads it).
func TestIngestNonUTF8Symbols(t *testing.T) {
	buf, ks, _ := seedFiles(t, "eight_args_c")
	b, err := os.ReadFile(ks)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte(" df_func2\t[eight_args_c]"), []byte(" df_\xff\xfefunc2\t[eight_\x80args]"))
	if err := os.WriteFile(ks, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ds := filepath.Join(t.TempDir(), "ds")
	kdf(t, "ingest", filepath.Dir(buf), "-o", ds, "-q")
	out, _ := kdf(t, "query", ds, "--format", "csv",
		"SELECT DISTINCT func, demangled, module FROM records WHERE func LIKE 'df_%func2' ORDER BY ALL")
	if want := "func,demangled,module\ndf_\\xff\\xfefunc2,df_\\xff\\xfefunc2,eight_\\x80args\n"; out != want {
		t.Errorf("records of df_func2:\n%s\nwant\n%s", out, want)
	}
}

// TestIngestManifestBounds: the manifest bounds are flags, and a line
// beyond them is a reject whose detail names the flag.
func TestIngestManifestBounds(t *testing.T) {
	buf, _, _ := seedFiles(t, "eight_args_c")
	man := `{"file":"eight_args_c.kcdf","vm":"` + strings.Repeat("v", 2000) + `"}` + "\n"
	if err := os.WriteFile(filepath.Join(filepath.Dir(buf), "manifest.jsonl"), []byte(man), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flags  []string
		reason string
	}{
		{nil, ""},
		{[]string{"--max-manifest-line", "1KiB"}, "manifest_too_large"},
		{[]string{"--max-attribute-value", "1KiB"}, "attribute_too_large"},
		{[]string{"--max-attributes", "1"}, "manifest_too_large"},
	} {
		args := append([]string{"ingest", filepath.Dir(buf), "-o", filepath.Join(t.TempDir(), "ds"), "--json"}, c.flags...)
		out, _, err := runKDF(args...)
		if (c.reason != "") != errors.Is(err, errRejected) {
			t.Errorf("%v: %v", c.flags, err)
		}
		var sum struct {
			ByReason map[string]int64 `json:"rejects_by_reason"`
		}
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			t.Fatalf("%v: %s: %v", c.flags, out, err)
		}
		if c.reason == "" && len(sum.ByReason) != 0 || c.reason != "" && sum.ByReason[c.reason] != 1 {
			t.Errorf("%v: rejects %v, want %q", c.flags, sum.ByReason, c.reason)
		}
	}
}

// TestIngestOutcome: the exit status says whether the ingest did what
// was asked, and stderr says why in one line.
func TestIngestOutcome(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := seedsession.Write(good, "eight_args_c"); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "bare") // buffers without kallsyms
	if err := seedsession.Write(bare, "eight_args_rust"); err != nil {
		t.Fatal(err)
	}
	must(t, os.Remove(filepath.Join(bare, "eight_args_rust", "kallsyms")))
	mixed := filepath.Join(dir, "mixed") // a buffer and a text file
	must(t, seedsession.Write(mixed, "rust_ffi_contract"))
	must(t, os.WriteFile(filepath.Join(mixed, "notes.txt"), []byte("notes\n"), 0o644))
	text := filepath.Join(dir, "text")
	must(t, os.MkdirAll(text, 0o755))
	must(t, os.WriteFile(filepath.Join(text, "README.md"), []byte("# not a buffer\n"), 0o644))
	otherBoot := filepath.Join(dir, "otherboot") // a kallsyms of another boot: KASLR moved every symbol
	must(t, seedsession.Write(otherBoot, "eight_args_c"))
	moveSymbols(t, filepath.Join(otherBoot, "eight_args_c", "kallsyms"), 0x20000000)
	broken := filepath.Join(dir, "broken")
	must(t, os.MkdirAll(broken, 0o755))
	must(t, os.WriteFile(filepath.Join(broken, "short.kcdf"), []byte{1, 2, 3}, 0o644))
	ds := filepath.Join(dir, "ds")
	for _, c := range []struct {
		source string
		code   int
		stderr string // in the one line of stderr, "" for none
	}{
		{filepath.Join(dir, "nope"), exitError, "source " + filepath.Join(dir, "nope") + " does not exist: nothing ingested"},
		{text, exitError, "nothing ingested: no kcov_dataflow buffer in " + text},
		{broken, exitError, "nothing ingested: every one of the 1 buffers was rejected; 1 rejected: 1 empty"},
		{good, exitOK, ""},
		{good, exitOK, ""}, // again: nothing new, nothing wrong
		{mixed, exitRejected, "rejected: 1 of 2 inputs: 1 not_a_buffer"},
		{bare, exitOK, "warning: no kallsyms or System.map beside any of the 1 buffers, so no run is symbolized: give --kallsyms FILE"},
		{otherBoot, exitOK, "warning: 1 runs resolved fewer than half of their pcs, though a kallsyms or System.map applied"},
	} {
		_, errOut, err := runKDF("ingest", c.source, "-o", ds)
		var all bytes.Buffer
		all.WriteString(errOut)
		code := exitCode(err, &all)
		if code != c.code || strings.Count(all.String(), "\n") != min(1, len(c.stderr)) || !strings.Contains(all.String(), c.stderr) {
			t.Errorf("ingest %s: exit %d, stderr %q; want %d, %q", filepath.Base(c.source), code, all.String(), c.code, c.stderr)
		}
	}
}

// TestIngestFailureSaysWhatStays: an ingest that fails says whether
// anything it did stays in the dataset.
func TestIngestFailureSaysWhatStays(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	must(t, seedsession.Write(src, "eight_args_c"))
	ds := filepath.Join(dir, "ds")
	if _, _, err := runKDF("ingest", "-q", filepath.Join(src, "eight_args_c"), "-o", ds); err != nil {
		t.Fatal(err)
	}
	must(t, os.Remove(filepath.Join(ds, "_tmp")))
	must(t, os.WriteFile(filepath.Join(ds, "_tmp"), nil, 0o644)) // where part files go: as unwritable as a full disk
	must(t, seedsession.Write(src, "rust_ffi_contract"))
	_, _, err := runKDF("ingest", "-q", src, "-o", ds)
	var stderr bytes.Buffer
	if code := exitCode(err, &stderr); code != exitError || !strings.HasSuffix(strings.TrimSpace(stderr.String()), "(nothing was committed)") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}

	// With commits before the failure, the message counts their runs.
	msg := failedIngest(errors.New("disk full"), &pipeline.Summary{Commits: 2, Runs: 8}).Error()
	if want := "disk full (the 8 runs committed before it stay in the dataset; once the cause is fixed, the same command skips them and ingests the rest)"; msg != want {
		t.Errorf("got %q, want %q", msg, want)
	}
}

// moveSymbols adds delta to every address of a kallsyms file.
func moveSymbols(t *testing.T, path string, delta uint64) {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	var out strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		addr, rest, ok := strings.Cut(line, " ")
		a, err := strconv.ParseUint(addr, 16, 64)
		if ok && err == nil && a != 0 {
			line = fmt.Sprintf("%016x %s", a+delta, rest)
		}
		out.WriteString(line)
	}
	must(t, os.WriteFile(path, []byte(out.String()), 0o644))
}

// TestIngestInterrupted: an ingest stopped by a signal says so, and
// what to do, instead of Go's "context canceled"; and it fails.
func TestIngestInterrupted(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	must(t, seedsession.Write(src, "eight_args_c"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the signal came before the first input
	var out, errb bytes.Buffer
	err := run(ctx, []string{"ingest", src, "-o", filepath.Join(dir, "ds")}, &out, &errb)
	var all bytes.Buffer
	if code := exitCode(err, &all); code != exitError || !strings.Contains(all.String(), "kdf: interrupted: what was committed stays in the dataset") {
		t.Errorf("exit %d, stderr %q", code, all.String())
	}
}

// TestRemedyFlags: a message of the walker, decoder or symbolizer that
// tells a user to raise a cap names the option that does it, and every
// kdf option a message names exists.
func TestRemedyFlags(t *testing.T) {
	named := regexp.MustCompile(`kdf (?:([a-z]+) )?--([a-z-]+)`) // no command: kdf ingest's
	raise := regexp.MustCompile(`raise (the|a) (cap|bound)`)
	var files []string
	for _, dir := range []string{"ingest", "ingest/source", "transform/symbolize"} {
		fs, _ := filepath.Glob(filepath.Join("..", "..", dir, "*.go"))
		files = append(files, fs...)
	}
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, `"`) && raise.MatchString(line) && !named.MatchString(line) {
				t.Errorf("%s: a remedy without its option: %s", f, strings.TrimSpace(line))
			}
			for _, m := range named.FindAllStringSubmatch(line, -1) {
				found++
				if c := lookup(cmp.Or(m[1], "ingest")); c == nil || c.flags().Lookup(m[2]) == nil {
					t.Errorf("%s: names %s, which kdf does not have", f, m[0])
				}
			}
		}
	}
	if found < 5 {
		t.Errorf("found %d options named in messages: the test reads the wrong files", found)
	}
}

// TestIngestHugePages: asking for huge pages changes where the heap
// lies, not what is ingested.
func TestIngestHugePages(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	must(t, seedsession.Write(src, "eight_args_c"))
	sums := map[string]string{}
	for _, flag := range []string{"--huge-pages=false", "--huge-pages"} {
		ds := filepath.Join(dir, flag)
		if _, errOut, err := runKDF("ingest", "-q", flag, src, "-o", ds); err != nil {
			t.Fatalf("ingest %s: %v: %s", flag, err, errOut)
		}
		out, errOut, err := runKDF("query", ds, "SELECT count(*) > 50 AS many, count(*), bit_xor(hash(r)) FROM (SELECT * EXCLUDE (dataset) FROM records) r")
		if err != nil {
			t.Fatalf("query after ingest %s: %v: %s", flag, err, errOut)
		}
		sums[flag] = out
	}
	if a, b := sums["--huge-pages=false"], sums["--huge-pages"]; a != b || !strings.Contains(a, "true") {
		t.Errorf("records without huge pages:\n%s\nwith:\n%s", a, b)
	}
}
