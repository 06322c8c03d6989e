package synth

import (
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/types"
)

// kernelTypes reads the kernel's BTF back, modules included.
func kernelTypes(t *testing.T, k *Kernel) *types.Source {
	t.Helper()
	s, err := k.Types()
	if err != nil {
		t.Fatal(err)
	}
	if s.Modules() != len(k.Modules) {
		t.Fatalf("%d modules' BTF, want %d", s.Modules(), len(k.Modules))
	}
	return s
}

// TestBTF: every instrumented function has its prototype in the
// kernel's BTF, with the catalog's parameters, and the headline ones
// read as the kernel declares them.
func TestBTF(t *testing.T) {
	k := NewKernel(1, Options{Hostile: true})
	s := kernelTypes(t, k)
	for i := range k.Funcs {
		f := &k.Funcs[i]
		mod := ""
		if f.Module >= 0 {
			mod = k.Modules[f.Module].Name
		}
		p := s.Proto(mod, f.Name)
		if p == nil || len(p.Params) != len(f.Args) || (p.Ret.Kind == types.KindVoid) != f.Ret.Void {
			t.Errorf("%s %s: %v", mod, f.Name, p)
			continue
		}
		for j, a := range f.Args {
			if p.Params[j].Name != a.Name || (a.Kind != Scalar) != p.Params[j].Type.Expanded() {
				t.Errorf("%s: parameter %d is %+v, want %s", f.Name, j, p.Params[j], a.Name)
			}
		}
	}
	for mod, want := range map[string]string{
		":vfs_write":                         "ssize_t vfs_write(struct file *file, const char __user *buf, size_t count, struct loff *pos)",
		":__task_pid_nr_ns":                  "pid_t __task_pid_nr_ns(void *task, enum pid_type type, void *ns)",
		":_printk":                           "int _printk(const char *fmt, ...)",
		":__kmalloc_noprof":                  "void *__kmalloc_noprof(size_t size, gfp_t flags)",
		"eight_args_c:df_func2":              "u64 df_func2(u64 a1, u64 a2)",
		"rust_ffi_contract:ffi_check_result": "int ffi_check_result(struct ffi_alloc *alloc)",
	} {
		m, fn := splitQualified(mod)
		if got := s.Proto(m, fn).String(); got != want {
			t.Errorf("%s:\n got %s\nwant %s", mod, got, want)
		}
	}
	if e := s.Proto("", "__task_pid_nr_ns").Params[1].Type.Enum; e == nil || len(e.Values) != 5 {
		t.Errorf("enum pid_type: %+v", e)
	}
}

func splitQualified(q string) (module, fn string) {
	for i := range q {
		if q[i] == ':' {
			return q[:i], q[i+1:]
		}
	}
	return "", q
}

// TestBTFAgrees: every record the kernel writes, in both layouts,
// agrees with its function's prototype in the kernel's BTF.
func TestBTFAgrees(t *testing.T) {
	for _, layout := range []ingest.Layout{ingest.LayoutA, ingest.LayoutB} {
		cfg := DefaultConfig()
		cfg.Layout, cfg.Arms, cfg.Trials, cfg.Boots, cfg.Programs = layout, []string{"a"}, 1, 1, 40
		c, err := NewCampaign(cfg)
		if err != nil {
			t.Fatal(err)
		}
		k := c.Kernel()
		s := kernelTypes(t, k)
		br := c.Boots()[0]
		checked := 0
		err = c.RunBoot(&br, true, func(b *Buffer) error {
			for _, r := range b.Program.Truth.Records {
				f := &k.Funcs[r.Func]
				mod := ""
				if f.Module >= 0 {
					mod = k.Modules[f.Module].Name
				}
				v := types.Check(s.Proto(mod, f.Name), r.Kind, layout, r.ArgIdx, r.Size, r.Words-ingest.RecordFixed)
				if v == types.Disagrees && !r.CorruptHeader {
					t.Errorf("layout %v: %s %v arg %d size %d nvals %d disagrees with %v", layout, f.Name, r.Kind, r.ArgIdx, r.Size, r.Words-3, s.Proto(mod, f.Name))
				}
				if v != types.Unchecked {
					checked++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if checked < 1000 {
			t.Errorf("layout %v: only %d records checked", layout, checked)
		}
	}
}
