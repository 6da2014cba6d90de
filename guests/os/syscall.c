/* syscall.c: the system call table (indexed by sysnr.h numbers). */
#include "syscall.h"
#include "errno.h"
#include "pit.h"
#include "proc.h"
#include "sysfn.h"
#include "sysnr.h"

typedef int64_t (*syscall_fn)(struct proc *p, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

/* Contract of every entry: see sysfn.h; a missing entry returns -ENOSYS. */
static const syscall_fn syscall_table[SYS_COUNT] = {
	[SYS_EXIT] = sys_exit,
	[SYS_YIELD] = sys_yield,
	[SYS_SLEEP] = sys_sleep,
	[SYS_PAGE_ALLOC] = sys_page_alloc,
	[SYS_PAGE_FREE] = sys_page_free,
	[SYS_PORT_GRANT] = sys_port_grant,
	[SYS_PORT_RELEASE] = sys_port_release,
	[SYS_IRQ_ATTACH] = sys_irq_attach,
	[SYS_IRQ_DETACH] = sys_irq_detach,
	[SYS_SEND] = sys_send,
	[SYS_RECV] = sys_recv,
	[SYS_SEM_CREATE] = sys_sem_create,
	[SYS_SEM_WAIT] = sys_sem_wait,
	[SYS_SEM_POST] = sys_sem_post,
	[SYS_WRITE] = sys_write,
	[SYS_READ] = sys_read,
	[SYS_DISK_READ] = sys_disk_read,
	[SYS_DISK_WRITE] = sys_disk_write,
	[SYS_GETPID] = sys_getpid,
	[SYS_TIME] = sys_time,
	[SYS_CPUTIME] = sys_cputime,
	[SYS_JOB_DONE] = sys_job_done,
	[SYS_SPAWN] = sys_spawn,
	[SYS_SHM_MAP] = sys_shm_map,
	[SYS_TASK_INFO] = sys_task_info,
};

static uint64_t syscall_n;

void syscall_dispatch(struct trapframe *tf)
{
	struct proc *p = proc_current();
	syscall_n++;
	p->syscalls++;
	uint64_t nr = tf->rax;
	if (nr >= SYS_COUNT || !syscall_table[nr]) {
		tf->rax = (uint64_t)-ENOSYS;
		return;
	}
	tf->rax = (uint64_t)syscall_table[nr](p, tf->rdi, tf->rsi, tf->rdx, tf->r10);
}

uint64_t syscall_count(void)
{
	return syscall_n;
}

uint64_t syscall_ms_to_ticks(uint64_t ms)
{
	return (ms * pit_hz() + 999) / 1000;
}

uint64_t syscall_ticks_to_ms(uint64_t ticks)
{
	return ticks * 1000 / pit_hz();
}
