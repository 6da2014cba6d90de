/*
 * test_ipc.c - message boxes and semaphores.  The test plays the kernel:
 * it runs whichever task sched_pick returns for a random burst of
 * operations; a call returning 1 ends the burst (the task blocked), and
 * when the task is picked again its operation has completed (hand-off).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../guests/os/lib/ipc.h"
#include "../../guests/os/lib/ring.h"

static enum sched_policy pol_rr = SCHED_RR;
static enum sched_policy pol_edf = SCHED_EDF;

enum { N_ITEMS = 10000, NPROD_MAX = 4 };

enum role { PRODUCER, CONSUMER };

struct proc {
	struct sched_task t;          /* first: the test casts back */
	enum role role;
	int i;                        /* items sent / received */
	int quota;
	bool pending;                 /* blocked op completes before resume */
	int blocks;                   /* times it had to block */
	struct msg buf;               /* stays valid while blocked */
	int next_from[NPROD_MAX];     /* consumer: next expected per producer */
};

struct world {
	struct sched s;
	struct mbox mb;
	struct sem empty, full;
	struct ring ring;
	uint8_t ring_buf[8];
	bool use_sem;
	uint8_t seen[NPROD_MAX][N_ITEMS];   /* each message received once */
};

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* ---- message-box programs --------------------------------------------- */

/* Checks m: intact, from a real producer, never seen, and in order with
 * respect to earlier messages from the same producer to this consumer. */
static void consume(struct world *w, struct proc *p, const struct msg *m)
{
	int from = m->from;

	assert_true(from >= 0 && from < NPROD_MAX);
	assert_true(m->w[0] < N_ITEMS);
	assert_true(m->w[0] >= (uint64_t)p->next_from[from]);
	assert_int_equal(m->w[1], ~m->w[0]);
	assert_int_equal(w->seen[from][m->w[0]], 0);
	w->seen[from][m->w[0]] = 1;
	p->next_from[from] = (int)m->w[0] + 1;
	p->i++;
}

/* Runs one burst of p.  Returns false when p is done. */
static bool run_mbox(struct world *w, struct proc *p)
{
	if (p->pending) {                       /* hand-off completed */
		p->pending = false;
		if (p->role == PRODUCER)
			p->i++;
		else
			consume(w, p, &p->buf);
	}
	for (unsigned k = 1 + rnd(4); k > 0; k--) {
		int r;

		if (p->i == p->quota)
			return false;
		if (p->role == PRODUCER) {
			p->buf = (struct msg){ .from = 77, .w = { (uint64_t)p->i, ~(uint64_t)p->i } };
			r = mbox_send(&w->s, &w->mb, &p->t, &p->buf);
		} else {
			r = mbox_recv(&w->s, &w->mb, &p->t, &p->buf);
		}
		assert_int_not_equal(r, -1);
		if (r == 1) {
			assert_int_equal(p->t.state, SCHED_BLOCKED);
			p->pending = true;
			p->blocks++;
			return true;
		}
		if (p->role == PRODUCER)
			p->i++;
		else
			consume(w, p, &p->buf);
	}
	return true;
}

/* ---- semaphore + ring programs ---------------------------------------- */

static bool run_sem(struct world *w, struct proc *p)
{
	struct sem *mine = p->role == PRODUCER ? &w->empty : &w->full;
	struct sem *theirs = p->role == PRODUCER ? &w->full : &w->empty;

	for (unsigned k = 1 + rnd(4); k > 0; k--) {
		uint8_t c;

		if (p->i == p->quota)
			return false;
		if (!p->pending && sem_wait(&w->s, mine, &p->t) == 1) {
			p->pending = true;             /* owns a unit when resumed */
			p->blocks++;
			return true;
		}
		p->pending = false;
		if (p->role == PRODUCER) {
			assert_true(ring_put(&w->ring, (uint8_t)p->i));
		} else {
			assert_true(ring_get(&w->ring, &c));
			assert_int_equal(c, (uint8_t)p->i);
		}
		p->i++;
		sem_post(&w->s, theirs);
	}
	return true;
}

/* The kernel loop: pick, run a burst, repeat until nobody is runnable. */
static void run_world(struct world *w)
{
	struct sched_task *t;
	uint64_t now = 0;

	while ((t = sched_pick(&w->s, now++)) != NULL) {
		struct proc *p = (struct proc *)t;
		bool alive = w->use_sem ? run_sem(w, p) : run_mbox(w, p);

		if (!alive)
			sched_remove(&w->s, t);
		assert_true(now < 50 * N_ITEMS);
	}
}

static void world_init(struct world *w, enum sched_policy pol, unsigned cap,
		       bool use_sem)
{
	memset(w, 0, sizeof(*w));
	sched_init(&w->s, pol, 1);
	mbox_init(&w->mb, cap);
	sem_init(&w->empty, 8);
	sem_init(&w->full, 0);
	assert_int_equal(ring_init(&w->ring, w->ring_buf, 8), 0);
	w->use_sem = use_sem;
}

static void add_proc(struct world *w, struct proc *p, int id, enum role role,
		     int quota)
{
	memset(p, 0, sizeof(*p));
	sched_task_init(&p->t, id, 0, 0, 0, 0);
	p->role = role;
	p->quota = quota;
	sched_add(&w->s, &p->t, 0);
}

static void test_mbox_transfers_10000_messages_in_order(void **state)
{
	static struct world w;
	struct proc prod, cons;

	world_init(&w, *(enum sched_policy *)*state, 4, false);
	add_proc(&w, &cons, 1, CONSUMER, N_ITEMS);
	add_proc(&w, &prod, 0, PRODUCER, N_ITEMS);
	run_world(&w);
	assert_int_equal(prod.i, N_ITEMS);
	assert_int_equal(cons.i, N_ITEMS);
	assert_int_equal(cons.next_from[0], N_ITEMS);
	assert_int_equal(sched_task_count(&w.s), 0);
	assert_true(prod.blocks > 100 && cons.blocks > 100);
	assert_int_equal(w.mb.sent, N_ITEMS);
	assert_int_equal(w.mb.received, N_ITEMS);
}

static void test_rendezvous_mbox_transfers_10000_messages_in_order(void **state)
{
	static struct world w;
	struct proc prod, cons;

	world_init(&w, *(enum sched_policy *)*state, 0, false);
	add_proc(&w, &prod, 0, PRODUCER, N_ITEMS);
	add_proc(&w, &cons, 1, CONSUMER, N_ITEMS);
	run_world(&w);
	assert_int_equal(cons.i, N_ITEMS);
	assert_true(prod.blocks + cons.blocks >= N_ITEMS);  /* every transfer */
	assert_int_equal(sched_task_count(&w.s), 0);
}

static void test_mbox_many_producers_many_consumers_lose_nothing(void **state)
{
	static struct world w;
	struct proc prod[3], cons[2];

	world_init(&w, *(enum sched_policy *)*state, 3, false);
	for (int i = 0; i < 3; i++)
		add_proc(&w, &prod[i], i, PRODUCER, 4000);
	add_proc(&w, &cons[0], 10, CONSUMER, 6000);
	add_proc(&w, &cons[1], 11, CONSUMER, 6000);
	run_world(&w);
	assert_int_equal(cons[0].i + cons[1].i, 12000);
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 4000; k++)
			assert_int_equal(w.seen[i][k], 1);
	assert_int_equal(sched_task_count(&w.s), 0);
}

static void test_semaphores_and_ring_transfer_10000_items_in_order(void **state)
{
	static struct world w;
	struct proc prod, cons;

	world_init(&w, *(enum sched_policy *)*state, 0, true);
	add_proc(&w, &cons, 1, CONSUMER, N_ITEMS);
	add_proc(&w, &prod, 0, PRODUCER, N_ITEMS);
	run_world(&w);
	assert_int_equal(prod.i, N_ITEMS);
	assert_int_equal(cons.i, N_ITEMS);
	assert_int_equal(ring_count(&w.ring), 0);
	assert_true(prod.blocks > 100 && cons.blocks > 100);
	assert_int_equal(w.empty.count, 8);
	assert_int_equal(w.full.count, 0);
}

/* ---- direct behaviour ------------------------------------------------- */

struct trio {
	struct sched s;
	struct mbox mb;
	struct proc p[4];
};

static void trio_init(struct trio *x, unsigned cap)
{
	sched_init(&x->s, SCHED_RR, 1);
	mbox_init(&x->mb, cap);
	for (int i = 0; i < 4; i++) {
		memset(&x->p[i], 0, sizeof(x->p[i]));
		sched_task_init(&x->p[i].t, i, 0, 0, 0, 0);
		sched_add(&x->s, &x->p[i].t, 0);
	}
}

static struct msg mk(uint64_t v)
{
	return (struct msg){ .from = -5, .w = { v, 0, 0, v } };
}

static void test_blocked_receivers_are_served_in_fifo_order(void **state)
{
	static struct trio x;
	struct msg m;

	trio_init(&x, 4);
	for (int i = 2; i >= 0; i--)
		assert_int_equal(mbox_recv(&x.s, &x.mb, &x.p[i].t, &x.p[i].buf), 1);
	assert_int_equal(mbox_recv(&x.s, &x.mb, NULL, &m), -1);
	for (uint64_t v = 1; v <= 3; v++) {
		m = mk(v);
		assert_int_equal(mbox_send(&x.s, &x.mb, NULL, &m), 0);
	}
	assert_int_equal(x.p[2].buf.w[0], 1);
	assert_int_equal(x.p[1].buf.w[0], 2);
	assert_int_equal(x.p[0].buf.w[0], 3);
	assert_int_equal(x.p[0].buf.from, -1);
	assert_int_equal(mbox_count(&x.mb), 0);
	/* woken in FIFO order behind the task that never blocked */
	assert_ptr_equal(sched_pick(&x.s, 1), &x.p[3].t);
	assert_ptr_equal(sched_pick(&x.s, 2), &x.p[2].t);
	assert_ptr_equal(sched_pick(&x.s, 3), &x.p[1].t);
	assert_ptr_equal(sched_pick(&x.s, 4), &x.p[0].t);
}

static void test_blocked_senders_are_delivered_in_fifo_order(void **state)
{
	static struct trio x;
	struct msg m, sent[4];

	trio_init(&x, 2);
	for (int i = 0; i < 4; i++)
		sent[i] = mk(100 + (uint64_t)i);
	assert_int_equal(mbox_send(&x.s, &x.mb, &x.p[0].t, &sent[0]), 0);
	assert_int_equal(mbox_send(&x.s, &x.mb, &x.p[0].t, &sent[0]), 0);
	assert_int_equal(mbox_send(&x.s, &x.mb, NULL, &sent[0]), -1);
	for (int i = 3; i >= 1; i--)
		assert_int_equal(mbox_send(&x.s, &x.mb, &x.p[i].t, &sent[i]), 1);
	assert_int_equal(x.mb.senders.len, 3);
	const int want_from[] = { 0, 0, 3, 2, 1 };
	for (int k = 0; k < 5; k++) {
		assert_int_equal(mbox_recv(&x.s, &x.mb, NULL, &m), 0);
		assert_int_equal(m.from, want_from[k]);
	}
	assert_int_equal(mbox_recv(&x.s, &x.mb, NULL, &m), -1);
	assert_int_equal(x.p[3].t.state, SCHED_READY);
	assert_int_equal(x.p[1].t.state, SCHED_READY);
}

static void test_rendezvous_send_completes_only_when_received(void **state)
{
	static struct trio x;
	struct msg m = mk(7), out;

	trio_init(&x, 0);
	assert_int_equal(mbox_send(&x.s, &x.mb, &x.p[0].t, &m), 1);
	assert_int_equal(x.p[0].t.state, SCHED_BLOCKED);
	assert_int_equal(mbox_count(&x.mb), 0);
	assert_int_equal(mbox_recv(&x.s, &x.mb, &x.p[1].t, &out), 0);
	assert_int_equal(out.w[0], 7);
	assert_int_equal(out.from, 0);
	assert_int_equal(x.p[0].t.state, SCHED_READY);
	assert_int_equal(mbox_recv(&x.s, &x.mb, &x.p[1].t, &x.p[1].buf), 1);
	assert_int_equal(mbox_send(&x.s, &x.mb, &x.p[2].t, &m), 0);
	assert_int_equal(x.p[1].buf.w[3], 7);
	assert_int_equal(x.p[1].buf.from, 2);
}

static void test_sender_id_cannot_be_forged(void **state)
{
	static struct trio x;
	struct msg m = mk(1), out;

	trio_init(&x, 4);
	m.from = 3;
	assert_int_equal(mbox_send(&x.s, &x.mb, &x.p[1].t, &m), 0);
	assert_int_equal(mbox_recv(&x.s, &x.mb, &x.p[2].t, &out), 0);
	assert_int_equal(out.from, 1);
}

static void test_killed_waiter_is_skipped(void **state)
{
	static struct trio x;
	struct msg m = mk(9);

	trio_init(&x, 4);
	assert_int_equal(mbox_recv(&x.s, &x.mb, &x.p[0].t, &x.p[0].buf), 1);
	assert_int_equal(mbox_recv(&x.s, &x.mb, &x.p[1].t, &x.p[1].buf), 1);
	sched_remove(&x.s, &x.p[0].t);
	assert_int_equal(x.mb.receivers.len, 1);
	assert_int_equal(mbox_send(&x.s, &x.mb, &x.p[2].t, &m), 0);
	assert_int_equal(x.p[1].buf.w[0], 9);
	assert_int_equal(x.p[0].buf.w[0], 0);
	assert_true(waitq_empty(&x.mb.receivers));
}

static void test_sem_hands_units_to_waiters_in_fifo_order(void **state)
{
	static struct trio x;
	struct sem sem;

	trio_init(&x, 1);
	sem_init(&sem, 1);
	assert_int_equal(sem_wait(&x.s, &sem, &x.p[0].t), 0);
	assert_int_equal(sem.count, 0);
	assert_int_equal(sem_wait(&x.s, &sem, &x.p[2].t), 1);
	assert_int_equal(sem_wait(&x.s, &sem, &x.p[1].t), 1);
	assert_false(sem_trywait(&sem));
	assert_ptr_equal(sem_post(&x.s, &sem), &x.p[2].t);
	assert_int_equal(sem.count, 0);                 /* handed over */
	assert_int_equal(x.p[2].t.state, SCHED_READY);
	assert_int_equal(x.p[1].t.state, SCHED_BLOCKED);
	assert_ptr_equal(sem_post(&x.s, &sem), &x.p[1].t);
	assert_null(sem_post(&x.s, &sem));
	assert_int_equal(sem.count, 1);
	assert_true(sem_trywait(&sem));
}

static void test_sem_post_before_wait_is_not_lost(void **state)
{
	static struct trio x;
	struct sem sem;

	trio_init(&x, 1);
	sem_init(&sem, -3);
	assert_int_equal(sem.count, 0);
	for (int i = 0; i < 5; i++)
		assert_null(sem_post(&x.s, &sem));
	for (int i = 0; i < 5; i++)
		assert_int_equal(sem_wait(&x.s, &sem, &x.p[0].t), 0);
	assert_int_equal(sem_wait(&x.s, &sem, &x.p[0].t), 1);
	assert_int_equal(x.p[0].t.state, SCHED_BLOCKED);
}

#define BOTH(fn) \
	cmocka_unit_test_prestate(fn, &pol_rr), \
	cmocka_unit_test_prestate(fn, &pol_edf)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_mbox_transfers_10000_messages_in_order),
		BOTH(test_rendezvous_mbox_transfers_10000_messages_in_order),
		BOTH(test_mbox_many_producers_many_consumers_lose_nothing),
		BOTH(test_semaphores_and_ring_transfer_10000_items_in_order),
		cmocka_unit_test(test_blocked_receivers_are_served_in_fifo_order),
		cmocka_unit_test(test_blocked_senders_are_delivered_in_fifo_order),
		cmocka_unit_test(test_rendezvous_send_completes_only_when_received),
		cmocka_unit_test(test_sender_id_cannot_be_forged),
		cmocka_unit_test(test_killed_waiter_is_skipped),
		cmocka_unit_test(test_sem_hands_units_to_waiters_in_fifo_order),
		cmocka_unit_test(test_sem_post_before_wait_is_not_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
