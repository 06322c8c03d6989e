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

// errUsage marks an error whose message is a usage problem.
var errUsage = errors.New("usage")

func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "kdf:", err)
		return 2
	}
	fmt.Fprintln(stderr, "kdf:", err)
	return 1
}

// run is kdf without the process: arguments in, data to stdout,
// diagnostics to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				c.flags(stdout).Usage()
				return nil
			}
		}
		usage(stdout)
		return nil
	}
	c := lookup(name)
	if c == nil {
		usage(stderr)
		return fmt.Errorf("%w: unknown command %q", errUsage, name)
	}
	return c.run(ctx, &env{stdout: stdout, stderr: stderr}, args[1:])
}

// env is what a command may touch.
type env struct {
	stdout, stderr io.Writer
}
