/*
 * test_sched.c - RR and EDF decisions.  The test plays the kernel and the
 * CPU: each simulated tick it calls sched_tick, picks when told to, and
 * gives the current task one tick of work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../guests/os/lib/sched.h"

struct sim {
	struct sched_task t;          /* first: the test casts back */
	uint64_t left;                /* work left in the current job */
	uint64_t ran;                 /* ticks of CPU received */
};

static void add_tasks(struct sched *s, struct sim *v, int n, const uint64_t *period,
		      const uint64_t *wcet)
{
	for (int i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		sched_task_init(&v[i].t, i + 1, 0, period ? period[i] : 0,
				0, wcet ? wcet[i] : 0);
		v[i].left = v[i].t.wcet ? v[i].t.wcet : UINT64_MAX;
		sched_add(s, &v[i].t, 0);
	}
}

/* Runs ticks [from, to): periodic tasks call sched_job_done after wcet. */
static void simulate(struct sched *s, uint64_t from, uint64_t to)
{
	for (uint64_t now = from; now < to; now++) {
		struct sim *c;

		if (sched_tick(s, now) || !sched_current(s))
			sched_pick(s, now);
		c = (struct sim *)sched_current(s);
		if (!c)
			continue;
		assert_int_equal(c->t.state, SCHED_RUNNING);
		c->ran++;
		if (c->t.period && --c->left == 0) {
			c->left = c->t.wcet;
			sched_job_done(s, &c->t, now + 1);
		}
	}
}

static uint64_t total_misses(const struct sim *v, int n)
{
	uint64_t m = 0;

	for (int i = 0; i < n; i++)
		m += v[i].t.misses;
	return m;
}

/* ---- round robin ------------------------------------------------------ */

static void test_rr_two_cpu_bound_tasks_both_progress_evenly(void **state)
{
	struct sched s;
	struct sim v[2];

	sched_init(&s, SCHED_RR, 5);
	add_tasks(&s, v, 2, NULL, NULL);
	simulate(&s, 0, 1000);
	assert_int_equal(v[0].ran + v[1].ran, 1000);
	assert_int_equal(v[0].ran, 500);
	assert_int_equal(v[0].t.picks, 100);
	assert_int_equal(v[1].t.picks, 100);
}

static void test_rr_quantum_is_respected(void **state)
{
	struct sched s;
	struct sim v[3];

	sched_init(&s, SCHED_RR, 4);
	add_tasks(&s, v, 3, NULL, NULL);
	assert_ptr_equal(sched_pick(&s, 0), &v[0].t);
	for (uint64_t now = 1; now < 4; now++)
		assert_false(sched_tick(&s, now));
	assert_true(sched_tick(&s, 4));
	assert_ptr_equal(sched_pick(&s, 4), &v[1].t);
	assert_false(sched_tick(&s, 7));
	assert_true(sched_tick(&s, 8));
	assert_ptr_equal(sched_pick(&s, 8), &v[2].t);
	assert_true(sched_tick(&s, 12));
	assert_ptr_equal(sched_pick(&s, 12), &v[0].t);  /* back of the queue */
	assert_int_equal(v[0].t.cpu_time, 4);
}

static void test_rr_lone_task_is_never_preempted(void **state)
{
	struct sched s;
	struct sim v[1];

	sched_init(&s, SCHED_RR, 2);
	add_tasks(&s, v, 1, NULL, NULL);
	sched_pick(&s, 0);
	for (uint64_t now = 1; now < 100; now++)
		assert_false(sched_tick(&s, now));
}

static void test_rr_yield_moves_current_to_tail(void **state)
{
	struct sched s;
	struct sim v[3];

	sched_init(&s, SCHED_RR, 100);
	add_tasks(&s, v, 3, NULL, NULL);
	assert_ptr_equal(sched_pick(&s, 0), &v[0].t);
	assert_ptr_equal(sched_yield(&s), &v[0].t);
	assert_null(sched_current(&s));
	assert_int_equal(v[0].t.state, SCHED_READY);
	assert_ptr_equal(sched_pick(&s, 1), &v[1].t);
	sched_yield(&s);
	assert_ptr_equal(sched_pick(&s, 2), &v[2].t);
	sched_yield(&s);
	assert_ptr_equal(sched_pick(&s, 3), &v[0].t);
}

static void test_sleepers_cost_nothing_and_wake_on_time(void **state)
{
	struct sched s;
	struct sim v[2];

	sched_init(&s, SCHED_RR, 1);
	add_tasks(&s, v, 2, NULL, NULL);
	sched_sleep_until(&s, &v[1].t, 500);
	assert_int_equal(sched_next_event(&s), 500);
	simulate(&s, 0, 500);
	assert_int_equal(v[1].ran, 0);
	assert_int_equal(v[1].t.picks, 0);
	assert_int_equal(v[0].ran, 500);
	assert_int_equal(v[1].t.state, SCHED_SLEEPING);
	simulate(&s, 500, 502);
	assert_int_equal(v[1].ran, 1);                /* ran at tick 500 or 501 */
	assert_int_equal(sched_next_event(&s), UINT64_MAX);
}

static void test_sleepers_wake_in_wake_time_order(void **state)
{
	struct sched s;
	struct sim v[3];

	sched_init(&s, SCHED_RR, 1);
	add_tasks(&s, v, 3, NULL, NULL);
	sched_sleep_until(&s, &v[0].t, 30);
	sched_sleep_until(&s, &v[1].t, 10);
	sched_sleep_until(&s, &v[2].t, 20);
	assert_null(sched_pick(&s, 5));
	assert_int_equal(sched_next_event(&s), 10);
	assert_ptr_equal(sched_pick(&s, 10), &v[1].t);
	sched_sleep_until(&s, &v[1].t, 100);
	assert_null(sched_pick(&s, 19));
	assert_ptr_equal(sched_pick(&s, 35), &v[2].t);  /* 20 and 30 both due */
	sched_block(&s, &v[2].t);
	assert_ptr_equal(sched_pick(&s, 35), &v[0].t);
}

static void test_blocked_tasks_are_never_picked_until_woken(void **state)
{
	struct sched s;
	struct sim v[3];

	sched_init(&s, SCHED_RR, 1);
	add_tasks(&s, v, 3, NULL, NULL);
	sched_block(&s, &v[1].t);
	simulate(&s, 0, 300);
	assert_int_equal(v[1].ran, 0);
	assert_int_equal(v[0].ran + v[2].ran, 300);
	assert_int_equal(sched_next_event(&s), UINT64_MAX);
	sched_wake(&s, &v[1].t, 300);
	assert_int_equal(v[1].t.state, SCHED_READY);
	simulate(&s, 300, 303);
	assert_int_equal(v[1].ran, 1);
}

static void test_block_current_then_idle_returns_null(void **state)
{
	struct sched s;
	struct sim v[1];

	sched_init(&s, SCHED_RR, 1);
	add_tasks(&s, v, 1, NULL, NULL);
	assert_ptr_equal(sched_pick(&s, 0), &v[0].t);
	sched_block(&s, &v[0].t);
	assert_null(sched_current(&s));
	assert_false(sched_tick(&s, 1));
	assert_null(sched_pick(&s, 1));
	sched_wake(&s, &v[0].t, 2);
	assert_true(sched_tick(&s, 3));                 /* idle and one ready */
	assert_ptr_equal(sched_pick(&s, 3), &v[0].t);
	sched_wake(&s, &v[0].t, 4);                     /* running: no effect */
	assert_int_equal(v[0].t.state, SCHED_RUNNING);
}

static void test_woken_task_goes_to_tail(void **state)
{
	struct sched s;
	struct sim v[3];

	sched_init(&s, SCHED_RR, 1);
	add_tasks(&s, v, 3, NULL, NULL);
	sched_block(&s, &v[0].t);
	sched_wake(&s, &v[0].t, 0);
	assert_ptr_equal(sched_pick(&s, 0), &v[1].t);
	assert_ptr_equal(sched_pick(&s, 1), &v[2].t);
	assert_ptr_equal(sched_pick(&s, 2), &v[0].t);
}

static void test_remove_takes_task_off_every_list(void **state)
{
	struct sched s;
	struct sim v[4];
	struct waitq q;

	sched_init(&s, SCHED_RR, 1);
	waitq_init(&q);
	add_tasks(&s, v, 4, NULL, NULL);
	assert_int_equal(sched_task_count(&s), 4);
	sched_pick(&s, 0);                              /* v0 running */
	sched_sleep_until(&s, &v[1].t, 10);
	sched_block_on(&s, &v[2].t, &q, NULL);
	for (int i = 0; i < 4; i++)
		sched_remove(&s, &v[i].t);
	sched_remove(&s, &v[0].t);                      /* twice: harmless */
	assert_int_equal(sched_task_count(&s), 0);
	assert_true(waitq_empty(&q));
	assert_null(sched_current(&s));
	assert_null(sched_pick(&s, 20));
	assert_null(sched_task_next(&s, NULL));
	assert_int_equal(v[2].t.state, SCHED_DEAD);
}

static void test_task_iteration_lists_tasks_in_add_order(void **state)
{
	struct sched s;
	struct sim v[3];
	const struct sched_task *t;
	int ids = 0;

	sched_init(&s, SCHED_RR, 1);
	add_tasks(&s, v, 3, NULL, NULL);
	sched_remove(&s, &v[1].t);
	for (t = sched_task_next(&s, NULL); t; t = sched_task_next(&s, t))
		ids = ids * 10 + t->id;
	assert_int_equal(ids, 13);
}

static void test_waitq_wakes_in_fifo_order(void **state)
{
	struct sched s;
	struct sim v[3];
	struct waitq q;

	sched_init(&s, SCHED_RR, 1);
	waitq_init(&q);
	add_tasks(&s, v, 3, NULL, NULL);
	sched_block_on(&s, &v[2].t, &q, NULL);
	sched_block_on(&s, &v[0].t, &q, NULL);
	sched_block_on(&s, &v[1].t, &q, NULL);
	assert_int_equal(q.len, 3);
	assert_ptr_equal(waitq_peek(&q), &v[2].t);
	assert_ptr_equal(waitq_wake_one(&s, &q), &v[2].t);
	assert_int_equal(waitq_wake_all(&s, &q), 2);
	assert_null(waitq_wake_one(&s, &q));
	assert_ptr_equal(sched_pick(&s, 0), &v[2].t);
	assert_ptr_equal(sched_pick(&s, 1), &v[0].t);
	assert_ptr_equal(sched_pick(&s, 2), &v[1].t);
}

/* ---- EDF -------------------------------------------------------------- */

static void test_edf_picks_earliest_deadline_first(void **state)
{
	struct sched s;
	struct sim v[3];
	const uint64_t period[] = { 40, 10, 20 }, wcet[] = { 1, 1, 1 };

	sched_init(&s, SCHED_EDF, 5);
	add_tasks(&s, v, 3, period, wcet);
	assert_ptr_equal(sched_pick(&s, 0), &v[1].t);
	sched_job_done(&s, &v[1].t, 1);
	assert_ptr_equal(sched_pick(&s, 1), &v[2].t);
	sched_job_done(&s, &v[2].t, 2);
	assert_ptr_equal(sched_pick(&s, 2), &v[0].t);
	sched_job_done(&s, &v[0].t, 3);
	assert_null(sched_pick(&s, 3));
	assert_int_equal(sched_next_event(&s), 10);
}

static void test_edf_preempts_for_an_earlier_deadline(void **state)
{
	struct sched s;
	struct sim v[2];
	const uint64_t period[] = { 100, 10 }, wcet[] = { 50, 2 };

	sched_init(&s, SCHED_EDF, 5);
	add_tasks(&s, v, 2, period, wcet);
	assert_ptr_equal(sched_pick(&s, 0), &v[1].t);
	sched_job_done(&s, &v[1].t, 2);
	assert_ptr_equal(sched_pick(&s, 2), &v[0].t);
	for (uint64_t now = 3; now < 10; now++)
		assert_false(sched_tick(&s, now));      /* longer quantum irrelevant */
	assert_true(sched_tick(&s, 10));            /* deadline 20 < 100 */
	assert_ptr_equal(sched_pick(&s, 10), &v[1].t);
}

static void test_edf_background_tasks_run_only_in_slack(void **state)
{
	struct sched s;
	struct sim v[3];
	const uint64_t period[] = { 10, 0, 0 }, wcet[] = { 5, 0, 0 };

	sched_init(&s, SCHED_EDF, 2);
	add_tasks(&s, v, 3, period, wcet);
	simulate(&s, 0, 1000);
	assert_int_equal(v[0].ran, 500);
	assert_int_equal(v[0].t.misses, 0);
	assert_int_equal(v[0].t.jobs, 100);
	assert_int_equal(v[1].ran + v[2].ran, 500);
	assert_true(v[1].ran >= 240 && v[2].ran >= 240);   /* round-robin */
}

static void run_edf_set(const uint64_t *period, const uint64_t *wcet, int n,
			uint64_t ticks, struct sim *v, uint64_t *util)
{
	struct sched s;

	sched_init(&s, SCHED_EDF, 3);
	add_tasks(&s, v, n, period, wcet);
	*util = sched_utilization_permille(&s);
	simulate(&s, 0, ticks);
}

static void test_edf_schedules_60_percent_set_without_misses(void **state)
{
	const uint64_t period[] = { 10, 20, 40 }, wcet[] = { 2, 4, 8 };
	struct sim v[3];
	uint64_t util;

	run_edf_set(period, wcet, 3, 10000, v, &util);
	assert_int_equal(util, 600);
	assert_int_equal(total_misses(v, 3), 0);
	assert_int_equal(v[0].t.jobs, 1000);
	assert_int_equal(v[2].t.jobs, 250);
	assert_int_equal(v[0].ran + v[1].ran + v[2].ran, 6000);
}

static void test_edf_schedules_70_percent_set_with_background_without_misses(void **state)
{
	const uint64_t period[] = { 10, 20, 40, 30, 0 }, wcet[] = { 2, 4, 8, 3, 0 };
	struct sim v[5];
	uint64_t util;

	run_edf_set(period, wcet, 5, 10000, v, &util);
	assert_int_equal(util, 700);
	assert_int_equal(total_misses(v, 5), 0);
	/* periodic demand in [0, 10000): 2000 + 2000 + 2000 + 334 * 3 */
	assert_int_equal(v[0].ran + v[1].ran + v[2].ran + v[3].ran, 7002);
	assert_int_equal(v[4].ran, 10000 - 7002);   /* background gets the slack */
}

static void test_edf_schedules_100_percent_set_without_misses(void **state)
{
	const uint64_t period[] = { 4, 6, 12 }, wcet[] = { 1, 3, 3 };
	struct sim v[3];
	uint64_t util;

	run_edf_set(period, wcet, 3, 10000, v, &util);
	assert_int_equal(util, 250 + 500 + 250);
	assert_int_equal(total_misses(v, 3), 0);
}

static void test_edf_overloaded_set_records_misses(void **state)
{
	const uint64_t period[] = { 10, 20, 40 }, wcet[] = { 5, 6, 10 };
	struct sim v[3];
	uint64_t util;

	run_edf_set(period, wcet, 3, 10000, v, &util);
	assert_true(util > 1000);
	assert_true(total_misses(v, 3) > 100);
	for (int i = 0; i < 3; i++)
		assert_true(v[i].t.misses <= v[i].t.jobs);
}

static void test_rr_overloads_where_edf_does_not(void **state)
{
	const uint64_t period[] = { 5, 50, 0 }, wcet[] = { 2, 20, 0 };
	struct sched s;
	struct sim v[3];

	sched_init(&s, SCHED_RR, 4);
	add_tasks(&s, v, 3, period, wcet);
	simulate(&s, 0, 10000);
	assert_true(total_misses(v, 2) > 0);           /* quantum 4 > slack */
	sched_init(&s, SCHED_EDF, 4);
	add_tasks(&s, v, 3, period, wcet);
	simulate(&s, 0, 10000);
	assert_int_equal(total_misses(v, 2), 0);
}

static void test_late_job_done_counts_one_miss(void **state)
{
	struct sched s;
	struct sim v[1];
	const uint64_t period[] = { 10 }, wcet[] = { 3 };

	sched_init(&s, SCHED_EDF, 1);
	add_tasks(&s, v, 1, period, wcet);
	sched_pick(&s, 0);
	assert_false(sched_tick(&s, 9));
	sched_tick(&s, 10);                       /* release 10 is due too */
	assert_int_equal(v[0].t.misses, 1);       /* job 1 unfinished at release */
	assert_int_equal(v[0].t.jobs, 2);
	sched_tick(&s, 11);
	sched_job_done(&s, &v[0].t, 12);          /* job 2 on time */
	assert_int_equal(v[0].t.misses, 1);
	assert_int_equal(v[0].t.state, SCHED_SLEEPING);
	assert_int_equal(v[0].t.wake_at, 20);
}

static void test_job_done_after_deadline_but_before_release_counts_miss(void **state)
{
	struct sched s;
	struct sched_task t;

	sched_init(&s, SCHED_EDF, 1);
	sched_task_init(&t, 1, 0, 10, 4, 2);       /* deadline 4 < period */
	sched_add(&s, &t, 0);
	assert_int_equal(t.abs_deadline, 4);
	sched_pick(&s, 0);
	sched_job_done(&s, &t, 6);
	assert_int_equal(t.misses, 1);
	assert_ptr_equal(sched_pick(&s, 10), &t);
	assert_int_equal(t.abs_deadline, 14);
	sched_tick(&s, 15);                         /* seen missing at a tick */
	assert_int_equal(t.misses, 2);
	sched_job_done(&s, &t, 16);                 /* not counted twice */
	assert_int_equal(t.misses, 2);
}

static void test_policy_and_state_names(void **state)
{
	enum sched_policy p;

	assert_string_equal(sched_policy_name(SCHED_RR), "rr");
	assert_string_equal(sched_policy_name(SCHED_EDF), "edf");
	assert_int_equal(sched_policy_parse("edf", &p), 0);
	assert_int_equal(p, SCHED_EDF);
	assert_int_equal(sched_policy_parse("rr", &p), 0);
	assert_int_equal(p, SCHED_RR);
	assert_int_equal(sched_policy_parse("fifo", &p), -1);
	assert_string_equal(sched_state_name(SCHED_SLEEPING), "sleeping");
	assert_string_equal(sched_state_name(42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rr_two_cpu_bound_tasks_both_progress_evenly),
		cmocka_unit_test(test_rr_quantum_is_respected),
		cmocka_unit_test(test_rr_lone_task_is_never_preempted),
		cmocka_unit_test(test_rr_yield_moves_current_to_tail),
		cmocka_unit_test(test_sleepers_cost_nothing_and_wake_on_time),
		cmocka_unit_test(test_sleepers_wake_in_wake_time_order),
		cmocka_unit_test(test_blocked_tasks_are_never_picked_until_woken),
		cmocka_unit_test(test_block_current_then_idle_returns_null),
		cmocka_unit_test(test_woken_task_goes_to_tail),
		cmocka_unit_test(test_remove_takes_task_off_every_list),
		cmocka_unit_test(test_task_iteration_lists_tasks_in_add_order),
		cmocka_unit_test(test_waitq_wakes_in_fifo_order),
		cmocka_unit_test(test_edf_picks_earliest_deadline_first),
		cmocka_unit_test(test_edf_preempts_for_an_earlier_deadline),
		cmocka_unit_test(test_edf_background_tasks_run_only_in_slack),
		cmocka_unit_test(test_edf_schedules_60_percent_set_without_misses),
		cmocka_unit_test(test_edf_schedules_70_percent_set_with_background_without_misses),
		cmocka_unit_test(test_edf_schedules_100_percent_set_without_misses),
		cmocka_unit_test(test_edf_overloaded_set_records_misses),
		cmocka_unit_test(test_rr_overloads_where_edf_does_not),
		cmocka_unit_test(test_late_job_done_counts_one_miss),
		cmocka_unit_test(test_job_done_after_deadline_but_before_release_counts_miss),
		cmocka_unit_test(test_policy_and_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
