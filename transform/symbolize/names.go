package symbolize

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Names a table gives out (Symbol.Name, Func.Name, Demangled, modules)
// are valid UTF-8 without control characters: every byte of an invalid
// UTF-8 sequence, and every control character, becomes the four
// characters \xNN. One such byte written to Parquet raw makes DuckDB
// refuse every query that reads the column, dataset-wide; and a name
// printed by kdf tree must not carry terminal escapes. Real kernel
// symbols are C and Rust identifiers, so only hostile or damaged files
// have such bytes. The escaping is not reversible (a backslash is kept
// as is): RawName gives the bytes as the file has them, for matching
// and demangling.

// cleanName reports whether b needs no escaping; printable ASCII, which
// every real symbol is, is decided without decoding.
func cleanName(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return utf8.Valid(b) && bytes.IndexFunc(b, isControl) < 0
		}
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// escapeName returns s with invalid UTF-8 bytes and control characters
// written as \xNN.
func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || isControl(r) {
			fmt.Fprintf(&b, `\x%02x`, s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// validName is s, escaped if it needs to be.
func validName(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, isControl) {
		return s
	}
	return escapeName(s)
}
