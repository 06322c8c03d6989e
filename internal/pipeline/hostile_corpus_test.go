package pipeline

// The hostile corpus: testdata/hostile at the module root, one directory
// per case, each laid over testdata/hostile/good (a small generated
// boot: kallsyms, manifest.jsonl, three layout-A buffers) so that good
// inputs always sit beside the damage. This file is its generator and
// the table of what every case must produce; hostile_test.go ingests it.
//
// Regenerate after changing a case (or the synth package):
//
//	go test ./internal/pipeline -run TestHostileCorpus -update

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/synth"
)

// hostileCase is one directory of the corpus (or, for what git cannot
// hold, a tree the test builds), and what ingesting it beside the good
// boot must give.
type hostileCase struct {
	dir  string // testdata/hostile/<dir>
	what string
	// files are the case's files, relative to its directory; nil when
	// build makes them at run time (links, fifos, names git cannot store).
	files func(g *corpus) map[string][]byte
	build func(t *testing.T, src, outside string)
	// sources are more sources to give beside src, made at run time.
	sources func(t *testing.T, outside string) []string
	// opening, when set, runs as a worker is about to open an input of
	// the first ingest, after the walk listed it: a case replaces a file
	// there, and says so.
	opening func(t *testing.T, src, outside, path string) (replaced bool)
	cfg     func(*Config) // options other than the test's defaults
	note    string        // for the README: how the case is run, if not plainly

	rejects []wantReject // exactly these rejects
	runs    []wantRun    // these runs besides the good boot's three
}

// wantReject is one expected rejects row. detail is a piece of advice
// or position the row's detail must contain.
type wantReject struct {
	path, reason, detail string
}

// wantRun is one expected runs row and what its accounting must show.
type wantRun struct {
	path  string
	check runCheck
}

// The good boot's buffers, expected as runs in every case.
var goodBuffers = []string{"prog-000001.kcdf", "prog-000002.kcdf", "prog-000003.kcdf"}

// corpus holds what the cases are built from: two boots of a small
// generated campaign (boot 1 is testdata/hostile/good, boot 2's buffers
// are the good members of the archives) and hand-made records.
type corpus struct {
	goodKallsyms []byte
	goodManifest [][]byte // one line per good buffer
	goodBufs     [][]byte
	archKallsyms []byte
	archBufs     [][]byte // boot 2: three layout-B buffers
	pcA          uint64   // vfs_write in boot 1
	pcB          uint64   // vfs_write at its link-time address
}

func newCorpus(t testing.TB) *corpus {
	cfg := synth.DefaultConfig()
	cfg.Seed, cfg.Arms, cfg.Trials, cfg.Boots, cfg.Programs = 2, []string{"hostile"}, 1, 2, 3
	cfg.Layout, cfg.Capacities, cfg.Syscalls = ingest.LayoutUnknown, []int{512}, 2
	cfg.TornProb, cfg.FullDumpProb, cfg.Compare = 0, 0, false
	c, err := synth.NewCampaign(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g := &corpus{}
	boots := c.Boots()
	for i := range boots {
		br := &boots[i]
		err := c.RunBoot(br, false, func(b *synth.Buffer) error {
			if i == 1 {
				g.archBufs = append(g.archBufs, b.Program.Bytes)
				return nil
			}
			line, err := json.Marshal(&b.Manifest)
			g.goodBufs, g.goodManifest = append(g.goodBufs, b.Program.Bytes), append(g.goodManifest, line)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if boots[0].Layout != ingest.LayoutA || boots[1].Layout != ingest.LayoutB {
		t.Fatalf("boot layouts %v, %v: want A then B", boots[0].Layout, boots[1].Layout)
	}
	g.goodKallsyms = boots[0].Booted.Kallsyms(false)
	g.archKallsyms = boots[1].Booted.Kallsyms(false)
	fid, _ := c.Kernel().Lookup("vfs_write")
	g.pcA = boots[0].Booted.FuncAddr(fid)
	g.pcB = c.Kernel().Funcs[fid].Addr
	return g
}

// files returns every file of the corpus, paths relative to
// testdata/hostile.
func (g *corpus) files() map[string][]byte {
	out := map[string][]byte{"good/kallsyms": g.goodKallsyms, "good/manifest.jsonl": g.manifest()}
	for i, b := range g.goodBufs {
		out["good/"+goodBuffers[i]] = b
	}
	for _, c := range hostileCases {
		if c.files == nil {
			continue
		}
		for name, b := range c.files(g) {
			out[c.dir+"/"+name] = b
		}
	}
	return out
}

func (g *corpus) manifest(extra ...string) []byte {
	var b bytes.Buffer
	for _, l := range g.goodManifest {
		b.Write(l)
		b.WriteByte('\n')
	}
	for _, l := range extra {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Records and buffers made by hand, as the kernel's writers lay them out.

func le(ws ...uint64) []byte {
	b := make([]byte, 8*len(ws))
	for i, w := range ws {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return b
}

func (g *corpus) recA(kind ingest.Kind, seq uint32, arg, size uint8, vals ...uint64) []uint64 {
	return append([]uint64{ingest.HeaderA(kind, uint64(len(vals)), seq), g.pcA, ingest.MetaA(arg, size, 0x888000c0ffe0)}, vals...)
}

func (g *corpus) recB(kind ingest.Kind, seq uint32, arg, size uint8, vals ...uint64) []uint64 {
	return append([]uint64{ingest.HeaderB(kind, uint16(len(vals)), size, arg, seq), g.pcB, 0}, vals...)
}

// area is a buffer: the counter (or, for auto, the words that follow)
// and the records.
func area(counter uint64, recs ...[]uint64) []uint64 {
	var ws []uint64
	for _, r := range recs {
		ws = append(ws, r...)
	}
	if counter == auto {
		counter = uint64(len(ws))
	}
	return append([]uint64{counter}, ws...)
}

const auto = 1<<64 - 2

// callA is vfs_write(3, buf, 16) = 16 in layout A, from sequence seq.
func (g *corpus) callA(seq uint32) [][]uint64 {
	return [][]uint64{g.recA(ingest.KindEntry, seq, 0, 4, 3), g.recA(ingest.KindEntry, seq+1, 1, 8, 0x7f0000001000),
		g.recA(ingest.KindEntry, seq+2, 2, 8, 16), g.recA(ingest.KindRet, seq+3, 0, 8, 16)}
}

func (g *corpus) callB(seq uint32) [][]uint64 {
	return [][]uint64{g.recB(ingest.KindEntry, seq, 0, 4, 3), g.recB(ingest.KindEntry, seq+1, 1, 8, 0x7f0000001000),
		g.recB(ingest.KindEntry, seq+2, 2, 8, 16), g.recB(ingest.KindRet, seq+3, 0, 8, 16)}
}

func cat(parts ...[][]uint64) [][]uint64 {
	var out [][]uint64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func noise(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x6a))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Archives. Headers carry fixed times and owners so the corpus is the
// same on every run.

type tarMember struct {
	name string
	typ  byte
	body []byte
	size int64 // declared size when it differs from len(body): the archive stops after body
	link string
}

func reg(name string, body []byte) tarMember {
	return tarMember{name: name, typ: tar.TypeReg, body: body}
}

func tarOf(ms ...tarMember) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Typeflag: m.typ, Linkname: m.link, Mode: 0o644, Size: int64(len(m.body)),
			ModTime: time.Unix(1750000000, 0), Uname: "kdf", Gname: "kdf"}
		if m.typ != tar.TypeReg {
			h.Size = 0
		}
		if m.size != 0 {
			h.Size = m.size
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(fmt.Sprintf("tar header %q: %v", m.name, err))
		}
		tw.Write(m.body)
		if m.size != 0 {
			return b.Bytes() // the data ends here, as in a half-copied archive
		}
	}
	tw.Close()
	return b.Bytes()
}

// goodMembers are boot 2's buffers as archive members under dir.
func (g *corpus) goodMembers(dir string, n int) []tarMember {
	var ms []tarMember
	for i := range n {
		ms = append(ms, reg(fmt.Sprintf("%sprog-%06d.kcdf", dir, i+1), g.archBufs[i]))
	}
	return ms
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// zstdFrame writes one zstd frame by hand (RFC 8878), so that the corpus
// does not depend on an encoder's choices: data in raw blocks, then
// zeros in RLE blocks of 128 KiB, 4 bytes each (a ratio of 32768).
// windowLog goes into the frame header as is, even above what decoders
// accept.
func zstdFrame(windowLog uint, data []byte, zeros int64) []byte {
	const maxBlock = 128 << 10
	out := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, byte(windowLog-10) << 3}
	block := func(typ int, size int, last bool) {
		h := uint32(size)<<3 | uint32(typ)<<1
		if last {
			h |= 1
		}
		out = append(out, byte(h), byte(h>>8), byte(h>>16))
	}
	for len(data) > 0 || (zeros == 0 && len(out) == 6) {
		n := min(len(data), maxBlock)
		block(0, n, n == len(data) && zeros == 0)
		out, data = append(out, data[:n]...), data[n:]
	}
	for zeros > 0 {
		n := min(zeros, maxBlock)
		zeros -= n
		block(1, int(n), zeros == 0)
		out = append(out, 0)
	}
	return out
}

// withChecksum marks a frame of zstdFrame's as having a content
// checksum, and gives it sum: the low 32 bits of the content's XXH64,
// which a test means not to match.
func withChecksum(frame []byte, sum uint32) []byte {
	frame = bytes.Clone(frame)
	frame[4] |= 1 << 2 // Content_Checksum_flag
	return binary.LittleEndian.AppendUint32(frame, sum)
}

// tarStream is a tar's bytes up to, not including, its end-of-archive
// blocks, so that more members or zeros can follow.
func tarStream(ms ...tarMember) []byte {
	b := tarOf(ms...)
	return b[:len(b)-1024]
}

// bomb is a tar: the members, then name declaring size bytes of zeros;
// zeros gives the bytes after the header, data and end blocks included.
func bomb(name string, size int64, ms ...tarMember) (head []byte, zeros int64) {
	head = tarStream(ms...)
	head = append(head, tarOf(tarMember{name: name, typ: tar.TypeReg, size: size})...)
	return head, size + 1024
}

func zeroTail(head []byte, zeros int64) []byte {
	return append(bytes.Clone(head), make([]byte, zeros)...)
}

// one is a single file.
func one(name string, b []byte) func(*corpus) map[string][]byte {
	return func(*corpus) map[string][]byte { return map[string][]byte{name: b} }
}

func describe(c *hostileCase) string {
	var out []string
	name := func(p string) string {
		p = strings.ReplaceAll(p, "|", " or ")
		if a, ok := strings.CutSuffix(p, ":."); ok {
			return a + " (the archive as a whole)"
		}
		return p
	}
	for i := 0; i < len(c.rejects); {
		r, n := c.rejects[i], 1 // a run of one file's rejects of one reason reads as one
		base, _, _ := strings.Cut(r.path, "#")
		for i+n < len(c.rejects) && c.rejects[i+n].reason == r.reason && strings.HasPrefix(c.rejects[i+n].path, base+"#") {
			n++
		}
		if n == 1 {
			out = append(out, fmt.Sprintf("reject `%s` %s", r.reason, name(r.path)))
		} else {
			out = append(out, fmt.Sprintf("%d rejects `%s` %s … %s", n, r.reason, name(r.path), name(c.rejects[i+n-1].path)))
		}
		i += n
	}
	for i := 0; i < len(c.runs); { // runs expected alike read as one
		n := 1
		for i+n < len(c.runs) && c.runs[i+n].check.desc == c.runs[i].check.desc {
			n++
		}
		var names []string
		for _, r := range c.runs[i : i+n] {
			names = append(names, name(r.path))
		}
		out = append(out, fmt.Sprintf("run %s: %s", strings.Join(names, ", "), c.runs[i].check.desc))
		i += n
	}
	if len(out) == 0 {
		out = append(out, "the good runs only")
	}
	return strings.Join(out, "; ")
}

// readme renders the corpus's README from the case table.
func readme() []byte {
	var b strings.Builder
	b.WriteString(`# Hostile inputs

Each directory is one case: files laid over good/ (a generated boot:
kallsyms, manifest.jsonl and three layout-A buffers) in a fresh source
directory, so that good inputs always sit beside the damage. Archives
hold boot 2 of the same campaign (layout B) as their good members.
Cases marked "made by the test" are made at run time because git
cannot hold them (links, fifos, names that are not UTF-8, missing
sources); they have no directory here.

TestHostile (internal/pipeline/hostile_test.go, part of ` + "`make test`" + `)
ingests each case into a fresh dataset (2 workers, archive members above
4 KiB spooled to TMPDIR, other options at their defaults unless the case
says so) and checks:

- no panic, and the ingest returns no error and defers nothing to a re-run;
- nothing is written, changed or removed outside the dataset: the tree
  around the source and the dataset, TMPDIR and the working directory are
  compared before and after, and /tmp/kdf-hostile-escape must not exist;
  the dataset passes dataset.Check;
- time: within a 30 s context, and under 10 s; heap: at most 256 MiB
  above the start at its peak, at most 16 MiB left after;
- the rejects table holds exactly the rows listed below: reason, and a
  detail that says where and what to do;
- the runs table holds the runs listed below with their accounting, and
  the good boot's three buffers (layout A, no damage, unless listed);
- the same ingest run again adds nothing and skips every input.

Paths are relative to the source directory; "campaign.tar:m" is member m
of the case's archive (compression suffix dropped), "x.tar:." the archive
as a whole. A file with several problems is recorded as path, path#2,
path#3 ... in walk order. Reasons are those of the rejects table.

Everything here is generated by internal/pipeline/hostile_corpus_test.go
from the cases in internal/pipeline/hostile_cases_test.go; do not edit by
hand. Regenerate with

    go test ./internal/pipeline -run TestHostileCorpus -update

| case | what it is | expected outcome |
|---|---|---|
`)
	for i := range hostileCases {
		c := &hostileCases[i]
		what := c.what
		if c.files == nil {
			what += " (made by the test)"
		}
		if c.note != "" {
			what += " " + c.note
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.dir, what, describe(c))
	}
	return []byte(b.String())
}
