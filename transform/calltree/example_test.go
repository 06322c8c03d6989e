package calltree_test

import (
	"log"
	"os"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/calltree"
	"github.com/kdf-tools/kdf/transform/symbolize"
	"github.com/kdf-tools/kdf/transform/types"
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

// With the kernel's types, arguments print by name and by type: the
// fixture's vfs_write from its BTF, and pid_nr with an enum argument.
func ExampleTree_SetTypes() {
	const kallsyms = "ffffffff81000000 T _text\n" +
		"ffffffff81200000 T vfs_write\n" +
		"ffffffff81200400 T pid_nr\n"
	tab, err := symbolize.ParseKallsyms(strings.NewReader(kallsyms), "kallsyms")
	if err != nil {
		log.Fatal(err)
	}
	sym, err := symbolize.New(symbolize.Config{Runtime: tab, PCs: symbolize.RuntimePCs})
	if err != nil {
		log.Fatal(err)
	}
	src, err := types.Load("../types/testdata/fixture.btf", types.Limits{})
	if err != nil {
		log.Fatal(err)
	}
	const vfsWrite, pidNr = 0xffffffff81200000, 0xffffffff81200400
	rec := func(kind ingest.Kind, pc uint64, arg, size uint8, v ...uint64) ingest.Record {
		return ingest.Record{Kind: kind, PC: pc, ArgIdx: arg, Size: size, Values: v}
	}
	// struct file: f_mode, f_flags, f_pos, f_next, f_ro, f_wr, f_name, f_op, f_u
	file := []uint64{0x1d, 0x80000, 0, 0, 1, 0, 0x6f6f66, 0, 0}
	recs := []ingest.Record{
		rec(ingest.KindEntry, vfsWrite, 0, 64, file...),
		rec(ingest.KindEntry, vfsWrite, 1, 8, 0x20001000),
		rec(ingest.KindEntry, vfsWrite, 2, 8, 42),
		rec(ingest.KindEntry, vfsWrite, 3, 8, 0xffffc90000a3fe00),
		rec(ingest.KindEntry, pidNr, 0, 4, 1),
		rec(ingest.KindEntry, pidNr, 1, 4, 0xfffffffe),
		rec(ingest.KindEntry, pidNr, 2, 8, 0),
		rec(ingest.KindRet, pidNr, 0, 4, 0xfffffff5),
		rec(ingest.KindRet, vfsWrite, 0, 8, 42),
	}
	tree := calltree.New(recs, sym)
	tree.SetTypes(src, ingest.LayoutA)
	tree.Print(os.Stdout, tree.Select("", 0))
	// Output:
	// vfs_write(file={f_mode=29, f_flags=0x80000, f_pos=0, f_next=NULL, f_ro=1, f_wr=0, f_name=0x6f6f66, f_op=NULL, f_u=0x0}, buf=0x20001000, count=42, pos=0xffffc90000a3fe00)
	//   pid_nr(type=PIDTYPE_TGID, s=FIX_NEG, p=NULL) = -11 (-EAGAIN)
	// 42 = vfs_write()
}
