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
	// profile adds --cpuprofile and --memprofile (see profiled).
	profile bool
}

var commands = []*command{
	treeCommand,
	inspectCommand,
	protoCommand,
	profiled(ingestCommand),
	genCommand,
	recordCommand,
	profiled(queryCommand),
	sqlCommand,
	profiled(reportCommand),
	profiled(exportCommand),
	profiled(compactCommand),
	checkCommand,
	versionCommand,
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
	fmt.Fprintf(w, `
Run `+"`kdf help COMMAND`"+` (or kdf COMMAND --help) for a command's options.

Exit status:
  0  done
  1  failed: the error is on stderr
  2  usage error: a bad command, option or argument
  3  kdf ingest: done, but some inputs were rejected (see the dataset's rejects table)
`)
}

// flags returns the command's flag set, declared but not parsed.
func (c *command) flags() *flag.FlagSet {
	fs, _, _ := c.declare()
	return fs
}

// declare makes the command's flag set and returns it, the function
// that runs the command, and the profiles asked for.
func (c *command) declare() (*flag.FlagSet, func(context.Context, *env, []string) error, *profiles) {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run reports parse errors itself
	fs.Usage = func() {}
	do := c.setup(fs)
	p := &profiles{}
	if c.profile {
		p.register(fs)
	}
	return fs, do, p
}

// usage prints the command's usage line, summary and options.
func (c *command) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: kdf %s %s\n\n%s\n", c.name, c.args, c.summary)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintf(w, "\nOptions:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// run parses the command's flags and runs it. --help prints the
// command's usage on stdout and succeeds; a bad flag is a usage error.
func (c *command) run(ctx context.Context, e *env, args []string) error {
	fs, do, prof := c.declare()
	if err := fs.Parse(interleaved(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(e.stdout, fs)
			return nil
		}
		return fmt.Errorf("%w: %s: %v (kdf help %s lists the options)", errUsage, c.name, err, c.name)
	}
	stop, err := prof.start()
	if err != nil {
		return err
	}
	err = do(ctx, e, fs.Args())
	return errors.Join(err, stop())
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
