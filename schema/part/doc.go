// Package part writes the Parquet files ("parts") of the dataset: one
// file of one schema.Table, from the Arrow record batches the ingest job
// (internal/pipeline) builds. It also reads them back, for the dataset
// to drop superseded rows and repair old parts (Rewrite) and to rebuild
// its indexes (Scan).
//
//	w, err := part.NewWriter(f, schema.Records, part.Options{})
//	for each batch { err = w.Write(rec); rec.Release() }
//	err = w.Close() // the footer; f stays open, for the caller to sync and rename
//
// # Layout
//
// The file has the table's columns, in order, under their names. Only
// standard Parquet types are used, so that DuckDB, Spark, Trino and the
// Arrow readers open them natively:
//
//	Arrow                 Parquet                                   DuckDB
//	int64, int32          INT64, INT32 with INT(64|32, signed)      BIGINT, INTEGER
//	uint64                INT64 with INT(64, unsigned)              UBIGINT
//	uint32, uint8         INT32 with INT(32|8, unsigned)            UINTEGER, UTINYINT
//	float64, bool         DOUBLE, BOOLEAN                           DOUBLE, BOOLEAN
//	string                BYTE_ARRAY with STRING                    VARCHAR
//	list<T>               3-level LIST: group (LIST) / repeated     T[]
//	                      group list / element
//	map<string,string>    MAP: group (MAP) / repeated group         MAP(VARCHAR, VARCHAR)
//	                      key_value / required key, value
//
// Unsigned words keep their 64 bits (0xffffffffffffffff is stored as
// INT64 -1 and read back as the UBIGINT it is), and their statistics
// are ordered unsigned. A column is optional when the table says it is
// nullable, required otherwise (a batch with nulls in a required column
// is refused); list elements and map values are optional as their Arrow
// fields say. The footer carries kdf.table, kdf.schema_version and
// kdf.metadata_crc32 (the checksum of the page index and the footer, see
// metadataCRCKey), and names the writer "kdf version 3" (version 2 kept
// no footer checksum; parts of the first writer, built on parquet-go's,
// say "kdf version (build )").
//
// Strings are valid UTF-8: a byte of a batch's string that is not part
// of a valid UTF-8 sequence is written as the four characters \xNN (NN
// its value in lowercase hex); everything else, backslashes included,
// is written as is, so the escape is for reading, not for round trips
// ("\x80" written and byte 0x80 escaped read the same). Symbol names
// from a hostile kallsyms or paths from an archive would otherwise make
// Arrow, Polars, DuckDB and Spark refuse the whole part.
//
// # Encodings
//
// Each choice was measured against its alternative on two streams of
// records: the realistic ones of BenchmarkWriteRecords (synthetic), and
// those of a campaign of kdf gen ingested (campaign); CPU time of the
// writer per row, medians of interleaved runs on a shared 2-core
// machine:
//
//   - RLE_DICTIONARY for strings marked Dict (symbols, kinds, modules,
//     campaign, layout, status), map keys and values, and every uint64
//     and uint8 (list elements included). pc, func_offset, addr and the
//     argument sizes take few distinct values; their indexes are a few
//     bits wide where PLAIN would hand zstd 8 or 4 bytes per row. A
//     chunk whose dictionary passes 1 MiB goes on in PLAIN, and so does
//     a chunk of words whose first page repeats so little that the
//     dictionary and its indexes would take as many bytes as the words
//     (parquet-mr's test): random words go in PLAIN from the start.
//     On generated campaigns that test made the records table 0.8%
//     smaller (5M records, --size-dist realistic; the calls table 0.5%
//     larger) and 0.9% (3M records of 100,000-record buffers; calls 0.9%
//     smaller), at the same speed. On the campaign, addr in PLAIN made parts 1.4% smaller,
//     value and fields in PLAIN 1% and 3% larger, all at the same speed
//     (one rule for every uint64 stays); in DELTA_BINARY_PACKED 11 to
//     39% larger. Dictionaries bounded at 64 to 256 KiB were no faster.
//   - DELTA_BINARY_PACKED for int64, int32 and uint32: ids, indexes, word
//     offsets, sequence numbers and counts are sorted or change slowly,
//     and shrink to a few bits per row (records.idx: under 0.01 bytes
//     per row).
//   - RLE_DICTIONARY for the int64 run_id of records and calls (marked
//     Dict): it is a hash, so that in DELTA_BINARY_PACKED each change of
//     run made a block of 128 deltas 64 bits wide. On 370-record buffers
//     that was 1.6 bytes a record before compression, 7% of what zstd
//     was given for the records table and 18% for calls; as one RLE run
//     of its index per run it is under 0.1, and the dataset came out 1%
//     smaller.
//   - PLAIN for other strings (paths, hashes), doubles and booleans.
//
// Dictionary indexes are bit-packed as wide as the dictionary needs;
// runs of 8 equal indexes are run-length encoded up to 16 bits (wider
// ones are one bit-packed run: parquet-go's encoder is 5 times slower
// past 16 bits). Levels are RLE/bit-packed, as data page version 1 has
// them.
//
// A column is compressed with zstd at its fastest level when that saves
// 5% or more on the column's first chunk, and stored otherwise: on the
// synthetic records kind, pc, func, demangled, func_offset and size
// shrink by 0 to 4% and cost zstd 2 to 4 ns a byte (about 10 ns a row
// together); storing them made parts 2% larger. Every column of the
// campaign compresses by half or more. zstd's entropy coding of blocks
// without matches (off at this level) made the synthetic parts 7%
// smaller and the writer 8% slower. Snappy (Options.Compression), from
// S2's encoder, made an ingest's parts about a quarter larger for 14%
// less CPU per record; parquet-go's own Snappy encoder had saved 13% of
// the writer's time for parts 21% larger.
//
// Row groups hold 1M rows by default and data pages are cut at 256 KiB
// of buffered values. Statistics (min, max, null count) are written per
// column chunk and in the page index (strings there cut to 16 bytes at
// a character boundary, the greatest raised to stay a bound), with the
// level histograms, so that readers skip row groups and pages; data
// page version 1 is used, the one every reader supports, and each page
// carries its CRC. The synthetic records come out at 12.1 bytes per row
// (the first writer's 12.1), the campaign's at 7.95 (8.19).
//
// # How
//
// Each Arrow column is read once per batch, a step of at most 4096 rows
// at a time: its values go to a typed encoder of the leaf column (a
// dictionary with a hash table of its type, or a buffer of numbers),
// its validity and list offsets to definition and repetition levels.
// When a leaf's buffered page reaches its size the page is encoded,
// compressed and kept with its statistics; when the row group is full,
// each column chunk is written, its dictionary page first, and its page
// index kept for the footer, which this package writes itself (the
// thrift encoding is parquet-go's, and so are the level, dictionary
// index and delta encoders). No value passes through a parquet.Value.
//
// A string dictionary looks strings up in a small direct-mapped cache by
// a hash of their length and their first and last 8 bytes, compared
// word by word, then in a table hashed with maphash; strings shorter
// than 8 bytes are their own keys in a table of words. A word dictionary
// reads the home slots of 32 words before probing them, so that the
// cache misses of a large table overlap.
//
// On the shared 2-core machine, heavily loaded while measured, the
// writer took 55 to 65% of the first writer's CPU time: go test -bench
// WriteRecords gave 3.62M rows per CPU second against 2.44M (medians of
// 6 interleaved runs; 2.33M against 1.49M rows/s of wall time), the
// writing thread alone 215 ns a row against 380 on the synthetic
// records and 315 against 490 on the campaign's, of which zstd took 50
// and 125. Where the time goes, synthetic records: zstd 26%, string
// dictionaries (func, demangled, kind, module) 30%, word dictionaries
// (pc, addr, value, fields) 15%, page encoding (bit-packing, deltas,
// levels, bounds) most of the rest.
//
// Memory: a writer holds the open row group's pages, compressed, one
// open page per leaf column and the chunks' dictionaries. The peak heap
// of a records writer was 33 MiB on the synthetic records and 37 MiB on
// the campaign's (the first writer: 32 and 34), of a calls writer 28
// MiB (30).
//
// A Writer is not safe for concurrent use: write parts in parallel with
// one Writer each.
//
// # Reading
//
// Rewrite and Scan read parts of this package and of the first writer:
// data pages version 1, encodings PLAIN, RLE_DICTIONARY, DELTA_BINARY_
// PACKED and DELTA_LENGTH_BYTE_ARRAY, codecs zstd, snappy or none. They
// read the footer and the page headers with a thrift decoder of their
// own that trusts no count (a list may not claim more elements than
// bytes remain, the row groups must have the table's columns, nesting
// is bounded), the pages with decoders bounded by what the header
// says, and refuse footers over 64 MiB, pages over 256 MiB, row groups
// over 16M rows; a damaged part is a *FormatError with the offset of
// the structure at fault. They hold one row group at a time: Rewrite as
// Arrow arrays (a million records are about 170 MB), Scan the columns
// asked for. Scan read three string columns of 100k runs in 0.08 s
// (BenchmarkScanRuns); Rewrite of a million records took about 1.2 s
// of CPU (BenchmarkRewriteRecords).
package part
