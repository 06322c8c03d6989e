package source

import (
	"fmt"
	"strings"
)

// Reason is a short, stable name for a kind of problem, suitable for
// grouping rejects in a summary ("rejects by reason").
type Reason string

// The problems the walker reports. Each comment says what happened to
// the file or line concerned.
const (
	// ReasonUnreadable: a source, directory or file could not be read
	// (missing, permission, I/O error). It is skipped.
	ReasonUnreadable Reason = "unreadable"
	// ReasonUnsafePath: an archive member name is absolute or contains
	// "..". The member is skipped and never used for attribution.
	ReasonUnsafePath Reason = "unsafe-path"
	// ReasonBadName: an archive member name is empty once cleaned. Skipped.
	ReasonBadName Reason = "bad-name"
	// ReasonLink: a symbolic or hard link. Not followed, not read.
	ReasonLink Reason = "link"
	// ReasonSpecial: a device, fifo or socket. Not read.
	ReasonSpecial Reason = "special-file"
	// ReasonUnsupported: a tar entry type or compression kdf cannot read.
	ReasonUnsupported Reason = "unsupported"
	// ReasonTooLarge: a member or metadata file above its size cap.
	// Skipped; a snapshot that is too large makes the buffers it covers
	// unattributable rather than silently falling back to a farther one.
	ReasonTooLarge Reason = "too-large"
	// ReasonTruncated: a member whose data ends before its declared size.
	// It is skipped, and so is the rest of the archive; members before it
	// were delivered.
	ReasonTruncated Reason = "truncated"
	// ReasonCorrupt: a tar header or compressed stream that cannot be
	// decoded. The rest of the source is skipped.
	ReasonCorrupt Reason = "corrupt-archive"
	// ReasonLimit: the archive decompressed to more than the total cap
	// (Options.MaxArchiveBytes) or asked for a zstd window above
	// Options.MaxWindowBytes. The rest of the archive is skipped.
	ReasonLimit Reason = "decompression-limit"
	// ReasonReplaced: a metadata file replaced by a later archive member
	// of the same name (tar extraction semantics: the last one wins).
	ReasonReplaced Reason = "replaced"
	// ReasonAmbiguous: two different kallsyms (or System.map) snapshots
	// in one directory. Neither is used for the buffers they cover.
	ReasonAmbiguous Reason = "ambiguous-snapshot"
	// ReasonBadJSON: a manifest line that is not one JSON object. The
	// line is ignored; the other lines are used.
	ReasonBadJSON Reason = "bad-json"
	// ReasonBadEntry: a manifest object without a usable "file" key. The
	// line is ignored.
	ReasonBadEntry Reason = "bad-manifest-entry"
	// ReasonDuplicateKey: a key repeated within one manifest object. The
	// line is used; the last value of the key wins.
	ReasonDuplicateKey Reason = "duplicate-key"
	// ReasonDuplicateFile: two lines of one manifest name the same file.
	// The later line wins as a whole; the earlier one is ignored.
	ReasonDuplicateFile Reason = "duplicate-file"
	// ReasonUnknownFile: a manifest line names a file the source does not
	// contain. The line is unused.
	ReasonUnknownFile Reason = "unknown-file"
	// ReasonTooManyProblems: a manifest with more problems than are
	// reported one by one (the first 100 of its bad lines, and the
	// first 100 of its lines naming missing files); the rest are
	// counted in one report.
	ReasonTooManyProblems Reason = "too-many-problems"
	// ReasonEmptyArchive: an archive that holds no files (a 0-byte file,
	// only the end-of-archive blocks, only directories): nothing in it
	// was ingested, which is what a failed copy looks like.
	ReasonEmptyArchive Reason = "empty-archive"
)

// Error is one problem with an input, positioned so a person can find
// it and worded so they know what to do. Every problem the walker meets
// is delivered as an Entry whose Err is an *Error; Walk itself fails
// only when the callback or the context says so.
type Error struct {
	Source string // the source (directory or archive) concerned
	Path   string // the file inside Source; "" for the source as a whole
	Line   int    // 1-based manifest line, 0 when not about a line
	Offset int64  // byte offset in the (decompressed) tar stream, -1 when not about one
	Reason Reason
	Msg    string // what is wrong and what to do about it
	Err    error  // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Path != "" {
		b.WriteString(": ")
		b.WriteString(e.Path)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, ": offset %d", e.Offset)
	}
	fmt.Fprintf(&b, ": %s: %s", e.Reason, e.Msg)
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// problem builds an Error with no tar offset.
func problem(src, p string, r Reason, err error, format string, args ...any) *Error {
	return &Error{Source: src, Path: p, Offset: -1, Reason: r, Msg: fmt.Sprintf(format, args...), Err: err}
}
