package part

import (
	"bytes"
	"encoding/binary"
	"errors"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/schema"
)

// TestVerify reads whole parts of each table back, and finds a byte
// flipped in the middle of each column chunk's data: the page's
// checksum, naming the column and the row group.
func TestVerify(t *testing.T) {
	for _, tbl := range schema.All {
		t.Run(tbl.Name, func(t *testing.T) {
			data, rows := writeRandomPart(t, tbl, 1000)
			n, err := Verify(bytes.NewReader(data), int64(len(data)))
			if err != nil || n != int64(len(rows)) {
				t.Fatalf("a whole part: %d rows, %v; want %d", n, err, len(rows))
			}
			r, err := openReader(bytes.NewReader(data), int64(len(data)), tbl)
			if err != nil {
				t.Fatal(err)
			}
			g := len(r.foot.groups) - 1
			for j, c := range r.foot.groups[g].chunks {
				bad := bytes.Clone(data)
				bad[chunkStart(&c)+c.size/2] ^= 0x10
				_, err := Verify(bytes.NewReader(bad), int64(len(bad)))
				var fe *FormatError
				col := strings.Join(r.leaves[j].path, ".")
				if !errors.As(err, &fe) || fe.Column != col || !strings.Contains(err.Error(), "row group ") {
					t.Errorf("column %s, a byte flipped in row group %d: %v", col, g, err)
				}
			}
		})
	}
}

// TestVerifyWithoutChecksums: a chunk with a page that carries no
// checksum, as another writer may leave it, is decoded instead. The
// checksum of a data page of an uncompressed dictionary-encoded chunk
// is rewritten as 0 (a zero varint as long as the old one, so nothing
// moves); the part still verifies. Its indexes' bit width then made
// impossible, only the decoding can tell: Verify must fail.
func TestVerifyWithoutChecksums(t *testing.T) {
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(3, 4))
	data, rows := writeBatches(t, schema.Records, Options{Compression: Uncompressed, RowGroupRows: 300, PageBytes: 2 << 10},
		[]arrow.RecordBatch{randomBatch(mem, schema.Records, rng, 600)})
	r, err := openReader(bytes.NewReader(data), int64(len(data)), schema.Records)
	if err != nil {
		t.Fatal(err)
	}
	page := -1 // the first data page of such a chunk, after its dictionary
	var body int
	for j, c := range r.foot.groups[0].chunks {
		l := r.leaves[j]
		if c.dictOffset <= 0 || l.maxDef > 0 || l.maxRep > 0 {
			continue
		}
		dict, n, err := readPageHeader(data[c.dictOffset:])
		if err != nil {
			t.Fatal(err)
		}
		page = int(c.dictOffset) + n + int(dict.compressed)
		h, n, err := readPageHeader(data[page:])
		if err != nil || h.crc == 0 {
			t.Fatalf("column %s's first data page: checksum %#x, %v", strings.Join(l.path, "."), h.crc, err)
		}
		body = page + n
		// The checksum is a thrift i32: a zigzag varint, in the header.
		z := uint32(int32(h.crc)<<1) ^ uint32(int32(h.crc)>>31)
		old := binary.AppendUvarint(nil, uint64(z))
		at := bytes.Index(data[page:body], old)
		if at < 0 {
			t.Fatalf("no varint %x in the header % x", old, data[page:body])
		}
		for i := range old {
			data[page+at+i] = 0x80
		}
		data[page+at+len(old)-1] = 0
		if h, _, err := readPageHeader(data[page:]); err != nil || h.crc != 0 {
			t.Fatalf("the header rewritten: checksum %#x, %v", h.crc, err)
		}
		break
	}
	if page < 0 {
		t.Fatal("no required dictionary-encoded column")
	}
	if n, err := Verify(bytes.NewReader(data), int64(len(data))); err != nil || n != int64(len(rows)) {
		t.Fatalf("without the page's checksum: %d rows, %v; want %d", n, err, len(rows))
	}
	data[body] = 0x7f // the indexes' bit width
	var fe *FormatError
	if _, err := Verify(bytes.NewReader(data), int64(len(data))); !errors.As(err, &fe) {
		t.Errorf("a bit width of 127, and no checksum to see it: %v", err)
	}
}
