/*
 * Guest scheduling: one run loop per CPU, and CPU time as a resource.
 *
 * Each CPU schedules the guests placed on it (g->cpu, hv/smp.c) and no
 * other: its run queue, its period, its idle time are its own, and a guest
 * never moves, so its state is only ever touched by its CPU.
 *
 * The run loop (sched_run) is the only way into a guest: pick a vCPU,
 * prepare its entry (virtual interrupts, preemption timer), enter it
 * (vmx_run returns at its next exit), dispatch the exit, and go on with the
 * same vCPU while its handler says RESUME.
 *
 * Shares. Time is cut into periods of [hv] period_us. Each guest has a
 * budget per period: its share from hv.cfg (`share = N%`), or an equal part
 * of what the named shares leave. Every TSC tick the CPU spends is charged
 * to one guest or to nobody (idle): the guest's own run time, and the hv's
 * work because of it: its exits, its device's interrupts (even while
 * another guest runs), its timer wake-ups, the switch to it (or back from
 * it, when its wake-up preempted the other). Time past a period's end
 * counts in the next period. Time a CPU spends because of another CPU's
 * guest (its device line taken and posted here, its console line drained
 * here) is that guest's and none of this CPU's guests': this CPU adds it
 * to the guest's remote_tsc (atomic), and the guest's own CPU folds it
 * into its budget and hv time at its next scheduling point.
 *
 * A guest with budget left goes before one without; guests without
 * budget run only when no guest with budget wants the CPU (the CPU never
 * idles while a guest could run). So a guest gets at least its share of
 * every period when it wants it, whatever the others do.
 *
 * Spare time (what guests with budget leave) goes in turns of a tenth of a
 * period to the guest that has had the least for its share, counting how
 * far it was ahead when the last period ended: root-mode work that no
 * timer cuts short (a long hypercall) cannot win a guest more than the
 * others over time.
 *
 * Wake-ups. A halted guest wakes when it has a virtual interrupt it can
 * take (vPIC: unmasked, not held off by one in service; its IF was 1 at
 * HLT, else it halted for good). Its next timer interrupt is known in
 * advance (virq_next_event); the running guest's preemption timer is armed
 * for the earliest such time among halted guests WITH budget, so only they
 * preempt. A woken guest without budget waits for its turn.
 *
 * Per-exit cost does not depend on the number of guests: the earliest
 * wake-up is recomputed only at scheduling points and device interrupts.
 */
#include "sched.h"
#include "barrier.h"
#include "cpu.h"
#include "exit.h"
#include "guest.h"
#include "hypercall.h"
#include "irq.h"
#include "log.h"
#include "percpu.h"
#include "pirq.h"
#include "smp.h"
#include "tracer.h"
#include "virq.h"
#include "vmx.h"
#include "xstate.h"

/* Spare time is handed out in turns of this part of a period, each to the guest that had the least. */
#define SCHED_SPARE_PARTS 10

/* Time charged after the current period's end, for the next period (per guest). */
static uint64_t sched_carry[CFG_MAX_GUESTS];

/*
 * How far each guest was ahead in spare time of the others that wanted it
 * too, when the last period ended (ticks). Root-mode work no timer can cut
 * short (a hypercall, a burst of console output) can leave a guest ahead
 * at the end of a period; it is behind by as much when the next period's
 * spare time is handed out, so over time the spare time is shared evenly.
 */
static uint64_t sched_ahead[CFG_MAX_GUESTS];

/* One CPU's scheduler: its run queue and its clock. */
struct sched_cpu {
	struct guest *rq[CFG_MAX_GUESTS];    /* the guests placed on this CPU, in hv.cfg order */
	int n;
	struct vcpu *live;           /* whose CR2, MSRs, FPU and debug state are in the CPU */
	int last;                    /* run-queue index of the guest picked last (round robin) */
	uint64_t mark;               /* time is charged up to here */
	struct guest *cause;         /* who the current root-mode time is charged to */
	uint64_t period_end;
	uint64_t next_wake;          /* earliest wake_at of a halted guest with budget */
	uint64_t next_limit;         /* earliest time limit (stop_at) of a live guest */
	bool preempt;                /* a woken guest with budget wants the CPU */
	bool idling;                 /* halted in sched_idle since idle_from */
	uint64_t idle_from;
};

static struct sched_cpu sched_cpus[HV_MAX_CPUS];

/* The scheduler of the CPU running this code. */
#define here (sched_cpus[this_cpu()])

/* Each guest g of this CPU's run queue. */
#define for_each_rq_guest(g) \
	for (int rq_i_ = 0; rq_i_ < here.n && ((g) = here.rq[rq_i_], 1); rq_i_++)

bool sched_has_budget(const struct guest *g)
{
	return g->sched.used < g->sched.budget;
}

void sched_init(void)
{
	uint32_t named[HV_MAX_CPUS] = { 0 }, unnamed[HV_MAX_CPUS] = { 0 };
	int placed[CFG_MAX_GUESTS];
	uint64_t now;
	struct guest *g;

	memset(sched_cpus, 0, sizeof(sched_cpus));
	for (int i = 0; i < hv.nguests; i++) {
		struct sched_cpu *c;

		g = &hv.guests[i];
		c = &sched_cpus[g->cpu];
		c->rq[c->n++] = g;
		named[g->cpu] += g->cfg->share_permille;
		unnamed[g->cpu] += !g->cfg->share_permille;
	}
	for (int i = 0; i < hv.nguests; i++) {
		uint32_t pm;

		g = &hv.guests[i];
		pm = g->cfg->share_permille;
		if (!pm)
			pm = named[g->cpu] < 1000 ? (1000 - named[g->cpu]) / unnamed[g->cpu] : 0;
		g->sched.permille = pm;
		g->sched.budget = hv.period_tsc / 1000 * pm;
		log_printf("hv: guest %s: CPU share %u.%u%% (%lu us of every %lu us)", g->cfg->name,
			   pm / 10, pm % 10, g->sched.budget / (hv.tsc_hz / 1000000),
			   hv.period_tsc / (hv.tsc_hz / 1000000));
		if (pcpu_count > 1)
			log_printf(" of CPU %u", g->cpu);
		log_printf("\n");
	}
	for (int i = 0; i < hv.nguests; i++)
		placed[i] = (int)hv.guests[i].cpu;
	for (unsigned c = 0; c < HV_MAX_CPUS; c++) {
		unsigned ask = sched_cpus[c].n ? cfg_shares_overcommit(&hv.bi->cfg, placed, (int)c) : 0;

		if (ask)
			log_printf("hv: the shares of the guests on CPU %u ask for %u.%u%% of it: "
				   "not every share is guaranteed\n", c, ask / 10, ask % 10);
	}
	memset(sched_carry, 0, sizeof(sched_carry));
	memset(sched_ahead, 0, sizeof(sched_ahead));
	now = cpu_rdtsc();
	for (unsigned c = 0; c < HV_MAX_CPUS; c++) {
		sched_cpus[c].last = -1;
		sched_cpus[c].mark = now;
		sched_cpus[c].period_end = now + hv.period_tsc;
		sched_cpus[c].next_wake = UINT64_MAX;
		sched_cpus[c].next_limit = UINT64_MAX;
	}
	for (int i = 0; i < hv.nguests; i++)
		sched_boot_started(&hv.guests[i], now);
}

/*
 * Charges [from, to) to the budget of g, a guest of CPU c: the part after
 * the period's end belongs to the next period (a long root-mode stretch
 * across the end is not forgiven by the refill).
 */
static void sched_charge(const struct sched_cpu *c, struct guest *g, uint64_t from, uint64_t to)
{
	uint64_t next = 0;

	if (to > c->period_end)
		next = to - MAX(from, c->period_end);
	sched_carry[g->id] += next;
	g->sched.used += to - from - next;
}

void sched_account(struct guest *g, uint64_t now)
{
	unsigned cpu = this_cpu();
	struct sched_cpu *c = &sched_cpus[cpu];

	if (now <= c->mark)
		return;
	if (g && g->cpu != cpu) {
		/* Another CPU's guest: its budget is its CPU's to touch (sched_fold_remote). */
		__atomic_fetch_add(&g->sched.remote_tsc, now - c->mark, __ATOMIC_RELAXED);
	} else if (g) {
		sched_charge(c, g, c->mark, now);
		g->sched.hv_tsc += now - c->mark;
	}
	c->mark = now;
}

/*
 * Folds into each guest of this CPU what other CPUs charged it since
 * (sched_account), as if spent just before now.
 */
static void sched_fold_remote(uint64_t now)
{
	struct guest *g;

	for_each_rq_guest(g) {
		uint64_t t;

		if (!__atomic_load_n(&g->sched.remote_tsc, __ATOMIC_RELAXED))
			continue;
		t = __atomic_exchange_n(&g->sched.remote_tsc, 0, __ATOMIC_RELAXED);
		sched_charge(&here, g, now - MIN(t, now), now);
		g->sched.hv_tsc += t;
	}
}

uint64_t sched_hv_time(const struct guest *g)
{
	return g->sched.hv_tsc + __atomic_load_n(&g->sched.remote_tsc, __ATOMIC_RELAXED);
}

void sched_blame(struct guest *g)
{
	if (g)
		here.cause = g;     /* another CPU's guest too: sched_account keeps it off this CPU's */
}

/* Charges v's last entry: root time before it to the cause, the run to v's guest. */
static void sched_charge_run(struct vcpu *v, int rc)
{
	struct guest *g = v->guest;
	struct sched_cpu *c;

	sched_account(here.cause, v->resume_tsc);
	c = &here;
	if (rc == 0 && v->exit_tsc > c->mark) {
		sched_charge(c, g, c->mark, v->exit_tsc);
		g->sched.guest_tsc += v->exit_tsc - c->mark;
		c->mark = v->exit_tsc;
	}
	c->cause = g;
}

/* Returns true if g wants more than its budget: runnable with its budget used up. */
static bool sched_wants_spare(const struct guest *g)
{
	return g->state == GUEST_RUNNABLE && !sched_has_budget(g);
}

/* What g has had this period, with what it was ahead before, per mille of its share. */
static uint64_t sched_spare_level(const struct guest *g)
{
	return (g->sched.used + sched_ahead[g->id]) * 1000 / MAX(g->sched.permille, 1u);
}

/*
 * Starts a new period if the current one is over: every budget is full
 * again, less what was carried; each guest that wanted spare time keeps
 * how far it is ahead of the one that had the least.
 */
static void sched_new_period(uint64_t now)
{
	uint64_t least = UINT64_MAX;
	struct guest *g;

	if (now < here.period_end)
		return;
	for_each_rq_guest(g)
		if (sched_wants_spare(g))
			least = MIN(least, sched_spare_level(g));
	for_each_rq_guest(g) {
		sched_ahead[g->id] = sched_wants_spare(g) ?
			(sched_spare_level(g) - least) * MAX(g->sched.permille, 1u) / 1000 : 0;
		g->sched.used = sched_carry[g->id];
		sched_carry[g->id] = 0;
	}
	here.period_end += hv.period_tsc;
	if (here.period_end <= now)
		here.period_end = now + hv.period_tsc;
}

/* Recomputes each halted guest's next wake-up and the earliest one among those with budget. */
static void sched_update_wakes(uint64_t now)
{
	here.next_wake = UINT64_MAX;
	struct guest *g;

	for_each_rq_guest(g) {
		if (g->state != GUEST_HALTED)
			continue;
		g->sched.wake_at = virq_next_event(g, now);
		if (sched_has_budget(g))
			here.next_wake = MIN(here.next_wake, g->sched.wake_at);
	}
}

/* Wakes g if it has a virtual interrupt it can take. Returns true if it woke. */
static bool sched_try_wake(struct guest *g)
{
	if (g->state != GUEST_HALTED || !virq_pending(g))
		return false;
	g->state = GUEST_RUNNABLE;
	g->sched.woken = true;
	if (sched_has_budget(g)) {
		if (!here.preempt)
			sched_blame(g);     /* the preemption it causes is its cost */
		here.preempt = true;
	}
	return true;
}

/* Brings the halted guests' timers up to now and wakes those that can take an interrupt. */
static void sched_wake_halted(uint64_t now)
{
	struct guest *g;

	for_each_rq_guest(g) {
		if (g->state != GUEST_HALTED || g->sched.wake_at > now)
			continue;
		virq_update_timer(g, now, true);
		sched_try_wake(g);
	}
	sched_update_wakes(now);
}

void sched_kick(struct guest *g)
{
	if (!sched_try_wake(g) && g->state == GUEST_HALTED && sched_has_budget(g)) {
		/* Its vPIC changed: its timer may now be deliverable, or no longer. */
		g->sched.wake_at = virq_next_event(g, cpu_rdtsc());
		here.next_wake = MIN(here.next_wake, g->sched.wake_at);
	}
}

bool sched_preempt_wanted(void)
{
	return here.preempt;
}

bool sched_timer(struct vcpu *v, uint64_t now)
{
	bool yield = now >= v->guest->sched.slice_end || now >= here.next_limit;

	if (now >= here.period_end) {
		sched_new_period(now);
		yield = true;               /* budgets are full again: choose afresh */
	}
	if (now >= here.next_wake)
		sched_wake_halted(now);
	return yield || here.preempt;
}

/*
 * Returns the next guest to run: woken with budget, then runnable with
 * budget (round robin), then for the CPU's spare time the runnable guest
 * that has had the least of it (sched_spare_level). Not in table order:
 * the guest after a heartbeat would get all of it.
 */
static struct guest *sched_pick(void)
{
	struct guest *spare = NULL;
	int n = here.n;

	for (int pass = 0; pass < 2; pass++) {
		for (int k = 1; k <= n; k++) {
			struct guest *g = here.rq[(here.last + k + n) % n];
			if (g->state != GUEST_RUNNABLE || !sched_has_budget(g))
				continue;
			if (pass == 0 && !g->sched.woken)
				continue;
			return g;
		}
	}
	for (int k = 1; k <= n; k++) {
		struct guest *g = here.rq[(here.last + k + n) % n];
		if (g->state == GUEST_RUNNABLE && (!spare || sched_spare_level(g) < sched_spare_level(spare)))
			spare = g;
	}
	return spare;
}

/* Puts v's CR2, switched MSRs, FPU and debug registers into the CPU (the VMCS holds the rest). */
static void sched_switch_to(struct vcpu *v)
{
	struct vcpu *from = here.live;

	if (from == v)
		return;
	barrier_guest_switch();
	if (from)
		from->cr2 = cpu_read_cr2();
	cpu_write_cr2(v->cr2);
	vmx_switch_msrs(from, v);
	xstate_switch(from, v);
	here.live = v;
}

/* Returns true if a guest other than g is runnable: g's spare time is shared with it. */
static bool sched_spare_shared(const struct guest *g)
{
	struct guest *o;

	for_each_rq_guest(o)
		if (o != g && o->state == GUEST_RUNNABLE)
			return true;
	return false;
}

/*
 * The earliest time limit of this CPU's live guests, running or halted:
 * the running guest's preemption timer is armed for it too, so a limit is
 * kept to the microsecond, not at the end of a turn.
 */
static void sched_update_limits(void)
{
	struct guest *o;

	here.next_limit = UINT64_MAX;
	for_each_rq_guest(o)
		if (o->state == GUEST_RUNNABLE || o->state == GUEST_HALTED)
			here.next_limit = MIN(here.next_limit, o->sched.stop_at);
}

/* Gives g the CPU from now: its state in the CPU, its timer caught up, its turn's end. */
static struct vcpu *sched_start_turn(struct guest *g, uint64_t now)
{
	struct sched_share *s = &g->sched;
	uint64_t slice = hv.slice_tsc;

	/*
	 * The switch is the doing of whoever ended the last turn (its HLT or
	 * slice end, or a wake-up that preempted it); from idle, g's own.
	 */
	if (!here.cause)
		here.cause = g;
	sched_switch_to(&g->vcpu);
	for (int k = 0; k < here.n; k++)
		if (here.rq[k] == g)
			here.last = k;
	here.preempt = false;
	s->woken = false;
	if (sched_has_budget(g))
		slice = MIN(slice, s->budget - s->used);
	else if (sched_spare_shared(g))
		slice = MIN(slice, hv.period_tsc / SCHED_SPARE_PARTS);
	s->slice_end = now + slice;
	sched_update_limits();
	virq_update_timer(g, now, true);
	sched_update_wakes(now);
	return &g->vcpu;
}

/* Sets when g's current boot reaches its time limit (hv.cfg time_limit_ms). */
void sched_boot_started(struct guest *g, uint64_t now)
{
	uint32_t ms = g->cfg->time_limit_ms;

	g->sched.stop_at = ms ? now + hv.tsc_hz / 1000 * ms : UINT64_MAX;
}

/* Stops the guests whose time limit has passed (a watchdog for runaway guests). */
static void sched_time_limits(uint64_t now)
{
	struct guest *g;

	for_each_rq_guest(g) {
		if ((g->state != GUEST_RUNNABLE && g->state != GUEST_HALTED) || now < g->sched.stop_at)
			continue;
		virq_update_timer(g, now, false);   /* its summary counts the ticks it lost halted */
		guest_stop(g, "time limit of %u ms reached", g->cfg->time_limit_ms);
	}
}

/* Closes the boots that ended since the last scheduling point (guest_stop and the like change state only). */
static void sched_close_boots(void)
{
	struct guest *g;

	for_each_rq_guest(g)
		if (g->boot_over)
			guest_close_boot(g);
}

/* Boots again the stopped guests whose restart is due. */
static void sched_restarts(void)
{
	struct guest *g;

	for_each_rq_guest(g) {
		if (!g->sched.restart_due)
			continue;
		g->sched.restart_due = false;
		if (here.live == &g->vcpu)
			here.live = NULL;  /* the CPU holds the last boot's state: never save it */
		sched_account(here.cause, cpu_rdtsc());
		here.cause = g;    /* reloading its image is its own cost */
		guest_restart(g);
	}
}

bool sched_request(struct guest *g, unsigned op, const struct guest *from)
{
	struct pcpu *c = &pcpus[g->cpu];
	bool kicked;

	/*
	 * The latest request wins; the flag tells g's CPU to look (release:
	 * after the request). One kick until that CPU takes its requests: a
	 * manager calling in a loop cannot storm another CPU with IPIs.
	 */
	__atomic_store_n(&g->ctl_req, op | (uint32_t)from->id << 8, __ATOMIC_RELEASE);
	kicked = __atomic_exchange_n(&c->requests, true, __ATOMIC_SEQ_CST);
	if (g->cpu == this_cpu())
		return true;
	if (!kicked && pirq_kick(c->apic_id) < 0)
		log_printf("hv: guest %s: the IPI to its CPU %u was not sent: the request waits for its "
			   "next scheduling point\n", g->cfg->name, g->cpu);
	return false;
}

void sched_requests_arrived(void)
{
	struct guest *g;

	if (!__atomic_load_n(&this_pcpu()->requests, __ATOMIC_ACQUIRE))
		return;
	here.preempt = true;
	/* The kick and the scheduling point it forces are the managed guest's cost, not the running one's. */
	for_each_rq_guest(g)
		if (__atomic_load_n(&g->ctl_req, __ATOMIC_RELAXED)) {
			sched_blame(g);
			break;
		}
}

/* Carries out g's request op from guest `from`: a stop is final, a restart boots g again. */
static void sched_carry_out(struct guest *g, unsigned op, const struct guest *from, uint64_t now)
{
	bool live = g->state == GUEST_RUNNABLE || g->state == GUEST_HALTED;

	if (g->state == GUEST_HALTED)
		virq_update_timer(g, now, false);   /* its summary counts the ticks it lost halted */
	if (op == HC_CTL_STOP) {
		if (live)
			guest_stop_asked(g, "stop asked by guest %s", from->cfg->name);
		else if (g->sched.restart_due)
			log_printf("hv: guest %s: stop asked by guest %s: its restart is cancelled\n",
				   g->cfg->name, from->cfg->name);
		else
			log_printf("hv: guest %s: stop asked by guest %s: it has ended already\n",
				   g->cfg->name, from->cfg->name);
		g->sched.restart_due = false;
	} else if (op == HC_CTL_RESTART) {
		if (live)
			guest_stop_asked(g, "restart asked by guest %s", from->cfg->name);
		else
			log_printf("hv: guest %s: restart asked by guest %s\n", g->cfg->name,
				   from->cfg->name);
		g->sched.restart_due = true;
	}
}

/*
 * Managers' requests for this CPU's guests (HC_GUEST_CTL, from any CPU).
 * A parked CPU is running again once it takes one (smp_cpu_back, before
 * the flag is cleared: the last CPU to park sees either).
 */
static void sched_take_requests(uint64_t now)
{
	struct pcpu *c = this_pcpu();
	struct guest *g;

	if (!__atomic_load_n(&c->requests, __ATOMIC_ACQUIRE))
		return;
	smp_cpu_back();
	__atomic_store_n(&c->requests, false, __ATOMIC_SEQ_CST);
	for_each_rq_guest(g) {
		uint32_t req = __atomic_exchange_n(&g->ctl_req, 0, __ATOMIC_ACQUIRE);

		if (req)
			sched_carry_out(g, req & 0xff, &hv.guests[req >> 8], now);
	}
}

/*
 * No halted guest of this CPU can ever wake (each has its interrupts
 * masked or held off by one in service, and no device line): each has
 * ended. Reports them with their figures (the ticks their PIT made since
 * are lost); the CPU is done.
 */
static void sched_end_halted(uint64_t now)
{
	struct guest *g;

	if (pcpu_count > 1)
		log_printf("hv: every remaining guest on CPU %u is halted with nothing to wake it\n",
			   this_cpu());
	else
		log_printf("hv: every remaining guest is halted with nothing to wake it\n");

	for_each_rq_guest(g) {
		if (g->state != GUEST_HALTED)
			continue;
		virq_update_timer(g, now, false);
		guest_halted_masked(g);
	}
	sched_close_boots();
	smp_cpu_done();
}

/*
 * Halts the CPU until the earliest virtual timer of a halted guest, the
 * earliest time limit of one (sched_time_limits stops it then), or a
 * routed device interrupt. The CPU is done if none of its guests could
 * ever run again: a guest that can never wake has ended at its HLT, time
 * limit or not.
 */
static void sched_idle(uint64_t now)
{
	uint64_t wake = UINT64_MAX, limit = UINT64_MAX;
	bool halted = false, has_lines = false;
	struct guest *g;

	for_each_rq_guest(g) {
		if (g->state != GUEST_HALTED)
			continue;
		halted = true;
		wake = MIN(wake, g->sched.wake_at);
		limit = MIN(limit, g->sched.stop_at);
		has_lines |= g->cfg->irqs != 0;
	}
	if (!halted) {
		smp_cpu_done();          /* returns if a manager's request brings the CPU back */
		return;
	}
	if (wake == UINT64_MAX && !has_lines) {
		sched_end_halted(now);
		return;
	}
	wake = MIN(wake, limit);
	log_drain(LOG_DRAIN_ALL);        /* the channels' time is free now */
	trace_drain(UINT32_MAX);
	now = cpu_rdtsc();
	if (wake <= now)
		return;
	if (wake != UINT64_MAX)
		pirq_wake_at(wake, now);         /* this CPU's own wake-up timer (hv/pirq.h) */
	here.idle_from = now;
	here.idling = true;
	cpu_idle_until_interrupt();
	if (here.idling)                 /* nothing the IDT routes woke it (an NMI) */
		sched_idle_interrupt(NULL);
}

void sched_idle_interrupt(struct guest *owner)
{
	struct sched_cpu *c = &here;
	uint64_t now;

	if (!c->idling)
		return;                      /* parked, or not halted in sched_idle */
	now = cpu_rdtsc();
	c->idling = false;
	this_pcpu()->idle_tsc += now - c->idle_from;
	c->mark = now;
	sched_blame(owner);
}

/* Chooses the next vCPU and gives it the CPU; idles while every guest waits. */
static struct vcpu *sched_next(void)
{
	for (;;) {
		uint64_t now = cpu_rdtsc();
		struct guest *g;

		sched_account(here.cause, now);
		sched_take_requests(now);
		sched_fold_remote(now);
		sched_time_limits(now);
		sched_close_boots();
		sched_restarts();
		sched_new_period(now);
		sched_wake_halted(now);
		g = sched_pick();
		if (g)
			return sched_start_turn(g, now);
		here.cause = NULL;
		sched_idle(now);
	}
}

/* The end of v's guest's turn, a budgeted guest's wake-up, or the period's end. */
static uint64_t sched_deadline(const struct guest *g)
{
	struct sched_cpu *c = &here;

	return MIN(MIN(g->sched.slice_end, c->period_end), MIN(c->next_wake, c->next_limit));
}

void sched_run(void)
{
	for (;;) {
		struct vcpu *v = sched_next();
		enum exit_action act;

		do {
			vmx_load(v);
			virq_prepare_entry(v, cpu_rdtsc(), sched_deadline(v->guest));
			if (hv.vmcheck)
				vmx_check_entry(v);
			trace_resume(v);
			int rc = vmx_run(v);
			sched_charge_run(v, rc);
			act = rc ? exit_vmfail(v, rc) : exit_dispatch(v);
			if (log_pending())
				log_drain(LOG_DRAIN_CHUNK);
		} while (act == EXIT_RESUME && v->guest->state == GUEST_RUNNABLE);
	}
}

void sched_charge_log(int owner, bool start)
{
	/* The hv's own lines stay with whoever caused the exit that printed them. */
	if (owner < 0 || owner >= hv.nguests)
		return;
	/* Another CPU's guest's line is its time too (sched_account keeps it off this CPU's guests). */
	if (start)
		sched_account(here.cause, cpu_rdtsc());
	else
		sched_account(&hv.guests[owner], cpu_rdtsc());
}
