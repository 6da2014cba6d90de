/* ports.h: exclusive I/O port grants to processes (TSS I/O permission bitmap). */
#ifndef OS_PORTS_H
#define OS_PORTS_H

#include <stdint.h>

struct proc;

/* Marks first..last as the kernel's own (never granted); what names the user. */
void ports_reserve_kernel(uint16_t first, uint16_t last, const char *what);
/* Grants first..last to p exclusively. Returns 0, -EINVAL (bad range or too
 * many grants), -EPERM (kernel's) or -EBUSY (another process holds one). */
int ports_grant(struct proc *p, uint16_t first, uint16_t last);
/* Releases exactly the range p was granted. Returns 0 or -EINVAL. */
int ports_release(struct proc *p, uint16_t first, uint16_t last);
/* Releases everything p holds (exit/kill). */
void ports_release_all(struct proc *p);
/* Opens p's ports in the TSS (switching to p) / closes them (switching away). */
void ports_enter(struct proc *p);
void ports_leave(struct proc *p);
/* Prints every reserved and granted range (shell "ports"). */
void ports_print(void);

#endif
