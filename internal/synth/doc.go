// Package synth generates synthetic kcov_dataflow campaigns whose raw
// buffers are exactly what the kernel would have written, for both
// buffer layouts (docs/FORMAT.md describes them), together with the
// truth about every word. Everything is deterministic for a seed.
//
// # The writer
//
// Writer mirrors the RFC v2 series' kcov_df_write for layout A and the
// kernel fork's uAPI for layout B over an area of u64 words: area[0]
// counts the record words after it; a record is reserved only if all of
// it fits (a smaller one may fit later); the counter moves before the
// body is written and the per-task sequence number only on success. The
// kernel's quirks are reproduced, not fixed: the layout-A value count is
// shifted into the header unmasked (16 or more struct fields corrupt the
// type bits), scalars are read through their pointer and zero-extended
// by their size, ERR_PTR struct pointers give 0xBADADD85 in every field,
// unreadable reads give 0. Enable, ResetCounter and Tear mirror the
// ENABLE ioctl, user space zeroing area[0], and a dump taken while a
// record was half-written. The writer allocates nothing per record.
//
// # The kernel
//
// NewKernel builds a kernel from a fixed catalog of real function names
// and signatures (the write, read, close, ioctl, openat, sendmsg and
// printk paths, binder, netlink's recursive attribute validation) and the
// seed's three test modules, eight_args_c, rust_ffi_contract and the
// Rust eight_args_rust with v0 and legacy mangled names. The seed picks
// text sizes, the order of functions in the text, compare sites and a
// few optimised-out arguments. The symbol tables have data symbols in
// the gaps between functions, weak and duplicate static symbols, per-cpu
// symbols at tiny absolute addresses, _text and _stext. Kernel.SystemMap
// is the link-time System.map; each Boot has its own KASLR offset (a
// non-zero multiple of 2 MiB below 1 GiB) and module load addresses, and
// Boot.Kallsyms is its /proc/kallsyms (optionally hidden: all zeros).
//
// In layout A a record's size field is the scalar's size or, for an
// expanded struct pointer, the struct's size; layout B clamps both size
// and argument index to 255, writes size 0 for an optimised-out
// argument, and records a struct passed by value as one 8-byte ENTRY per
// register with the same argument index.
//
// # Programs
//
// RunProgram executes a program of syscall-like call trees: arguments
// flow from callers to callees, functions fail with negative errnos
// (zero-extended by their return size) or ERR_PTR, errors propagate and
// cut bodies short, struct pointers fault, netlink and the path walk
// recurse, some functions show the seed's pre-entry RET, layout B adds
// compare records. The capture tool's own ioctls leave records too: the
// ENABLE ioctl's RET without an ENTRY (lost when user space zeroes the
// counter after ENABLE, so the first sequence number is above 1), the
// DISABLE ioctl's ENTRY records without a RET, a forked child's segment
// that ends inside exit_group. A program may be dumped mid-record (torn)
// and a writer reused across programs leaves stale words behind.
//
// # The truth
//
// Truth describes one dump. Records are the records the counter covers,
// in order, each with the words as written and what they meant (kind,
// function, call, pre-entry, fault); Dropped are the records that did not
// fit, Lost those written and then discarded by a counter reset, Torn
// the record the counter covers but whose words were never written.
// Calls are every call made while the task was traced, with parent,
// depth, argument and return values, the indices of the ENTRY and RET
// records written for it (-1 for a dropped one) and the range of records
// written while it was active. Stats is the accounting a decoder should
// reproduce. Truth.CheckValid verifies a truth against its dump; keeping
// the truth never changes the bytes.
//
// # Campaigns
//
// WriteCampaign writes arms x trials x boots x programs:
//
//	DIR/System.map
//	DIR/btf/vmlinux, DIR/btf/<module>
//	DIR/arm=<arm>/trial=<n>/boot=<n>/kallsyms
//	DIR/arm=<arm>/trial=<n>/boot=<n>/manifest.jsonl
//	DIR/arm=<arm>/trial=<n>/boot=<n>/prog-000001.kcdf
//
// btf/ holds the kernel's types as a kernel built with
// CONFIG_DEBUG_INFO_BTF exposes them in /sys/kernel/btf: vmlinux's BTF
// and each module's split BTF (Kernel.BTF), every instrumented function
// with its prototype, so that kdf names arguments, fields and enum
// values; catalog_types.go gives the C types.
//
// manifest.jsonl has one object per buffer: file, program (syzkaller-like
// text), exec_ns (baseline_ns plus about 27 ns per hook, per arm, plus
// noise), baseline_ns, vm, timestamp (RFC 3339, increasing), capacity_words
// and layout; for an evaluation, Config adds round (the program's
// fuzzing round in its trial), repeat (the same program run again, for
// best-of-N) and iters (executions the times add up), and spaces
// timestamps by an interval. Campaign gives the same buffers in memory
// with their truth.
// Boots are written in parallel; each is deterministic on its own.
// DefaultConfig is a demo; BenchConfig(n) yields about n records (10
// million take about a second to generate).
//
// # Buffer sizes
//
// By default a program runs 1 to Config.Syscalls syscalls. With
// Config.Sizes, each program's length in records is drawn instead
// (SizeDist: fixed, log-normal, truncated, with a share of programs
// that run until their buffer is full), and the program runs syscalls
// until about that many hooks ran. Sizes come only from the length of
// programs and the capacity of buffers: a program longer than its
// buffer fills it and drops the rest, as the kernel does; no buffer is
// cut. Realistic is the mix of a fuzzing campaign: most buffers of 200
// to 5,000 records, one in a hundred saturated. SizedConfig and
// Config.Fit shape benchmark campaigns by records or by buffers.
package synth
