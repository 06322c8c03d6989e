package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/kdf-tools/kdf/ingest/capture"
)

var recordCommand = &command{
	name:    "record",
	args:    "[-o DIR] [--capacity WORDS] [--repeat N] -- COMMAND...",
	summary: "run a command with kcov_dataflow recording on; write its buffer, the boot's kallsyms and a manifest line as a campaign",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &recordOptions{}
		fs.StringVar(&o.dir, "o", ".", "the campaign `DIR`: buffers go to DIR/boot=<boot id>/, beside that boot's kallsyms")
		fs.IntVar(&o.capacity, "capacity", capture.DefaultCapacity,
			fmt.Sprintf("the buffer's size in u64 `WORDS`, counter included: a whole number of pages (%d words), at most %d (128 MiB)", os.Getpagesize()/8, capture.MaxCapacity))
		fs.IntVar(&o.repeat, "repeat", 1, "run the command `N` times with recording on and N times with it off, in turns; exec_ns and baseline_ns are the medians")
		fs.StringVar(&o.device, "device", capture.DevicePath, "the kcov_dataflow device's `PATH`")
		return o.run
	},
}

type recordOptions struct {
	dir      string
	capacity int
	repeat   int
	device   string
}

// The device and the host kdf record reads; tests put a simulated
// kernel in their place.
var (
	recordOpener = func(path string) capture.Opener {
		return func() (capture.Device, error) { return capture.OpenDevice(path) }
	}
	recordHost = capture.ThisHost
)

func (o *recordOptions) run(ctx context.Context, e *env, args []string) error {
	switch {
	case len(args) == 0:
		return fmt.Errorf("%w: record takes the command to run after --: kdf record [options] -- COMMAND...", errUsage)
	case o.capacity < 1 || o.repeat < 1:
		return fmt.Errorf("%w: record: --capacity %d, --repeat %d: want numbers above 0", errUsage, o.capacity, o.repeat)
	}
	opt := capture.Options{
		Dir: o.dir, Command: args, Capacity: o.capacity, Repeat: o.repeat,
		Stdin: os.Stdin, Stdout: e.stdout, Stderr: e.stderr,
	}
	if err := opt.Check(); err != nil {
		return fmt.Errorf("%w: record: %v", errUsage, err)
	}
	res, err := capture.Record(ctx, recordOpener(o.device), recordHost(), opt)
	if err != nil {
		return fmt.Errorf("record: %w (nothing written)", err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(e.stderr, "kdf: warning: %s\n", w)
	}
	printRecorded(e, res)
	return nil
}

// printRecorded says on stderr what was written: stdout is the command's.
func printRecorded(e *env, res *capture.Result) {
	s, m := res.Stats, &res.Manifest
	fmt.Fprintf(e.stderr, "recorded %s (%s) into %s: layout %s, %d records in %d of %d words (%.1f%%)\n",
		m.Program, res.Ending, res.Buffer, m.Layout, s.Records, s.Words+1, m.CapacityWords, 100*float64(s.Words+1)/float64(m.CapacityWords))
	fmt.Fprintf(e.stderr, "  exec %v, baseline %v (medians of %d runs each)", time.Duration(m.ExecNS).Round(time.Microsecond), time.Duration(m.BaselineNS).Round(time.Microsecond), m.Iterations)
	for _, f := range []string{res.Kallsyms, res.TypeSource} {
		if f != "" {
			fmt.Fprintf(e.stderr, "; kept %s", f)
		}
	}
	fmt.Fprintln(e.stderr)
}
