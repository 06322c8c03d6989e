package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// runKDF runs kdf and returns its output and error, whatever it is.
func runKDF(args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

// TestHelp: every command's help, asked for either way, goes to stdout
// and succeeds; asking help for no command is a usage error.
func TestHelp(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}} {
			out, errOut, err := runKDF(args...)
			if err != nil || errOut != "" || !strings.HasPrefix(out, "Usage: kdf "+c.name) {
				t.Errorf("kdf %s: %v, stderr %q, stdout %q", strings.Join(args, " "), err, errOut, out)
			}
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		out, _, err := runKDF(args...)
		if err != nil || !strings.Contains(out, "Exit status:") {
			t.Errorf("kdf %s: %v, %q", strings.Join(args, " "), err, out)
		}
	}
	for _, args := range [][]string{{"help", "nope"}, {"nope"}, {}, {"ingest", "--nope"}, {"help", "tree", "inspect"}} {
		if _, _, err := runKDF(args...); !errors.Is(err, errUsage) || exitCode(err, io.Discard) != exitUsage {
			t.Errorf("kdf %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		out, errOut, err := runKDF(args...)
		if err != nil || errOut != "" || !strings.HasPrefix(out, "kdf ") || !strings.Contains(out, runtime.Version()) ||
			!strings.Contains(out, "revision") || strings.Count(out, "\n") != 1 {
			t.Errorf("kdf %s: %v, stderr %q, stdout %q", args[0], err, errOut, out)
		}
	}
}

func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
	}{
		{nil, 0},
		{errors.New("disk full"), 1},
		{fmt.Errorf("%w: bad flag", errUsage), 2},
		{fmt.Errorf("%w: 3 inputs", errRejected), 3},
	} {
		var stderr bytes.Buffer
		if got := exitCode(c.err, &stderr); got != c.code || (c.err != nil) != strings.HasPrefix(stderr.String(), "kdf: ") {
			t.Errorf("exitCode(%v) = %d, stderr %q; want %d", c.err, got, stderr.String(), c.code)
		}
	}
}

// TestFlagBounds: numeric options out of range are usage errors that
// say the range, before any work.
func TestFlagBounds(t *testing.T) {
	buf, _, _ := seedFiles(t, "eight_args_c")
	ds := filepath.Join(t.TempDir(), "ds")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ingest", buf, "-o", ds, "-j", "100000"}, fmt.Sprintf("want 1 to %d workers", maxWorkers())},
		{[]string{"ingest", buf, "-o", ds, "-j", "-5"}, "-j -5: want 1 to"},
		{[]string{"ingest", buf, "-o", ds, "--mem-limit", "1KiB"}, "want at least 64 MiB"},
		{[]string{"ingest", buf, "-o", ds, "--mem-limit", "-1"}, "want a positive size"},
		{[]string{"ingest", buf, "-o", ds, "--max-archive-bytes", "0"}, "want a positive size"},
		{[]string{"ingest", buf, "-o", ds, "--max-manifest-line", "-3"}, "want a positive size"},
		{[]string{"ingest", buf, "-o", ds, "--max-attribute-value", "x"}, "want a positive size"},
		{[]string{"ingest", buf, "-o", ds, "--max-attributes", "-1"}, "want a positive number of keys"},
		{[]string{"ingest", buf, "-o", ds, "--shard", "3/2"}, "want i/n"},
		{[]string{"tree", buf, "-C", "-1"}, "want N >= 0"},
	} {
		_, _, err := runKDF(c.args...)
		if !errors.Is(err, errUsage) || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("kdf %s: %v, want a usage error saying %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	if _, err := os.Stat(ds); !os.IsNotExist(err) {
		t.Errorf("a refused ingest made its dataset: %v", err)
	}
}
