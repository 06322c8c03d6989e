package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

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
	// entries are the usable lines, in line order; once the manifest
	// is read, only those in force. They, the names of their files and
	// the index by name hold no pointers: a directory of a million
	// programs has a manifest of a million lines, which the collector
	// would otherwise trace at every cycle while the directory is
	// walked.
	entries []manifestEntry
	names   []byte    // the files the entries name, one after another
	attrs   []Attrs   // each entry's attributes; nil in a lazy manifest
	byFile  fileIndex // the entry in force for each file named
	// f is the manifest file of a directory source, from which each
	// entry's line is read again when a file of its name is resolved
	// (lazy); nil once closed.
	f    readerAtCloser
	lazy bool
	// win is the stretch of f read last, from winAt: files are mostly
	// resolved in the order of their lines (programs are numbered as
	// they run, and listed in that order), so one read of the lines
	// ahead serves the next few hundred files instead of a system call
	// each. nextAt is where the line resolved last ended: a line
	// starting near it is read with the lines ahead, any other alone.
	win           []byte
	winAt, nextAt int64
	scratch       *lineScratch // what parsing a line reuses, shared with its quiet copies
	problems      []*Error     // one per bad line, in line order, at most maxManifestProblems and a summary
	unlisted      int          // problems beyond maxManifestProblems, counted
	unlistedLine  int          // the line of the first of them
	replaced      *Error       // set when a later archive member of the same name replaced it
}

// manifestEntry is one usable line.
type manifestEntry struct {
	line    int
	fileAt  int // the file it names is names[fileAt:fileEnd]: clean, relative to the manifest's directory
	fileEnd int
	at      int64 // a lazy manifest's line: its offset in the file
	size    int64 // and its length
	used    bool  // a file of this name was met in the source
	gone    bool  // a later line names the same file
}

// fileOf returns the bytes of the file e names, in m.names.
func (m *manifest) fileOf(e *manifestEntry) []byte { return m.names[e.fileAt:e.fileEnd] }

// file returns the file entry i names.
func (m *manifest) file(i int) string { return string(m.fileOf(&m.entries[i])) }

// lineScratch is what parsing a line reuses from line to line.
type lineScratch struct {
	kvs  []keyValue
	keys keyCache
}

// parsedLine is one line as parseLine reads it.
type parsedLine struct {
	file  string
	attrs Attrs // every key but "file"; nil in a lazy manifest
}

// parseManifest reads a manifest line by line; it fails only when r
// does. A bad line is recorded as a problem and skipped, and the other
// lines still count. Within one object a repeated key keeps its last
// value (as encoding/json does) and is reported; two lines naming the
// same file leave the later line in force, and the earlier one is
// reported. A line longer than opt.MaxManifestLine is never held whole:
// it is skipped as it is read, and reported.
func parseManifest(r io.Reader, src, p string, opt Options) (*manifest, error) {
	return readManifest(&manifest{source: src, path: p, dir: dirOf(p), opt: opt, scratch: newLineScratch()}, r)
}

// parseManifestFile is parseManifest for a manifest of a directory
// source, read from f. Its lines are checked and their problems reported
// as they are read, but each usable line keeps only the file it names
// and its place in f: its attributes are read again when a file of that
// name is resolved (lineAttrs). A directory of a million programs then
// holds some tens of bytes per line rather than each program's text. f
// stays open until close.
func parseManifestFile(f *os.File, src, p string, opt Options) (*manifest, error) {
	m := &manifest{source: src, path: p, dir: dirOf(p), opt: opt, f: f, lazy: true, scratch: newLineScratch()}
	return readManifest(m, io.LimitReader(f, opt.MaxMetaBytes))
}

// readerAtCloser is a lazy manifest's file.
type readerAtCloser interface {
	io.ReaderAt
	io.Closer
}

// close closes a lazy manifest's file, once its directory is walked.
func (m *manifest) close() {
	if m.f != nil {
		m.f.Close()
		m.f = nil
	}
}

var bom = []byte("\xef\xbb\xbf")

func readManifest(m *manifest, r io.Reader) (*manifest, error) {
	opt := m.opt
	lines := newLineReader(r, opt.MaxManifestLine)
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
			line = bytes.TrimPrefix(line, bom)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		x := m.parseLine(line, n)
		if x == nil {
			continue
		}
		e := manifestEntry{line: n, fileAt: len(m.names)}
		m.names = append(m.names, x.file...)
		e.fileEnd = len(m.names)
		if m.lazy {
			e.at, e.size = lines.off, size
		} else {
			m.attrs = append(m.attrs, x.attrs)
			m.held += int64(len(line))
		}
		slot, found := m.byFile.find(m, x.file)
		if found {
			old := &m.entries[m.byFile.slots[slot]-1]
			m.report(old.line, ingest.ReasonDuplicateFile, nil,
				"names file %q again on line %d: line %d is ignored, line %d is used; keep one line per file",
				x.file, n, old.line, n)
			old.gone = true
		}
		m.entries = append(m.entries, e)
		m.byFile.put(m, slot, found)
	}
}

// lineAttrs is what one manifest line gave a file, kept on its Entry so
// that a value refused later is traced to its line.
type lineAttrs struct {
	manifest string // the manifest's path in the source
	line     int
	attrs    Attrs
}

// errManifestChanged is lineAttrs' answer when a lazy manifest's line
// no longer reads as it did when the manifest was loaded.
var errManifestChanged = errors.New("the line no longer names this file")

// lineAttrs returns the attributes of entry i's line: as parsed at
// load, or, in a lazy manifest, read again from the file and parsed.
// The line's problems were reported at load, so they are not reported
// again.
func (m *manifest) lineAttrs(i int) (lineAttrs, error) {
	e := &m.entries[i]
	la := lineAttrs{manifest: m.path, line: e.line}
	if !m.lazy {
		la.attrs = m.attrs[i]
		return la, nil
	}
	if m.f == nil {
		return la, os.ErrClosed
	}
	line, err := m.readLine(e.at, e.size)
	if err != nil {
		return la, err
	}
	if e.at == 0 {
		line = bytes.TrimPrefix(line, bom)
	}
	quiet := manifest{source: m.source, path: m.path, opt: m.opt, scratch: m.scratch}
	x := quiet.parseLine(bytes.TrimSpace(line), e.line)
	if x == nil || x.file != string(m.fileOf(e)) {
		return la, errManifestChanged
	}
	la.attrs = x.attrs
	return la, nil
}

// readAhead is how far past a line a lazy manifest reads when its
// lines are resolved in order: some hundreds of typical lines.
const readAhead = 64 << 10

// readLine returns the size bytes at offset at of a lazy manifest's
// file, from the window when it holds them; they are valid until the
// next call.
func (m *manifest) readLine(at, size int64) ([]byte, error) {
	inOrder := at >= m.nextAt && at-m.nextAt < readAhead
	m.nextAt = at + size
	if at >= m.winAt && at+size <= m.winAt+int64(len(m.win)) {
		return m.win[at-m.winAt:][:size], nil
	}
	n := size
	if inOrder {
		n = max(size, readAhead)
	}
	m.win = slices.Grow(m.win[:0], int(n))[:n]
	got, err := m.f.ReadAt(m.win, at)
	m.win, m.winAt = m.win[:got], at
	if int64(got) < size {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF // the file was cut short since it was loaded
		}
		return nil, err
	}
	return m.win[:size], nil
}

// summarize ends the manifest: the lines replaced by later ones go, and
// the problems past maxManifestProblems are reported as one.
func (m *manifest) summarize() {
	m.compact()
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

// compact drops the entries a later line replaced, and indexes the rest
// again.
func (m *manifest) compact() {
	out := 0
	for i, e := range m.entries {
		if e.gone {
			continue
		}
		m.entries[out] = e
		if m.attrs != nil {
			m.attrs[out] = m.attrs[i]
		}
		out++
	}
	m.entries = m.entries[:out]
	if m.attrs != nil {
		clear(m.attrs[out:])
		m.attrs = m.attrs[:out]
	}
	m.byFile.rebuild(m)
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

func newLineScratch() *lineScratch { return &lineScratch{keys: keyCache{}} }

// parseLine turns one line into an entry, or reports why it cannot.
func (m *manifest) parseLine(line []byte, n int) *parsedLine {
	kvs, err := parseObject(line, m.scratch.kvs, m.scratch.keys)
	if kvs != nil {
		m.scratch.kvs = kvs
	}
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
	e := &parsedLine{}
	if !m.lazy {
		e.attrs = make(Attrs, len(kvs))
	}
	var file json.RawMessage
	var seen map[string]bool // for lines of many keys
	if len(kvs) > 32 {
		seen = make(map[string]bool, len(kvs))
	}
	for i, kv := range kvs {
		dup := seen[kv.key]
		if seen == nil {
			dup = repeated(kvs[:i], kv.key)
		}
		if seen != nil {
			seen[kv.key] = true
		}
		if dup {
			m.report(n, ingest.ReasonDuplicateKey, nil, "key %q appears more than once: the last value is used; remove the others", truncate(kv.key, 40))
		}
		if kv.key == AttrFile {
			file = kv.raw
			continue
		}
		if m.lazy {
			m.checkValue(n, kv.key, kv.raw)
			continue
		}
		v, ok := attrValue(kv.raw)
		if ok && !m.fits(n, kv.key, len(v)) {
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

// repeated reports whether key is among the keys of kvs: a line has
// ten or twenty keys, for which looking through them costs less than a
// map.
func repeated(kvs []keyValue, key string) bool {
	for _, kv := range kvs {
		if kv.key == key {
			return true
		}
	}
	return false
}

// MaxAttrKey bounds an attribute's key. A key names a column-like
// property (arm, vm, exec_ns); longer than this it is data in the wrong
// place.
const MaxAttrKey = 256

// fits reports whether an attribute is within its bounds, reporting it
// if not: every run a line describes carries its attributes, so one
// 60 MiB value would be 60 MiB in the runs table per run.
func (m *manifest) fits(n int, key string, vlen int) bool {
	switch {
	case len(key) > MaxAttrKey:
		m.report(n, ingest.ReasonAttributeTooLarge, nil,
			"a key of %d bytes (%q), above the %d-byte bound for a key: attribute dropped, the rest of the line is used; use a shorter key",
			len(key), truncate(key, 40), MaxAttrKey)
	case int64(vlen) > m.opt.MaxAttrValue:
		m.report(n, ingest.ReasonAttributeTooLarge, nil,
			"attribute %q holds %d bytes, above the %d-byte bound for a value: attribute dropped, the rest of the line is used; if it is genuine, raise the bound (kdf ingest --max-attribute-value, Options.MaxAttrValue)",
			key, vlen, m.opt.MaxAttrValue)
	default:
		return true
	}
	return false
}

// checkValue reports what fits would of a value, in a lazy manifest's
// first reading, where the value is not kept: the line is read again
// when its file is met. A value never decodes to more than three times
// its text (a byte that is not UTF-8 becomes U+FFFD), so only a long
// one is decoded to be measured.
func (m *manifest) checkValue(n int, key string, raw json.RawMessage) {
	if raw[0] == 'n' { // null
		return
	}
	vlen := len(raw)
	if int64(3*vlen) > m.opt.MaxAttrValue {
		v, _ := attrValue(raw)
		vlen = len(v)
	}
	m.fits(n, key, vlen)
}

// manifestFile checks the "file" value: a string naming a path at or
// below the manifest's directory. A manifest describes its own
// directory, like a snapshot; letting it reach sideways or up would let
// one sidecar relabel runs it does not sit beside.
func manifestFile(raw json.RawMessage) (string, error) {
	if raw == nil {
		return "", errors.New(`no "file" key: each line must name its buffer with "file"`)
	}
	var s string
	if raw[0] == '"' {
		s = decodeString(raw)
	}
	if s == "" {
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

// attrValue renders a JSON value as attribute text; ok is false for null.
func attrValue(raw json.RawMessage) (v string, ok bool) {
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case 'n':
		return "", false
	case '"':
		return decodeString(raw), true // valid UTF-8
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
