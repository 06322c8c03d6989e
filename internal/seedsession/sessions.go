// Package seedsession rebuilds the example sessions printed in the
// kcov_dataflow RFC v2 series as the buffers and kallsyms snapshots
// they were printed from, so that kdf's views can be checked against
// what the kernel developers saw.
package seedsession

import (
	"bufio"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

//go:embed testdata/*.tree.txt
var trees embed.FS

// Names lists the sessions, each named after its test module.
var Names = []string{"eight_args_c", "eight_args_rust", "rust_ffi_contract"}

// Session is one rebuilt session.
type Session struct {
	Name     string // the test module
	Tree     string // the tree as the series printed it
	Buffer   []byte // the layout-A buffer, trimmed to its counted words
	Kallsyms []byte
	// Window is the number of records the printed tree shows.
	Window int
}

// call is one printed line: an entry with its argument values, or a
// return.
type call struct {
	ret    bool
	name   string
	module string
	values []uint64
}

// Invented context around the printed window: the records before it
// whose arguments the window cut, and two records after it.
var (
	prefixC = []call{
		{name: "__x64_sys_write", values: []uint64{0xffffc90000a3ff58}},
		{name: "ksys_write", values: []uint64{0x4, 0x7ffd5c2e1a40, 0x1}},
		{name: "vfs_write", values: []uint64{0xffff888103c2a500, 0x7ffd5c2e1a40, 0x1}},
	}
	prefixRust = []call{
		{name: "__x64_sys_write", values: []uint64{0xffffc90000a3ff58}},
		{name: "ksys_write", values: []uint64{0x4}},
	}
	suffix = []call{
		{name: "fdget", values: []uint64{0x5}},
		{ret: true, name: "fdget", values: []uint64{0xffff888103c2a600}},
	}
)

// Build rebuilds the named session.
func Build(name string) (*Session, error) {
	text, err := trees.ReadFile("testdata/" + name + ".tree.txt")
	if err != nil {
		return nil, fmt.Errorf("no seed session %q", name)
	}
	shown, err := parseTree(string(text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	prefix := prefixC
	if name == "eight_args_rust" {
		prefix = prefixRust
	}
	lines := append(append(append([]call(nil), prefix...), shown...), suffix...)
	syms := newSymbols(lines)
	s := &Session{Name: name, Tree: string(text), Kallsyms: syms.kallsyms()}
	s.Buffer, s.Window = encode(lines, syms, len(prefix), len(prefix)+len(shown))
	return s, nil
}

var (
	retLine   = regexp.MustCompile(`^(0x[0-9a-f]+) = (\S+?)(?: \[(\w+)\])?\(\)$`)
	entryLine = regexp.MustCompile(`^(\S+?)(?: \[(\w+)\])?\((.*)\)$`)
)

func parseTree(text string) ([]call, error) {
	var out []call
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func parseLine(line string) (call, error) {
	if m := retLine.FindStringSubmatch(line); m != nil {
		v, err := strconv.ParseUint(m[1], 0, 64)
		return call{ret: true, name: m[2], module: m[3], values: []uint64{v}}, err
	}
	m := entryLine.FindStringSubmatch(line)
	if m == nil {
		return call{}, fmt.Errorf("not a tree line: %q", line)
	}
	c := call{name: m[1], module: m[2]}
	for _, a := range strings.Split(m[3], ", ") {
		v, err := strconv.ParseUint(a, 0, 64)
		if err != nil {
			return call{}, fmt.Errorf("argument %q: %w", a, err)
		}
		c.values = append(c.values, v)
	}
	return c, nil
}

// Write writes the named sessions (all of them with no names) into dir
// as an archive lays them out: dir/NAME/NAME.kcdf beside dir/NAME/kallsyms.
func Write(dir string, names ...string) error {
	if len(names) == 0 {
		names = Names
	}
	for _, name := range names {
		s, err := Build(name)
		if err != nil {
			return err
		}
		sub := filepath.Join(dir, name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(sub, name+".kcdf"), s.Buffer, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(sub, "kallsyms"), s.Kallsyms, 0o644); err != nil {
			return err
		}
	}
	return nil
}
