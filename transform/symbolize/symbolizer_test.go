package symbolize

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// PCs of boot0 (runtime) and of its kernel (link-time).
const (
	rtVfsWrite   = 0xffffffffab2c8a24 // vfs_write+0x24
	linkVfsWrite = rtVfsWrite - boot0Offset
	rtDfFunc3    = 0xffffffffc0a01084 // df_func3+4
	linkDfFunc3  = rtDfFunc3 - boot0Offset
)

func TestSymbolizer(t *testing.T) {
	boot0 := loadFixture(t, "boot0.kallsyms")
	sysmap := loadFixture(t, "System.map")
	offset := uint64(boot0Offset)
	wrong := uint64(0x1000)
	vfs := want{"vfs_write", "", 0x24}
	df3 := want{"df_func3", "eight_args_c", 4}
	tests := []struct {
		name    string
		cfg     Config
		pcs     map[uint64]want
		offset  uint64
		assumed bool
	}{
		{"A, kallsyms", Config{Runtime: boot0, LinkTime: sysmap, PCs: RuntimePCs},
			map[uint64]want{rtVfsWrite: vfs, rtDfFunc3: df3, linkVfsWrite: {}}, 0, false},
		{"A, kallsyms, offset ignored", Config{Runtime: boot0, PCs: RuntimePCs, KASLR: &wrong},
			map[uint64]want{rtVfsWrite: vfs}, 0, false},
		{"A, System.map, offset given", Config{LinkTime: sysmap, PCs: RuntimePCs, KASLR: &offset},
			map[uint64]want{rtVfsWrite: vfs, rtDfFunc3: {}}, boot0Offset, false},
		{"A, System.map, offset assumed 0", Config{LinkTime: sysmap, PCs: RuntimePCs},
			map[uint64]want{rtVfsWrite: {}, linkVfsWrite: vfs}, 0, true},
		{"B, kallsyms and System.map", Config{Runtime: boot0, LinkTime: sysmap, PCs: LinkTimePCs},
			map[uint64]want{linkVfsWrite: vfs, linkDfFunc3: df3, rtVfsWrite: {}}, boot0Offset, false},
		{"B, kallsyms, default _text", Config{Runtime: boot0, PCs: LinkTimePCs},
			map[uint64]want{linkVfsWrite: vfs, linkDfFunc3: df3}, boot0Offset, false},
		{"B, kallsyms, offset given", Config{Runtime: boot0, PCs: LinkTimePCs, KASLR: &wrong},
			map[uint64]want{rtVfsWrite - wrong: vfs, linkVfsWrite: {}}, wrong, false},
		{"B, System.map", Config{LinkTime: sysmap, PCs: LinkTimePCs},
			map[uint64]want{linkVfsWrite: vfs, linkDfFunc3: {}, rtVfsWrite: {}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if s.Offset() != tt.offset || s.OffsetAssumed() != tt.assumed {
				t.Errorf("Offset, OffsetAssumed = %#x, %v; want %#x, %v", s.Offset(), s.OffsetAssumed(), tt.offset, tt.assumed)
			}
			cause := "kallsyms of another boot" // what leaves pcs unresolved in a kallsyms
			switch {
			case tt.assumed:
				cause = "KASLR offset of 0 assumed"
			case tt.cfg.Runtime == nil:
				cause = "holds no module"
			}
			if !strings.Contains(s.MissCause(), cause) {
				t.Errorf("MissCause() = %q, want it to say %q", s.MissCause(), cause)
			}
			for pc, w := range tt.pcs {
				f, ok := s.Lookup(pc)
				if ok != (w.name != "") || f.Name != w.name || f.Module != w.module || f.Offset != w.offset {
					t.Errorf("Lookup(%#x) = %+v, %v; want %+v", pc, f, ok, w)
				}
				if ok && s.Table().Symbol(f.ID).Name != f.Name {
					t.Errorf("Lookup(%#x): ID %d is not %s in Table()", pc, f.ID, f.Name)
				}
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	noText, err := ParseKallsyms(strings.NewReader("ffffffffab2c8a00 T vfs_write\n"), "boot1/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"no tables", Config{PCs: LinkTimePCs}, "symbolize: no symbol table: need a kallsyms snapshot or a System.map"},
		{"bad PCSpace", Config{Runtime: noText, PCs: 7}, "symbolize: unknown PCSpace 7"},
		{"B without _text", Config{Runtime: noText, PCs: LinkTimePCs},
			"kallsyms: boot1/kallsyms: no _text symbol, so the KASLR offset is unknown; give it (kdf --kaslr-offset), or a complete snapshot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil || err.Error() != tt.err {
				t.Errorf("err = %v, want %s", err, tt.err)
			}
		})
	}
}

func TestSymbolizerStats(t *testing.T) {
	s, err := New(Config{Runtime: loadFixture(t, "boot0.kallsyms")})
	if err != nil {
		t.Fatal(err)
	}
	for _, pc := range []uint64{rtVfsWrite, rtVfsWrite, 0, rtDfFunc3, 0, rtVfsWrite} {
		s.Lookup(pc)
	}
	if got, want := s.Stats(), (Stats{Resolved: 4, Unresolved: 2, CacheHits: 3}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

// TestSymbolizerCache checks that cached answers equal the table's,
// with enough distinct PCs to make cache slots collide.
func TestSymbolizerCache(t *testing.T) {
	tab := loadFixture(t, "boot0.kallsyms")
	s, err := New(Config{Runtime: tab, PCs: LinkTimePCs})
	if err != nil {
		t.Fatal(err)
	}
	pcs := fixturePCs(tab, 20000, rand.New(rand.NewPCG(1, 2)))
	for round := range 3 {
		for _, pc := range pcs {
			pc -= boot0Offset // as layout B reports it
			got, gok := s.Lookup(pc)
			want, wok := tab.Lookup(pc + boot0Offset)
			if got != want || gok != wok {
				t.Fatalf("round %d: Lookup(%#x) = %+v, %v; table says %+v, %v", round, pc, got, gok, want, wok)
			}
		}
	}
	if st := s.Stats(); st.CacheHits == 0 || st.Resolved == 0 || st.Unresolved == 0 {
		t.Errorf("Stats = %+v, want hits, resolved and unresolved lookups", st)
	}
}

// fixturePCs returns n PCs near tab's symbols: mostly inside functions,
// some in data, gaps and past the end.
func fixturePCs(tab *Table, n int, r *rand.Rand) []uint64 {
	pcs := make([]uint64, n)
	for i := range pcs {
		s := tab.Symbol(int32(r.IntN(tab.Len())))
		pcs[i] = s.Addr + uint64(r.IntN(0x400))
	}
	return pcs
}
