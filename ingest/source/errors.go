package source

import (
	"fmt"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
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
	Reason ingest.Reason
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
func problem(src, p string, r ingest.Reason, err error, format string, args ...any) *Error {
	return &Error{Source: src, Path: p, Offset: -1, Reason: r, Msg: fmt.Sprintf(format, args...), Err: err}
}
