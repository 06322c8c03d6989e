// Package export writes a dataset's calls in the formats of the viewers
// people already use: pprof profiles and folded stacks for flame graphs
// (ReadStacks, then Stacks.Profile or Stacks.WriteFolded), and one
// run's calls as a trace that the Perfetto UI and chrome://tracing open
// (WriteTrace). It reads the dataset through package query.
//
// # Stacks
//
// A call's stack is its chain of callers, followed through parent_id to
// the top of its run's segment, each frame a function (its demangled
// name and module; an unresolved pc is its own frame, named in hex).
// Identical stacks of every selected run are one stack. A stack's
// records are those its leaf's calls wrote themselves: calls.records
// (the span from a call's first record to its last, nested calls
// included) minus the records of its children. pprof and flame graphs
// add a stack's value to every frame on it, so a function's total
// there is the records inside its calls, as calls.records counts them,
// and the root's totals add up to the records inside calls. Records
// outside every call (compares in layout B before the first entry) are
// in no stack. A pre-entry return counts for the call it lies in.
//
// Filter chooses the runs (campaign, attributes such as arm, run ids or
// paths) and, for stacks, calls: Func and Where (kdf export's --func
// and --where) pick calls, and a picked call's callees are kept with
// it, each with its whole stack, as pprof's -focus keeps the samples
// through a function.
//
// # Traces
//
// A trace has no clock to show, since buffers have no timestamps:
// time is the record index, 1 record = 1 µs (TimeNote), so a slice's
// length is the records inside the call. Each segment of the buffer
// (a task or work item) is a thread; a call is a complete event (X) on
// its segment's thread, nested by depth. Instants mark truncated and
// no_return calls at their last record, pre-entry returns where they
// were written, and, on the process, the problems runs.problems reports
// at a word offset (at the record after it), a torn tail and a full
// buffer.
//
// # Examples
//
// The commands over this package (executed as tests in cmd/kdf, with
// DATASET a small ingested dataset, FILE a new file, RUN one of its
// runs):
//
//	kdf export pprof DATASET -o FILE.pb.gz
//	kdf export folded DATASET --func 'ffi_*'
//	kdf export folded DATASET --where "module <> '' AND nargs >= 3" --value calls
//	kdf export perfetto DATASET --run RUN -o FILE.json
package export
