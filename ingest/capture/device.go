package capture

import (
	"os"

	"github.com/kdf-tools/kdf/ingest"
)

// A Device is one open descriptor of the kcov_dataflow device, with its
// own buffer, or something that acts as one (package capturetest
// simulates a kernel). Record opens one for every traced run.
type Device interface {
	// Layout is the buffer layout the kernel writes, or LayoutUnknown
	// when its uAPI does not say.
	Layout() ingest.Layout
	// Init allocates the buffer: words u64 words, counter included.
	Init(words int) error
	// Map maps the whole buffer, shared; the slice is valid until Close.
	Map() ([]byte, error)
	// Task returns the descriptor the traced task holds, and whether
	// the task must enable recording on it with KCOV_DF_ENABLE: a
	// kernel records a task only once the task asks, a simulated kernel
	// records on its own.
	Task() (f *os.File, enable bool)
	// Exited tells the device that the traced task has exited.
	Exited(*os.ProcessState)
	// Close unmaps the buffer and closes the descriptor.
	Close() error
}

// An Opener opens a Device.
type Opener func() (Device, error)
