package source

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// bufferA is a small, valid layout-A buffer: one entry and one return
// record (nine record words after the counter).
func bufferA() []byte {
	words := []uint64{
		8,
		0xE<<28 | 1<<24 | 1, 0xffffffff81000000, 1<<56 | 8<<48, 42, // entry, arg 1
		0xF<<28 | 1<<24 | 2, 0xffffffff81000000, 8 << 48, // return...
	}
	words = append(words, 0) // ...value 0
	return wordBytes(words...)
}

// bufferB is a small, valid layout-B buffer: one compare record.
func bufferB() []byte {
	return wordBytes(5, 8<<48|2<<32|0xC<<28|1, 0x1000, 1, 7, 7)
}

func wordBytes(words ...uint64) []byte {
	b := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return b
}

// member is one tar member for a fixture archive.
type member struct {
	name string
	body string
	typ  byte   // 0: regular file
	link string // link target
	size int64  // declared size, when it must differ from len(body)
}

func reg(name, body string) member { return member{name: name, body: body} }

// makeTar writes members in the given order. A declared size larger than
// the body makes a truncated archive (the writer is not closed then).
func makeTar(t testing.TB, ms ...member) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Typeflag: m.typ, Linkname: m.link, Mode: 0o644, Size: int64(len(m.body)), Format: tar.FormatPAX}
		if m.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if m.typ != 0 && m.typ != tar.TypeReg {
			h.Size = 0
		}
		if m.size > 0 {
			h.Size = m.size
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(m.body)); err != nil {
			t.Fatal(err)
		}
		if m.size > int64(len(m.body)) {
			tw.Flush() // ErrWriteTooLong never comes: it is short; stop here
			return b.Bytes()
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

func zst(t testing.TB, b []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

// writeFile writes data at dir/name, creating directories.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeTree writes members (regular files only) as a directory.
func writeTree(t testing.TB, ms ...member) string {
	t.Helper()
	dir := t.TempDir()
	for _, m := range ms {
		writeFile(t, dir, m.name, []byte(m.body))
	}
	return dir
}

// openedSize is the size an entry's content has: the walk's, or for a
// file the walk did not stat, the open file's.
func openedSize(e *Entry, r io.Reader) int64 {
	if e.Size >= 0 {
		return e.Size
	}
	fi, _ := r.(*File).Stat()
	return fi.Size()
}

// walk collects every entry of a walk, failing the test on a Walk error.
// Streamed entries are read inside the callback to check they can be.
func walk(t testing.TB, opt Options, sources ...string) []*Entry {
	t.Helper()
	var es []*Entry
	err := Walk(context.Background(), sources, opt, func(e *Entry) error {
		if e.Err == nil {
			r, err := e.Open()
			if err != nil {
				return fmt.Errorf("%s: open: %w", e.Path, err)
			}
			size := openedSize(e, r)
			n, err := io.Copy(io.Discard, r)
			r.Close()
			if err != nil || n != size {
				return fmt.Errorf("%s: read %d of %d bytes: %v", e.Path, n, size, err)
			}
		}
		es = append(es, e)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return es
}

// summary renders entries one a line: "kind path" for a delivered file,
// "! reason path[:line]" for a problem.
func summary(es []*Entry) string {
	var b strings.Builder
	for _, e := range es {
		if e.Err != nil {
			pe := e.Err.(*Error)
			fmt.Fprintf(&b, "! %s %s", pe.Reason, pe.Path)
			if pe.Line > 0 {
				fmt.Fprintf(&b, ":%d", pe.Line)
			}
		} else {
			fmt.Fprintf(&b, "%s %s", e.Kind, e.Path)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// find returns the delivered entry at path p.
func find(t testing.TB, es []*Entry, p string) *Entry {
	t.Helper()
	for _, e := range es {
		if e.Path == p && e.Err == nil {
			return e
		}
	}
	t.Fatalf("no delivered entry %q in\n%s", p, summary(es))
	return nil
}

// problems returns the reported entries' errors.
func problems(es []*Entry) []*Error {
	var out []*Error
	for _, e := range es {
		if e.Err != nil {
			out = append(out, e.Err.(*Error))
		}
	}
	return out
}
