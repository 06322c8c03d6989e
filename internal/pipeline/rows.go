package pipeline

import (
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/schema"
)

// opt is a value that may be missing: a null in its column.
type opt[T any] struct {
	v  T
	ok bool
}

func some[T any](v T) opt[T] { return opt[T]{v, true} }

// runRow is one row of the runs table, field for column (schema.Runs).
type runRow struct {
	runID                         int64
	source, path, sha256          string
	bytes                         int64
	mtimeNS                       opt[int64]
	layout                        string
	layoutForced                  bool
	kallsyms, systemMap           opt[string]
	kaslrOffset                   opt[uint64]
	words                         int64
	capacity                      opt[int64]
	fill                          opt[float64]
	records, entries, rets, cmps  int64
	preRets                       int64
	damagedWords, damageEvents    int64
	torn                          bool
	tornWords, missingWords       int64
	saturated                     bool
	maxRecordWords                int64
	segments                      int32
	firstSeq, lastSeq             uint32
	calls                         int64
	callsByStatus                 [4]int64 // complete, no_return, no_entry, truncated
	maxDepth                      int32
	unresolved                    int64
	typeSource                    opt[string]
	protoChecked, protoMismatches int64
	named                         bool
	problems                      opt[string]
	arm, trial, boot, vm, program opt[string]
	timestamp                     opt[string]
	execNS, baselineNS            opt[int64]
	attrs                         map[string]string
}

// rejectRow is one row of the rejects table.
type rejectRow struct {
	source, path string
	sha256       opt[string]
	bytes        opt[int64]
	reason       string
	detail       string
}

// functionRow is one row of the functions table.
type functionRow struct {
	symbols, name, demangled, module, typ string
	addr                                  uint64
}

// buildRuns turns runs rows into a batch. Each column's builder is
// found once per batch, then filled row after row.
func buildRuns(mem memory.Allocator, campaign string, rows []runRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema.Runs.Schema())
	defer b.Release()
	f := builders{b, schema.Runs}
	reserve(b, len(rows))
	i64 := func(name string, v func(*runRow) int64) {
		c := f.int64(name)
		for i := range rows {
			c.Append(v(&rows[i]))
		}
	}
	// String columns have their bytes reserved whole: grown as they
	// were appended, a group's paths, hashes and programs were copied
	// over and over, two thirds of the time building its runs rows took.
	str := func(name string, v func(*runRow) string) {
		c := f.string(name)
		n := 0
		for i := range rows {
			n += len(v(&rows[i]))
		}
		c.ReserveData(n)
		for i := range rows {
			c.Append(v(&rows[i]))
		}
	}
	optStr := func(name string, v func(*runRow) opt[string]) {
		c := f.string(name)
		n := 0
		for i := range rows {
			n += len(v(&rows[i]).v)
		}
		c.ReserveData(n)
		for i := range rows {
			appendOpt(c, v(&rows[i]))
		}
	}
	optI64 := func(name string, v func(*runRow) opt[int64]) {
		c := f.int64(name)
		for i := range rows {
			appendOpt(c, v(&rows[i]))
		}
	}
	boolean := func(name string, v func(*runRow) bool) {
		c := f.bool(name)
		for i := range rows {
			c.Append(v(&rows[i]))
		}
	}
	i64("run_id", func(r *runRow) int64 { return r.runID })
	str("campaign", func(*runRow) string { return campaign })
	str("source", func(r *runRow) string { return r.source })
	str("path", func(r *runRow) string { return r.path })
	str("sha256", func(r *runRow) string { return r.sha256 })
	i64("bytes", func(r *runRow) int64 { return r.bytes })
	optI64("mtime_ns", func(r *runRow) opt[int64] { return r.mtimeNS })
	str("layout", func(r *runRow) string { return r.layout })
	boolean("layout_forced", func(r *runRow) bool { return r.layoutForced })
	optStr("kallsyms", func(r *runRow) opt[string] { return r.kallsyms })
	optStr("system_map", func(r *runRow) opt[string] { return r.systemMap })
	kaslr, fill := f.uint64("kaslr_offset"), f.get("fill").(*array.Float64Builder)
	for i := range rows {
		appendOpt(kaslr, rows[i].kaslrOffset)
		appendOpt(fill, rows[i].fill)
	}
	i64("words", func(r *runRow) int64 { return r.words })
	optI64("capacity", func(r *runRow) opt[int64] { return r.capacity })
	i64("records", func(r *runRow) int64 { return r.records })
	i64("entries", func(r *runRow) int64 { return r.entries })
	i64("rets", func(r *runRow) int64 { return r.rets })
	i64("cmps", func(r *runRow) int64 { return r.cmps })
	i64("pre_rets", func(r *runRow) int64 { return r.preRets })
	i64("damaged_words", func(r *runRow) int64 { return r.damagedWords })
	i64("damage_events", func(r *runRow) int64 { return r.damageEvents })
	boolean("torn", func(r *runRow) bool { return r.torn })
	i64("torn_words", func(r *runRow) int64 { return r.tornWords })
	i64("missing_words", func(r *runRow) int64 { return r.missingWords })
	boolean("saturated", func(r *runRow) bool { return r.saturated })
	i64("max_record_words", func(r *runRow) int64 { return r.maxRecordWords })
	segs, depth := f.int32("segments"), f.int32("max_depth")
	first, last := f.uint32("first_seq"), f.uint32("last_seq")
	for i := range rows {
		segs.Append(rows[i].segments)
		depth.Append(rows[i].maxDepth)
		first.Append(rows[i].firstSeq)
		last.Append(rows[i].lastSeq)
	}
	i64("calls", func(r *runRow) int64 { return r.calls })
	for k, name := range statusColumns {
		i64(name, func(r *runRow) int64 { return r.callsByStatus[k] })
	}
	i64("unresolved_pcs", func(r *runRow) int64 { return r.unresolved })
	optStr("type_source", func(r *runRow) opt[string] { return r.typeSource })
	i64("proto_checked", func(r *runRow) int64 { return r.protoChecked })
	i64("proto_mismatches", func(r *runRow) int64 { return r.protoMismatches })
	boolean("named", func(r *runRow) bool { return r.named })
	optStr("problems", func(r *runRow) opt[string] { return r.problems })
	optStr("arm", func(r *runRow) opt[string] { return r.arm })
	optStr("trial", func(r *runRow) opt[string] { return r.trial })
	optStr("boot", func(r *runRow) opt[string] { return r.boot })
	optStr("vm", func(r *runRow) opt[string] { return r.vm })
	optStr("program", func(r *runRow) opt[string] { return r.program })
	optStr("timestamp", func(r *runRow) opt[string] { return r.timestamp })
	optI64("exec_ns", func(r *runRow) opt[int64] { return r.execNS })
	optI64("baseline_ns", func(r *runRow) opt[int64] { return r.baselineNS })
	attrs := f.get("attrs").(*array.MapBuilder)
	var keys []string
	nkeys, nkeyBytes, nvalBytes := 0, 0, 0
	for i := range rows {
		for k, v := range rows[i].attrs {
			nkeys, nkeyBytes, nvalBytes = nkeys+1, nkeyBytes+len(k), nvalBytes+len(v)
		}
	}
	kb, ib := attrs.KeyBuilder().(*array.StringBuilder), attrs.ItemBuilder().(*array.StringBuilder)
	kb.Reserve(nkeys)
	kb.ReserveData(nkeyBytes)
	ib.Reserve(nkeys)
	ib.ReserveData(nvalBytes)
	for i := range rows {
		keys = appendMap(attrs, rows[i].attrs, keys)
	}
	return b.NewRecordBatch()
}

// statusColumns are the runs columns of calls by pair.Status.
var statusColumns = [4]string{"calls_complete", "calls_no_return", "calls_no_entry", "calls_truncated"}

// buildRejects turns rejects rows into a batch.
func buildRejects(mem memory.Allocator, campaign string, rows []rejectRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema.Rejects.Schema())
	defer b.Release()
	f := builders{b, schema.Rejects}
	for _, r := range rows {
		f.string("campaign").Append(campaign)
		f.string("source").Append(r.source)
		f.string("path").Append(r.path)
		appendOpt(f.string("sha256"), r.sha256)
		appendOpt(f.int64("bytes"), r.bytes)
		f.string("reason").Append(r.reason)
		f.string("detail").Append(r.detail)
	}
	return b.NewRecordBatch()
}

// buildFunctions turns functions rows into a batch.
func buildFunctions(mem memory.Allocator, rows []functionRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema.Functions.Schema())
	defer b.Release()
	f := builders{b, schema.Functions}
	for _, r := range rows {
		f.string("symbols").Append(r.symbols)
		f.string("func").Append(r.name)
		f.string("demangled").Append(r.demangled)
		f.string("module").Append(r.module)
		f.string("type").Append(r.typ)
		f.uint64("addr").Append(r.addr)
	}
	return b.NewRecordBatch()
}

// appender is an Arrow builder of one value type.
type appender[T any] interface {
	Append(T)
	AppendNull()
}

func appendOpt[T any](b appender[T], v opt[T]) {
	if v.ok {
		b.Append(v.v)
	} else {
		b.AppendNull()
	}
}

// appendMap appends a string map with its keys sorted, so that equal
// maps are equal rows; keys is scratch, returned for the next call.
func appendMap(b *array.MapBuilder, m map[string]string, keys []string) []string {
	b.Append(true)
	kb, ib := b.KeyBuilder().(*array.StringBuilder), b.ItemBuilder().(*array.StringBuilder)
	keys = keys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		kb.Append(k)
		ib.Append(m[k])
	}
	return keys
}
