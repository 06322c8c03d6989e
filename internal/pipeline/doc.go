// Package pipeline is `kdf ingest`: the one place where the stages meet.
// Every other package does one stage and knows nothing of the others
// downstream; this one composes them. Read it as the map of the flow:
//
//	source.Walk (ingest/source)       directories and tar archives -> entries:
//	                                  buffers, kallsyms / System.map snapshots,
//	                                  manifest attributes, problems       run.go, job.go
//	  -> a job per buffer, fed to Workers goroutines                     job.go
//	  -> ingest.NewDecoderBytes          records of layout A or B, damage counted
//	  -> symbolize.Symbolizer.Lookup     pc -> function, module, offset
//	  -> types.Check                     the record against its function's
//	                                     prototype, found by symbol ID   names.go, types.go
//	  -> pair.Pairer                     ENTRY/RET -> calls               process.go
//	  -> Arrow batches (schema.Records, schema.Calls)                    columns.go, calls.go
//	  -> part.Writer (schema/part)       Parquet parts in the writer's _tmp
//	  -> runs, rejects and functions rows of the group                    rows.go, commit.go
//	  -> dataset.Writer.Commit           the group's parts renamed into place,
//	                                     the ledger entry as the commit point  commit.go
//
// A worker gathers inputs into a commit group (bounded by GroupRuns and
// GroupBytes, and by the archive members it holds in memory, two
// SpoolBytes) and commits it whole, so an interrupted ingest redoes at
// most one group per worker, and every input ends in exactly one of
// runs or rejects. Processor is exported for callers that want the
// Arrow batches of one buffer without a dataset (the benchmarks).
package pipeline
