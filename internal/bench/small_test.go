package main

import (
	"context"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/ingest/source"
)

// TestSplit recovers the cost per million records and the cost paid
// once from two runs of different sizes.
func TestSplit(t *testing.T) {
	at := func(records int64) float64 { return 0.5 + 0.3*float64(records)/1e6 }
	per, once := split(6_000_000, 1_500_000, at(6_000_000), at(1_500_000))
	if math.Abs(per-0.3) > 1e-9 || math.Abs(once-0.5) > 1e-9 {
		t.Errorf("split: %g per million, %g once; want 0.3 and 0.5", per, once)
	}
}

// TestQuarterNotACase: the quarter-size huge buffers only split the
// huge case's time; they are not compared with it, nor held to the
// targets.
func TestQuarterNotACase(t *testing.T) {
	b := &bench{}
	for _, s := range smallShapes(4_000_000, 0, 0, false) {
		b.results = append(b.results, &result{Name: ingestName, Case: s.name, Records: 1, Seconds: []float64{1}})
	}
	cases, huge := b.smallCases()
	if huge == nil || len(cases) != 3 {
		t.Fatalf("%d cases, huge %v", len(cases), huge)
	}
	for _, r := range cases {
		if r.Case == hugeQuarter {
			t.Errorf("%q is a case", hugeQuarter)
		}
	}
}

// TestReadFloor reads every buffer of a campaign, and says so when one
// cannot be read rather than timing fewer.
func TestReadFloor(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.kcdf", "b.kcdf", "manifest.jsonl"} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, 3<<20), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if s, err := readFloor(dir); err != nil || s <= 0 {
		t.Errorf("readFloor: %g s, %v", s, err)
	}
	// A buffer that is a link to nothing: listed, but not opened.
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "c.kcdf")); err != nil {
		t.Fatal(err)
	}
	if _, err := readFloor(dir); err == nil {
		t.Error("readFloor timed a campaign with an unreadable buffer")
	}
}

// TestArchiveCases: the archive cases are measured beside their
// directory, not as cases of their own: not compared with the huge
// buffers, nor held to the targets.
func TestArchiveCases(t *testing.T) {
	b := &bench{}
	shapes := smallShapes(4_000_000, 0, 0, true)
	packed := 0
	for _, s := range shapes {
		b.results = append(b.results, &result{Name: ingestName, Case: s.name, Archive: s.pack, Records: 1, Seconds: []float64{1}})
		if s.pack != "" {
			packed++
			if s.key != "370-4000000" {
				t.Errorf("%s packs campaign-%s", s.name, s.key)
			}
		}
	}
	if packed != len(archiveKinds) {
		t.Errorf("%d archive cases", packed)
	}
	if cases, _ := b.smallCases(); len(cases) != 3 {
		t.Errorf("%d cases with the archives", len(cases))
	}
	var out strings.Builder
	b.printArchives(&out)
	for _, want := range []string{"directory", "one .tar.zst", "one .tar.gz", "1.00"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printArchives: no %q in\n%s", want, out.String())
		}
	}
}

// TestPackCampaign packs a campaign as each kind of archive: the walk
// kdf ingests with finds the same files with the same bytes in each as
// in the directory.
func TestPackCampaign(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "campaign")
	files := map[string]string{
		"boot=1/kallsyms":           "ffffffff81000000 T _stext\n",
		"boot=1/prog-1.kcdf":        strings.Repeat("\x01\x00", 300),
		"boot=2/manifest.jsonl":     `{"file":"prog-2.kcdf"}` + "\n",
		"boot=2/prog-2.kcdf":        "",
		"arm=x/boot=3/prog-10.kcdf": strings.Repeat("abcdefgh", 1000),
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(dir+".gen", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kind := range archiveKinds {
		arch, err := packCampaign(dir, kind)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		err = source.Walk(context.Background(), []string{arch}, source.Options{}, func(e *source.Entry) error {
			if e.Err != nil {
				return e.Err
			}
			r, err := e.Open()
			if err != nil {
				return err
			}
			defer r.Close()
			data, err := io.ReadAll(r)
			got[e.Path] = string(data)
			return err
		})
		if err != nil {
			t.Fatalf("walking %s: %v", arch, err)
		}
		if !maps.Equal(got, files) {
			t.Errorf("%s holds %d files, the directory %d", kind, len(got), len(files))
		}
		before, _ := os.Stat(arch)
		if again, err := packCampaign(dir, kind); err != nil || again != arch {
			t.Fatalf("packing again: %s, %v", again, err)
		}
		if after, _ := os.Stat(arch); !after.ModTime().Equal(before.ModTime()) {
			t.Errorf("%s packed again, its campaign unchanged", kind)
		}
	}
}
