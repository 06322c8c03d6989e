package capture

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Ending is how a traced command ended: it exited with a status, or a
// signal killed it.
type Ending struct {
	// ExitCode is the exit status; -1 when a signal killed the command.
	ExitCode int
	// Signal is the signal that killed it; 0 when it exited.
	Signal syscall.Signal
	// CoreDumped: the signal left a core dump.
	CoreDumped bool
}

func endingOf(ps *os.ProcessState) Ending {
	if ps == nil {
		return Ending{ExitCode: -1}
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		return Ending{ExitCode: -1}
	case ws.Signaled():
		return Ending{ExitCode: -1, Signal: ws.Signal(), CoreDumped: ws.CoreDump()}
	}
	return Ending{ExitCode: ws.ExitStatus()}
}

// OK reports whether the command exited with status 0.
func (e Ending) OK() bool { return e.Signal == 0 && e.ExitCode == 0 }

// SignalName is the signal's name, SIGSEGV for example; "" when the
// command exited.
func (e Ending) SignalName() string {
	if e.Signal == 0 {
		return ""
	}
	if n := unix.SignalName(e.Signal); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", int(e.Signal))
}

func (e Ending) String() string {
	switch {
	case e.Signal != 0 && e.CoreDumped:
		return "killed by " + e.SignalName() + " (core dumped)"
	case e.Signal != 0:
		return "killed by " + e.SignalName()
	case e.ExitCode < 0:
		return "ended in an unknown way"
	}
	return fmt.Sprintf("exited with status %d", e.ExitCode)
}
