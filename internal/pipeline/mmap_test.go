package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/internal/seedsession"
)

// TestFileTruncatedWhileMapped reads a mapped buffer whose file is cut
// short meanwhile: the fault is this input's error, not a crash.
func TestFileTruncatedWhileMapped(t *testing.T) {
	s, err := seedsession.Build("eight_args_c")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "buf.kcdf")
	big := append(s.Buffer, make([]byte, 64<<10)...) // spans pages
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	data, release, err := mapFile(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	var c collect
	defer c.release()
	proc := NewProcessor(memory.DefaultAllocator, 1024, c.emit)
	err = protect(func() { proc.Process(&Buffer{Name: "buf.kcdf", Data: data}) })
	if !errors.Is(err, errFault) {
		t.Fatalf("reading a truncated mapped file: %v, want errFault", err)
	}
}
