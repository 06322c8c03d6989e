package source

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
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
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := parseManifest([]byte(c.in), "src", "dir/manifest.jsonl")
			var got []string
			for _, e := range m.entries {
				var kv []string
				for _, k := range slices.Sorted(maps.Keys(e.attrs)) {
					kv = append(kv, k+"="+e.attrs[k])
				}
				got = append(got, fmt.Sprintf("%d %s %s", e.line, e.file, strings.Join(kv, ",")))
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

func TestManifestErrorText(t *testing.T) {
	m := parseManifest([]byte("{\"file\":\"a\"}\n{oops\n"), "camp.tar.zst", "boot=1/manifest.jsonl")
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
