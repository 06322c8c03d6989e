package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/kdf-tools/kdf/ingest"
)

// manifest is one parsed manifest.jsonl: one JSON object per line, each
// keyed by "file", the name of a file relative to the manifest's
// directory.
type manifest struct {
	source, path string
	dir          string // the manifest's directory inside the source
	opt          Options
	held         int64 // bytes of the lines kept as entries
	entries      []*manifestEntry
	problems     []*Error // one per bad line, in line order, at most maxManifestProblems and a summary
	unlisted     int      // problems beyond maxManifestProblems, counted
	unlistedLine int      // the line of the first of them
	replaced     *Error   // set when a later archive member of the same name replaced it
}

// manifestEntry is one usable line.
type manifestEntry struct {
	line  int
	file  string // clean, relative to the manifest's directory
	attrs Attrs  // every key but "file"
	m     *manifest
	used  bool // a file of this name was met in the source
}

// parseManifest reads a manifest line by line; it fails only when r
// does. A bad line is recorded as a problem and skipped, and the other
// lines still count. Within one object a repeated key keeps its last
// value (as encoding/json does) and is reported; two lines naming the
// same file leave the later line in force, and the earlier one is
// reported. A line longer than opt.MaxManifestLine is never held whole:
// it is skipped as it is read, and reported.
func parseManifest(r io.Reader, src, p string, opt Options) (*manifest, error) {
	m := &manifest{source: src, path: p, dir: dirOf(p), opt: opt}
	lines := newLineReader(r, opt.MaxManifestLine)
	seen := map[string]int{} // file -> index in m.entries
	for n := 1; ; n++ {
		line, size, err := lines.next()
		switch {
		case err == io.EOF:
			m.summarize()
			return m, nil
		case errors.Is(err, errLongLine):
			m.report(n, ingest.ReasonManifestTooLarge, nil,
				"a line of %d bytes, above the %d-byte bound for a manifest line: line ignored, the other lines are used; if it is genuine, raise the bound (kdf ingest --max-manifest-line, Options.MaxManifestLine)",
				size, opt.MaxManifestLine)
			continue
		case err != nil:
			return nil, err
		}
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		e := m.parseLine(line, n)
		if e == nil {
			continue
		}
		if i, dup := seen[e.file]; dup {
			old := m.entries[i]
			m.report(old.line, ingest.ReasonDuplicateFile, nil,
				"names file %q again on line %d: line %d is ignored, line %d is used; keep one line per file",
				e.file, n, old.line, n)
			m.entries[i] = nil
		}
		seen[e.file] = len(m.entries)
		m.entries = append(m.entries, e)
		m.held += int64(len(line))
	}
}

// summarize ends the manifest: the lines replaced by later ones go, and
// the problems past maxManifestProblems are reported as one.
func (m *manifest) summarize() {
	m.entries = compact(m.entries)
	if m.unlisted > 0 {
		e := problem(m.source, m.path, ingest.ReasonTooManyProblems, nil,
			"%d more problems from line %d on are not listed one by one (the first %d are): fix or regenerate the manifest",
			m.unlisted, m.unlistedLine, maxManifestProblems)
		e.Line = m.unlistedLine
		m.problems = append(m.problems, e)
	}
}

// maxManifestProblems bounds the problems one manifest reports one by
// one (and, separately, the lines naming files it does not have): a
// broken or hostile manifest of millions of bad lines costs a count,
// not an Error and a reject each.
const maxManifestProblems = 100

func compact(es []*manifestEntry) []*manifestEntry {
	out := es[:0]
	for _, e := range es {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

func (m *manifest) report(line int, r ingest.Reason, err error, format string, args ...any) {
	if len(m.problems) >= maxManifestProblems {
		if m.unlisted == 0 {
			m.unlistedLine = line
		}
		m.unlisted++
		return
	}
	e := problem(m.source, m.path, r, err, format, args...)
	e.Line = line
	m.problems = append(m.problems, e)
}

// parseLine turns one line into an entry, or reports why it cannot.
func (m *manifest) parseLine(line []byte, n int) *manifestEntry {
	kvs, err := parseObject(line)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("the line ends inside the object")
	}
	if err != nil {
		m.report(n, ingest.ReasonBadJSON, err, "not one JSON object: line ignored, the other lines are used; fix or remove it")
		return nil
	}
	if len(kvs) > m.opt.MaxAttrs {
		m.report(n, ingest.ReasonManifestTooLarge, nil,
			"%d keys, above the bound of %d per line: line ignored, the other lines are used; if it is genuine, raise the bound (kdf ingest --max-attributes, Options.MaxAttrs)",
			len(kvs), m.opt.MaxAttrs)
		return nil
	}
	e := &manifestEntry{line: n, attrs: Attrs{}, m: m}
	var file json.RawMessage
	seen := map[string]bool{}
	for _, kv := range kvs {
		if seen[kv.key] {
			m.report(n, ingest.ReasonDuplicateKey, nil, "key %q appears more than once: the last value is used; remove the others", truncate(kv.key, 40))
		}
		seen[kv.key] = true
		if kv.key == AttrFile {
			file = kv.raw
			continue
		}
		v, ok := attrValue(kv.raw)
		if ok && !m.fits(n, kv.key, v) {
			continue
		}
		if ok {
			e.attrs[kv.key] = v
		} else {
			delete(e.attrs, kv.key) // a later null undoes an earlier value
		}
	}
	if e.file, err = manifestFile(file); err != nil {
		m.report(n, ingest.ReasonBadEntry, nil, "%v: line ignored", err)
		return nil
	}
	return e
}

// MaxAttrKey bounds an attribute's key. A key names a column-like
// property (arm, vm, exec_ns); longer than this it is data in the wrong
// place.
const MaxAttrKey = 256

// fits reports whether an attribute is within its bounds, reporting it
// if not: every run a line describes carries its attributes, so one
// 60 MiB value would be 60 MiB in the runs table per run.
func (m *manifest) fits(n int, key, v string) bool {
	switch {
	case len(key) > MaxAttrKey:
		m.report(n, ingest.ReasonAttributeTooLarge, nil,
			"a key of %d bytes (%q), above the %d-byte bound for a key: attribute dropped, the rest of the line is used; use a shorter key",
			len(key), truncate(key, 40), MaxAttrKey)
	case int64(len(v)) > m.opt.MaxAttrValue:
		m.report(n, ingest.ReasonAttributeTooLarge, nil,
			"attribute %q holds %d bytes, above the %d-byte bound for a value: attribute dropped, the rest of the line is used; if it is genuine, raise the bound (kdf ingest --max-attribute-value, Options.MaxAttrValue)",
			key, len(v), m.opt.MaxAttrValue)
	default:
		return true
	}
	return false
}

// manifestFile checks the "file" value: a string naming a path at or
// below the manifest's directory. A manifest describes its own
// directory, like a snapshot; letting it reach sideways or up would let
// one sidecar relabel runs it does not sit beside.
func manifestFile(raw json.RawMessage) (string, error) {
	var s string
	if raw == nil {
		return "", errors.New(`no "file" key: each line must name its buffer with "file"`)
	}
	if err := json.Unmarshal(raw, &s); err != nil || s == "" {
		return "", fmt.Errorf(`"file" is %s: want a non-empty string`, truncate(string(raw), 40))
	}
	c := path.Clean(s)
	if path.IsAbs(c) || c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf(`"file" %q is not a path below the manifest's directory`, s)
	}
	return c, nil
}

type keyValue struct {
	key string
	raw json.RawMessage
}

// parseObject reads exactly one JSON object, keeping repeated keys (the
// standard decoder would silently keep the last) so they can be
// reported. Most lines have no repeated key: for those one Unmarshal into
// a map, checked against a count of the top-level keys, is three times
// faster than the token-by-token reading that repeated keys need.
func parseObject(line []byte) ([]keyValue, error) {
	var m map[string]json.RawMessage
	if line[0] == '{' && json.Unmarshal(line, &m) == nil && m != nil && topLevelKeys(line) == len(m) {
		kvs := make([]keyValue, 0, len(m))
		for k, v := range m {
			kvs = append(kvs, keyValue{key: strings.ToValidUTF8(k, "\uFFFD"), raw: v})
		}
		return kvs, nil
	}
	return parseTokens(line)
}

// topLevelKeys counts the members of a valid JSON object: the colons
// outside strings at depth 1.
func topLevelKeys(b []byte) int {
	n, depth, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString && c == '\\':
			i++
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == ':' && depth == 1:
			n++
		}
	}
	return n
}

// parseTokens is parseObject the slow way, one token at a time.
func parseTokens(line []byte) ([]keyValue, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("does not start with {")
	}
	var kvs []keyValue
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		kv := keyValue{key: strings.ToValidUTF8(tok.(string), "\uFFFD")}
		if err := dec.Decode(&kv.raw); err != nil {
			return nil, err
		}
		kvs = append(kvs, kv)
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("text after the object")
	}
	return kvs, nil
}

// attrValue renders a JSON value as attribute text; ok is false for null.
func attrValue(raw json.RawMessage) (v string, ok bool) {
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case 'n':
		return "", false
	case '"':
		if body := raw[1 : len(raw)-1]; bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
			return string(body), true // no escape: the string is its bytes
		}
		var s string
		_ = json.Unmarshal(raw, &s) // the decoder already validated it
		v = s
	case '{', '[':
		var b bytes.Buffer
		_ = json.Compact(&b, raw)
		v = b.String()
	default: // a number or true/false, spelled exactly as written
		v = string(raw)
	}
	return strings.ToValidUTF8(v, "\uFFFD"), true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
