package part

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
)

// Defaults. A row group of a million records is about 12 MB of zstd
// Parquet: large enough for DuckDB to read in few requests and to
// parallelise over, small enough for its min/max statistics to skip
// parts of a campaign. A page cut at 256 KiB of buffered values keeps
// the writer's open pages small (the writer holds one per leaf column);
// 512 KiB made parts 2 to 3.5% smaller at the same speed and 6 MiB more
// heap per records writer.
const (
	DefaultRowGroupRows = 1 << 20
	DefaultPageBytes    = 256 << 10
)

// dictionaryMaxBytes bounds a column chunk's dictionary: past it the
// column goes on in PLAIN until the row group ends. Tens of thousands of
// symbol names fit; random words (most of records.value) overflow it
// within a million rows, where a dictionary would only cost time and
// bytes.
const dictionaryMaxBytes = 1 << 20

// Options configures a Writer. The zero value is the default layout.
type Options struct {
	// RowGroupRows is the number of rows per row group (the last one
	// may have fewer); 0 means DefaultRowGroupRows.
	RowGroupRows int
	// PageBytes is the size of a column's buffered values at which a
	// data page is cut (before encoding and compression: 4 bytes a
	// dictionary index, the width of other numbers, 4 plus the length
	// of a string, a byte a level); 0 means DefaultPageBytes.
	PageBytes int
	// Compression is the codec of the columns it shrinks by 5% or more
	// (the others are stored); the zero value is Zstd.
	Compression Compression
}

// Compression is a Parquet compression codec.
type Compression int

const (
	// Zstd at its fastest level: the smallest parts. The default level
	// made parts 1.5% smaller and the first writer 10% slower.
	Zstd Compression = iota
	// Snappy, written by S2's encoder at about three times zstd's speed,
	// for parts about a quarter larger: an ingest took 14% less CPU per
	// record (0.53 against 0.62 µs) and wrote 84 MB instead of 67 for
	// the realistic campaign's 5M records.
	Snappy
	Uncompressed
)

func (c Compression) String() string {
	switch c {
	case Zstd:
		return "zstd"
	case Snappy:
		return "snappy"
	case Uncompressed:
		return "none"
	}
	return fmt.Sprintf("Compression(%d)", int(c))
}

// Set parses a codec's name, as String writes it, so that a
// *Compression is a flag.Value.
func (c *Compression) Set(s string) error {
	switch strings.ToLower(s) {
	case "zstd":
		*c = Zstd
	case "snappy":
		*c = Snappy
	case "none", "uncompressed":
		*c = Uncompressed
	default:
		return fmt.Errorf("compression %q: zstd, snappy or none", s)
	}
	return nil
}

func (c Compression) codec() (compress.Codec, error) {
	switch c {
	case Zstd:
		return zstdCodec{}, nil
	case Snappy:
		return snappyCodec{}, nil
	case Uncompressed:
		return new(uncompressed.Codec), nil
	}
	return nil, fmt.Errorf("part: unknown compression %v", c)
}

// withDefaults fills the zero fields and rejects negative ones.
func (o Options) withDefaults() (Options, error) {
	if o.RowGroupRows < 0 || o.PageBytes < 0 {
		return o, fmt.Errorf("part: negative size in options %+v", o)
	}
	if o.RowGroupRows == 0 {
		o.RowGroupRows = DefaultRowGroupRows
	}
	if o.PageBytes == 0 {
		o.PageBytes = DefaultPageBytes
	}
	return o, nil
}
