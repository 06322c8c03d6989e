package source

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kdf-tools/kdf/ingest"
)

// A directory source's file reads to its end in pieces, then says
// io.EOF; it closes once, and is unusable after.
func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prog.kcdf")
	want := bytes.Repeat([]byte("kcov"), 3000)
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := openFile("camp", "prog.kcdf", path, false)
	if err != nil {
		t.Fatal(err)
	}
	f := r.(*File)
	if fi, _ := f.Stat(); fi.Size() != int64(len(want)) || !fi.Mode().IsRegular() {
		t.Errorf("Stat: %d bytes, mode %v", fi.Size(), fi.Mode())
	}
	if f.Name() != path {
		t.Errorf("Name %q, want %q", f.Name(), path)
	}
	if n, err := f.Read(nil); n != 0 || err != nil {
		t.Errorf("Read(nil) = %d, %v", n, err)
	}
	got, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes (%v), the file holds %d", len(got), err, len(want))
	}
	if n, err := f.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("Read at the end = %d, %v, want io.EOF", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close: %v, want os.ErrClosed", err)
	}
	if _, err := f.Read(make([]byte, 8)); err == nil {
		t.Error("Read after Close succeeded")
	}
	if _, err := openFile("camp", "missing", filepath.Join(filepath.Dir(path), "missing"), false); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("opening a missing file: %v", err)
	}
}

// A fifo put in a file's place after the walk listed it is refused at
// once as a special file, without waiting for a writer.
func TestFileFifo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prog.kcdf")
	if err := unix.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		r, err := openFile("camp", "prog.kcdf", path, false)
		if err == nil {
			r.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		var pe *Error
		if !errors.As(err, &pe) || pe.Reason != ingest.ReasonSpecial || pe.Source != "camp" || pe.Path != "prog.kcdf" || !strings.Contains(pe.Msg, "fifo") {
			t.Errorf("opening a fifo: %v, want a special-file problem naming the fifo", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("opening a fifo without a writer still waits for one")
	}
}

// A symbolic link put in a file's place after the walk listed it is not
// followed; a source the user named is.
func TestFileLink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "prog.kcdf")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_, err := openFile("camp", "prog.kcdf", link, false)
	if pe := (*Error)(nil); !errors.As(err, &pe) || pe.Reason != ingest.ReasonLink || pe.Path != "prog.kcdf" {
		t.Errorf("opening a link in a walked directory: %v, want a link problem", err)
	}
	r, err := openFile(link, "prog.kcdf", link, true)
	if err != nil {
		t.Fatalf("opening a named source that is a link: %v", err)
	}
	defer r.Close()
	if fi, _ := r.(*File).Stat(); fi.Size() != 6 || !fi.Mode().IsRegular() {
		t.Errorf("the link's target stats as %d bytes, mode %v", fi.Size(), fi.Mode())
	}
}

// A directory's buffers are not stat'ed by the walk: their entries say
// so (Size -1), and the open file has the stat.
func TestWalkDoesNotStatBuffers(t *testing.T) {
	dir := t.TempDir()
	buf, other := filepath.Join(dir, "prog.kcdf"), filepath.Join(dir, "notes.txt")
	for _, p := range []string{buf, other} {
		if err := os.WriteFile(p, []byte("0123456789"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(buf, 0o640); err != nil { // whatever the umask
		t.Fatal(err)
	}
	mtime := time.Date(2026, 6, 15, 0, 7, 15, 123456789, time.UTC)
	if err := os.Chtimes(buf, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	got := map[string]*Entry{}
	for _, e := range walk(t, Options{}, dir) {
		got[e.Path] = e
	}
	e := got["prog.kcdf"]
	if e == nil || e.Size != -1 || !e.ModTime.IsZero() || e.Mode != 0 {
		t.Fatalf("buffer entry %+v, want Size -1 and no stat", e)
	}
	if o := got["notes.txt"]; o == nil || o.Size != 10 {
		t.Errorf("other file's entry %+v, want its stat", o)
	}
	r, err := e.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fi, _ := r.(*File).Stat()
	if fi.Size() != 10 || !fi.ModTime().Equal(mtime) || fi.Mode() != 0o640 || fi.Name() != "prog.kcdf" {
		t.Errorf("open file stats as %d bytes, %v, %v, %q", fi.Size(), fi.ModTime(), fi.Mode(), fi.Name())
	}
}
