// Package source walks a campaign's inputs and says, for every file,
// what it is and which run attributes and symbol snapshots apply to it.
// It never extracts anything to disk: archive members are streamed.
//
// # Sources
//
// Walk takes any mix of directories, tar, tar.gz (.tgz) and tar.zst
// (.tzst) archives, and single files. Compression is detected by magic
// bytes (a .tar.gz that is really zstd is read as zstd); the name decides
// only for a plain tar without ustar magic. Directories are walked
// recursively in lexical order; an archive met inside a directory is
// walked in its place as a source of its own (Entry.Source is then the
// archive's path). Archives inside archives are not opened: they are
// delivered as KindOther with the reason "nested archive". Symbolic
// links inside a source are reported, never followed; only a source
// given on the command line is followed if it is a link.
//
// # What a file is
//
//   - KindBuffer: a name ending in .kcdf, .kcov, .bin or .raw
//     (Options.BufferSuffixes), or content that looks like a raw buffer:
//     at least two words, word 0 a counter below 2^24 with 1+counter
//     words fitting in the file, word 1 a record header of layout A
//     (upper 32 bits zero, type 0xE or 0xF in bits 28..31) or layout B
//     (nvals in bits 32..47 non-zero, bits 24..27 zero, type 0xC, 0xE or
//     0xF).
//   - KindKallsyms: kallsyms, kallsyms.txt, *.kallsyms.
//   - KindSystemMap: System.map, System.map-*.
//   - KindManifest: manifest.jsonl.
//   - KindBTF: raw BTF, as /sys/kernel/btf holds it: btf/vmlinux or
//     vmlinux.btf for the vmlinux, btf/MODULE or MODULE.btf for a
//     module's split BTF.
//   - KindVmlinux: vmlinux, an ELF file with .BTF or DWARF.
//   - KindOther: anything else, delivered with a Reason so the caller can
//     reject it; nothing is skipped silently.
//
// # Attribution
//
// A kallsyms or System.map applies to the buffers in its directory and
// below; the nearest one (deepest directory) wins, kallsyms and
// System.map each on their own. Two different snapshots of one kind in
// one directory make it ambiguous; a snapshot too large to read still
// blocks farther ones. In both cases buffers get a Snapshot whose Err
// says why, never a silently chosen substitute. Snapshots are not
// parsed here: Snapshot.Open gives their bytes to the symbolize package.
// For an archive found inside a directory, the directory's snapshots
// apply after the archive's own.
//
// A type source (Types) applies the same way: the type files of one
// directory, its btf/ subdirectory included, are one kernel build's
// types, and the nearest directory with a vmlinux's types (raw BTF, or
// else an ELF vmlinux) wins, with that directory's module BTF. Two raw
// BTF files for one vmlinux make it ambiguous (Types.Err). An ELF
// vmlinux is capped by Options.MaxVmlinuxBytes, BTF files like other
// metadata.
//
// Run attributes (Attrs, all values text) come from key=value directory
// segments (arm=dataflow/trial=2/boot=1/prog-7.kcdf gives arm, trial and
// boot; an archive's location counts too, boot=3.tar.zst reading as
// boot=3), then from manifest.jsonl sidecars: one JSON object per line,
// its "file" naming a file relative to the manifest's directory (at or
// below it). A manifest value overrides a path value, and a deeper
// manifest a shallower one. Numbers keep their exact JSON spelling;
// Attrs.ExecNS, BaselineNS, CapacityWords and Layout parse the known
// keys, and Entry.CheckAttrs reports the values they refuse with the
// manifest line (or path) each came from.
//
// # Reading archives safely
//
// tar members arrive in archive order, and a kallsyms may come after the
// buffers it covers, so an archive is read twice: pass 1 reads the
// headers and only the metadata members, snapshots into memory and
// manifests parsed as they stream by (each at most Options.MaxMetaBytes,
// all together at most Options.MaxMetaTotal), and finds any damage; pass
// 2 delivers every member in order, streamed, with the complete metadata
// known. Neither a buffer member's nor a manifest's content is held in
// memory; Entry.Open reads it from the stream during the callback.
// Directories need one pass: a directory's listing is read whole, so its
// metadata is loaded before any of its entries is delivered. A
// directory's manifest is checked as it is loaded, but only the names
// of its lines' files and the lines' places in it are held: a line is
// read again when its file is met, so that a directory of a million
// programs does not hold a million programs' text (a line no longer
// naming its file by then is reported: changed). Files met in the
// order of their lines are served by reading the manifest ahead, 64
// KiB at a time, not a read each.
//
// Every problem is an Entry whose Err is an *Error naming the source, the
// file, the manifest line or tar offset, what happened and what to do;
// the Error's Reason groups them. Walk itself returns only the
// callback's or the context's error. In particular:
//
//   - member names that are absolute or contain ".." are reported
//     (unsafe_path) and skipped, never rewritten, so they cannot attach
//     a snapshot or manifest to the wrong buffers; names that are not
//     UTF-8 or hold control characters are kept usable, escaped as \xNN
//     (Entry.Escaped);
//   - links, devices and fifos are reported, not read, also when one is
//     put in a listed buffer's place before it is opened: a directory's
//     buffers are not stat'ed by the walk but when opened (O_NOFOLLOW,
//     then fstat), so Entry.Size is -1 until then (File.Stat has it);
//   - a member whose data ends early, or a damaged gzip or zstd stream,
//     is reported with its offset; the members before it were delivered
//     and stay delivered, the rest of the archive is skipped;
//   - decompression is capped per member (Options.MaxMemberBytes, on the
//     declared size) and per archive (Options.MaxArchiveBytes), and the
//     zstd window by Options.MaxWindowBytes, so bombs cost bounded time
//     and memory;
//   - in a manifest, a line that is not one JSON object is reported and
//     the others are used; a repeated key keeps its last value; of two
//     lines naming one file the later wins; a line naming a file the
//     source lacks is reported once the source (or, for a directory,
//     the manifest's subtree) has been walked; a manifest reports at
//     most 100 bad lines and 100 such lines one by one, then counts the
//     rest in one report (too_many_problems); a manifest is read line by
//     line, and a line above Options.MaxManifestLine or of more than
//     Options.MaxAttrs keys is skipped without being held
//     (manifest_too_large), a value above Options.MaxAttrValue or a key
//     above MaxAttrKey dropped (attribute_too_large);
//   - an archive that holds no files (0 bytes, only its end blocks, or
//     only directories) is reported (empty_archive), so that a failed
//     copy does not pass unnoticed.
package source
