package schema

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Column is one column of a table: its name, type and meaning, in the
// one place they are written down.
type Column struct {
	Name string
	Type arrow.DataType
	// Nullable columns may hold no value (an attribute a run lacks, a
	// call without return).
	Nullable bool
	// Dict marks columns dictionary-encoded in Parquet: symbol and
	// low-cardinality strings, and run_id where a run's rows follow one
	// another (there, a run is one run-length-encoded index).
	Dict bool
	Doc  string
}

// Table is one table of the dataset.
type Table struct {
	Name    string
	Doc     string
	Columns []Column
}

var (
	u8     = arrow.PrimitiveTypes.Uint8
	i32    = arrow.PrimitiveTypes.Int32
	u32    = arrow.PrimitiveTypes.Uint32
	i64    = arrow.PrimitiveTypes.Int64
	u64    = arrow.PrimitiveTypes.Uint64
	str    = arrow.BinaryTypes.String
	boolT  = arrow.FixedWidthTypes.Boolean
	u64s   = arrow.ListOf(arrow.PrimitiveTypes.Uint64)
	strs   = arrow.ListOf(arrow.BinaryTypes.String)
	strMap = arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String)
)

// Runs has one row per raw buffer ingested.
var Runs = &Table{Name: "runs", Doc: "one row per raw buffer: provenance, attributes and the buffer's accounting", Columns: []Column{
	{Name: "run_id", Type: i64, Doc: "the run's key: the first 8 bytes of the SHA-256 of its campaign, source and path, as a signed integer; the same file gets the same run_id on every host"},
	{Name: "campaign", Type: str, Dict: true, Doc: "campaign name (also the partition)"},
	{Name: "source", Type: str, Dict: true, Doc: "the directory or archive the buffer came from, as given to kdf ingest"},
	{Name: "path", Type: str, Doc: "the buffer's path inside its source"},
	{Name: "sha256", Type: str, Doc: "the buffer's content hash, hex: runs of identical content share it (kdf's contents view counts them)"},
	{Name: "bytes", Type: i64, Doc: "the buffer file's size in bytes"},
	{Name: "mtime_ns", Type: i64, Nullable: true, Doc: "the file's modification time in ns since the Unix epoch (stat, or the tar header): with bytes, how a re-run knows a file unchanged without reading it"},
	{Name: "layout", Type: str, Dict: true, Doc: "A (RFC v2) or B (fork uAPI); ? when no valid header was found"},
	{Name: "layout_forced", Type: boolT, Doc: "the layout was chosen by the user, not detected"},
	{Name: "kallsyms", Type: str, Nullable: true, Dict: true, Doc: "the kallsyms snapshot that symbolized the buffer (source and path)"},
	{Name: "system_map", Type: str, Nullable: true, Dict: true, Doc: "the System.map used, if any"},
	{Name: "kaslr_offset", Type: u64, Nullable: true, Doc: "the boot's KASLR offset applied to layout-B pcs"},
	{Name: "words", Type: i64, Doc: "record words written: the counter in word 0; -1 when it exceeds the 128 MiB a buffer can hold"},
	{Name: "capacity", Type: i64, Nullable: true, Doc: "buffer capacity in words, counter included, when known (whole-mapping dump or manifest)"},
	{Name: "fill", Type: arrow.PrimitiveTypes.Float64, Nullable: true, Doc: "(words + 1) / capacity"},
	{Name: "records", Type: i64, Doc: "records decoded"},
	{Name: "entries", Type: i64, Doc: "ENTRY records"},
	{Name: "rets", Type: i64, Doc: "RET records, pre-entry returns included"},
	{Name: "cmps", Type: i64, Doc: "compare records (layout B)"},
	{Name: "pre_rets", Type: i64, Doc: "RET records written just before their own function's entry"},
	{Name: "damaged_words", Type: i64, Doc: "words skipped while resynchronising inside the data"},
	{Name: "damage_events", Type: i64, Doc: "places where words were skipped"},
	{Name: "torn", Type: boolT, Doc: "the counted words end in an incomplete record"},
	{Name: "torn_words", Type: i64, Doc: "words of that incomplete tail"},
	{Name: "missing_words", Type: i64, Doc: "counted words the file does not contain"},
	{Name: "saturated", Type: boolT, Doc: "free space below the largest record seen: records were probably dropped"},
	{Name: "max_record_words", Type: i64, Doc: "the largest record's length in words"},
	{Name: "segments", Type: i32, Doc: "runs of non-decreasing sequence numbers (tasks or work items)"},
	{Name: "first_seq", Type: u32, Doc: "first sequence number"},
	{Name: "last_seq", Type: u32, Doc: "last sequence number"},
	{Name: "calls", Type: i64, Doc: "calls rebuilt"},
	{Name: "calls_complete", Type: i64, Doc: "calls with entry and return"},
	{Name: "calls_no_return", Type: i64, Doc: "calls an outer return closed"},
	{Name: "calls_no_entry", Type: i64, Doc: "returns without an entry (functions without arguments)"},
	{Name: "calls_truncated", Type: i64, Doc: "calls open when their segment ended"},
	{Name: "max_depth", Type: i32, Doc: "deepest call nesting"},
	{Name: "unresolved_pcs", Type: i64, Doc: "records whose pc did not resolve to a function"},
	{Name: "type_source", Type: str, Nullable: true, Dict: true, Doc: "the type source (BTF or a vmlinux) that named arguments and fields (source and path); null without one"},
	{Name: "proto_checked", Type: i64, Doc: "ENTRY and RET records of functions the type source has a prototype of, checked against it: argument index, size, value count"},
	{Name: "proto_mismatches", Type: i64, Doc: "checked records that disagree with their prototype: an index past the parameters, a return of a void function, a size the type cannot have"},
	{Name: "named", Type: boolT, Doc: "the run's records and calls carry names and types; false without a type source, or when more than one checked record in ten disagreed (a type source of another kernel build)"},
	{Name: "problems", Type: str, Nullable: true, Doc: "what went wrong reading the buffer, with word offsets: damage, a short file, unusable symbols"},
	{Name: "arm", Type: str, Nullable: true, Dict: true, Doc: "attribute arm (manifest or arm= path segment)"},
	{Name: "trial", Type: str, Nullable: true, Dict: true, Doc: "attribute trial"},
	{Name: "boot", Type: str, Nullable: true, Dict: true, Doc: "attribute boot"},
	{Name: "vm", Type: str, Nullable: true, Dict: true, Doc: "attribute vm"},
	{Name: "program", Type: str, Nullable: true, Doc: "attribute program: what was executed"},
	{Name: "timestamp", Type: str, Nullable: true, Doc: "attribute timestamp, as the manifest gave it"},
	{Name: "exec_ns", Type: i64, Nullable: true, Doc: "measured execution time with recording on"},
	{Name: "baseline_ns", Type: i64, Nullable: true, Doc: "the same program's time with recording off"},
	{Name: "attrs", Type: strMap, Doc: "every attribute: manifest fields and key=value path segments"},
}}

// Records has one row per decoded record.
var Records = &Table{Name: "records", Doc: "one row per record, symbolized and linked to its call", Columns: []Column{
	{Name: "run_id", Type: i64, Dict: true, Doc: "the run (runs.run_id)"},
	{Name: "idx", Type: i64, Doc: "the record's index in its buffer, from 0"},
	{Name: "offset", Type: i64, Doc: "the record's word offset in the buffer (word 0 is the counter)"},
	{Name: "seq", Type: u32, Doc: "sequence number (24 bits)"},
	{Name: "segment", Type: i32, Doc: "segment within the buffer, from 0"},
	{Name: "kind", Type: str, Dict: true, Doc: "entry, ret, cmp, or pre_ret (a RET just before its own function's entry)"},
	{Name: "pc", Type: u64, Doc: "pc as recorded: runtime (layout A) or link-time (layout B)"},
	{Name: "func", Type: str, Nullable: true, Dict: true, Doc: "the function containing pc, as the symbol table names it; null if unresolved"},
	{Name: "demangled", Type: str, Nullable: true, Dict: true, Doc: "func demangled (Rust v0 and legacy, C++); equal to func for C"},
	{Name: "module", Type: str, Dict: true, Doc: "the function's module; empty for the core kernel"},
	{Name: "func_offset", Type: u64, Nullable: true, Doc: "pc minus the function's address"},
	{Name: "arg_idx", Type: u8, Doc: "argument index (0 for returns and compares)"},
	{Name: "size", Type: u8, Doc: "value size in bytes; 0 in layout B: optimised out"},
	{Name: "addr", Type: u64, Doc: "layout A: low 48 bits of the pointer read; layout B: the value's address, or the compare type"},
	{Name: "value", Type: u64, Doc: "the first value word: the scalar, or a struct's first field"},
	{Name: "nvals", Type: i32, Doc: "number of value words"},
	{Name: "fields", Type: u64s, Nullable: true, Doc: "all value words when there are several (struct fields, compare operands); null for a scalar"},
	{Name: "call_id", Type: i64, Doc: "the call the record belongs to (calls.call_id); -1 for a compare outside any call"},
	{Name: "arg_name", Type: str, Nullable: true, Dict: true, Doc: "the argument's name in the function's prototype (count); null for returns and compares, and wherever arg_type is null"},
	{Name: "arg_type", Type: str, Nullable: true, Dict: true, Doc: "the argument's or return value's C type (size_t, struct file *); null without a prototype, for a record that disagrees with it, or in a run not named (runs.named)"},
	{Name: "signed", Type: boolT, Nullable: true, Doc: "the type is a signed integer or enum: value_s in the args and rets views reads the value; null for other types and without one"},
	{Name: "value_name", Type: str, Nullable: true, Dict: true, Doc: "the enumerator an enum-typed value names (PIDTYPE_TGID); null for other types and values"},
	{Name: "field_names", Type: strs, Nullable: true, Doc: "the struct's member names, one per word of fields, for a struct expanded field by field; null otherwise and wherever arg_type is null"},
}}

// Calls has one row per rebuilt call.
var Calls = &Table{Name: "calls", Doc: "one row per call rebuilt by pairing entries and returns", Columns: []Column{
	{Name: "run_id", Type: i64, Dict: true, Doc: "the run (runs.run_id)"},
	{Name: "call_id", Type: i64, Doc: "the call's index in its run, in the order of first records"},
	{Name: "parent_id", Type: i64, Doc: "the enclosing call's call_id; -1 at the top"},
	{Name: "depth", Type: i32, Doc: "nesting depth, 0 at the top of a segment"},
	{Name: "segment", Type: i32, Doc: "segment within the buffer"},
	{Name: "pc", Type: u64, Doc: "the function's pc as recorded"},
	{Name: "func", Type: str, Nullable: true, Dict: true, Doc: "function name; null if unresolved"},
	{Name: "demangled", Type: str, Nullable: true, Dict: true, Doc: "function name demangled"},
	{Name: "module", Type: str, Dict: true, Doc: "module; empty for the core kernel"},
	{Name: "status", Type: str, Dict: true, Doc: "complete, no_return, no_entry or truncated"},
	{Name: "nargs", Type: i32, Doc: "argument records"},
	{Name: "args", Type: u64s, Doc: "each argument's first value word, in order (struct fields are in records.fields)"},
	{Name: "arg_sizes", Type: arrow.ListOf(u8), Doc: "each argument's size in bytes"},
	{Name: "ret", Type: u64, Nullable: true, Doc: "the return value's first word; null without a return"},
	{Name: "ret_size", Type: u8, Nullable: true, Doc: "the return value's size"},
	{Name: "pre_ret", Type: u64, Nullable: true, Doc: "the value of the pre-entry RET before this call, if any"},
	{Name: "first_record", Type: i64, Doc: "index of the call's first record"},
	{Name: "last_record", Type: i64, Doc: "index of the call's last record, nested calls included"},
	{Name: "records", Type: i64, Doc: "records inside the call, its own and nested ones: what it costs to trace"},
	{Name: "arg_names", Type: strs, Nullable: true, Doc: "each argument's name in the function's prototype, null where a record disagrees with it; the list is null without a prototype or in a run not named (runs.named)"},
	{Name: "ret_type", Type: str, Nullable: true, Dict: true, Doc: "the return type's C spelling in the function's prototype (ssize_t; void for a void function); null without a prototype or in a run not named"},
}}

// Functions has one row per symbol-table entry that some record used.
var Functions = &Table{Name: "functions", Doc: "one row per function of a symbol table that records resolved to", Columns: []Column{
	{Name: "symbols", Type: str, Dict: true, Doc: "the symbol table (runs.kallsyms or runs.system_map)"},
	{Name: "func", Type: str, Dict: true, Doc: "function name as the table gives it"},
	{Name: "demangled", Type: str, Dict: true, Doc: "function name demangled"},
	{Name: "module", Type: str, Dict: true, Doc: "module; empty for the core kernel"},
	{Name: "type", Type: str, Dict: true, Doc: "the symbol's type letter (t, T, w, W)"},
	{Name: "addr", Type: u64, Doc: "the function's address in that table"},
}}

// Rejects has one row per input that did not become a run.
var Rejects = &Table{Name: "rejects", Doc: "one row per input file not ingested as a run, and why", Columns: []Column{
	{Name: "campaign", Type: str, Dict: true, Doc: "campaign name"},
	{Name: "source", Type: str, Dict: true, Doc: "the directory or archive"},
	{Name: "path", Type: str, Doc: "the file's path inside its source"},
	{Name: "sha256", Type: str, Nullable: true, Doc: "content hash, when the file could be read"},
	{Name: "bytes", Type: i64, Nullable: true, Doc: "size in bytes, when known"},
	{Name: "reason", Type: str, Dict: true, Doc: "why: one of the reasons SECURITY.md lists (empty, not_a_buffer, unreadable, unsafe_path, ...)"},
	{Name: "detail", Type: str, Doc: "what was wrong, with the position, and what to do"},
}}

// All lists the dataset's tables.
var All = []*Table{Runs, Records, Calls, Functions, Rejects}

// Lookup returns the table called name, or nil.
func Lookup(name string) *Table {
	for _, t := range All {
		if t.Name == name {
			return t
		}
	}
	return nil
}
