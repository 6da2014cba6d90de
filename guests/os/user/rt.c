/* rt: periodic real-time task set for sched=edf.
 *
 *   rt [SECONDS] [UTIL]   launcher: spawns three periodic tasks (UTIL 70 or
 *                         120 percent), collects their results, prints the
 *                         total deadline misses
 *   rt task C SECS PPID   one periodic task (period set by spawn): each job
 *                         burns C ms of its own CPU time, then job_done */
#include "ulib.h"

struct rt_set {
	uint64_t period, wcet;
};

static const struct rt_set rt_70[3] = { { 20, 4 }, { 50, 10 }, { 100, 30 } };
static const struct rt_set rt_120[3] = { { 20, 8 }, { 50, 20 }, { 100, 40 } };

static int rt_task(const char *args)
{
	char w[24];
	uint64_t v[3] = { 0, 0, 0 };
	for (int i = 0; i < 3 && u_word(&args, w, sizeof(w)); i++)
		v[i] = klib_strtoul(w, NULL, 10);
	uint64_t wcet = v[0], secs = v[1], start = u_time();
	while (u_time() - start < secs * 1000) {
		uint64_t c0 = u_cputime();
		while (u_cputime() - c0 < wcet)
			;
		u_job_done();
	}
	struct task_info ti;
	u_task_info(&ti);
	u_printf("rt task %d: period %lu ms wcet %lu ms: %lu jobs, %lu deadline misses\n",
		 u_getpid(), ti.period_ms, wcet, ti.jobs, ti.misses);
	struct umsg m = { 0, { ti.jobs, ti.misses, ti.period_ms, 0 } };
	u_send((int)v[2], &m);
	return 0;
}

int main(const char *args)
{
	char w[24], a[64];
	const char *p = args;
	if (u_word(&p, w, sizeof(w)) && !strcmp(w, "task"))
		return rt_task(p);
	uint64_t secs = klib_strtoul(w, NULL, 10), util = 70;
	if (!secs)
		secs = 10;
	if (u_word(&p, w, sizeof(w)))
		util = klib_strtoul(w, NULL, 10);
	const struct rt_set *set = util > 100 ? rt_120 : rt_70;
	int me = u_getpid();
	u_printf("rt: %lu%% task set for %lu s (periods 20/50/100 ms)\n", util > 100 ? 120ul : 70ul, secs);
	for (int i = 0; i < 3; i++) {
		fmt_snprintf(a, sizeof(a), "task %lu %lu %d", set[i].wcet, secs, me);
		if (u_spawn("rt", a, set[i].period, set[i].wcet) < 0)
			u_printf("rt: spawn failed\n");
	}
	uint64_t jobs = 0, misses = 0;
	for (int i = 0; i < 3; i++) {
		struct umsg m;
		u_recv(&m);
		jobs += m.w[0];
		misses += m.w[1];
	}
	u_printf("rt: done: %lu jobs, %lu deadline misses\n", jobs, misses);
	return 0;
}
