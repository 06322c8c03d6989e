package query

import (
	"runtime"

	"github.com/kdf-tools/kdf/schema/part"
)

// CompactOptions tune Compact.
type CompactOptions struct {
	// Campaign compacts one campaign; empty compacts every one.
	Campaign string
	// TargetBytes is the size a compacted part is cut at: hundreds of
	// MB, so that a campaign of 10^11 records is thousands of files,
	// not millions, and each holds a few hundred full row groups.
	TargetBytes int64
	// MemoryLimit bounds DuckDB's sort, in DuckDB's syntax; past it, it
	// spills to the dataset's _tmp.
	MemoryLimit string
	// Threads DuckDB sorts with; 0 means one per core.
	Threads int
	// Compression is the compacted parts' codec; the zero value is
	// zstd, the smallest, whatever the ingest wrote.
	Compression part.Compression
	// rowGroupRows is compactRowGroupRows but in tests, which need
	// many row groups of a small campaign.
	rowGroupRows int64
}

// compactRowGroupRows is the row groups' size in compacted parts, an
// eighth of an ingested part's: the finer the groups, the fewer rows a
// query reads past its own; DuckDB's own default is about the same
// (122,880 rows).
const compactRowGroupRows = 128 << 10

// DefaultCompactTarget is CompactOptions.TargetBytes's default.
const DefaultCompactTarget = 256 << 20

func (o CompactOptions) withDefaults() CompactOptions {
	if o.TargetBytes <= 0 {
		o.TargetBytes = DefaultCompactTarget
	}
	if o.MemoryLimit == "" {
		o.MemoryLimit = "1GB"
	}
	if o.Threads <= 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	if o.rowGroupRows <= 0 {
		o.rowGroupRows = compactRowGroupRows
	}
	return o
}

// CompactResult is what Compact did to one campaign.
type CompactResult struct {
	Campaign    string  `json:"campaign"`
	PartsBefore int     `json:"parts_before"`
	PartsAfter  int     `json:"parts_after"`
	BytesBefore int64   `json:"bytes_before"`
	BytesAfter  int64   `json:"bytes_after"`
	Seconds     float64 `json:"seconds"`
	Skipped     string  `json:"skipped,omitempty"` // why nothing was done
}

// sortKeys orders each table's rows in compacted parts. Records and
// calls go by function, then run, within bands of runs (runBands), so
// that one-function and one-run queries both skip most row groups.
var sortKeys = map[string]string{
	"records":   "func NULLS LAST, run_id, idx",
	"calls":     "func NULLS LAST, run_id, call_id",
	"runs":      "run_id",
	"rejects":   "source, path",
	"functions": "symbols, func, addr",
}
