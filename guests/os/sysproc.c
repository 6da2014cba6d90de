/* sysproc.c: process and time system calls. */
#include "errno.h"
#include "klib.h"
#include "proc.h"
#include "syscall.h"
#include "sysfn.h"
#include "sysnr.h"
#include "vm.h"

int sys_copy_str(struct proc *p, char *dst, uint64_t uva, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (vm_copy_in(p->root, &dst[i], uva + i, 1) < 0)
			return -EFAULT;
		if (!dst[i])
			return 0;
	}
	dst[n - 1] = 0;
	return 0;
}

SYSFN(sys_exit)
{
	proc_exit_current((int)a0);
}

SYSFN(sys_yield)
{
	proc_yield();
	return 0;
}

SYSFN(sys_sleep)
{
	if (!a0) {
		proc_yield();
		return 0;
	}
	proc_sleep_until(proc_now() + syscall_ms_to_ticks(a0));
	return 0;
}

SYSFN(sys_getpid)
{
	return p->pid;
}

SYSFN(sys_time)
{
	return (int64_t)syscall_ticks_to_ms(proc_now());
}

/* CPU ticks charged to p, counting the running slice not yet charged. */
static uint64_t sys_cpu_ticks(struct proc *p)
{
	uint64_t t = p->task.cpu_time;
	if (p->task.state == SCHED_RUNNING)
		t += proc_now() - p->task.slice_start;
	return t;
}

SYSFN(sys_cputime)
{
	return (int64_t)syscall_ticks_to_ms(sys_cpu_ticks(p));
}

SYSFN(sys_job_done)
{
	if (!p->task.period)
		return -EINVAL;
	sched_job_done(&proc_sched, &p->task, proc_now());
	proc_switch_out();
	return 0;
}

SYSFN(sys_spawn)
{
	char name[PROC_NAME_MAX], args[PROC_ARGS_MAX];
	if (sys_copy_str(p, name, a0, sizeof(name)) < 0)
		return -EFAULT;
	args[0] = 0;
	if (a1 && sys_copy_str(p, args, a1, sizeof(args)) < 0)
		return -EFAULT;
	uint64_t period = syscall_ms_to_ticks(a2), wcet = syscall_ms_to_ticks(a3);
	return proc_spawn(name, args, period, 0, wcet, p->pid);
}

SYSFN(sys_task_info)
{
	struct task_info ti = {
		.period_ms = syscall_ticks_to_ms(p->task.period),
		.deadline_ms = syscall_ticks_to_ms(p->task.rel_deadline ? p->task.rel_deadline : p->task.period),
		.jobs = p->task.jobs,
		.misses = p->task.misses,
		.cpu_ms = syscall_ticks_to_ms(sys_cpu_ticks(p)),
	};
	return vm_copy_out(p->root, a0, &ti, sizeof(ti)) < 0 ? -EFAULT : 0;
}
