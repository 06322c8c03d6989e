package part

import (
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// zstdWindow is the encoders' window. Every page is compressed on its
// own and is at most a few hundred KiB (a dictionary page at most
// dictionaryMaxBytes), so a larger window finds no more matches; with
// the library's default, 8 MiB, each encoder allocates a history far
// larger than any page.
const zstdWindow = 1 << 20

// zstdCodec is Zstd at its fastest level, with encoders shared by every
// writer of the process: parquet-go's codec keeps a pool per writer, and
// with several tables written on each worker, the encoders' histories
// were a fifth of an ingest's peak heap.
type zstdCodec struct{}

var (
	zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithWindowSize(zstdWindow),
			zstd.WithZeroFrames(true),
			zstd.WithEncoderCRC(false),
		)
		if err != nil {
			panic(err) // the options are constants
		}
		return e
	})
	// zstdDecoder reads the pages of parts for Scan and Rewrite; no
	// page may decompress to more than maxPageBytes.
	zstdDecoder = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxPageBytes))
		if err != nil {
			panic(err)
		}
		return d
	})
)

func (zstdCodec) String() string { return "ZSTD" }

func (zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

// Encode is safe for concurrent use: EncodeAll takes one of the
// encoder's GOMAXPROCS states, waiting when all are busy.
func (zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	return zstdEncoder().EncodeAll(src, dst[:0]), nil
}

// maxEncodedLen bounds a page compressed: zstd stores a block it cannot
// shrink as it is, behind a few bytes of headers.
func (zstdCodec) maxEncodedLen(n int) int { return n + n>>7 + 64 }

func (zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	return zstdDecoder().DecodeAll(src, dst[:0])
}
