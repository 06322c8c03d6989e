// Package part writes the Parquet files ("parts") of the dataset: one
// file of one schema.Table, from the Arrow record batches the
// transforms produce.
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
// fields say. The footer carries kdf.table and kdf.schema_version.
//
// # Encodings
//
// Each choice was measured against its alternative on realistic records
// (the stream of BenchmarkWriteRecords; rows per CPU second, best of
// interleaved runs on a shared 2-core machine):
//
//   - RLE_DICTIONARY for strings marked Dict (symbols, kinds, modules,
//     campaign, layout, status) and for every uint64 and uint8 column.
//     pc, func_offset, addr and the argument sizes take few distinct
//     values; their dictionary indexes are a few bits wide, where PLAIN
//     handed zstd 8 or 4 bytes per row. That made the part 10% smaller
//     and the writer 30% faster (less to compress). A chunk whose
//     dictionary passes 1 MiB (random words, like most of
//     records.value) goes on in PLAIN, which zstd halves.
//   - DELTA_BINARY_PACKED for int64, int32 and uint32: ids, indexes,
//     word offsets, sequence numbers and counts are sorted or change
//     slowly, and shrink to a few bits per row (records.idx, run_id,
//     offset, call_id: under 0.2 bytes per row). PLAIN for those four
//     made the part 18% larger and the writer slower.
//   - PLAIN for other strings (paths, hashes), doubles and booleans.
//
// Everything is compressed with zstd at its fastest level (the default
// level: 1.5% smaller, 10% slower). Row groups hold 1M rows by default
// (about 12 MB) and data pages are cut at 256 KiB of buffered values.
// Statistics (min, max, null count) are written per row group and in
// the page index, so that readers skip row groups and pages; data page
// version 1 is used, the one every reader supports. The realistic
// records come out at 12 bytes per row.
//
// # How
//
// Each Arrow column is turned, 2048 rows at a time, into parquet-go
// values carrying their repetition and definition levels, which go
// straight into parquet-go's writer of that leaf column. Strings are
// not copied: the values point into Arrow's buffers, and parquet-go
// copies what it keeps. On 10M records this path wrote 2.6-2.9 M rows
// per CPU second. parquet-go's GenericWriter, fed from the batches
// converted into reused Go structs with the same encodings, did 1.9-2.0
// M/s (it writes 64 rows at a time and needs a struct per table), and
// typed column buffers filled with bulk copies from Arrow, then written
// with WriteRowGroup, 1.5-1.7 M/s (the writer reads the buffer back as
// values). arrow-go's pqarrow is not used: slower, larger files, and it
// brings gRPC into the build.
//
// A Writer is not safe for concurrent use: write parts in parallel with
// one Writer each.
package part
