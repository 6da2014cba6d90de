/*
 * sched.h - scheduler core: who runs next, never how (no CPU context).
 *
 * The kernel embeds a struct sched_task in each process/thread, keeps the
 * CPU context itself, and drives this module from a few places:
 *
 *   timer IRQ:   if (sched_tick(s, now)) -> t = sched_pick(s, now); switch
 *   block/sleep: sched_block/sched_block_on/sched_sleep_until(current),
 *                then t = sched_pick(s, now) and switch
 *   yield:       sched_yield(s); t = sched_pick(s, now); switch
 *                (sched_yield is a macro for sched_yield_current)
 *   exit/kill:   sched_remove(s, t); if it was current, pick and switch
 *   t == NULL:   idle; halt until the next IRQ (sched_next_event for a
 *                tickless one-shot timer), then sched_pick again
 *
 * Call sched_pick only at those points: each call starts a new quantum, so
 * calling it every tick defeats the RR quantum.  All calls must be
 * serialised (interrupts off); with that, "check condition then block" in
 * one critical section has no lost-wake-up window.
 *
 * Time ("now", "ticks") is any monotonic unit; the kernel's timer ticks.
 *
 * Policies (chosen at boot, "sched=rr|edf"):
 *   SCHED_RR:  FIFO ready queue, quantum in ticks; a task that is preempted,
 *              yields, or wakes goes to the tail.
 *   SCHED_EDF: earliest absolute deadline first (preemptive); non-periodic
 *              tasks have an infinite deadline, so they run only when no
 *              periodic job is ready, round-robin among themselves with the
 *              quantum.  Ties keep FIFO order.
 *
 * Periodic tasks (period != 0): the first job is released by sched_add; a
 * job is released every period after that; abs_deadline = release +
 * rel_deadline (rel_deadline 0 means = period).  The task body calls
 * sched_job_done when its job is finished and then sleeps until the next
 * release.  Each job counts at most one miss: when its deadline passes
 * unfinished (seen at a tick), when it finishes late, or when the next job
 * is released while it is unfinished (the late job is then abandoned and
 * the task continues with the new job).
 *
 * prio is informational (shown by the shell); neither policy uses it.
 */
#ifndef OSLIB_SCHED_H
#define OSLIB_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sched_policy { SCHED_RR, SCHED_EDF };

enum sched_state {
	SCHED_NEW = 0,                /* not yet added */
	SCHED_READY,
	SCHED_RUNNING,
	SCHED_BLOCKED,                /* on IPC/IO; not runnable; costs nothing */
	SCHED_SLEEPING,               /* until wake_at; costs nothing */
	SCHED_DEAD,
};

struct waitq;

struct sched_task {
	/* Set by the kernel before sched_add (sched_task_init helps). */
	int id;
	int prio;
	uint64_t period;              /* 0 = not periodic */
	uint64_t rel_deadline;        /* relative deadline; 0 = period */
	uint64_t wcet;                /* informational; used by utilisation */
	void *owner;                  /* kernel's back pointer (e.g. proc) */

	/* Maintained by the scheduler; read-only for the kernel. */
	uint64_t release;             /* next job release (periodic) */
	uint64_t abs_deadline;        /* current job's deadline; UINT64_MAX if none */
	uint64_t misses, jobs;        /* deadline misses, jobs released */
	int state;                    /* enum sched_state */
	uint64_t wake_at;             /* when SLEEPING */
	uint64_t cpu_time;            /* time charged while RUNNING */
	uint64_t picks;               /* times chosen by sched_pick */
	uint64_t slice_start;         /* when it last became RUNNING */
	bool job_active, job_missed;  /* current job unfinished / already missed */

	/* Owned by ipc.c while the task waits on a waitq. */
	void *wait_data;

	/* Links: one queue at a time (ready, sleep or a waitq) + all tasks. */
	struct sched_task *q_next, *q_prev;
	struct waitq *q_wait;         /* waitq it is on, or NULL */
	struct sched_task *all_next, *all_prev;
};

/* FIFO of blocked tasks (used by ipc.c, usable for any kernel event). */
struct waitq {
	struct sched_task *head, *tail;
	unsigned len;
};

struct sched {
	enum sched_policy pol;
	uint64_t quantum;
	uint64_t now;                 /* latest time seen */
	struct sched_task *current;   /* RUNNING task or NULL */
	struct sched_task *ready_head, *ready_tail;
	struct sched_task *sleep_head;    /* sorted by wake_at */
	struct sched_task *all_head, *all_tail;
	unsigned ntasks;
	uint64_t switches;            /* picks that changed the running task */
};

/* Sets up s with policy pol and an RR quantum of quantum_ticks (0 -> 1). */
void sched_init(struct sched *s, enum sched_policy pol, uint64_t quantum_ticks);

/* Zeroes t and sets the kernel-owned fields (period 0 = not periodic). */
void sched_task_init(struct sched_task *t, int id, int prio, uint64_t period,
		     uint64_t rel_deadline, uint64_t wcet);

/* Adds new task t as READY at time now (periodic: first job released at
 * now).  Reads id, prio, period, rel_deadline, wcet, owner; resets the
 * rest. */
void sched_add(struct sched *s, struct sched_task *t, uint64_t now);

/* Makes t BLOCKED (not on any waitq): off the ready queue, never picked,
 * costs nothing until sched_wake.  If t is current, current becomes NULL:
 * call sched_pick next. */
void sched_block(struct sched *s, struct sched_task *t);

/* Like sched_block, and appends t to q (FIFO) with t->wait_data = data. */
void sched_block_on(struct sched *s, struct sched_task *t, struct waitq *q,
		    void *data);

/* Makes a BLOCKED or SLEEPING t READY (tail of the queue), removing it from
 * any waitq or the sleep list.  No effect on READY/RUNNING/DEAD tasks. */
void sched_wake(struct sched *s, struct sched_task *t, uint64_t now);

/* Makes t SLEEPING until wake_at (woken by the first tick/pick with
 * now >= wake_at).  If t is current, current becomes NULL. */
void sched_sleep_until(struct sched *s, struct sched_task *t, uint64_t wake_at);

/* Removes t for good (exit/kill): off every queue, state DEAD.  If t is
 * current, current becomes NULL.  t's memory may be reused afterwards. */
void sched_remove(struct sched *s, struct sched_task *t);

/* Periodic task t finished its current job at now: counts a miss if now >
 * abs_deadline (and not already counted); then sleeps until the next
 * release, or, if that release is already due, releases it and stays
 * runnable.  No effect on a non-periodic task.  Call sched_pick next. */
void sched_job_done(struct sched *s, struct sched_task *t, uint64_t now);

/* Puts the current task (if RUNNING) at the tail of the ready queue; the
 * kernel then calls sched_pick.  Returns the task that yielded or NULL. */
struct sched_task *sched_yield_current(struct sched *s);

/* sched_yield(s) is the short name.  It is a macro because an exported
 * function called sched_yield would replace POSIX sched_yield() in the
 * host unit tests (the sanitizer runtime calls it). */
#define sched_yield(s) sched_yield_current(s)

/* Timer tick at now: wakes sleepers whose time came, releases periodic
 * jobs (counting misses), charges nothing.  Returns true if the kernel
 * should call sched_pick: no current task and one is ready, RR quantum
 * expired with another task ready, or EDF has a ready task with an earlier
 * deadline (or a background task's quantum expired with another ready). */
bool sched_tick(struct sched *s, uint64_t now);

/* Chooses the next task at now (also does the tick's wake/release work).
 * The previous current task, if still RUNNING, goes back to READY at the
 * tail and is charged its CPU time.  The chosen task becomes RUNNING and
 * current, with a fresh quantum.  Returns it, or NULL = idle. */
struct sched_task *sched_pick(struct sched *s, uint64_t now);

/* Returns the RUNNING task or NULL. */
struct sched_task *sched_current(const struct sched *s);

/* Returns the earliest pending wake-up or job release, UINT64_MAX if none
 * (for programming a one-shot timer when idle). */
uint64_t sched_next_event(const struct sched *s);

/* Returns the task after t in add order (t == NULL: the first), or NULL;
 * for listing processes.  DEAD tasks are not listed. */
struct sched_task *sched_task_next(const struct sched *s,
				   const struct sched_task *t);

/* Returns the number of tasks added and not removed. */
unsigned sched_task_count(const struct sched *s);

/* Returns the periodic utilisation sum(wcet / period) in per mille. */
uint64_t sched_utilization_permille(const struct sched *s);

/* Returns "rr", "edf" or "?". */
const char *sched_policy_name(enum sched_policy pol);

/* Returns "new", "ready", "running", "blocked", "sleeping", "dead" or "?". */
const char *sched_state_name(int state);

/* Parses "rr" or "edf".  Returns 0 and sets *pol, -1 if unknown. */
int sched_policy_parse(const char *name, enum sched_policy *pol);

/* Sets up an empty waitq. */
void waitq_init(struct waitq *q);

/* Returns true if no task waits on q. */
bool waitq_empty(const struct waitq *q);

/* Returns the first waiter without removing it, or NULL. */
struct sched_task *waitq_peek(const struct waitq *q);

/* Removes the first waiter of q and makes it READY (its wait_data is kept
 * for the caller to read).  Returns it, or NULL if q is empty. */
struct sched_task *waitq_wake_one(struct sched *s, struct waitq *q);

/* Wakes every waiter of q in FIFO order.  Returns how many. */
unsigned waitq_wake_all(struct sched *s, struct waitq *q);

#endif
