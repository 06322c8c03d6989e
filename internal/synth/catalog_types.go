package synth

// The C types of the catalog's arguments, returns and fields, for the
// kernel's BTF (btf.go). The catalog's notation says sizes and value
// domains; C says more: a u64 byte count is a size_t, an i64 position a
// loff_t. Most types follow from the notation (scalarCType); cTypes
// names the others, by "func" for a return, "func.arg" for an argument
// and "struct.field" for a field, as the kernel declares them.
var cTypes = map[string]string{
	"ksys_write": "ssize_t", "ksys_write.buf": "const char __user *",
	"vfs_write": "ssize_t", "vfs_write.buf": "const char __user *",
	"full_proxy_write": "ssize_t", "full_proxy_write.buf": "const char __user *",
	"ksys_read": "ssize_t", "ksys_read.buf": "char __user *",
	"vfs_read": "ssize_t", "vfs_read.buf": "char __user *",
	"full_proxy_read": "ssize_t", "full_proxy_read.buf": "char __user *",
	"simple_read_from_buffer": "ssize_t", "simple_read_from_buffer.to": "void __user *",
	"ext4_file_write_iter": "ssize_t", "ext4_buffered_write_iter": "ssize_t",
	"generic_perform_write": "ssize_t", "pipe_write": "ssize_t", "pipe_read": "ssize_t",
	"tty_write": "ssize_t", "n_tty_write": "ssize_t", "seq_read_iter": "ssize_t",
	"n_tty_write.buf":                  "const unsigned char *",
	"__task_pid_nr_ns.type":            "enum pid_type",
	"__fsnotify_parent.data_type":      "enum fsnotify_data_type",
	"iov_iter.iter_type":               "enum iter_type",
	"_printk.fmt":                      "const char *",
	"seq_printf.f":                     "const char *",
	"vprintk.fmt":                      "const char *",
	"vprintk_default.fmt":              "const char *",
	"vprintk_emit.fmt":                 "const char *",
	"do_sys_openat2.filename":          "const char __user *",
	"getname.filename":                 "const char __user *",
	"strncpy_from_user.src":            "const char __user *",
	"panic_on_this_cpu":                "bool",
	"_prb_read_valid":                  "bool",
	"prb_read_valid":                   "bool",
	"rw_verify_area.read_write":        "int",
	"binder_proc.is_dead":              "bool",
	"binder_thread.looper_need_return": "bool",
	"sk_buff.protocol":                 "__be16",
	"ffi_alloc_buf.is_async":           "int",
}

// The enums the catalog's types name: their values count from 0.
var cEnums = map[string]struct {
	size  int
	names []string
}{
	"enum pid_type":           {4, []string{"PIDTYPE_PID", "PIDTYPE_TGID", "PIDTYPE_PGID", "PIDTYPE_SID", "PIDTYPE_MAX"}},
	"enum fsnotify_data_type": {4, []string{"FSNOTIFY_EVENT_NONE", "FSNOTIFY_EVENT_FILE_RANGE", "FSNOTIFY_EVENT_PATH", "FSNOTIFY_EVENT_INODE", "FSNOTIFY_EVENT_DENTRY", "FSNOTIFY_EVENT_ERROR"}},
	"enum iter_type":          {1, []string{"ITER_UBUF", "ITER_IOVEC", "ITER_BVEC", "ITER_KVEC", "ITER_FOLIOQ", "ITER_XARRAY", "ITER_DISCARD"}},
}

// The C integer types, and the typedefs over them.
var (
	cInts = map[string]struct {
		size   int
		signed bool
	}{
		"char": {1, true}, "unsigned char": {1, false}, "signed char": {1, true}, "_Bool": {1, false},
		"short": {2, true}, "unsigned short": {2, false},
		"int": {4, true}, "unsigned int": {4, false},
		"long": {8, true}, "unsigned long": {8, false},
		"long long": {8, true}, "unsigned long long": {8, false},
	}
	cTypedefs = map[string]string{
		"u8": "unsigned char", "u16": "unsigned short", "u32": "unsigned int", "u64": "unsigned long long",
		"s8": "signed char", "s16": "short", "s32": "int", "s64": "long long",
		"bool": "_Bool", "size_t": "unsigned long", "ssize_t": "long", "loff_t": "long long",
		"gfp_t": "unsigned int", "fmode_t": "unsigned int", "pid_t": "int", "__be16": "unsigned short",
	}
)

// argCType is argument i's C type.
func argCType(f *Func, i int) string {
	a := &f.Args[i]
	if c, ok := cTypes[f.Name+"."+a.Name]; ok {
		return c
	}
	switch a.Kind {
	case StructPtr:
		return "struct " + a.Struct.Name + " *"
	case UserStructPtr:
		return "struct " + a.Struct.Name + " __user *"
	case StructByValue:
		return "struct " + a.Struct.Name
	}
	if sizeNames[a.Name] && a.Size == 8 && !a.Signed {
		return "size_t"
	}
	return scalarCType(a.tok, a.Size, a.Signed, a.gen.dom)
}

// sizeNames are the arguments that count bytes whatever their values'
// domain: the kernel declares them size_t.
var sizeNames = map[string]bool{"count": true, "size": true, "len": true, "bytes": true, "n": true, "nr": true}

// variadic are the functions whose parameter list ends in "...".
var variadic = map[string]bool{"_printk": true, "seq_printf": true}

// retCType is the function's return type.
func retCType(f *Func) string {
	r := &f.Ret
	if c, ok := cTypes[f.Name]; ok {
		return c
	}
	switch {
	case r.Void:
		return "void"
	case r.Kind == StructPtr:
		return "struct " + r.Struct.Name + " *"
	}
	return scalarCType(r.tok, r.Size, r.Signed, r.gen.dom)
}

func fieldCType(st *Struct, fd *Field) string {
	if c, ok := cTypes[st.Name+"."+fd.Name]; ok {
		return c
	}
	return scalarCType(fd.tok, fd.Size, fd.Signed, fd.gen.dom)
}

// scalarCType spells a scalar of the catalog's notation as the kernel
// would declare it.
func scalarCType(tok string, size int, signed bool, dom domain) string {
	if tok == "ptr" {
		switch dom {
		case domStr:
			return "const char *"
		case domUptr:
			return "void __user *"
		}
		return "void *"
	}
	switch {
	case size == 8 && dom == domSize:
		if signed {
			return "ssize_t"
		}
		return "size_t"
	case size == 8 && dom == domPos && signed:
		return "loff_t"
	case size == 4 && dom == domGFP:
		return "gfp_t"
	case size == 4 && dom == domFMode:
		return "fmode_t"
	case size == 4 && dom == domPid && signed:
		return "pid_t"
	}
	names := map[int][2]string{1: {"u8", "s8"}, 2: {"u16", "short"}, 4: {"unsigned int", "int"}, 8: {"u64", "long"}}
	n := names[size]
	if signed {
		return n[1]
	}
	return n[0]
}
