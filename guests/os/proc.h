/* proc.h: processes (ring 3, own address space) and kernel threads, and the
 * glue between lib/sched (who runs) and the CPU context (how it runs). */
#ifndef OS_PROC_H
#define OS_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include "ipc.h"
#include "sched.h"

#define PROC_MAX        64
#define PROC_NAME_MAX   16
#define PROC_ARGS_MAX   96
#define PROC_MAX_GRANTS 4
#define PROC_MBOX_CAP   0          /* 0 = rendezvous: send completes on receive */
#define KSTACK_ORDER    2          /* 16 KiB kernel stack per process */

struct port_grant {
	uint16_t first, last;
};

struct proc {
	struct sched_task task;         /* first: lib/sched's view of us */
	int pid, ppid;
	char name[PROC_NAME_MAX];
	char args[PROC_ARGS_MAX];
	bool kernel;                    /* kernel thread: ring 0, no user space */
	bool killed;                    /* kill requested while it could not die yet */
	bool zombie;                    /* exited; reaped by the scheduler loop */
	uint64_t root;                  /* CR3 */
	uint64_t kstack;                /* physical = virtual base, 2^KSTACK_ORDER pages */
	uint64_t ctx_rsp;               /* saved by ctx_switch */
	uint64_t heap_next;             /* next free VA for page_alloc */
	uint64_t pages;                 /* user pages it owns (image, stack, heap) */
	uint32_t shm_mask;              /* shared-page keys it mapped */
	struct mbox mbox;               /* its receive box */
	struct msg msgbuf;              /* hand-off buffer for blocked send/recv */
	int ipc_error;                  /* set when a blocked send's target died */
	uint16_t irq_pending;           /* attached IRQs raised while not receiving */
	int sem_waiting;                /* semaphore id it blocks on, or -1 */
	int disk_busy;                  /* inside a disk transfer: cannot be freed */
	struct port_grant grants[PROC_MAX_GRANTS];
	unsigned ngrants;
	uint64_t syscalls, start_tick;
	int exit_status;
};

extern struct sched proc_sched;

/* Sets up the scheduler (policy, quantum in ticks) and the process table. */
void proc_init(enum sched_policy pol, uint64_t quantum);
/* Runs the scheduler loop on the boot stack forever (idles with sti; hlt). */
void proc_run(void) __attribute__((noreturn));
/* Returns the running process or NULL (idle / early boot). */
struct proc *proc_current(void);
/* Returns the current time in timer ticks. */
uint64_t proc_now(void);
/* Returns the process with pid, or NULL. */
struct proc *proc_by_pid(int pid);
/* Returns the process in table slot i (0..PROC_MAX-1), or NULL. */
struct proc *proc_slot(int i);

/* Starts built-in program name with args as a ring-3 process; period_t and
 * deadline_t (ticks, 0 = not periodic). Returns the pid, or a negative errno. */
int proc_spawn(const char *name, const char *args, uint64_t period_t, uint64_t deadline_t,
	       uint64_t wcet_t, int ppid);
/* Starts fn(arg) as a kernel thread. Returns the pid or a negative errno. */
int proc_kthread(const char *name, void (*fn)(void *), void *arg);

/* The current process gives up the CPU but stays ready. */
void proc_yield(void);
/* Blocks the current process until tick (it uses no CPU meanwhile). */
void proc_sleep_until(uint64_t tick);
/* Blocks the current process on q until proc_wake_all(q) or a hand-off. */
void proc_block_on(struct waitq *q);
/* Switches away after lib/sched already blocked the current process
 * (mbox/sem hand-off). Returns when it runs again. */
void proc_switch_out(void);
/* Wakes every process waiting on q. */
void proc_wake_all(struct waitq *q);
/* Timer tick (IRQ 0, interrupts off). from_user: the tick interrupted ring 3,
 * so the running process may be preempted here. */
void proc_tick(bool from_user);

/* Ends the current process with status (frees all it owns). Never returns. */
void proc_exit_current(int status) __attribute__((noreturn));
/* Kills process pid with a log line naming why. Returns 0, or -ESRCH/-EPERM. */
int proc_kill(int pid, const char *why);
/* Called on the way back to ring 3: dies if a kill is pending. */
void proc_check_killed(void);

struct proc_stats {
	uint64_t ticks, switches, spawned, exited, killed, idle_halts;
};
/* Fills *st with the scheduler counters. */
void proc_get_stats(struct proc_stats *st);
/* Stops everything for good: interrupts off, halt forever. */
void proc_halt_system(void) __attribute__((noreturn));

#endif
