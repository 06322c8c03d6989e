package pipeline

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestEstimateBytes: the progress estimate is exact for directories of
// up to estExact files, and within a few percent for a larger one,
// whose buffers past that are sampled; a large file of another kind
// (a manifest) among them is counted once, whatever its place.
func TestEstimateBytes(t *testing.T) {
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	write := func(dir string, n int) int64 {
		var sum int64
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			size := 100 + rng.IntN(200)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("prog-%06d.kcdf", i)), make([]byte, size), 0o644); err != nil {
				t.Fatal(err)
			}
			sum += int64(size)
		}
		return sum
	}
	small := write(filepath.Join(root, "small", "boot=1"), 100)
	small += write(filepath.Join(root, "small", "boot=2"), 50)
	if err := os.Symlink(filepath.Join(root, "small", "boot=1"), filepath.Join(root, "small", "link")); err != nil {
		t.Fatal(err)
	}
	if got := estimateBytes([]string{filepath.Join(root, "small"), filepath.Join(root, "absent")}, nil); got != small {
		t.Errorf("small: %d, want %d", got, small)
	}
	one := filepath.Join(root, "small", "boot=1", "prog-000000.kcdf")
	fi, err := os.Stat(one)
	if err != nil {
		t.Fatal(err)
	}
	if got := estimateBytes([]string{one}, nil); got != fi.Size() {
		t.Errorf("one file: %d, want %d", got, fi.Size())
	}
	large := write(filepath.Join(root, "large"), estExact+20*estStride*10)
	if err := os.WriteFile(filepath.Join(root, "large", "manifest.jsonl"), make([]byte, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	large += 2 << 20
	got := estimateBytes([]string{filepath.Join(root, "large")}, nil)
	if d := float64(got-large) / float64(large); d < -0.05 || d > 0.05 {
		t.Errorf("large: %d, want about %d (%.1f%% off)", got, large, 100*d)
	}
}
