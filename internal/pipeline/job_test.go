package pipeline

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kdf-tools/kdf/ingest/source"
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
