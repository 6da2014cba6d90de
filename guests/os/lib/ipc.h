/*
 * ipc.h - message boxes and counting semaphores on top of sched.h.
 *
 * No CPU context here.  Blocking uses the HAND-OFF model, so a woken task
 * never retries:
 *
 *   r = mbox_recv(s, mb, cur, &proc->msgbuf);
 *   if (r == 1) { next = sched_pick(s, now); switch to next; }
 *   // When cur runs again, proc->msgbuf holds its message: done.
 *
 *   - mbox_send returning 1: the sender is BLOCKED on the box; a later
 *     mbox_recv copies *m into the box (or straight to the receiver) and
 *     wakes it.  When it runs again, its message has been delivered.
 *   - mbox_recv returning 1: the receiver is BLOCKED; a later mbox_send
 *     copies its message straight into *out and wakes it.  When it runs
 *     again, *out holds the message.
 *   - sem_wait returning 1: the task is BLOCKED; a later sem_post hands it
 *     the unit (the count is not incremented).  When it runs again, it
 *     owns the unit.
 *
 * Therefore the msg buffer passed to a call that returned 1 must stay
 * valid until the task runs again: use storage in the process struct (or
 * a per-process kernel stack that is preserved), not a shared buffer.
 * Killing a blocked task with sched_remove unlinks it from the waitq and
 * drops its pending operation; killing a task that was woken but has not
 * run yet loses nothing for mbox (already delivered) but a unit for sem
 * (the kernel may sem_post it back).  Waiters are served strictly FIFO.
 * All calls must be serialised (interrupts off).
 */
#ifndef OSLIB_IPC_H
#define OSLIB_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "sched.h"

#define MBOX_CAP 16

struct msg {
	int from;                     /* sender's task id; -1 = kernel/IRQ */
	uint64_t w[4];
};

struct mbox {
	struct msg q[MBOX_CAP];
	unsigned cap;                 /* 0 = rendezvous (fully synchronous) */
	unsigned head, count;
	struct waitq senders;         /* blocked senders (box full) */
	struct waitq receivers;       /* blocked receivers (box empty) */
	uint64_t sent, received;      /* statistics */
};

struct sem {
	int count;
	struct waitq waiters;
};

/* Sets up an empty box holding up to cap messages (cap > MBOX_CAP is
 * clamped; 0 = rendezvous: a send completes only when received). */
void mbox_init(struct mbox *mb, unsigned cap);

/* Sends *m from sender (m->from is set to sender->id, or -1 if sender is
 * NULL).  Returns 0 if delivered to a waiting receiver or queued, 1 if the
 * box is full and sender is now BLOCKED (hand-off: see above), -1 if the
 * box is full and sender is NULL (kernel/IRQ context cannot block; the
 * message is dropped). */
int mbox_send(struct sched *s, struct mbox *mb, struct sched_task *sender,
	      const struct msg *m);

/* Receives the oldest message into *out.  Returns 0 if a message was taken
 * (a blocked sender, if any, is then served and woken), 1 if the box is
 * empty and rcv is now BLOCKED (hand-off: *out is filled before it runs
 * again), -1 if the box is empty and rcv is NULL (poll from the kernel). */
int mbox_recv(struct sched *s, struct mbox *mb, struct sched_task *rcv,
	      struct msg *out);

/* Returns the number of queued messages. */
unsigned mbox_count(const struct mbox *mb);

/* Sets up sem with count units (negative is treated as 0). */
void ipc_sem_init(struct sem *sem, int count);

/* Takes a unit for t.  Returns 0 if taken now, 1 if none is free and t is
 * now BLOCKED (it owns a unit when it runs again). */
int ipc_sem_wait(struct sched *s, struct sem *sem, struct sched_task *t);

/* Takes a unit without blocking.  Returns true if taken, false if none. */
bool ipc_sem_trywait(struct sem *sem);

/* Releases a unit: hands it to the first waiter (FIFO) and wakes it, or
 * increments the count.  Returns the woken task, or NULL. */
struct sched_task *ipc_sem_post(struct sched *s, struct sem *sem);

/* Short names.  Macros, because exported functions called sem_* would
 * replace the POSIX semaphores of libc in the host unit tests. */
#define sem_init(sem, count)   ipc_sem_init(sem, count)
#define sem_wait(s, sem, t)    ipc_sem_wait(s, sem, t)
#define sem_trywait(sem)       ipc_sem_trywait(sem)
#define sem_post(s, sem)       ipc_sem_post(s, sem)

#endif
