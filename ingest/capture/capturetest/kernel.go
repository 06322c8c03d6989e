// Package capturetest simulates a kernel with kcov_dataflow, for tests
// of package capture and of kdf record on machines whose kernel has
// none. Its devices behave as the kernel's do for everything but the
// ioctls: the buffer is memory shared through a descriptor (a memfd)
// that the launcher maps and zeroes as it would the kernel's, and when
// the traced task exits, the records the kernel would have written while
// it ran are written into the buffer by internal/synth's writer, the
// kernel's kcov_df_write for either layout, with its truth kept.
package capturetest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/ingest/capture"
	"github.com/kdf-tools/kdf/internal/synth"
)

// Kernel is a simulated kernel, booted once.
type Kernel struct {
	// Layout is the uAPI the kernel offers: LayoutA or LayoutB.
	Layout ingest.Layout
	// Callbacks is how many hooks each traced run executes: as many
	// records while they fit, the rest dropped as the kernel drops
	// them.
	Callbacks int

	seed uint64
	boot *synth.Boot

	mu   sync.Mutex
	runs []*synth.Program
}

// NewKernel boots a simulated kernel: the generator's kernel for seed,
// its first boot, a few hundred hooks per traced run.
func NewKernel(layout ingest.Layout, seed uint64) *Kernel {
	return &Kernel{Layout: layout, Callbacks: 400, seed: seed, boot: synth.NewKernel(seed, synth.Options{}).Boot(1)}
}

// Open opens a device, a descriptor with a buffer of its own; it is a
// capture.Opener.
func (k *Kernel) Open() (capture.Device, error) {
	fd, err := unix.MemfdCreate("kcov_dataflow", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("capturetest: %w", err)
	}
	return &device{k: k, f: os.NewFile(uintptr(fd), "kcov_dataflow")}, nil
}

// Runs returns the programs the traced runs executed, in order, each
// with its dump (Program.Bytes, the whole buffer) and its truth.
func (k *Kernel) Runs() []*synth.Program {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]*synth.Program(nil), k.runs...)
}

// BootID is the boot's id, as the kernel's boot_id file gives it.
func (k *Kernel) BootID() string {
	return fmt.Sprintf("%08x-5eed-4b00-8000-%012x", uint32(k.seed), k.seed&0xffffffffffff)
}

// Host writes into dir the files the kernel's boot shows, its kallsyms
// and boot id and, with typeSource, its BTF, and returns the Host that
// reads them.
func (k *Kernel) Host(dir string, typeSource bool) (capture.Host, error) {
	h := capture.Host{
		Kallsyms:   filepath.Join(dir, "kallsyms"),
		TypeSource: filepath.Join(dir, "btf-vmlinux"),
		BootID:     filepath.Join(dir, "boot_id"),
		Release:    "6.16.0-kcov-dataflow-" + k.Layout.String(),
	}
	files := map[string][]byte{h.Kallsyms: k.boot.Kallsyms(false), h.BootID: []byte(k.BootID() + "\n")}
	if typeSource {
		vmlinux, _, err := k.boot.Kernel().BTF()
		if err != nil {
			return h, err
		}
		files[h.TypeSource] = vmlinux
	}
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return h, err
		}
	}
	return h, nil
}

// record runs the traced task's program through the kernel's writer.
func (k *Kernel) record(words int) (*synth.Program, error) {
	w, err := synth.NewWriter(k.Layout, words)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	p, err := synth.RunProgram(k.boot, w, synth.ProgramConfig{
		Seed: k.seed<<16 + uint64(len(k.runs)), Syscalls: 1, Callbacks: k.Callbacks,
		ResetAfterEnable: true, Full: true, Truth: true, ErrorRate: 0.05, FaultRate: 0.02,
	})
	if err != nil {
		return nil, err
	}
	k.runs = append(k.runs, p)
	return p, nil
}

// device is one descriptor of the simulated kernel.
type device struct {
	k     *Kernel
	f     *os.File
	words int
	area  []byte
}

func (d *device) Layout() ingest.Layout { return d.k.Layout }

// Init refuses what KCOV_DF_INIT_TRACK refuses.
func (d *device) Init(words int) error {
	switch {
	case d.words != 0:
		return fmt.Errorf("capturetest: init: %w", unix.EBUSY)
	case words < 2 || words > ingest.MaxBufferWords:
		return fmt.Errorf("capturetest: init %d words: %w", words, unix.EINVAL)
	}
	if err := d.f.Truncate(int64(words) * 8); err != nil {
		return err
	}
	d.words = words
	return nil
}

func (d *device) Map() ([]byte, error) {
	if d.words == 0 {
		return nil, fmt.Errorf("capturetest: map before init: %w", unix.EINVAL)
	}
	area, err := unix.Mmap(int(d.f.Fd()), 0, d.words*8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	d.area = area
	return area, err
}

// Task needs no KCOV_DF_ENABLE: the simulated kernel records whoever
// holds the descriptor.
func (d *device) Task() (*os.File, bool) { return d.f, false }

// Exited writes what the kernel would have recorded of the task.
func (d *device) Exited(*os.ProcessState) {
	p, err := d.k.record(d.words)
	if err != nil {
		panic(fmt.Sprintf("capturetest: %v", err)) // a Kernel set up wrongly
	}
	copy(d.area, p.Bytes)
}

func (d *device) Close() error {
	if d.area != nil {
		unix.Munmap(d.area)
		d.area = nil
	}
	return d.f.Close()
}
