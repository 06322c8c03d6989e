package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// launchEnv carries a launcher's orders from kdf to the copy of itself
// it starts; the launcher removes it before the command sees the
// environment.
const launchEnv = "KDF_RECORD_LAUNCH"

// The launcher's exit statuses when it could not run the command; the
// status pipe says why.
const (
	exitSetup = 126
	exitExec  = 127
)

// orders are what a launcher does before it execs the command.
type orders struct {
	status int  // the status pipe's descriptor
	device int  // the device's descriptor; -1 for a baseline run
	words  int  // the buffer's size, to map it
	enable bool // issue KCOV_DF_ENABLE
}

func (o orders) String() string {
	return fmt.Sprintf("status=%d,device=%d,words=%d,enable=%t", o.status, o.device, o.words, o.enable)
}

func parseOrders(s string) (orders, error) {
	o := orders{status: -1, device: -1}
	for kv := range strings.SplitSeq(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "status":
			o.status, err = strconv.Atoi(v)
		case "device":
			o.device, err = strconv.Atoi(v)
		case "words":
			o.words, err = strconv.Atoi(v)
		case "enable":
			o.enable, err = strconv.ParseBool(v)
		default:
			err = errors.New("unknown key")
		}
		if err != nil {
			return o, fmt.Errorf("%s=%q: %q: %v", launchEnv, s, kv, err)
		}
	}
	if o.status < 0 || (o.device >= 0 && o.words < 2) {
		return o, fmt.Errorf("%s=%q: no status pipe, or a device without its size", launchEnv, s)
	}
	return o, nil
}

// Launch makes this process a launcher if Record started it as one: it
// then runs the command Record gave it, in this process, and never
// returns. Otherwise it returns at once. A program that calls Record
// calls Launch first, before it starts any work (kdf does so in an init
// function).
func Launch() {
	spec, ok := os.LookupEnv(launchEnv)
	if !ok {
		return
	}
	// The task that enables recording must be the one that execs.
	runtime.LockOSThread()
	os.Unsetenv(launchEnv)
	o, err := parseOrders(spec)
	if err != nil || len(os.Args) < 3 {
		fmt.Fprintf(os.Stderr, "kdf record launcher: %v (args %q)\n", err, os.Args)
		os.Exit(exitSetup)
	}
	code, err := o.exec(os.Args[1], os.Args[2:])
	unix.Write(o.status, []byte("E "+strings.ReplaceAll(err.Error(), "\n", " ")+"\n"))
	os.Exit(code)
}

// exec readies the traced task and execs the command; it returns only
// if that failed, with the exit status to leave with.
func (o orders) exec(path string, argv []string) (int, error) {
	if _, err := unix.FcntlInt(uintptr(o.status), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return exitSetup, fmt.Errorf("status pipe: %w", err)
	}
	if o.device >= 0 {
		if err := o.start(); err != nil {
			return exitSetup, err
		}
	}
	unix.Write(o.status, []byte("T "+strconv.FormatInt(monotonic(), 10)+"\n"))
	err := unix.Exec(path, argv, os.Environ())
	return exitExec, fmt.Errorf("exec %s: %w", path, err)
}

// start maps the buffer, enables recording for this task and zeroes
// area[0], dropping what the ENABLE call itself recorded. The mapping
// goes with the execve; the descriptor stays open in the command, which
// keeps the buffer alive as long as the recorded task lives, even if
// kdf is killed: the RFC's kernel frees the buffer with the last
// descriptor, whether or not a task still writes to it.
func (o orders) start() error {
	area, err := unix.Mmap(o.device, 0, o.words*8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("map the buffer of %d words: %w", o.words, err)
	}
	if o.enable {
		if err := enable(o.device); err != nil {
			return err
		}
	}
	binary.LittleEndian.PutUint64(area, 0)
	return nil
}

// monotonic is CLOCK_MONOTONIC in nanoseconds: one clock for every
// process of the system, so the launcher's reading and kdf's compare.
func monotonic() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err) // CLOCK_MONOTONIC exists on every Linux
	}
	return ts.Nano()
}

// command is what to run and where its standard streams go.
type command struct {
	path   string   // the executable, found on $PATH
	argv   []string // its arguments, argv[0] as given
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// run is one run of the command.
type run struct {
	start  time.Time // when it was launched
	ns     int64     // from its execve until it was reaped
	ending Ending
	state  *os.ProcessState
}

// LaunchError is a launcher that could not run the command: the command
// did not run at all.
type LaunchError struct {
	Msg string
}

func (e *LaunchError) Error() string { return "the command did not run: " + e.Msg }

// launch runs the command once through a launcher: recorded on dev when
// dev is not nil, else with recording off. A cancelled ctx interrupts
// the command (SIGINT, then SIGKILL 5 seconds later).
func (c *command) launch(ctx context.Context, dev Device, words int) (run, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return run{}, err
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, "/proc/self/exe", append([]string{c.path}, c.argv...)...)
	cmd.Args[0] = "kdf-record-launcher"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.stdin, c.stdout, c.stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	cmd.ExtraFiles = []*os.File{w}
	o := orders{status: 3, device: -1}
	if dev != nil {
		f, enable := dev.Task()
		cmd.ExtraFiles = append(cmd.ExtraFiles, f)
		o.device, o.words, o.enable = 4, words, enable
	}
	cmd.Env = append(os.Environ(), launchEnv+"="+o.String())
	start := time.Now()
	err = cmd.Start()
	w.Close()
	if err != nil {
		return run{}, fmt.Errorf("start the launcher: %w", err)
	}
	status, _ := io.ReadAll(r) // until the execve closes it, or the launcher exits
	waitErr := cmd.Wait()
	end := monotonic()
	if err := ctx.Err(); err != nil {
		return run{}, fmt.Errorf("interrupted: %w", err)
	}
	execAt, launchErr := parseStatus(status, cmd.ProcessState)
	if launchErr != nil {
		return run{}, launchErr
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return run{}, waitErr
	}
	return run{start: start, ns: end - execAt, ending: endingOf(cmd.ProcessState), state: cmd.ProcessState}, nil
}

// parseStatus reads what the launcher wrote on the status pipe: "T ns"
// just before its execve, "E why" if it failed.
func parseStatus(b []byte, ps *os.ProcessState) (int64, error) {
	var at int64 = -1
	for line := range bytes.Lines(b) {
		s := strings.TrimSuffix(string(line), "\n")
		switch {
		case strings.HasPrefix(s, "E "):
			return 0, &LaunchError{Msg: s[2:]}
		case strings.HasPrefix(s, "T "):
			if n, err := strconv.ParseInt(s[2:], 10, 64); err == nil {
				at = n
			}
		}
	}
	if at < 0 {
		return 0, &LaunchError{Msg: fmt.Sprintf("the launcher ended before the command started (%s)", endingOf(ps))}
	}
	return at, nil
}
