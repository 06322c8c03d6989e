package source

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/kdf-tools/kdf/ingest"
)

// headSize is how much of a file is read to recognise it: enough for the
// tar magic at offset 257 and for a buffer's first two words.
const headSize = 512

// classifyName recognises a file by its base name alone. It returns
// KindOther when the name says nothing; the content decides then.
func classifyName(name string, suffixes []string) Kind {
	base := path.Base(name)
	switch {
	case base == "kallsyms", base == "kallsyms.txt", strings.HasSuffix(base, ".kallsyms"):
		return KindKallsyms
	case base == "System.map", strings.HasPrefix(base, "System.map-"):
		return KindSystemMap
	case base == "manifest.jsonl":
		return KindManifest
	}
	if k, _ := typesFile(name); k != KindOther {
		return k
	}
	if BufferName(base, suffixes) {
		return KindBuffer
	}
	return KindOther
}

// BufferName reports whether a base name makes a file a raw buffer:
// it ends in one of suffixes (Options.BufferSuffixes; nil means
// DefaultBufferSuffixes) and has more than the suffix.
func BufferName(base string, suffixes []string) bool {
	if suffixes == nil {
		suffixes = DefaultBufferSuffixes
	}
	for _, s := range suffixes {
		if strings.HasSuffix(base, s) && len(base) > len(s) {
			return true
		}
	}
	return false
}

// The words of a raw buffer the sniff looks at (docs/FORMAT.md, "The
// common frame" and "Telling the layouts apart").
const (
	maxCounter  = 1 << 24 // a buffer holds at most 2^24 words
	typeShift   = 28
	typeMask    = 0xF
	bNvalsShift = 32
	bNvalsMask  = 0xFFFF
	bUnused     = 0xF << 24 // never written in layout B
)

// looksLikeBuffer says whether head (the first bytes of a file of size
// bytes) is plausibly a raw kcov_dataflow buffer: word 0 a counter that
// fits the file, word 1 a record header of layout A or B. A counter of
// zero has no header to check, so an unnamed empty buffer stays Other.
func looksLikeBuffer(head []byte, size int64) bool {
	if size < 16 || len(head) < 16 {
		return false
	}
	n := binary.LittleEndian.Uint64(head)
	if n == 0 || n >= maxCounter || 1+n > uint64(size/8) {
		return false
	}
	h := binary.LittleEndian.Uint64(head[8:])
	typ := h >> typeShift & typeMask
	if h>>32 == 0 { // layout A: upper half zero, entry or return
		return typ == 0xE || typ == 0xF
	}
	if h>>bNvalsShift&bNvalsMask == 0 || h&bUnused != 0 {
		return false
	}
	return typ == 0xC || typ == 0xE || typ == 0xF
}

// format is what a file's first bytes (or, failing those, its name) say
// about how to read it as an archive.
type format uint8

const (
	formatNone  format = iota
	formatTar          // plain tar
	formatGzip         // gzip, assumed to hold a tar
	formatZstd         // zstd, assumed to hold a tar
	formatOther        // a compression or archive format kdf does not read
)

var archiveSuffixes = []string{".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar.zstd", ".tar"}

// archiveStem strips an archive suffix from a base name; ok is false
// when the name has none.
func archiveStem(base string) (stem string, ok bool) {
	for _, s := range archiveSuffixes {
		if strings.HasSuffix(base, s) {
			return strings.TrimSuffix(base, s), true
		}
	}
	return base, false
}

// detectFormat decides by magic bytes first: a name can lie (a .tar.gz
// that is really zstd), the content cannot. The name only decides for a
// plain tar without ustar magic (the old v7 format) or an empty file.
// other names a foreign format for the report.
func detectFormat(head []byte, name string) (f format, other string) {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return formatGzip, ""
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return formatZstd, ""
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return formatTar, ""
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return formatOther, "xz"
	case bytes.HasPrefix(head, []byte("BZh")):
		return formatOther, "bzip2"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return formatOther, "zip"
	case bytes.HasPrefix(head, []byte{0x04, 0x22, 0x4d, 0x18}):
		return formatOther, "lz4"
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")):
		return formatOther, "7z"
	}
	if _, ok := archiveStem(path.Base(name)); ok {
		return formatTar, ""
	}
	return formatNone, ""
}

func (f format) String() string {
	switch f {
	case formatTar:
		return "tar"
	case formatGzip:
		return "gzip"
	case formatZstd:
		return "zstd"
	}
	return "unknown"
}

// classifyContent recognises a file whose name said nothing. reason is
// set for KindOther.
func classifyContent(head []byte, name string, size int64) (k Kind, reason string) {
	if looksLikeBuffer(head, size) {
		return KindBuffer, ""
	}
	switch f, other := detectFormat(head, name); f {
	case formatTar, formatGzip, formatZstd:
		return KindOther, fmt.Sprintf("nested archive (%s): not opened; extract it and give it as a source of its own", f)
	case formatOther:
		return KindOther, fmt.Sprintf("%s file: kdf reads only tar, tar.gz and tar.zst archives; extract it, or re-create it as one of those", other)
	}
	return KindOther, "not a raw buffer, kallsyms, System.map or manifest.jsonl by name or content; if it is a buffer, name it *.kcdf"
}

// escapeName keeps a name usable when it is not valid UTF-8 or holds
// control characters: such bytes become \xNN and a backslash becomes
// \\, so the escaped form is unambiguous and prints safely. Clean names
// are returned unchanged with escaped false.
func escapeName(s string) (out string, escaped bool) {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, isControl) {
		return s, false
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1, isControl(r):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String(), true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// cleanMember turns a tar member name into a clean slash path inside the
// archive. Absolute names and names with a ".." element are refused, not
// rewritten: a name that tries to leave the archive was made wrongly or
// with intent, and guessing where it belongs could attach a symbol table
// or manifest to the wrong buffers. This matches GNU tar, which refuses
// ".." members. A leading "./" is ordinary and removed.
func cleanMember(raw string) (p string, r ingest.Reason, msg string) {
	if strings.HasPrefix(raw, "/") {
		return "", ingest.ReasonUnsafePath, "absolute member name: skipped; re-create the archive with relative names (tar -C DIR .)"
	}
	for _, el := range strings.Split(raw, "/") {
		if el == ".." {
			return "", ingest.ReasonUnsafePath, `member name contains "..": skipped; re-create the archive with names inside it`
		}
	}
	p = path.Clean(raw)
	if p == "." || p == "" {
		return "", ingest.ReasonBadName, "member has an empty name: skipped"
	}
	return p, "", ""
}
