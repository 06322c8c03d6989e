package symbolize

import (
	"errors"
	"fmt"
)

// Sentinels that Error wraps, for errors.Is.
var (
	// ErrHidden: every address in the file is zero, as kallsyms shows
	// them to a reader that kptr_restrict denies.
	ErrHidden = errors.New("symbol addresses hidden")
	// ErrNoSymbols: the file has no line that parses as a symbol.
	ErrNoSymbols = errors.New("no symbols")
	// ErrBadLine: one line does not parse (Table.FirstBad wraps it).
	ErrBadLine = errors.New("bad symbol line")
	// ErrNoText: the table has no _text symbol to compute KASLR from.
	ErrNoText = errors.New("no _text symbol")
)

// Error is a problem with a symbol file, or with one line of it.
type Error struct {
	Format string // "kallsyms" or "system.map"
	File   string // the name the caller gave the file
	Line   int    // 1-based; 0 when the error is about the whole file
	Msg    string
	Err    error // a sentinel above, the I/O error, or nil
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: %s:%d: %s", e.Format, e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Format, e.File, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }
