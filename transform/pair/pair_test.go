package pair

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/seedsession"
)

// rec builds records tersely: kind, pc, argument index, segment.
func rec(kind ingest.Kind, pc uint64, arg uint8, seg int32) ingest.Record {
	return ingest.Record{Kind: kind, PC: pc, ArgIdx: arg, Segment: seg, Size: 8, Values: []uint64{uint64(pc) + uint64(arg)}}
}

const (
	E = ingest.KindEntry
	R = ingest.KindRet
	C = ingest.KindCmp
)

// shape prints calls as "pc:status@depth^parent[first-last]".
func shape(calls []*Call) string {
	var parts []string
	for _, c := range calls {
		parts = append(parts, fmt.Sprintf("%d:%s@%d^%d[%d-%d]", c.PC, c.Status, c.Depth, c.Parent, c.First, c.Last))
	}
	return strings.Join(parts, " ")
}

func TestPairRules(t *testing.T) {
	tests := []struct {
		name  string
		recs  []ingest.Record
		want  string
		links string
	}{
		{"nested", []ingest.Record{rec(E, 1, 0, 0), rec(E, 1, 1, 0), rec(E, 2, 0, 0), rec(R, 2, 0, 0), rec(R, 1, 0, 0)},
			"1:complete@0^-1[0-4] 2:complete@1^0[2-3]", "0 0 1 1 0"},
		{"direct recursion splits on the index restart", []ingest.Record{rec(E, 1, 0, 0), rec(E, 1, 1, 0), rec(E, 1, 0, 0), rec(E, 1, 1, 0), rec(R, 1, 0, 0), rec(R, 1, 0, 0)},
			"1:complete@0^-1[0-5] 1:complete@1^0[2-4]", "0 0 1 1 1 0"},
		{"void function closed by its caller's return", []ingest.Record{rec(E, 1, 0, 0), rec(E, 9, 0, 0), rec(E, 3, 0, 0), rec(R, 3, 0, 0), rec(R, 1, 0, 0)},
			"1:complete@0^-1[0-4] 9:no_return@1^0[1-3] 3:complete@2^1[2-3]", "0 1 2 2 0"},
		{"return without entry", []ingest.Record{rec(E, 1, 0, 0), rec(R, 5, 0, 0), rec(R, 1, 0, 0), rec(R, 7, 0, 0)},
			"1:complete@0^-1[0-2] 5:no_entry@1^0[1-1] 7:no_entry@0^-1[3-3]", "0 1 0 2"},
		{"pre-entry return", []ingest.Record{rec(E, 1, 0, 0), rec(R, 2, 0, 0), rec(E, 2, 0, 0), rec(E, 2, 1, 0), rec(R, 2, 0, 0), rec(R, 1, 0, 0)},
			"1:complete@0^-1[0-5] 2:complete@1^0[2-4]", "0 1* 1 1 1 0"},
		{"pre-entry return of a function called in a loop", []ingest.Record{rec(E, 1, 0, 0), rec(R, 2, 0, 0), rec(E, 2, 0, 0), rec(R, 2, 0, 0), rec(R, 2, 0, 0), rec(E, 2, 0, 0), rec(R, 2, 0, 0), rec(R, 1, 0, 0)},
			"1:complete@0^-1[0-7] 2:complete@1^0[2-3] 2:complete@1^0[5-6]", "0 1* 1 1 2* 2 2 0"},
		{"a loop's next call while a void callee is still open", []ingest.Record{rec(E, 1, 0, 0), rec(E, 9, 0, 0), rec(R, 1, 0, 0), rec(E, 1, 0, 0), rec(R, 1, 0, 0)},
			"1:complete@0^-1[0-2] 9:no_return@1^0[1-1] 1:complete@0^-1[3-4]", "0 1 0 2 2"},
		{"back-to-back calls of one function", []ingest.Record{rec(E, 2, 0, 0), rec(R, 2, 0, 0), rec(E, 2, 0, 0), rec(R, 2, 0, 0)},
			"2:complete@0^-1[0-1] 2:complete@0^-1[2-3]", "0 0 1 1"},
		{"compares belong to the innermost call", []ingest.Record{rec(C, 4, 0, 0), rec(E, 1, 0, 0), rec(C, 4, 0, 0), rec(R, 1, 0, 0)},
			"1:complete@0^-1[1-3]", "-1 0 0 0"},
		{"segments truncate open calls", []ingest.Record{rec(E, 1, 0, 0), rec(E, 2, 0, 0), rec(E, 1, 0, 1), rec(R, 1, 0, 1)},
			"1:truncated@0^-1[0-1] 2:truncated@1^0[1-1] 1:complete@0^-1[2-3]", "0 1 2 2"},
		{"open at the end", []ingest.Record{rec(E, 1, 0, 0), rec(E, 2, 0, 0), rec(R, 2, 0, 0)},
			"1:truncated@0^-1[0-2] 2:complete@1^0[1-2]", "0 1 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, links, _ := Calls(tt.recs)
			if got := shape(calls); got != tt.want {
				t.Errorf("calls\n got %s\nwant %s", got, tt.want)
			}
			var l []string
			for i, k := range links {
				if k.Record != int64(i) {
					t.Fatalf("link %d is for record %d", i, k.Record)
				}
				s := fmt.Sprint(k.Call)
				if k.PreRet {
					s += "*"
				}
				l = append(l, s)
			}
			if got := strings.Join(l, " "); got != tt.links {
				t.Errorf("links\n got %s\nwant %s", got, tt.links)
			}
		})
	}
}

func TestPairSeedSession(t *testing.T) {
	s, err := seedsession.Build("eight_args_c")
	if err != nil {
		t.Fatal(err)
	}
	d := ingest.NewDecoder(bytes.NewReader(s.Buffer), s.Name, ingest.Options{})
	var recs []ingest.Record
	for d.Next() {
		recs = append(recs, d.Record().Clone())
	}
	calls, _, st := Calls(recs)
	if st.PreRets != 3 {
		t.Errorf("%d pre-entry returns, want 3 (full_proxy_write, __debugfs_file_get, trigger_write)", st.PreRets)
	}
	if st.Calls[Complete] != 16 || st.Calls[NoEntry] != 2 || st.Calls[NoReturn] != 0 || st.Calls[Truncated] != 0 {
		t.Errorf("calls by status %v, want 16 complete and 2 without entry", st.Calls)
	}
	if st.MaxDepth != 5 {
		t.Errorf("max depth %d, want 5 (__x64_sys_write > ksys_write > vfs_write > full_proxy_write > trigger_write > df_func*)", st.MaxDepth)
	}
	vfs := calls[2]
	if len(vfs.Args) != 4 || vfs.Ret == nil || vfs.Ret.Values[0] != 1 || vfs.Status != Complete || vfs.Depth != 2 {
		t.Errorf("vfs_write: %d args, status %s, depth %d", len(vfs.Args), vfs.Status, vfs.Depth)
	}
	for _, c := range calls {
		if len(c.Args) == 1 && len(c.Args[0].Values) == 2 {
			if c.Args[0].Values[1] != 0xbbbb || c.Ret.Values[0] != 0x16665 || c.Depth != 5 {
				t.Errorf("df_func_struct: %+v", c)
			}
			return
		}
	}
	t.Error("no call with a two-field struct argument")
}

func BenchmarkPair(b *testing.B) {
	// A repeated pattern of nested calls with a void function and a
	// pre-entry return: the pairer's common work.
	pattern := []ingest.Record{rec(E, 1, 0, 0), rec(E, 1, 1, 0), rec(R, 2, 0, 0), rec(E, 2, 0, 0),
		rec(E, 3, 0, 0), rec(R, 2, 0, 0), rec(R, 4, 0, 0), rec(R, 1, 0, 0)}
	const n = 1 << 16
	recs := make([]ingest.Record, 0, n*len(pattern))
	for range n {
		recs = append(recs, pattern...)
	}
	b.ResetTimer()
	for range b.N {
		p := NewPairer(func(*Call) {}, func(Link) {})
		for i := range recs {
			p.Push(&recs[i], int64(i))
		}
		p.Close()
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
