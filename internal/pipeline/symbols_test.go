package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"weak"

	"github.com/kdf-tools/kdf/ingest/source"
	"github.com/kdf-tools/kdf/internal/readback"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/transform/symbolize"
	"github.com/kdf-tools/kdf/transform/types"
)

// What the per-table caches hold is dropped past their bounds and made
// again (a kallsyms per boot, and with kdf record a BTF per boot,
// thousands in a campaign): with every bound at 1, so that tables and
// types are dropped and read again over and over, and batches of a few
// rows spanning boots, ingest writes what it writes with bounds no
// campaign here reaches, and reports a bad type file once.
func TestTableBoundsChangeNothing(t *testing.T) {
	cfg := synth.SmallConfig()
	cfg.Boots, cfg.Programs = 6, 3 // 12 boots, each with its kallsyms, layouts A and B
	src := genCampaign(t, cfg)
	btf, err := os.ReadFile(filepath.Join(src, "btf", "vmlinux"))
	must(t, err)
	boots, err := filepath.Glob(filepath.Join(src, "arm=*", "trial=*", "boot=*"))
	must(t, err)
	for i, boot := range boots { // as kdf record captures it; one unreadable
		b := btf
		if i == 2 {
			b = []byte("not BTF")
		}
		must(t, os.WriteFile(filepath.Join(boot, "vmlinux.btf"), b, 0o644))
	}
	ingest := func(kept, parsed int) string {
		t.Helper()
		defer func(k, p, r int) { maxTablesKept, maxParsedTables, maxReadTypes = k, p, r }(maxTablesKept, maxParsedTables, maxReadTypes)
		maxTablesKept, maxParsedTables, maxReadTypes = kept, parsed, parsed
		ds := filepath.Join(t.TempDir(), "ds")
		sum, err := Run(context.Background(), Config{Dataset: ds, Campaign: "c", Sources: []string{src}, BatchRows: 50, GroupRuns: 5, Workers: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Runs != 36 || sum.Rejects != 1 || sum.ByReason["bad_types"] != 1 {
			t.Fatalf("runs %d, rejects %d %v; want 36 runs and the bad type file once", sum.Runs, sum.Rejects, sum.ByReason)
		}
		return ds
	}
	want, got := ingest(1000, 1000), ingest(1, 1)
	named := 0
	for _, r := range readback.Table[boundsRecord](t, want, "records") {
		if r.ArgName != nil {
			named++
		}
	}
	if named == 0 {
		t.Fatal("no record named: the prototypes' cache is not exercised")
	}
	for table, rows := range map[string]func(string) []string{
		"records": func(ds string) []string {
			return lines(readback.Table[boundsRecord](t, ds, "records"))
		},
		"calls": func(ds string) []string {
			return lines(readback.Table[boundsCall](t, ds, "calls"))
		},
		"functions": func(ds string) []string {
			return lines(readback.Table[boundsFunction](t, ds, "functions"))
		},
	} {
		w, g := rows(want), rows(got)
		if len(w) == 0 || !slices.Equal(w, g) {
			t.Errorf("%s: %d rows with the bounds at 1, %d without; first difference:\n%s", table, len(g), len(w), firstDiff(g, w))
		}
	}
}

type boundsRecord struct {
	RunID     int64   `parquet:"run_id"`
	Idx       int64   `parquet:"idx"`
	Func      *string `parquet:"func,optional"`
	Demangled *string `parquet:"demangled,optional"`
	Module    string  `parquet:"module"`
	Offset    *uint64 `parquet:"func_offset,optional"`
	ArgName   *string `parquet:"arg_name,optional"`
	ArgType   *string `parquet:"arg_type,optional"`
	CallID    int64   `parquet:"call_id"`
}

type boundsCall struct {
	RunID    int64    `parquet:"run_id"`
	CallID   int64    `parquet:"call_id"`
	Func     *string  `parquet:"func,optional"`
	Module   string   `parquet:"module"`
	Status   string   `parquet:"status"`
	ArgNames []string `parquet:"arg_names,optional,list"`
	RetType  *string  `parquet:"ret_type,optional"`
}

type boundsFunction struct {
	Symbols string `parquet:"symbols"`
	Func    string `parquet:"func"`
	Addr    uint64 `parquet:"addr"`
}

// lines renders rows one per line, pointers as what they point to,
// sorted.
func lines[T any](rows []T) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		v := reflect.ValueOf(r)
		var b strings.Builder
		for f := range v.NumField() {
			x := v.Field(f)
			switch {
			case x.Kind() == reflect.Pointer && x.IsNil():
				b.WriteString("null")
			case x.Kind() == reflect.Pointer:
				fmt.Fprintf(&b, "%q", fmt.Sprint(x.Elem().Interface()))
			default:
				fmt.Fprintf(&b, "%q", fmt.Sprint(x.Interface()))
			}
			b.WriteByte(' ')
		}
		out[i] = b.String()
	}
	slices.Sort(out)
	return out
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + "\n" + b[i]
		}
	}
	return "(one is a prefix of the other)"
}

// The parsed tables are bounded: the oldest is parsed again when asked
// for again, the newest kept; a snapshot that cannot serve is kept, so
// that its problem is reported once however many tables pass.
func TestSymbolCacheBound(t *testing.T) {
	const boots = 12
	var contents []string
	for i := range boots {
		syms := fmt.Sprintf("ffffffff8100%04x T f%d\nffffffff8200%04x T g%d\n", i, i, i, i)
		if i == 3 {
			syms = "0000000000000000 T f\n0000000000000000 T g\n" // hidden addresses
		}
		contents = append(contents, syms)
	}
	snaps := bootSnapshots(t, contents)
	var c symbolCache
	first, err := c.table(snaps[0])
	if err != nil {
		t.Fatal(err)
	}
	var bad *cachedTable
	for i, s := range snaps {
		e, err := c.table(s)
		if (err != nil) != (i == 3) {
			t.Fatalf("boot %d: %v", i, err)
		}
		if i == 3 {
			bad = e
			if !c.takeReport(e) {
				t.Error("the hidden kallsyms's problem taken before")
			}
		}
		if parsed := len(c.entries) - 1; i >= maxParsedTables && parsed > maxParsedTables {
			t.Fatalf("after %d snapshots, %d parsed tables kept", i+1, parsed)
		}
	}
	if again, _ := c.table(snaps[0]); again == first || again.table == first.table {
		t.Error("the first table is still kept after more than the bound")
	}
	if last, _ := c.table(snaps[boots-1]); c.entries[c.sums[snaps[boots-1]].key] != last {
		t.Error("the last table is not kept")
	}
	if e, _ := c.table(snaps[3]); e != bad || c.takeReport(e) {
		t.Error("the hidden kallsyms's problem would be reported again")
	}
}

// bootSnapshots writes a boot directory per kallsyms content, boot=00
// and on, each with a buffer, and returns their snapshots as the walk
// hands them to ingest, in that order.
func bootSnapshots(t *testing.T, contents []string) []*source.Snapshot {
	t.Helper()
	dir := t.TempDir()
	for i, syms := range contents {
		boot := filepath.Join(dir, fmt.Sprintf("boot=%02d", i))
		must(t, os.MkdirAll(boot, 0o755))
		must(t, os.WriteFile(filepath.Join(boot, "kallsyms"), []byte(syms), 0o644))
		must(t, os.WriteFile(filepath.Join(boot, "p.kcdf"), oneRecord(1), 0o644))
	}
	var snaps []*source.Snapshot
	err := source.Walk(context.Background(), []string{dir}, source.Options{}, func(e *source.Entry) error {
		if e.Kind == source.KindBuffer {
			snaps = append(snaps, e.Kallsyms)
		}
		return nil
	})
	if err != nil || len(snaps) != len(contents) {
		t.Fatalf("%v, %d snapshots", err, len(snaps))
	}
	return snaps
}

// Snapshots of the same bytes share one parsed table, as every boot's
// kallsyms does without KASLR; other bytes have their own. A table with
// a problem to report (a line skipped, no _text) or none at all is each
// snapshot's own, so that the problem names its file, once.
func TestSymbolCacheShares(t *testing.T) {
	const (
		a      = "ffffffff81000000 T _text\nffffffff81000100 T f\n"
		b      = "ffffffff81000000 T _text\nffffffff81000200 T g\n"
		bad    = "ffffffff81000000 T _text\nnot a symbol\nffffffff81000100 T f\n"
		noText = "ffffffff81000100 T f\n"
		hidden = "0000000000000000 T _text\n0000000000000000 T f\n"
	)
	snaps := bootSnapshots(t, []string{a, a, b, bad, bad, noText, noText, hidden, hidden, a})
	defer func(n int) { maxParsedTables = n }(maxParsedTables)
	maxParsedTables = len(snaps) // none forgotten: this is not the test of the bound
	var c symbolCache
	var got []*cachedTable
	for round := range 2 { // asked for again, each snapshot gets what it got
		for i, s := range snaps {
			e, _ := c.table(s)
			if round == 0 {
				got = append(got, e)
			} else if e != got[i] {
				t.Errorf("boot %d: another entry when asked again", i)
			}
		}
	}
	if got[0].table == nil || got[1].table != got[0].table || got[9].table != got[0].table {
		t.Error("the same bytes were parsed more than once")
	}
	if got[2].table == got[0].table {
		t.Error("other bytes share a table")
	}
	for _, i := range []int{3, 4, 5, 6} {
		if tab := got[i].table; tab == nil || !strings.Contains(tab.Name, fmt.Sprintf("boot=%02d/", i)) {
			t.Errorf("boot %d: a table with a problem is not its own: %v", i, tab)
		}
	}
	for _, i := range []int{7, 8} {
		e := got[i]
		if e.err == nil || !strings.Contains(e.err.Error(), fmt.Sprintf("boot=%02d/", i)) {
			t.Errorf("boot %d: hidden kallsyms: %v", i, e.err)
		}
		if !c.takeReport(e) || c.takeReport(e) {
			t.Errorf("boot %d: the problem is not reported exactly once", i)
		}
	}
}

// Type sources of the same bytes share one reading, as kdf record's
// vmlinux.btf in every boot do; one of other bytes, or one that cannot
// be read, has its own.
func TestTypesCacheShares(t *testing.T) {
	btf, err := os.ReadFile(filepath.Join(genCampaign(t, synth.SmallConfig()), "btf", "vmlinux"))
	must(t, err)
	dir := t.TempDir()
	for i, b := range [][]byte{btf, btf, append(slices.Clone(btf), 0), []byte("not BTF"), btf, []byte("not BTF")} {
		boot := filepath.Join(dir, fmt.Sprintf("boot=%d", i))
		must(t, os.MkdirAll(boot, 0o755))
		must(t, os.WriteFile(filepath.Join(boot, "vmlinux.btf"), b, 0o644))
		must(t, os.WriteFile(filepath.Join(boot, "p.kcdf"), oneRecord(1), 0o644))
	}
	var srcs []*source.Types
	err = source.Walk(context.Background(), []string{dir}, source.Options{}, func(e *source.Entry) error {
		if e.Kind == source.KindBuffer {
			srcs = append(srcs, e.Types)
		}
		return nil
	})
	if err != nil || len(srcs) != 6 {
		t.Fatalf("%v, %d type sources", err, len(srcs))
	}
	var c typesCache
	var got []*cachedTypes
	for _, s := range srcs {
		got = append(got, c.get(s, types.Limits{}))
	}
	switch {
	case got[0].src == nil || got[0] != got[1] || got[0] != got[4]:
		t.Error("the same bytes were read more than once")
	case got[2] == got[0] || got[3] == got[0] || got[3].err == nil:
		t.Error("other bytes share the reading")
	case !strings.Contains(got[3].err.Error(), "boot=3/vmlinux.btf") || !strings.Contains(got[5].err.Error(), "boot=5/vmlinux.btf"):
		t.Errorf("an unreadable source's problem names another file: %v; %v", got[3].err, got[5].err)
	}
}

// A commit group spans many boots, each with a table of some megabytes:
// it keeps the functions rows of the symbols its runs used, copied out,
// never the tables themselves, which would otherwise all stay in memory
// until the group commits.
func TestGroupKeepsNoTable(t *testing.T) {
	const syms = "ffffffff81000000 T _text\nffffffff81000100 T do_read\n" +
		"ffffffff81000200 t _ZN4core3fmt5write17h0123456789abcdefE\nffffffffc0000000 t mod_init\t[ext4]\n"
	tab, err := symbolize.ParseKallsyms(strings.NewReader(syms), "boot=1/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	s, err := symbolize.New(symbolize.Config{Runtime: tab, PCs: symbolize.RuntimePCs})
	if err != nil {
		t.Fatal(err)
	}
	var used []int32
	for _, pc := range []uint64{0xffffffff81000104, 0xffffffff81000208, 0xffffffffc0000010, 0xffffffff81000108} {
		f, ok := s.Lookup(pc)
		if !ok {
			t.Fatalf("%#x did not resolve", pc)
		}
		if !slices.Contains(used, f.ID) {
			used = append(used, f.ID)
		}
	}
	wk := &worker{g: newGroup()}
	out := &Outcome{Symbols: s, Used: used}
	wk.addSymbols(&runRow{}, &tables{runtime: tab, runtimeName: "src:boot=1/kallsyms"}, out)
	wk.addSymbols(&runRow{}, &tables{runtime: tab, runtimeName: "src:boot=1/kallsyms"}, out) // a second run: no new rows
	gone := weak.Make(tab)
	tab, s, out = nil, nil, nil
	runtime.GC()
	if gone.Value() != nil {
		t.Error("the group keeps the symbol table alive")
	}
	var got []string
	for _, r := range wk.functionRows() {
		got = append(got, fmt.Sprintf("%s %s %s %s %s %#x", r.symbols, r.name, r.demangled, r.module, r.typ, r.addr))
	}
	want := []string{
		"src:boot=1/kallsyms do_read do_read  T 0xffffffff81000100",
		"src:boot=1/kallsyms _ZN4core3fmt5write17h0123456789abcdefE core::fmt::write  t 0xffffffff81000200",
		"src:boot=1/kallsyms mod_init mod_init ext4 t 0xffffffffc0000000",
	}
	if !slices.Equal(got, want) {
		t.Errorf("functions rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A snapshot the walk meets is parsed ahead, once, one at a time; the
// workers that ask for it later get that table, and one met while a
// parse runs ahead is left to them.
func TestSymbolCachePrefetch(t *testing.T) {
	const a = "ffffffff81000000 T _text\nffffffff81000100 T f\n"
	const b = "ffffffff81000000 T _text\nffffffff81000200 T g\n"
	snaps := bootSnapshots(t, []string{a, b})
	parsed := 0
	c := symbolCache{parsed: func(*symbolize.Table) { parsed++ }}
	var wg sync.WaitGroup
	c.prefetch(&source.Entry{Kallsyms: snaps[0]}, &wg)
	c.prefetch(&source.Entry{Kallsyms: snaps[0]}, &wg) // the same snapshot again: no second parse
	wg.Wait()
	if !c.met(snaps[0]) || parsed != 1 {
		t.Fatalf("prefetch: met %v, %d parses; want the snapshot met and one parse", c.met(snaps[0]), parsed)
	}
	e, err := c.table(snaps[0])
	if err != nil || e.table == nil || parsed != 1 {
		t.Fatalf("a worker's ask after the prefetch: %v, %d parses", err, parsed)
	}
	c.prefetching.Store(true) // a parse running ahead
	c.prefetch(&source.Entry{Kallsyms: snaps[1]}, &wg)
	wg.Wait()
	if c.met(snaps[1]) {
		t.Error("a second parse ran ahead beside the first")
	}
}

// A boot's kallsyms is parsed with the last one parsed as its guide:
// another boot's KASLR moved every address, and the table is the one
// its bytes alone give.
func TestSymbolCacheGuided(t *testing.T) {
	const boot0 = "0000000000000000 A fixed_percpu_data\nffffffff81000000 T _text\nffffffff81000100 T f\nffffffffc0001000 t m\t[mod]\n"
	const boot1 = "0000000000000000 A fixed_percpu_data\nffffffff9e000000 T _text\nffffffff9e000100 T f\nffffffffc7003000 t m\t[mod]\n"
	snaps := bootSnapshots(t, []string{boot0, boot1})
	var c symbolCache
	for i, s := range snaps {
		e, err := c.table(s)
		if err != nil {
			t.Fatal(err)
		}
		want, err := symbolize.ParseKallsymsBytes([]byte([]string{boot0, boot1}[i]), s.String())
		must(t, err)
		if c.lastKallsyms() != e.table {
			t.Errorf("boot %d: not the guide of the next", i)
		}
		for id := range int32(want.Len()) {
			got, w := e.table.Symbol(id), want.Symbol(id)
			if got != w {
				t.Errorf("boot %d: symbol %d is %+v, want %+v", i, id, got, w)
			}
			gf, gok := e.table.Lookup(w.Addr + 4)
			wf, wok := want.Lookup(w.Addr + 4)
			if gf != wf || gok != wok {
				t.Errorf("boot %d: Lookup(%#x) = %+v, %v; want %+v, %v", i, w.Addr+4, gf, gok, wf, wok)
			}
		}
	}
}
