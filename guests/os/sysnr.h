/* sysnr.h: system call numbers and shared ABI types (kernel and user programs).
 *
 * Calling convention: int 0x80 with rax = number, arguments in rdi, rsi, rdx,
 * r10, r8; the result comes back in rax (negative = -errno, see errno.h).
 * Every other register is preserved. docs/guest-os.md has the table. */
#ifndef OS_SYSNR_H
#define OS_SYSNR_H

#include <stdint.h>

enum sys_nr {
	SYS_EXIT = 0,        /* exit(status)                        -> no return */
	SYS_YIELD,           /* yield()                             -> 0 */
	SYS_SLEEP,           /* sleep(ms)                           -> 0 */
	SYS_PAGE_ALLOC,      /* page_alloc(npages)                  -> user va | -ENOMEM */
	SYS_PAGE_FREE,       /* page_free(va, npages)               -> 0 | -EINVAL */
	SYS_PORT_GRANT,      /* port_grant(first, last)             -> 0 | -EBUSY/-EPERM */
	SYS_PORT_RELEASE,    /* port_release(first, last)           -> 0 | -EINVAL */
	SYS_IRQ_ATTACH,      /* irq_attach(irq)                     -> 0 | -EBUSY/-EPERM */
	SYS_IRQ_DETACH,      /* irq_detach(irq)                     -> 0 | -EINVAL */
	SYS_SEND,            /* send(pid, struct umsg *)            -> 0 | -ESRCH */
	SYS_RECV,            /* recv(struct umsg *)                 -> sender pid (-1 = IRQ) */
	SYS_SEM_CREATE,      /* sem_create(count)                   -> id | -ENOMEM */
	SYS_SEM_WAIT,        /* sem_wait(id)                        -> 0 | -EINVAL */
	SYS_SEM_POST,        /* sem_post(id)                        -> 0 | -EINVAL */
	SYS_WRITE,           /* write(buf, len) to the console      -> len */
	SYS_READ,            /* read(buf, len) from the console     -> bytes (>= 1) */
	SYS_DISK_READ,       /* disk_read(lba, count, buf)          -> 0 | -EIO */
	SYS_DISK_WRITE,      /* disk_write(lba, count, buf)         -> 0 | -EIO */
	SYS_GETPID,          /* getpid()                            -> pid */
	SYS_TIME,            /* time()                              -> ms since boot */
	SYS_CPUTIME,         /* cputime()                           -> own CPU ms */
	SYS_JOB_DONE,        /* job_done(): periodic job finished; sleeps to next release */
	SYS_SPAWN,           /* spawn(name, args, period_ms, wcet_ms) -> pid */
	SYS_SHM_MAP,         /* shm_map(key 0..7)                   -> user va */
	SYS_TASK_INFO,       /* task_info(struct task_info *)       -> 0 */
	SYS_COUNT
};

/* A message: 4 words of payload. */
struct umsg {
	int64_t from;        /* filled in by recv: sender pid, -1 for an IRQ */
	uint64_t w[4];
};

struct task_info {
	uint64_t period_ms, deadline_ms, jobs, misses, cpu_ms;
};

#endif
