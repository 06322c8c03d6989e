package main

import (
	"context"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
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
	for _, s := range smallShapes(smallSet{records: 4_000_000}) {
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
	shapes := smallShapes(smallSet{records: 4_000_000, inputs: 1000, archives: true})
	packed := 0
	for _, s := range shapes {
		secs := 1.0
		if s.pack != "" {
			secs = 2
		}
		b.results = append(b.results, &result{Name: ingestName, Case: s.name, Archive: s.pack, Records: 1, Seconds: []float64{secs}})
		if s.pack == "" {
			continue
		}
		packed++
		if want := "370-4000000"; s.pack == perBoot || s.pack == perProgram {
			if want = inputsKey(1000); s.key != want {
				t.Errorf("%s packs campaign-%s %s", s.name, s.key, s.pack)
			}
		} else if s.key != want {
			t.Errorf("%s packs campaign-%s", s.name, s.key)
		}
	}
	if packed != len(archiveKinds)+2 {
		t.Errorf("%d archive cases", packed)
	}
	if cases, _ := b.smallCases(); len(cases) != 4 {
		t.Errorf("%d cases with the archives", len(cases))
	}
	var out strings.Builder
	b.printArchives(&out)
	for _, want := range []string{"directory", "one .tar.zst  ", "one .tar.gz", "one .tar.zst per boot", "one .tar.zst per program", "0.50"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printArchives: no %q in\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "  directory  "); n != 2 {
		t.Errorf("printArchives: %d directories, want the 370-record one and the inputs' one:\n%s", n, out.String())
	}
}

// With -kallsyms, the inputs campaign runs again with real-size
// kallsyms, with KASLR and without, each a case of its own beside the
// baseline: packed cases stay on the plain campaign.
func TestRealKallsymsCases(t *testing.T) {
	shapes := smallShapes(smallSet{inputs: 1000, archives: true, kallsyms: 150_000})
	var real []shape
	for _, s := range shapes {
		if s.pack != "" && s.key != inputsKey(1000) {
			t.Errorf("%s packs campaign-%s", s.name, s.key)
		}
		if slices.Contains(s.genArgs, "--kallsyms-symbols") {
			real = append(real, s)
		}
	}
	if len(real) != 2 {
		t.Fatalf("%d cases with real kallsyms", len(real))
	}
	for i, s := range real {
		nokaslr := slices.Contains(s.genArgs, "--nokaslr")
		lines := s.genArgs[slices.Index(s.genArgs, "--kallsyms-symbols")+1]
		if s.pack != "" || s.untyped || nokaslr != (i == 1) || !strings.Contains(s.name, "150000-line kallsyms") ||
			s.key == inputsKey(1000) || s.key == real[1-i].key || lines != "150000" {
			t.Errorf("case %d: %+v", i, s)
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
	writeCampaign(t, dir, files)
	for _, kind := range archiveKinds {
		arch, err := packCampaign(dir, kind)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		walkFiles(t, arch, func(e *source.Entry, data string) { got[e.Path] = data })
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

// TestUntypedCases: a case run without its type source is set beside
// the baseline's runs of its named case and held to the speed-up
// target, but is not one of the comparison's cases against the huge
// buffers.
func TestUntypedCases(t *testing.T) {
	b := &bench{baseline: "old-kdf"}
	for _, s := range smallShapes(smallSet{records: 4_000_000, untyped: true}) {
		secs := 1.0
		if s.untyped {
			secs = 0.5
		}
		b.results = append(b.results,
			&result{Name: ingestName, Case: s.name, Untyped: s.untyped, Records: 1, Seconds: []float64{secs}, CPUSeconds: []float64{secs}},
			&result{Name: baselineName, Case: s.name, Records: 1, Seconds: []float64{2}, CPUSeconds: []float64{2}})
	}
	if cases, _ := b.smallCases(); len(cases) != 3 {
		t.Errorf("%d cases with the untyped ones", len(cases))
	}
	if u := b.untypedCases(); len(u) != 3 {
		t.Fatalf("%d untyped cases", len(u))
	}
	var out strings.Builder
	b.printBaseline(&out)
	b.smallTargets(&out)
	for _, want := range []string{
		"370-record buffers, no type source", "4.00x",
		"MET    ingest of realistic mix, no type source at 4.00x",
		"MISSED ingest of realistic mix at 2.00x",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
}

// TestWithoutTypes links every file of a campaign but its type source.
func TestWithoutTypes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "campaign")
	files := map[string]string{}
	for _, name := range []string{"System.map", "btf/vmlinux", "btf/mod_a", "arm=x/boot=1/kallsyms", "arm=x/boot=1/prog-1.kcdf", "arm=x/btf"} {
		files[name] = name
	}
	writeCampaign(t, dir, files)
	for range 2 { // made again over the last one
		out, err := withoutTypes(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(out, p)
				got = append(got, filepath.ToSlash(rel))
				a, _ := os.Stat(p)
				b, _ := os.Stat(filepath.Join(dir, rel))
				if !os.SameFile(a, b) {
					t.Errorf("%s is a copy, not a link", rel)
				}
			}
			return err
		})
		want := []string{"System.map", "arm=x/boot=1/kallsyms", "arm=x/boot=1/prog-1.kcdf", "arm=x/btf"}
		if !slices.Equal(got, want) {
			t.Errorf("linked %q, want %q", got, want)
		}
	}
}

// TestPackBoots packs each boot of a campaign as its own archive: the
// walk kdf ingests with finds every buffer with its bytes and its boot,
// and the files outside the boots as they were.
func TestPackBoots(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "campaign")
	files := map[string]string{
		"System.map":                          "ffffffff81000000 T _stext\n",
		"btf/vmlinux":                         "not really BTF",
		"arm=x/trial=1/boot=1/kallsyms":       "ffffffff81000000 T _stext\n",
		"arm=x/trial=1/boot=1/prog-1.kcdf":    strings.Repeat("\x01\x00", 300),
		"arm=x/trial=1/boot=2/manifest.jsonl": `{"file":"prog-2.kcdf"}` + "\n",
		"arm=x/trial=1/boot=2/prog-2.kcdf":    strings.Repeat("abcdefgh", 1000),
	}
	writeCampaign(t, dir, files)
	out, n, err := packBoots(dir)
	if err != nil || n != 2 {
		t.Fatalf("packBoots: %d archives, %v", n, err)
	}
	got, boots := map[string]string{}, map[string]string{}
	walkFiles(t, out, func(e *source.Entry, data string) {
		name := path.Base(e.Path)
		if e.Source != out {
			name = strings.TrimSuffix(path.Base(filepath.ToSlash(e.Source)), ".tar.zst") + "/" + name
			boots[name] = e.Attrs["boot"]
		}
		got[name] = data
	})
	want := map[string]string{"System.map": files["System.map"], "vmlinux": files["btf/vmlinux"]}
	for name, data := range files {
		if b, ok := strings.CutPrefix(name, "arm=x/trial=1/"); ok {
			want[b] = data
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("the packed campaign holds %q, want %q", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	if boots["boot=1/prog-1.kcdf"] != "1" || boots["boot=2/prog-2.kcdf"] != "2" {
		t.Errorf("boots by archive name: %v", boots)
	}
	before, _ := os.Stat(filepath.Join(out, "arm=x", "trial=1", "boot=1.tar.zst"))
	if again, k, err := packBoots(dir); err != nil || again != out || k != 2 {
		t.Fatalf("packing again: %s, %d, %v", again, k, err)
	}
	if after, _ := os.Stat(filepath.Join(out, "arm=x", "trial=1", "boot=1.tar.zst")); !after.ModTime().Equal(before.ModTime()) {
		t.Error("packed again, the campaign unchanged")
	}
}

// writeCampaign writes files, by their slash-separated paths, into dir,
// with the stamp kdf gen leaves beside a campaign.
func writeCampaign(t *testing.T, dir string, files map[string]string) {
	t.Helper()
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
}

// walkFiles walks src as kdf ingest does and gives each file with its
// content to got.
func walkFiles(t *testing.T, src string, got func(e *source.Entry, data string)) {
	t.Helper()
	err := source.Walk(context.Background(), []string{src}, source.Options{}, func(e *source.Entry) error {
		if e.Err != nil {
			return e.Err
		}
		r, err := e.Open()
		if err != nil {
			return err
		}
		defer r.Close()
		data, err := io.ReadAll(r)
		got(e, string(data))
		return err
	})
	if err != nil {
		t.Fatalf("walking %s: %v", src, err)
	}
}

// TestPackPrograms packs each program of a campaign as its own archive
// with its manifest line: the walk finds every buffer with its bytes,
// its boot and its program, and the boot's kallsyms beside them.
func TestPackPrograms(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "campaign")
	files := map[string]string{
		"System.map":                       "ffffffff81000000 T _stext\n",
		"arm=x/trial=1/boot=1/kallsyms":    "ffffffff81000000 T _stext\n",
		"arm=x/trial=1/boot=1/prog-1.kcdf": strings.Repeat("\x01\x00", 300),
		"arm=x/trial=1/boot=1/prog-2.kcdf": strings.Repeat("abcdefgh", 1000),
		"arm=x/trial=1/boot=1/manifest.jsonl": `{"file":"prog-1.kcdf","program":"one"}` + "\n" +
			`{"file":"prog-2.kcdf","program":"two"}` + "\n",
	}
	writeCampaign(t, dir, files)
	out, n, err := packPrograms(dir)
	if err != nil || n != 2 {
		t.Fatalf("packPrograms: %d archives, %v", n, err)
	}
	got := map[string]string{}
	walkFiles(t, out, func(e *source.Entry, data string) {
		if e.Kind != source.KindBuffer {
			name := path.Base(e.Path)
			if e.Source != out { // a member of its program's archive
				name = path.Base(filepath.ToSlash(e.Source)) + "/" + name
			}
			got[name] = data
			return
		}
		if e.Kallsyms == nil || e.Kallsyms.Path != "arm=x/trial=1/boot=1/kallsyms" {
			t.Errorf("%s: kallsyms %+v, want the boot's", e.Path, e.Kallsyms)
		}
		got[e.Path] = data + " boot=" + e.Attrs["boot"] + " program=" + e.Attrs["program"]
	})
	want := map[string]string{
		"System.map":                    files["System.map"],
		"kallsyms":                      files["arm=x/trial=1/boot=1/kallsyms"],
		"prog-1.kcdf":                   files["arm=x/trial=1/boot=1/prog-1.kcdf"] + " boot=1 program=one",
		"prog-2.kcdf":                   files["arm=x/trial=1/boot=1/prog-2.kcdf"] + " boot=1 program=two",
		"prog-1.tar.zst/manifest.jsonl": `{"file":"prog-1.kcdf","program":"one"}` + "\n",
		"prog-2.tar.zst/manifest.jsonl": `{"file":"prog-2.kcdf","program":"two"}` + "\n",
	}
	if !maps.Equal(got, want) {
		t.Errorf("the packed campaign holds %q, want %q", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
}
