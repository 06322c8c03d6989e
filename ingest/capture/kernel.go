package capture

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/kdf-tools/kdf/ingest"
)

// DevicePath is where the kernel offers kcov_dataflow.
const DevicePath = "/sys/kernel/debug/kcov_dataflow"

// The ioctl requests, encoded as linux/ioctl.h's _IO and _IOR do: the
// direction in bits 30..31, the argument's size in 16..29, the type in
// 8..15, the number in 0..7.
var (
	ioctlInitTrack     = ioctlRequest(iocRead, 'd', 1, unsafe.Sizeof(uintptr(0))) // _IOR('d', 1, unsigned long)
	ioctlEnable        = ioctlRequest(iocNone, 'd', 100, 0)                       // _IO('d', 100)
	ioctlRemoteDisable = ioctlRequest(iocNone, 'd', 103, 0)                       // _IO('d', 103), the fork's uAPI only
)

const (
	iocNone = 0
	iocRead = 2
)

func ioctlRequest(dir, typ, nr uint, size uintptr) uint {
	return dir<<30 | uint(size)<<16 | typ<<8 | nr
}

// kernelDevice is the kernel's device. Its methods are the whole of
// kdf's ioctl and mmap calls on it, with enable, which the launcher
// calls in the traced task.
type kernelDevice struct {
	f      *os.File
	layout ingest.Layout
	words  int
	area   []byte
}

// OpenDevice opens the kernel's kcov_dataflow device at path (normally
// DevicePath) and finds which layout it writes. When it cannot, the
// error says what is missing: the kernel option, the debugfs mount or
// the permission.
func OpenDevice(path string) (Device, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, explain(path, err, gatherFacts(path))
	}
	return &kernelDevice{f: f, layout: probeLayout(int(f.Fd()))}, nil
}

// probeLayout asks KCOV_DF_REMOTE_DISABLE of a fresh descriptor: the
// fork's kernel does it, with nothing to undo (it does the same on
// every close), the RFC's answers ENOTTY.
func probeLayout(fd int) ingest.Layout {
	err := unix.IoctlSetInt(fd, ioctlRemoteDisable, 0)
	switch {
	case err == nil:
		return ingest.LayoutB
	case errors.Is(err, unix.ENOTTY):
		return ingest.LayoutA
	}
	return ingest.LayoutUnknown
}

func (d *kernelDevice) Layout() ingest.Layout { return d.layout }

func (d *kernelDevice) Init(words int) error {
	if err := unix.IoctlSetInt(int(d.f.Fd()), ioctlInitTrack, words); err != nil {
		return fmt.Errorf("allocate the buffer of %d words (KCOV_DF_INIT_TRACK): %w", words, err)
	}
	d.words = words
	return nil
}

func (d *kernelDevice) Map() ([]byte, error) {
	area, err := unix.Mmap(int(d.f.Fd()), 0, d.words*8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map the buffer of %d words: %w", d.words, err)
	}
	d.area = area
	return area, nil
}

func (d *kernelDevice) Task() (*os.File, bool) { return d.f, true }

// Exited does nothing: the kernel wrote the records while the task ran,
// and ended the session when it exited.
func (d *kernelDevice) Exited(*os.ProcessState) {}

func (d *kernelDevice) Close() error {
	var err error
	if d.area != nil {
		err = unix.Munmap(d.area)
		d.area = nil
	}
	return errors.Join(err, d.f.Close())
}

// enable is KCOV_DF_ENABLE, issued by the task to be recorded.
func enable(fd int) error {
	if err := unix.IoctlSetInt(fd, ioctlEnable, 0); err != nil {
		return fmt.Errorf("enable recording (KCOV_DF_ENABLE): %w", err)
	}
	return nil
}
