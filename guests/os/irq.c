/* irq.c: the 16 ISA interrupt lines. A line belongs to a kernel driver
 * (timer, console UART, IDE) or to at most one process, which receives each
 * interrupt as a message in its mailbox. ISA lines are edge-triggered, so
 * the line stays unmasked; interrupts raised while the process is not
 * receiving are coalesced into a pending bit delivered by its next recv. */
#include "irq.h"
#include "console.h"
#include "errno.h"
#include "pic.h"
#include "proc.h"

struct irq_line {
	const char *name;
	irq_handler_t kernel;
	struct proc *owner;
	uint64_t count;
};

static struct irq_line irq_lines[IRQ_LINES];
static uint64_t irq_all;

void irq_set_kernel(unsigned irq, const char *name, irq_handler_t h)
{
	irq_lines[irq].name = name;
	irq_lines[irq].kernel = h;
	pic_set_mask(irq, true);
}

int irq_attach(struct proc *p, unsigned irq)
{
	if (irq >= IRQ_LINES || irq == 2)
		return -EINVAL;
	if (irq_lines[irq].kernel)
		return -EPERM;
	if (irq_lines[irq].owner)
		return -EBUSY;
	irq_lines[irq].owner = p;
	p->irq_pending &= (uint16_t)~(1u << irq);
	pic_set_mask(irq, true);
	return 0;
}

int irq_detach(struct proc *p, unsigned irq)
{
	if (irq >= IRQ_LINES || irq_lines[irq].owner != p)
		return -EINVAL;
	irq_lines[irq].owner = NULL;
	pic_set_mask(irq, false);
	return 0;
}

void irq_release_all(struct proc *p)
{
	for (unsigned i = 0; i < IRQ_LINES; i++)
		if (irq_lines[i].owner == p)
			irq_detach(p, i);
}

static void irq_to_process(struct proc *p, unsigned irq)
{
	struct msg m = { .from = -1, .w = { IRQ_MSG_TAG, irq, irq_lines[irq].count, 0 } };
	if (mbox_send(&proc_sched, &p->mbox, NULL, &m) < 0)
		p->irq_pending |= (uint16_t)(1u << irq);
}

void irq_dispatch(unsigned irq, bool from_user)
{
	if ((irq == 7 || irq == 15) && pic_is_spurious(irq))
		return;
	irq_all++;
	struct irq_line *l = &irq_lines[irq];
	l->count++;
	/* EOI first: the timer handler may switch to another process. */
	pic_eoi(irq);
	if (l->kernel)
		l->kernel(irq, from_user);
	else if (l->owner)
		irq_to_process(l->owner, irq);
}

void irq_print(void)
{
	kprintf("IRQ  COUNT       OWNER\n");
	for (unsigned i = 0; i < IRQ_LINES; i++) {
		const struct irq_line *l = &irq_lines[i];
		if (l->kernel)
			kprintf("%-4u %-11lu kernel (%s)\n", i, l->count, l->name);
		else if (l->owner)
			kprintf("%-4u %-11lu pid %d (%s)\n", i, l->count, l->owner->pid, l->owner->name);
		else if (l->count)
			kprintf("%-4u %-11lu -\n", i, l->count);
	}
}

uint64_t irq_total(void)
{
	return irq_all;
}
