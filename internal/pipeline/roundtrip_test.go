package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/pair"

	"github.com/kdf-tools/kdf/internal/readback"
	"github.com/kdf-tools/kdf/internal/synth"
)

// Rows of the tables as read back, the columns the round trip checks.
type recordRowRead struct {
	RunID  int64    `parquet:"run_id"`
	Idx    int64    `parquet:"idx"`
	Offset int64    `parquet:"offset"`
	Seq    uint32   `parquet:"seq"`
	Kind   string   `parquet:"kind"`
	PC     uint64   `parquet:"pc"`
	ArgIdx uint8    `parquet:"arg_idx"`
	Size   uint8    `parquet:"size"`
	Addr   uint64   `parquet:"addr"`
	Value  uint64   `parquet:"value"`
	Fields []uint64 `parquet:"fields,optional,list"`
	CallID int64    `parquet:"call_id"`
}

type callRowRead struct {
	RunID    int64    `parquet:"run_id"`
	CallID   int64    `parquet:"call_id"`
	ParentID int64    `parquet:"parent_id"`
	Depth    int32    `parquet:"depth"`
	Status   string   `parquet:"status"`
	Args     []uint64 `parquet:"args,list"`
	Ret      *uint64  `parquet:"ret,optional"`
	Records  int64    `parquet:"records"`
}

type runRowRead struct {
	RunID  int64  `parquet:"run_id"`
	Source string `parquet:"source"`
	Path   string `parquet:"path"`
	SHA256 string `parquet:"sha256"`
}

// readTable reads every committed part of a table.
func readTable[T any](t *testing.T, dir, table string) []T { return readback.Table[T](t, dir, table) }

// TestRoundTripParquet ingests a generated campaign and reads the
// records and calls tables back: they equal the decoder's and the
// pairing's output for every buffer, record for record, call for call.
func TestRoundTripParquet(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	out := filepath.Join(t.TempDir(), "ds")
	if _, err := Run(context.Background(), Config{Dataset: out, Sources: []string{src}, BatchRows: 1000, GroupRuns: 5}, nil); err != nil {
		t.Fatal(err)
	}
	recs := byRun(readTable[recordRowRead](t, out, "records"), func(r recordRowRead) int64 { return r.RunID })
	calls := byRun(readTable[callRowRead](t, out, "calls"), func(c callRowRead) int64 { return c.RunID })
	runs := readTable[runRowRead](t, out, "runs")
	if len(runs) != 24 {
		t.Fatalf("%d runs", len(runs))
	}
	for _, run := range runs {
		b, err := os.ReadFile(filepath.Join(src, run.Path))
		if err != nil {
			t.Fatal(err)
		}
		if id := runIDOf("default", keyOf(run.Source, run.Path)); id != run.RunID {
			t.Errorf("%s: run_id %d is not its key's %d", run.Path, run.RunID, id)
		}
		wantRecs, wantCalls := reference(t, b)
		gotRecs := recs[run.RunID]
		slices.SortFunc(gotRecs, func(a, b recordRowRead) int { return int(a.Idx - b.Idx) })
		if len(gotRecs) != len(wantRecs) {
			t.Fatalf("%s: %d record rows, %d records", run.Path, len(gotRecs), len(wantRecs))
		}
		for i := range wantRecs {
			if !sameRecordRow(gotRecs[i], wantRecs[i]) {
				t.Fatalf("%s: record %d:\n got %+v\nwant %+v", run.Path, i, gotRecs[i], wantRecs[i])
			}
		}
		gotCalls := calls[run.RunID]
		slices.SortFunc(gotCalls, func(a, b callRowRead) int { return int(a.CallID - b.CallID) })
		if len(gotCalls) != len(wantCalls) {
			t.Fatalf("%s: %d call rows, %d calls", run.Path, len(gotCalls), len(wantCalls))
		}
		for i, c := range wantCalls {
			g := gotCalls[i]
			if g.CallID != c.ID || g.ParentID != c.Parent || g.Depth != c.Depth || g.Status != c.Status.String() ||
				g.Records != c.Records() || len(g.Args) != len(c.Args) || (g.Ret == nil) != (c.Ret == nil) ||
				(c.Ret != nil && *g.Ret != c.Ret.Values[0]) {
				t.Fatalf("%s: call %d:\n got %+v\nwant %+v", run.Path, i, g, *c)
			}
		}
	}
}

// reference decodes and pairs a buffer in memory, as rows.
func reference(t *testing.T, b []byte) ([]recordRowRead, []*pair.Call) {
	d := ingest.NewDecoder(bytes.NewReader(b), "ref", ingest.Options{})
	var recs []ingest.Record
	for d.Next() {
		recs = append(recs, d.Record().Clone())
	}
	calls, links, _ := pair.Calls(recs)
	rows := make([]recordRowRead, len(recs))
	for i, r := range recs {
		kind := r.Kind.String()
		if links[i].PreRet {
			kind = "pre_ret"
		}
		rows[i] = recordRowRead{Idx: int64(i), Offset: r.Offset, Seq: r.Seq, Kind: kind, PC: r.PC, ArgIdx: r.ArgIdx,
			Size: r.Size, Addr: r.Addr, Value: r.Values[0], CallID: links[i].Call}
		if len(r.Values) > 1 {
			rows[i].Fields = r.Values
		}
	}
	return rows, calls
}

func sameRecordRow(g, w recordRowRead) bool {
	w.RunID = g.RunID
	return g.Idx == w.Idx && g.Offset == w.Offset && g.Seq == w.Seq && g.Kind == w.Kind && g.PC == w.PC &&
		g.ArgIdx == w.ArgIdx && g.Size == w.Size && g.Addr == w.Addr && g.Value == w.Value &&
		slices.Equal(g.Fields, w.Fields) && g.CallID == w.CallID
}

func byRun[T any](rows []T, key func(T) int64) map[int64][]T {
	m := map[int64][]T{}
	for _, r := range rows {
		m[key(r)] = append(m[key(r)], r)
	}
	return m
}

// String shows the return value, not the pointer to it.
func (c callRowRead) String() string {
	ret := "null"
	if c.Ret != nil {
		ret = fmt.Sprintf("%#x", *c.Ret)
	}
	return fmt.Sprintf("%d %d %d %d %s %v %s %d", c.RunID, c.CallID, c.ParentID, c.Depth, c.Status, c.Args, ret, c.Records)
}
