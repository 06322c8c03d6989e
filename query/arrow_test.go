//go:build duckdb_arrow

package query

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestWriteArrow writes a result as an Arrow IPC file under a checked
// allocator, reads it back under another, and proves both freed all
// they allocated.
func TestWriteArrow(t *testing.T) {
	db, _ := seedDB(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	allocator = mem
	defer func() { allocator = memory.DefaultAllocator }()
	var buf bytes.Buffer
	q := "SELECT run_id, func, value, fields FROM args ORDER BY run_id, record_idx"
	if err := db.WriteArrow(context.Background(), q, nil, &buf); err != nil {
		t.Fatal(err)
	}
	readMem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer readMem.AssertSize(t, 0)
	r, err := ipc.NewFileReader(bytes.NewReader(buf.Bytes()), ipc.WithAllocator(readMem))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Schema().Field(2).Type; got.ID() != arrow.UINT64 {
		t.Errorf("value is %v in Arrow, want uint64", got)
	}
	var rows int64
	var first uint64
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordBatchAt(i)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = rec.Column(2).(*array.Uint64).Value(0)
		}
		rows += rec.NumRows()
		rec.Release()
	}
	if want := scalar(t, db, "SELECT count(*) FROM args"); rows != want {
		t.Errorf("the Arrow file has %d rows, want %v", rows, want)
	}
	if want := scalar(t, db, "SELECT value FROM ("+q+") LIMIT 1"); first != want {
		t.Errorf("first value %#x, want %v", first, want)
	}
}
