package part

import (
	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go/format"
)

// snappyCodec writes Parquet's SNAPPY with S2's encoder, which emits
// plain Snappy blocks: on a records part, on this project's machine, it
// compressed 497 MB/s to 59% of the size, zstd at its fastest level 172
// MB/s to 44%.
type snappyCodec struct{}

func (snappyCodec) String() string { return "SNAPPY" }

func (snappyCodec) CompressionCodec() format.CompressionCodec { return format.Snappy }

// Encode writes into dst's memory when it has room for the worst case,
// maxEncodedLen(len(src)). Pages are under 2 GiB, far below S2's limit.
func (snappyCodec) Encode(dst, src []byte) ([]byte, error) {
	return s2.EncodeSnappy(dst[:0], src), nil
}

func (snappyCodec) maxEncodedLen(n int) int { return s2.MaxEncodedLen(n) }

func (snappyCodec) Decode(dst, src []byte) ([]byte, error) {
	n, err := s2.DecodedLen(src)
	if err != nil {
		return nil, err
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	return s2.Decode(dst[:n], src)
}
