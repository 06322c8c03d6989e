package symbolize_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/symbolize"
)

// One boot's /proc/kallsyms, shortened: core functions with a data
// symbol between them, then module functions, one of them Rust.
const kallsyms = `ffffffff8e000000 T _text
ffffffff8e100800 T vfs_write
ffffffff8e100a00 d vfs_write_data
ffffffff8e100c00 T full_proxy_write
ffffffffc0a00600 t df_func2	[eight_args_c]
ffffffffc0b00100 t _RNvCs3p16QzTwthP_15eight_args_rust13write_handler	[eight_args_rust]
`

func ExampleTable_Lookup() {
	tab, err := symbolize.ParseKallsyms(strings.NewReader(kallsyms), "kallsyms")
	if err != nil {
		log.Fatal(err)
	}
	for _, pc := range []uint64{0xffffffff8e100800, 0xffffffff8e100c40, 0xffffffffc0b00100, 0xffffffff8e100a10} {
		f, ok := tab.Lookup(pc)
		if !ok {
			fmt.Printf("%#x: no function (data, or past a function's end)\n", pc)
			continue
		}
		where := "the core kernel"
		if f.Module != "" {
			where = "module " + f.Module
		}
		fmt.Printf("%#x: %s+%#x in %s\n", pc, tab.Demangled(f.ID), f.Offset, where)
	}
	// Output:
	// 0xffffffff8e100800: vfs_write+0x0 in the core kernel
	// 0xffffffff8e100c40: full_proxy_write+0x40 in the core kernel
	// 0xffffffffc0b00100: eight_args_rust::write_handler+0x0 in module eight_args_rust
	// 0xffffffff8e100a10: no function (data, or past a function's end)
}

// Layout B records link-time pcs: the symbolizer adds the boot's KASLR
// offset, kallsyms' _text minus the link-time _text, before looking a pc
// up in that boot's kallsyms.
func ExampleNew() {
	tab, err := symbolize.ParseKallsyms(strings.NewReader(kallsyms), "kallsyms")
	if err != nil {
		log.Fatal(err)
	}
	sym, err := symbolize.New(symbolize.Config{Runtime: tab, PCs: symbolize.PCSpaceOf(ingest.LayoutB)})
	if err != nil {
		log.Fatal(err)
	}
	f, _ := sym.Lookup(0xffffffff81100800) // vfs_write at the default link-time base
	fmt.Printf("offset %#x: %s\n", sym.Offset(), f.Name)
	// Output:
	// offset 0xd000000: vfs_write
}
