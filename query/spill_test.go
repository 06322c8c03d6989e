package query

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// When KDF_TEST_SPILL_CHILD names a dataset, the test binary is a
// process that opens it, spills a file and waits to be killed.
func TestMain(m *testing.M) {
	if ds := os.Getenv("KDF_TEST_SPILL_CHILD"); ds != "" {
		spillChild(ds)
	}
	os.Exit(m.Run())
}

// TestStaleSpillDirs: a process killed with its database open leaves
// its private directory behind, spilled files and all; the next Open
// removes it, and leaves alone the directories of live databases, one
// whose owner is alive but has not locked it yet, one locked by an
// owner this process cannot see, and what is not kdf's.
func TestStaleSpillDirs(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	ingestInto(t, ds, "seed", false, writeSeedSessions(t))
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	killed := killedWithDatabaseOpen(t, ds)
	if _, err := os.Stat(filepath.Join(killed, "spilled")); err != nil {
		t.Fatalf("the killed process's directory is not there to clean: %v", err)
	}
	live := open(t, ds)
	unlocked := mkdir(t, tmp, spillPrefix+strconv.Itoa(os.Getpid())+"-starting")
	dead := mkdir(t, tmp, spillPrefix+"999999999-1") // above any pid_max
	elsewhere := mkdir(t, tmp, spillPrefix+"999999998-2")
	lock, err := lockDir(elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	other := mkdir(t, tmp, spillPrefix+"notes")

	open(t, ds)
	for path, want := range map[string]bool{killed: false, dead: false,
		live.tmp: true, unlocked: true, elsewhere: true, other: true} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s: kept %v, want %v", filepath.Base(path), err == nil, want)
		}
	}
}

// killedWithDatabaseOpen starts this test binary as a process that
// opens the dataset and spills a file, kills it with SIGKILL and
// returns its private directory.
func killedWithDatabaseOpen(t *testing.T, ds string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KDF_TEST_SPILL_CHILD="+ds)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dir := ""
	sc := bufio.NewScanner(out)
	for dir == "" && sc.Scan() {
		dir, _ = strings.CutPrefix(sc.Text(), "spill dir: ")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if dir == "" {
		t.Fatal("the child printed no directory")
	}
	return dir
}

// spillChild is the process killedWithDatabaseOpen kills.
func spillChild(ds string) {
	db, err := Open(ds)
	if err == nil {
		err = os.WriteFile(filepath.Join(db.tmp, "spilled"), []byte("block"), 0o600)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.WriteString("spill dir: " + db.tmp + "\n")
	time.Sleep(time.Hour)
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	path := filepath.Join(parent, name)
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}
