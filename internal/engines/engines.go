// Package engines runs, for tests, the Node.js scripts of
// testdata/engines: readers of kdf's output that know nothing of kdf
// (Polars, DuckDB's Node binding, Chrome DevTools' trace engine).
// .ci/run installs their packages; a test that needs one fails, saying
// how to install it, when it is missing.
package engines

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Install is what makes the scripts runnable.
const Install = "with Node.js 20 or later and npm on PATH, run: cd testdata/engines && npm ci"

// Dir is testdata/engines, found from the working directory up to the
// module's root.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "engines")
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the working directory: testdata/engines not found")
		}
		dir = up
	}
}

// Node runs `node script args...` in testdata/engines, once the packages
// it needs are installed, and returns what it printed.
func Node(t testing.TB, packages []string, script string, args ...string) []byte {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH: %s", Install)
	}
	dir := Dir(t)
	for _, pkg := range packages {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg)); err != nil {
			t.Fatalf("%s is not installed: %s", pkg, Install)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s\nif a package is missing: %s", script, err, stderr.Bytes(), Install)
	}
	return out
}
