package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/ingest"
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

// TestFilesShrinkWhileIngested truncates large (mapped) buffers while
// their records are being written into the group, again and again,
// also while the group is being redone without an earlier one: each
// costs only its own input (a reject, changed), never a panic, and the
// others are ingested whole.
func TestFilesShrinkWhileIngested(t *testing.T) {
	s, err := seedsession.Build("rust_ffi_contract")
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	big := append(slices.Clone(s.Buffer), make([]byte, 2*smallBytes)...) // mapped, not read
	for i := range 6 {
		must(t, os.WriteFile(filepath.Join(src, fmt.Sprintf("big-%d.kcdf", i)), big, 0o644))
	}
	must(t, os.WriteFile(filepath.Join(src, "kallsyms"), s.Kallsyms, 0o644))
	// Shrunk on the nth time read: big-4 the second time, while the
	// group is redone without big-5.
	shrink := map[string]int{"big-1.kcdf": 1, "big-3.kcdf": 1, "big-4.kcdf": 2, "big-5.kcdf": 1}
	reads := map[string]int{}
	testHookProcess = func(j *job) {
		p := j.entry.Path
		if reads[p]++; reads[p] == shrink[p] {
			os.Truncate(filepath.Join(src, p), 0)
		}
	}
	defer func() { testHookProcess = nil }()
	out := filepath.Join(t.TempDir(), "ds")
	sum, err := Run(context.Background(), Config{Dataset: out, Sources: []string{src}, Workers: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Runs != 2 || sum.Rejects != 4 || sum.ByReason["changed"] != 4 {
		t.Errorf("%d runs, rejects %v", sum.Runs, sum.ByReason)
	}
	d := ingest.NewDecoderBytes(s.Buffer, "seed", ingest.Options{})
	for d.Next() {
	}
	if got, want := countRows(t, out, "records"), 2*d.Stats().Records; got != want {
		t.Errorf("records: %d rows, want those of the two whole buffers, %d", got, want)
	}
}
