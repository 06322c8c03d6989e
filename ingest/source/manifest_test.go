package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/kdf-tools/kdf/ingest"
)

func TestParseManifest(t *testing.T) {
	cases := []struct {
		name     string
		in       string
		entries  []string // "line file k=v,k=v" in order, keys sorted
		problems []string // "reason:line"
	}{
		{"one line", `{"file":"a.kcdf","exec_ns":12}`, []string{"1 a.kcdf exec_ns=12"}, nil},
		{"blank lines, CRLF and BOM", "\xef\xbb\xbf{\"file\":\"a\"}\r\n\n  \n{\"file\":\"b\"}\r\n", []string{"1 a ", "4 b "}, nil},
		{"bad JSON keeps the others", "{\"file\":\"a\"}\n{\"file\":\"b\",\n{\"file\":\"c\"}\n", []string{"1 a ", "3 c "}, []string{"bad_json:2"}},
		{"not an object", "[1,2]\n\"x\"\n42\n", nil, []string{"bad_json:1", "bad_json:2", "bad_json:3"}},
		{"text after the object", `{"file":"a"} {"file":"b"}`, nil, []string{"bad_json:1"}},
		{"duplicate key: last wins", `{"file":"a","arm":"x","arm":"y"}`, []string{"1 a arm=y"}, []string{"duplicate_key:1"}},
		{"duplicate key spelled with an escape", `{"file":"a","\u0061rm":"x","arm":"y"}`, []string{"1 a arm=y"}, []string{"duplicate_key:1"}},
		{"colons and braces inside strings", `{"file":"a","p":"x:{\"y\":[1]}","q":"\\"}`, []string{`1 a p=x:{"y":[1]},q=\`}, nil},
		{"duplicate file: later wins", "{\"file\":\"a\",\"vm\":1}\n{\"file\":\"./a\",\"vm\":2}\n", []string{"2 a vm=2"}, []string{"duplicate_file:1"}},
		{"no file", `{"program":"x"}`, nil, []string{"bad_manifest_entry:1"}},
		{"file not a string", `{"file":7}`, nil, []string{"bad_manifest_entry:1"}},
		{"file escapes", "{\"file\":\"../x\"}\n{\"file\":\"/etc/passwd\"}\n{\"file\":\".\"}\n", nil,
			[]string{"bad_manifest_entry:1", "bad_manifest_entry:2", "bad_manifest_entry:3"}},
		{"values", `{"file":"d/a","n":-1.50e+3,"t":true,"s":"\u00e9","o":{"x": [1, null]},"z":null}`,
			[]string{`1 d/a n=-1.50e+3,o={"x":[1,null]},s=é,t=true`}, nil},
		{"big integers stay exact", `{"file":"a","exec_ns":123456789012345678901234567890}`,
			[]string{"1 a exec_ns=123456789012345678901234567890"}, nil},
		{"deep nesting", `{"file":"a","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, nil, []string{"bad_json:1"}},
		{"invalid UTF-8 in a value", "{\"file\":\"a\",\"k\":\"\xff\"}", []string{"1 a k=\ufffd"}, nil},
		{"line above the bound", `{"file":"a","vm":"` + strings.Repeat("v", 64<<10) + "\"}\n" + `{"file":"b"}`,
			[]string{"2 b "}, []string{"manifest_too_large:1"}},
		{"line at the bound", `{"file":"a","vm":"` + strings.Repeat("v", 64<<10-20) + `"}`, []string{"1 a "}, []string{"attribute_too_large:1"}},
		{"value above the bound", `{"file":"a","vm":"` + strings.Repeat("v", 4<<10+1) + `","arm":"x","big":` + strings.Repeat("1", 4<<10+1) + `}`,
			[]string{"1 a arm=x"}, []string{"attribute_too_large:1", "attribute_too_large:1"}},
		{"value at the bound", `{"file":"a","vm":"` + strings.Repeat("v", 4<<10) + `"}`, []string{"1 a vm=" + strings.Repeat("v", 4<<10)}, nil},
		{"key above the bound", `{"file":"a","` + strings.Repeat("k", 257) + `":1,"arm":"x"}`, []string{"1 a arm=x"}, []string{"attribute_too_large:1"}},
		{"too many keys", `{"file":"a"` + keys(255) + "}\n" + `{"file":"b"` + keys(256) + "}",
			[]string{"1 a " + strings.TrimPrefix(strings.NewReplacer(`,"`, ",", `":`, "=").Replace(keys(255)), ",")}, []string{"manifest_too_large:2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := mustParseManifest(t, c.in, "src", "dir/manifest.jsonl")
			var got []string
			for i, e := range m.entries {
				var kv []string
				for _, k := range slices.Sorted(maps.Keys(m.attrs[i])) {
					kv = append(kv, k+"="+m.attrs[i][k])
				}
				got = append(got, fmt.Sprintf("%d %s %s", e.line, m.file(i), strings.Join(kv, ",")))
			}
			if !slices.Equal(got, c.entries) {
				t.Errorf("entries\n got %q\nwant %q", got, c.entries)
			}
			var probs []string
			for _, p := range m.problems {
				probs = append(probs, fmt.Sprintf("%s:%d", p.Reason, p.Line))
				if p.Path != "dir/manifest.jsonl" || p.Source != "src" || p.Msg == "" {
					t.Errorf("problem not positioned: %+v", p)
				}
			}
			if !slices.Equal(probs, c.problems) {
				t.Errorf("problems\n got %q\nwant %q", probs, c.problems)
			}
			if m.dir != "dir" {
				t.Errorf("dir %q", m.dir)
			}
		})
	}
}

// TestManifestLineStreamed: a line above the bound is skipped as it is
// read, never held: a 256 MiB line costs a scan, not 256 MiB.
func TestManifestLineStreamed(t *testing.T) {
	huge := io.MultiReader(strings.NewReader(`{"file":"a","vm":"`), io.LimitReader(repeat('v'), 256<<20),
		strings.NewReader("\"}\n{\"file\":\"b\",\"vm\":\"x\"}\n"))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := parseManifest(huge, "src", "manifest.jsonl", Options{}.withDefaults())
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.entries) != 1 || m.file(0) != "b" || len(m.problems) != 1 {
		t.Fatalf("entries %v, problems %v", m.entries, m.problems)
	}
	for _, want := range []string{"line 1", "manifest_too_large", "a line of 268435476 bytes", "--max-manifest-line"} {
		if got := m.problems[0].Error(); !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("parsing allocated %d bytes", alloc)
	}
}

// keys is n members "k000":1 ... of a JSON object, each after a comma.
func keys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `,"k%03d":1`, i)
	}
	return b.String()
}

// repeat is an endless reader of one byte.
type repeat byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestLineReader(t *testing.T) {
	const max = 8
	in := "12345678\n123456789\n\n12345678\r\n" + strings.Repeat("x", 100) + "\nlast"
	want := []string{"12345678", "! 9", "", "! 9", "! 100", "last"}
	lr := newLineReader(iotest.OneByteReader(strings.NewReader(in)), max)
	var got []string
	for {
		line, n, err := lr.next()
		if err == io.EOF {
			break
		}
		switch {
		case errors.Is(err, errLongLine):
			got = append(got, fmt.Sprintf("! %d", n))
		case err != nil:
			t.Fatal(err)
		case int64(len(line)) != n:
			t.Fatalf("line %q of length %d", line, n)
		default:
			got = append(got, string(line))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
}

func TestManifestErrorText(t *testing.T) {
	m := mustParseManifest(t, "{\"file\":\"a\"}\n{oops\n", "camp.tar.zst", "boot=1/manifest.jsonl")
	if len(m.problems) != 1 {
		t.Fatalf("problems %v", m.problems)
	}
	got := m.problems[0].Error()
	for _, want := range []string{"camp.tar.zst", "boot=1/manifest.jsonl", "line 2", "bad_json", "fix or remove it"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

// mustParseManifest parses text with the default options.
func mustParseManifest(t testing.TB, text, src, p string) *manifest {
	t.Helper()
	m, err := parseManifest(strings.NewReader(text), src, p, Options{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// openLazyManifest loads the manifest at path as a directory's, named
// name in its source; it is closed when the test ends.
func openLazyManifest(t testing.TB, path, name string, opt Options) *manifest {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseManifestFile(f, "src", name, opt.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.close)
	return m
}

// A string attribute reads as JSON decodes it, whether it takes the
// path for strings without escapes or not: escapes resolved, invalid
// UTF-8 replaced, other values spelled as written.
func TestAttrValue(t *testing.T) {
	for raw, want := range map[string]string{
		`"vm-0"`:                  "vm-0",
		`""`:                      "",
		`"read(0x8)\nclose(0x5)"`: "read(0x8)\nclose(0x5)",
		`"caf\u00e9"`:             "café",
		"\"caf\xe9\"":             "caf\uFFFD",
		`"a\"b\\c"`:               `a"b\c`,
		` "padded" `:              "padded",
		`35108`:                   "35108",
		`true`:                    "true",
		`{"a": [1, 2]}`:           `{"a":[1,2]}`,
	} {
		if got, ok := attrValue(json.RawMessage(raw)); !ok || got != want {
			t.Errorf("attrValue(%s) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	if _, ok := attrValue(json.RawMessage(`null`)); ok {
		t.Error("null is a value")
	}
}

// A directory's manifest keeps each line's place, not its attributes,
// and reads the line again when asked: the attributes and problems are
// those of the manifest parsed in memory.
func TestLazyManifest(t *testing.T) {
	text := "\xef\xbb\xbf{\"file\":\"a.kcdf\",\"vm\":\"vm-0\"}\r\n\n" +
		`{"file":"b.kcdf","program":"read(0x8)\nclose(0x5)","exec_ns":35108}` + "\n" +
		"{oops\n" +
		`{"file":"a.kcdf","vm":"vm-1","extra":{"a": [1, 2]}}` + "\n" +
		`  {"file":"c/d.kcdf","layout":"B","vm":null}  ` // no final newline
	eager := mustParseManifest(t, text, "src", "boot=1/manifest.jsonl")
	p := writeFile(t, t.TempDir(), "manifest.jsonl", []byte(text))
	lazy := openLazyManifest(t, p, "boot=1/manifest.jsonl", Options{})
	if fmt.Sprint(lazy.problems) != fmt.Sprint(eager.problems) || len(lazy.problems) != 2 {
		t.Errorf("problems %v, want %v", lazy.problems, eager.problems)
	}
	if len(lazy.entries) != len(eager.entries) || len(lazy.entries) != 3 {
		t.Fatalf("%d entries, want %d", len(lazy.entries), len(eager.entries))
	}
	if lazy.attrs != nil {
		t.Errorf("a lazy manifest holds attributes: %v", lazy.attrs)
	}
	for i, e := range lazy.entries {
		want := eager.entries[i]
		if lazy.file(i) != eager.file(i) || e.line != want.line {
			t.Errorf("entry %d: line %d %q; want line %d %q", i, e.line, lazy.file(i), want.line, eager.file(i))
		}
		la, err := lazy.lineAttrs(i)
		if err != nil || !maps.Equal(la.attrs, eager.attrs[i]) || la.line != want.line || la.manifest != "boot=1/manifest.jsonl" {
			t.Errorf("%s read again: %+v, %v; want %v", lazy.file(i), la, err, eager.attrs[i])
		}
	}

	// The file changed in place since it was loaded and before its
	// lines were read again: the lines that no longer read as they did
	// are errors, never other lines' attributes.
	lazy = openLazyManifest(t, p, "boot=1/manifest.jsonl", Options{})
	if err := os.WriteFile(p, []byte(`{"file":"x.kcdf","vm":"vm-9","exec_ns":1}`+"\n"+text), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range lazy.entries {
		if la, err := lazy.lineAttrs(i); err == nil {
			t.Errorf("%s: read %v from a changed manifest", lazy.file(i), la.attrs)
		}
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := lazy.lineAttrs(0); err == nil {
		t.Error("a line read from an emptied manifest")
	}
	lazy.close()
	if _, err := lazy.lineAttrs(0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("read from a closed manifest: %v", err)
	}
}

// countingReader counts a lazy manifest's reads of its file.
type countingReader struct {
	readerAtCloser
	reads int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.reads++
	return c.readerAtCloser.ReadAt(p, off)
}

// TestLazyManifestReadsAhead: files resolved in the order of their lines
// cost one read of the manifest per readAhead bytes of it, not one per
// file; resolved in any other order, each line still reads as it was
// written.
func TestLazyManifestReadsAhead(t *testing.T) {
	var b strings.Builder
	const files = 3000
	for i := range files {
		fmt.Fprintf(&b, `{"file":"prog-%06d.kcdf","program":"read(0x%x)\nclose(0x5)","exec_ns":%d}`+"\n", i, i, 1000+i)
	}
	text := b.String()
	p := writeFile(t, t.TempDir(), "manifest.jsonl", []byte(text))
	lazy := openLazyManifest(t, p, "manifest.jsonl", Options{})
	counter := &countingReader{readerAtCloser: lazy.f}
	lazy.f = counter
	check := func(i int) {
		t.Helper()
		la, err := lazy.lineAttrs(i)
		want := fmt.Sprintf("%d", 1000+i)
		if err != nil || la.attrs["exec_ns"] != want || lazy.file(i) != fmt.Sprintf("prog-%06d.kcdf", i) {
			t.Fatalf("line %d read again: %v, %v; want exec_ns %s", i+1, la.attrs, err, want)
		}
	}
	for i := range files {
		check(i)
	}
	if most := len(text)/readAhead + 1; counter.reads > most {
		t.Errorf("%d reads for %d files in order, %d bytes of manifest: want at most %d", counter.reads, files, len(text), most)
	}
	counter.reads = 0
	for i := files - 1; i >= 0; i -= 7 {
		check(i)
	}
	for _, i := range []int{5, 2900, 17, 1500, 1501, 1502, 0} {
		check(i)
	}
	if counter.reads == 0 {
		t.Error("lines out of order were all served from one window")
	}
}

// TestManifestIndex: in a manifest of thousands of lines, past the name
// table's growths, every file is found at the last line naming it, a
// name that no line gives is not found, and the lines replaced are
// reported.
func TestManifestIndex(t *testing.T) {
	var b strings.Builder
	const files = 5000
	last := map[string]int{}
	n := 0
	for i := range files {
		name := fmt.Sprintf("boot=%d/prog-%06d.kcdf", i%7, i)
		n++
		fmt.Fprintf(&b, "{\"file\":%q,\"i\":%d}\n", name, i)
		last[name] = n
		if i%10 == 3 || i%10 == 7 { // named again further on, some three times
			j := i / 2
			if i%10 == 7 {
				j = (i - 4) / 2
			}
			n++
			fmt.Fprintf(&b, "{\"file\":%q,\"again\":true}\n", fmt.Sprintf("boot=%d/prog-%06d.kcdf", j%7, j))
			last[fmt.Sprintf("boot=%d/prog-%06d.kcdf", j%7, j)] = n
		}
	}
	m := mustParseManifest(t, b.String(), "src", "manifest.jsonl")
	if len(m.entries) != len(last) {
		t.Fatalf("%d entries for %d files", len(m.entries), len(last))
	}
	for name, line := range last {
		i, ok := m.byFile.lookup(m, name)
		if !ok || m.entries[i].line != line || m.file(i) != name {
			t.Fatalf("%s: entry %d (found %v), want line %d", name, i, ok, line)
		}
	}
	for _, name := range []string{"", "prog-000001.kcdf", "boot=0/prog-000001.kcdf", "boot=1/prog-000001.kcdfx"} {
		if i, ok := m.byFile.lookup(m, name); ok {
			t.Errorf("%q found at entry %d", name, i)
		}
	}
	dups := 0
	for _, p := range m.problems {
		if p.Reason == ingest.ReasonDuplicateFile {
			dups++
		}
	}
	if want := n - len(last); dups+m.unlisted != want {
		t.Errorf("%d replaced lines reported, %d counted; want %d", dups, m.unlisted, want)
	}
}

// TestManifestKeyCache: the keys of earlier lines, cached, give each
// line its own keys: a key spelled with an escape and without, and more
// distinct keys than the cache holds.
func TestManifestKeyCache(t *testing.T) {
	var b strings.Builder
	const lines = 3 * maxCachedKeys
	for i := range lines {
		arm := `"arm"`
		if i%2 == 1 {
			arm = `"\u0061rm"`
		}
		fmt.Fprintf(&b, "{\"file\":\"p%d\",%s:\"a%d\",\"k%d\":%d}\n", i, arm, i, i, i)
	}
	m := mustParseManifest(t, b.String(), "src", "manifest.jsonl")
	if len(m.entries) != lines || len(m.problems) != 0 {
		t.Fatalf("%d entries, problems %v", len(m.entries), m.problems)
	}
	for i := range lines {
		want := Attrs{"arm": fmt.Sprint("a", i), fmt.Sprint("k", i): fmt.Sprint(i)}
		if !maps.Equal(m.attrs[i], want) {
			t.Fatalf("line %d: %v, want %v", i+1, m.attrs[i], want)
		}
	}
	if n := len(m.scratch.keys); n != maxCachedKeys {
		t.Errorf("%d keys cached, want the bound, %d", n, maxCachedKeys)
	}
}
