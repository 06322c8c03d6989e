package source

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/klauspost/compress/zstd"
)

var good = reg("good.kcdf", string(bufferA()))

// hostileCase is one hostile input: sources built in a temp dir, the
// options to walk them with, and the walk's exact summary. Every case
// keeps a good buffer beside the damage and expects it delivered.
type hostileCase struct {
	name  string
	build func(t *testing.T, dir string) []string
	opt   Options
	want  string
}

func tarSource(name string, wrap func(testing.TB, []byte) []byte, ms ...member) func(*testing.T, string) []string {
	return func(t *testing.T, dir string) []string {
		b := makeTar(t, ms...)
		if wrap != nil {
			b = wrap(t, b)
		}
		return []string{writeFile(t, dir, name, b)}
	}
}

func dirSource(ms ...member) func(*testing.T, string) []string {
	return func(t *testing.T, dir string) []string {
		for _, m := range ms {
			writeFile(t, dir, "d/"+m.name, []byte(m.body))
		}
		return []string{filepath.Join(dir, "d")}
	}
}

func zeros(n int) string { return string(make([]byte, n)) }

var hostileCases = []hostileCase{
	{name: "manifest with bad JSON, unknown file, duplicates",
		build: dirSource(good, reg("manifest.jsonl", strings.Join([]string{
			`{"file":"good.kcdf","arm":"x","arm":"y"}`,
			`{"file":"good.kcdf",`,
			`{"file":"gone.kcdf"}`,
			`{"file":"good.kcdf","vm":"2"}`,
		}, "\n"))),
		want: "buffer good.kcdf\nmanifest manifest.jsonl\n! duplicate_key manifest.jsonl:1\n! bad_json manifest.jsonl:2\n" +
			"! duplicate_file manifest.jsonl:1\n! unknown_file manifest.jsonl:3\n"},
	{name: "manifest in an archive names a missing file",
		build: tarSource("m.tar", nil, reg("manifest.jsonl", `{"file":"gone.kcdf"}`), good),
		want:  "manifest manifest.jsonl\nbuffer good.kcdf\n! unknown_file manifest.jsonl:1\n"},
	{name: "unsafe member names",
		build: tarSource("u.tar", nil, reg("../evil/kallsyms", "x"), reg("/abs.kcdf", "x"), reg("a/../../b.kcdf", "x"), reg(".", ""), reg("./ok/../good.kcdf", "x"), good),
		want: "! unsafe_path ../evil/kallsyms\n! unsafe_path /abs.kcdf\n! unsafe_path a/../../b.kcdf\n" +
			"! bad_name .\n! unsafe_path ./ok/../good.kcdf\nbuffer good.kcdf\n"},
	{name: "links in an archive",
		build: tarSource("l.tar", nil, good, member{name: "sym.kcdf", typ: tar.TypeSymlink, link: "/etc/passwd"},
			member{name: "hard.kcdf", typ: tar.TypeLink, link: "good.kcdf"}, member{name: "kallsyms", typ: tar.TypeSymlink, link: "/proc/kallsyms"}),
		want: "buffer good.kcdf\n! link sym.kcdf\n! link hard.kcdf\n! link kallsyms\n"},
	{name: "devices and fifos in an archive",
		build: tarSource("dev.tar.gz", gz, member{name: "null", typ: tar.TypeChar}, member{name: "sda", typ: tar.TypeBlock},
			member{name: "pipe", typ: tar.TypeFifo}, member{name: "vol", typ: 'V'}, good),
		want: "! special_file null\n! special_file sda\n! special_file pipe\n! unsupported vol\nbuffer good.kcdf\n"},
	{name: "declared size beyond the data, plain tar",
		build: tarSource("t.tar", nil, good, member{name: "big.kcdf", body: "short", size: 1 << 20}),
		want:  "buffer good.kcdf\n! truncated big.kcdf\n"},
	{name: "declared size beyond the data, tar.zst",
		build: tarSource("t.tar.zst", zst, good, member{name: "big.kcdf", body: "short", size: 1 << 20}),
		want:  "buffer good.kcdf\n! truncated big.kcdf\n"},
	{name: "truncated metadata member",
		build: tarSource("k.tar.gz", gz, good, member{name: "kallsyms", body: "ffff T x\n", size: 4096}),
		want:  "buffer good.kcdf\n! truncated kallsyms\n"},
	{name: "gzip bomb member",
		build: tarSource("b.tar.gz", gz, reg("bomb.kcdf", zeros(4<<20)), good),
		opt:   Options{MaxMemberBytes: 1 << 20},
		want:  "! too_large bomb.kcdf\nbuffer good.kcdf\n"},
	{name: "zstd bomb member",
		build: tarSource("b.tar.zst", zst, reg("bomb.kcdf", zeros(4<<20)), good),
		opt:   Options{MaxMemberBytes: 1 << 20},
		want:  "! too_large bomb.kcdf\nbuffer good.kcdf\n"},
	{name: "zstd bomb in total",
		build: tarSource("b.tar.zst", zst, good, reg("a.kcdf", zeros(1<<20)), reg("b.kcdf", zeros(1<<20)), reg("c.kcdf", zeros(1<<20))),
		opt:   Options{MaxArchiveBytes: 2 << 20},
		want:  "buffer good.kcdf\nbuffer a.kcdf\n! decompression_limit b.kcdf\n"},
	{name: "gzip bomb in total",
		build: tarSource("b.tgz", gz, good, reg("a.kcdf", zeros(1<<20)), reg("b.kcdf", zeros(1<<20)), reg("c.kcdf", zeros(1<<20))),
		opt:   Options{MaxArchiveBytes: 2 << 20},
		want:  "buffer good.kcdf\nbuffer a.kcdf\n! decompression_limit b.kcdf\n"},
	{name: "nested archives",
		build: func(t *testing.T, dir string) []string {
			inner := makeTar(t, good)
			return tarSource("n.tar", nil, reg("inner.tar", string(inner)), reg("inner.tgz", string(gz(t, inner))),
				reg("blob", string(zst(t, inner))), reg("x.xz", "\xfd7zXZ\x00rest"), good)(t, dir)
		},
		want: "other inner.tar\nother inner.tgz\nother blob\nother x.xz\nbuffer good.kcdf\n"},
	{name: "names that are not UTF-8",
		build: tarSource("n.tar", nil, reg("bad\xff\x01.kcdf", "x"), reg("dir\xfe/kallsyms", "k"), reg("dir\xfe/p.kcdf", "x"), good),
		want:  "buffer bad\\xff\\x01.kcdf\nkallsyms dir\\xfe/kallsyms\nbuffer dir\\xfe/p.kcdf\nbuffer good.kcdf\n"},
	{name: "names that are not UTF-8, directory",
		build: dirSource(reg("bad\xff.kcdf", "x"), good),
		want:  "buffer bad\\xff.kcdf\nbuffer good.kcdf\n"},
	{name: "empty archives",
		build: func(t *testing.T, dir string) []string {
			return []string{writeFile(t, dir, "a.tar", makeTar(t)), writeFile(t, dir, "b.tar", nil),
				writeFile(t, dir, "c.tar.zst", zst(t, makeTar(t))), writeFile(t, dir, "d.tgz", gz(t, nil))}
		},
		want: "! empty_archive \n! empty_archive \n! empty_archive \n! empty_archive \n"},
	{name: "not a tar",
		build: func(t *testing.T, dir string) []string {
			return []string{writeFile(t, dir, "junk.tar", []byte(strings.Repeat("junk", 300))),
				writeFile(t, dir, "buf.kcdf.gz", gz(t, bufferA())), writeFile(t, dir, "fake.tar.gz", []byte("\x1f\x8bnot gzip"))}
		},
		want: "! corrupt_archive \n! corrupt_archive \n! corrupt_archive \n"},
	{name: "ambiguous snapshots",
		build: dirSource(reg("kallsyms", "a"), reg("boot.kallsyms", "b"), good),
		want:  "! ambiguous_snapshot boot.kallsyms\nbuffer good.kcdf\n! ambiguous_snapshot kallsyms\n"},
	{name: "metadata above its cap",
		build: tarSource("m.tar", nil, reg("System.map", "root"), good, reg("sub/System.map", zeros(2000)), reg("sub/p.kcdf", "x")),
		opt:   Options{MaxMetaBytes: 1000},
		want:  "system-map System.map\nbuffer good.kcdf\n! too_large sub/System.map\nbuffer sub/p.kcdf\n"},
	{name: "metadata above the archive's total",
		build: tarSource("m.tar", nil, reg("a/kallsyms", zeros(600)), reg("b/kallsyms", zeros(600)), good),
		opt:   Options{MaxMetaTotal: 2000},
		want:  "kallsyms a/kallsyms\n! too_large b/kallsyms\nbuffer good.kcdf\n"},
	{name: "replaced metadata member",
		build: tarSource("r.tar", nil, reg("kallsyms", "old"), reg("manifest.jsonl", `{"file":"gone"}`), good,
			reg("kallsyms", "new"), reg("manifest.jsonl", `{"file":"good.kcdf"}`)),
		want: "! replaced kallsyms\n! replaced manifest.jsonl\nbuffer good.kcdf\nkallsyms kallsyms\nmanifest manifest.jsonl\n"},
	{name: "missing source",
		build: func(t *testing.T, dir string) []string {
			return []string{filepath.Join(dir, "nope"), dirSource(good)(t, dir)[0]}
		},
		want: "! unreadable \nbuffer good.kcdf\n"},
	{name: "zstd window above the cap",
		build: func(t *testing.T, dir string) []string {
			var b bytes.Buffer
			zw, _ := zstd.NewWriter(&b, zstd.WithWindowSize(8<<20), zstd.WithEncoderConcurrency(1))
			zw.Write(makeTar(t, good, reg("big.kcdf", strings.Repeat("0123456789abcdef", 1<<18))))
			zw.Close()
			return []string{writeFile(t, dir, "w.tar.zst", b.Bytes())}
		},
		opt:  Options{MaxWindowBytes: 1 << 20},
		want: "! decompression_limit \n"},
}

func TestHostile(t *testing.T) {
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			srcs := c.build(t, t.TempDir())
			es := walk(t, c.opt, srcs...)
			if got := summary(es); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
			for _, p := range problems(es) {
				if p.Source == "" || p.Msg == "" || p.Reason == "" {
					t.Errorf("problem without position or advice: %+v", p)
				}
			}
		})
	}
}

// TestDirectoryLinksAndSpecialFiles: nothing inside a directory source is
// followed or opened unless it is a regular file or directory.
func TestDirectoryLinksAndSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "d")
	writeFile(t, src, "good.kcdf", bufferA())
	writeFile(t, src, "manifest.jsonl", []byte(`{"file":"link.kcdf","vm":"1"}`))
	writeFile(t, dir, "outside/kallsyms", []byte("x"))
	for name, target := range map[string]string{
		"link.kcdf": filepath.Join(src, "good.kcdf"),
		"kallsyms":  filepath.Join(dir, "outside/kallsyms"),
		"sub":       filepath.Join(dir, "outside"),
	} {
		if err := os.Symlink(target, filepath.Join(src, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(src, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	es := walk(t, Options{}, src)
	want := "buffer good.kcdf\n! link kallsyms\n! link link.kcdf\nmanifest manifest.jsonl\n! special_file pipe\n! link sub\n"
	if got := summary(es); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if g := find(t, es, "good.kcdf"); g.Kallsyms != nil {
		t.Errorf("a symlinked kallsyms was used: %v", g.Kallsyms)
	}
}

// TestUnreadableDirectory needs a user that permissions apply to.
func TestUnreadableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any directory")
	}
	dir := t.TempDir()
	writeFile(t, dir, "good.kcdf", bufferA())
	writeFile(t, dir, "locked/x.kcdf", bufferA())
	os.Chmod(filepath.Join(dir, "locked"), 0)
	defer os.Chmod(filepath.Join(dir, "locked"), 0o755)
	if got := summary(walk(t, Options{}, dir)); got != "buffer good.kcdf\n! unreadable locked\n" {
		t.Errorf("got\n%s", got)
	}
}

// TestDamagedStreams cuts and corrupts compressed archives at many
// places: the members before the damage are delivered, in order, and
// the damage is reported once, last, with a position.
func TestDamagedStreams(t *testing.T) {
	var ms []member
	for i := range 20 {
		ms = append(ms, reg(strings.Repeat("d/", i%3)+string(rune('a'+i))+".kcdf", strings.Repeat(string(rune('A'+i)), 3000+i*97)))
	}
	raw := makeTar(t, ms...)
	dir := t.TempDir()
	for _, codec := range []struct {
		name string
		wrap func(testing.TB, []byte) []byte
	}{{"tar", nil}, {"tgz", gz}, {"tzst", zst}} {
		full := raw
		if codec.wrap != nil {
			full = codec.wrap(t, raw)
		}
		for i := 1; i < 16; i++ {
			at := len(full) * i / 16
			cut := full[:at]
			flipped := bytes.Clone(full)
			flipped[at] ^= 0x5a
			for kind, b := range map[string][]byte{"cut": cut, "flipped": flipped} {
				src := writeFile(t, dir, codec.name+"."+kind, b)
				es := walk(t, Options{}, src)
				checkPrefix(t, codec.name+" "+kind, ms, es)
			}
		}
	}
}

func checkPrefix(t *testing.T, what string, ms []member, es []*Entry) {
	t.Helper()
	n := 0
	for i, e := range es {
		if e.Err != nil {
			pe := e.Err.(*Error)
			if i != len(es)-1 {
				t.Errorf("%s: problem before the end: %v", what, pe)
			}
			if !strings.Contains(pe.Msg, "offset") && pe.Reason != ingest.ReasonCorrupt {
				t.Errorf("%s: problem without a position: %v", what, pe)
			}
			continue
		}
		if n >= len(ms) || e.Path != ms[n].name {
			t.Errorf("%s: entry %d is %q, want member %d", what, i, e.Path, n)
			return
		}
		n++
	}
}
