package ingest_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/seedsession"
	"github.com/kdf-tools/kdf/transform/symbolize"
)

const formatDoc = "../docs/FORMAT.md"

// TestFormatDocExamples decodes every worked example of docs/FORMAT.md,
// so that the document cannot drift from the decoder. An example is a
// fenced block with the info string "buffer", one word a line (its
// index, the word as 0x and 16 hex digits, what it means), followed by
// a block "decoded" holding what kdf decodes from it. With "seed=NAME"
// the words are an excerpt of the rebuilt seed session NAME and must be
// its words at those indices; otherwise they are a whole buffer from
// word 0, and the decoded block ends with the buffer's accounting.
// With -update the decoded blocks are rewritten.
func TestFormatDocExamples(t *testing.T) {
	raw, err := os.ReadFile(formatDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	blocks := fencedBlocks(doc)
	var out strings.Builder
	done, examples := 0, 0
	for i, b := range blocks {
		if b.info != "buffer" && !strings.HasPrefix(b.info, "buffer ") {
			continue
		}
		examples++
		if i+1 == len(blocks) || blocks[i+1].info != "decoded" {
			t.Errorf("line %d: a buffer block must be followed by a decoded block", b.line)
			continue
		}
		got, err := decodeExample(b)
		if err != nil {
			t.Errorf("line %d: %v", b.line, err)
			continue
		}
		next := blocks[i+1]
		if next.text != got && !ingest.UpdateDocs() {
			t.Errorf("line %d: the decoded block differs (run go test ./ingest -update to rewrite it)\nwant:\n%sgot:\n%s", next.line, next.text, got)
		}
		out.WriteString(doc[done:next.start])
		out.WriteString(got)
		done = next.end
	}
	if examples < 5 {
		t.Errorf("%s has %d worked examples; the test expects at least 5", formatDoc, examples)
	}
	out.WriteString(doc[done:])
	if ingest.UpdateDocs() && out.String() != doc {
		if err := os.WriteFile(formatDoc, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// block is one fenced code block: its info string, the line of its
// opening fence, and its content's byte range in the document.
type block struct {
	info       string
	line       int
	start, end int
	text       string
}

func fencedBlocks(doc string) []block {
	var blocks []block
	var open *block
	off := 0
	for n, line := range strings.SplitAfter(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			if open == nil {
				open = &block{info: strings.TrimSpace(line[3:]), line: n + 1, start: off + len(line)}
			} else {
				open.end = off
				open.text = doc[open.start:open.end]
				blocks = append(blocks, *open)
				open = nil
			}
		}
		off += len(line)
	}
	return blocks
}

// exampleWords parses a buffer block: the index of its first word and
// the words, which must be numbered consecutively.
func exampleWords(text string) (int, []uint64, error) {
	var words []uint64
	first := -1
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || len(f[1]) != 18 || !strings.HasPrefix(f[1], "0x") {
			return 0, nil, fmt.Errorf("%q: want INDEX 0xWORD (16 hex digits) MEANING", line)
		}
		idx, err := strconv.Atoi(f[0])
		if err != nil {
			return 0, nil, fmt.Errorf("%q: %v", line, err)
		}
		if first < 0 {
			first = idx
		}
		if idx != first+len(words) {
			return 0, nil, fmt.Errorf("%q: word %d out of order, want %d", line, idx, first+len(words))
		}
		w, err := strconv.ParseUint(f[1][2:], 16, 64)
		if err != nil {
			return 0, nil, fmt.Errorf("%q: %v", line, err)
		}
		words = append(words, w)
	}
	if len(words) == 0 {
		return 0, nil, fmt.Errorf("no words")
	}
	return first, words, nil
}

// decodeExample returns what the decoded block of a buffer block says.
func decodeExample(b block) (string, error) {
	first, words, err := exampleWords(b.text)
	if err != nil {
		return "", err
	}
	name, isSeed := strings.CutPrefix(strings.TrimPrefix(b.info, "buffer"), " seed=")
	if !isSeed {
		if first != 0 {
			return "", fmt.Errorf("a whole buffer starts at word 0, not %d", first)
		}
		return decodeWhole(words)
	}
	s, err := seedsession.Build(name)
	if err != nil {
		return "", err
	}
	for i, w := range words {
		at := first + i
		if 8*(at+1) > len(s.Buffer) {
			return "", fmt.Errorf("word %d lies past the end of session %s", at, name)
		}
		if got := binary.LittleEndian.Uint64(s.Buffer[8*at:]); got != w {
			return "", fmt.Errorf("word %d is 0x%016x in session %s, not 0x%016x", at, got, name, w)
		}
	}
	syms, err := symbolize.ParseKallsyms(bytes.NewReader(s.Kallsyms), name+"/kallsyms")
	if err != nil {
		return "", err
	}
	var out strings.Builder
	d := ingest.NewDecoderBytes(s.Buffer, name, ingest.Options{})
	for d.Next() {
		r := d.Record()
		if r.Offset < int64(first) || r.Offset >= int64(first+len(words)) {
			continue
		}
		if r.Offset+r.Words() > int64(first+len(words)) {
			return "", fmt.Errorf("the record at word %d ends past the excerpt", r.Offset)
		}
		writeRecord(&out, r, syms)
	}
	return out.String(), d.Err()
}

// decodeWhole decodes words as a whole buffer: its records, then its
// accounting under the names kdf inspect --json gives it.
func decodeWhole(words []uint64) (string, error) {
	buf := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(buf[8*i:], w)
	}
	var out strings.Builder
	d := ingest.NewDecoderBytes(buf, "example", ingest.Options{})
	for d.Next() {
		writeRecord(&out, d.Record(), nil)
	}
	s := d.Stats()
	capacity := "unknown"
	if s.Capacity > 0 {
		capacity = fmt.Sprint(s.Capacity)
	}
	fmt.Fprintf(&out, "layout %s, words %d, counter_valid %v, file_words %d, capacity %s\n",
		s.Layout, s.Words, s.CounterValid, s.FileWords, capacity)
	fmt.Fprintf(&out, "records %d (entries %d, rets %d, cmps %d), record_words %d, max_record_words %d\n",
		s.Records, s.Entries, s.Rets, s.Cmps, s.RecordWords, s.MaxRecordWords)
	fmt.Fprintf(&out, "damaged_words %d, damage_events %d, torn %v, torn_words %d, missing_words %d, saturated %v\n",
		s.DamagedWords, s.DamageEvents, s.Torn, s.TornWords, s.MissingWords, s.Saturated)
	fmt.Fprintf(&out, "segments %d, first_seq %d, last_seq %d\n", s.Segments, s.FirstSeq, s.LastSeq)
	for _, p := range s.Problems {
		fmt.Fprintf(&out, "problem at %s\n", p)
	}
	if err := s.Check(); err != nil {
		return "", err
	}
	return out.String(), d.Err()
}

// writeRecord prints one record as the decoded blocks show it, naming
// its function when a symbol table is given.
func writeRecord(out *strings.Builder, r *ingest.Record, syms *symbolize.Table) {
	fmt.Fprintf(out, "word %d: %s seq %d, pc %#x", r.Offset, r.Kind, r.Seq, r.PC)
	if syms != nil {
		if f, ok := syms.Lookup(r.PC); ok {
			fmt.Fprintf(out, " %s", f.Name)
			if f.Offset != 0 {
				fmt.Fprintf(out, "+%#x", f.Offset)
			}
			if f.Module != "" {
				fmt.Fprintf(out, " [%s]", f.Module)
			}
		}
	}
	fmt.Fprintf(out, ", arg %d, size %d, addr %#x, values", r.ArgIdx, r.Size, r.Addr)
	for _, v := range r.Values {
		fmt.Fprintf(out, " %#x", v)
	}
	out.WriteString("\n")
}
