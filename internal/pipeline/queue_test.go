package pipeline

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/internal/synth"
)

// TestQueue ingests a directory and an archive of the same buffers with
// slow workers. Jobs queue deep, so that the walker runs ahead of the
// workers it shares the cores with; but an archive's members, read
// during the walk and queued with their bytes (or a spooled copy), hold
// at most SpoolBytes per worker, a spooled one counting as SpoolBytes.
func TestQueue(t *testing.T) {
	cfg := synth.SmallConfig()
	cfg.Programs = 30
	src := genCampaign(t, cfg)
	arch := filepath.Join(t.TempDir(), "arm-a.tar.zst")
	tarZst(t, src, filepath.Join(src, "arm=a"), arch)
	const workers = 2
	for _, c := range []struct {
		source   string
		spool    int64 // SpoolBytes; 0 the default
		min, max int   // of the jobs queued behind one taken
	}{
		{filepath.Join(src, "arm=a"), 0, 2 * workers, queuedPerWorker * workers},
		{arch, 0, 2 * workers, queuedPerWorker * workers},
		{arch, 1, 0, workers - 1}, // every member spooled, each taking SpoolBytes
	} {
		var mu sync.Mutex
		most, taken := 0, 0
		testHookTake = func(queued int) {
			mu.Lock()
			most, taken = max(most, queued), taken+1
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
		sum, err := Run(context.Background(), Config{Dataset: filepath.Join(t.TempDir(), "ds"), Sources: []string{c.source}, Workers: workers, SpoolBytes: c.spool}, nil)
		testHookTake = nil
		if err != nil {
			t.Fatalf("%s: %v", c.source, err)
		}
		if sum.Runs != 60 || taken != 60 {
			t.Errorf("%s, SpoolBytes %d: %d runs from %d jobs taken, want 60", c.source, c.spool, sum.Runs, taken)
		}
		if most < c.min || most > c.max {
			t.Errorf("%s, SpoolBytes %d: up to %d jobs queued behind one taken, want %d to %d", c.source, c.spool, most, c.min, c.max)
		}
	}
}
