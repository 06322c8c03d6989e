package ingest_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log"

	"github.com/kdf-tools/kdf/ingest"
)

// A layout-A buffer as the RFC v2 kernel writes it: df_func2(0x11, 0x22)
// returning 0x33, then a record the counter covers but whose words were
// never written, because the dump was taken mid-record.
func ExampleNewDecoder() {
	words := []uint64{
		16, // the counter: 16 record words follow
		// header (type 0xE ENTRY, 1 value, sequence 1), pc, meta (argument 0, size 8, pointer), value
		0x00000000e1000001, 0xffffffffc0a00600, 0x0008c90000a3fe00, 0x11,
		0x00000000e1000002, 0xffffffffc0a00600, 0x0108c90000a3fe08, 0x22, // argument 1
		0x00000000f1000003, 0xffffffffc0a00600, 0x0008c90000a3fe00, 0x33, // type 0xF RET
		0, 0, 0, 0, // counted, never written: a torn tail
	}
	buf := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(buf[8*i:], w)
	}

	d := ingest.NewDecoder(bytes.NewReader(buf), "df_func2.kcdf", ingest.Options{})
	for d.Next() {
		r := d.Record() // valid until the next call to Next; keep r.Clone()
		fmt.Printf("word %2d: %-5s seq %d pc %#x arg %d size %d values %#x\n",
			r.Offset, r.Kind, r.Seq, r.PC, r.ArgIdx, r.Size, r.Values)
	}
	if err := d.Err(); err != nil {
		log.Fatal(err)
	}
	st := d.Stats()
	fmt.Printf("layout %s: %d records in %d words, %d damaged, %d torn\n",
		st.Layout, st.Records, st.RecordWords, st.DamagedWords, st.TornWords)
	// Output:
	// word  1: entry seq 1 pc 0xffffffffc0a00600 arg 0 size 8 values [0x11]
	// word  5: entry seq 2 pc 0xffffffffc0a00600 arg 1 size 8 values [0x22]
	// word  9: ret   seq 3 pc 0xffffffffc0a00600 arg 0 size 8 values [0x33]
	// layout A: 3 records in 12 words, 0 damaged, 4 torn
}
