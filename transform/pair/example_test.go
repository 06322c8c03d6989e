package pair_test

import (
	"fmt"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/pair"
)

// Records of vfs_write(4) calling df_func2(0x11, 0x22), which returns
// 0x33, before vfs_write returns 1; then the RET of a function without
// arguments, which has no ENTRY to pair with.
func ExampleCalls() {
	const vfsWrite, dfFunc2, noArgs = 0xffffffff8e100800, 0xffffffffc0a00600, 0xffffffff8e103800
	entry := func(seq uint32, pc uint64, arg uint8, v uint64) ingest.Record {
		return ingest.Record{Kind: ingest.KindEntry, Seq: seq, PC: pc, ArgIdx: arg, Size: 8, Values: []uint64{v}}
	}
	ret := func(seq uint32, pc uint64, v uint64) ingest.Record {
		return ingest.Record{Kind: ingest.KindRet, Seq: seq, PC: pc, Size: 8, Values: []uint64{v}}
	}
	recs := []ingest.Record{
		entry(1, vfsWrite, 0, 4),
		entry(2, dfFunc2, 0, 0x11),
		entry(3, dfFunc2, 1, 0x22),
		ret(4, dfFunc2, 0x33),
		ret(5, vfsWrite, 1),
		ret(6, noArgs, 0),
	}

	calls, _, stats := pair.Calls(recs)
	for _, c := range calls {
		fmt.Printf("call %d: pc %#x parent %2d depth %d %-9s %d args, %d records",
			c.ID, c.PC, c.Parent, c.Depth, c.Status, len(c.Args), c.Records())
		if c.Ret != nil {
			fmt.Printf(", returned %#x", c.Ret.Values[0])
		}
		fmt.Println()
	}
	fmt.Printf("max depth %d\n", stats.MaxDepth)
	// Output:
	// call 0: pc 0xffffffff8e100800 parent -1 depth 0 complete  1 args, 5 records, returned 0x1
	// call 1: pc 0xffffffffc0a00600 parent  0 depth 1 complete  2 args, 3 records, returned 0x33
	// call 2: pc 0xffffffff8e103800 parent -1 depth 0 no_entry  0 args, 1 records, returned 0x0
	// max depth 1
}
