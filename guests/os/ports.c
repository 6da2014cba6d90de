/* ports.c: who owns which I/O port. The kernel keeps its own devices (PIC,
 * PIT, console UART, PCI config, the IDE channel it drives); any other range
 * can be granted to one process at a time. The TSS bitmap is loaded with
 * the running process's grants only (gdt_io_set on every switch). */
#include "ports.h"
#include "console.h"
#include "errno.h"
#include "gdt.h"
#include "klib.h"
#include "proc.h"

#define PORTS_KMAX 16

struct ports_kernel {
	uint16_t first, last;
	const char *what;
};

static struct ports_kernel ports_k[PORTS_KMAX];
static unsigned ports_nk;

void ports_reserve_kernel(uint16_t first, uint16_t last, const char *what)
{
	if (ports_nk < PORTS_KMAX)
		ports_k[ports_nk++] = (struct ports_kernel){ first, last, what };
}

static bool ports_overlap(uint16_t a1, uint16_t a2, uint16_t b1, uint16_t b2)
{
	return a1 <= b2 && b1 <= a2;
}

/* Returns the process holding any port of first..last, or NULL. */
static struct proc *ports_holder(uint16_t first, uint16_t last)
{
	for (int i = 0; i < PROC_MAX; i++) {
		struct proc *p = proc_slot(i);
		for (unsigned g = 0; p && g < p->ngrants; g++)
			if (ports_overlap(first, last, p->grants[g].first, p->grants[g].last))
				return p;
	}
	return NULL;
}

int ports_grant(struct proc *p, uint16_t first, uint16_t last)
{
	if (first > last || p->ngrants >= PROC_MAX_GRANTS)
		return -EINVAL;
	for (unsigned i = 0; i < ports_nk; i++)
		if (ports_overlap(first, last, ports_k[i].first, ports_k[i].last))
			return -EPERM;
	if (ports_holder(first, last))
		return -EBUSY;
	p->grants[p->ngrants++] = (struct port_grant){ first, last };
	if (p == proc_current())
		gdt_io_set(first, last, true);
	return 0;
}

int ports_release(struct proc *p, uint16_t first, uint16_t last)
{
	for (unsigned g = 0; g < p->ngrants; g++) {
		if (p->grants[g].first != first || p->grants[g].last != last)
			continue;
		gdt_io_set(first, last, false);
		p->grants[g] = p->grants[--p->ngrants];
		return 0;
	}
	return -EINVAL;
}

void ports_release_all(struct proc *p)
{
	while (p->ngrants)
		ports_release(p, p->grants[0].first, p->grants[0].last);
}

void ports_enter(struct proc *p)
{
	for (unsigned g = 0; g < p->ngrants; g++)
		gdt_io_set(p->grants[g].first, p->grants[g].last, true);
}

void ports_leave(struct proc *p)
{
	for (unsigned g = 0; g < p->ngrants; g++)
		gdt_io_set(p->grants[g].first, p->grants[g].last, false);
}

void ports_print(void)
{
	kprintf("PORTS       OWNER\n");
	for (unsigned i = 0; i < ports_nk; i++)
		kprintf("%04x-%04x   kernel (%s)\n", ports_k[i].first, ports_k[i].last, ports_k[i].what);
	for (int i = 0; i < PROC_MAX; i++) {
		struct proc *p = proc_slot(i);
		for (unsigned g = 0; p && g < p->ngrants; g++)
			kprintf("%04x-%04x   pid %d (%s)\n", p->grants[g].first, p->grants[g].last,
				p->pid, p->name);
	}
}
