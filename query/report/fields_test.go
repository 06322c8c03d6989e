package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/synth"
)

// fieldsSources writes one layout-A buffer in which a struct changes
// between reads:
//
//	do_ioctl(req={1, 0, 7})         the struct at P
//	  fill_req(req={1, 5, 7})       P again, inside do_ioctl: field 1 0->5
//	  = 0
//	  check_req(req={1, 5, 9})      P again, after fill_req: field 2 7->9
//	  = 0
//	= 0
//	other(x={1, 5})                 P, but two fields: another struct
//	do_ioctl(req={2, 0, 7})         Q, never read again
//	= 0
//	do_ioctl(req=ERR_PTR)           faults: left out
//	= 0
func fieldsSources(t *testing.T) string {
	t.Helper()
	const base, p, q = 0xffffffff81000000, 0xffff888000001000, 0xffff888000002000
	funcs := []string{"do_ioctl", "fill_req", "check_req", "other"}
	w, err := synth.NewWriter(ingest.LayoutA, 4096)
	if err != nil {
		t.Fatal(err)
	}
	w.Enable()
	pc := func(f string) uint64 {
		for i, n := range funcs {
			if n == f {
				return base + uint64(i+1)*0x1000
			}
		}
		t.Fatalf("no function %s", f)
		return 0
	}
	entry := func(f string, ptr uint64, vals ...uint64) {
		sizes := make([]uint8, len(vals))
		for i := range sizes {
			sizes[i] = 8
		}
		w.Write(&synth.Callback{Kind: ingest.KindEntry, PC: pc(f), Size: uint32(8 * len(vals)), Ptr: ptr, Fields: sizes, Mem: vals})
	}
	ret := func(f string) {
		w.Write(&synth.Callback{Kind: ingest.KindRet, PC: pc(f), Size: 4, Ptr: 0xffffc90000a3fe00, Mem: []uint64{0}})
	}
	entry("do_ioctl", p, 1, 0, 7)
	entry("fill_req", p, 1, 5, 7)
	ret("fill_req")
	entry("check_req", p, 1, 5, 9)
	ret("check_req")
	ret("do_ioctl")
	entry("other", p, 1, 5)
	entry("do_ioctl", q, 2, 0, 7)
	ret("do_ioctl")
	entry("do_ioctl", 0xfffffffffffffff2, 0, 0, 0) // an ERR_PTR: every field faults
	ret("do_ioctl")
	dir := filepath.Join(t.TempDir(), "fields")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var kallsyms string
	for _, f := range funcs {
		kallsyms += fmt.Sprintf("%x T %s\n", pc(f), f)
	}
	if err := os.WriteFile(filepath.Join(dir, "kallsyms"), []byte(kallsyms), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prog.kcdf"), w.Bytes(false), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFieldsKnown: the report finds the two changes of the buffer above
// where they happened, and nothing else: do_ioctl's struct was read
// again once of its two reads (the ERR_PTR left out), inside the call,
// with field 1 changed; fill_req's once, after it returned, with field
// 2 changed; check_req's, other's and the second do_ioctl's never.
func TestFieldsKnown(t *testing.T) {
	db := openDataset(t, "fields", fieldsSources(t))
	tab := run(t, db, "fields", nil)
	checkPaper(t, "fields", "fields", tab)
	want := []string{
		"do_ioctl entry 0 0 2 1 1 0 []",
		"do_ioctl entry 0 1 2 1 1 1 [0x0->0x5]",
		"do_ioctl entry 0 2 2 1 1 0 []",
		"fill_req entry 0 0 1 1 0 0 []",
		"fill_req entry 0 1 1 1 0 0 []",
		"fill_req entry 0 2 1 1 0 1 [0x7->0x9]",
	}
	if len(tab.Rows) != len(want) {
		t.Fatalf("%d rows:\n%s", len(tab.Rows), tab)
	}
	for i, w := range want {
		col := func(name string) any { return tab.Rows[i][tab.Index(name)] }
		g := fmt.Sprintf("%v %v %v %v %v %v %v %v %v", col("function"), col("read"), col("arg_idx"), col("field_idx"),
			col("reads"), col("reread"), col("inside"), col("changed"), col("top_changes"))
		if g != w {
			t.Errorf("row %d: %s, want %s", i, g, w)
		}
	}
	readers := map[string]string{"do_ioctl": "[fill_req]", "fill_req": "[check_req]"}
	for _, r := range tab.Rows {
		if g := fmt.Sprint(r[tab.Index("next_readers")]); g != readers[r[tab.Index("function")].(string)] {
			t.Errorf("%v: next readers %s", r[tab.Index("function")], g)
		}
	}
	if only := run(t, db, "fields", map[string]string{"func": "fill_*"}); len(only.Rows) != 3 {
		t.Errorf("--func fill_*: %d rows, want fill_req's 3", len(only.Rows))
	}
}

// TestFieldsAgainstGo recomputes the counts over a generated campaign
// from the records rows: the reads of each struct, in record order per
// run, address, field count and type, and each read's next.
func TestFieldsAgainstGo(t *testing.T) {
	db := openDataset(t, "arms", genSources(t, armsCampaign()))
	rows, err := db.Query(context.Background(), `SELECT r.run_id, r.idx, r.kind, r.demangled, r.arg_idx, r.addr, r.fields,
       regexp_replace(r.arg_type, '^(const )?(.*?)( \*)?$', '\2'), c.last_record
FROM records r LEFT JOIN calls c ON c.run_id = r.run_id AND c.call_id = r.call_id
WHERE r.kind IN ('entry', 'ret') AND r.nvals > 1 AND r.addr <> 0
ORDER BY r.run_id, r.idx`, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := map[string][]any{} // the struct's last read so far
	counts := map[string][4]int{}
	key := func(r []any, field int) string {
		arg := any(nil)
		if r[2] == "entry" {
			arg = r[4]
		}
		return fmt.Sprint(r[3], " ", r[2], " ", arg, " ", field)
	}
	for _, r := range rows.Rows {
		fields := r[6].([]any)
		fault := true
		for _, f := range fields {
			fault = fault && f == uint64(0xbadadd85)
		}
		if fault {
			continue
		}
		s := fmt.Sprint(r[0], " ", r[5], " ", len(fields), " ", r[7])
		for i := range fields {
			c := counts[key(r, i)]
			c[0]++
			counts[key(r, i)] = c
		}
		if prev, ok := last[s]; ok {
			for i, f := range prev[6].([]any) {
				c := counts[key(prev, i)]
				c[1]++
				if end, ok := prev[8].(int64); ok && prev[2] == "entry" && r[1].(int64) <= end {
					c[2]++
				}
				if f != fields[i] {
					c[3]++
				}
				counts[key(prev, i)] = c
			}
		}
		last[s] = r
	}
	tab := run(t, db, "fields", nil)
	n := 0
	for _, c := range counts {
		if c[1] > 0 {
			n++
		}
	}
	if len(tab.Rows) != n || n == 0 {
		t.Errorf("%d rows, Go finds %d re-read fields", len(tab.Rows), n)
	}
	for _, r := range tab.Rows {
		col := func(name string) any { return r[tab.Index(name)] }
		k := fmt.Sprint(col("function"), " ", col("read"), " ", col("arg_idx"), " ", col("field_idx"))
		g := fmt.Sprint(col("reads"), col("reread"), col("inside"), col("changed"))
		if w := fmt.Sprint(int64(counts[k][0]), int64(counts[k][1]), int64(counts[k][2]), int64(counts[k][3])); g != w {
			t.Errorf("%s: report %s, Go %s", k, g, w)
		}
	}
}
