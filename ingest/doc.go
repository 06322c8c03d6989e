// Package ingest reads raw kcov_dataflow buffers: it decodes the records
// of both known layouts and accounts for everything a buffer lost.
//
// A buffer is an array of little-endian u64 words. Word 0 counts the
// record words written after it; records lie back to back from word 1.
// Every record is a header, a pc, a third word and its value words:
//
//	layout A (RFC v2), 3 + max(nfields, 1) words:
//	  header  bits 28..31 type (0xE entry, 0xF return), 24..27 value
//	          count, 0..23 sequence, 32..63 zero
//	  pc      runtime address (KASLR included)
//	  meta    bits 56..63 argument index, 48..55 size, 0..47 pointer
//	  values  one scalar, or one word per struct field
//
//	layout B (fork uAPI), 3 + nvals words:
//	  header  bits 56..63 argument index, 48..55 size, 32..47 nvals,
//	          28..31 type (0xC compare, 0xE entry, 0xF return),
//	          0..23 sequence
//	  pc      link-time address (KASLR offset removed)
//	  addr    address of the traced value, or the compare type
//	  values  scalar, struct fields, or the two compare operands
//
// The layout is detected per buffer from its first valid header (layout
// A headers have the upper 32 bits zero, layout B headers carry nvals
// >= 1 there) unless the caller forces one.
//
// docs/FORMAT.md gives every field to the bit, the kernel's quirks (the
// layout-A count spilling into the type bits, the RET written before an
// entry), how each kind of damage is counted, and worked examples that
// a test decodes.
//
// The Decoder streams: NewDecoder, then Next and Record until Next
// returns false, then Err and Stats. It reads through a bounded window,
// never past the counted words or the end of the input, and treats
// damage as something to count, not to stop at: a word that cannot start
// a valid record is skipped and the decoder resynchronises on the next
// one. Only a buffer without even its counter word, or an I/O error,
// stops it (Err); once decoding is done, Stats.LooksLikeBuffer tells a
// file that was no buffer at all (text, random bytes) from a damaged
// buffer.
package ingest
