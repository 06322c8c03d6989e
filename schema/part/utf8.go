package part

import (
	"unicode/utf8"
)

// Strings are written as valid UTF-8, whatever the batch holds: symbol
// names come from kallsyms files and paths from archives, either of
// which may be hostile, and readers that check (Arrow, Polars, Spark)
// refuse a part with a single bad string. Each byte that is not part of
// a valid UTF-8 sequence (Go's definition: no surrogates, no overlong
// forms, nothing past U+10FFFF) is written as the four characters \xNN,
// NN its value in lowercase hex; everything else, a backslash included,
// is written as is. The rule does not distinguish a written "\x80" from
// an escaped byte 0x80: the escape is for reading, not for round trips.

// appendEscaped appends s to dst with each invalid byte escaped.
func appendEscaped(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, '\\', 'x', hex[s[0]>>4], hex[s[0]&15])
		} else {
			dst = append(dst, s[:n]...)
		}
		s = s[n:]
	}
	return dst
}

// validStrings says whether every string of an Arrow string array (its
// offsets and data) is valid UTF-8, in one pass over the data: the
// concatenation must be valid, and no string may start inside another's
// character, that is with a continuation byte.
func validStrings(offs []int32, data []byte) bool {
	if len(offs) < 2 {
		return true
	}
	end := offs[len(offs)-1]
	if !utf8.Valid(data[offs[0]:end]) {
		return false
	}
	for _, o := range offs[1 : len(offs)-1] {
		if o < end && data[o]&0xc0 == 0x80 {
			return false
		}
	}
	return true
}
