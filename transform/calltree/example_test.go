package calltree_test

import (
	"log"
	"os"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/calltree"
	"github.com/kdf-tools/kdf/transform/symbolize"
)

// The module's trigger_write, entered after the RET seen before some
// functions' entries, calls df_func2 and fails with -EFAULT.
func ExampleTree_Print() {
	const kallsyms = "ffffffffc0a00500 t trigger_write\t[eight_args_c]\n" +
		"ffffffffc0a00600 t df_func2\t[eight_args_c]\n"
	tab, err := symbolize.ParseKallsyms(strings.NewReader(kallsyms), "kallsyms")
	if err != nil {
		log.Fatal(err)
	}
	sym, err := symbolize.New(symbolize.Config{Runtime: tab, PCs: symbolize.RuntimePCs})
	if err != nil {
		log.Fatal(err)
	}

	const trigger, dfFunc2 = 0xffffffffc0a00500, 0xffffffffc0a00600
	record := func(kind ingest.Kind, pc uint64, arg, size uint8, v uint64) ingest.Record {
		return ingest.Record{Kind: kind, PC: pc, ArgIdx: arg, Size: size, Values: []uint64{v}}
	}
	recs := []ingest.Record{
		record(ingest.KindRet, trigger, 0, 8, 0),
		record(ingest.KindEntry, trigger, 0, 8, 0),
		record(ingest.KindEntry, trigger, 1, 8, 1),
		record(ingest.KindEntry, dfFunc2, 0, 8, 0x11),
		record(ingest.KindEntry, dfFunc2, 1, 8, 0x22),
		record(ingest.KindRet, dfFunc2, 0, 8, 0x33),
		record(ingest.KindRet, trigger, 0, 4, 0xfffffff2), // an int of -14, zero-extended
	}

	tree := calltree.New(recs, sym)
	tree.Print(os.Stdout, tree.Select("", 0)) // every record
	// Output:
	// 0x0 = trigger_write [eight_args_c]()  # before entry
	// trigger_write [eight_args_c](0x0, 0x1)
	//   df_func2 [eight_args_c](0x11, 0x22)
	//   0x33 = df_func2 [eight_args_c]()
	// 0xfffffff2 (-EFAULT) = trigger_write [eight_args_c]()
}
