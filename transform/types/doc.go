// Package types names what kcov_dataflow records: it reads a kernel
// build's type information and answers, for a function of the core
// kernel or of a module, its prototype: parameter names, C types, sizes,
// signedness, the fields of the structs the hooks expand, the names of
// enum values. Source.Proto is the one question; Check says whether a
// record agrees with the answer.
//
// # Where types come from
//
//   - BTF, as the kernel exposes it in /sys/kernel/btf/vmlinux when built
//     with CONFIG_DEBUG_INFO_BTF (ParseBTF, Load), and each module's in
//     /sys/kernel/btf/MODULE: split BTF, whose type IDs and string
//     offsets continue those of vmlinux (Source.AddModuleBTF). LoadDir
//     reads such a directory whole.
//   - An ELF vmlinux (ReadELF): its .BTF section when it has one, else
//     its DWARF (the vmlinux a syzkaller build keeps). DWARF is indexed
//     by function name in one pass over its compile units and
//     namespaces, skipping function bodies and types; a prototype is read
//     when first asked for. C and Rust alike: Rust functions are found
//     by name and by their mangled symbol (DW_AT_linkage_name), in
//     their namespaces, and Rust's pointer types keep their Rust
//     spelling (&Pair, *const u8). DWARF gives no module types here:
//     modules' types come from their BTF.
//
// # BTF, as decoded here
//
// All words are little-endian u32. A 24-byte header:
//
//	0   magic 0xEB9F (u16), version 1 (u8), flags (u8)
//	4   hdr_len: where the sections' offsets start counting
//	8   type_off, type_len: the type section
//	16  str_off, str_len: the string section, NUL-terminated strings
//
// The type section is a run of records, type IDs counting from 1 (ID 0
// is void; a split BTF's first ID follows its base's last). Each record
// is 12 bytes, then data whose length its kind decides:
//
//	0   name_off: a string offset (a split BTF's offsets below the base's
//	    str_len are the base's strings)
//	4   info: vlen in bits 0..15, kind in bits 24..28, kind_flag bit 31
//	8   size (int, enum, struct, union, datasec) or a type ID (the rest)
//
//	kind                      follows
//	INT                       u32: encoding (bit 24 signed), offset, bits
//	ARRAY                     elem type, index type, nelems
//	STRUCT, UNION             vlen x (name_off, type, offset in bits;
//	                          with kind_flag bits 0..23 offset, 24..31 width)
//	ENUM                      vlen x (name_off, s32 value); kind_flag: signed
//	ENUM64                    vlen x (name_off, lo32, hi32)
//	FUNC_PROTO                vlen x (name_off, type); a last type 0 is "..."
//	VAR, DECL_TAG             u32
//	DATASEC                   vlen x (type, offset, size)
//	PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG: none
//
// FUNC names a function; its type is its FUNC_PROTO.
//
// # Hostile input
//
// Type information comes with the campaign, so it is read as untrusted:
// a BTF blob is capped in bytes and in types (Limits), every offset and
// length is checked before use (FormatError gives the byte), types are
// read only when a prototype needs them, and every walk along references
// stops after 32 steps, so a cycle or a chain of a million pointers costs
// a bounded walk and spells "?". DWARF is read entry by entry with the
// same bound, its sections capped together (Limits.MaxDWARFBytes).
// FuzzParseBTF feeds the decoder arbitrary bytes.
package types
