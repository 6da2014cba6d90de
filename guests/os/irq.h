/* irq.h: hardware interrupt lines: kernel drivers and process attachment. */
#ifndef OS_IRQ_H
#define OS_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#define IRQ_LINES 16
#define IRQ_MSG_TAG 0x495251u      /* msg.w[0] of an IRQ message ("IRQ") */

struct proc;
typedef void (*irq_handler_t)(unsigned irq, bool from_user);

/* Gives line irq to a kernel driver and unmasks it. */
void irq_set_kernel(unsigned irq, const char *name, irq_handler_t h);
/* Attaches p to line irq: each interrupt becomes a message to p (from -1,
 * w[0] = IRQ_MSG_TAG, w[1] = irq, w[2] = count). Returns 0, -EINVAL,
 * -EPERM (kernel's line) or -EBUSY (another process has it). */
int irq_attach(struct proc *p, unsigned irq);
/* Detaches p from irq. Returns 0 or -EINVAL if p did not have it. */
int irq_detach(struct proc *p, unsigned irq);
/* Detaches p from every line (exit/kill). */
void irq_release_all(struct proc *p);
/* Handles one interrupt on line irq (EOI included). */
void irq_dispatch(unsigned irq, bool from_user);
/* Prints the line table (shell "irqs"). */
void irq_print(void);
/* Returns the number of interrupts handled. */
uint64_t irq_total(void);

#endif
