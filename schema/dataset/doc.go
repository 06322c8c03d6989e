// Package dataset manages a kdf dataset directory: its layout, the
// ledger of what has been ingested, and the crash-safe commit of Parquet
// parts. It deals in files, names and locks; what goes inside a part is
// the caller's (package schema/part writes it into the PartFile given
// here).
//
// # Layout
//
//	DATASET/
//	  kdf.json                         format, dataset and schema versions, writer, tables
//	  runs/campaign=C/part-*.parquet   likewise records/, calls/, functions/, rejects/
//	  _ledger/lock                     the dataset lock (flock), held only to commit or recover
//	  _ledger/<n>.json                 commit n: its parts and its inputs (the commit point)
//	  _ledger/<n>.pending              an intent: commit n in progress, or interrupted
//	  _tmp/<id>.lock                   writer id's lock (flock), held while the writer lives
//	  _tmp/<id>/                       writer id's parts in progress and scratch files
//
// Part names are part-<n>-<id>-<k>.parquet: commit number (zero-padded,
// so names sort in commit order), writer ID, index in the commit. The
// leading underscores hide _ledger and _tmp from Hive-style readers, and
// they sit beside the table directories, never inside them. Campaign
// names become path segments, so CheckCampaign limits them to a safe
// alphabet; directories are created one segment at a time and a symbolic
// link inside the dataset is refused, so nothing is written outside it.
//
// # Commit protocol
//
// A Writer writes parts into its _tmp/<id>/ (PartFile.Close syncs each
// one), then Commit publishes a group of parts with the inputs whose rows
// they hold:
//
//	(a) take _ledger/lock (exclusive flock; waiting until the context,
//	    or DefaultLockWait, runs out);
//	(b) read the ledger; if another writer committed one of the inputs
//	    meanwhile, return a *ConflictError (ErrConflict) and commit
//	    nothing; the commit number n is the highest number in _ledger
//	    plus one;
//	(c) write the intent _ledger/<n>.pending (JSON: the final part names
//	    and the inputs), sync it and _ledger;
//	(d) rename each part to TABLE/campaign=C/part-<n>-<id>-<k>.parquet,
//	    sync the partition directories;
//	(e) rename the intent to _ledger/<n>.json, the commit point, and sync
//	    _ledger;
//	(f) release the lock.
//
// A failure (an error, not a crash) before (e) rolls the commit back
// at once, as recovery would; Commit's parts are consumed either way.
//
// # Crashes and recovery
//
// What a crash (SIGKILL, power loss) at each point leaves, and how
// recovery, run under the lock by NewWriter and Recover, mends it:
//
//   - before (c): parts in _tmp/<id>/ only. The writer's lock died with
//     it; recovery finds _tmp/<id>.lock free and removes the directory.
//   - during or after (c): an intent, perhaps some parts at their final
//     names (a globbing reader sees them; the ledger does not name them).
//     Recovery removes every part the intent lists, and any part bearing
//     number n should the intent be unreadable, then the intent, then
//     the dead writer's _tmp directory. n is used again.
//   - after (e): the commit is complete; only the empty _tmp/<id>/ is
//     left to remove. A power loss before _ledger is synced may undo the
//     rename: the commit is then rolled back, and its Commit never
//     returned success.
//
// Every step's data is synced before the next step names it, so the
// intent always lists what (d) may have renamed, and a part is never
// published with content a power loss would lose. An ingest killed at
// any point and run again therefore ends with the dataset of an
// uninterrupted run: the inputs of a rolled-back group are not in the
// ledger and are ingested again. Two ingests at once exclude each other
// only at commit time; the loser of a race for an input gets
// ErrConflict and redoes its group without it. The locks are flocks:
// they work on local filesystems and on NFS (Linux maps flock to NFS
// locks), not on object storage, where each host writes its own dataset.
//
// # Inputs and re-ingest
//
// The ledger records every input file with its content hash, source,
// path and outcome (run or reject). Ledger.Run(sha256) and
// Ledger.Lookup(source, path) are what an ingest checks to skip inputs
// already ingested. One content is one run (run_id comes from the hash)
// and one file is one run or reject: a later input with the same run
// content or the same file supersedes the earlier one, and Commit
// refuses that as a conflict unless the input has Force set.
//
// Force is how `kdf ingest --force` re-ingests. Committed parts are
// never edited (they may be open in a reader, or on storage that cannot
// rewrite); instead the forced input's new commit supersedes its earlier
// one, by the ledger alone:
//
//   - a commit whose inputs were all superseded drops out: Parts omits
//     its parts of the per-input tables (runs, records, calls, rejects);
//   - a commit with some inputs superseded keeps its parts, and
//     Ledger.Excluded lists, per part, the rows readers must skip: by
//     run_id in tables that have one, by source and path in rejects.
//
// functions is never filtered: its rows describe symbol tables shared
// by runs, and readers deduplicate them.
//
// # Readers
//
// Readers take one snapshot with Committed and read exactly
// Ledger.Parts(table), minus Ledger.Excluded(table): never a part of an
// unfinished, interrupted or rolled-back commit, and never a superseded
// row. A plain Parquet reader globbing TABLE/**/*.parquet sees the same
// rows once recovery has run and unless inputs were re-ingested with
// Force. Dataset.Check verifies the directory against its ledger.
package dataset
