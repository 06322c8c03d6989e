package source

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func FuzzManifest(f *testing.F) {
	f.Add([]byte(`{"file":"a.kcdf","exec_ns":12,"arm":"x"}` + "\n" + `{"file":"a.kcdf","arm":"y","arm":"z"}`))
	f.Add([]byte("\xef\xbb\xbf{\"file\":\"../a\"}\r\n{oops\n\n{\"file\":7}\n[1]\n"))
	f.Add([]byte(`{"file":"d/a","n":-1.5e3,"o":{"x":[1,null]},"z":null,"s":"\u00e9"}`))
	f.Add([]byte(strings.Repeat("x\n", 120) + `{"file":"a","k":1,"k":2}` + "\n{oops"))
	f.Add([]byte(`{"file":"a","k":"` + strings.Repeat("v", 40) + `","` + strings.Repeat("k", 300) + `":1}` + "\n" +
		`{"file":"b","a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8}` + "\n" + strings.Repeat(" ", 300) + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Small bounds, so that the fuzzer meets them.
		opt := Options{MaxManifestLine: 256, MaxAttrValue: 32, MaxAttrs: 8}.withDefaults()
		m, err := parseManifest(bytes.NewReader(data), "src", "d/manifest.jsonl", opt)
		if err != nil {
			t.Fatal(err)
		}
		checkLazy(t, data, opt, m)
		lines := 0
		body := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		for i, raw := range bytes.Split(data, []byte{'\n'}) {
			l := raw
			if i == 0 {
				l = bytes.TrimPrefix(l, []byte("\xef\xbb\xbf"))
			}
			if len(bytes.TrimSpace(l)) > 0 || int64(len(raw)) > opt.MaxManifestLine {
				lines++
			}
		}
		// Every non-blank line (and every line above the bound) is used,
		// or reported as bad, or replaced by a later line naming the same
		// file (and that is reported). Past
		// maxManifestProblems, problems are only counted, in one last
		// report.
		accounted, capped := len(m.entries), false
		for _, p := range m.problems {
			if p.Line < 1 || p.Line > bytes.Count(body, []byte{'\n'})+1 {
				t.Errorf("problem on line %d: %v", p.Line, p)
			}
			switch p.Reason {
			case ingest.ReasonBadJSON, ingest.ReasonBadEntry, ingest.ReasonDuplicateFile, ingest.ReasonManifestTooLarge:
				accounted++
			case ingest.ReasonDuplicateKey, ingest.ReasonAttributeTooLarge:
			case ingest.ReasonTooManyProblems:
				capped = true
			default:
				t.Errorf("unexpected reason %v", p)
			}
		}
		switch {
		case capped && (len(m.problems) != maxManifestProblems+1 || accounted > lines || accounted+m.unlisted < lines):
			t.Errorf("%d non-blank lines, %d accounted for, %d problems, %d more counted", lines, accounted, len(m.problems), m.unlisted)
		case !capped && accounted != lines:
			t.Errorf("%d non-blank lines, %d accounted for", lines, accounted)
		}
		for _, l := range bytes.Split(body, []byte{'\n'}) {
			if l = bytes.TrimSpace(l); len(l) > 0 {
				checkScanner(t, l)
			}
		}
		seen := map[string]bool{}
		for i, e := range m.entries {
			file, attrs := m.file(i), m.attrs[i]
			if file == "" || strings.HasPrefix(file, "/") || file == ".." || strings.HasPrefix(file, "../") {
				t.Errorf("line %d: file %q escapes", e.line, file)
			}
			if seen[file] {
				t.Errorf("file %q twice", file)
			}
			seen[file] = true
			if j, ok := m.byFile.lookup(m, file); !ok || j != i {
				t.Errorf("line %d: file %q found at entry %d, %v", e.line, file, j, ok)
			}
			if _, ok := attrs[AttrFile]; ok {
				t.Errorf("line %d: file kept as an attribute", e.line)
			}
			if len(attrs) >= opt.MaxAttrs {
				t.Errorf("line %d: %d attributes and a file, above the bound of %d keys", e.line, len(attrs), opt.MaxAttrs)
			}
			for k, v := range attrs {
				if len(k) > MaxAttrKey || int64(len(v)) > opt.MaxAttrValue {
					t.Errorf("line %d: attribute %q of %d bytes kept", e.line, truncate(k, 40), len(v))
				}
			}
		}
	})
}

// checkLazy: a manifest read lazily from a file reports what the one
// parsed in memory reports, keeps the same lines, and reads each line
// again into the same attributes.
func checkLazy(t *testing.T, data []byte, opt Options, eager *manifest) {
	p := filepath.Join(t.TempDir(), "manifest.jsonl")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	lazy := openLazyManifest(t, p, "d/manifest.jsonl", opt)
	if got, want := fmt.Sprint(lazy.problems, lazy.unlisted), fmt.Sprint(eager.problems, eager.unlisted); got != want {
		t.Fatalf("lazy problems\n%s\nin memory\n%s", got, want)
	}
	if len(lazy.entries) != len(eager.entries) {
		t.Fatalf("%d lines kept lazily, %d in memory", len(lazy.entries), len(eager.entries))
	}
	// In line order, as a walk mostly resolves them (read ahead), then
	// backwards (each line alone, or from what was read ahead).
	order := make([]int, 0, 2*len(lazy.entries))
	for i := range lazy.entries {
		order = append(order, i)
	}
	for i := range lazy.entries {
		order = append(order, len(lazy.entries)-1-i)
	}
	for _, i := range order {
		e, want := lazy.entries[i], eager.entries[i]
		la, err := lazy.lineAttrs(i)
		if err != nil || e.line != want.line || lazy.file(i) != eager.file(i) || !maps.Equal(la.attrs, eager.attrs[i]) {
			t.Fatalf("line %d %q read again: %v, %v; in memory line %d %q: %v", e.line, lazy.file(i), la.attrs, err, want.line, eager.file(i), eager.attrs[i])
		}
	}
}

// checkScanner: the scanner reads a line as encoding/json does: the
// same lines accepted, the same members in the same order, repeated
// keys included.
func checkScanner(t *testing.T, line []byte) {
	fast, ferr := parseObject(line, nil, nil)
	slow, serr := parseTokens(line)
	if (ferr == nil) != (serr == nil) {
		t.Fatalf("%q: scanner %v, encoding/json %v", line, ferr, serr)
	}
	str := func(kvs []keyValue) string {
		var b strings.Builder
		for _, kv := range kvs {
			fmt.Fprintf(&b, "%q:%s\n", kv.key, kv.raw)
		}
		return b.String()
	}
	if f, s := str(fast), str(slow); f != s {
		t.Errorf("%q:\nscanner\n%s\nencoding/json\n%s", line, f, s)
	}
	// As a manifest parses its lines: into the slice of the line
	// before, with the keys met before it cached.
	keys := keyCache{}
	once, oerr := parseObject(line, make([]keyValue, 1, 2), keys)
	first := str(once)
	twice, terr := parseObject(line, once, keys)
	if (oerr == nil) != (ferr == nil) || (terr == nil) != (ferr == nil) || first != str(fast) || str(twice) != str(fast) {
		t.Errorf("%q: with a key cache and a scratch slice\n%s\nthen\n%s\nwithout\n%s", line, first, str(twice), str(fast))
	}
	for _, kv := range fast {
		var want string
		if kv.raw[0] == '"' && json.Unmarshal(kv.raw, &want) == nil {
			if got := decodeString(kv.raw); got != want {
				t.Errorf("string %s decodes to %q, encoding/json %q", kv.raw, got, want)
			}
		}
	}
}

// parseTokens reads a line as parseObject does, with encoding/json
// token by token: the reference the scanner is checked against.
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

// FuzzWalkTar walks arbitrary bytes as a tar, tar.gz and tar.zst, the
// compressed ones whole or with a byte flipped (wrap&8, at a sixteenth
// of the stream given by wrap>>4). Every member the tar reader can see
// is delivered or reported, in order, unless a reported problem ended
// the archive or its checksum failed; delivered members read back
// whole; nothing panics.
func FuzzWalkTar(f *testing.F) {
	for _, ms := range [][]member{
		{good, reg("kallsyms", "ffffffff81000000 T _text\n"), reg("manifest.jsonl", `{"file":"good.kcdf","arm":"x"}`)},
		{reg("../x", "a"), member{name: "l", typ: tar.TypeSymlink, link: "/etc"}, member{name: "p", typ: tar.TypeFifo}, good},
		{good, member{name: "big.kcdf", body: "short", size: 4096}},
		{reg("a/b/c.kcdf", string(bufferB())), reg("inner.tar", string(makeTar(f, good)))},
	} {
		raw := makeTar(f, ms...)
		f.Add(raw, uint8(0))
		f.Add(gz(f, raw), uint8(1))
		f.Add(zst(f, raw), uint8(2))
		f.Add(raw, uint8(4))
		f.Add(raw, uint8(5))
		f.Add(raw, uint8(12<<4|8|2)) // gzip (202 % 3 == 1), flipped at 12/16
		f.Add(raw, uint8(12<<4|8))   // zstd (200 % 3 == 2)
	}
	dir := f.TempDir()
	opt := Options{MaxMetaBytes: 64 << 10, MaxMetaTotal: 256 << 10, MaxMemberBytes: 1 << 20, MaxArchiveBytes: 4 << 20, MaxWindowBytes: 8 << 20}
	f.Fuzz(func(t *testing.T, data []byte, wrap uint8) {
		if wrap&4 != 0 {
			data = fixChecksums(data)
		}
		switch wrap % 3 {
		case 1:
			data = gz(t, data)
		case 2:
			data = zst(t, data)
		}
		if wrap&8 != 0 && wrap%3 != 0 {
			data[len(data)*int(wrap>>4)/16] ^= 0x55
		}
		src := filepath.Join(dir, "f.tar")
		if err := os.WriteFile(src, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var es []*Entry
		err := Walk(context.Background(), []string{src}, opt, func(e *Entry) error {
			if e.Err == nil {
				checkReadsWhole(t, e)
			}
			es = append(es, e)
			return nil
		})
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		checkAccounted(t, data, opt, es)
	})
}

func checkReadsWhole(t *testing.T, e *Entry) {
	r, err := e.Open()
	if err != nil {
		t.Fatalf("%s: open: %v", e.Path, err)
	}
	size := openedSize(e, r)
	n, err := io.Copy(io.Discard, r)
	if err != nil || n != size {
		t.Errorf("%s: read %d of %d bytes: %v", e.Path, n, size, err)
	}
	r.Close()
}

// checkAccounted replays the archive with a plain tar reader and matches
// its members against the entries.
func checkAccounted(t *testing.T, data []byte, opt Options, es []*Entry) {
	for _, e := range es {
		if errors.Is(e.Err, kgzip.ErrChecksum) || errors.Is(e.Err, zstd.ErrCRCMismatch) {
			if len(es) != 1 || e.Path != "" {
				t.Fatalf("the archive failed its checksum, yet %d entries came with the reject (for %q)", len(es)-1, e.Path)
			}
			return // rejected as a whole: nothing to match
		}
	}
	var r io.Reader = bytes.NewReader(data)
	if f, _ := detectFormat(data, "f.tar"); f == formatGzip {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return // reported as a corrupt archive; nothing to match
		}
		r = zr
	} else if f == formatZstd {
		return // the walker's own decoder is the only one here; the gzip and plain paths cover the matching
	}
	tr := tar.NewReader(io.LimitReader(r, opt.MaxArchiveBytes))
	var rest []*Entry
	for _, e := range es {
		if e.Err == nil || e.Err.(*Error).Line == 0 { // manifest line problems come on top
			rest = append(rest, e)
		}
	}
	for {
		hdr, err := next(tr)
		if err != nil {
			return
		}
		if hdr.Typeflag == tar.TypeDir || hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if len(rest) == 0 {
			t.Fatalf("member %q neither delivered nor reported", hdr.Name)
		}
		want, r, _ := cleanMember(hdr.Name)
		if r != "" {
			want = hdr.Name
		}
		want, _ = escapeName(want)
		if e := rest[0]; e.Err != nil && isStop(e.Err.(*Error).Reason) {
			return // the walker stopped here, and said why
		}
		if rest[0].Path != want {
			t.Fatalf("member %q: next entry is %q (%v)", want, rest[0].Path, rest[0].Err)
		}
		rest = rest[1:]
	}
}

func isStop(r ingest.Reason) bool {
	return r == ingest.ReasonTruncated || r == ingest.ReasonCorrupt || r == ingest.ReasonLimit || r == ingest.ReasonUnreadable
}

// fixChecksums rewrites the checksum of every block-aligned ustar header,
// so that mutations of header fields reach the walker instead of all
// failing the tar reader's checksum test.
func fixChecksums(data []byte) []byte {
	data = bytes.Clone(data)
	for off := 0; off+512 <= len(data); off += 512 {
		blk := data[off : off+512]
		if string(blk[257:262]) != "ustar" {
			continue
		}
		copy(blk[148:156], "        ")
		sum := 0
		for _, c := range blk {
			sum += int(c)
		}
		copy(blk[148:156], fmt.Sprintf("%06o\x00 ", sum))
	}
	return data
}

// The scanner at the edges of the grammar, each line read as
// encoding/json reads it (FuzzManifest explores the rest).
func TestScanner(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, line := range []string{
		`{}`, ` { } `, `{"a":1e5,"b":-0.0E-1,"c":0,"d":-12.5e+3}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`,
		`{"a":"\u00e9\ud800\"\\\/\b\f\n\r\t"}`, `{"a":"\ud83d\ude00\ud83d\u0041\udc00x\ud83d"}`, "{\"a\":\"\xed\xa0\x80\xf0\x9f\x98\x80\xef\xbf\xbd\"}", `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", "{\"\xff\":\"\xfe\"}",
		`{"a\u0041":1,"a\u0041":2}`, `{"a":[1,{"b":null}],"a":true}`, `{"a":tru}`, `{"a":nul}`, `{"a":1,}`, `{,}`,
		`{"a" 1}`, `{"a":1 "b":2}`, `{"a":[1,]}`, `{"a":{"b"}}`, `[1]`, `"x"`, `{"a":1}}`, `{"a":1} x`, `{"a":"b`, `{"a`,
		`{"a":` + nest(maxJSONDepth) + `}`, `{"a":` + nest(maxJSONDepth+1) + `}`,
	} {
		checkScanner(t, []byte(line))
	}
}
