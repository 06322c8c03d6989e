package source

import (
	"testing"
)

func TestClassifyName(t *testing.T) {
	cases := map[string]Kind{
		"a/b/prog-7.kcdf": KindBuffer, "x.kcov": KindBuffer, "x.bin": KindBuffer, "x.raw": KindBuffer,
		".kcdf": KindOther, "x.kcdf.gz": KindOther,
		"kallsyms": KindKallsyms, "d/kallsyms.txt": KindKallsyms, "boot1.kallsyms": KindKallsyms, "kallsyms.bak": KindOther,
		"System.map": KindSystemMap, "System.map-6.9.0-kcov": KindSystemMap, "system.map": KindOther,
		"d/manifest.jsonl": KindManifest, "manifest.json": KindOther,
	}
	for name, want := range cases {
		if got := classifyName(name, DefaultBufferSuffixes); got != want {
			t.Errorf("classifyName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestLooksLikeBuffer(t *testing.T) {
	a := bufferA()
	cases := []struct {
		name string
		b    []byte
		size int64 // 0: len(b)
		want bool
	}{
		{"layout A", a, 0, true},
		{"layout B", bufferB(), 0, true},
		{"whole mapping", append(a, make([]byte, 8000)...), 0, true},
		{"only the counter", wordBytes(0), 0, false},
		{"counter zero", wordBytes(0, 0xE<<28), 0, false},
		{"counter beyond the file", a[:40], 0, false},
		{"counter 2^24", wordBytes(1<<24, 0xE<<28), 1 << 28, false},
		{"all bits set", wordBytes(^uint64(0), ^uint64(0)), 0, false},
		{"A with a compare type", wordBytes(1, 0xC<<28), 0, false},
		{"B without type", wordBytes(1, 1<<32), 0, false},
		{"B with bits 24..27", wordBytes(1, 1<<32|0xE<<28|1<<24), 0, false},
		{"text", []byte("ffffffff81000000 T _text\n"), 0, false},
	}
	for _, c := range cases {
		size := c.size
		if size == 0 {
			size = int64(len(c.b))
		}
		if got := looksLikeBuffer(c.b, size); got != c.want {
			t.Errorf("%s: looksLikeBuffer = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestDetectFormat(t *testing.T) {
	tarHead := makeTar(t, reg("a", "x"))[:512]
	cases := []struct {
		name string
		head []byte
		want format
	}{
		{"x.bin", []byte{0x1f, 0x8b, 8}, formatGzip},
		{"x.tar.gz", []byte{0x28, 0xb5, 0x2f, 0xfd}, formatZstd},
		{"noname", tarHead, formatTar},
		{"old.tar", []byte("v7 tar without magic"), formatTar},
		{"empty.tgz", nil, formatTar},
		{"x.tar.xz", []byte("\xfd7zXZ\x00"), formatOther},
		{"notes.txt", []byte("hello"), formatNone},
	}
	for _, c := range cases {
		if got, _ := detectFormat(c.head, c.name); got != c.want {
			t.Errorf("detectFormat(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCleanMember(t *testing.T) {
	cases := []struct{ in, want string }{
		{"a/b.kcdf", "a/b.kcdf"},
		{"./a//b/./c", "a/b/c"},
		{"a/", "a"},
		{"../a", ""},
		{"a/../b", ""},
		{"a/..", ""},
		{"/etc/passwd", ""},
		{".", ""},
		{"", ""},
		{"..a/b..", "..a/b.."},
	}
	for _, c := range cases {
		got, r, msg := cleanMember(c.in)
		if got != c.want || (got == "") != (r != "") || (r != "") != (msg != "") {
			t.Errorf("cleanMember(%q) = %q, %q, %q; want %q", c.in, got, r, msg, c.want)
		}
	}
}

func TestEscapeName(t *testing.T) {
	cases := []struct {
		in, want string
		escaped  bool
	}{
		{"plain/é.kcdf", "plain/é.kcdf", false},
		{`back\slash`, `back\slash`, false},
		{"bad\xff", `bad\xff`, true},
		{"tab\tand\\", `tab\x09and\\`, true},
		{"nl\n", `nl\x0a`, true},
	}
	for _, c := range cases {
		got, esc := escapeName(c.in)
		if got != c.want || esc != c.escaped {
			t.Errorf("escapeName(%q) = %q, %v; want %q, %v", c.in, got, esc, c.want, c.escaped)
		}
	}
}
