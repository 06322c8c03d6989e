package pipeline

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
)

// runCheck is what a runs row must show, in words for the README.
type runCheck struct {
	desc string
	ok   func(r *hostileRun) bool
}

func all(cs ...runCheck) runCheck {
	var descs []string
	for _, c := range cs {
		descs = append(descs, c.desc)
	}
	return runCheck{strings.Join(descs, ", "), func(r *hostileRun) bool {
		for _, c := range cs {
			if !c.ok(r) {
				return false
			}
		}
		return true
	}}
}

func records(n int64) runCheck {
	return runCheck{"records " + itoa(n), func(r *hostileRun) bool { return r.Records == n }}
}

func damaged(words int64) runCheck {
	return runCheck{"damaged_words " + itoa(words), func(r *hostileRun) bool {
		return r.DamagedWords == words && r.DamageEvents > 0 && strings.Contains(deref(r.Problems), "words skipped")
	}}
}

func torn(words int64) runCheck {
	return runCheck{"torn (" + itoa(words) + " words)", func(r *hostileRun) bool { return r.Torn && r.TornWords == words }}
}

func missing(words int64) runCheck {
	return runCheck{"missing_words " + itoa(words), func(r *hostileRun) bool {
		return r.MissingWords == words && strings.Contains(deref(r.Problems), "the file ends")
	}}
}

var counterInvalid = runCheck{"words -1 (counter above 2^24)", func(r *hostileRun) bool {
	return r.Words == -1 && strings.Contains(deref(r.Problems), "exceeds the")
}}

var whole = runCheck{"no damage", func(r *hostileRun) bool {
	return r.DamagedWords == 0 && !r.Torn && r.MissingWords == 0
}}

func problem(s string) runCheck {
	return runCheck{"problems: " + s, func(r *hostileRun) bool { return strings.Contains(deref(r.Problems), s) }}
}

var symbolized = runCheck{"symbolized", func(r *hostileRun) bool {
	return r.Kallsyms != nil && r.Records > 0 && r.Unresolved*4 < r.Records
}}

func unsymbolized(why string) runCheck {
	return runCheck{"not symbolized (problems: " + why + ")", func(r *hostileRun) bool {
		return r.Kallsyms == nil && r.Unresolved == r.Records && strings.Contains(deref(r.Problems), why)
	}}
}

// unresolvedIn: the run was symbolized with table, and none of its pcs
// resolved.
func unresolvedIn(table string) runCheck {
	return runCheck{"every pc unresolved in " + table, func(r *hostileRun) bool {
		return r.Kallsyms != nil && strings.HasSuffix(*r.Kallsyms, table) && r.Records > 0 && r.Unresolved == r.Records
	}}
}

func vm(v string) runCheck {
	return runCheck{"vm " + v, func(r *hostileRun) bool { return deref(r.VM) == v }}
}

var fromManifest = runCheck{"manifest attributes", func(r *hostileRun) bool { return r.ExecNS != nil && r.Capacity != nil }}

// layout checks the detected layout and that records were decoded.
func layout(l string) runCheck {
	return runCheck{"layout " + l, func(r *hostileRun) bool { return r.Layout == l && r.Records > 0 }}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (g *corpus) words(recs [][]uint64, counter uint64) []byte { return le(area(counter, recs...)...) }

// overflowA is vfs_write's record of an n-field struct argument written
// as the RFC writer does, its count carrying into the type bits.
func (g *corpus) overflowA(seq uint32, n int) []uint64 {
	vals := make([]uint64, n)
	for i := range vals {
		vals[i] = uint64(i + 1)
	}
	return g.recA(ingest.KindEntry, seq, 1, 128, vals...)
}

// retype sets a record header's type bits.
func retype(rec []uint64, typ uint64) []uint64 {
	rec[0] = rec[0]&^(0xF<<28) | typ<<28
	return rec
}

func (g *corpus) garbageKallsyms() []byte {
	return []byte("\x00\x01binary\xff\xfe\n" +
		"zzzzzzzzzzzzzzzz T bad_hex\n" +
		"ffffffff81000000\n" +
		"ffffffff81000000 T too many fields here\n" +
		"ffffffff81000000 Q unknown_type\n" +
		"fffffffff81000000 T seventeen_digits\n" +
		strings.Repeat("A", 4100) + "\n")
}

// interleave puts the garbage lines between the lines of a good file.
func interleave(good, garbage []byte) []byte {
	gl := bytes.SplitAfter(good, []byte("\n"))
	bl := bytes.SplitAfter(garbage, []byte("\n"))
	var out []byte
	for i, l := range gl {
		out = append(out, l...)
		if i%20 == 0 && len(bl) > 0 {
			out, bl = append(out, bl[0]...), bl[1:]
		}
	}
	return out
}

// manifestWith rewrites the good manifest's line for buffer i (0-based)
// with the given fields set (nil deletes).
func (g *corpus) manifestWith(edits map[int]map[string]any, extra ...string) []byte {
	var b bytes.Buffer
	for i, l := range g.goodManifest {
		if e, ok := edits[i]; ok {
			var m map[string]any
			json.Unmarshal(l, &m)
			for k, v := range e {
				if v == nil {
					delete(m, k)
				} else {
					m[k] = v
				}
			}
			l, _ = json.Marshal(m)
		}
		b.Write(l)
		b.WriteByte('\n')
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

func badChecksum(b []byte, member int) []byte {
	b = bytes.Clone(b)
	off := 0
	for i := 0; off+512 <= len(b); i++ {
		size := int64(0)
		for _, c := range bytes.TrimRight(bytes.TrimLeft(b[off+124:off+136], " \x00"), " \x00") {
			size = size*8 + int64(c-'0')
		}
		if i == member {
			b[off+148] ^= 0x7 // the stored checksum no longer matches
			return b
		}
		off += 512 + int(size+511)/512*512
	}
	panic("no such member")
}

const (
	archive = "campaign.tar"
	mib     = 1 << 20
)

// member is the key of a run or reject inside the case's archive.
func member(p string) string { return strings.TrimSuffix(archive, ".tar") + ":" + p }

var hostileCases = []hostileCase{
	// Raw buffers.
	{dir: "buf-empty", what: "a buffer file of 0 bytes",
		files:   one("empty.kcdf", []byte{}),
		rejects: []wantReject{{"empty.kcdf", "empty", "found 0 bytes"}}},
	{dir: "buf-short", what: "a buffer of 5 bytes: not even its counter word",
		files:   one("short.kcdf", []byte{1, 0, 0, 0, 0}),
		rejects: []wantReject{{"short.kcdf", "empty", "found 5 bytes"}}},
	{dir: "buf-not-multiple-of-8", what: "lengths not a multiple of 8: a whole buffer plus 3 bytes; a buffer whose last counted word is cut",
		files: func(g *corpus) map[string][]byte {
			b := g.words(g.callA(1), auto)
			return map[string][]byte{"trailing.kcdf": append(b, 1, 2, 3), "cut.kcdf": b[:len(b)-5]}
		},
		runs: []wantRun{{"trailing.kcdf", all(records(4), whole, problem("3 bytes after the last whole word"))},
			{"cut.kcdf", all(records(3), torn(3), missing(1), problem("3 bytes after the last whole word"))}}},
	{dir: "buf-counter-beyond-file", what: "word 0 counts 1000 words, the file holds 16",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"beyond.kcdf": g.words(g.callA(1), 1000)}
		},
		runs: []wantRun{{"beyond.kcdf", all(records(4), missing(984))}}},
	{dir: "buf-counter-max", what: "word 0 is 2^64-1, one call's records follow",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"max.kcdf": g.words(g.callA(1), 1<<64-1)}
		},
		runs: []wantRun{{"max.kcdf", all(counterInvalid, records(4))}}},
	{dir: "buf-all-ones", what: "every bit set: 512 bytes of 0xff named .kcdf, and 1000 bytes unnamed",
		files: func(*corpus) map[string][]byte {
			return map[string][]byte{"ones.kcdf": bytes.Repeat([]byte{0xff}, 512), "ones": bytes.Repeat([]byte{0xff}, 1000)}
		},
		runs:    []wantRun{{"ones.kcdf", all(counterInvalid, records(0))}},
		rejects: []wantReject{{"ones", "not_a_buffer", "not a raw buffer"}}},
	{dir: "buf-unknown-types", what: "records of types 0x0, 0x1, 0x5, 0xA, 0xD between two good calls",
		files: func(g *corpus) map[string][]byte {
			var bad [][]uint64
			for i, typ := range []uint64{0x0, 0x1, 0x5, 0xA, 0xD} {
				bad = append(bad, retype(g.recA(ingest.KindEntry, uint32(5+i), 0, 8, 7), typ))
			}
			return map[string][]byte{"types.kcdf": g.words(cat(g.callA(1), bad, g.callA(10)), auto)}
		},
		runs: []wantRun{{"types.kcdf", all(records(8), damaged(20))}}},
	{dir: "buf-a-struct-overflow", what: "layout A, a struct argument of 16, 17 and 256 fields: the count overflows into the type bits (16: count 0; 17: a RET of 1; 256: past bit 31)",
		files: func(g *corpus) map[string][]byte {
			out := map[string][]byte{}
			for _, n := range []int{16, 17, 256} {
				out["fields"+strconv.Itoa(n)+".kcdf"] = g.words(cat(g.callA(1), [][]uint64{g.overflowA(5, n)}, g.callA(6)), auto)
			}
			return out
		},
		runs: []wantRun{{"fields16.kcdf", all(records(8), damaged(19))}, {"fields17.kcdf", all(records(8), damaged(20))},
			{"fields256.kcdf", all(records(8), damaged(259))}}},
	{dir: "buf-b-nvals-65535", what: "layout B, a header with nvals 65535 five words before the end of the counted words, and the same with a counter that runs 65533 words past the file",
		files: func(g *corpus) map[string][]byte {
			huge := []uint64{ingest.HeaderB(ingest.KindEntry, 65535, 8, 0, 5), g.pcB, 0, 1, 2}
			recs := cat(g.callB(1), [][]uint64{huge})
			return map[string][]byte{"nvals-end.kcdf": g.words(recs, auto), "nvals-beyond.kcdf": g.words(recs, 16+3+65535)}
		},
		runs: []wantRun{{"nvals-end.kcdf", all(layout("B"), records(4), torn(5))},
			{"nvals-beyond.kcdf", all(layout("B"), records(4), torn(5), missing(65533))}}},
	{dir: "buf-random", what: "4 KiB of random bytes, named .kcdf and unnamed",
		files: func(*corpus) map[string][]byte {
			return map[string][]byte{"random.kcdf": noise(1, 4096), "random.dat": noise(2, 4096)}
		},
		runs:    []wantRun{{"random.kcdf", all(counterInvalid, records(0))}},
		rejects: []wantReject{{"random.dat", "not_a_buffer", "not a raw buffer"}}},
	{dir: "buf-mixed-layouts", what: "both layouts in one buffer: a call in A, B, A and one record more, and the reverse",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"aba.kcdf": g.words(cat(g.callA(1), g.callB(5), g.callA(9), g.callA(13)[:1]), auto),
				"bab.kcdf": g.words(cat(g.callB(1), g.callA(5), g.callB(9), g.callB(13)[:1]), auto)}
		},
		runs: []wantRun{{"aba.kcdf", all(layout("A"), records(9), damaged(16))},
			{"bab.kcdf", all(layout("B"), records(9), damaged(16))}}},
	{dir: "buf-zero-pc", what: "a record whose pc is 0 between two good calls",
		files: func(g *corpus) map[string][]byte {
			r := g.recA(ingest.KindEntry, 5, 0, 8, 1)
			r[1] = 0
			return map[string][]byte{"zero-pc.kcdf": g.words(cat(g.callA(1), [][]uint64{r}, g.callA(6)), auto)}
		},
		runs: []wantRun{{"zero-pc.kcdf", all(records(8), damaged(4))}}},
	{dir: "buf-zeros", what: "4 KiB of zeros: an empty whole-mapping dump",
		files: one("zeros.kcdf", make([]byte, 4096)),
		runs: []wantRun{{"zeros.kcdf", all(records(0), whole, runCheck{"capacity 512", func(r *hostileRun) bool {
			return r.Capacity != nil && *r.Capacity == 512
		}})}}},
	{dir: "buf-duplicate", what: "a copy of a good buffer under another name: another run, of the same content",
		files: func(g *corpus) map[string][]byte { return map[string][]byte{"copy.kcdf": g.goodBufs[0]} },
		runs:  []wantRun{{"copy.kcdf", all(layout("A"), whole)}, {"prog-000001.kcdf", all(layout("A"), whole)}}},

	// Symbol tables: each replaces or joins the good boot's kallsyms.
	{dir: "kallsyms-hidden", what: "kallsyms with every address zero (kptr_restrict)",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"kallsyms": zeroAddrs(g.goodKallsyms)}
		},
		rejects: []wantReject{{"kallsyms", "hidden_kallsyms", "kptr_restrict = 0"}},
		runs:    goodRuns(unsymbolized("symbol addresses are zero"))},
	{dir: "kallsyms-garbage-lines", what: "the good kallsyms with 7 garbage lines among its lines (binary, bad hex, missing and extra fields, unknown type, 17 digits, a 4100-byte line)",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"kallsyms": interleave(g.goodKallsyms, g.garbageKallsyms())}
		},
		runs: goodRuns(all(symbolized, problem("7 lines of kallsyms"), problem("skipped")))},
	{dir: "kallsyms-all-garbage", what: "kallsyms of garbage lines only",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"kallsyms": g.garbageKallsyms()}
		},
		rejects: []wantReject{{"kallsyms", "bad_symbols", "no valid symbols in 7 lines"}},
		runs:    goodRuns(unsymbolized("no valid symbols"))},
	{dir: "btf-garbage", what: "the boot's vmlinux.btf, as kdf record captures it, of bytes that are not BTF",
		files:   one("vmlinux.btf", []byte("this is not BTF, but a file of the right name\n")),
		rejects: []wantReject{{"vmlinux.btf", "bad_types", "neither raw BTF (magic 0xEB9F) nor an ELF file"}},
		runs:    goodRuns(problem("types"))},
	{dir: "kallsyms-empty", what: "kallsyms of 0 bytes",
		files:   one("kallsyms", []byte{}),
		rejects: []wantReject{{"kallsyms", "bad_symbols", "no valid symbols in 0 lines"}},
		runs:    goodRuns(unsymbolized("no valid symbols"))},
	{dir: "kallsyms-blank-lines", what: "kallsyms of 16 MiB of empty lines, for which a parse that made room by its lines would make room for 16 million symbols",
		build: func(t *testing.T, src, _ string) {
			must(t, os.WriteFile(filepath.Join(src, "kallsyms"), bytes.Repeat([]byte{'\n'}, 16<<20), 0o644))
		},
		rejects: []wantReject{{"kallsyms", "bad_symbols", "no valid symbols in 16777216 lines"}},
		runs:    goodRuns(unsymbolized("no valid symbols"))},
	{dir: "kallsyms-duplicates", what: "kallsyms with every line twice and vfs_write also at a second address",
		files: func(g *corpus) map[string][]byte {
			var b []byte
			for _, l := range bytes.SplitAfter(g.goodKallsyms, []byte("\n")) {
				b = append(append(b, l...), l...)
			}
			b = append(b, "ffffffffffff0000 T vfs_write\n"...)
			return map[string][]byte{"kallsyms": b}
		},
		runs: goodRuns(symbolized)},
	{dir: "kallsyms-other-boot", what: "the kallsyms of another boot of the same kernel (KASLR put it elsewhere) beside the good boot's layout-A buffers",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"kallsyms": g.archKallsyms}
		},
		runs: goodRuns(all(unresolvedIn("kallsyms"), problem("a kallsyms of another boot or kernel looks like this")))},
	{dir: "kallsyms-ambiguous", what: "two different kallsyms snapshots in one directory",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"boot.kallsyms": g.archKallsyms}
		},
		rejects: []wantReject{{"kallsyms", "ambiguous_snapshot", "keep one per directory"},
			{"boot.kallsyms", "ambiguous_snapshot", "keep one per directory"}},
		runs: goodRuns(unsymbolized("keep one per directory"))},

	// Manifests: each replaces the good boot's manifest.jsonl.
	{dir: "manifest-bad-json", what: "manifest lines that are not one JSON object: cut, not JSON, an array, two objects, binary",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"manifest.jsonl": g.manifest(`{"file":"prog-000001.kcdf",`, `not json`, `[1,2,3]`,
				`{"file":"prog-000002.kcdf"} {"vm":"x"}`, "\x00\xff\xfe{")}
		},
		rejects: []wantReject{{"manifest.jsonl", "bad_json", "line 4"}, {"manifest.jsonl#2", "bad_json", "line 5"},
			{"manifest.jsonl#3", "bad_json", "line 6"}, {"manifest.jsonl#4", "bad_json", "line 7"}, {"manifest.jsonl#5", "bad_json", "line 8"}},
		runs: goodRuns(fromManifest)},
	{dir: "manifest-unknown-file", what: "a manifest line naming a file the boot does not have",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"manifest.jsonl": g.manifest(`{"file":"gone.kcdf","vm":"x"}`)}
		},
		rejects: []wantReject{{"manifest.jsonl", "unknown_file", "add the file or remove the line"}},
		runs:    goodRuns(fromManifest)},
	{dir: "manifest-duplicate-keys", what: "a manifest line with the key vm three times",
		files: func(g *corpus) map[string][]byte {
			line := strings.Replace(string(g.goodManifest[0]), `"vm":"vm-0"`, `"vm":"a","vm":"b","vm":"last"`, 1)
			return map[string][]byte{"manifest.jsonl": []byte(line + "\n" + string(g.goodManifest[1]) + "\n" + string(g.goodManifest[2]) + "\n")}
		},
		rejects: []wantReject{{"manifest.jsonl", "duplicate_key", `line 1: duplicate_key: key "vm" appears more than once`},
			{"manifest.jsonl#2", "duplicate_key", `line 1: duplicate_key: key "vm" appears more than once`}},
		runs: []wantRun{{"prog-000001.kcdf", all(fromManifest, vm("last"))}}},
	{dir: "manifest-duplicate-file", what: "two manifest lines naming one buffer",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"manifest.jsonl": g.manifest(`{"file":"prog-000002.kcdf","vm":"second"}`)}
		},
		rejects: []wantReject{{"manifest.jsonl", "duplicate_file", "line 2 is ignored, line 4 is used"}},
		runs:    []wantRun{{"prog-000002.kcdf", vm("second")}}},
	{dir: "manifest-bad-file-key", what: `manifest lines whose "file" leaves the directory, is absolute, empty, a number, or missing`,
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"manifest.jsonl": g.manifest(`{"file":"../../../etc/passwd"}`, `{"file":"/etc/passwd"}`,
				`{"file":""}`, `{"file":7}`, `{"arm":"x"}`)}
		},
		rejects: []wantReject{{"manifest.jsonl", "bad_manifest_entry", "not a path below"}, {"manifest.jsonl#2", "bad_manifest_entry", "not a path below"},
			{"manifest.jsonl#3", "bad_manifest_entry", "want a non-empty string"}, {"manifest.jsonl#4", "bad_manifest_entry", "want a non-empty string"},
			{"manifest.jsonl#5", "bad_manifest_entry", `no "file" key`}},
		runs: goodRuns(fromManifest)},
	{dir: "manifest-many-problems", what: "a manifest with 5000 lines that are not JSON and 150 lines naming missing files",
		files: func(g *corpus) map[string][]byte {
			var extra []string
			for i := range 5150 {
				if i < 5000 {
					extra = append(extra, "x")
				} else {
					extra = append(extra, `{"file":"gone-`+strconv.Itoa(i)+`.kcdf"}`)
				}
			}
			return map[string][]byte{"manifest.jsonl": g.manifest(extra...)}
		},
		rejects: slices.Concat(numbered("manifest.jsonl", 1, 100, "bad_json", "not one JSON object"),
			numbered("manifest.jsonl", 101, 1, "too_many_problems", "4900 more problems from line 104 on"),
			numbered("manifest.jsonl", 102, 100, "unknown_file", "add the file or remove the line"),
			numbered("manifest.jsonl", 202, 1, "too_many_problems", "50 more lines from line 5104 on")),
		runs: goodRuns(fromManifest)},
	{dir: "manifest-bad-values", what: "capacity_words 1e12, 2^40 and layout Z in manifest lines",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"manifest.jsonl": g.manifestWith(map[int]map[string]any{
				0: {"capacity_words": json.Number("1e12")}, 1: {"layout": "Z"}, 2: {"capacity_words": 1 << 40, "layout": "Z"}})}
		},
		runs: []wantRun{{"prog-000001.kcdf", all(problem("capacity_words"), layout("A"))},
			{"prog-000002.kcdf", all(problem("attribute layout"), layout("A"))},
			{"prog-000003.kcdf", all(problem("capacity_words"), problem("attribute layout"), layout("A"))}}},

	// Archives, each beside the good boot and holding good members.
	{dir: "tar-dotdot", what: "a tar with members named ../escape.kcdf, boot=2/../../../escape.kcdf and ../kallsyms",
		files: func(g *corpus) map[string][]byte {
			ms := append(g.goodMembers("boot=2/", 2), reg("../escape.kcdf", g.archBufs[2]),
				reg("boot=2/../../../escape.kcdf", g.archBufs[2]), reg("../kallsyms", g.garbageKallsyms()))
			return map[string][]byte{archive: tarOf(ms...)}
		},
		rejects: []wantReject{{member("../escape.kcdf"), "unsafe_path", "re-create the archive"},
			{member("boot=2/../../../escape.kcdf"), "unsafe_path", "re-create the archive"},
			{member("../kallsyms"), "unsafe_path", "re-create the archive"}},
		runs: archiveRuns(2)},
	{dir: "tar-absolute", what: "a tar with members named /tmp/kdf-hostile-escape/abs.kcdf and /kallsyms",
		files: func(g *corpus) map[string][]byte {
			ms := append(g.goodMembers("boot=2/", 2), reg("/tmp/kdf-hostile-escape/abs.kcdf", g.archBufs[2]),
				reg("/kallsyms", g.garbageKallsyms()))
			return map[string][]byte{archive: tarOf(ms...)}
		},
		rejects: []wantReject{{member("/tmp/kdf-hostile-escape/abs.kcdf"), "unsafe_path", "relative names"},
			{member("/kallsyms"), "unsafe_path", "relative names"}},
		runs: archiveRuns(2)},
	{dir: "tar-links", what: "a tar with symbolic links to /etc/passwd, /proc/kallsyms and ../../.., a member below that last link, and a hard link",
		files: func(g *corpus) map[string][]byte {
			ms := append(g.goodMembers("boot=2/", 2),
				tarMember{name: "boot=2/evil.kcdf", typ: tar.TypeSymlink, link: "/etc/passwd"},
				tarMember{name: "boot=2/kallsyms", typ: tar.TypeSymlink, link: "/proc/kallsyms"},
				tarMember{name: "boot=2/hard.kcdf", typ: tar.TypeLink, link: "boot=2/prog-000001.kcdf"},
				tarMember{name: "boot=2/up", typ: tar.TypeSymlink, link: "../../.."},
				reg("boot=2/up/through.kcdf", g.archBufs[2]))
			return map[string][]byte{archive: tarOf(ms...)}
		},
		rejects: []wantReject{{member("boot=2/evil.kcdf"), "link", "not followed"}, {member("boot=2/kallsyms"), "link", "not followed"},
			{member("boot=2/hard.kcdf"), "link", "not followed"}, {member("boot=2/up"), "link", "not followed"}},
		runs: append(archiveRuns(2), wantRun{member("boot=2/up/through.kcdf"), layout("B")})},
	{dir: "tar-devices", what: "a tar with a character device, a block device, a fifo and a GNU volume header",
		files: func(g *corpus) map[string][]byte {
			ms := append(g.goodMembers("boot=2/", 2), tarMember{name: "dev/null", typ: tar.TypeChar},
				tarMember{name: "dev/sda", typ: tar.TypeBlock}, tarMember{name: "fifo.kcdf", typ: tar.TypeFifo},
				tarMember{name: "vol", typ: 'V'})
			return map[string][]byte{archive: tarOf(ms...)}
		},
		rejects: []wantReject{{member("dev/null"), "special_file", "not read"}, {member("dev/sda"), "special_file", "not read"},
			{member("fifo.kcdf"), "special_file", "not read"}, {member("vol"), "unsupported", "not read"}},
		runs: archiveRuns(2)},
	{dir: "tar-size-beyond-data", what: "a tar whose last member declares 1 GiB and holds 100 bytes",
		files: func(g *corpus) map[string][]byte {
			ms := append(g.goodMembers("boot=2/", 2), tarMember{name: "boot=2/big.kcdf", typ: tar.TypeReg, body: noise(3, 100), size: 1 << 30})
			return map[string][]byte{archive: tarOf(ms...)}
		},
		rejects: []wantReject{{member("boot=2/big.kcdf"), "truncated", "copy the archive again"}},
		runs:    archiveRuns(2)},
	{dir: "tgz-size-beyond-data", what: "the same as a tar.gz",
		files: func(g *corpus) map[string][]byte {
			ms := append(g.goodMembers("boot=2/", 2), tarMember{name: "boot=2/big.kcdf", typ: tar.TypeReg, body: noise(3, 100), size: 1 << 30})
			return map[string][]byte{archive + ".gz": gz(tarOf(ms...))}
		},
		rejects: []wantReject{{member("boot=2/big.kcdf"), "truncated", "copy the archive again"}},
		runs:    archiveRuns(2)},
	{dir: "tzst-size-huge", what: "a tar.zst whose last member declares 1 TiB and holds 100 bytes",
		files: func(g *corpus) map[string][]byte {
			ms := append(g.goodMembers("boot=2/", 2), tarMember{name: "boot=2/huge.kcdf", typ: tar.TypeReg, body: noise(3, 100), size: 1 << 40})
			return map[string][]byte{archive + ".zst": zstdFrame(17, tarOf(ms...), 0)}
		},
		rejects: []wantReject{{member("boot=2/huge.kcdf"), "truncated", "copy the archive again"}},
		runs:    archiveRuns(2)},
	{dir: "tgz-bomb", what: "a gzip bomb: a tar.gz of 32 KiB holding a 32 MiB member of zeros after the good members",
		note: "(ingested with Source.MaxArchiveBytes = 8 MiB; with the default 256 GiB it is ingested as a 32 MiB empty buffer)",
		cfg:  func(c *Config) { c.Source.MaxArchiveBytes = 8 * mib },
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{archive + ".gz": gz(zeroTail(bomb("boot=2/bomb.kcdf", 32*mib, g.goodMembers("boot=2/", 2)...)))}
		},
		rejects: []wantReject{{member("boot=2/bomb.kcdf"), "decompression_limit", "raise the cap if the archive is genuine"}},
		runs:    archiveRuns(2)},
	{dir: "tzst-bomb", what: "a zstd bomb: a tar.zst of 25 KiB holding a 512 MiB member of zeros after the good members",
		note: "(default options: the member is above Source.MaxMemberBytes, 256 MiB)",
		files: func(g *corpus) map[string][]byte {
			head, zeros := bomb("boot=2/bomb.kcdf", 512*mib, g.goodMembers("boot=2/", 2)...)
			return map[string][]byte{archive + ".zst": zstdFrame(17, head, zeros)}
		},
		rejects: []wantReject{{member("boot=2/bomb.kcdf"), "too_large", "above the 268435456-byte cap"}},
		runs:    archiveRuns(2)},
	{dir: "tzst-bomb-buffer", what: "a zstd bomb below the member cap: a 48 MiB member of zeros",
		note: "(default options: spooled to TMPDIR, removed after)",
		files: func(g *corpus) map[string][]byte {
			head, zeros := bomb("boot=2/bomb.kcdf", 48*mib, g.goodMembers("boot=2/", 2)...)
			return map[string][]byte{archive + ".zst": zstdFrame(17, head, zeros)}
		},
		runs: append(archiveRuns(2), wantRun{member("boot=2/bomb.kcdf"), all(records(0), whole)})},
	{dir: "tzst-window", what: "a tar.zst whose second frame asks for a 2 GiB window",
		files: func(g *corpus) map[string][]byte {
			first := zstdFrame(17, tarStream(g.goodMembers("boot=2/", 2)...), 0)
			second := zstdFrame(31, tarOf(reg("boot=2/late.kcdf", g.archBufs[2])), 0)
			return map[string][]byte{archive + ".zst": append(first, second...)}
		},
		rejects: []wantReject{{member("."), "decompression_limit", "recompress with a smaller --long"}},
		runs:    archiveRuns(2)},
	{dir: "tar-nested", what: "a tar holding a tar, a tar.gz and a tar.zst",
		files: func(g *corpus) map[string][]byte {
			inner := tarOf(reg("inner.kcdf", g.archBufs[2]))
			ms := append(g.goodMembers("boot=2/", 2), reg("inner.tar", inner), reg("inner.tar.gz", gz(inner)),
				reg("inner.tar.zst", zstdFrame(17, inner, 0)))
			return map[string][]byte{archive: tarOf(ms...)}
		},
		rejects: []wantReject{{member("inner.tar"), "not_a_buffer", "extract it"}, {member("inner.tar.gz"), "not_a_buffer", "extract it"},
			{member("inner.tar.zst"), "not_a_buffer", "extract it"}},
		runs: archiveRuns(2)},
	{dir: "tar-non-utf8", what: "a tar with member names that are not UTF-8 or hold an escape sequence",
		files: func(g *corpus) map[string][]byte {
			ms := append(g.goodMembers("boot=2/", 2), reg("boot=2/\xff\xfe-prog.kcdf", g.archBufs[2]),
				reg("boot=2/esc\x1b[31m.kcdf", g.words(g.callB(1), auto)))
			return map[string][]byte{archive: tarOf(ms...)}
		},
		runs: append(archiveRuns(2), wantRun{member(`boot=2/\xff\xfe-prog.kcdf`), layout("B")},
			wantRun{member(`boot=2/esc\x1b[31m.kcdf`), layout("B")})},
	{dir: "tar-empty", what: "empty archives: a 0-byte .tar, a tar of its two zero blocks, an empty tar.gz and tar.zst",
		files: func(*corpus) map[string][]byte {
			empty := tarOf()
			return map[string][]byte{"a.tar": {}, "b.tar": empty, "c.tar.gz": gz(empty), "d.tar.zst": zstdFrame(17, empty, 0)}
		},
		rejects: []wantReject{{"a:.", "empty_archive", "copy it again"}, {"b:.", "empty_archive", "copy it again"},
			{"c:.", "empty_archive", "copy it again"}, {"d:.", "empty_archive", "copy it again"}}},
	{dir: "tgz-not-tar", what: "a gzip stream of text named .tar.gz",
		files:   one(archive+".gz", gz([]byte(strings.Repeat("not a tar\n", 100)))),
		rejects: []wantReject{{member("."), "corrupt_archive", "not a tar archive"}}},
	{dir: "tgz-cut", what: "a tar.gz cut in the middle of its third member",
		files: func(g *corpus) map[string][]byte {
			ms := append(g.goodMembers("boot=2/", 2), reg("boot=2/third.kcdf", noise(4, 8<<10)))
			z := gz(tarOf(ms...))
			return map[string][]byte{archive + ".gz": z[:len(z)*3/4]}
		},
		rejects: []wantReject{{member("boot=2/third.kcdf"), "truncated", "copy the archive again"}},
		runs:    archiveRuns(2)},
	{dir: "tgz-bad-crc", what: "a tar.gz whose gzip trailer holds a wrong CRC-32: every member decompresses, and the check after the tar's end fails",
		files: func(g *corpus) map[string][]byte {
			z := gz(tarOf(g.goodMembers("boot=2/", 3)...))
			z[len(z)-8] ^= 0xff // the trailer is the CRC-32, then the size
			return map[string][]byte{archive + ".gz": z}
		},
		rejects: []wantReject{{member("."), "corrupt_archive", "fails its checksum"}}},
	{dir: "tgz-flipped", what: "a tar.gz with one byte of its compressed data flipped in its third member's data, which still decompresses, to other bytes",
		files: func(g *corpus) map[string][]byte {
			ms := append(g.goodMembers("boot=2/", 2), reg("boot=2/third.kcdf", g.archBufs[2]))
			z := gz(tarOf(ms...))
			z[len(z)*3/4] ^= 0x55
			return map[string][]byte{archive + ".gz": z}
		},
		rejects: []wantReject{{member("."), "corrupt_archive", "nothing in the archive was ingested"}}},
	{dir: "tzst-bad-checksum", what: "a tar.zst whose frame has a content checksum that does not match",
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{archive + ".zst": withChecksum(zstdFrame(17, tarOf(g.goodMembers("boot=2/", 3)...), 0), 0)}
		},
		rejects: []wantReject{{member("."), "corrupt_archive", "the zstd stream fails its checksum"}}},
	{dir: "tar-bad-checksum", what: "a tar whose third member header has a wrong checksum",
		files: func(g *corpus) map[string][]byte {
			ms := append(g.goodMembers("boot=2/", 2), reg("boot=2/third.kcdf", g.archBufs[2]))
			return map[string][]byte{archive: badChecksum(tarOf(ms...), 2)}
		},
		rejects: []wantReject{{member("."), "corrupt_archive", "invalid tar header"}},
		runs:    archiveRuns(2)},
	{dir: "tar-duplicate-members", what: "a tar with two different buffers and two different kallsyms under one name each",
		files: func(g *corpus) map[string][]byte {
			ms := []tarMember{reg("boot=2/kallsyms", g.garbageKallsyms()), reg("boot=2/prog-000001.kcdf", g.archBufs[0]),
				reg("boot=2/prog-000001.kcdf", g.archBufs[1]), reg("boot=2/kallsyms", g.archKallsyms)}
			return map[string][]byte{archive: tarOf(ms...)}
		},
		rejects: []wantReject{{member("boot=2/kallsyms"), "replaced", "replaces this one"}},
		runs:    []wantRun{{member("boot=2/prog-000001.kcdf"), layout("B")}, {member("boot=2/prog-000001.kcdf#2"), layout("B")}}},

	// Directory entries git cannot hold, made at run time.
	{dir: "dir-symlinks", what: "symbolic links in the source directory to a buffer and to a directory outside it",
		build: func(t *testing.T, src, outside string) {
			must(t, os.WriteFile(filepath.Join(outside, "secret.kcdf"), oneRecord(7), 0o644))
			must(t, os.Symlink(filepath.Join(outside, "secret.kcdf"), filepath.Join(src, "evil.kcdf")))
			must(t, os.Symlink(outside, filepath.Join(src, "up")))
		},
		rejects: []wantReject{{"evil.kcdf", "link", "not followed"}, {"up", "link", "not followed"}}},
	{dir: "buf-sparse-huge", what: "a buffer-named file of 1 GiB, sparse and all zeros, as a crashed VM's preallocated file leaves it (made by the test: git would write it out)",
		build: func(t *testing.T, src, _ string) {
			f, err := os.Create(filepath.Join(src, "huge.kcdf"))
			must(t, err)
			must(t, f.Truncate(1<<30))
			must(t, f.Close())
		},
		rejects: []wantReject{{"huge.kcdf", "too_large", "1073741824 bytes, above the 268435456-byte cap for one input"}}},
	{dir: "source-missing-or-fifo", what: "sources given on the command line that do not exist or are a fifo",
		sources: func(t *testing.T, outside string) []string {
			must(t, syscall.Mkfifo(filepath.Join(outside, "fifo"), 0o644))
			return []string{filepath.Join(outside, "nope"), filepath.Join(outside, "fifo")}
		},
		rejects: []wantReject{{"nope:.", "unreadable", "check the path"}, {"fifo:.", "special_file", "not read"}}},
	{dir: "dir-hardlink", what: "a hard link to a good buffer in the source directory: a second name, so a second run",
		build: func(t *testing.T, src, _ string) {
			must(t, os.Link(filepath.Join(src, "prog-000001.kcdf"), filepath.Join(src, "hard.kcdf")))
		},
		runs: []wantRun{{"hard.kcdf", all(layout("A"), whole)}, {"prog-000001.kcdf", all(layout("A"), whole)}}},
	{dir: "dir-fifo", what: "a fifo named like a buffer in the source directory",
		build: func(t *testing.T, src, _ string) {
			must(t, syscall.Mkfifo(filepath.Join(src, "pipe.kcdf"), 0o644))
		},
		rejects: []wantReject{{"pipe.kcdf", "special_file", "not read"}}},
	{dir: "dir-replaced-after-walk", what: "two buffers the walk lists as files, replaced by a fifo and by a symbolic link to a buffer outside the source before a worker opens them",
		build: func(t *testing.T, src, outside string) {
			must(t, os.WriteFile(filepath.Join(outside, "secret.kcdf"), oneRecord(7), 0o644))
			for _, p := range []string{"swap-fifo.kcdf", "swap-link.kcdf"} {
				must(t, os.WriteFile(filepath.Join(src, p), oneRecord(8), 0o644))
			}
		},
		opening: func(t *testing.T, src, outside, p string) bool {
			switch p {
			case "swap-fifo.kcdf":
				must(t, os.Remove(filepath.Join(src, p)))
				must(t, syscall.Mkfifo(filepath.Join(src, p), 0o644))
				return true
			case "swap-link.kcdf":
				must(t, os.Remove(filepath.Join(src, p)))
				must(t, os.Symlink(filepath.Join(outside, "secret.kcdf"), filepath.Join(src, p)))
				return true
			}
			return false
		},
		note:    "(a worker's open is where the files are replaced; the re-run then meets them in the walk and finds the same rejects)",
		rejects: []wantReject{{"swap-fifo.kcdf", "special_file", "fifo: not read"}, {"swap-link.kcdf", "link", "not followed"}}},
	{dir: "dir-non-utf8", what: "a buffer whose file name is not UTF-8, in a directory whose name is not either",
		build: func(t *testing.T, src, _ string) {
			dir := filepath.Join(src, "boot=\xfe")
			must(t, os.Mkdir(dir, 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "\xff.kcdf"), oneRecord(9), 0o644))
		},
		runs: []wantRun{{`boot=\xfe/\xff.kcdf`, all(layout("A"), records(1), whole)}}},
	{dir: "kallsyms-non-utf8", what: "the good kallsyms with symbol and module names that are not UTF-8 or hold an escape sequence, vfs_write's among them (kdf keeps them escaped as \\xNN)",
		files: func(g *corpus) map[string][]byte {
			b := bytes.ReplaceAll(g.goodKallsyms, []byte(" vfs_write\n"), []byte(" vfs_\xff\xfewrite\n"))
			b = bytes.ReplaceAll(b, []byte(" rdf_func5\t"), []byte(" rdf_\x1b[31mfunc5\t"))
			return map[string][]byte{"kallsyms": bytes.ReplaceAll(b, []byte("[eight_args_c]"), []byte("[eight_\xc3(args_c]"))}
		},
		runs: goodRuns(symbolized)},
	{dir: "tzst-manifest-lines", what: "a tar.zst of 27 KiB holding five manifests with a line of 60 MiB each, one of them beside the good members, naming prog-000002.kcdf after a line whose program attribute holds 5000 bytes",
		files: func(g *corpus) map[string][]byte {
			// Each long line is a run of zeros in the middle of a zstd
			// frame of its own; frames concatenate into one tar stream.
			const long = 60 * mib
			line1 := `{"file":"prog-000001.kcdf","vm":"kept","program":"` + strings.Repeat("p", 5000) + "\"}\n"
			head := tarStream(g.goodMembers("boot=2/", 2)...)
			var out []byte
			for i, dir := range []string{"boot=2", "d1", "d2", "d3", "d4"} {
				prefix := `{"file":"prog-000002.kcdf","vm":"`
				if i == 0 {
					prefix = line1 + prefix
				}
				size := int64(len(prefix)) + long + 2
				head = append(head, tarOf(tarMember{name: dir + "/manifest.jsonl", typ: tar.TypeReg, size: size})...)
				out = append(out, zstdFrame(17, append(head, prefix...), long)...)
				head = append([]byte(`"}`), make([]byte, (512-size%512)%512)...)
			}
			return map[string][]byte{archive + ".zst": append(out, zstdFrame(17, append(head, make([]byte, 1024)...), 0)...)}
		},
		rejects: []wantReject{{member("boot=2/manifest.jsonl"), "attribute_too_large", "attribute \"program\" holds 5000 bytes"},
			{member("boot=2/manifest.jsonl#2"), "manifest_too_large", "--max-manifest-line"},
			{member("d1/manifest.jsonl"), "manifest_too_large", "--max-manifest-line"}, {member("d2/manifest.jsonl"), "manifest_too_large", "--max-manifest-line"},
			{member("d3/manifest.jsonl"), "manifest_too_large", "--max-manifest-line"}, {member("d4/manifest.jsonl"), "manifest_too_large", "--max-manifest-line"}},
		runs: []wantRun{{member("boot=2/prog-000001.kcdf"), all(layout("B"), vm("kept"))},
			{member("boot=2/prog-000002.kcdf"), all(layout("B"), runCheck{"no vm", func(r *hostileRun) bool { return r.VM == nil }})}}},
	{dir: "manifest-non-numeric", what: `exec_ns "fast", baseline_ns 1.5e3 and capacity_words "big" in a manifest line`,
		files: func(g *corpus) map[string][]byte {
			return map[string][]byte{"manifest.jsonl": g.manifestWith(map[int]map[string]any{
				0: {"exec_ns": "fast", "baseline_ns": json.Number("1.5e3"), "capacity_words": "big"}})}
		},
		runs: []wantRun{{"prog-000001.kcdf", all(layout("A"), problem(`capacity_words = "big"`),
			problem(`manifest.jsonl: line 1: attribute exec_ns = "fast"`), problem("baseline_ns"),
			runCheck{"exec_ns NULL", func(r *hostileRun) bool { return r.ExecNS == nil }})}}},
}

// numbered expects n rejects of one file, recorded as path, path#2, ...
// from the from'th on.
func numbered(path string, from, n int, reason, detail string) []wantReject {
	var out []wantReject
	for i := from; i < from+n; i++ {
		p := path
		if i > 1 {
			p += "#" + strconv.Itoa(i)
		}
		out = append(out, wantReject{p, reason, detail})
	}
	return out
}

// oneRecord is a buffer of one layout-A ENTRY record of the value v.
func oneRecord(v uint64) []byte {
	return le(area(auto, []uint64{ingest.HeaderA(ingest.KindEntry, 1, 1), 0xffffffff81234560, ingest.MetaA(0, 8, 0), v})...)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// goodRuns expects every good buffer as a run showing c.
func goodRuns(c runCheck) []wantRun {
	var out []wantRun
	for _, p := range goodBuffers {
		out = append(out, wantRun{p, c})
	}
	return out
}

// archiveRuns expects the archive's first n good members as runs.
func archiveRuns(n int) []wantRun {
	var out []wantRun
	for i := range n {
		out = append(out, wantRun{member("boot=2/" + goodBuffers[i]), layout("B")})
	}
	return out
}

func zeroAddrs(kallsyms []byte) []byte {
	var b []byte
	for _, l := range bytes.SplitAfter(kallsyms, []byte("\n")) {
		if len(l) > 16 {
			l = append([]byte("0000000000000000"), l[16:]...)
		}
		b = append(b, l...)
	}
	return b
}
