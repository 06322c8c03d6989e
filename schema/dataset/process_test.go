package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The child processes of TestProcesses are this test binary, run again
// with these variables set.
const (
	envChild  = "KDF_DATASET_TEST_CHILD" // the dataset to ingest into
	envSeed   = "KDF_DATASET_TEST_SEED"
	numInputs = 60
	groupSize = 3
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envChild); dir != "" {
		if err := child(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is one ingest: it skips the inputs the dataset holds, commits
// the others in groups, in its own random order, and redoes a group
// whose Prepare finds that another ingest took one of its inputs. It
// pauses inside the protocol so that kills land in it.
func child(dir string) error {
	seed, _ := strconv.ParseUint(os.Getenv(envSeed), 10, 64)
	rng := rand.New(rand.NewPCG(seed, 1))
	d, err := Open(dir)
	if err != nil {
		return err
	}
	pause := func() { time.Sleep(time.Duration(rng.IntN(1500)) * time.Microsecond) }
	d.hooks.onStep = func(step, int) error { pause(); return nil }
	d.hooks.onWrite = func(string, int) error { pause(); return nil }
	ctx := context.Background()
	w, err := d.NewWriter(ctx)
	if err != nil {
		return err
	}
	defer w.Close()
	json.NewEncoder(os.Stdout).Encode(w.Recovery())
	order := rng.Perm(numInputs)
	for {
		snap, err := d.Snapshot()
		if err != nil {
			return err
		}
		keys, err := held(d)
		if err != nil {
			return err
		}
		w.SetSeen(snap.Last)
		var todo []int
		for _, i := range order {
			if !keys[testKey(i)] {
				todo = append(todo, i)
			}
		}
		if len(todo) == 0 {
			return w.Close()
		}
		ids := todo[:min(groupSize, len(todo))]
		parts, err := writeRows(w, "c1", groupRows(ids))
		if err != nil {
			return err
		}
		if err := w.Commit(ctx, Group{Parts: parts, Prepare: refuseTaken(ids)}); err != nil && !errors.Is(err, errTaken) {
			return err
		}
	}
}

// runChildren starts n ingests into dir at once and SIGKILLs the first
// kill of them at random moments; the others must succeed.
func runChildren(t *testing.T, dir string, n, kill int, rng *rand.Rand) (recovered []string) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for c := range cmds {
		cmds[c] = exec.Command(exe)
		cmds[c].Env = append(os.Environ(), envChild+"="+dir, fmt.Sprint(envSeed, "=", rng.Uint64()))
		outs[c] = new(bytes.Buffer)
		cmds[c].Stdout, cmds[c].Stderr = outs[c], outs[c]
		if err := cmds[c].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for c := range kill {
		time.AfterFunc(time.Duration(5+rng.IntN(100))*time.Millisecond, func() { cmds[c].Process.Kill() })
	}
	for c, cmd := range cmds {
		err := cmd.Wait()
		if c >= kill && err != nil {
			t.Fatalf("ingest %d: %v\n%s", c, err, outs[c])
		}
		recovered = append(recovered, strings.TrimSpace(outs[c].String()))
	}
	return recovered
}

// leftovers says what killed ingests left for recovery.
func leftovers(t *testing.T, d *Dataset) (commits, pending, tmp int) {
	st, err := d.readLedger()
	if err != nil {
		t.Fatal(err)
	}
	names, _ := readDirNames(filepath.Join(d.Dir(), tmpDir))
	return len(st.commits), len(st.pending), len(names)
}

// Ingests run as real processes, SIGKILLed at random points, several at
// once, then one more to the end: the dataset equals that of one
// uninterrupted ingest.
func TestProcesses(t *testing.T) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	clean := mustCreate(t)
	runChildren(t, clean.Dir(), 1, 0, rng)
	want := logical(t, clean)
	if keys, _ := held(clean); len(keys) != numInputs {
		t.Fatalf("an uninterrupted ingest committed %d inputs", len(keys))
	}

	d := mustCreate(t)
	left := 0
	for round := range 6 { // every ingest killed
		runChildren(t, d.Dir(), 2, 2, rng)
		commits, pending, tmp := leftovers(t, d)
		t.Logf("round %d: 2 ingests killed, leaving %d commits, %d pending intents, %d entries in _tmp", round, commits, pending, tmp)
		left += pending + tmp
	}
	runChildren(t, d.Dir(), 3, 1, rng) // concurrent ingests, one killed
	t.Logf("the last ingest recovered %s", runChildren(t, d.Dir(), 1, 0, rng)[0])
	if left == 0 {
		t.Error("no kill left anything to recover")
	}
	mustCheck(t, d)
	if got := logical(t, d); got != want || globbed(t, d) != want {
		t.Errorf("after killed and concurrent ingests:\n%s\nglobbed:\n%s\nwant\n%s", got, globbed(t, d), want)
	}
}
