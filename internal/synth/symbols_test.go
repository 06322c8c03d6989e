package synth

import (
	"bufio"
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/transform/symbolize"
)

var (
	systemMapLine = regexp.MustCompile(`^([0-9a-f]{16}) ([a-zA-Z]) (\S+)$`)
	kallsymsLine  = regexp.MustCompile(`^([0-9a-f]{16}) ([a-zA-Z]) (\S+)(\t\[(\w+)\])?$`)
)

type symLine struct {
	addr      uint64
	typ       byte
	name, mod string
}

func parseSyms(t *testing.T, data []byte, re *regexp.Regexp) []symLine {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Fatal("symbol table does not end in a newline")
	}
	var out []symLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		m := re.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		addr, _ := strconv.ParseUint(m[1], 16, 64)
		s := symLine{addr: addr, typ: m[2][0], name: m[3]}
		if len(m) > 5 {
			s.mod = m[5]
		}
		out = append(out, s)
	}
	return out
}

func TestSystemMap(t *testing.T) {
	k := NewKernel(1, Options{})
	syms := parseSyms(t, k.SystemMap(), systemMapLine)
	byName := map[string]symLine{}
	types := map[byte]int{}
	for i, s := range syms {
		if i > 0 && s.addr < syms[i-1].addr {
			t.Fatalf("%s at %#x after %#x: not in address order", s.name, s.addr, syms[i-1].addr)
		}
		byName[s.name] = s
		types[s.typ]++
	}
	if s := byName["_text"]; s.addr != TextBase || byName["_stext"].addr != TextBase {
		t.Errorf("_text at %#x", s.addr)
	}
	for fid, f := range k.Funcs {
		s, ok := byName[f.Name]
		if f.Module < 0 && (!ok || s.addr != f.Addr) {
			t.Errorf("%s missing or at %#x, want %#x", f.Name, s.addr, f.Addr)
		}
		if f.Module >= 0 && ok {
			t.Errorf("module function %s in System.map", k.QualifiedName(fid))
		}
	}
	for _, ty := range []byte("TtWdDbBrR") {
		if types[ty] == 0 {
			t.Errorf("no %c symbols", ty)
		}
	}
}

// TestDataSymbolsInterleave: some data symbols sit between two functions.
func TestDataSymbolsInterleave(t *testing.T) {
	syms := parseSyms(t, NewKernel(1, Options{}).SystemMap(), systemMapLine)
	isText := func(s symLine) bool { return strings.ContainsRune("TtW", rune(s.typ)) }
	n := 0
	for i := 1; i+1 < len(syms); i++ {
		if strings.ContainsRune("dDbBrR", rune(syms[i].typ)) && isText(syms[i-1]) && isText(syms[i+1]) {
			n++
		}
	}
	if n == 0 {
		t.Error("no data symbol between two functions")
	}
}

func TestKallsyms(t *testing.T) {
	k := NewKernel(1, Options{})
	b := k.Boot(3)
	off := b.KASLR()
	if off == 0 || off%(2<<20) != 0 || off >= 1<<30 {
		t.Fatalf("KASLR offset %#x", off)
	}
	syms := parseSyms(t, b.Kallsyms(false), kallsymsLine)
	text := map[string]uint64{}
	mods := map[string]bool{}
	for _, s := range syms {
		switch {
		case s.mod != "":
			mods[s.mod] = true
			if s.addr < ModuleArea {
				t.Errorf("module symbol %s at %#x", s.name, s.addr)
			}
			text[s.mod+":"+s.name] = s.addr
		case s.typ == 'A':
			if s.addr >= 1<<20 {
				t.Errorf("per-cpu %s at %#x", s.name, s.addr)
			}
		default:
			text[s.name] = s.addr
		}
	}
	if text["_text"] != TextBase+off {
		t.Errorf("_text at %#x, want %#x", text["_text"], TextBase+off)
	}
	for fid := range k.Funcs {
		if got := text[k.QualifiedName(fid)]; got != b.FuncAddr(fid) {
			t.Errorf("%s at %#x, want %#x", k.QualifiedName(fid), got, b.FuncAddr(fid))
		}
	}
	for _, m := range []string{"eight_args_c", "eight_args_rust", "rust_ffi_contract"} {
		if !mods[m] {
			t.Errorf("module %s missing", m)
		}
	}
	if _, ok := text["eight_args_rust:_RNvCs3p16QzTwthP_15eight_args_rust13write_handler"]; !ok {
		t.Error("Rust v0 write_handler missing")
	}
	if k.Boot(4).KASLR() == off && k.Boot(5).KASLR() == off {
		t.Error("boots share a KASLR offset")
	}
}

func TestKallsymsHidden(t *testing.T) {
	b := NewKernel(1, Options{}).Boot(0)
	syms := parseSyms(t, b.Kallsyms(true), kallsymsLine)
	if len(syms) != len(parseSyms(t, b.Kallsyms(false), kallsymsLine)) {
		t.Fatal("hidden kallsyms has other lines")
	}
	for _, s := range syms {
		if s.addr != 0 {
			t.Fatalf("hidden %s at %#x", s.name, s.addr)
		}
	}
}

// A kallsyms padded to a real kernel's size keeps every function where
// its records put it: each resolves to itself, by kdf's own symbolizer,
// and the padded text ends below the read-only data even at the most
// symbols allowed.
func TestKallsymsPadded(t *testing.T) {
	const want = 150_000
	k := NewKernel(1, Options{Symbols: want})
	b := k.Boot(3)
	data := b.Kallsyms(false)
	syms := parseSyms(t, data, kallsymsLine)
	if n := len(syms); n < want*99/100 || n > want*101/100 {
		t.Errorf("%d lines, want about %d", n, want)
	}
	tab, err := symbolize.ParseKallsyms(bytes.NewReader(data), "kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	for fid, f := range k.Funcs {
		for _, pc := range []uint64{b.FuncAddr(fid), b.FuncAddr(fid) + f.Size - 1} {
			got, ok := tab.Lookup(pc)
			if mod := moduleName(k, f.Module); !ok || got.Name != f.Name || got.Module != mod {
				t.Fatalf("%#x in %s resolves to %+v, %v", pc, k.QualifiedName(fid), got, ok)
			}
		}
	}
	big := NewKernel(1, Options{Symbols: MaxSymbols})
	for _, s := range big.core {
		if s.name == "_etext" && s.addr >= rodataBase {
			t.Errorf("_etext at %#x, past rodata at %#x", s.addr, uint64(rodataBase))
		}
	}
}

func moduleName(k *Kernel, mi int) string {
	if mi < 0 {
		return ""
	}
	return k.Modules[mi].Name
}

// Without KASLR every boot's kallsyms is the same bytes, the kernel at
// its link address; with it, no two boots' are.
func TestKallsymsNoKASLR(t *testing.T) {
	k := NewKernel(1, Options{NoKASLR: true})
	first := k.Boot(0).Kallsyms(false)
	for _, i := range []int{1, 7} {
		if b := k.Boot(i); b.KASLR() != 0 || !bytes.Equal(b.Kallsyms(false), first) {
			t.Errorf("boot %d: KASLR offset %#x, same kallsyms %v", i, b.KASLR(), bytes.Equal(b.Kallsyms(false), first))
		}
	}
	if s := parseSyms(t, first, kallsymsLine); !slices.ContainsFunc(s, func(s symLine) bool { return s.name == "_text" && s.addr == TextBase }) {
		t.Error("_text is not at the link address")
	}
	kaslr := NewKernel(1, Options{})
	if bytes.Equal(kaslr.Boot(0).Kallsyms(false), kaslr.Boot(1).Kallsyms(false)) {
		t.Error("with KASLR, two boots have the same kallsyms")
	}
}
