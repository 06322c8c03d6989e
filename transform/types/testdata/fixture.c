/* A tiny "vmlinux" for transform/types' tests (see README.md). */
#include "fixture.h"

ssize_t vfs_write(struct file *file, const char *buf, size_t count, loff_t *pos)
{
	return file->f_pos + (long)buf[0] + (long)count + *pos;
}

int pid_nr(enum pid_type type, enum fix_signed s, volatile int *const p)
{
	return (int)type + (int)s + *p;
}

int fix_printk(const char *fmt, ...)
{
	return fmt[0];
}

void fix_void(void)
{
}

struct file fix_by_value(struct file f, unsigned char c, _Bool b, short h)
{
	f.f_mode = c + b + h;
	return f;
}
