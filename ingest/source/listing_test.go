package source

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestListingOrder: a directory of more entries than one read returns
// is listed whole and in the order os.ReadDir gives, with the entries'
// types.
func TestListingOrder(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 2*listingBatch + 123 {
		name := fmt.Sprintf("%x-%d", rng.Uint64(), i)
		if i%100 == 0 {
			if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := readListing(dir)
	if err != nil || l.len() != len(want) {
		t.Fatalf("%d entries, %v; want %d", l.len(), err, len(want))
	}
	for k, de := range want {
		if name, typ := l.entry(k); name != de.Name() || typ != de.Type() {
			t.Fatalf("entry %d: %q %v, want %q %v", k, name, typ, de.Name(), de.Type())
		}
	}
	if _, err := readListing(filepath.Join(dir, "absent")); err == nil {
		t.Error("no error listing a directory that does not exist")
	}
}
