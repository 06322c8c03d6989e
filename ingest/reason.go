package ingest

// Reason is a short, stable name for a kind of problem, suitable for
// grouping rejects in a summary ("rejects by reason").
type Reason string

// Reasons an input file or manifest line becomes a row of the rejects
// table, each with what happened to the file or line concerned. The list
// is the rejects table's vocabulary: SECURITY.md's table of reasons is
// generated from it (go test ./ingest -update).
const (
	// ReasonEmpty: a buffer without even its 8-byte counter word.
	ReasonEmpty Reason = "empty"
	// ReasonNotABuffer: a file that is neither a kcov_dataflow buffer (by
	// name or content) nor a kallsyms, System.map or manifest.jsonl; a
	// nested archive too (extract it and give it as a source of its own).
	ReasonNotABuffer Reason = "not_a_buffer"
	// ReasonChanged: a file that changed while it was read, or whose
	// manifest line changed between the manifest's loading and the
	// file's. Ingest it again once it is complete.
	ReasonChanged Reason = "changed"
	// ReasonBadSymbols: a kallsyms or System.map snapshot without one
	// usable line. The buffers it covers are ingested without symbols.
	ReasonBadSymbols Reason = "bad_symbols"
	// ReasonHiddenKallsyms: a kallsyms snapshot whose addresses are all
	// zero (kptr_restrict). The buffers it covers are ingested without
	// symbols; take the snapshot as root with kptr_restrict=0.
	ReasonHiddenKallsyms Reason = "hidden_kallsyms"
	// ReasonBadTypes: a type source (BTF, or a vmlinux with .BTF or
	// DWARF) that cannot be read, or a module's BTF that does not fit
	// its vmlinux's. The buffers it covers are ingested without names
	// (or without that module's).
	ReasonBadTypes Reason = "bad_types"

	// ReasonUnreadable: a source, directory or file could not be read
	// (missing, permission, I/O error). It is skipped.
	ReasonUnreadable Reason = "unreadable"
	// ReasonUnsafePath: an archive member name is absolute or contains
	// "..". The member is skipped and never used for attribution.
	ReasonUnsafePath Reason = "unsafe_path"
	// ReasonBadName: an archive member name is empty once cleaned. Skipped.
	ReasonBadName Reason = "bad_name"
	// ReasonLink: a symbolic or hard link. Not followed, not read.
	ReasonLink Reason = "link"
	// ReasonSpecial: a device, fifo or socket. Not read.
	ReasonSpecial Reason = "special_file"
	// ReasonUnsupported: a tar entry type or compression kdf cannot read.
	ReasonUnsupported Reason = "unsupported"
	// ReasonTooLarge: a member or metadata file above its size cap (kdf
	// ingest --max-meta-bytes, --max-archive-meta), or a buffer file above
	// 256 MiB, twice the largest buffer. Skipped, not read; a snapshot
	// that is too large makes the buffers it covers unattributable rather
	// than silently falling back to a farther one.
	ReasonTooLarge Reason = "too_large"
	// ReasonTruncated: a member whose data ends before its declared size.
	// It is skipped, and so is the rest of the archive; members before it
	// were delivered.
	ReasonTruncated Reason = "truncated"
	// ReasonCorrupt: a tar header or compressed stream that cannot be
	// decoded: the rest of the source is skipped. Or a compressed archive
	// that fails its checksum (gzip's CRC-32, zstd's content checksum):
	// nothing in it is ingested.
	ReasonCorrupt Reason = "corrupt_archive"
	// ReasonLimit: the archive decompressed to more than the total cap
	// (kdf ingest --max-archive-bytes) or asked for a zstd window above
	// --max-zstd-window. The rest of the archive is skipped.
	ReasonLimit Reason = "decompression_limit"
	// ReasonReplaced: a metadata file replaced by a later archive member
	// of the same name (tar extraction semantics: the last one wins).
	ReasonReplaced Reason = "replaced"
	// ReasonAmbiguous: two different kallsyms (or System.map) snapshots
	// in one directory. Neither is used for the buffers they cover.
	ReasonAmbiguous Reason = "ambiguous_snapshot"
	// ReasonBadJSON: a manifest line that is not one JSON object. The
	// line is ignored; the other lines are used.
	ReasonBadJSON Reason = "bad_json"
	// ReasonBadEntry: a manifest object without a usable "file" key. The
	// line is ignored.
	ReasonBadEntry Reason = "bad_manifest_entry"
	// ReasonManifestTooLarge: a manifest line longer than its bound
	// (kdf ingest --max-manifest-line, default 64 KiB) or with more keys
	// than --max-attributes (default 256). The line is ignored, never
	// held whole; the other lines are used.
	ReasonManifestTooLarge Reason = "manifest_too_large"
	// ReasonAttributeTooLarge: a manifest value longer than kdf ingest
	// --max-attribute-value (default 4 KiB), or a key longer than 256
	// bytes. The attribute is dropped; the rest of the line is used.
	ReasonAttributeTooLarge Reason = "attribute_too_large"
	// ReasonDuplicateKey: a key repeated within one manifest object. The
	// line is used; the last value of the key wins.
	ReasonDuplicateKey Reason = "duplicate_key"
	// ReasonDuplicateFile: two lines of one manifest name the same file.
	// The later line wins as a whole; the earlier one is ignored.
	ReasonDuplicateFile Reason = "duplicate_file"
	// ReasonUnknownFile: a manifest line names a file the source does not
	// contain. The line is unused.
	ReasonUnknownFile Reason = "unknown_file"
	// ReasonTooManyProblems: a manifest with more problems than are
	// reported one by one (the first 100 of its bad lines, and the
	// first 100 of its lines naming missing files); the rest are
	// counted in one report.
	ReasonTooManyProblems Reason = "too_many_problems"
	// ReasonEmptyArchive: an archive that holds no files (a 0-byte file,
	// only the end-of-archive blocks, only directories): nothing in it
	// was ingested, which is what a failed copy looks like.
	ReasonEmptyArchive Reason = "empty_archive"
)
