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
//	  _ledger/<n>.json                 the latest commit: the parts it added and removed
//	  _ledger/<n>.pending              an intent: commit n in progress, or interrupted
//	  _ledger/history.jsonl            one line per commit, for people
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
// # The directory is the truth
//
// The dataset is the parts in its table directories: Snapshot lists
// them, and a reader that knows nothing of kdf (a glob over
// TABLE/**/*.parquet in DuckDB, Polars, Spark) reads the same rows. No
// row is ever hidden by a ledger: rows a later commit supersedes are
// removed from the directory, by replacing the parts that hold them with
// rewritten ones in the same commit. The ledger only sequences commits
// and says, between a crash and the next writer's recovery, which files
// are not (yet, or any longer) part of the dataset; it keeps the latest
// commit only, so listing and opening a dataset costs the same after a
// million commits as after ten.
//
// What an ingest has taken in (which inputs, with which content) is read
// from the parts themselves (the runs and rejects tables), by the
// caller: this package deals in files, names and locks; what goes inside
// a part is the caller's (package schema/part writes it into the
// PartFile given here).
//
// # Commit protocol
//
// A Writer writes parts into its _tmp/<id>/ (PartFile.Close syncs each
// one), then Commit publishes a Group: its new parts, the committed
// parts they replace, and a check to run under the lock:
//
//	(a) take _ledger/lock (exclusive flock; waiting until the context,
//	    or DefaultLockWait, runs out);
//	(b) recover what interrupted writers left, list the dataset; refuse
//	    the group (ErrConflict) if a part it replaces is gone; run its
//	    Prepare with the parts committed since the writer last looked,
//	    which may refuse it or add parts; the commit number n is the
//	    highest number used plus one;
//	(c) write the intent _ledger/<n>.pending (JSON: the final names of
//	    the parts it adds, and those it removes), sync it and _ledger;
//	(d) rename each new part to TABLE/campaign=C/part-<n>-<id>-<k>.parquet,
//	    sync the partition directories;
//	(e) rename the intent to _ledger/<n>.json, the commit point, and sync
//	    _ledger;
//	(f) remove the parts the commit replaces and the ledger files of
//	    earlier commits; release the lock.
//
// A failure (an error, not a crash) before (e) rolls the commit back
// at once, as recovery would; Commit's parts are consumed either way.
//
// # Crashes and recovery
//
// What a crash (SIGKILL, power loss) at each point leaves, and how
// recovery, run under the lock by NewWriter, Commit and Recover, mends
// it:
//
//   - before (c): parts in _tmp/<id>/ only. The writer's lock died with
//     it; recovery finds _tmp/<id>.lock free and removes the directory.
//   - during or after (c), before (e): an intent, perhaps some parts at
//     their final names. Readers skip parts of a pending commit (a plain
//     glob sees them until recovery). Recovery removes every part the
//     intent lists, and any part bearing number n should the intent be
//     unreadable, then the intent. n is used again.
//   - after (e), before (f) is done: the commit is complete, but some
//     parts it replaces are still there. Readers skip them (a plain glob
//     sees both old and new rows until recovery); recovery removes them.
//   - after (f): only the empty _tmp/<id>/ is left to remove. A power
//     loss before _ledger is synced may undo the rename of (e): the
//     commit is then rolled back, and its Commit never returned success.
//
// Every step's data is synced before the next step names it, so the
// intent always lists what (d) may have renamed, and a part is never
// published with content a power loss would lose. An ingest killed at
// any point and run again therefore ends with the dataset of an
// uninterrupted run. Two writers at once exclude each other only at
// commit time; Prepare is where a writer sees what the other committed
// meanwhile. The locks are flocks: they work on local filesystems and on
// NFS (Linux maps flock to NFS locks), not on object storage, where each
// host writes its own dataset.
package dataset
