package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/synth"
)

const fixtures = "../../transform/types/testdata/"

// TestProto prints the fixture kernel's prototypes from its raw BTF,
// its ELF's .BTF and its ELF's DWARF: the same C each time.
func TestProto(t *testing.T) {
	want := "ssize_t vfs_write(struct file *file, const char *buf, size_t count, loff_t *pos);\n" +
		"int pid_nr(enum pid_type type, enum fix_signed s, volatile int *const p);\n"
	for _, src := range [][]string{
		{"--btf", fixtures + "fixture.btf"},
		{"--vmlinux", fixtures + "fixture-btf.o"},
		{"--vmlinux", fixtures + "fixture.o"},
	} {
		out, _ := kdf(t, append(append([]string{"proto"}, src...), "vfs_write", "pid_nr")...)
		if out != want {
			t.Errorf("kdf proto %v:\n%s\nwant\n%s", src, out, want)
		}
	}
	out, _ := kdf(t, "proto", "--btf", fixtures+"fixture.btf", "--fields", "pid_nr")
	for _, s := range []string{"type: enum pid_type", "PIDTYPE_SID = 3", "FIX_NEG = -2"} {
		if !strings.Contains(out, s) {
			t.Errorf("kdf proto --fields pid_nr: no %q in\n%s", s, out)
		}
	}
	_, errOut, err := runKDF("proto", "--btf", fixtures+"fixture.btf", "vfs_write", "no_such_function")
	if err == nil || !strings.Contains(err.Error(), "no prototype of no_such_function") {
		t.Errorf("an unknown function: %v %s", err, errOut)
	}
	if _, _, err := runKDF("proto", "--btf", "x", "--vmlinux", "y", "f"); !errors.Is(err, errUsage) {
		t.Errorf("--btf and --vmlinux together: %v", err)
	}
}

// TestProtoModules reads a directory laid out as /sys/kernel/btf: the
// generated kernel's, a module's function as MODULE:FUNC.
func TestProtoModules(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "campaign")
	if _, err := synth.WriteCampaign(dir, synth.SmallConfig()); err != nil {
		t.Fatal(err)
	}
	out, _ := kdf(t, "proto", "--btf", filepath.Join(dir, "btf"), "--fields", "rust_ffi_contract:ffi_check_result", "__kmalloc_noprof")
	want := "int ffi_check_result(struct ffi_alloc *alloc);\n" +
		"\talloc: struct ffi_alloc, 24 bytes\n" +
		"\t\t0    void *buffer\n" +
		"\t\t8    u64 data_size\n" +
		"\t\t16   unsigned int free_async\n" +
		"\t\t20   unsigned int flags\n" +
		"void *__kmalloc_noprof(size_t size, gfp_t flags);\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// TestProtoThisKernel reads this machine's kernel BTF, the default.
func TestProtoThisKernel(t *testing.T) {
	if _, err := os.Stat(defaultBTF + "/vmlinux"); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s/vmlinux does not exist: this kernel was built without CONFIG_DEBUG_INFO_BTF, so kdf proto has no default to read", defaultBTF)
	}
	out, _ := kdf(t, "proto", "vfs_write")
	if want := "ssize_t vfs_write(struct file *file, const char *buf, size_t count, loff_t *pos);\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

// TestTreeTypes prints a generated buffer's tree with the kernel's BTF:
// arguments by name, enum values by name, struct fields, errnos.
func TestTreeTypes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "campaign")
	cfg := synth.SmallConfig()
	cfg.Layout = 'A'
	if _, err := synth.WriteCampaign(dir, cfg); err != nil {
		t.Fatal(err)
	}
	bufs, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*", "*.kcdf"))
	var all strings.Builder
	for _, b := range bufs {
		out, _ := kdf(t, "tree", b, "--kallsyms", filepath.Join(filepath.Dir(b), "kallsyms"), "--btf", filepath.Join(dir, "btf"))
		all.WriteString(out)
	}
	for _, s := range []string{"vfs_write(file={f_mode=", ", buf=0x2000", ", count=", ", pos={pos=", "__fdget(fd=", ") = 0xffff888", " (-E"} {
		if !strings.Contains(all.String(), s) {
			t.Errorf("no %q in the trees", s)
		}
	}
}
