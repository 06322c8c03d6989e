package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// campaign is a small campaign: a System.map at the root, one kallsyms
// per boot, a manifest, buffers recognised by name and by content, and
// one file that is none of these.
func campaign() []member {
	return []member{
		reg("System.map", "ffffffff81000000 T _text\n"),
		reg("arm=df/trial=1/boot=1/kallsyms", "ffffffff91000000 T _text\n"),
		reg("arm=df/trial=1/boot=1/manifest.jsonl", `{"file":"prog-1.kcdf","program":"r0 = open()","exec_ns":1200}`+"\n"),
		reg("arm=df/trial=1/boot=1/prog-1.kcdf", string(bufferA())),
		reg("arm=df/trial=1/boot=1/prog-2.dat", string(bufferB())),
		reg("arm=df/trial=1/boot=1/notes.txt", "hello"),
	}
}

const campaignSummary = `system-map System.map
kallsyms arm=df/trial=1/boot=1/kallsyms
manifest arm=df/trial=1/boot=1/manifest.jsonl
other arm=df/trial=1/boot=1/notes.txt
buffer arm=df/trial=1/boot=1/prog-1.kcdf
buffer arm=df/trial=1/boot=1/prog-2.dat
`

// TestSourceKinds walks the same campaign as a directory and as every
// kind of archive, and one buffer as a single-file source.
func TestSourceKinds(t *testing.T) {
	ms := campaign()
	// Lexical order, so the directory walk and the archives agree.
	ordered := []member{ms[0], ms[1], ms[2], ms[5], ms[3], ms[4]}
	raw := makeTar(t, ordered...)
	dir := t.TempDir()
	cases := []struct {
		name, src string
	}{
		{"directory", writeTree(t, ms...)},
		{"tar", writeFile(t, dir, "c.tar", raw)},
		{"tar.gz", writeFile(t, dir, "c.tar.gz", gz(t, raw))},
		{"tgz", writeFile(t, dir, "c.tgz", gz(t, raw))},
		{"tar.zst", writeFile(t, dir, "c.tar.zst", zst(t, raw))},
		{"tzst", writeFile(t, dir, "c.tzst", zst(t, raw))},
		{"zstd named .tar.gz", writeFile(t, dir, "lying.tar.gz", zst(t, raw))},
		{"gzip without a suffix", writeFile(t, dir, "archive", gz(t, raw))},
	}
	want := campaignSummary
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es := walk(t, Options{}, c.src)
			if got := summary(es); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			for _, e := range es {
				if e.Source != c.src {
					t.Errorf("%s: Source %q, want %q", e.Path, e.Source, c.src)
				}
			}
			if e := find(t, es, "arm=df/trial=1/boot=1/notes.txt"); !strings.Contains(e.Reason, "not a raw buffer") {
				t.Errorf("notes.txt: Reason %q", e.Reason)
			}
		})
	}
	t.Run("single file", func(t *testing.T) {
		p := writeFile(t, dir, "one.kcov", bufferA())
		es := walk(t, Options{}, p)
		if got := summary(es); got != "buffer one.kcov\n" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("mixed", func(t *testing.T) {
		es := walk(t, Options{}, cases[0].src, cases[4].src, filepath.Join(dir, "c.tar"))
		if n := len(es); n != 18 {
			t.Errorf("%d entries, want 18:\n%s", n, summary(es))
		}
	})
}

func TestStreamedReaderDiesWithCallback(t *testing.T) {
	p := writeFile(t, t.TempDir(), "a.tar", makeTar(t, reg("x.kcdf", string(bufferA()))))
	var kept io.ReadCloser
	var keptEntry *Entry
	err := Walk(context.Background(), []string{p}, Options{}, func(e *Entry) error {
		if !e.Streamed() {
			t.Errorf("%s: not streamed", e.Path)
		}
		r, err := e.Open()
		if err != nil {
			return err
		}
		if _, err := e.Open(); err == nil {
			t.Error("second Open of a streamed member succeeded")
		}
		kept, keptEntry = r, e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kept.Read(make([]byte, 8)); !errors.Is(err, errStale) {
		t.Errorf("read after callback: %v, want errStale", err)
	}
	if _, err := keptEntry.Open(); !errors.Is(err, errStale) {
		t.Errorf("open after callback: %v, want errStale", err)
	}
}

func TestCallbackErrorStops(t *testing.T) {
	dir := writeTree(t, campaign()...)
	stop := errors.New("enough")
	n := 0
	err := Walk(context.Background(), []string{dir}, Options{}, func(*Entry) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("Walk = %v after %d calls, want %v after 1", err, n, stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Walk(ctx, []string{dir}, Options{}, func(*Entry) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Walk = %v", err)
	}
}

// TestDirectoryOrder checks the deterministic lexical order, subdirectory
// contents in their place.
func TestDirectoryOrder(t *testing.T) {
	dir := writeTree(t, reg("b.kcdf", "x"), reg("a/z.kcdf", "x"), reg("a.kcdf", "x"), reg("B.kcdf", "x"), reg("a/a.kcdf", "x"))
	got := summary(walk(t, Options{}, dir))
	want := "buffer B.kcdf\nbuffer a/a.kcdf\nbuffer a/z.kcdf\nbuffer a.kcdf\nbuffer b.kcdf\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestBufferSuffixesOption(t *testing.T) {
	dir := writeTree(t, reg("a.trace", "x"), reg("b.kcdf", "x"))
	got := summary(walk(t, Options{BufferSuffixes: []string{".trace"}}, dir))
	if got != "buffer a.trace\nother b.kcdf\n" {
		t.Errorf("got\n%s", got)
	}
}

// TestCounts: a walk counts the buffers it delivers and those a
// snapshot applies to, problems left out.
func TestCounts(t *testing.T) {
	ms := []member{reg("a.kcdf", "x"), reg("sub/b.kcdf", "x"), reg("sub/kallsyms", "k"), reg("notes.txt", "text"),
		reg("manifest.jsonl", `{"file":"gone.kcdf"}`)}
	for name, src := range map[string]string{
		"directory": writeTree(t, ms...),
		"tar.gz":    writeFile(t, t.TempDir(), "s.tar.gz", gz(t, makeTar(t, ms...))),
	} {
		var c Counts
		walk(t, Options{Counts: &c}, src)
		if c != (Counts{Buffers: 2, WithSnapshot: 1}) {
			t.Errorf("%s: %+v, want 2 buffers, 1 with a snapshot", name, c)
		}
	}
}

// TestArchiveRead: a walk counts each archive's file once, half by the
// end of its first pass (before any member is delivered), the rest by
// its end, damaged or not; a directory's own files are not counted.
func TestArchiveRead(t *testing.T) {
	// Incompressible members, so that the compressed files are larger
	// than what a decompressor reads ahead.
	rng := rand.New(rand.NewPCG(1, 2))
	var ms []member
	for i := range 64 {
		noise := make([]byte, 8<<10)
		for j := range noise {
			noise[j] = byte(rng.Uint32())
		}
		ms = append(ms, reg(fmt.Sprintf("boot=1/prog-%03d.kcdf", i), string(bufferA())+string(noise)))
	}
	ms = append(ms, reg("boot=1/kallsyms", "ffffffff81000000 T _text\n"))
	raw := makeTar(t, ms...)
	dir := t.TempDir()
	cut := gz(t, raw)
	for name, data := range map[string][]byte{"plain.tar": raw, "a.tar.gz": gz(t, raw), "a.tar.zst": zst(t, raw), "cut.tar.gz": cut[:len(cut)*2/3]} {
		src := writeFile(t, dir, name, data)
		var read atomic.Int64
		first := int64(-1)
		err := Walk(context.Background(), []string{src}, Options{ArchiveRead: &read}, func(e *Entry) error {
			if first < 0 && e.Kind == KindBuffer {
				first = read.Load()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		size := int64(len(data))
		if first < size/2-1 || first > size/2+size/8 {
			t.Errorf("%s: %d of %d bytes counted when its first member came, want about half", name, first, size)
		}
		if read.Load() != size {
			t.Errorf("%s: %d bytes counted in all, want its size, %d", name, read.Load(), size)
		}
	}
	var read atomic.Int64
	walk(t, Options{ArchiveRead: &read}, writeTree(t, ms...))
	if read.Load() != 0 {
		t.Errorf("a directory: %d archive bytes counted", read.Load())
	}
}
