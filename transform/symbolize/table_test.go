package symbolize

import (
	"strings"
	"testing"
)

// want is a lookup's expected answer; name "" means unresolved.
type want struct {
	name, module string
	offset       uint64
}

func checkLookup(t *testing.T, tab *Table, pc uint64, w want) {
	t.Helper()
	f, ok := tab.Lookup(pc)
	if ok != (w.name != "") || f.Name != w.name || f.Module != w.module || f.Offset != w.offset {
		t.Errorf("Lookup(%#x) = %+v, %v; want %+v", pc, f, ok, w)
	}
	if ok && (tab.Symbol(f.ID).Name != f.Name || f.Addr+f.Offset != pc) {
		t.Errorf("Lookup(%#x) = %+v disagrees with Symbol(%d) = %+v", pc, f, f.ID, tab.Symbol(f.ID))
	}
}

func TestLookupKallsyms(t *testing.T) {
	tab := loadFixture(t, "boot0.kallsyms")
	tests := []struct {
		name string
		pc   uint64
		want want
	}{
		{"function start", 0xffffffffab2c8a00, want{"vfs_write", "", 0}},
		{"inside function", 0xffffffffab2c8a24, want{"vfs_write", "", 0x24}},
		{"padding symbol", 0xffffffffab2c89f8, want{"__pfx_vfs_write", "", 8}},
		{"last byte before next", 0xffffffffab2c8d4f, want{"vfs_write", "", 0x34f}},
		{"alias prefers first listed", 0xffffffffab000000, want{"startup_64", "", 0}},
		{"T beats W at one address", 0xffffffffab0e4f34, want{"sys_ni_syscall", "", 4}},
		{"weak function", 0xffffffffab0a1238, want{"arch_cpu_idle_enter", "", 8}},
		{"lowercase weak", 0xffffffffab0e4f50, want{"__x64_sys_fanotify_init", "", 0}},
		{"second of duplicate names", 0xffffffffab3b1c58, want{"init_once", "", 8}},
		{"data after function", 0xffffffffab2c8f70, want{}},
		{"inside data after function", 0xffffffffab2c8f80, want{}},
		{"function after data", 0xffffffffab2c8fa4, want{"file_close_fd", "", 4}},
		{"rodata", 0xffffffffac200104, want{}},
		{"bss", 0xffffffffac900000, want{}},
		{"zero", 0, want{}},
		{"per-cpu", 0x1800, want{}},
		{"below kernel", 0xffffffffaaffffff, want{}},
		{"module function", 0xffffffffc0a01084, want{"df_func3", "eight_args_c", 4}},
		{"module last function", 0xffffffffc0a01300, want{"trigger_write", "eight_args_c", 0}},
		{"module alias", 0xffffffffc0a01400, want{"eight_args_c_exit", "eight_args_c", 0}},
		{"module data", 0xffffffffc0a05108, want{}},
		{"rust v0", 0xffffffffc0a10010, want{"_RNvCs3p16QzTwthP_15eight_args_rust13write_handler", "eight_args_rust", 0x10}},
		{"rust legacy", 0xffffffffc0a10900, want{"_ZN15eight_args_rust6helper17h1f0e5c2d3a4b6978E", "eight_args_rust", 0}},
		{"rust no_mangle", 0xffffffffc0a10590, want{"rdf_func_struct", "eight_args_rust", 0x10}},
		{"highest symbol", 0xffffffffc0b00000 + MaxFuncSize - 1, want{"bpf_prog_6deef7357e7b4530_sd_fw_egress", "bpf", MaxFuncSize - 1}},
		{"past highest symbol", 0xffffffffc0b00000 + MaxFuncSize, want{}},
		{"top of address space", ^uint64(0), want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkLookup(t, tab, tt.pc, tt.want) })
	}
}

func TestLookupSystemMap(t *testing.T) {
	tab := loadFixture(t, "System.map")
	tests := []struct {
		name string
		pc   uint64
		want want
	}{
		{"link-time function", 0xffffffff812c8a24, want{"vfs_write", "", 0x24}},
		{"alias: first listed by nm -n", DefaultLinkText, want{"_stext", "", 0}},
		{"T beats earlier W", 0xffffffff810e4f30, want{"sys_ni_syscall", "", 0}},
		{"data", 0xffffffff812c8f70, want{}},
		{"runtime pc", 0xffffffffab2c8a24, want{}},
		{"module pc", 0xffffffffc0a01084, want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkLookup(t, tab, tt.pc, tt.want) })
	}
}

func TestAddr(t *testing.T) {
	tab := loadFixture(t, "boot0.kallsyms")
	extra, err := ParseKallsyms(strings.NewReader(
		"0000000000001000 A shared\n"+
			"ffffffff81000000 T _text\n"+
			"ffffffff81000100 t shared\n"+
			"ffffffff81000200 d onlydata\n"+
			"ffffffff81000300 d moduleonly\t[m]\n"), "extra")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tab  *Table
		name string
		addr uint64
		ok   bool
	}{
		{tab, "_text", 0xffffffffab000000, true},
		{tab, "vfs_write", 0xffffffffab2c8a00, true},
		{tab, "init_once", 0xffffffffab1a2b40, true}, // first of two, and not the bss one
		{tab, "jiffies", 0xffffffffac600000, true},
		{tab, "fixed_percpu_data", 0, true},
		{tab, "df_func1", 0, false}, // module symbols are not core kernel
		{tab, "no_such_symbol", 0, false},
		{extra, "shared", 0xffffffff81000100, true}, // text beats an earlier data symbol
		{extra, "onlydata", 0xffffffff81000200, true},
		{extra, "moduleonly", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.tab.Name+"/"+tt.name, func(t *testing.T) {
			if a, ok := tt.tab.Addr(tt.name); a != tt.addr || ok != tt.ok {
				t.Errorf("Addr(%q) = %#x, %v; want %#x, %v", tt.name, a, ok, tt.addr, tt.ok)
			}
		})
	}
}

func TestDemangled(t *testing.T) {
	tab := loadFixture(t, "boot0.kallsyms")
	tests := []struct{ mangled, want string }{
		{"_RNvCs3p16QzTwthP_15eight_args_rust13write_handler", "eight_args_rust::write_handler"},
		{"_ZN15eight_args_rust6helper17h1f0e5c2d3a4b6978E", "eight_args_rust::helper"},
		{"_RNvXCs3p16QzTwthP_15eight_args_rustNtB2_9EightArgsNtCsaUZdYtiSE9K_6kernel6Module4init",
			"<eight_args_rust::EightArgs as kernel::Module>::init"},
		{"_RNvCs3p16QzTwthP_15eight_args_rust7LICENSE", "eight_args_rust::LICENSE"},
		{"vfs_write", "vfs_write"},
		{"__x64_sys_write", "__x64_sys_write"},
		{"rdf_func2", "rdf_func2"},
	}
	for _, tt := range tests {
		t.Run(tt.mangled, func(t *testing.T) {
			id := idOf(t, tab, tt.mangled)
			for range 2 { // the second call is served from the cache
				if got := tab.Demangled(id); got != tt.want {
					t.Errorf("Demangled(%s) = %q, want %q", tt.mangled, got, tt.want)
				}
			}
		})
	}
	t.Run("C++ and junk", func(t *testing.T) {
		cxx, err := ParseSystemMap(strings.NewReader(
			"1000 T _ZN3foo3barEi\n2000 T _ZNK3foo3bazEv\n3000 T _Znot_mangled\n4000 T _R\n"), "cxx")
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range []string{"foo::bar", "foo::baz", "_Znot_mangled", "_R"} {
			if got := cxx.Demangled(int32(id)); got != want {
				t.Errorf("Demangled(%s) = %q, want %q", cxx.Symbol(int32(id)).Name, got, want)
			}
		}
		if got := cxx.Demangled(-1) + cxx.Demangled(4); got != "" {
			t.Errorf("Demangled out of range = %q", got)
		}
	})
}

func idOf(t *testing.T, tab *Table, name string) int32 {
	t.Helper()
	for id := range int32(tab.Len()) {
		if tab.Symbol(id).Name == name {
			return id
		}
	}
	t.Fatalf("%s has no symbol %s", tab.Name, name)
	return -1
}

// TestCheck proves Check catches a broken index, so that the fuzzers'
// calls of it mean something.
func TestCheck(t *testing.T) {
	breakers := map[string]func(*Table){
		"unsorted":   func(t *Table) { t.addrs[1], t.addrs[2] = t.addrs[2], t.addrs[1] },
		"wrong best": func(t *Table) { t.best[0] = t.best[1] },
		"worse best": func(t *Table) { t.best[t.find(0xffffffffab000000)] = 8 }, // _stext
		"missing":    func(t *Table) { t.addrs, t.best = t.addrs[1:], t.best[1:] },
		"bad name":   func(t *Table) { t.recs[3].nameLen = 0xffff },
		"zero count": func(t *Table) { t.ZeroAddrs++ },
	}
	for name, breakIt := range breakers {
		t.Run(name, func(t *testing.T) {
			tab := loadFixture(t, "boot0.kallsyms")
			breakIt(tab)
			if err := tab.Check(); err == nil {
				t.Error("Check passed a broken table")
			}
		})
	}
}

// TestTableConcurrent shares one table between goroutines, as a
// campaign's per-boot symbolizers do; run it with -race.
func TestTableConcurrent(t *testing.T) {
	tab := loadFixture(t, "boot0.kallsyms")
	id := idOf(t, tab, "_RNvCs3p16QzTwthP_15eight_args_rust13write_handler")
	done := make(chan string)
	for range 4 {
		go func() {
			s, _ := New(Config{Runtime: tab, PCs: LinkTimePCs})
			s.Lookup(linkDfFunc3)
			done <- tab.Demangled(id)
		}()
	}
	for range 4 {
		if got := <-done; got != "eight_args_rust::write_handler" {
			t.Errorf("Demangled = %q", got)
		}
	}
}

// TestNamesValidUTF8: a name that is not UTF-8, or holds a control
// character, is given out escaped (one such name in Parquet breaks
// every query of the column), while RawName, Addr and demangling work
// on the file's bytes.
func TestNamesValidUTF8(t *testing.T) {
	tab, err := ParseKallsyms(strings.NewReader("ffffffff81000000 T _text\n"+
		"ffffffff81000100 T vfs_\xff\xfewrite\n"+
		"ffffffff81000200 T esc\x1b[31m\n"+
		"ffffffff81000300 t _ZN3foo4b\xffar3bazE\n"+
		"ffffffff81000400 t df_\xc3\x28\t[mod\xff]\n"+
		"ffffffff81000500 T caf\xc3\xa9\n"), "k")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pc                     uint64
		name, raw, dem, module string
	}{
		{0xffffffff81000100, `vfs_\xff\xfewrite`, "vfs_\xff\xfewrite", `vfs_\xff\xfewrite`, ""},
		{0xffffffff81000200, `esc\x1b[31m`, "esc\x1b[31m", `esc\x1b[31m`, ""},
		{0xffffffff81000300, `_ZN3foo4b\xffar3bazE`, "_ZN3foo4b\xffar3bazE", `foo::b\xffar::baz`, ""},
		{0xffffffff81000400, `df_\xc3(`, "df_\xc3\x28", `df_\xc3(`, `mod\xff`},
		{0xffffffff81000500, "café", "café", "café", ""},
	} {
		f, ok := tab.Lookup(c.pc)
		if !ok || f.Name != c.name || f.Module != c.module || tab.Symbol(f.ID).Name != c.name {
			t.Errorf("Lookup(%#x) = %+v, %v; want name %q module %q", c.pc, f, ok, c.name, c.module)
			continue
		}
		if raw, dem := tab.RawName(f.ID), tab.Demangled(f.ID); raw != c.raw || dem != c.dem {
			t.Errorf("%#x: RawName %q, Demangled %q; want %q, %q", c.pc, raw, dem, c.raw, c.dem)
		}
		if a, ok := tab.Addr(c.raw); c.module == "" && (!ok || a != c.pc) {
			t.Errorf("Addr(%q) = %#x, %v; want %#x", c.raw, a, ok, c.pc)
		}
	}
	if err := tab.Check(); err != nil {
		t.Error(err)
	}
}

// TestIndexOrderedStart holds the index, built from the start of the
// file that is in address order and the rest sorted, to its
// definition: modules listed out of address order, a module symbol at
// a core symbol's address, aliases of every rank on both sides, and
// hidden (zero) addresses in both parts.
func TestIndexOrderedStart(t *testing.T) {
	const kallsyms = `0000000000000000 A fixed_percpu_data
ffffffff81000000 t startup_alias
ffffffff81000000 T startup_64
ffffffff81000000 W startup_weak
ffffffff81000100 T core_b
0000000000000000 t hidden_core
ffffffff81000200 d core_data
ffffffff81000300 w core_c
ffffffffc0200000 T mod2_a	[mod2]
ffffffffc0200040 t mod2_b	[mod2]
ffffffffc0100000 t mod1_a	[mod1]
ffffffff81000300 T core_c_in_module	[mod1]
0000000000000000 t mod1_hidden	[mod1]
ffffffffc0100000 T mod1_a_strong	[mod1]
ffffffffc0100080 t mod1_b	[mod1]
ffffffff81000100 T core_b_again	[mod1]
`
	tab, err := ParseKallsyms(strings.NewReader(kallsyms), "t")
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pc   uint64
		want want
	}{
		{0xffffffff81000004, want{"startup_64", "", 4}},
		{0xffffffff81000100, want{"core_b", "", 0}},               // listed first of two T
		{0xffffffff81000300, want{"core_c_in_module", "mod1", 0}}, // T in the unordered part beats w
		{0xffffffffc0100010, want{"mod1_a_strong", "mod1", 0x10}}, // T beats t, listed later
		{0xffffffffc0100080, want{"mod1_b", "mod1", 0}},
		{0xffffffffc0200044, want{"mod2_b", "mod2", 4}},
		{0xffffffff81000210, want{}}, // data
	} {
		checkLookup(t, tab, c.pc, c.want)
	}
}
