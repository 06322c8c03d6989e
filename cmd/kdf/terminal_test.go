//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kdf-tools/kdf/internal/seedsession"
)

// When KDF_TEST_MAIN is set, the test binary is kdf, for tests that
// need it as a process of its own: at a terminal, killed by a signal.
func TestMain(m *testing.M) {
	if os.Getenv("KDF_TEST_MAIN") != "" {
		main()
	}
	os.Exit(m.Run())
}

// TestSQLShellTerminal: kdf sql at a terminal. Ctrl-C cancels a long
// statement and the next one works, Ctrl-C at the prompt drops what was
// typed, Tab completes names, Ctrl-D ends the session and gives the
// terminal back as it was; the next session recalls the statements
// with the up arrow, from the history file.
func TestSQLShellTerminal(t *testing.T) {
	ds := seedDataset(t)
	state := t.TempDir()
	history := filepath.Join(state, "kdf", "history")

	term := startTerminal(t, state, "sql", ds)
	term.waitFor(t, "kdf> ")
	term.send("SELECT count(*) FROM range(10000000000);\r")
	// Ctrl-C until the statement is cancelled: one that comes before
	// it runs is lost, one after it drops an empty line.
	for start := time.Now(); !strings.Contains(term.output(), "Error: interrupted"); {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("Ctrl-C did not cancel the statement:\n%s", term.output())
		}
		term.send("\x03")
		time.Sleep(300 * time.Millisecond)
	}
	if strings.Contains(term.output(), "10000000000\r\n") {
		t.Fatalf("the statement finished:\n%s", term.output())
	}
	term.send("SELECT 6 * 7 AS answer;\r")
	term.waitFor(t, "answer\r\n------\r\n    42")
	term.send("SELECT 'never run'\x03")
	term.send("SELECT count(*) AS n FROM ru\t")
	term.waitFor(t, "FROM run")
	term.send("s;\r")
	term.waitFor(t, "n\r\n-\r\n3")
	term.send("\x04")
	term.exit(t)
	if out := term.output(); strings.Contains(out, "never run") && strings.Contains(out, "Error: Parser") {
		t.Errorf("the line dropped with Ctrl-C ran:\n%s", out)
	}

	b, err := os.ReadFile(history)
	if err != nil {
		t.Fatal(err)
	}
	want := "SELECT count(*) FROM range(10000000000);\nSELECT 6 * 7 AS answer;\nSELECT count(*) AS n FROM runs;\n"
	if string(b) != want {
		t.Errorf("history file:\n%s\nwant:\n%s", b, want)
	}

	term = startTerminal(t, state, "sql", ds)
	term.waitFor(t, "kdf> ")
	term.send("\x1b[A\x1b[A\r") // up twice: the answer
	term.waitFor(t, "    42")
	term.send(".quit\r")
	term.exit(t)
}

// terminal is a kdf process on a pseudo-terminal.
type terminal struct {
	cmd   *exec.Cmd
	pty   *os.File // the terminal's side the user types on
	tty   *os.File // kdf's side
	mode  *unix.Termios
	mu    sync.Mutex
	out   bytes.Buffer
	ended chan struct{}
}

// TestIngestProgressTerminal: kdf ingest at a terminal draws its status
// on one line and erases it for the summary.
func TestIngestProgressTerminal(t *testing.T) {
	src := filepath.Join(t.TempDir(), "seed")
	if err := seedsession.Write(src); err != nil {
		t.Fatal(err)
	}
	term := startTerminal(t, t.TempDir(), "ingest", src, "-o", filepath.Join(t.TempDir(), "ds"), "--campaign", "seed")
	term.waitFor(t, " commits\r\n")
	term.exit(t)
	out := term.output()
	status, summary, ok := strings.Cut(out, "\r\x1b[Kingested 3 inputs")
	if !ok || !strings.HasPrefix(status, "\ringesting: ") || strings.Contains(status, "\n") {
		t.Fatalf("want a status line erased for the summary:\n%q", out)
	}
	if strings.Contains(summary, "ingesting:") {
		t.Errorf("the status was drawn after the summary:\n%q", out)
	}
}

// startTerminal runs kdf with args on a new pseudo-terminal of 120x40,
// with XDG_STATE_HOME at state.
func startTerminal(t *testing.T, state string, args ...string) *terminal {
	t.Helper()
	pty, tty, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { pty.Close(); tty.Close() })
	if err := unix.IoctlSetWinsize(int(pty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120}); err != nil {
		t.Fatal(err)
	}
	mode, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "KDF_TEST_MAIN=1", "XDG_STATE_HOME="+state, "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	// A session of its own with the terminal as its controlling one,
	// so that Ctrl-C reaches kdf as SIGINT.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	term := &terminal{cmd: cmd, pty: pty, tty: tty, mode: mode, ended: make(chan struct{})}
	go term.read()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return term
}

func (term *terminal) read() {
	defer close(term.ended)
	b := make([]byte, 4096)
	for {
		n, err := term.pty.Read(b)
		term.mu.Lock()
		term.out.Write(b[:n])
		term.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

func (term *terminal) send(keys string) {
	term.pty.WriteString(keys)
}

// waitFor waits for text to appear in what kdf wrote.
func (term *terminal) waitFor(t *testing.T, text string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(term.output(), text) {
			return
		}
	}
	t.Fatalf("no %q in what kdf wrote:\n%s", text, term.output())
}

// exit waits for kdf to end, successfully, with the terminal in the
// mode it found it in.
func (term *terminal) exit(t *testing.T) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- term.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("kdf sql: %v\n%s", err, term.output())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("kdf sql did not end:\n%s", term.output())
	}
	mode, err := unix.IoctlGetTermios(int(term.tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if mode.Lflag != term.mode.Lflag || mode.Iflag != term.mode.Iflag {
		t.Errorf("kdf left the terminal in another mode: lflag %#x, iflag %#x, was %#x, %#x",
			mode.Lflag, mode.Iflag, term.mode.Lflag, term.mode.Iflag)
	}
}

// openPTY opens a new pseudo-terminal pair.
func openPTY() (pty, tty *os.File, err error) {
	pty, err = os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(pty.Fd())
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err == nil {
		err = unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0)
	}
	if err == nil {
		tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	}
	if err != nil {
		pty.Close()
		return nil, nil, err
	}
	return pty, tty, nil
}
