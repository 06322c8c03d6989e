/* A tiny module for the fixture's "vmlinux": its BTF is split BTF. */
#include "fixture.h"

struct mod_pair { u32 x; u32 y; };

unsigned long mod_sum(struct mod_pair *p, struct file *f)
{
	return p->x + p->y + f->f_mode;
}
