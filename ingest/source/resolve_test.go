package source

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
)

// snapshotTree has snapshots at several depths. Archives list the
// snapshots after the buffers they cover, which only a walker that
// reads metadata first gets right.
func snapshotTree() []member {
	return []member{
		reg("p.kcdf", "x"),
		reg("arm=b/p.kcdf", "x"),
		reg("arm=a/trial=1/boot=1/p.kcdf", "x"),
		reg("arm=a/trial=1/boot=2/p.kcdf", "x"),
		reg("arm=a/trial=1/boot=2/deeper/p.kcdf", "x"),
		reg("arm=a/trial=1/boot=2/System.map-6.9.0", "boot2 map"),
		reg("arm=a/trial=1/boot=1/kallsyms", "boot1 syms"),
		reg("arm=a/kallsyms.txt", "arm syms"),
		reg("System.map", "root map"),
	}
}

func TestNearestSnapshot(t *testing.T) {
	want := map[string][2]string{ // buffer -> kallsyms, System.map
		"p.kcdf":                             {"", "System.map"},
		"arm=b/p.kcdf":                       {"", "System.map"},
		"arm=a/trial=1/boot=1/p.kcdf":        {"arm=a/trial=1/boot=1/kallsyms", "System.map"},
		"arm=a/trial=1/boot=2/p.kcdf":        {"arm=a/kallsyms.txt", "arm=a/trial=1/boot=2/System.map-6.9.0"},
		"arm=a/trial=1/boot=2/deeper/p.kcdf": {"arm=a/kallsyms.txt", "arm=a/trial=1/boot=2/System.map-6.9.0"},
	}
	ms := snapshotTree()
	dir := t.TempDir()
	for name, src := range map[string]string{
		"directory": writeTree(t, ms...),
		"tar.zst":   writeFile(t, dir, "s.tar.zst", zst(t, makeTar(t, ms...))),
	} {
		t.Run(name, func(t *testing.T) {
			es := walk(t, Options{}, src)
			for p, w := range want {
				e := find(t, es, p)
				if got := [2]string{snapPath(e.Kallsyms), snapPath(e.SystemMap)}; got != w {
					t.Errorf("%s: snapshots %q, want %q", p, got, w)
				}
			}
			e := find(t, es, "arm=a/trial=1/boot=1/p.kcdf")
			checkSnapshotContent(t, e.Kallsyms, "boot1 syms")
			checkSnapshotContent(t, e.SystemMap, "root map")
		})
	}
}

func snapPath(s *Snapshot) string {
	if s == nil {
		return ""
	}
	return s.Path
}

func checkSnapshotContent(t *testing.T, s *Snapshot, want string) {
	t.Helper()
	r, err := s.Open()
	if err != nil {
		t.Fatalf("%v: %v", s, err)
	}
	defer r.Close()
	b := make([]byte, 100)
	n, _ := r.Read(b)
	if string(b[:n]) != want {
		t.Errorf("%v: content %q, want %q", s, b[:n], want)
	}
}

func TestAttributes(t *testing.T) {
	ms := []member{
		reg("manifest.jsonl", `{"file":"arm=a/trial=1/boot=1/p.kcdf","arm":"from-root","vm":3,"program":"root"}`+"\n"),
		reg("arm=a/trial=1/boot=1/manifest.jsonl",
			`{"file":"p.kcdf","trial":"7","exec_ns":12345678901234567,"baseline_ns":1.5e3,"program":"deep","capacity_words":1024,"layout":"b","extra":{"a": [1, 2]},"vm":null}`+"\n"),
		reg("arm=a/trial=1/boot=1/p.kcdf", "x"),
		reg("arm=a/trial=1/boot=1/q.kcdf", "x"),
	}
	want := Attrs{"arm": "from-root", "trial": "7", "boot": "1", "vm": "3", "program": "deep",
		"exec_ns": "12345678901234567", "baseline_ns": "1.5e3", "capacity_words": "1024", "layout": "b", "extra": `{"a":[1,2]}`}
	dir := t.TempDir()
	for name, src := range map[string]string{
		"directory": writeTree(t, ms...),
		"tar.gz":    writeFile(t, dir, "a.tar.gz", gz(t, makeTar(t, ms[2], ms[3], ms[1], ms[0]))),
	} {
		t.Run(name, func(t *testing.T) {
			es := walk(t, Options{}, src)
			if ps := problems(es); len(ps) > 0 {
				t.Errorf("problems: %v", ps)
			}
			got := find(t, es, "arm=a/trial=1/boot=1/p.kcdf").Attrs
			if !maps.Equal(got, want) {
				t.Errorf("attrs\n got %v\nwant %v", got, want)
			}
			q := find(t, es, "arm=a/trial=1/boot=1/q.kcdf").Attrs
			if !maps.Equal(q, Attrs{"arm": "a", "trial": "1", "boot": "1"}) {
				t.Errorf("path-only attrs: %v", q)
			}
		})
	}
}

func TestAttrAccessors(t *testing.T) {
	a := Attrs{"exec_ns": "12345678901234567", "baseline_ns": "1.5e3", "capacity_words": "1024", "layout": "b"}
	if v, ok, err := a.ExecNS(); v != 12345678901234567 || !ok || err != nil {
		t.Errorf("ExecNS = %d, %v, %v", v, ok, err)
	}
	if _, ok, err := a.BaselineNS(); !ok || err == nil {
		t.Errorf("BaselineNS of 1.5e3: ok %v err %v, want an error", ok, err)
	}
	if v, ok, err := a.CapacityWords(); v != 1024 || !ok || err != nil {
		t.Errorf("CapacityWords = %d, %v, %v", v, ok, err)
	}
	if l, err := a.Layout(); l != "B" || err != nil {
		t.Errorf("Layout = %q, %v", l, err)
	}
	bad := Attrs{"exec_ns": "-5", "capacity_words": "99999999999", "layout": "C"}
	if _, _, err := bad.ExecNS(); err == nil {
		t.Error("negative exec_ns accepted")
	}
	if _, _, err := bad.CapacityWords(); err == nil {
		t.Error("capacity beyond 2^24 accepted")
	}
	if _, err := bad.Layout(); err == nil {
		t.Error("layout C accepted")
	}
	if _, ok, err := (Attrs{}).ExecNS(); ok || err != nil {
		t.Errorf("absent exec_ns: ok %v err %v", ok, err)
	}
	if l, err := (Attrs{"layout": "auto"}).Layout(); l != "" || err != nil {
		t.Errorf("auto layout = %q, %v", l, err)
	}
}

// TestArchiveInDirectory: an archive inside a directory source is walked
// in place; its own snapshots win, the directory's apply after them, and
// its location gives path attributes.
func TestArchiveInDirectory(t *testing.T) {
	dir := writeTree(t, reg("System.map", "root map"), reg("arm=x/manifest.jsonl", `{"file":"other.kcdf","vm":"1"}`), reg("arm=x/other.kcdf", "x"))
	inner := makeTar(t, reg("p.kcdf", "x"), reg("sub/q.kcdf", "x"), reg("kallsyms", "boot3 syms"))
	arch := writeFile(t, dir, "arm=x/boot=3.tar.zst", zst(t, inner))
	es := walk(t, Options{}, dir)
	if ps := problems(es); len(ps) > 0 {
		t.Errorf("problems: %v", ps)
	}
	q := find(t, es, "sub/q.kcdf")
	if q.Source != arch {
		t.Errorf("Source %q, want %q", q.Source, arch)
	}
	if snapPath(q.Kallsyms) != "kallsyms" || q.Kallsyms.Source != arch {
		t.Errorf("kallsyms %v, want the archive's", q.Kallsyms)
	}
	if snapPath(q.SystemMap) != "System.map" || q.SystemMap.Source != dir {
		t.Errorf("System.map %v, want the directory's", q.SystemMap)
	}
	if !maps.Equal(q.Attrs, Attrs{"arm": "x", "boot": "3"}) {
		t.Errorf("attrs %v", q.Attrs)
	}
	var paths []string
	for _, e := range es {
		paths = append(paths, filepath.Base(e.Source)+":"+e.Path)
	}
	wantOrder := []string{filepath.Base(dir) + ":System.map", "boot=3.tar.zst:p.kcdf", "boot=3.tar.zst:sub/q.kcdf", "boot=3.tar.zst:kallsyms",
		filepath.Base(dir) + ":arm=x/manifest.jsonl", filepath.Base(dir) + ":arm=x/other.kcdf"}
	if !slices.Equal(paths, wantOrder) {
		t.Errorf("order\n got %q\nwant %q", paths, wantOrder)
	}
}

// TestUnusableSnapshotsBlock: a snapshot that cannot be used is still
// the nearest one; buffers get it, with its reason, and never a farther
// snapshot in its place.
func TestUnusableSnapshotsBlock(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, src, buffer string
		opt               Options
		kallsyms          bool // check Kallsyms, else SystemMap
		want              ingest.Reason
	}{
		{"ambiguous", writeTree(t, reg("kallsyms", "k"), reg("sub/kallsyms", "a"), reg("sub/x.kallsyms", "b"), reg("sub/p.kcdf", "x")),
			"sub/p.kcdf", Options{}, true, ingest.ReasonAmbiguous},
		{"too large", writeFile(t, dir, "a.tar", makeTar(t, reg("System.map", "m"), reg("sub/p.kcdf", "x"), reg("sub/System.map", zeros(2000)))),
			"sub/p.kcdf", Options{MaxMetaBytes: 1000}, false, ingest.ReasonTooLarge},
		{"archive budget", writeFile(t, dir, "b.tar", makeTar(t, reg("kallsyms", zeros(600)), reg("a/p.kcdf", "x"), reg("b/kallsyms", zeros(600)))),
			"a/p.kcdf", Options{MaxMetaTotal: 2000}, true, ingest.ReasonTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := find(t, walk(t, c.opt, c.src), c.buffer)
			s := e.SystemMap
			if c.kallsyms {
				s = e.Kallsyms
			}
			if s == nil || reasonOf(s.Err) != c.want {
				t.Fatalf("snapshot %v, want one failing with %s", s, c.want)
			}
			if _, err := s.Open(); err == nil {
				t.Error("an unusable snapshot opened")
			}
		})
	}
}

// TestCheckAttrs: an unusable typed attribute is reported with its value
// and the manifest line (or path) it came from, the deepest one that
// set it, in directories and archives alike.
func TestCheckAttrs(t *testing.T) {
	ms := []member{
		reg("a.kcdf", "x"),
		reg("b/c.kcdf", "x"),
		reg("exec_ns=abc/d.kcdf", "x"),
		reg("manifest.jsonl", `{"file":"a.kcdf","exec_ns":"fast","baseline_ns":-3,"capacity_words":512}`+"\n"+
			`{"file":"b/c.kcdf","capacity_words":0,"layout":"Z"}`+"\n"),
		reg("b/manifest.jsonl", `{"file":"c.kcdf","layout":"B"}`+"\n"+`{"file":"x.kcdf"}`+"\n"+`{"file":"c.kcdf","layout":"Q"}`+"\n"),
	}
	want := map[string][]string{
		"a.kcdf": {`manifest.jsonl: line 1: attribute exec_ns = "fast": want a decimal integer: ignored; fix the manifest line`,
			`manifest.jsonl: line 1: attribute baseline_ns = -3: want 0..9223372036854775807: ignored; fix the manifest line`},
		"b/c.kcdf": {`manifest.jsonl: line 2: attribute capacity_words = 0: a buffer holds at least its counter word: ignored; fix the manifest line`,
			`b/manifest.jsonl: line 3: attribute layout = "Q": want A, B or auto: ignored; fix the manifest line`},
		"exec_ns=abc/d.kcdf": {`attribute exec_ns = "abc": want a decimal integer, from the path: ignored; rename the directory`},
	}
	for name, src := range map[string]string{
		"directory": writeTree(t, ms...),
		"tar":       writeFile(t, t.TempDir(), "s.tar", makeTar(t, ms...)),
	} {
		t.Run(name, func(t *testing.T) {
			es := walk(t, Options{}, src)
			for p, w := range want {
				var got []string
				if err := find(t, es, p).CheckAttrs(); err != nil {
					got = strings.Split(err.Error(), "\n")
				}
				if !slices.Equal(got, w) {
					t.Errorf("%s: CheckAttrs\n%s\nwant\n%s", p, strings.Join(got, "\n"), strings.Join(w, "\n"))
				}
			}
		})
	}
}

// A directory's manifest rewritten while its directory is walked: a
// file whose line no longer reads as it did is reported (changed), not
// delivered without its attributes or with another line's; the files
// resolved before the change keep theirs. (Lines read ahead with an
// earlier one keep what was read then; a's line is longer than that
// reading ahead, so b's is read after the change.)
func TestManifestChangedDuringWalk(t *testing.T) {
	long := `{"file":"a.kcdf",` + strings.Repeat(" ", readAhead) + `"vm":"vm-0"}`
	src := writeTree(t,
		reg("boot=1/a.kcdf", "x"),
		reg("boot=1/b.kcdf", "x"),
		reg("boot=1/manifest.jsonl", long+"\n"+`{"file":"b.kcdf","vm":"vm-1"}`+"\n"),
	)
	man := filepath.Join(src, "boot=1", "manifest.jsonl")
	var es []*Entry
	err := Walk(context.Background(), []string{src}, Options{MaxManifestLine: 4 * readAhead}, func(e *Entry) error {
		es = append(es, e)
		if e.Path == "boot=1/a.kcdf" {
			return os.WriteFile(man, []byte(`{"file":"b.kcdf","vm":"vm-9"}`+"\n"), 0o644)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if a := find(t, es, "boot=1/a.kcdf"); a.Attrs["vm"] != "vm-0" {
		t.Errorf("a.kcdf: attrs %v", a.Attrs)
	}
	var got []string
	for _, p := range problems(es) {
		got = append(got, p.Path+" "+string(p.Reason))
	}
	if want := []string{"boot=1/b.kcdf changed"}; !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
	if ps := problems(es); len(ps) == 1 && !strings.Contains(ps[0].Error(), "line 2 in boot=1/manifest.jsonl") {
		t.Errorf("problem %q does not name the line", ps[0].Error())
	}
}
