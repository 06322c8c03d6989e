package capture

import (
	"encoding/json"
	"strings"
)

// Host says where a capture reads what it keeps about the running
// kernel.
type Host struct {
	Kallsyms string // the kernel's symbols: /proc/kallsyms
	// TypeSource is the kernel's BTF, /sys/kernel/btf/vmlinux; a kernel
	// without it has none to copy.
	TypeSource string
	BootID     string // a file holding the boot's id: /proc/sys/kernel/random/boot_id
	Release    string // the kernel's release, as uname -r prints it
}

// ThisHost is the running kernel's Host.
func ThisHost() Host {
	return Host{
		Kallsyms:   "/proc/kallsyms",
		TypeSource: "/sys/kernel/btf/vmlinux",
		BootID:     "/proc/sys/kernel/random/boot_id",
		Release:    release(),
	}
}

// Manifest is the manifest.jsonl line of one recorded buffer. kdf ingest
// reads program, exec_ns, baseline_ns and timestamp into columns of its
// runs table, capacity_words and layout into how it decodes the buffer,
// and keeps every field in runs.attrs.
type Manifest struct {
	File       string `json:"file"`        // the buffer's name, beside the manifest
	Program    string `json:"program"`     // the command line, quoted as sh would read it
	ExecNS     int64  `json:"exec_ns"`     // median time of the traced runs, ns from execve to exit
	BaselineNS int64  `json:"baseline_ns"` // median time of the runs with recording off
	Iterations int    `json:"iterations"`  // traced runs, and as many with recording off
	// CapacityWords is the buffer's size in u64 words, counter included.
	CapacityWords int `json:"capacity_words"`
	// Layout is A or B, the uAPI the kernel offered; auto when it did
	// not say which.
	Layout        string `json:"layout"`
	KernelRelease string `json:"kernel_release"` // uname -r
	Timestamp     string `json:"timestamp"`      // when the kept run started, RFC 3339 in UTC
	// How the kept run ended: its exit status, or the signal that killed
	// it (SIGSEGV, for one) and whether that left a core dump.
	ExitCode   *int   `json:"exit_code,omitempty"`
	Signal     string `json:"signal,omitempty"`
	CoreDumped bool   `json:"core_dumped,omitempty"`
}

// line is the manifest line, newline included.
func (m *Manifest) line() []byte {
	b, _ := json.Marshal(m) // strings and numbers only: it cannot fail
	return append(b, '\n')
}

// setEnding records how the kept run ended.
func (m *Manifest) setEnding(e Ending) {
	m.ExitCode, m.Signal, m.CoreDumped = nil, e.SignalName(), e.CoreDumped
	if e.Signal == 0 {
		code := e.ExitCode
		m.ExitCode = &code
	}
}

// shellQuote writes a command line as sh would read it back: words of
// safe characters as they are, others in single quotes.
func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
