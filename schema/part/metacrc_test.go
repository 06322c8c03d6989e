package part

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// TestMetadataCRC flips, one at a time, every byte of a part's page
// index and footer, where nothing else would notice many flips (a
// statistic, a page's first row, a count, a key's name): opening the
// part must fail each time, and in the page index by the checksum.
// Flips in the footer mostly break its structure instead.
func TestMetadataCRC(t *testing.T) {
	data, _ := writeRandomPart(t, schema.Records, 900)
	r, err := openReader(bytes.NewReader(data), int64(len(data)), schema.Records)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.foot.groups) < 3 {
		t.Fatalf("%d row groups, want 3", len(r.foot.groups))
	}
	sum := r.foot.kv[metadataCRCKey]
	if len(sum) != 8 || strings.Trim(sum, "0123456789abcdef") != "" || sum == noMetadataCRC {
		t.Fatalf("footer checksum %q", sum)
	}
	start, end := r.dataEnd(), int64(len(data))-8
	if r.end-start < 1000 {
		t.Fatalf("a page index of %d bytes, from %d", r.end-start, start)
	}
	byChecksum := 0
	for i := start; i < end; i++ {
		bad := bytes.Clone(data)
		bad[i] ^= 0x04
		_, err := openReader(bytes.NewReader(bad), int64(len(bad)), schema.Records)
		switch {
		case err == nil:
			t.Errorf("byte %d (%d into the page index and footer) flipped: the part opens", i, i-start)
		case strings.Contains(err.Error(), "do not match their checksum"):
			byChecksum++
		case i < r.end:
			t.Errorf("byte %d of the page index flipped: %v, want the checksum's error", i, err)
		}
	}
	if byChecksum < int(r.end-start) {
		t.Errorf("%d of %d flips found by the checksum, want the page index's %d at least", byChecksum, end-start, r.end-start)
	}
	// Verify and Scan open parts the same way.
	bad := bytes.Clone(data)
	bad[start+10] ^= 0x04
	if _, err := Verify(bytes.NewReader(bad), int64(len(bad))); err == nil || !strings.Contains(err.Error(), metadataCRCKey) {
		t.Errorf("Verify of a flipped page index: %v", err)
	}
}

// TestMetadataCRCOlderParts: a part of the writer before the checksum
// (kdf version 2, the same footer without the key) still opens, and
// one of this writer whose key is gone does not.
func TestMetadataCRCOlderParts(t *testing.T) {
	data, rows := writeRandomPart(t, schema.Records, 500)
	v2 := withoutMetadataCRC(t, data, "kdf version 2")
	n, err := Verify(bytes.NewReader(v2), int64(len(v2)))
	if err != nil || n != int64(len(rows)) {
		t.Errorf("a version 2 part: %d rows, %v; want %d", n, err, len(rows))
	}
	_, got := readPart(t, v2, schema.Records)
	compareRows(t, schema.Records, got, rows)
	v3 := withoutMetadataCRC(t, data, createdBy)
	if _, err := Verify(bytes.NewReader(v3), int64(len(v3))); err == nil || !strings.Contains(err.Error(), "a damaged footer") {
		t.Errorf("a version 3 part without its checksum: %v", err)
	}
}

// withoutMetadataCRC returns a part as data, its footer encoded again
// without the checksum and as written by the writer named by.
func withoutMetadataCRC(t testing.TB, data []byte, by string) []byte {
	n := binary.LittleEndian.Uint32(data[len(data)-8:])
	start := len(data) - 8 - int(n)
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[start:len(data)-8], &md); err != nil {
		t.Fatal(err)
	}
	md.KeyValueMetadata = slices.DeleteFunc(md.KeyValueMetadata, func(kv format.KeyValue) bool { return kv.Key == metadataCRCKey })
	md.CreatedBy = by
	b, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(data[:start]), b...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(b)))
	return append(out, magic...)
}
