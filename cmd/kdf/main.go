// Command kdf turns kcov_dataflow trace buffers into facts a researcher
// can query: call trees and per-buffer accounting, a Parquet dataset
// ingested from a campaign's archives, SQL and canned reports over it,
// and synthetic campaigns to try it all on.
//
// Run `kdf help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// Exit statuses, as `kdf help` documents them.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitRejected = 3
)

// errUsage marks an error whose message is a usage problem; errRejected
// an ingest that did its work but rejected some inputs.
var (
	errUsage    = errors.New("usage")
	errRejected = errors.New("rejected")
)

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "kdf:", err)
	switch {
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, errRejected):
		return exitRejected
	}
	return exitError
}

// run is kdf without the process: arguments in, data to stdout,
// diagnostics to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		return help(stdout, args[1:])
	case "-version", "--version":
		name = versionCommand.name
	}
	c := lookup(name)
	if c == nil {
		usage(stderr)
		return fmt.Errorf("%w: unknown command %q", errUsage, name)
	}
	return c.run(ctx, &env{stdout: stdout, stderr: stderr}, args[1:])
}

// help prints kdf's usage, or a command's.
func help(w io.Writer, topics []string) error {
	switch {
	case len(topics) == 0:
		usage(w)
		return nil
	case len(topics) > 1:
		return fmt.Errorf("%w: help takes one COMMAND", errUsage)
	}
	c := lookup(topics[0])
	if c == nil {
		return fmt.Errorf("%w: help: unknown command %q (kdf help lists them)", errUsage, topics[0])
	}
	c.usage(w, c.flags())
	return nil
}

// env is what a command may touch.
type env struct {
	stdout, stderr io.Writer
}
