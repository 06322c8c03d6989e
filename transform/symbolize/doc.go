// Package symbolize turns kcov_dataflow PCs into functions: it reads the
// kernel's symbol tables and answers pc -> function, module, offset and
// demangled name.
//
// # Files
//
// A /proc/kallsyms snapshot (ParseKallsyms) has one symbol a line:
//
//	ffffffffab2c8a00 T vfs_write
//	ffffffffc0a01080 t df_func3	[eight_args_c]
//
// that is, a hexadecimal address, one nm(1) type letter and the name,
// followed by a tab and the module in brackets for module symbols. The
// addresses are the running kernel's: KASLR moved them, and every boot
// moves them again, so each buffer needs the snapshot of its own boot.
// When kptr_restrict hides them every address reads as zero; such a
// snapshot is refused with ErrHidden.
//
// A System.map (ParseSystemMap) has the same three fields, no modules,
// and link-time addresses, the ones in vmlinux.
//
// A campaign holds one snapshot per boot, each 120,000 to 200,000 lines.
// ParseKallsymsBytes parses one held in memory. Boots of one kernel with
// KASLR print the same lines at other addresses, so
// ParseKallsymsBytesLike reads a snapshot against the table of another
// boot: while the lines are that table's symbols in its order, it reads
// only their addresses, and it parses the rest. The result is the table
// ParseKallsymsBytes returns.
//
// Lines that do not parse are counted and skipped (Table.BadLines,
// Table.FirstBad); a file without one valid symbol is an error. Names
// are given out as valid UTF-8, bytes that are not escaped as \xNN;
// Table.RawName keeps the file's bytes (names.go says why).
//
// # Lookup
//
// Only text symbols (types t, T, w and W) are functions, but every
// symbol bounds the one before it: data symbols interleave with code,
// and a pc at or above a data symbol belongs to no function. Table.Lookup
// finds the greatest symbol address <= pc and resolves the pc only if
// the best symbol there is text and the pc lies within MaxFuncSize of it.
//
// # KASLR
//
// Layout A PCs are runtime addresses and are looked up directly in the
// boot's kallsyms. Layout B PCs are link-time addresses: the kernel
// subtracts its KASLR offset from every pc, module PCs included, as
// mainline kcov does. The boot's offset is kallsyms' _text minus the
// link-time _text (from System.map, else DefaultLinkText), and a layout B
// pc is looked up in kallsyms as pc + offset. Symbolizer applies this
// rule for a given layout and pair of tables, and caches the answers.
package symbolize
