package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth is encoding/json's bound on the nesting of a value, kept
// so that a line reads the same here as there: a member's value may nest
// this deep, the line's object not counted.
const maxJSONDepth = 10000

// parseObject reads exactly one JSON object, as encoding/json accepts
// it, and returns its members in order, a repeated key as often as it
// appears (the standard decoder would silently keep the last) so that
// it can be reported: each key decoded, each value as the text of the
// line it spans. Every manifest line of every directory is read here,
// twice for a lazy manifest, so it is a scanner of its own: about ten
// times faster than encoding/json's decoding into a map.
// The members are appended to kvs[:0], and keys are taken from keys
// (either may be nil): a scratch slice and the keys of earlier lines,
// which repeat from line to line.
func parseObject(line []byte, kvs []keyValue, keys keyCache) ([]keyValue, error) {
	s := objScanner{b: line}
	s.space()
	if !s.next('{') {
		return nil, s.unexpected("an object")
	}
	kvs = kvs[:0]
	s.space()
	if s.next('}') {
		return s.end(kvs)
	}
	for {
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return nil, s.unexpected("a key")
		}
		k := s.i
		if err := s.str(); err != nil {
			return nil, err
		}
		key := keys.key(s.b[k:s.i])
		s.space()
		if !s.next(':') {
			return nil, s.unexpected("':' after a key")
		}
		s.space()
		v := s.i
		if err := s.value(1); err != nil {
			return nil, err
		}
		kvs = append(kvs, keyValue{key: key, raw: json.RawMessage(s.b[v:s.i])})
		s.space()
		switch {
		case s.next(','):
		case s.next('}'):
			return s.end(kvs)
		default:
			return nil, s.unexpected("',' or '}' after a value")
		}
	}
}

// keyCache holds the keys of a manifest's lines, by their literal:
// each line repeats the same few, which would otherwise be decoded into
// a string of their own per line. It is bounded, so that a manifest of
// ever new keys costs no more than one without the cache.
type keyCache map[string]string

const maxCachedKeys = 256

func (c keyCache) key(lit []byte) string {
	if k, ok := c[string(lit)]; ok {
		return k
	}
	k := decodeString(lit)
	if c != nil && len(c) < maxCachedKeys {
		c[string(lit)] = k
	}
	return k
}

// decodeString is the text of a JSON string literal the scanner
// accepted, as encoding/json decodes it: escapes resolved, a lone or
// broken surrogate and each byte that is not UTF-8 becoming U+FFFD.
func decodeString(lit []byte) string {
	body := lit[1 : len(lit)-1]
	valid := utf8.Valid(body)
	if valid && bytes.IndexByte(body, '\\') < 0 {
		return string(body)
	}
	b := make([]byte, 0, len(body)+8)
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case valid && c != '\\':
			// Valid UTF-8: copy up to the next escape at once.
			k := bytes.IndexByte(body[i:], '\\')
			if k < 0 {
				k = len(body) - i
			}
			b = append(b, body[i:i+k]...)
			i += k
		case c == '\\':
			i++
			switch e := body[i]; e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := hex4(body[i+1:])
				i += 5
				if utf16.IsSurrogate(r) {
					if i+6 <= len(body) && body[i] == '\\' && body[i+1] == 'u' {
						if d := utf16.DecodeRune(r, hex4(body[i+2:])); d != unicode.ReplacementChar {
							b = utf8.AppendRune(b, d)
							i += 6
							continue
						}
					}
					r = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, r)
				continue
			default: // " \ /
				b = append(b, e)
			}
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, r)
			} else {
				b = append(b, body[i:i+size]...)
			}
			i += size
		}
	}
	return string(b)
}

// hex4 is the value of the four hexadecimal digits the scanner checked.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// objScanner checks JSON text as RFC 8259 and encoding/json define it:
// strings without raw control characters, the escapes \" \\ \/ \b \f
// \n \r \t and \uXXXX, numbers -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
// true, false, null, and any bytes (also invalid UTF-8) inside strings.
type objScanner struct {
	b []byte
	i int
}

func (s *objScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *objScanner) next(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end returns the object's members if only white space follows it.
func (s *objScanner) end(kvs []keyValue) ([]keyValue, error) {
	s.space()
	if s.i < len(s.b) {
		return nil, fmt.Errorf("text after the object at byte %d", s.i+1)
	}
	return kvs, nil
}

// unexpected is the error for what stands at s.i, where want was due.
func (s *objScanner) unexpected(want string) error {
	if s.i >= len(s.b) {
		return io.ErrUnexpectedEOF
	}
	return fmt.Errorf("invalid character %q at byte %d, looking for %s", s.b[s.i], s.i+1, want)
}

// value scans one value at nesting depth d (a member's value is 1).
func (s *objScanner) value(d int) error {
	if s.i >= len(s.b) {
		return io.ErrUnexpectedEOF
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '{' || c == '[':
		return s.container(d)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return s.unexpected("a value")
}

func (s *objScanner) container(d int) error {
	if d > maxJSONDepth {
		return fmt.Errorf("nesting deeper than %d at byte %d", maxJSONDepth, s.i+1)
	}
	closing, object := byte(']'), s.b[s.i] == '{'
	if object {
		closing = '}'
	}
	s.i++
	s.space()
	if s.next(closing) {
		return nil
	}
	for {
		s.space()
		if object {
			if s.i >= len(s.b) || s.b[s.i] != '"' {
				return s.unexpected("a key")
			}
			if err := s.str(); err != nil {
				return err
			}
			s.space()
			if !s.next(':') {
				return s.unexpected("':' after a key")
			}
			s.space()
		}
		if err := s.value(d + 1); err != nil {
			return err
		}
		s.space()
		switch {
		case s.next(','):
		case s.next(closing):
			return nil
		default:
			return s.unexpected(fmt.Sprintf("',' or '%c'", closing))
		}
	}
}

// str scans a string literal, s.b[s.i] being its opening quote.
func (s *objScanner) str() error {
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return nil
		case c < 0x20:
			return fmt.Errorf("control character %#02x in a string at byte %d", c, s.i+1)
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return io.ErrUnexpectedEOF
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for range 4 {
					if s.i >= len(s.b) {
						return io.ErrUnexpectedEOF
					}
					if !isHex(s.b[s.i]) {
						return s.unexpected("a hexadecimal digit of a \\u escape")
					}
					s.i++
				}
			default:
				return s.unexpected("an escape")
			}
		default:
			s.i++
		}
	}
	return io.ErrUnexpectedEOF
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (s *objScanner) literal(word string) error {
	for k := range len(word) {
		if s.i >= len(s.b) {
			return io.ErrUnexpectedEOF
		}
		if s.b[s.i] != word[k] {
			return s.unexpected(fmt.Sprintf("%q", word))
		}
		s.i++
	}
	return nil
}

func (s *objScanner) number() error {
	s.next('-')
	switch {
	case s.next('0'):
	case s.digits() == 0:
		return s.unexpected("a digit")
	}
	if s.next('.') && s.digits() == 0 {
		return s.unexpected("a digit after '.'")
	}
	if s.next('e') || s.next('E') {
		if !s.next('+') {
			s.next('-')
		}
		if s.digits() == 0 {
			return s.unexpected("a digit of an exponent")
		}
	}
	return nil
}

func (s *objScanner) digits() int {
	n := 0
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}
