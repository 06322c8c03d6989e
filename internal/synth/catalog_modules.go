package synth

// The seed's three test modules: eight_args_c and rust_ffi_contract in
// C, eight_args_rust in Rust with v0 and legacy mangled names. Their
// bodies and constants reproduce the seed's sessions (df_func2(0x11,
// 0x22) returns 0x33, ffi_check_result returns -EFAULT as 0xfffffff2).
type mspec struct {
	name   string
	rust   bool
	funcs  []fspec
	filler []dsym // uncalled text
	data   []dsym
}

// dsym is a symbol no program calls: filler text or data.
type dsym struct {
	typ  byte
	name string
}

const rustCrate = "Cs3p16QzTwthP_15eight_args_rust"

var moduleSpecs = []mspec{
	{
		name: "eight_args_c",
		funcs: append([]fspec{
			{"trigger_write", 't', "f:*file buf:ptr<1 count:u64<2 ppos:*loff", "i64<2", "pre",
				"df_func1 df_func2 df_func3 df_func4 df_func5 df_func6 df_func7 df_func8 df_func_struct"},
			{"df_func_struct", 'T', "p:*pair/local", "u64<sum", "", ""},
		}, eightArgs("df_func")...),
		filler: []dsym{{'t', "eight_args_init"}, {'t', "eight_args_exit"}, {'t', "cleanup_module"}},
		data: []dsym{{'b', "test_dir"}, {'r', "trigger_fops"}, {'D', "__this_module"},
			{'r', "__UNIQUE_ID_license279"}, {'r', "__UNIQUE_ID_description278"}},
	},
	{
		name: "eight_args_rust",
		rust: true,
		funcs: append([]fspec{
			{"_RNv" + rustCrate + "13write_handler", 't', "_file:ptr/kptr _buf:ptr<1 count:u64<2 _ppos:ptr/kptr", "i64<2", "pre",
				"rdf_func1 rdf_func2 rdf_func3 rdf_func4 rdf_func5 rdf_func6 rdf_func7 rdf_func8 rdf_func_struct"},
			{"rdf_func_struct", 'T', "p:*pair/local", "u64<sum", "", ""},
			{"_ZN15eight_args_rust12read_handler17h9d2f6b1a0c3e5f47E", 't', "file:ptr/kptr buf:ptr<1 count:u64<2 ppos:ptr/kptr", "i64<2", "pre",
				"_RNvNt" + rustCrate + "7helpers10sum_fields simple_read_from_buffer?"},
			{"_RNvNt" + rustCrate + "7helpers10sum_fields", 't', "p:*pair/local", "u64<sum", "", ""},
		}, eightArgs("rdf_func")...),
		filler: []dsym{
			{'t', "_RNvXs_" + rustCrate + "NtB4_13EightArgsRustNtCs8aLhNa0G9kK_6kernel6Module4init"},
			{'t', "_ZN4core3ptr51drop_in_place$LT$eight_args_rust..EightArgsRust$GT$17h0a1b2c3d4e5f6789E"},
			{'t', "_RNvXs0_" + rustCrate + "NtB5_13EightArgsRustNtNtNtCsfKz3ZpYgS8H_4core3ops4drop4Drop4drop"},
		},
		data: []dsym{{'r', "_RNv" + rustCrate + "4FOPS"}, {'D', "__this_module"},
			{'b', "_RNv" + rustCrate + "11THIS_MODULE"}},
	},
	{
		name: "rust_ffi_contract",
		funcs: []fspec{
			{"rust_ffi_trigger_write", 't', "f:*file buf:ptr<1 count:u64<2 ppos:*loff", "i64<2", "pre",
				"ffi_alloc_buf _printk ffi_check_result"},
			{"ffi_alloc_buf", 'T', "alloc:*ffi_alloc/local data_size:u64/k0x100 offsets_size:u64/k0x10 is_async:i32/k1", "i32/k0", "", ""},
			{"ffi_check_result", 'T', "alloc:*ffi_alloc/local", "i32/k-14", "", "_printk"},
		},
		filler: []dsym{{'t', "ffi_contract_init"}, {'t', "ffi_contract_exit"}},
		data:   []dsym{{'b', "test_dir"}, {'r', "rust_ffi_trigger_fops"}, {'D', "__this_module"}},
	},
}

// eightArgs builds prefix1..prefix8: n u64 arguments 0x11, 0x22, ...,
// returning their sum.
func eightArgs(prefix string) []fspec {
	var out []fspec
	args := ""
	for n := 1; n <= 8; n++ {
		if n > 1 {
			args += " "
		}
		args += "a" + string(rune('0'+n)) + ":u64/k" + hexByte(0x11*n)
		out = append(out, fspec{prefix + string(rune('0'+n)), 'T', args, "u64<sum", "", ""})
	}
	return out
}

func hexByte(v int) string {
	const digits = "0123456789abcdef"
	return "0x" + string(digits[v>>4]) + string(digits[v&15])
}

// Uncalled core text, placed among the instrumented functions.
var coreFiller = []dsym{
	{'T', "secondary_startup_64"}, {'T', "native_write_cr0"}, {'T', "do_one_initcall"},
	{'T', "memcpy"}, {'T', "memset"}, {'T', "__memmove"}, {'T', "strlen"}, {'T', "strcmp"},
	{'T', "clear_page_rep"}, {'T', "copy_page"}, {'t', "__schedule"}, {'T', "schedule"},
	{'T', "idle_cpu"}, {'W', "arch_cpu_idle"}, {'W', "arch_cpu_idle_dead"},
	{'W', "arch_cpu_idle_enter"}, {'W', "pcibios_fixup_bus"}, {'t', "init_once"},
	{'t', "show_stat"}, {'t', "init_once"}, {'t', "proc_reg_write"}, {'T', "ksys_lseek"},
	{'T', "vfs_llseek"}, {'T', "entry_SYSCALL_64"}, {'T', "do_syscall_64"},
	{'T', "syscall_exit_to_user_mode"}, {'T', "asm_exc_page_fault"},
	{'T', "exc_page_fault"}, {'T', "handle_mm_fault"},
}

// Data symbols placed in the gaps between functions: a lookup that does
// not keep to text symbols lets them capture pcs. Static (lower-case)
// names get a numeric suffix, as the compiler gives them; globals appear
// once.
var coreGapData = []dsym{
	{'d', "__already_done"}, {'b', "__key"}, {'r', "__func__"}, {'D', "kmsg_fops"},
	{'d', "descriptor"}, {'b', "__print_once"}, {'R', "kdf_jump_table"}, {'r', "__func__"},
	{'B', "debug_locks_silent"}, {'d', "__warned"},
}

// Data symbols in the data sections proper.
var coreData = []dsym{
	{'R', "linux_banner"}, {'R', "kallsyms_names"}, {'r', "__func__.11"}, {'R', "kallsyms_offsets"},
	{'D', "jiffies_64"}, {'D', "init_task"}, {'d', "event_exit__write"}, {'D', "init_mm"},
	{'D', "sysctl_overcommit_memory"}, {'B', "panic_on_oops"}, {'B', "reset_devices"},
	{'b', "buf.1"}, {'B', "saved_command_line"}, {'B', "__bss_stop"},
}

// Per-cpu symbols: tiny absolute addresses, 'D' in System.map, 'A' in
// /proc/kallsyms, never relocated.
var corePercpu = []struct {
	addr uint64
	name string
}{
	{0, "__per_cpu_start"}, {0, "fixed_percpu_data"}, {0x1000, "cpu_debug_store"},
	{0x6000, "irq_stack_backing_store"}, {0xa000, "cpu_tss_rw"}, {0x1f000, "__per_cpu_end"},
}
