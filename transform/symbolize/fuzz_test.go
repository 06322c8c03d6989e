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
	"strconv"
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
	if a != nil && b != nil && !sameTable(a, b) {
		t.Fatal("the tables differ")
	}
}

// sameTable reports whether two parses made the same table.
func sameTable(a, b *Table) bool {
	return a.Name == b.Name && a.Format == b.Format && a.names == b.names && slices.Equal(a.recs, b.recs) &&
		slices.Equal(a.modules, b.modules) && maps.Equal(a.raw, b.raw) && slices.Equal(a.addrs, b.addrs) &&
		slices.Equal(a.best, b.best) && a.BadLines == b.BadLines && a.ZeroAddrs == b.ZeroAddrs &&
		fmt.Sprint(a.FirstBad) == fmt.Sprint(b.FirstBad)
}

// FuzzParseKallsymsLike holds a parse guided by another snapshot's
// table to the parse of the bytes alone: the same table or error, for
// the guide's own lines at addresses moved by a KASLR shift, and for
// any other bytes.
func FuzzParseKallsymsLike(f *testing.F) {
	seedFuzz(f, []byte("ffffffff83a00000 T _text\nffffffffc0a01000 t helper\t[ext4]\n"), uint64(0x2a00000))
	f.Fuzz(func(t *testing.T, data []byte, other []byte, shift uint64) {
		prev, err := ParseKallsymsBytes(data, "prev")
		if err != nil {
			return
		}
		moved := shifted(data, shift)
		for _, b := range [][]byte{moved, other, append(moved[:len(moved):len(moved)], other...)} {
			got, gotErr := ParseKallsymsBytesLike(b, "fuzz", prev)
			want, wantErr := ParseKallsymsBytes(b, "fuzz")
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || (got == nil) != (want == nil) || got != nil && !sameTable(got, want) {
				t.Fatalf("guided parse of %q: %v; alone: %v", b, gotErr, wantErr)
			}
			if got != nil {
				if err := got.Check(); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// shifted is data with every line's leading 16 hex digits moved by
// shift, as another boot's KASLR moves a kallsyms; zero stays zero.
func shifted(data []byte, shift uint64) []byte {
	out := slices.Clone(data)
	for line := out; len(line) > 0; {
		if addr, ok := parseHex(line[:min(16, len(line))]); ok && len(line) >= 16 && addr != 0 {
			copy(line, fmt.Sprintf("%016x", addr+shift))
		}
		i := bytes.IndexByte(line, '\n')
		if i < 0 {
			break
		}
		line = line[i+1:]
	}
	return out
}

// seedFuzz adds the test files and a few lines as seeds, each followed
// by rest, the target's other arguments.
func seedFuzz(f *testing.F, rest ...any) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.kallsyms"))
	var seeds [][]byte
	for _, name := range append(files, filepath.Join("testdata", "System.map")) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	seeds = append(seeds,
		[]byte("ffffffff81000000 T _text\nffffffff81000000 d x\nffffffff81000000 w y\n"),
		[]byte("ffffffffffffffff T top\n0000000000000001 t low\t[m]\n"),
		[]byte("ffffffff81000000 T _ZN3foo4b\xffar3bazE\nffffffff81000010 t x\x1b\t[m\xfe]\n"),
		[]byte("ffffffff81000000 T _text\nffffffffc0001000 t f\t[m\\x41]\n"))
	for _, b := range seeds {
		f.Add(append([]any{b}, rest...)...)
	}
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
		if fast.plain && !cleanName(fast.name) {
			t.Fatalf("%q: the fast path found name %q plain", line, fast.name)
		}
		if fast.addr != general.addr || fast.typ != general.typ || !bytes.Equal(fast.name, general.name) ||
			!bytes.Equal(fast.module, general.module) || (fast.module == nil) != (general.module == nil) {
			t.Fatalf("%q: the fast path read %+v, the general parse %+v", line, fast, general)
		}
	})
}

// FuzzParseHex holds the hex reader, eight digits at a time for a
// kernel address, to strconv's.
func FuzzParseHex(f *testing.F) {
	for _, s := range []string{"ffffffff81000000", "FFFFFFFFC0A01000", "0000000000000000", "ffffffff8100000g", "ffffffff8100000", "7fffffffffffffff", "ffffffff81:00000", "fffffffff8100000/", "@fffffff81000000", "`fffffff81000000", "Gfffffff81000000", "\xb0fffffff8100000"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := parseHex(b)
		want, err := strconv.ParseUint(string(b), 16, 64)
		if ok != (err == nil && len(b) <= 16) || ok && got != want {
			t.Fatalf("parseHex(%q) = %#x, %v; strconv: %#x, %v", b, got, ok, want, err)
		}
	})
}
