/*
 * sched.c - RR and EDF scheduling decisions over embedded task structs.
 *
 * Lists (all doubly linked through the task, so every removal is O(1)):
 *   ready queue  q_next/q_prev   FIFO; EDF scans it for the earliest deadline
 *   sleep list   q_next/q_prev   sorted by wake_at (FIFO among equals)
 *   a waitq      q_next/q_prev   FIFO, q_wait points at it
 *   all tasks    all_next/prev   add order; scanned for periodic releases
 * A task is on at most one of the first three, as its state says:
 * READY -> ready queue, SLEEPING -> sleep list, BLOCKED -> a waitq or none,
 * RUNNING -> none (it is s->current).
 */
#include "sched.h"

/* ---- list helpers ----------------------------------------------------- */

static void link_after(struct sched_task **head, struct sched_task **tail,
		       struct sched_task *pos, struct sched_task *t)
{
	t->q_prev = pos;
	t->q_next = pos ? pos->q_next : *head;
	if (t->q_next)
		t->q_next->q_prev = t;
	else if (tail)
		*tail = t;
	if (pos)
		pos->q_next = t;
	else
		*head = t;
}

static void unlink_q(struct sched_task **head, struct sched_task **tail,
		     struct sched_task *t)
{
	if (t->q_prev)
		t->q_prev->q_next = t->q_next;
	else
		*head = t->q_next;
	if (t->q_next)
		t->q_next->q_prev = t->q_prev;
	else if (tail)
		*tail = t->q_prev;
	t->q_next = t->q_prev = NULL;
}

static void rq_append(struct sched *s, struct sched_task *t)
{
	link_after(&s->ready_head, &s->ready_tail, s->ready_tail, t);
}

static void sleep_insert(struct sched *s, struct sched_task *t)
{
	struct sched_task *pos = NULL;

	for (struct sched_task *c = s->sleep_head; c && c->wake_at <= t->wake_at;
	     c = c->q_next)
		pos = c;
	link_after(&s->sleep_head, NULL, pos, t);
}

static void wq_append(struct waitq *q, struct sched_task *t)
{
	link_after(&q->head, &q->tail, q->tail, t);
	t->q_wait = q;
	q->len++;
}

static void wq_unlink(struct sched_task *t)
{
	struct waitq *q = t->q_wait;

	unlink_q(&q->head, &q->tail, t);
	t->q_wait = NULL;
	q->len--;
}

/* ---- state changes ---------------------------------------------------- */

static uint64_t rel_deadline(const struct sched_task *t)
{
	return t->rel_deadline ? t->rel_deadline : t->period;
}

static void set_now(struct sched *s, uint64_t now)
{
	if (now > s->now)
		s->now = now;
}

/* Takes t off whatever queue its state puts it on; charges CPU time. */
static void detach(struct sched *s, struct sched_task *t)
{
	switch (t->state) {
	case SCHED_READY:
		unlink_q(&s->ready_head, &s->ready_tail, t);
		break;
	case SCHED_RUNNING:
		if (s->current == t) {
			t->cpu_time += s->now - t->slice_start;
			s->current = NULL;
		}
		break;
	case SCHED_SLEEPING:
		unlink_q(&s->sleep_head, NULL, t);
		break;
	case SCHED_BLOCKED:
		if (t->q_wait)
			wq_unlink(t);
		break;
	}
}

static void make_ready(struct sched *s, struct sched_task *t)
{
	t->state = SCHED_READY;
	rq_append(s, t);
}

/* Releases t's next job; an unfinished previous job counts as a miss. */
static void release_job(struct sched_task *t)
{
	if (t->job_active && !t->job_missed)
		t->misses++;
	t->jobs++;
	t->job_active = true;
	t->job_missed = false;
	t->abs_deadline = t->release + rel_deadline(t);
	t->release += t->period;
}

static void check_periodic(struct sched_task *t, uint64_t now)
{
	while (t->release <= now)
		release_job(t);
	if (t->job_active && !t->job_missed && now > t->abs_deadline) {
		t->misses++;
		t->job_missed = true;
	}
}

/* Moves time to now: wakes due sleepers, releases due periodic jobs. */
static void advance(struct sched *s, uint64_t now)
{
	set_now(s, now);
	while (s->sleep_head && s->sleep_head->wake_at <= s->now) {
		struct sched_task *t = s->sleep_head;

		unlink_q(&s->sleep_head, NULL, t);
		make_ready(s, t);
	}
	for (struct sched_task *t = s->all_head; t; t = t->all_next)
		if (t->period)
			check_periodic(t, s->now);
}

/* ---- public API ------------------------------------------------------- */

void sched_init(struct sched *s, enum sched_policy pol, uint64_t quantum_ticks)
{
	*s = (struct sched){ .pol = pol, .quantum = quantum_ticks ? quantum_ticks : 1 };
}

void sched_task_init(struct sched_task *t, int id, int prio, uint64_t period,
		     uint64_t rel_deadline_, uint64_t wcet)
{
	*t = (struct sched_task){ .id = id, .prio = prio, .period = period,
				  .rel_deadline = rel_deadline_, .wcet = wcet,
				  .state = SCHED_NEW };
}

static void reset_runtime(struct sched_task *t)
{
	t->misses = t->jobs = t->cpu_time = t->picks = t->slice_start = 0;
	t->wake_at = 0;
	t->job_active = t->job_missed = false;
	t->wait_data = NULL;
	t->q_next = t->q_prev = t->all_next = NULL;
	t->q_wait = NULL;
}

void sched_add(struct sched *s, struct sched_task *t, uint64_t now)
{
	set_now(s, now);
	reset_runtime(t);
	t->abs_deadline = UINT64_MAX;
	if (t->period) {
		t->release = s->now;
		release_job(t);
	}
	t->all_prev = s->all_tail;
	if (s->all_tail)
		s->all_tail->all_next = t;
	else
		s->all_head = t;
	s->all_tail = t;
	s->ntasks++;
	make_ready(s, t);
}

void sched_block(struct sched *s, struct sched_task *t)
{
	if (t->state == SCHED_DEAD || t->state == SCHED_NEW)
		return;
	detach(s, t);
	t->state = SCHED_BLOCKED;
}

void sched_block_on(struct sched *s, struct sched_task *t, struct waitq *q,
		    void *data)
{
	if (t->state == SCHED_DEAD || t->state == SCHED_NEW)
		return;
	sched_block(s, t);
	t->wait_data = data;
	wq_append(q, t);
}

void sched_wake(struct sched *s, struct sched_task *t, uint64_t now)
{
	if (t->state != SCHED_BLOCKED && t->state != SCHED_SLEEPING)
		return;
	detach(s, t);
	make_ready(s, t);
}

void sched_sleep_until(struct sched *s, struct sched_task *t, uint64_t wake_at)
{
	if (t->state == SCHED_DEAD || t->state == SCHED_NEW)
		return;
	detach(s, t);
	t->state = SCHED_SLEEPING;
	t->wake_at = wake_at;
	sleep_insert(s, t);
}

void sched_remove(struct sched *s, struct sched_task *t)
{
	if (t->state == SCHED_DEAD || t->state == SCHED_NEW)
		return;
	detach(s, t);
	if (t->all_prev)
		t->all_prev->all_next = t->all_next;
	else
		s->all_head = t->all_next;
	if (t->all_next)
		t->all_next->all_prev = t->all_prev;
	else
		s->all_tail = t->all_prev;
	t->all_next = t->all_prev = NULL;
	t->state = SCHED_DEAD;
	s->ntasks--;
}

void sched_job_done(struct sched *s, struct sched_task *t, uint64_t now)
{
	if (!t->period || t->state == SCHED_DEAD || t->state == SCHED_NEW)
		return;
	set_now(s, now);
	if (t->job_active && !t->job_missed && now > t->abs_deadline)
		t->misses++;
	t->job_active = false;
	t->job_missed = false;
	if (t->release <= now)
		check_periodic(t, now);
	else
		sched_sleep_until(s, t, t->release);
}

struct sched_task *sched_yield_current(struct sched *s)
{
	struct sched_task *t = s->current;

	if (!t)
		return NULL;
	detach(s, t);
	make_ready(s, t);
	return t;
}

/* Returns the ready task with the earliest deadline (first among equals). */
static struct sched_task *edf_best(const struct sched *s)
{
	struct sched_task *best = s->ready_head;

	for (struct sched_task *t = best; t; t = t->q_next)
		if (t->abs_deadline < best->abs_deadline)
			best = t;
	return best;
}

static bool need_resched(const struct sched *s)
{
	const struct sched_task *c = s->current;
	bool expired;

	if (!s->ready_head)
		return false;
	if (!c)
		return true;
	expired = s->now - c->slice_start >= s->quantum;
	if (s->pol == SCHED_RR)
		return expired;
	if (edf_best(s)->abs_deadline != c->abs_deadline)
		return edf_best(s)->abs_deadline < c->abs_deadline;
	return expired;
}

bool sched_tick(struct sched *s, uint64_t now)
{
	advance(s, now);
	return need_resched(s);
}

struct sched_task *sched_pick(struct sched *s, uint64_t now)
{
	struct sched_task *prev = s->current, *t;

	advance(s, now);
	if (prev) {
		detach(s, prev);
		make_ready(s, prev);
	}
	t = s->pol == SCHED_EDF ? edf_best(s) : s->ready_head;
	if (!t)
		return NULL;
	unlink_q(&s->ready_head, &s->ready_tail, t);
	t->state = SCHED_RUNNING;
	t->slice_start = s->now;
	t->picks++;
	s->current = t;
	if (t != prev)
		s->switches++;
	return t;
}

struct sched_task *sched_current(const struct sched *s)
{
	return s->current;
}

uint64_t sched_next_event(const struct sched *s)
{
	uint64_t next = s->sleep_head ? s->sleep_head->wake_at : UINT64_MAX;

	for (const struct sched_task *t = s->all_head; t; t = t->all_next)
		if (t->period && t->release < next)
			next = t->release;
	return next;
}

struct sched_task *sched_task_next(const struct sched *s,
				   const struct sched_task *t)
{
	return t ? t->all_next : s->all_head;
}

unsigned sched_task_count(const struct sched *s)
{
	return s->ntasks;
}

uint64_t sched_utilization_permille(const struct sched *s)
{
	uint64_t u = 0;

	for (const struct sched_task *t = s->all_head; t; t = t->all_next)
		if (t->period)
			u += t->wcet * 1000 / t->period;
	return u;
}

const char *sched_policy_name(enum sched_policy pol)
{
	switch (pol) {
	case SCHED_RR:  return "rr";
	case SCHED_EDF: return "edf";
	}
	return "?";
}

const char *sched_state_name(int state)
{
	static const char *const names[] = {
		[SCHED_NEW] = "new", [SCHED_READY] = "ready",
		[SCHED_RUNNING] = "running", [SCHED_BLOCKED] = "blocked",
		[SCHED_SLEEPING] = "sleeping", [SCHED_DEAD] = "dead",
	};

	if (state < 0 || state > SCHED_DEAD)
		return "?";
	return names[state];
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

int sched_policy_parse(const char *name, enum sched_policy *pol)
{
	if (name && str_eq(name, "rr")) {
		*pol = SCHED_RR;
		return 0;
	}
	if (name && str_eq(name, "edf")) {
		*pol = SCHED_EDF;
		return 0;
	}
	return -1;
}

void waitq_init(struct waitq *q)
{
	*q = (struct waitq){ 0 };
}

bool waitq_empty(const struct waitq *q)
{
	return q->head == NULL;
}

struct sched_task *waitq_peek(const struct waitq *q)
{
	return q->head;
}

struct sched_task *waitq_wake_one(struct sched *s, struct waitq *q)
{
	struct sched_task *t = q->head;

	if (t)
		sched_wake(s, t, s->now);
	return t;
}

unsigned waitq_wake_all(struct sched *s, struct waitq *q)
{
	unsigned n = 0;

	while (waitq_wake_one(s, q))
		n++;
	return n;
}
