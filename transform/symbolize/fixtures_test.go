package symbolize

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fixtures derived from testdata/boot0.kallsyms")

// boot0Offset is the KASLR offset testdata/boot0.kallsyms was written
// with: its _text is DefaultLinkText + boot0Offset.
const boot0Offset = 0x2a000000

// derived are the fixtures generated from boot0.kallsyms.
var derived = map[string]func([]byte) []byte{
	"System.map":      systemMapOf,
	"hidden.kallsyms": hiddenOf,
}

// TestDerivedFixtures keeps System.map and hidden.kallsyms in step with
// boot0.kallsyms; run with -update after editing it.
func TestDerivedFixtures(t *testing.T) {
	src := readFixture(t, "boot0.kallsyms")
	for name, derive := range derived {
		t.Run(name, func(t *testing.T) {
			want := derive(src)
			path := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := readFixture(t, name); !bytes.Equal(got, want) {
				t.Errorf("%s is stale; run go test -run TestDerivedFixtures -update", path)
			}
		})
	}
}

// systemMapOf makes the System.map of the kernel boot0 ran: core kernel
// symbols only, KASLR offset removed (absolute symbols stay), in the
// order `nm -n` prints (address, then name).
func systemMapOf(kallsyms []byte) []byte {
	type sym struct {
		addr uint64
		typ  byte
		name string
	}
	var syms []sym
	for _, line := range strings.Split(strings.TrimSpace(string(kallsyms)), "\n") {
		f, _ := parseLine([]byte(line), true)
		if f.module != nil {
			continue
		}
		s := sym{f.addr, f.typ, string(f.name)}
		if s.typ != 'A' && s.typ != 'a' && s.addr != 0 {
			s.addr -= boot0Offset
		}
		syms = append(syms, s)
	}
	slices.SortStableFunc(syms, func(a, b sym) int {
		return cmp.Or(cmp.Compare(a.addr, b.addr), strings.Compare(a.name, b.name))
	})
	var b bytes.Buffer
	for _, s := range syms {
		fmt.Fprintf(&b, "%016x %c %s\n", s.addr, s.typ, s.name)
	}
	return b.Bytes()
}

// hiddenOf is what a reader without CAP_SYSLOG sees under kptr_restrict.
func hiddenOf(kallsyms []byte) []byte {
	lines := strings.SplitAfter(string(kallsyms), "\n")
	for i, l := range lines {
		if len(l) > 16 {
			lines[i] = strings.Repeat("0", 16) + l[16:]
		}
	}
	return []byte(strings.Join(lines, ""))
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil && !*update {
		t.Fatal(err)
	}
	return b
}

func loadFixture(t testing.TB, name string) *Table {
	t.Helper()
	parseFn := ParseKallsyms
	if strings.HasPrefix(name, "System.map") {
		parseFn = ParseSystemMap
	}
	tab, err := parseFn(bytes.NewReader(readFixture(t, name)), "testdata/"+name)
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Check(); err != nil {
		t.Fatal(err)
	}
	return tab
}
