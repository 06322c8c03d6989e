package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/ingest/source"
	"github.com/kdf-tools/kdf/internal/seedsession"
)

// A small input is read by the size the walk found, but whole as it is
// when read: grown or shrunk since the walk; one grown past the size at
// which inputs are mapped is mapped, not read into memory; the reused
// buffer does not leak an earlier, longer input's bytes.
//
// Both ways an input file is opened: as a directory source's entry
// opens it (a bare descriptor), and with os.Open (a spooled archive
// member).
func TestReadBySizeOfWalk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prog.kcdf")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var entry *source.Entry
	if err := source.Walk(context.Background(), []string{dir}, source.Options{}, func(e *source.Entry) error {
		if e.Path == "prog.kcdf" {
			entry = e
		}
		return nil
	}); err != nil || entry == nil {
		t.Fatalf("walking %s: %v, entry %v", dir, err, entry)
	}
	opens := map[string]func() (io.ReadCloser, error){
		"source entry": entry.Open,
		"os.Open":      func() (io.ReadCloser, error) { return os.Open(path) },
	}
	for name, open := range opens {
		t.Run(name, func(t *testing.T) { readBySizeOfWalk(t, path, open) })
	}
}

func readBySizeOfWalk(t *testing.T, path string, open func() (io.ReadCloser, error)) {
	long := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	var buf []byte
	for _, tc := range []struct {
		name   string
		walked int64
		now    []byte
	}{
		{"unchanged", 4096, long[:4096]},
		{"grown", 4096, long[:20000]},
		{"shrunk", 20000, long[:100]},
		{"emptied", 100, nil},
		{"grown past the mapping size", 100, bytes.Repeat(long, 20)},
		{"walked empty", 0, long[:300]},
	} {
		if err := os.WriteFile(path, tc.now, 0o644); err != nil {
			t.Fatal(err)
		}
		j := &job{entry: &source.Entry{Size: tc.walked}, open: open}
		data, release, err := j.read(&buf)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !bytes.Equal(data, tc.now) || j.size != int64(len(tc.now)) {
			t.Errorf("%s: read %d bytes (size %d), the file holds %d", tc.name, len(data), j.size, len(tc.now))
		}
		if len(tc.now) > smallBytes && cap(buf) > smallBytes {
			t.Errorf("%s: a file of %d bytes read into memory of %d, not mapped", tc.name, len(tc.now), cap(buf))
		}
		release()
	}
}

// A buffer replaced by a fifo or a symbolic link after the walk listed
// it is a reject naming the file and what it became: the fifo is not
// waited on, the link is not followed, and the other buffers are
// ingested. Put back as buffers, the next ingest takes them.
func TestInputReplacedAfterWalk(t *testing.T) {
	s, err := seedsession.Build("rust_ffi_contract")
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	for i := range 4 {
		must(t, os.WriteFile(filepath.Join(src, fmt.Sprintf("prog-%d.kcdf", i)), s.Buffer, 0o644))
	}
	must(t, os.WriteFile(filepath.Join(src, "kallsyms"), s.Kallsyms, 0o644))
	outside := filepath.Join(t.TempDir(), "outside.kcdf")
	must(t, os.WriteFile(outside, s.Buffer, 0o644))
	testHookOpen = func(j *job) {
		p := filepath.Join(src, j.entry.Path)
		switch j.entry.Path {
		case "prog-1.kcdf":
			must(t, os.Remove(p))
			must(t, unix.Mkfifo(p, 0o644))
		case "prog-2.kcdf":
			must(t, os.Remove(p))
			must(t, os.Symlink(outside, p))
		}
	}
	defer func() { testHookOpen = nil }()
	ds := filepath.Join(t.TempDir(), "ds")
	done := make(chan error, 1)
	go func() {
		sum, err := Run(context.Background(), Config{Dataset: ds, Sources: []string{src}, Workers: 1}, nil)
		if err == nil && (sum.Runs != 2 || sum.Rejects != 2) {
			err = fmt.Errorf("%d runs, rejects %v", sum.Runs, sum.ByReason)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the ingest waits on the fifo")
	}
	testHookOpen = nil
	got := map[string]hostileReject{}
	for _, r := range readTable[hostileReject](t, ds, "rejects") {
		got[r.Path] = r
	}
	if r := got["prog-1.kcdf"]; r.Reason != string(ingest.ReasonSpecial) || !strings.Contains(r.Detail, "prog-1.kcdf") || !strings.Contains(r.Detail, "fifo") {
		t.Errorf("the fifo's reject: %+v", r)
	}
	if r := got["prog-2.kcdf"]; r.Reason != string(ingest.ReasonLink) || !strings.Contains(r.Detail, "prog-2.kcdf") || !strings.Contains(r.Detail, "not followed") {
		t.Errorf("the link's reject: %+v", r)
	}
	for _, p := range []string{"prog-1.kcdf", "prog-2.kcdf"} {
		must(t, os.Remove(filepath.Join(src, p)))
		must(t, os.WriteFile(filepath.Join(src, p), s.Buffer, 0o644))
	}
	sum, err := Run(context.Background(), Config{Dataset: ds, Sources: []string{src}, Workers: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, ds, "runs"); sum.Runs != 2 || n != 4 {
		t.Errorf("put back: %d runs ingested, %d in the dataset, want 2 and 4", sum.Runs, n)
	}
}
