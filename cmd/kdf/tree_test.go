package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/golden"
	"github.com/kdf-tools/kdf/internal/seedsession"
)

// seedFiles writes a rebuilt seed session's buffer and kallsyms.
func seedFiles(t *testing.T, name string) (buf, kallsyms string, s *seedsession.Session) {
	t.Helper()
	s, err := seedsession.Build(name)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	buf, kallsyms = filepath.Join(dir, name+".kcdf"), filepath.Join(dir, "kallsyms")
	if err := os.WriteFile(buf, s.Buffer, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kallsyms, s.Kallsyms, 0o644); err != nil {
		t.Fatal(err)
	}
	return buf, kallsyms, s
}

func kdf(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("kdf %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), errb.String()
}

// golden compares got with testdata/golden/name, or rewrites it.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), []byte(got))
}

// TestTreeSeedSessions prints the seed's three sessions as the series
// did (trigger-view.py MODULE -C 8) and checks kdf's tree against the
// golden files and, line by line, against what the series printed.
func TestTreeSeedSessions(t *testing.T) {
	for _, name := range seedsession.Names {
		t.Run(name, func(t *testing.T) {
			buf, ks, s := seedFiles(t, name)
			out, _ := kdf(t, "tree", buf, "--kallsyms", ks, "--module", name, "-C", "8")
			checkGolden(t, name+".tree", out)
			compareWithSeed(t, out, s.Tree)
		})
	}
}

var (
	structArg = regexp.MustCompile(`\{(0x[0-9a-f]+)[^}]*\}`)
	errnoNote = regexp.MustCompile(` \(-E[A-Z0-9_]+\)`)
	mangled   = strings.NewReplacer("eight_args_rust::write_handler", "_RNvCs3p16QzTwthP_15eight_args_rust13write_handler")
)

// compareWithSeed checks that kdf's tree says what the seed's did, once
// the seed's losses are applied to it: no indentation, only a struct's
// first field, no errno names or notes, mangled Rust names, and no mark
// for arguments cut by the context window.
func compareWithSeed(t *testing.T, kdfTree, seedTree string) {
	t.Helper()
	var got, want []string
	for _, l := range strings.Split(kdfTree, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "# ") && !strings.HasPrefix(l, "# showing") {
			continue
		}
		l, _, _ = strings.Cut(l, "  # ")
		l = structArg.ReplaceAllString(l, "$1")
		l = errnoNote.ReplaceAllString(l, "")
		l = strings.Replace(l, "(..., ", "(", 1)
		got = append(got, mangled.Replace(l))
	}
	for _, l := range strings.Split(seedTree, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "# ") && !strings.HasPrefix(l, "# showing") {
			continue
		}
		want = append(want, l)
	}
	if len(want) > 0 && !strings.HasPrefix(want[0], "# showing") {
		got = got[1:] // this session was printed without its header lines
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("kdf's tree, reduced to what the seed printed, differs:\n%s", golden.Diff(w, g))
	}
}

// TestTreeRaw checks --raw against trigger-view.py's layout, which
// scripts parse: kind, seq, symbol with module, argument index and size,
// first value word.
func TestTreeRaw(t *testing.T) {
	buf, ks, _ := seedFiles(t, "eight_args_c")
	out, _ := kdf(t, "tree", "--raw", buf, "--kallsyms", ks, "--module", "eight_args_c")
	checkGolden(t, "eight_args_c.raw", out)
	for _, want := range []string{
		"# 49 from eight_args_c\n",
		"[ENTRY] seq= 20 df_func2 [eight_args_c] arg[0](8) = 0x11\n",
		"[RET  ] seq= 22 df_func2 [eight_args_c] arg[0](8) = 0x33\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("raw output lacks %q", want)
		}
	}
}

// TestTreeOtherBoot: a tree symbolized with a kallsyms of another boot
// says, on stderr, that its pcs did not resolve and what that looks
// like.
func TestTreeOtherBoot(t *testing.T) {
	buf, ks, _ := seedFiles(t, "eight_args_c")
	moved := filepath.Join(t.TempDir(), "kallsyms")
	b, err := os.ReadFile(ks)
	must(t, err)
	must(t, os.WriteFile(moved, b, 0o644))
	moveSymbols(t, moved, 0x20000000)
	_, errOut, err := runKDF("tree", buf, "--kallsyms", moved)
	if err != nil || !strings.Contains(errOut, "pcs did not resolve to a function: a kallsyms of another boot or kernel looks like this") {
		t.Errorf("stderr %q, error %v", errOut, err)
	}
}

// TestNotABuffer: tree and inspect of a file that is no buffer fail in
// one line naming it, instead of printing a counter of 7e18 words.
func TestNotABuffer(t *testing.T) {
	text := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(text, []byte("# kdf\n\nkdf reads kcov_dataflow trace buffers.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	buf, _, _ := seedFiles(t, "eight_args_c")
	for _, args := range [][]string{{"tree", text}, {"inspect", text}, {"inspect", buf, text}} {
		out, errOut, err := runKDF(args...)
		if err == nil || exitCode(err, io.Discard) != exitError {
			t.Errorf("kdf %s: %v, want a failure", strings.Join(args, " "), err)
		}
		if !strings.Contains(errOut+err.Error(), text+": word 0: not a kcov_dataflow buffer") || strings.Contains(out, "README") {
			t.Errorf("kdf %s: stdout %q, stderr %q, error %v", strings.Join(args, " "), out, errOut, err)
		}
	}
}
