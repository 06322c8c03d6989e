package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/synth"
)

// genBuffers runs kdf gen into a new directory and decodes every buffer
// its manifests list, with the capacity the manifest gives.
func genBuffers(t *testing.T, args ...string) (string, []*ingest.Stats) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "campaign")
	kdf(t, append([]string{"gen", "-o", dir}, args...)...)
	manifests, err := filepath.Glob(filepath.Join(dir, "*", "*", "*", "manifest.jsonl"))
	if err != nil || len(manifests) == 0 {
		t.Fatalf("no manifests in %s: %v", dir, err)
	}
	var out []*ingest.Stats
	for _, mf := range manifests {
		data, err := os.ReadFile(mf)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			var m synth.ManifestEntry
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			buf, err := os.ReadFile(filepath.Join(filepath.Dir(mf), m.File))
			if err != nil {
				t.Fatal(err)
			}
			d := ingest.NewDecoderBytes(buf, m.File, ingest.Options{Capacity: int64(m.CapacityWords)})
			for d.Next() {
			}
			out = append(out, d.Stats())
		}
	}
	return dir, out
}

func medianRecords(bufs []*ingest.Stats) int64 {
	var n []int64
	for _, s := range bufs {
		if !s.Saturated {
			n = append(n, s.Records)
		}
	}
	slices.Sort(n)
	return n[len(n)/2]
}

func TestGenRecordsPerBuffer(t *testing.T) {
	_, bufs := genBuffers(t, "--buffers", "40", "--records-per-buffer", "500")
	if len(bufs) != 40 {
		t.Fatalf("%d buffers, want 40", len(bufs))
	}
	for _, s := range bufs {
		if s.Saturated {
			t.Errorf("%s saturated: %d records in %d words", s.Path, s.Records, s.Capacity)
		}
	}
	if m := medianRecords(bufs); m < 450 || m > 560 {
		t.Errorf("median %d records a buffer, want about 500", m)
	}
}

// A campaign sized by --buffers has the boots --boots asks for, each
// with its kallsyms, the buffers spread over them.
func TestGenSizedBoots(t *testing.T) {
	dir, bufs := genBuffers(t, "--buffers", "40", "--records-per-buffer", "200", "--boots", "5")
	kallsyms, err := filepath.Glob(filepath.Join(dir, "*", "*", "*", "kallsyms"))
	if err != nil || len(kallsyms) != 5 || len(bufs) != 40 {
		t.Fatalf("%d boots with a kallsyms, %d buffers; want 5 and 40 (%v)", len(kallsyms), len(bufs), err)
	}
	if _, bufs := genBuffers(t, "--buffers", "40", "--records-per-buffer", "200"); len(bufs) != 40 {
		t.Errorf("%d buffers without --boots", len(bufs))
	}
}

// A bench campaign's boots can have a real kernel's kallsyms, the same
// bytes in every boot without KASLR: what a syzkaller campaign gives.
func TestGenKallsymsSymbols(t *testing.T) {
	dir, _ := genBuffers(t, "--buffers", "20", "--records-per-buffer", "200", "--boots", "3",
		"--kallsyms-symbols", "20000", "--nokaslr")
	kallsyms, err := filepath.Glob(filepath.Join(dir, "*", "*", "*", "kallsyms"))
	if err != nil || len(kallsyms) != 3 {
		t.Fatalf("%d kallsyms (%v)", len(kallsyms), err)
	}
	var first []byte
	for _, p := range kallsyms {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(data, []byte("\n")); n < 19_800 || n > 20_200 {
			t.Errorf("%s: %d lines, want about 20,000", p, n)
		}
		if first == nil {
			first = data
		} else if !bytes.Equal(data, first) {
			t.Errorf("%s differs from the first boot's", p)
		}
	}
}

func TestGenSizeDist(t *testing.T) {
	_, bufs := genBuffers(t, "--buffers", "200", "--size-dist", "lognormal:median=1000,sigma=0.5,saturated=0.1", "--capacity", "16384")
	saturated, total := 0, int64(0)
	for _, s := range bufs {
		total += s.Records
		if !s.Saturated {
			continue
		}
		saturated++
		if int64(s.Words) < s.Capacity-1-s.MaxRecordWords {
			t.Errorf("%s: saturated with %d of %d words", s.Path, s.Words, s.Capacity)
		}
	}
	if m := medianRecords(bufs); m < 850 || m > 1150 {
		t.Errorf("median %d records a buffer, want about 1000", m)
	}
	if saturated < 8 || saturated > 40 {
		t.Errorf("%d of 200 buffers saturated, want about 20", saturated)
	}
	// --records sizes the same campaign by its records instead.
	_, bufs = genBuffers(t, "--records", "300000", "--size-dist", "realistic")
	total = 0
	for _, s := range bufs {
		total += s.Records
	}
	if total < 255_000 || total > 345_000 {
		t.Errorf("--records 300000: %d records in %d buffers", total, len(bufs))
	}
}

// TestGenSeed: the same flags and seed write the same bytes, another
// seed others.
func TestGenSeed(t *testing.T) {
	args := []string{"--buffers", "20", "--size-dist", "realistic", "--seed"}
	a, _ := genBuffers(t, append(args, "7")...)
	b, _ := genBuffers(t, append(args, "7")...)
	c, _ := genBuffers(t, append(args, "8")...)
	same := func(x, y string) bool {
		p := "arm=bench/trial=1/boot=2/prog-000010.kcdf"
		bx, errx := os.ReadFile(filepath.Join(x, p))
		by, erry := os.ReadFile(filepath.Join(y, p))
		if errx != nil || erry != nil {
			t.Fatal(errx, erry)
		}
		return bytes.Equal(bx, by)
	}
	if !same(a, b) || same(a, c) {
		t.Errorf("same seed, same bytes: %v; another seed, same bytes: %v", same(a, b), same(a, c))
	}
}

func TestGenUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--records-per-buffer", "500", "--size-dist", "realistic"},
		{"--size-dist", "uniform"},
		{"--size-dist", "lognormal:median=800,sigma=-1"},
		{"--records-per-buffer", "-3"},
		{"--records", "1000", "--buffers", "10"},
		{"--buffers", "10", "--capacity", "1"},
		{"--buffers", "10", "--kallsyms-symbols", "200001"},
	} {
		dir := filepath.Join(t.TempDir(), "campaign")
		err := run(context.Background(), append([]string{"gen", "-o", dir}, args...), &bytes.Buffer{}, &bytes.Buffer{})
		if !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%v: wrote %s anyway", args, dir)
		}
	}
	help, _ := kdf(t, "help", "gen")
	for _, flag := range []string{"-records-per-buffer N", "-size-dist DIST", "realistic", "lognormal:median=M,sigma=S", "-buffers N", "-capacity WORDS"} {
		if !strings.Contains(help, flag) {
			t.Errorf("kdf help gen does not mention %q:\n%s", flag, help)
		}
	}
}
