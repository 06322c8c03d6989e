// Package capture records kcov_dataflow buffers on a running kernel: it
// sets the device up, runs a command as the traced task, and writes the
// buffer into a campaign directory with what kdf ingest needs beside it,
// the boot's kallsyms, its type source and a manifest line.
//
// # The device
//
// The kernel offers kcov_dataflow as the debugfs file
// /sys/kernel/debug/kcov_dataflow, mode 0600. Both known uAPIs, the RFC
// v2 series' (buffer layout A) and the kernel fork's
// include/uapi/linux/kcov_dataflow.h (layout B), share what a capture
// needs, ioctls in namespace 'd':
//
//	KCOV_DF_INIT_TRACK  _IOR('d', 1, unsigned long)  allocate the buffer: its size in u64 words, by value, 2 to 2^24
//	KCOV_DF_ENABLE      _IO('d', 100)                 record the calling task
//	KCOV_DF_DISABLE     _IO('d', 101)                 stop recording; only the recorded task may
//
// and mmap of the whole buffer, offset 0, shared, read and write. The
// mapping's length must equal the size given to INIT_TRACK, so a size is
// a whole number of pages: a multiple of 512 words with 4 KiB pages.
// area[0] counts the record words written after it; user space writes
// area[0] = 0 right after ENABLE, which drops the records of the ENABLE
// call itself.
//
// # Which layout
//
// The fork's uAPI adds KCOV_DF_REMOTE_ENABLE (_IOW('d', 102, __u64)) and
// KCOV_DF_REMOTE_DISABLE (_IO('d', 103)); the RFC's ioctl answers ENOTTY
// to every command it does not know. OpenDevice asks REMOTE_DISABLE of
// the fresh descriptor, where it has nothing to undo: success means
// layout B, ENOTTY layout A. Any other answer comes from a uAPI kdf does
// not know; the layout is then left to detection at ingest (the
// manifest says "auto").
//
// # The traced task
//
// Recording belongs to a task, and fork does not pass it on: the kernel
// clears the child's state, and its documentation has the child enable
// on the inherited descriptor before exec. Go runs no code between fork
// and exec (os/exec does both in one step), so kdf re-executes itself as
// a launcher: a new kdf process, given the device as an extra
// descriptor, locks its thread, maps the buffer, enables recording,
// zeroes area[0] and execs the command on that same thread. The task the
// kernel records is then the command itself, from its execve to its
// exit; the command's other threads and the processes it starts are not
// recorded. The command inherits the device's descriptor (4), which
// keeps the buffer alive while the task records, should kdf die first.
// The kernel ends the session when the task exits, so no DISABLE is
// issued, and kdf, not being the recorded task, could not issue one. A
// close-on-exec pipe carries the time of the execve back to kdf, or why
// the launcher failed, so that a command that could not be started is
// never mistaken for one that ran. Baseline runs, recording off, go
// through the same launcher without the device: both timings start at
// the execve.
//
// Every traced run opens the device afresh. The RFC's kernel leaves a
// descriptor bound to its task after the task has exited, and refuses a
// second ENABLE on it.
//
// # Runs and timings
//
// Record runs the command Options.Repeat times with recording on and as
// many times with it off, in turns (on, off, then off, on, ...), and
// keeps the medians of both times. The first run is a traced one: if
// recording fails, the command has not run. The buffer kept is the last traced
// run's, unless a traced run ended badly, with a non-zero exit status or
// a signal: then it is the first such run's, and the manifest says how
// it ended.
//
// # What is written
//
//	DIR/boot=<boot id>/kallsyms          /proc/kallsyms, once per boot
//	DIR/boot=<boot id>/vmlinux.btf       /sys/kernel/btf/vmlinux, once per boot, if the kernel has it
//	DIR/boot=<boot id>/prog-000001.kcdf  the whole mapping: the counter, the records, the unused rest
//	DIR/boot=<boot id>/manifest.jsonl    one line per buffer, appended
//
// The boot id is /proc/sys/kernel/random/boot_id, new at every boot, so
// every buffer lies beside the kallsyms of the boot that wrote it. The
// buffer's name is the next one free; several captures may write into
// one directory at once. Manifest lists the manifest line's fields;
// package capturetest simulates a kernel for tests.
package capture
