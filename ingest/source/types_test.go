package source

import (
	"io"
	"slices"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
)

// typesTree has type sources at several depths, after the buffers they
// cover in archive order: a btf/ directory as /sys/kernel/btf lays it
// out, a vmlinux.btf, an ELF vmlinux beside raw BTF, and a directory
// with two raw BTF files for its vmlinux.
func typesTree() []member {
	return []member{
		reg("p.kcdf", "x"),
		reg("arm=a/boot=1/p.kcdf", "x"),
		reg("arm=a/boot=2/p.kcdf", "x"),
		reg("arm=b/p.kcdf", "x"),
		reg("arm=c/p.kcdf", "x"),
		reg("btf/vmlinux", "root btf"),
		reg("btf/ext4", "ext4 btf"),
		reg("btf/binder", "binder btf"),
		reg("arm=a/boot=2/vmlinux.btf", "boot2 btf"),
		reg("arm=a/boot=2/fs.btf", "boot2 fs"),
		reg("arm=b/vmlinux", "elf"),
		reg("arm=b/btf/vmlinux", "b btf"),
		reg("arm=c/vmlinux.btf", "c1"),
		reg("arm=c/btf/vmlinux", "c2"),
	}
}

func TestNearestTypes(t *testing.T) {
	want := map[string]struct {
		base    string
		modules []string
		err     ingest.Reason
	}{
		"p.kcdf":              {"btf/vmlinux", []string{"binder", "ext4"}, ""},
		"arm=a/boot=1/p.kcdf": {"btf/vmlinux", []string{"binder", "ext4"}, ""},
		"arm=a/boot=2/p.kcdf": {"arm=a/boot=2/vmlinux.btf", []string{"fs"}, ""},
		"arm=b/p.kcdf":        {"arm=b/btf/vmlinux", nil, ""},
		"arm=c/p.kcdf":        {"", nil, ingest.ReasonAmbiguous},
	}
	ms := typesTree()
	dir := t.TempDir()
	for name, src := range map[string]string{
		"directory": writeTree(t, ms...),
		"tar":       writeFile(t, dir, "s.tar", makeTar(t, ms...)),
	} {
		t.Run(name, func(t *testing.T) {
			es := walk(t, Options{}, src)
			for p, w := range want {
				ty := find(t, es, p).Types
				if ty == nil {
					t.Errorf("%s: no types", p)
					continue
				}
				if w.err != "" {
					if reasonOf(ty.Err) != w.err {
						t.Errorf("%s: error %v, want %s", p, ty.Err, w.err)
					}
					continue
				}
				var mods []string
				for m := range ty.Modules {
					mods = append(mods, m)
				}
				slices.Sort(mods)
				if ty.Err != nil || snapPath(ty.Base) != w.base || !slices.Equal(mods, w.modules) {
					t.Errorf("%s: types %s %v (%v), want %s %v", p, snapPath(ty.Base), mods, ty.Err, w.base, w.modules)
				}
			}
			ty := find(t, es, "p.kcdf").Types
			checkSnapshotContent(t, ty.Modules["ext4"], "ext4 btf")
			r, size, closeIt, err := ty.Base.ReaderAt()
			if err != nil {
				t.Fatal(err)
			}
			defer closeIt()
			b, _ := io.ReadAll(io.NewSectionReader(r, 0, size))
			if string(b) != "root btf" {
				t.Errorf("ReaderAt: %q", b)
			}
			for _, p := range []string{"btf/vmlinux", "btf/ext4", "arm=b/vmlinux", "arm=a/boot=2/fs.btf"} {
				if e := find(t, es, p); e.Kind != KindBTF && e.Kind != KindVmlinux {
					t.Errorf("%s delivered as %v", p, e.Kind)
				}
			}
		})
	}
}

// TestTypesTooLarge: a type file above its cap is reported, and blocks
// farther type sources.
func TestTypesTooLarge(t *testing.T) {
	src := writeTree(t, reg("btf/vmlinux", "root"), reg("boot=1/vmlinux", "a large elf"), reg("boot=1/p.kcdf", "x"))
	es := walk(t, Options{MaxVmlinuxBytes: 4}, src)
	ty := find(t, es, "boot=1/p.kcdf").Types
	if ty == nil || ty.Base == nil || reasonOf(ty.Base.Err) != ingest.ReasonTooLarge {
		t.Fatalf("types %+v", ty)
	}
	if _, _, _, err := ty.Base.ReaderAt(); err == nil {
		t.Error("a too-large vmlinux opened")
	}
}
