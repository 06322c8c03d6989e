package source

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A directory source's file reads to its end in pieces, then says
// io.EOF; it closes once, and is unusable after.
func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prog.kcdf")
	want := bytes.Repeat([]byte("kcov"), 3000)
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := openFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := r.(*File)
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
	if _, err := openFile(filepath.Join(filepath.Dir(path), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("opening a missing file: %v", err)
	}
}

// A fifo put in a file's place after the walk saw it opens and reads as
// empty, without waiting for a writer.
func TestFileFifo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prog.kcdf")
	if err := unix.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		r, err := openFile(path)
		if err == nil {
			_, err = io.ReadAll(r)
			r.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("reading a fifo: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("opening a fifo without a writer still waits for one")
	}
}
