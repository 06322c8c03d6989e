package pipeline

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kdf-tools/kdf/internal/readback"
	"github.com/kdf-tools/kdf/internal/synth"
)

// genCampaign writes a small generated campaign.
func genCampaign(t *testing.T, cfg synth.Config) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "campaign")
	if _, err := synth.WriteCampaign(dir, cfg); err != nil {
		t.Fatal(err)
	}
	return dir
}

// countRows counts a table's rows in the dataset's parts.
func countRows(t *testing.T, dir, table string) int64 { return readback.Rows(t, dir, table) }

func TestRunSmoke(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	out := filepath.Join(t.TempDir(), "ds")
	sum, err := Run(context.Background(), Config{Dataset: out, Campaign: "smoke", Sources: []string{src}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", sum)
	if sum.Runs != 24 || sum.Rejects != 0 {
		t.Errorf("runs %d rejects %d %v", sum.Runs, sum.Rejects, sum.ByReason)
	}
	if got := countRows(t, out, "records"); got != sum.Records {
		t.Errorf("records table has %d rows, summary says %d", got, sum.Records)
	}
	if got := countRows(t, out, "runs"); got != sum.Runs {
		t.Errorf("runs table has %d rows, summary says %d", got, sum.Runs)
	}
	again, err := Run(context.Background(), Config{Dataset: out, Campaign: "smoke", Sources: []string{src}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Runs != 0 || again.Skipped != sum.Runs {
		t.Errorf("a re-run ingested %d runs and skipped %d", again.Runs, again.Skipped)
	}
}

// A directory given both as a source and inside another source is
// ingested once: its inputs have one name whichever source meets them.
func TestOverlappingSources(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	boot := filepath.Join(src, "arm=a", "trial=1", "boot=1")
	out := filepath.Join(t.TempDir(), "ds")
	sum, err := Run(context.Background(), Config{Dataset: out, Campaign: "c", Sources: []string{src, boot}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Runs != 24 || sum.Rejects != 0 || countRows(t, out, "runs") != 24 {
		t.Errorf("%d runs, %d rejects, %d rows: want the 24 inputs once", sum.Runs, sum.Rejects, countRows(t, out, "runs"))
	}
}
