package symbolize

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"unsafe"
)

const (
	// MaxLineLen bounds one line. Kernel symbol names are at most 512
	// bytes (KSYM_NAME_LEN), so a longer line is damage, not a symbol.
	MaxLineLen = 4096
	// MaxSymbols caps a table so that a hostile file cannot exhaust
	// memory; real kernels list well under a million symbols.
	MaxSymbols = 1 << 24

	badTextLen = 80 // how much of the first bad line Table.FirstBad keeps

	// nmTypes are the type letters nm(1), and so kallsyms, can print.
	nmTypes = "AaBbCcDdGgIiNnpRrSsTtUuVvWw"
)

// format is what tells the two file kinds apart.
type format struct {
	name    string // prefix of error messages
	modules bool   // whether a line may carry a "[module]" field
	hint    string // what to do about an all-zero file
	source  string // what writes such files
}

var (
	kallsymsFormat = format{"kallsyms", true,
		"(kptr_restrict hid them); capture kallsyms as root with /proc/sys/kernel/kptr_restrict = 0", "/proc/kallsyms"}
	systemMapFormat = format{"system.map", false,
		"(this is not a usable System.map); take the System.map the kernel build wrote beside vmlinux", "nm vmlinux"}
)

// ParseKallsyms reads a /proc/kallsyms snapshot. name identifies the
// file in errors and in Table.Name.
func ParseKallsyms(r io.Reader, name string) (*Table, error) {
	return parse(r, name, kallsymsFormat)
}

// ParseSystemMap reads a System.map (link-time addresses, no modules).
// name identifies the file in errors and in Table.Name.
func ParseSystemMap(r io.Reader, name string) (*Table, error) {
	return parse(r, name, systemMapFormat)
}

// ParseKallsymsBytes is ParseKallsyms of a snapshot held in memory. The
// table is made at its size from the start, where a reader's grows as
// its lines come: a campaign parses a kallsyms of some megabytes per
// boot, and growing allocated twice what the table keeps.
func ParseKallsymsBytes(data []byte, name string) (*Table, error) {
	return parseBytes(data, name, kallsymsFormat)
}

// ParseSystemMapBytes is ParseSystemMap of a file held in memory, sized
// as ParseKallsymsBytes is.
func ParseSystemMapBytes(data []byte, name string) (*Table, error) {
	return parseBytes(data, name, systemMapFormat)
}

// ParseKallsymsBytesLike is ParseKallsymsBytes of a snapshot that is
// likely prev's symbols at other addresses: another boot of the same
// kernel, with KASLR. A campaign parses one per boot, some 150,000
// lines each. As long as its lines are prev's symbols in prev's order,
// as the kernel prints them, only their addresses are read; from the
// first that is not (modules loaded in another order), the rest is
// parsed. A snapshot that is prev's symbols throughout shares prev's
// names. The table is the one ParseKallsymsBytes returns, either way.
func ParseKallsymsBytesLike(data []byte, name string, prev *Table) (*Table, error) {
	if prev == nil || prev.Format != kallsymsFormat.name || prev.BadLines > 0 {
		return ParseKallsymsBytes(data, name)
	}
	t := &Table{Name: name, Format: prev.Format, recs: make([]symRec, 0, len(prev.recs))}
	for j := range prev.recs {
		addr, n, ok := prev.sameSymbol(int32(j), data)
		if !ok || n < len(data) && data[n] != '\n' {
			break
		}
		r := prev.recs[j]
		if r.addr = addr; addr == 0 {
			t.ZeroAddrs++
		}
		t.recs = append(t.recs, r)
		data = data[min(n+1, len(data)):]
	}
	if len(t.recs) == len(prev.recs) && len(data) == 0 && t.ZeroAddrs < len(t.recs) {
		t.names, t.raw, t.modules = prev.names, prev.raw, prev.modules
		t.index()
		return t, nil
	}
	return prev.parserAfter(t, data).parseRest(data)
}

// parserAfter returns a parser that has read t's symbols, the first of
// prev's at other addresses, to read rest, the rest of a snapshot, its
// names given room in the parser's. A parse keeps names and modules in
// the order their lines come, so prev's first names and modules are
// those of t's. The parser's map knows a module by its bytes in the
// file, which are the name prev keeps: sameSymbol compared them.
func (prev *Table) parserAfter(t *Table, rest []byte) *parser {
	k := len(t.recs)
	mods, nameEnd := 1, 0
	if k > 0 {
		r := &t.recs[k-1]
		nameEnd = int(r.name) + int(r.nameLen)
		for i := range t.recs {
			mods = max(mods, int(t.recs[i].module)+1)
		}
	}
	p := &parser{f: kallsymsFormat, t: t, line: k, modules: make(map[string]uint32, mods)}
	t.modules = slices.Clone(prev.modules[:mods])
	for i, m := range t.modules {
		p.modules[m] = uint32(i)
	}
	_, restNames := room(rest)
	p.names = append(make([]byte, 0, nameEnd+restNames), prev.names[:nameEnd]...)
	for id, raw := range prev.raw {
		if int(id) < k {
			if t.raw == nil {
				t.raw = map[int32]string{}
			}
			t.raw[id] = raw
		}
	}
	return p
}

// sameSymbol reports whether data starts with symbol id's line as a
// kernel prints it, at an address of 16 hex digits, and returns the
// address and the line's length.
func (t *Table) sameSymbol(id int32, data []byte) (addr uint64, n int, ok bool) {
	const digits = 16
	r := &t.recs[id]
	name := t.name(r)
	if t.raw != nil {
		name = t.RawName(id)
	}
	n = digits + 3 + len(name)
	if len(data) < n || data[digits] != ' ' || data[digits+1] != r.typ || data[digits+2] != ' ' || string(data[digits+3:n]) != name {
		return 0, 0, false
	}
	if addr, ok = parseHex(data[:digits]); !ok {
		return 0, 0, false
	}
	if r.module == 0 {
		return addr, n, true
	}
	m := t.modules[r.module]
	end := n + 3 + len(m)
	return addr, end, len(data) >= end && data[n] == '\t' && data[n+1] == '[' && string(data[n+2:end-1]) == m && data[end-1] == ']'
}

// canonicalOther is what a canonical line holds besides its name: a
// 64-bit address, the type between two spaces, and the newline.
const canonicalOther = 16 + 3 + 1

func parseBytes(data []byte, name string, f format) (*Table, error) {
	p := newParser(name, f)
	return p.parseRest(data)
}

// parseRest parses the lines of data after those read, and finishes
// the table. Its symbols and names get room for the lines of data.
func (p *parser) parseRest(data []byte) (*Table, error) {
	symbols, nameBytes := room(data)
	p.t.recs = slices.Grow(p.t.recs, min(symbols, MaxSymbols-len(p.t.recs)))
	p.names = slices.Grow(p.names, nameBytes)
	// Cut as the reader's lineSplitter cuts, without a Scanner's copy
	// of every line: a line of MaxLineLen bytes or more is long.
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		data = rest
		p.line++
		long := len(line) >= MaxLineLen
		if long {
			line = line[:MaxLineLen]
		}
		if err := p.add(line, long); err != nil {
			return nil, err
		}
	}
	return p.finish()
}

// room returns about how many symbols data holds, and how many bytes of
// names: all that is not the rest of a canonical line. Symbols are
// counted by lines, but no more than canonical lines fit: a file of
// blank lines (64 MiB may be read) would otherwise make room for
// millions of symbols it does not hold.
func room(data []byte) (symbols, nameBytes int) {
	lines := bytes.Count(data, []byte{'\n'})
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++ // an estimate one line over leaves the names' room one name short, and doubles it
	}
	return min(lines, len(data)/(canonicalOther+1), MaxSymbols), max(len(data)-canonicalOther*lines, 0)
}

// parser holds the state of one parse.
type parser struct {
	f       format
	t       *Table
	names   []byte            // becomes Table.names
	modules map[string]uint32 // index in Table.modules
	// lastModule, at lastIndex, is the module of the last line that
	// named one.
	lastModule string
	lastIndex  uint32
	line       int
}

func newParser(name string, f format) *parser {
	return &parser{
		f:       f,
		t:       &Table{Name: name, Format: f.name, modules: []string{""}},
		modules: map[string]uint32{"": 0},
	}
}

func parse(r io.Reader, name string, f format) (*Table, error) {
	p := newParser(name, f)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, MaxLineLen), MaxLineLen)
	var ls lineSplitter
	sc.Split(ls.split)
	for sc.Scan() {
		p.line++
		if err := p.add(sc.Bytes(), ls.long); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, p.errorf(p.line+1, err, "read: %v", err)
	}
	return p.finish()
}

// add parses one line into the table, or counts it as bad.
func (p *parser) add(line []byte, long bool) error {
	if long {
		p.bad(fmt.Sprintf("line longer than %d bytes", MaxLineLen), line)
		return nil
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	f, reason := parseLine(line, p.f.modules)
	if reason != "" {
		if len(bytes.TrimSpace(line)) > 0 { // blank lines are no symbols, and no damage
			p.bad(reason, line)
		}
		return nil
	}
	name := f.name
	if !f.plain && !cleanName(name) {
		if p.t.raw == nil {
			p.t.raw = map[int32]string{}
		}
		p.t.raw[int32(len(p.t.recs))] = string(name)
		name = []byte(escapeName(string(name))) // at most 4*MaxLineLen bytes: fits nameLen
	}
	if len(p.t.recs) >= MaxSymbols || uint64(len(p.names))+uint64(len(name)) > math.MaxUint32 {
		return p.errorf(p.line, nil, "more than %d symbols or 4 GiB of names: no kernel has that many, so this is no symbol table", MaxSymbols)
	}
	p.grow(len(name))
	p.t.recs = append(p.t.recs, symRec{
		addr:    f.addr,
		name:    uint32(len(p.names)),
		module:  p.module(f.module),
		nameLen: uint16(len(name)),
		typ:     f.typ,
	})
	p.names = append(p.names, name...)
	if f.addr == 0 {
		p.t.ZeroAddrs++
	}
	return nil
}

// grow doubles the buffers when a symbol and its name of nameLen bytes
// do not fit: append's gentler growth for big slices copies a
// 200k-symbol table five times over.
func (p *parser) grow(nameLen int) {
	if n := len(p.t.recs); n == cap(p.t.recs) {
		p.t.recs = slices.Grow(p.t.recs, max(n, 1024))
	}
	if n := len(p.names); cap(p.names)-n < nameLen {
		p.names = slices.Grow(p.names, max(n, 64<<10, nameLen))
	}
}

// module returns the index of a module's name, adding it if new. The
// table keeps it escaped (see names.go); no raw form is kept, as
// nothing matches or demangles module names.
//
// The core kernel's lines, most of a kallsyms, name none, and a
// module's lines come together: neither needs the map.
func (p *parser) module(name []byte) uint32 {
	switch {
	case len(name) == 0:
		return 0
	case string(name) == p.lastModule:
		return p.lastIndex
	}
	i, ok := p.modules[string(name)] // no allocation
	if !ok {
		i = uint32(len(p.t.modules))
		p.t.modules = append(p.t.modules, validName(string(name)))
		p.modules[string(name)] = i
	}
	p.lastModule, p.lastIndex = string(name), i
	return i
}

// bad counts a line that does not parse and keeps the first one.
func (p *parser) bad(reason string, line []byte) {
	p.t.BadLines++
	if p.t.FirstBad != nil {
		return
	}
	if len(line) > badTextLen {
		line = line[:badTextLen]
	}
	p.t.FirstBad = p.errorf(p.line, ErrBadLine, "%s: %q", reason, line)
}

// finish refuses empty and hidden tables and builds the lookup index.
func (p *parser) finish() (*Table, error) {
	t := p.t
	n := len(t.recs)
	if n == 0 {
		msg := fmt.Sprintf("no valid symbols in %d lines", p.line)
		if t.FirstBad != nil {
			msg += fmt.Sprintf(" (%d bad, first at line %d: %s)", t.BadLines, t.FirstBad.Line, t.FirstBad.Msg)
		}
		msg += "; want lines of ADDRESS TYPE NAME [MODULE], as " + p.f.source + " prints them"
		return nil, p.errorf(0, ErrNoSymbols, "%s", msg)
	}
	if t.ZeroAddrs == n {
		return nil, p.errorf(0, ErrHidden, "all %d symbol addresses are zero %s", n, p.f.hint)
	}
	if slack := cap(p.names) - len(p.names); slack <= len(p.names)/8 {
		// Sized from the file: the names are kept where they were
		// written (nothing writes p.names again), not copied.
		t.names = unsafe.String(unsafe.SliceData(p.names), len(p.names))
	} else {
		t.names = string(p.names)
	}
	if cap(t.recs) > len(t.recs)+len(t.recs)/4 {
		t.recs = slices.Clone(t.recs) // grown by doubling: up to twice what is kept
	}
	t.index()
	return t, nil
}

func (p *parser) errorf(line int, err error, format string, args ...any) *Error {
	return &Error{Format: p.f.name, File: p.t.Name, Line: line, Msg: fmt.Sprintf(format, args...), Err: err}
}

// fields are the parts of one symbol line.
type fields struct {
	addr   uint64
	typ    byte
	name   []byte
	module []byte // without brackets; nil for core kernel symbols
	plain  bool   // the name is printable ASCII: nothing to escape
}

// parseLine splits "ADDRESS TYPE NAME[\t[MODULE]]". It returns a reason
// instead of an error because bad lines are common and only the first is
// reported.
func parseLine(line []byte, modules bool) (fields, string) {
	if f, ok := parseCanonical(line, modules); ok {
		return f, ""
	}
	return parseFields(line, modules)
}

// parseCanonical reads a line as a 64-bit kernel prints it ("%px %c
// %s", then "\t[%s]" for a module's symbol) at known places, where
// splitting at every space and tab byte by byte was a quarter of a
// snapshot's parse. It reports false for any other line, which
// parseFields then reads; a line it takes, parseFields reads alike
// (FuzzParseLine). A name of printable ASCII, nearly every kernel name,
// is found so in the one pass that looks for its end.
func parseCanonical(line []byte, modules bool) (fields, bool) {
	const digits = 16
	if len(line) < digits+4 || line[digits] != ' ' || line[digits+2] != ' ' {
		return fields{}, false
	}
	f := fields{typ: line[digits+1], name: line[digits+3:]}
	var ok bool
	if f.addr, ok = parseHex(line[:digits]); !ok || !isNMType[f.typ] {
		return fields{}, false
	}
	i := plainPrefix(f.name)
	switch {
	case i == len(f.name):
		f.plain = true
		return f, true
	case f.name[i] != '\t':
		return f, canonicalName(&f, modules)
	}
	m := f.name[i+1:]
	if i == 0 || !modules || len(m) < 3 || m[0] != '[' || m[len(m)-1] != ']' || bytes.ContainsAny(m, " \t") {
		return fields{}, false
	}
	f.name, f.module, f.plain = f.name[:i], m[1:len(m)-1], true
	return f, true
}

// canonicalName splits a canonical line's name field that holds bytes
// other than printable ASCII into its name and module.
func canonicalName(f *fields, modules bool) bool {
	if tab := bytes.IndexByte(f.name, '\t'); tab >= 0 {
		m := f.name[tab+1:]
		if !modules || len(m) < 3 || m[0] != '[' || m[len(m)-1] != ']' || bytes.ContainsAny(m, " \t") {
			return false
		}
		f.name, f.module = f.name[:tab], m[1:len(m)-1]
	}
	return len(f.name) > 0 && bytes.IndexByte(f.name, ' ') < 0
}

// plainPrefix returns how many bytes b starts with that are printable
// ASCII but space, eight at a time.
func plainPrefix(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		below := (w - ones*'!') &^ w & highs // a byte below '!'
		above := (w + ones*1 | w) & highs    // a byte above '~'
		if below|above != 0 {
			break
		}
	}
	for i < len(b) && plainByte[b[i]] {
		i++
	}
	return i
}

// plainByte holds the bytes a name needs no escaping for, space aside:
// printable ASCII.
var plainByte = func() (t [256]bool) {
	for c := '!'; c < 0x7f; c++ {
		t[c] = true
	}
	return t
}()

// isNMType holds the letters of nmTypes.
var isNMType = func() (t [256]bool) {
	for _, c := range []byte(nmTypes) {
		t[c] = true
	}
	return t
}()

// parseFields splits a line at runs of spaces and tabs.
func parseFields(line []byte, modules bool) (fields, string) {
	var parts [4][]byte
	var f fields
	n := split(line, &parts)
	var ok bool
	if f.addr, ok = parseHex(parts[0]); !ok { // first: says most about junk
		return f, "bad address"
	}
	switch {
	case n < 3:
		return f, "missing fields"
	case n > 4 || n == 4 && !modules:
		return f, "extra fields"
	}
	if len(parts[1]) != 1 || !isNMType[parts[1][0]] {
		return f, "unknown symbol type"
	}
	f.typ, f.name = parts[1][0], parts[2]
	if n == 4 {
		m := parts[3]
		if len(m) < 3 || m[0] != '[' || m[len(m)-1] != ']' {
			return f, "bad module field"
		}
		f.module = m[1 : len(m)-1]
	}
	return f, ""
}

// split cuts line at runs of spaces and tabs into at most len(out)
// fields and returns how many fields there were, which may be more.
func split(line []byte, out *[4][]byte) int {
	n := 0
	for i := 0; i < len(line); {
		if line[i] == ' ' || line[i] == '\t' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		if n < len(out) {
			out[n] = line[i:j]
		}
		n++
		i = j
	}
	return n
}

// parseHex reads 1 to 16 hex digits without allocating, unlike
// strconv.ParseUint(string(b), 16, 64): the 16 of a kernel address
// eight at a time, others without a branch a digit.
func parseHex(b []byte) (uint64, bool) {
	if len(b) == 16 {
		hi, okHi := hex8(binary.LittleEndian.Uint64(b))
		lo, okLo := hex8(binary.LittleEndian.Uint64(b[8:]))
		return hi<<32 | lo, okHi && okLo
	}
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var v uint64
	var bad byte
	for _, c := range b {
		d := hexDigit[c]
		bad |= d
		v = v<<4 | uint64(d&0xf)
	}
	return v, bad < 0x10
}

// hex8 reads eight hex digits, the first in the lowest byte of w.
func hex8(w uint64) (uint64, bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// Each byte's top bit says whether it lies in [lo, hi], for bytes
	// below 0x80: adding 0x80-lo sets it from lo up, adding 0x7f-hi
	// from above hi up, and neither carries into the next byte.
	in := func(lo, hi uint64) uint64 { return (w + ones*(0x80-lo)) &^ (w + ones*(0x7f-hi)) & highs }
	ok := w&highs == 0 && in('0', '9')|in('a', 'f')|in('A', 'F') == highs
	// A letter has bit 6 set: its low nibble plus 9 is its value.
	w = w&(ones*0x0f) + (w>>6)&ones*9
	// Gather the nibbles, the first the most significant: pairs into
	// bytes, bytes into 16 bits, then the two halves.
	w = (w&0x000f000f000f000f)<<4 | (w>>8)&0x000f000f000f000f
	w = (w&0x000000ff000000ff)<<8 | (w>>16)&0x000000ff000000ff
	return (w&0xffff)<<16 | (w>>32)&0xffff, ok
}

// hexDigit holds each hex digit's value, and 0xff for other bytes.
var hexDigit = func() (t [256]byte) {
	for c := range t {
		t[c] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	for i, c := range "ABCDEF" {
		t[c] = byte(10 + i)
	}
	return t
}()

// lineSplitter is a bufio.SplitFunc that, unlike bufio.ScanLines,
// survives a line longer than the Scanner's buffer: it returns the
// line's first MaxLineLen bytes with long set, then skips the rest.
type lineSplitter struct {
	skipping bool // inside the remainder of a long line
	long     bool // the token just returned was cut short
}

func (s *lineSplitter) split(data []byte, atEOF bool) (int, []byte, error) {
	s.long = false
	i := bytes.IndexByte(data, '\n')
	if s.skipping {
		if i >= 0 {
			s.skipping = false
			return i + 1, nil, nil
		}
		return len(data), nil, nil
	}
	switch {
	case i >= 0:
		return i + 1, data[:i], nil
	case len(data) >= MaxLineLen:
		s.skipping, s.long = true, true
		return len(data), data, nil
	case atEOF && len(data) > 0:
		return len(data), data, nil
	}
	return 0, nil, nil
}
