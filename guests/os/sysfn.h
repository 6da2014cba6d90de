/* sysfn.h: the system call handlers, one per sysnr.h entry. Each takes the
 * calling process and the raw argument registers and returns the value for
 * rax (negative errno on failure). They may block (switch out). */
#ifndef OS_SYSFN_H
#define OS_SYSFN_H

#include <stdint.h>

struct proc;
#define SYSFN(name) int64_t name(struct proc *p, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)

/* sysproc.c */
SYSFN(sys_exit);
SYSFN(sys_yield);
SYSFN(sys_sleep);
SYSFN(sys_getpid);
SYSFN(sys_time);
SYSFN(sys_cputime);
SYSFN(sys_job_done);
SYSFN(sys_spawn);
SYSFN(sys_task_info);
/* sysmem.c */
SYSFN(sys_page_alloc);
SYSFN(sys_page_free);
SYSFN(sys_shm_map);
/* sysipc.c */
SYSFN(sys_send);
SYSFN(sys_recv);
SYSFN(sys_sem_create);
SYSFN(sys_sem_wait);
SYSFN(sys_sem_post);
/* sysio.c */
SYSFN(sys_port_grant);
SYSFN(sys_port_release);
SYSFN(sys_irq_attach);
SYSFN(sys_irq_detach);
SYSFN(sys_write);
SYSFN(sys_read);
SYSFN(sys_disk_read);
SYSFN(sys_disk_write);



/* Copies a NUL-terminated user string into dst (size n, truncated).
 * Returns 0 or -EFAULT. (sysproc.c) */
int sys_copy_str(struct proc *p, char *dst, uint64_t uva, unsigned n);
#endif
