/*
 * ipc.c - message boxes and semaphores with hand-off wake-ups.
 *
 * Invariants (cap >= 1): receivers wait only while the box is empty,
 * senders wait only while it is full.  With cap == 0 (rendezvous) the box
 * is always empty and full, so at most one of the two queues is non-empty.
 * A blocked sender's wait_data points at its message, a blocked receiver's
 * at its output buffer; whoever completes the operation copies the message
 * and wakes the task, so a woken task never retries.
 */
#include "ipc.h"

static void box_push(struct mbox *mb, const struct msg *m)
{
	mb->q[(mb->head + mb->count) % MBOX_CAP] = *m;
	mb->count++;
	mb->sent++;
}

static void box_pop(struct mbox *mb, struct msg *out)
{
	*out = mb->q[mb->head];
	mb->head = (mb->head + 1) % MBOX_CAP;
	mb->count--;
	mb->received++;
}

/* Wakes the first blocked sender and copies its message into *dst. */
static bool take_sender(struct sched *s, struct mbox *mb, struct msg *dst)
{
	struct sched_task *sn = waitq_wake_one(s, &mb->senders);

	if (!sn)
		return false;
	*dst = *(const struct msg *)sn->wait_data;
	dst->from = sn->id;
	sn->wait_data = NULL;
	return true;
}

void mbox_init(struct mbox *mb, unsigned cap)
{
	mb->cap = cap > MBOX_CAP ? MBOX_CAP : cap;
	mb->head = mb->count = 0;
	mb->sent = mb->received = 0;
	waitq_init(&mb->senders);
	waitq_init(&mb->receivers);
}

int mbox_send(struct sched *s, struct mbox *mb, struct sched_task *sender,
	      const struct msg *m)
{
	struct sched_task *r = waitq_wake_one(s, &mb->receivers);
	struct msg tmp = *m;

	tmp.from = sender ? sender->id : -1;
	if (r) {
		*(struct msg *)r->wait_data = tmp;
		r->wait_data = NULL;
		mb->sent++;
		mb->received++;
		return 0;
	}
	if (mb->count < mb->cap) {
		box_push(mb, &tmp);
		return 0;
	}
	if (!sender)
		return -1;
	sched_block_on(s, sender, &mb->senders, (void *)(uintptr_t)m);
	return 1;
}

int mbox_recv(struct sched *s, struct mbox *mb, struct sched_task *rcv,
	      struct msg *out)
{
	struct msg tmp;

	if (mb->count > 0) {
		box_pop(mb, out);
		if (mb->count < mb->cap && take_sender(s, mb, &tmp))
			box_push(mb, &tmp);
		return 0;
	}
	if (take_sender(s, mb, out)) {           /* rendezvous */
		mb->sent++;
		mb->received++;
		return 0;
	}
	if (!rcv)
		return -1;
	sched_block_on(s, rcv, &mb->receivers, out);
	return 1;
}

unsigned mbox_count(const struct mbox *mb)
{
	return mb->count;
}

void ipc_sem_init(struct sem *sem, int count)
{
	sem->count = count < 0 ? 0 : count;
	waitq_init(&sem->waiters);
}

int ipc_sem_wait(struct sched *s, struct sem *sem, struct sched_task *t)
{
	if (sem->count > 0) {
		sem->count--;
		return 0;
	}
	sched_block_on(s, t, &sem->waiters, NULL);
	return 1;
}

bool ipc_sem_trywait(struct sem *sem)
{
	if (sem->count <= 0)
		return false;
	sem->count--;
	return true;
}

struct sched_task *ipc_sem_post(struct sched *s, struct sem *sem)
{
	struct sched_task *t = waitq_wake_one(s, &sem->waiters);

	if (!t && sem->count < INT32_MAX)
		sem->count++;
	return t;
}
