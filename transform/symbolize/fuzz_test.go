package symbolize

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func FuzzParseKallsyms(f *testing.F) {
	seedFuzz(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParsed(t, ParseKallsyms, data)
		sameParse(t, ParseKallsyms, ParseKallsymsBytes, data)
	})
}

func FuzzParseSystemMap(f *testing.F) {
	seedFuzz(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParsed(t, ParseSystemMap, data)
		sameParse(t, ParseSystemMap, ParseSystemMapBytes, data)
	})
}

// sameParse holds the parse of bytes in memory, sized from them, to
// the parse of a reader: the same table or the same error.
func sameParse(t *testing.T, fromReader func(io.Reader, string) (*Table, error), fromBytes func([]byte, string) (*Table, error), data []byte) {
	a, errA := fromReader(bytes.NewReader(data), "fuzz")
	b, errB := fromBytes(data, "fuzz")
	if fmt.Sprint(errA) != fmt.Sprint(errB) {
		t.Fatalf("errors differ: %v; from bytes %v", errA, errB)
	}
	if a == nil || b == nil {
		return
	}
	if a.names != b.names || !slices.Equal(a.recs, b.recs) || !slices.Equal(a.modules, b.modules) || !maps.Equal(a.raw, b.raw) ||
		!slices.Equal(a.addrs, b.addrs) || !slices.Equal(a.best, b.best) || a.BadLines != b.BadLines || a.ZeroAddrs != b.ZeroAddrs ||
		fmt.Sprint(a.FirstBad) != fmt.Sprint(b.FirstBad) {
		t.Fatal("the tables differ")
	}
}

func seedFuzz(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.kallsyms"))
	for _, name := range append(files, filepath.Join("testdata", "System.map")) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("ffffffff81000000 T _text\nffffffff81000000 d x\nffffffff81000000 w y\n"))
	f.Add([]byte("ffffffffffffffff T top\n0000000000000001 t low\t[m]\n"))
	f.Add([]byte("ffffffff81000000 T _ZN3foo4b\xffar3bazE\nffffffff81000010 t x\x1b\t[m\xfe]\n"))
}

// checkParsed holds a parse to its promises: a table or an *Error,
// never both; a valid index; and the address of every text symbol
// resolves, at offset 0, to the best symbol there, alike in Table and
// Symbolizer.
func checkParsed(t *testing.T, parseFn func(io.Reader, string) (*Table, error), data []byte) {
	tab, err := parseFn(bytes.NewReader(data), "fuzz")
	var e *Error
	if err != nil {
		if tab != nil || !errors.As(err, &e) {
			t.Fatalf("Parse = %v, %v: want nil and an *Error", tab, err)
		}
		return
	}
	if err := tab.Check(); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Runtime: tab, PCs: RuntimePCs})
	if err != nil {
		t.Fatal(err)
	}
	for id := range int32(min(tab.Len(), 1000)) {
		checkSymbol(t, tab, s, id)
	}
	KASLROffset(tab, tab)
}

func checkSymbol(t *testing.T, tab *Table, s *Symbolizer, id int32) {
	sym := tab.Symbol(id)
	if d := tab.Demangled(id); validName(d) != d {
		t.Fatalf("Demangled(%d) = %q: not valid UTF-8 without control characters", id, d)
	}
	if sym.Addr == 0 {
		return
	}
	f, ok := tab.Lookup(sym.Addr)
	best := tab.Symbol(tab.best[tab.find(sym.Addr)])
	if ok != best.IsText() || sym.IsText() && !ok || ok && (f.Offset != 0 || f.Addr != sym.Addr || tab.Symbol(f.ID) != best) {
		t.Fatalf("Lookup(%#x) = %+v, %v; symbol %d is %+v, best there %+v", sym.Addr, f, ok, id, sym, best)
	}
	if sf, sok := s.Lookup(sym.Addr); sf != f || sok != ok {
		t.Fatalf("Symbolizer.Lookup(%#x) = %+v, %v; Table.Lookup = %+v, %v", sym.Addr, sf, sok, f, ok)
	}
}

// FuzzParseLine holds the canonical fast path to the general parse: a
// line it takes reads alike through parseFields, with or without
// modules.
func FuzzParseLine(f *testing.F) {
	for _, line := range []string{
		"ffffffff81000000 T _text",
		"ffffffffc0a01000 t helper\t[ext4]",
		"ffffffffc0a01000 t helper\t[ext4] x",
		"ffffffffc0a01000 t helper\t\t[ext4]",
		"ffffffff81000000 T  two spaces",
		"ffffffff81000000 T name ",
		"ffffffff81000000 ? x",
		"81000000 T short_address",
		"ffffffff81000000 T _RNvCs3p16QzTwthP_15eight_args_rust3foo\t[m\xfe]",
	} {
		f.Add([]byte(line), true)
		f.Add([]byte(line), false)
	}
	f.Fuzz(func(t *testing.T, line []byte, modules bool) {
		fast, ok := parseCanonical(line, modules)
		if !ok {
			return
		}
		general, reason := parseFields(line, modules)
		if reason != "" {
			t.Fatalf("%q: the fast path read %+v, the general parse refused it: %s", line, fast, reason)
		}
		if fast.addr != general.addr || fast.typ != general.typ || !bytes.Equal(fast.name, general.name) ||
			!bytes.Equal(fast.module, general.module) || (fast.module == nil) != (general.module == nil) {
			t.Fatalf("%q: the fast path read %+v, the general parse %+v", line, fast, general)
		}
	})
}
