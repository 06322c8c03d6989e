package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/kdf-tools/kdf/ingest"
)

// Buffer sizes in u64 words, counter included.
const (
	// DefaultCapacity is 8 MiB, the size the RFC's capture tools use.
	DefaultCapacity = 1 << 20
	// MaxCapacity is the kernel's limit per descriptor, 128 MiB.
	MaxCapacity = ingest.MaxBufferWords
	// maxRepeat bounds Options.Repeat.
	maxRepeat = 100000
)

// Options say what to record and where.
type Options struct {
	// Dir is the campaign directory; the buffer goes to Dir/boot=<id>.
	Dir string
	// Command is the command line to run, Command[0] found on $PATH.
	Command []string
	// Capacity is the buffer's size in u64 words, counter included: a
	// whole number of pages, up to MaxCapacity; 0 is DefaultCapacity.
	Capacity int
	// Repeat is how many times the command runs with recording on, and
	// as many with it off; 0 is once.
	Repeat int
	// The command's standard streams; nil is /dev/null.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Check fills in the defaults and refuses what cannot be recorded.
func (o *Options) Check() error {
	page := os.Getpagesize() / 8
	if o.Capacity == 0 {
		o.Capacity = DefaultCapacity
	}
	if o.Repeat == 0 {
		o.Repeat = 1
	}
	switch {
	case len(o.Command) == 0 || o.Command[0] == "":
		return errors.New("no command to record")
	case o.Capacity < page || o.Capacity > MaxCapacity || o.Capacity%page != 0:
		return fmt.Errorf("capacity %d words: want a multiple of %d words (a page) from %d to %d", o.Capacity, page, page, MaxCapacity)
	case o.Repeat < 1 || o.Repeat > maxRepeat:
		return fmt.Errorf("repeat %d: want 1 to %d", o.Repeat, maxRepeat)
	}
	return nil
}

// Result is what Record wrote.
type Result struct {
	Buffer   string // the buffer's path
	Manifest Manifest
	Stats    *ingest.Stats // the buffer, decoded
	Ending   Ending        // how the kept run ended
	// Kallsyms and TypeSource are the snapshots written this time; ""
	// when the boot had them already, or the kernel has none.
	Kallsyms, TypeSource string
	// Warnings say what the capture lacks: a snapshot it could not
	// keep, a buffer that filled up or stayed empty.
	Warnings []string
}

// Record runs the command with recording on and off, opt.Repeat times
// each, and writes the kept buffer, the boot's snapshots and the
// manifest line into opt.Dir (see the package documentation). Nothing is
// written unless the recording succeeded: a device that does not open,
// a command that cannot be found or started, a directory that cannot be
// written, all fail before anything is. A command that fails or crashes
// is recorded all the same, its ending in the manifest.
func Record(ctx context.Context, open Opener, host Host, opt Options) (*Result, error) {
	if err := opt.Check(); err != nil {
		return nil, err
	}
	path, err := exec.LookPath(opt.Command[0])
	if err != nil {
		return nil, err
	}
	if err := writable(opt.Dir); err != nil {
		return nil, err
	}
	dir, err := bootDir(opt.Dir, host.BootID)
	if err != nil {
		return nil, err
	}
	c := &command{path: path, argv: opt.Command, stdin: opt.Stdin, stdout: opt.Stdout, stderr: opt.Stderr}
	r := &recording{words: opt.Capacity}
	for i := range opt.Repeat {
		if err := r.iteration(ctx, open, c, i%2 == 0); err != nil {
			return nil, err
		}
	}
	return r.write(dir, host, opt)
}

// recording is what the runs have gathered.
type recording struct {
	words          int
	execNS, baseNS []int64
	kept           run // the traced run whose buffer is kept
	buf            []byte
	layout         ingest.Layout
}

// iteration runs the command once with recording on and once with it
// off, in that order or the other. The device is ready before either
// runs, and the first run of all is traced: a command that cannot be
// recorded does not run at all.
func (r *recording) iteration(ctx context.Context, open Opener, c *command, tracedFirst bool) (err error) {
	dev, area, err := ready(open, r.words)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, dev.Close()) }()
	order := []Device{nil, dev}
	if tracedFirst {
		slices.Reverse(order)
	}
	for _, d := range order {
		ru, err := c.launch(ctx, d, r.words)
		if err != nil {
			return err
		}
		if d == nil {
			r.baseNS = append(r.baseNS, ru.ns)
			continue
		}
		dev.Exited(ru.state)
		r.execNS = append(r.execNS, ru.ns)
		r.layout = dev.Layout()
		if len(r.execNS) == 1 || r.kept.ending.OK() {
			r.kept, r.buf = ru, append(r.buf[:0], area...)
		}
	}
	return nil
}

// ready opens a device with a buffer of words, mapped.
func ready(open Opener, words int) (Device, []byte, error) {
	dev, err := open()
	if err != nil {
		return nil, nil, err
	}
	var area []byte
	if err = dev.Init(words); err == nil {
		area, err = dev.Map()
	}
	if err != nil {
		return nil, nil, errors.Join(err, dev.Close())
	}
	return dev, area, nil
}

// write writes the kept buffer and what goes with it into the boot's
// directory.
func (r *recording) write(dir string, host Host, opt Options) (*Result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	res := &Result{Ending: r.kept.ending}
	res.Stats = decode(r.buf, r.layout)
	var err error
	if res.Kallsyms, err = snapshot(dir, kallsymsName, host.Kallsyms, checkKallsyms); err != nil {
		res.warn("no kallsyms kept from %s (%v): the buffer's pcs cannot be resolved until one is put beside it", host.Kallsyms, err)
	}
	if res.TypeSource, err = snapshot(dir, typeSourceName, host.TypeSource, nil); err != nil && !errors.Is(err, fs.ErrNotExist) {
		res.warn("no type source kept from %s: %v", host.TypeSource, err)
	}
	name, err := writeBuffer(dir, r.buf)
	if err != nil {
		return nil, err
	}
	res.Buffer = dir + string(os.PathSeparator) + name
	res.Manifest = r.manifest(name, host, opt)
	if err := appendLine(dir, res.Manifest.line()); err != nil {
		return nil, fmt.Errorf("%s was written, but its manifest line was not: %w", res.Buffer, err)
	}
	res.judge()
	return res, nil
}

func (r *recording) manifest(name string, host Host, opt Options) Manifest {
	layout := r.layout.String()
	if r.layout == ingest.LayoutUnknown {
		layout = "auto"
	}
	m := Manifest{
		File: name, Program: shellQuote(opt.Command),
		ExecNS: median(r.execNS), BaselineNS: median(r.baseNS), Iterations: len(r.execNS),
		CapacityWords: r.words, Layout: layout, KernelRelease: host.Release,
		Timestamp: r.kept.start.UTC().Format(time.RFC3339Nano),
	}
	m.setEnding(r.kept.ending)
	return m
}

// decode reads the buffer as kdf ingest will, for the warnings.
func decode(buf []byte, layout ingest.Layout) *ingest.Stats {
	d := ingest.NewDecoderBytes(buf, "buffer", ingest.Options{Layout: layout})
	for d.Next() {
	}
	return d.Stats()
}

// judge warns about a buffer that lost records or holds none.
func (res *Result) judge() {
	switch s := res.Stats; {
	case s.Saturated:
		res.warn("the buffer filled up (%d of %d words): later records were dropped; record again with a larger --capacity (at most %d words)",
			s.Words+1, s.Capacity, MaxCapacity)
	case s.Records == 0:
		res.warn("no record: the command ran no instrumented kernel code (instrument it with KCOV_DATAFLOW_file.o := y in its Makefile, or CONFIG_KCOV_DATAFLOW_INSTRUMENT_ALL)")
	}
}

func (res *Result) warn(format string, args ...any) {
	res.Warnings = append(res.Warnings, fmt.Sprintf(format, args...))
}

// median of times, the mean of the middle two for an even count.
func median(ns []int64) int64 {
	s := slices.Sorted(slices.Values(ns))
	n := len(s)
	if n == 0 {
		return 0
	}
	return (s[(n-1)/2] + s[n/2]) / 2
}
