package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/internal/synth"
)

// When KDF_TEST_INGEST is set, the test binary is an ingest process:
// "dataset|source" to ingest, killed by the test at random points. It
// spools archive members of over 1 KiB to files.
func TestMain(m *testing.M) {
	if spec := os.Getenv("KDF_TEST_INGEST"); spec != "" {
		ds, src, _ := strings.Cut(spec, "|")
		_, err := Run(context.Background(), Config{Dataset: ds, Sources: []string{src}, GroupRuns: 3, BatchRows: 512, SpoolBytes: 1 << 10}, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// ingestProcess starts an ingest in a child process.
func ingestProcess(t *testing.T, ds, src string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KDF_TEST_INGEST="+ds+"|"+src)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// contents is a dataset's table contents, as sorted rows, for
// comparing two datasets whatever the parts they are split into.
func contents(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	add := func(table string, rows []string) {
		slices.Sort(rows)
		out[table] = rows
	}
	add("records", rowsOf(readTable[recordRowRead](t, dir, "records")))
	add("calls", rowsOf(readTable[callRowRead](t, dir, "calls")))
	add("runs", rowsOf(readTable[runRowRead](t, dir, "runs")))
	return out
}

func rowsOf[T any](rows []T) []string {
	s := make([]string, len(rows))
	for i, r := range rows {
		s[i] = fmt.Sprintf("%v", r)
	}
	return s
}

// TestKilledIngestResumes kills ingests (SIGKILL) at random points,
// runs the same ingest again, and checks the dataset's tables equal
// those of an ingest that was never interrupted.
func TestKilledIngestResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ingest processes")
	}
	src := genCampaign(t, synth.SmallConfig())
	clean := filepath.Join(t.TempDir(), "clean")
	if _, err := Run(context.Background(), Config{Dataset: clean, Sources: []string{src}, GroupRuns: 3}, nil); err != nil {
		t.Fatal(err)
	}
	want := contents(t, clean)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 3 {
		ds := filepath.Join(t.TempDir(), fmt.Sprint("killed", round))
		for range 4 {
			cmd := ingestProcess(t, ds, src)
			time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
			cmd.Process.Kill()
			cmd.Wait()
		}
		if _, err := Run(context.Background(), Config{Dataset: ds, Sources: []string{src}}, nil); err != nil {
			t.Fatal(err)
		}
		got := contents(t, ds)
		for table, rows := range want {
			if !slices.Equal(got[table], rows) {
				t.Errorf("round %d: table %s: %d rows after kills and resume, %d uninterrupted", round, table, len(got[table]), len(rows))
			}
		}
	}
}

// TestKilledIngestLeavesNoSpool kills an ingest of an archive while it
// has members spooled to files, and checks that the next ingest removes
// them and that nothing was spooled outside the dataset.
func TestKilledIngestLeavesNoSpool(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ingest processes")
	}
	camp := genCampaign(t, synth.SmallConfig())
	src := filepath.Join(t.TempDir(), "campaign.tar.zst")
	tarZst(t, filepath.Dir(camp), camp, src)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ds := filepath.Join(t.TempDir(), "ds")
	cmd := ingestProcess(t, ds, src)
	spooled := func() []string {
		files, _ := filepath.Glob(filepath.Join(ds, "_tmp", "*", "spool-*"))
		return files
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(spooled()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if len(spooled()) == 0 {
		t.Fatal("the ingest was killed without a member spooled: nothing to check")
	}
	if _, err := Run(context.Background(), Config{Dataset: ds, Sources: []string{src}}, nil); err != nil {
		t.Fatal(err)
	}
	if left := spooled(); len(left) > 0 {
		t.Errorf("spooled members left after the next ingest: %v", left)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("ingest wrote %d files to TMPDIR, among them %s", len(left), left[0].Name())
	}
}

// TestConcurrentIngests runs two ingests of one campaign into one
// dataset at once: the dataset ends as one ingest would leave it.
func TestConcurrentIngests(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ingest processes")
	}
	src := genCampaign(t, synth.SmallConfig())
	clean := filepath.Join(t.TempDir(), "clean")
	if _, err := Run(context.Background(), Config{Dataset: clean, Sources: []string{src}}, nil); err != nil {
		t.Fatal(err)
	}
	ds := filepath.Join(t.TempDir(), "both")
	a, b := ingestProcess(t, ds, src), ingestProcess(t, ds, src)
	errA, errB := a.Wait(), b.Wait()
	t.Logf("concurrent ingests: %v, %v", errA, errB)
	// A loser of a race for an input says so and is run again.
	if _, err := Run(context.Background(), Config{Dataset: ds, Sources: []string{src}}, nil); err != nil {
		t.Fatal(err)
	}
	want, got := contents(t, clean), contents(t, ds)
	for table, rows := range want {
		if !slices.Equal(got[table], rows) {
			t.Errorf("table %s: %d rows after two concurrent ingests, %d from one", table, len(got[table]), len(rows))
		}
	}
}
