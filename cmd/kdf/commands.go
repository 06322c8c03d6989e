package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one entry of the table that makes kdf's commands, help and
// usage.
type command struct {
	name    string
	args    string // the usage line after the name
	summary string
	// setup declares the command's flags on fs and returns the function
	// that runs it with the remaining arguments.
	setup func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

var commands = []*command{
	treeCommand,
	inspectCommand,
	ingestCommand,
	genCommand,
	queryCommand,
	sqlCommand,
	reportCommand,
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "kdf: analytics over kcov_dataflow trace buffers\n\nUsage:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  kdf %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun `kdf help COMMAND` for a command's options.\n")
}

func (c *command) flags(w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: kdf %s %s\n\n%s\n\n", c.name, c.args, c.summary)
		fs.PrintDefaults()
	}
	c.setup(fs)
	return fs
}

func (c *command) run(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: kdf %s %s\n\n", c.name, c.args)
		fs.PrintDefaults()
	}
	do := c.setup(fs)
	if err := fs.Parse(interleaved(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %s: %v", errUsage, c.name, err)
	}
	return do(ctx, e, fs.Args())
}

// interleaved moves flags given after positional arguments to the
// front, so `kdf tree BUF --kallsyms K` works as users type it.
func interleaved(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBool(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return append(flags, pos...)
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
