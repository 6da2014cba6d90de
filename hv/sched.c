/*
 * Guest scheduling on one CPU. Guests are time-sliced round-robin by the
 * VMX preemption timer (hv/virq.c arms it); a guest that executes HLT
 * leaves the run queue until it has a virtual interrupt to take (its
 * virtual PIT's next edge, or a routed device line). When every guest is
 * halted, the CPU halts too, woken by the physical PIT in one-shot mode
 * at the earliest guest timer, or by a routed device interrupt.
 */
#include "hv.h"
#include "cpu.h"
#include "irq.h"
#include "log.h"
#include "pic.h"
#include "virq.h"
#include "exit.h"
#include "xstate.h"
#include "tracer.h"

/* Switches CPU state the VMCS does not hold from one guest to another. */
static void sched_switch(struct vcpu *from, struct vcpu *to)
{
	from->cr2 = cpu_read_cr2();
	cpu_write_cr2(to->cr2);
	vmx_switch_msrs(from, to);
	xstate_switch(from, to);
}

/* Makes halted guests with a deliverable virtual interrupt runnable again. Returns how many woke. */
static unsigned sched_wake(uint64_t now)
{
	unsigned woken = 0;

	for (int i = 0; i < hv.nguests; i++) {
		struct guest *g = &hv.guests[i];
		if (g->state != GUEST_HALTED)
			continue;
		virq_update_timer(g, now, false);
		if (virq_pending(g)) {
			g->state = GUEST_RUNNABLE;
			woken++;
		}
	}
	return woken;
}

bool sched_wake_others(struct guest *running, uint64_t now)
{
	return sched_wake(now) > 0;
}

uint64_t sched_next_wake(const struct guest *running, uint64_t now)
{
	uint64_t wake = UINT64_MAX;

	for (int i = 0; i < hv.nguests; i++) {
		struct guest *g = &hv.guests[i];
		if (g != running && g->state == GUEST_HALTED)
			wake = MIN(wake, virq_next_event(g, now));
	}
	return wake;
}

/* Returns the next runnable guest after index start (wrapping, start itself last), or NULL. */
static struct guest *sched_pick(int start)
{
	for (int k = 1; k <= hv.nguests; k++) {
		struct guest *g = &hv.guests[(start + k + hv.nguests) % hv.nguests];
		if (g->state == GUEST_RUNNABLE)
			return g;
	}
	return NULL;
}

/*
 * Halts the CPU until the earliest virtual timer of a halted guest, or a
 * routed device interrupt. Ends the hv if nothing could ever wake a guest.
 */
static void sched_idle(uint64_t now)
{
	uint64_t wake = UINT64_MAX;
	bool halted = false, has_lines = false;

	for (int i = 0; i < hv.nguests; i++) {
		struct guest *g = &hv.guests[i];
		if (g->state != GUEST_HALTED)
			continue;
		halted = true;
		wake = MIN(wake, virq_next_event(g, now));
		has_lines |= g->cfg->irqs != 0;
	}
	if (!halted)
		hv_shutdown();
	if (wake == UINT64_MAX && !has_lines) {
		log_printf("hv: every remaining guest is halted with nothing to wake it\n");
		hv_shutdown();
	}
	trace_drain(UINT32_MAX);         /* the channel's time is free now */
	now = cpu_rdtsc();
	if (wake <= now)
		return;
	if (wake != UINT64_MAX)
		pit_oneshot(wake - now, hv.tsc_hz);
	/* STI's one-instruction shadow makes "sti; hlt" atomic: no wake-up is lost. */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	hv.idle_tsc += cpu_rdtsc() - now;
}

struct vcpu *sched_next(struct vcpu *cur)
{
	int start = cur ? cur->guest->id : -1;

	for (;;) {
		uint64_t now = cpu_rdtsc();
		sched_wake(now);
		struct guest *g = sched_pick(start);
		if (g) {
			if (cur && &g->vcpu != cur)
				sched_switch(cur, &g->vcpu);
			virq_update_timer(g, now, true);
			g->slice_end = now + hv.slice_tsc;
			return &g->vcpu;
		}
		sched_idle(now);
	}
}

void hv_enter(struct vcpu *v)
{
	vmx_load(v);
	virq_prepare_entry(v);
	trace_resume(v);
	vmx_enter(v);
}
