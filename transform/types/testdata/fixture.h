/* The types the fixture's "kernel" and its "module" share. */
typedef unsigned long size_t;
typedef long ssize_t;
typedef long long loff_t;
typedef unsigned int u32;

enum pid_type { PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID, PIDTYPE_SID, PIDTYPE_MAX };
enum fix_signed { FIX_NEG = -2, FIX_ZERO = 0, FIX_BIG = 0x7fffffff };

struct file {
	unsigned int f_mode;
	u32 f_flags;
	loff_t f_pos;
	struct file *f_next;
	unsigned int f_ro : 1, f_wr : 1;
	char f_name[16];
	int (*f_op)(struct file *, int);
	union { long l; void *p; } f_u;
};
