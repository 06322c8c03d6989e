package part

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
)

// The footer's checksum. Pages carry their CRC-32, but the footer (row
// group and chunk statistics, offsets, counts) and the page index
// (every page's bounds and location) carry none in Parquet, and they
// still parse when a bit of them flips: a reader then skips row groups
// or pages that hold what a query asks for, or reads from the wrong
// place, and answers wrongly without an error. kdf's parts keep in
// their footer the key metadataCRCKey, whose value is the CRC-32 (IEEE,
// as pages have it) of the bytes from the end of the last column chunk
// to the end of the file metadata, the page index and the footer,
// taken with that value written as noMetadataCRC; it is 8 lowercase hex
// digits. Other engines ignore the key.
const (
	metadataCRCKey = "kdf.metadata_crc32"
	noMetadataCRC  = "00000000"
)

// metadataCRCAt returns where the checksum's value starts in the
// encoded file metadata b, or -1.
func metadataCRCAt(b []byte) int {
	f, err := readKeyValues(b)
	if err != nil || f.crcAt < 0 || f.crcAt+len(noMetadataCRC) > len(b) {
		return -1
	}
	return f.crcAt
}

// checkMetadataCRC checks the page index and the footer b of a part
// against the footer's checksum. Parts of kdf's writers before this one
// (created_by of another version) have none, and pass: there is nothing
// to check them against. A part of this writer without one lost its
// key to damage.
func (r *reader) checkMetadataCRC(b []byte, meta *footer) error {
	crcAt := meta.crcAt
	if crcAt < 0 {
		if meta.createdBy == createdBy {
			return &FormatError{Offset: r.end, Msg: fmt.Sprintf("the footer has no %s, which %s writes: a damaged footer", metadataCRCKey, createdBy)}
		}
		return nil
	}
	got := meta.kv[metadataCRCKey]
	var want [4]byte
	ok := len(got) == len(noMetadataCRC)
	if ok {
		_, err := hex.Decode(want[:], []byte(got))
		ok = err == nil
	}
	if !ok {
		return &FormatError{Offset: r.end + int64(crcAt), Msg: fmt.Sprintf("the footer's checksum %q is not 8 hex digits", got)}
	}
	start := r.dataEnd()
	sum := crc32.NewIEEE()
	if _, err := io.Copy(sum, io.NewSectionReader(r.src, start, r.end-start)); err != nil {
		return &FormatError{Offset: start, Msg: "reading the page index", Err: err}
	}
	sum.Write(b[:crcAt])
	sum.Write([]byte(noMetadataCRC))
	sum.Write(b[crcAt+len(noMetadataCRC):])
	if s := sum.Sum32(); s != binary.BigEndian.Uint32(want[:]) {
		return &FormatError{Offset: start, Msg: fmt.Sprintf("the page index and footer (bytes %d to %d) do not match their checksum (%s %s, computed %08x): the statistics or the page locations that readers skip by are damaged", start, r.size-8, metadataCRCKey, got, s)}
	}
	return nil
}

// dataEnd is where the last column chunk ends: the page index follows,
// then the footer.
func (r *reader) dataEnd() int64 {
	end := int64(len(magic))
	for _, g := range r.foot.groups {
		for i := range g.chunks {
			end = max(end, chunkStart(&g.chunks[i])+g.chunks[i].size)
		}
	}
	return min(end, r.end)
}
