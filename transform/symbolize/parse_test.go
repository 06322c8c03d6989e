package symbolize

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"
)

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file            string
		syms, zero, bad int
	}{
		{"boot0.kallsyms", 101, 2, 0},
		{"System.map", 61, 2, 0},
		{"garbage.kallsyms", 4, 0, 9},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tab := loadFixture(t, tt.file)
			if tab.Len() != tt.syms || tab.ZeroAddrs != tt.zero || tab.BadLines != tt.bad {
				t.Errorf("Len, ZeroAddrs, BadLines = %d, %d, %d; want %d, %d, %d",
					tab.Len(), tab.ZeroAddrs, tab.BadLines, tt.syms, tt.zero, tt.bad)
			}
			if (tab.FirstBad != nil) != (tt.bad > 0) {
				t.Errorf("FirstBad = %v with %d bad lines", tab.FirstBad, tt.bad)
			}
		})
	}
}

func TestFirstBad(t *testing.T) {
	tab := loadFixture(t, "garbage.kallsyms")
	want := `kallsyms: testdata/garbage.kallsyms:2: bad address: "this is not a symbol line"`
	if got := tab.FirstBad.Error(); got != want {
		t.Errorf("FirstBad = %s\nwant      %s", got, want)
	}
	if !errors.Is(tab.FirstBad, ErrBadLine) {
		t.Errorf("FirstBad does not wrap ErrBadLine")
	}
	if s := tab.Symbol(3); s.Name != "df_func1" || s.Module != "eight_args_c" {
		t.Errorf("CRLF line parsed as %+v", s)
	}
}

// TestParseLine covers each way a single line can be good or bad.
func TestParseLine(t *testing.T) {
	tests := []struct {
		name, line string
		systemMap  bool
		want       Symbol
		reason     string // FirstBad's message starts with it; "" if good
	}{
		{"core", "ffffffff812c8a00 T vfs_write", false, Symbol{0xffffffff812c8a00, 'T', "vfs_write", ""}, ""},
		{"module", "ffffffffc0a01010 t df_func1\t[eight_args_c]", false, Symbol{0xffffffffc0a01010, 't', "df_func1", "eight_args_c"}, ""},
		{"upper hex", "FFFFFFFF812C8A00 W x", false, Symbol{0xffffffff812c8a00, 'W', "x", ""}, ""},
		{"short address", "1000 A cpu_debug_store", false, Symbol{0x1000, 'A', "cpu_debug_store", ""}, ""},
		{"spaces", "  ffffffff812c8a00   T  vfs_write  ", false, Symbol{0xffffffff812c8a00, 'T', "vfs_write", ""}, ""},
		{"crlf", "ffffffff812c8a00 T vfs_write\r", true, Symbol{0xffffffff812c8a00, 'T', "vfs_write", ""}, ""},
		{"bad hex", "ffffffffzz2c8a00 T vfs_write", false, Symbol{}, "bad address"},
		{"17 digits", "1ffffffff812c8a00 T vfs_write", false, Symbol{}, "bad address"},
		{"missing name", "ffffffff812c8a00 T", false, Symbol{}, "missing fields"},
		{"unknown type", "ffffffff812c8a00 Q vfs_write", false, Symbol{}, "unknown symbol type"},
		{"long type", "ffffffff812c8a00 TT vfs_write", false, Symbol{}, "unknown symbol type"},
		{"extra field", "ffffffff812c8a00 T vfs_write [m] x", false, Symbol{}, "extra fields"},
		{"module in System.map", "ffffffff812c8a00 T vfs_write\t[m]", true, Symbol{}, "extra fields"},
		{"unbracketed module", "ffffffff812c8a00 t f\tm", false, Symbol{}, "bad module field"},
		{"empty module", "ffffffff812c8a00 t f\t[]", false, Symbol{}, "bad module field"},
		{"binary", "\x00\x01\x02\xff binary", false, Symbol{}, "bad address"},
		{"NUL in name", "ffffffff812c8a00 T a\x00b", false, Symbol{0xffffffff812c8a00, 'T', `a\x00b`, ""}, ""},
		{"overlong", "ffffffff812c8a00 T " + strings.Repeat("x", MaxLineLen), false, Symbol{}, "line longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A good line after the one tested proves parsing goes on.
			in := tt.line + "\nffffffff81000000 T _text\n"
			parseFn := ParseKallsyms
			if tt.systemMap {
				parseFn = ParseSystemMap
			}
			tab, err := parseFn(strings.NewReader(in), "f")
			if err != nil {
				t.Fatal(err)
			}
			if tt.reason != "" {
				if tab.BadLines != 1 || tab.Len() != 1 || !strings.HasPrefix(tab.FirstBad.Msg, tt.reason) {
					t.Errorf("BadLines %d, Len %d, FirstBad %v; want 1 bad line (%s)", tab.BadLines, tab.Len(), tab.FirstBad, tt.reason)
				}
				return
			}
			if got := tab.Symbol(0); tab.BadLines != 0 || got != tt.want {
				t.Errorf("got %+v (%d bad), want %+v", got, tab.BadLines, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	hidden := string(readFixture(t, "hidden.kallsyms"))
	tests := []struct {
		name      string
		in        string
		systemMap bool
		is        error
		msg       string
	}{
		{"hidden", hidden, false, ErrHidden,
			"kallsyms: boot0/kallsyms: all 101 symbol addresses are zero (kptr_restrict hid them); " +
				"capture kallsyms as root with /proc/sys/kernel/kptr_restrict = 0"},
		{"hidden System.map", "0 T _text\n", true, ErrHidden,
			"system.map: boot0/kallsyms: all 1 symbol addresses are zero (this is not a usable System.map); " +
				"take the System.map the kernel build wrote beside vmlinux"},
		{"empty", "", false, ErrNoSymbols, "kallsyms: boot0/kallsyms: no valid symbols in 0 lines; want lines of ADDRESS TYPE NAME [MODULE], as /proc/kallsyms prints them"},
		{"only garbage", "\nhello\nworld wide web\n", false, ErrNoSymbols,
			`kallsyms: boot0/kallsyms: no valid symbols in 3 lines (2 bad, first at line 2: bad address: "hello"); ` +
				"want lines of ADDRESS TYPE NAME [MODULE], as /proc/kallsyms prints them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseFn := ParseKallsyms
			if tt.systemMap {
				parseFn = ParseSystemMap
			}
			_, err := parseFn(strings.NewReader(tt.in), "boot0/kallsyms")
			if !errors.Is(err, tt.is) || err.Error() != tt.msg {
				t.Errorf("err = %v\nwant  %s (%v)", err, tt.msg, tt.is)
			}
		})
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("ffffffff81000000 T _text\n"), iotest.ErrReader(boom))
	_, err := ParseKallsyms(r, "boot0/kallsyms")
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, boom) || e.Line != 2 {
		t.Errorf("err = %v, want a read error at line 2 wrapping %v", err, boom)
	}
}

// TestOverlong checks that a long line costs one line number, wherever
// it ends.
func TestOverlong(t *testing.T) {
	long := "ffffffff812c8a00 T " + strings.Repeat("x", 3*MaxLineLen)
	tests := []struct {
		name, in    string
		bad, syms   int
		firstBadAt  int
		lastSymName string
	}{
		{"middle", "ffffffff81000000 T _text\n" + long + "\nzz\nffffffff81000010 T b\n", 2, 2, 2, "b"},
		{"at EOF", "ffffffff81000000 T _text\n" + long, 1, 1, 2, "_text"},
		{"twice", long + "\n" + long + "\nffffffff81000010 T b\n", 2, 1, 1, "b"},
		{"exactly MaxLineLen", strings.Repeat(" ", MaxLineLen-1) + "\nffffffff81000010 T b\n", 0, 1, 0, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := ParseKallsyms(strings.NewReader(tt.in), "f")
			if err != nil {
				t.Fatal(err)
			}
			last := tab.Symbol(int32(tab.Len() - 1)).Name
			if tab.BadLines != tt.bad || tab.Len() != tt.syms || last != tt.lastSymName ||
				tt.bad > 0 && tab.FirstBad.Line != tt.firstBadAt {
				t.Errorf("BadLines %d, Len %d, last %s, FirstBad %v; want %d, %d, %s, line %d",
					tab.BadLines, tab.Len(), last, tab.FirstBad, tt.bad, tt.syms, tt.lastSymName, tt.firstBadAt)
			}
		})
	}
}

// Another boot of the same kernel, its symbols moved by KASLR, is read
// through the guide's names; a boot whose modules loaded in another
// order is parsed in full. Both give the table a parse alone gives.
func TestParseKallsymsLike(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "boot0.kallsyms"))
	if err != nil {
		t.Fatal(err)
	}
	prev, err := ParseKallsymsBytes(data, "boot0")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	first := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "\t[") })
	reordered := slices.Concat(lines[:first], lines[first+1:], lines[first:first+1])
	for _, c := range []struct {
		name   string
		data   []byte
		shares bool
	}{
		{"shifted", shifted(data, 0x1e00000), true},
		{"same", data, true},
		{"modules reordered", shifted([]byte(strings.Join(reordered, "")), 0x1e00000), false},
		{"one more line", append(shifted(data, 0x1e00000), "ffffffffc0f00000 t extra\t[m]\n"...), false},
	} {
		checkLike(t, c.name, c.data, prev, c.shares)
	}
	// A module named with a literal \x, as an escaped name reads: its
	// bytes in the file are the name the guide keeps.
	literal := []byte("ffffffff81000000 T _text\nffffffffc0001000 t f\t[m\\x41]\n")
	prev, err = ParseKallsymsBytes(literal, "boot0")
	if err != nil {
		t.Fatal(err)
	}
	checkLike(t, "a module named \\x41, then one more line", append(shifted(literal, 0x1000), "ffffffffc0002000 t g\t[n]\n"...), prev, false)
}

// checkLike parses data with prev as its guide and holds the table to
// the parse of data alone, and to sharing prev's names or not.
func checkLike(t *testing.T, name string, data []byte, prev *Table, shares bool) {
	t.Helper()
	got, err := ParseKallsymsBytesLike(data, "boot1", prev)
	want, wantErr := ParseKallsymsBytes(data, "boot1")
	if err != nil || wantErr != nil || !sameTable(got, want) {
		t.Errorf("%s: the guided parse differs from the parse alone (%v, %v)", name, err, wantErr)
		return
	}
	if got := unsafe.StringData(got.names) == unsafe.StringData(prev.names); got != shares {
		t.Errorf("%s: names shared with the guide: %v, want %v", name, got, shares)
	}
}
