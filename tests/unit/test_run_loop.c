/*
 * The run loop and the scheduler on the host (tests/unit/hvhost): the fake
 * vmx_run behaves as VM entry and returns scripted exits. Issue 8 item 3
 * (the VMCS life cycle) and issue 7 item 2 (CPU time as a resource).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "exit.h"
#include "guest.h"
#include "hypercall.h"
#include "irq.h"
#include "percpu.h"
#include "log.h"
#include "sched.h"
#include "virq.h"

#define HV   "[hv]\ntrace = off\n"
#define GA   "[guest a]\nimage = \\a.elf\nmemory = 4M\n"
#define GB   "[guest b]\nimage = \\b.elf\nmemory = 4M\n"

/* The guest executes HLT with interrupts on or off. */
static void set_if(struct vcpu *v, void *arg)
{
	uint64_t rf = fake_vmcs_get(GUEST_RFLAGS);

	(void)v;
	fake_vmcs_set(GUEST_RFLAGS, arg ? rf | RFLAGS_IF : rf & ~RFLAGS_IF);
}

static struct fake_exit hlt_exit(bool intr_on)
{
	return (struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1,
				   .before = set_if, .arg = intr_on ? (void *)1 : NULL };
}

static void set_vmcall(struct vcpu *v, void *arg)
{
	v->regs.rax = (uintptr_t)arg;
}

static struct fake_exit vmcall_exit(unsigned nr)
{
	return (struct fake_exit){ .reason = EXIT_REASON_VMCALL, .insn_len = 3,
				   .before = set_vmcall, .arg = (void *)(uintptr_t)nr };
}

static struct fake_exit ept_exit(void)
{
	return (struct fake_exit){ .reason = EXIT_REASON_EPT_VIOLATION, .qual = 2, .gpa = 0x40000000 };
}

/* ---- the VMCS life cycle (issue 8 item 3) ---------------------------- */

/*
 * test_fault = vmresume spoils the guest state after its first hypercall:
 * VMRESUME fails the guest-state checks. The VMCS stays launched (SDM: only
 * a successful VMLAUNCH changes the launch state), the guest is stopped and
 * restarted with a VMCLEARed VMCS, and its VMLAUNCH succeeds.
 */
static void test_failed_vmresume_and_restart_boot_again(void **state)
{
	(void)state;
	host_boot(HV GA "restart = yes\ntest_fault = vmresume\n");
	host_script(vmcall_exit(HC_VERSION));
	host_script(hlt_exit(false));
	assert_true(host_run());
	assert_true(fake_run.nentries >= 3);
	assert_true(fake_run.entries[0].launch && fake_run.entries[0].rc == 0);
	assert_false(fake_run.entries[1].launch);
	assert_true(fake_run.entries[1].guest_state_failed);
	assert_true(fake_run.entries[2].launch);
	assert_int_equal(fake_run.entries[2].rc, 0);
	assert_int_equal(fake_run.entries[2].insn_error, 0);
	assert_true(fake_log_has("hv: guest a stopped: VM entry failed: invalid guest state"));
	assert_true(fake_log_has("hv: guest a restarted (boot 2)"));
	assert_true(fake_log_has("hv: guest a halted with interrupts off"));
	assert_int_equal(hv.guests[0].boots, 2);
}

/* The guest's live CR2 and SYSCALL MSRs when it stopped are not the next boot's. */
static void dirty_cpu_state(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	fake.cr2 = 0xdead000;
	fake_set_msr(MSR_IA32_LSTAR, 0xffffffff81000000ull);
}

static uint64_t cr2_seen, lstar_seen;

static void note_cpu_state(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	cr2_seen = fake.cr2;
	lstar_seen = fake_get_msr(MSR_IA32_LSTAR);
}

static void test_restart_starts_with_fresh_cr2_and_msrs(void **state)
{
	(void)state;
	host_boot(HV GA "restart = yes\n");
	host_script((struct fake_exit){ .reason = EXIT_REASON_EPT_VIOLATION, .qual = 2, .gpa = 0x40000000,
				   .before = dirty_cpu_state });
	host_script((struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1, .before = note_cpu_state });
	assert_true(host_run());
	assert_true(fake_log_has("restarted (boot 2)"));
	assert_int_equal(cr2_seen, 0);
	assert_int_equal(lstar_seen, 0);
}

/* A restart gets a VMCLEARed VMCS and flushed translations. */
static void test_restart_clears_the_vmcs_and_flushes_the_tlb(void **state)
{
	uint64_t flushes;

	(void)state;
	host_boot(HV GA "restart = yes\n");
	flushes = fake.invvpid_count;
	host_script(ept_exit());
	host_script(hlt_exit(false));
	assert_true(host_run());
	assert_true(fake_run.entries[1].launch);
	assert_true(fake.invvpid_count > flushes);
}

/* A level line masked while its stopped owner had not acknowledged it is open again after the restart. */
static void raise_level_irq5(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	hv_irq(0x25);
}

static uint8_t imr_at_next_boot;

static void note_imr(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	imr_at_next_boot = fake.pic_imr[0];
}

static void tweak_level_irq5(void)
{
	fake.elcr[0] = 1u << 5;
}

static void test_level_line_of_a_stopped_guest_is_released_on_restart(void **state)
{
	(void)state;
	host_tweak = tweak_level_irq5;
	host_boot(HV GA "restart = yes\nirqs = 5\n");
	host_tweak = NULL;
	assert_false(fake.pic_imr[0] & (1u << 5));
	host_script((struct fake_exit){ .reason = EXIT_REASON_EPT_VIOLATION, .qual = 2, .gpa = 0x40000000,
				   .before = raise_level_irq5 });
	host_script((struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1, .before = note_imr });
	assert_true(host_run());
	assert_false(imr_at_next_boot & (1u << 5));
}

/* ---- guests that end (issue 7 item 2) -------------------------------- */

/* cli; hlt with nothing to wake it: the guest has ended, and does not keep the hv alive. */
static void test_cli_hlt_ends_the_guest_and_the_hv(void **state)
{
	(void)state;
	host_boot(HV GA "irqs = 5\n");               /* a routed line could wake it: IF=0 still ends it */
	host_script(hlt_exit(false));
	assert_true(host_run());
	assert_int_equal(hv.guests[0].state, GUEST_HALTED_OFF);
	assert_true(fake_log_has("hv: guest a halted with interrupts off: nothing can wake it, it has ended"));
	assert_true(fake_log_has("hv: all guests ended; status 0"));
}

/* ---- the log ring (issue 7 item 2) ----------------------------------- */

/*
 * LOG_DRAIN_ALL (idle, a full ring, the end, a panic) sends everything
 * waiting. It sent nothing once anything had been sent: the end of the
 * chunk, tail + SIZE_MAX, wrapped below the tail.
 */
static void test_log_drain_all_sends_everything_waiting(void **state)
{
	(void)state;
	host_boot(HV GA);                    /* the hv's boot lines went out */
	fake_log_clear();
	assert_true(log_guest_line(0, "[a] one\n", 8));
	assert_true(log_guest_line(0, "[a] two\n", 8));
	log_drain(LOG_DRAIN_ALL);
	assert_true(fake_log_has("[a] one\n[a] two\n"));
}

/* ---- console output (issue 7 item 2) --------------------------------- */

#define CON_GPA 0x20000u

struct con_calls {
	uint32_t len;                /* bytes per HC_CONSOLE call */
	unsigned calls;
	uint64_t went;               /* what the calls returned: bytes that went to the log */
};

/* The guest calls HC_CONSOLE with its buffer; the last call's result is in RAX. */
static void console_call(struct vcpu *v, void *arg)
{
	struct con_calls *c = arg;

	if (c->calls++)
		c->went += v->regs.rax;
	v->regs.rax = HC_CONSOLE;
	v->regs.rbx = CON_GPA;
	v->regs.rcx = c->len;
}

/* The guest ends (cli; hlt) after its last call, whose result is counted. */
static void console_last(struct vcpu *v, void *arg)
{
	struct con_calls *c = arg;

	c->went += v->regs.rax;
	set_if(v, NULL);
}

/* A console line goes to the log tagged with the guest's name; a NUL ends its text, as always. */
static void test_console_lines_are_tagged(void **state)
{
	static const char text[] = "hello\0hidden\nworld\n";
	struct con_calls c = { .len = sizeof(text) - 1 };

	(void)state;
	host_boot(HV GA);
	fake_log_clear();                       /* the boot lines are not the guest's */
	memcpy(host_gpa(0, CON_GPA), text, sizeof(text) - 1);
	host_script((struct fake_exit){ .reason = EXIT_REASON_VMCALL, .insn_len = 3,
				   .before = console_call, .arg = &c });
	host_script((struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1,
				   .before = console_last, .arg = &c });
	assert_true(host_run());
	assert_true(fake_log_has("[a] hello\n[a] world\n"));
	assert_false(fake_log_has("hidden"));
	assert_int_equal(c.went, c.len);
}

/*
 * A guest flooding its console (HC_CONSOLE of 4096 one-byte lines, again
 * and again) fills its quota of the log ring: the rest is dropped and
 * counted, the count goes to its console when there is room again and to
 * its summary, and every byte either went or was counted as dropped.
 */
static void test_console_flood_is_dropped_and_counted(void **state)
{
	struct con_calls c = { .len = 4096 };

	(void)state;
	host_boot(HV GA);
	memset(host_gpa(0, CON_GPA), '\n', c.len);
	for (int i = 0; i < 16; i++)
		host_script((struct fake_exit){ .reason = EXIT_REASON_VMCALL, .insn_len = 3,
					   .before = console_call, .arg = &c });
	host_script((struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1,
				   .before = console_last, .arg = &c });
	assert_true(host_run());
	assert_true(hv.guests[0].con_dropped > 0);
	assert_int_equal(c.went + hv.guests[0].con_dropped, 16 * 4096);
	assert_true(fake_log_has("[a] \n"));
	assert_true(fake_log_has(" console bytes dropped: output faster than the log drains)\n"));
	assert_true(fake_log_has("hv: guest a: "));
	assert_true(fake_log_has(" console bytes dropped, 0 refusal lines suppressed\n"));
}

/* ---- CPU shares (issue 7 item 2) ------------------------------------- */

/* Programs a guest's PIT channel 0 to mode 2 with count from TSC start, IRQ 0 masked or not. */
static void program_pit_at(struct guest *g, uint16_t count, bool masked, uint64_t start)
{
	vpic_write(&g->pic, 0x20, 0x11);
	vpic_write(&g->pic, 0x21, 0x20);
	vpic_write(&g->pic, 0x21, 0x04);
	vpic_write(&g->pic, 0x21, 0x01);
	vpic_write(&g->pic, 0x21, masked ? 0xff : 0xfe);
	vpit_write(&g->pit, 0x43, 0x34, start);
	vpit_write(&g->pit, 0x40, (uint8_t)count, start);
	vpit_write(&g->pit, 0x40, (uint8_t)(count >> 8), start);
}

/* The same from now. */
static void program_pit(struct guest *g, uint16_t count, bool masked)
{
	program_pit_at(g, count, masked, cpu_rdtsc());
}

/* Spinner b runs until its preemption timer; a halts once with its PIT programmed. */
static struct fake_exit gen_spinner(struct vcpu *v, void *arg)
{
	uint64_t *guest_time = arg;
	uint64_t run = fake_vmcs_get(VMX_PREEMPTION_TIMER_VALUE) << 5;

	if (fake_run.nentries > 3000 && fake_run.done_jmp)
		longjmp(*fake_run.done_jmp, 1);
	if (v->guest->id == 1) {
		guest_time[1] += run;
		return (struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER, .tsc_advance = run };
	}
	/* a: took its interrupt (if any) and halts again at once. */
	guest_time[0] += 100;
	return (struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1, .tsc_advance = 100,
				   .before = set_if, .arg = (void *)1 };
}

/*
 * A halted guest whose PIT runs at count 2 with IRQ 0 masked can never
 * take an interrupt: it never wakes and never cuts the running guest's
 * turn. Before, the running guest's preemption timer was armed for every
 * edge (1.7 us).
 */
static void test_masked_fast_timer_of_a_halted_guest_never_preempts(void **state)
{
	uint64_t t[2] = { 0, 0 }, start;
	unsigned b_entries = 0;

	(void)state;
	host_boot(HV GA GB);
	program_pit(&hv.guests[0], 2, true);
	start = fake.tsc;
	host_script(hlt_exit(true));                      /* a halts first */
	fake_run.generator = gen_spinner;
	fake_run.generator_arg = t;
	host_run();
	for (unsigned i = 0; i < fake_run.nentries && i < FAKE_MAX_ENTRIES; i++)
		b_entries += fake_run.entries[i].guest == 1;
	assert_true(b_entries > 100);
	/* b is entered once per turn (a slice or the rest of a period), not per PIT edge of a. */
	assert_true((fake.tsc - start) / b_entries >= hv.period_tsc / 4);
	assert_int_equal(hv.guests[0].state, GUEST_HALTED);
	assert_int_equal(hv.guests[0].virqs_injected, 0);
}

/*
 * The same guest with IRQ 0 unmasked at count 2: its interrupts come at
 * most every 119 PIT clocks (~10 kHz), each charged to it, and the
 * spinner keeps at least its half of the CPU.
 */
static void test_fast_timer_guest_gets_its_share_and_no_more(void **state)
{
	uint64_t t[2] = { 0, 0 }, start;

	(void)state;
	host_boot(HV GA GB);
	program_pit(&hv.guests[0], 2, false);
	start = fake.tsc;
	host_script(hlt_exit(true));
	fake_run.generator = gen_spinner;
	fake_run.generator_arg = t;
	host_run();
	uint64_t elapsed = fake.tsc - start;
	/* b (the spinner) ran at least 45% of the time, a was charged for its wake-ups. */
	assert_true(t[1] * 100 / elapsed >= 45);
	assert_true(hv.guests[0].sched.hv_tsc > 0);
	/* a's interrupts: no more than one per 119 PIT clocks. */
	uint64_t max_irqs = elapsed * 1193182ull / hv.tsc_hz / 119 + 2;
	assert_true(hv.guests[0].virqs_injected <= max_irqs);
}

/*
 * A device interrupt of another guest is charged to its owner, not to the
 * guest it interrupted: b owns IRQ 5 and has not run yet; the interrupt
 * comes while a runs, and its handling and a's re-entry are b's.
 */
static void test_device_interrupt_is_charged_to_its_owner(void **state)
{
	(void)state;
	host_boot(HV GA GB "irqs = 5\n");
	host_script((struct fake_exit){ .reason = EXIT_REASON_EXTERNAL_INTERRUPT,
				   .intr_info = 0x80000000u | 0x25, .tsc_advance = 10 });
	host_script(vmcall_exit(HC_VERSION));
	host_run();
	assert_int_equal(fake_run.entries[1].guest, 0);
	assert_int_equal(hv.guests[1].sched.guest_tsc, 0);
	assert_true(hv.guests[1].sched.hv_tsc > 0);
	assert_int_equal(irq_count[5], 1);
}

/* What each guest of a share test does on every entry; its guest time is counted. */
enum role { ROLE_SPIN, ROLE_TICK, ROLE_OVERRUN };

struct share_run {
	enum role role[3];
	uint64_t time[3];            /* guest time each got */
	uint64_t until;              /* each guest ends (cli; hlt) at its first exit after this TSC */
	bool ended;                  /* the hv ended */
};

#define GC          "[guest c]\nimage = \\c.elf\nmemory = 4M\n"
#define OVERRUN_TSC 254000ull    /* 1.27 ms at 200 MHz: an HC_CONSOLE of spam under Bochs */
#define OVERRUN_GUEST_TSC 6400ull  /* 32 us: the spammer fills its next 4096 bytes */

/*
 * SPIN runs until its preemption timer; TICK took its timer interrupt,
 * EOIs and halts with interrupts on; OVERRUN makes a hypercall after 32 us
 * (if its timer lets it run that long) whose handling keeps the hv in root
 * mode for 1.3 ms, where no preemption timer runs.
 */
static struct fake_exit gen_roles(struct vcpu *v, void *arg)
{
	struct share_run *r = arg;
	uint64_t run = fake_vmcs_get(VMX_PREEMPTION_TIMER_VALUE) << 5;
	int id = v->guest->id;

	if (fake.tsc > r->until)
		return hlt_exit(false);            /* time is up: each guest ends (cli; hlt) */
	switch (r->role[id]) {
	case ROLE_SPIN:
		r->time[id] += run;
		return (struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER, .tsc_advance = run };
	case ROLE_TICK:
		vpic_write(&v->guest->pic, 0x20, 0x20);
		r->time[id] += 100;
		return (struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1, .tsc_advance = 100,
					   .before = set_if, .arg = (void *)1 };
	default:
		if (run < OVERRUN_GUEST_TSC) {
			r->time[id] += run;
			return (struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER, .tsc_advance = run };
		}
		r->time[id] += OVERRUN_GUEST_TSC + OVERRUN_TSC;
		return (struct fake_exit){ .reason = EXIT_REASON_VMCALL, .insn_len = 3,
					   .tsc_advance = OVERRUN_GUEST_TSC, .root_advance = OVERRUN_TSC,
					   .before = set_vmcall, .arg = (void *)(uintptr_t)HC_VERSION };
	}
}

/* Runs the booted guests in their roles for `periods` share periods, then ends them. Returns the elapsed time. */
static uint64_t run_roles(struct share_run *r, unsigned periods)
{
	uint64_t start = fake.tsc;

	r->until = start + periods * hv.period_tsc;
	fake_run.generator = gen_roles;
	fake_run.generator_arg = r;
	r->ended = host_run();
	return fake.tsc - start;
}

/*
 * The CPU's spare time (what guests with budget leave) is shared evenly
 * between the guests that want it, whatever the phase of a heartbeat
 * beside them: one whose hypercalls keep the hv in root mode for 1.3 ms
 * (no timer cuts them short) gets no more than a spinner. Before: the
 * guest after the heartbeat in the table got all of it (the spinner had
 * 33%, the other 66%); then, handed out per period to the guest that had
 * the least, the last long hypercall of each period still left the other
 * ahead (52% against 47.5%).
 */
static void test_spare_time_is_shared_evenly(void **state)
{
	(void)state;
	for (unsigned phase = 0; phase < 10; phase++) {
		struct share_run r = { .role = { ROLE_OVERRUN, ROLE_SPIN, ROLE_TICK } };
		uint64_t elapsed;

		host_boot(HV GA GB GC);
		/* c: 100 Hz, its ticks `phase` ms into each 10 ms period */
		program_pit_at(&hv.guests[2], 11932, false, fake.tsc + phase * hv.period_tsc / 10);
		elapsed = run_roles(&r, 100);
		assert_true(r.ended);
		assert_true(r.time[1] * 1000 / elapsed >= 490);
		assert_true(r.time[0] <= r.time[1] + elapsed / 100);
		assert_true(hv.guests[2].virqs_injected >= 95);
		host_teardown();
	}
}

/*
 * The switch back to the guest a wake-up preempted is the waker's doing:
 * the spinner is charged only for its own exits, not for the ~10 kHz
 * wake-ups of its neighbour (before, the switch back to it after each).
 */
static void test_switch_back_after_a_wake_up_is_charged_to_the_waker(void **state)
{
	struct share_run r = { .role = { ROLE_TICK, ROLE_SPIN } };

	(void)state;
	host_boot(HV GA GB);
	program_pit(&hv.guests[0], 2, false);
	run_roles(&r, 20);
	assert_true(hv.guests[0].virqs_injected > 1000);
	assert_true(hv.guests[1].sched.hv_tsc * 10 < hv.guests[0].sched.hv_tsc);
}

/*
 * A guest halted with its timer masked can never wake: once the others
 * have ended, the hv ends, and reports that guest with its figures: the
 * edges its PIT made while it slept (at most one per 119 PIT clocks) are
 * lost ticks. Before, the hv ended without a word about it.
 */
static void test_guest_halted_with_timer_masked_is_reported_with_its_lost_ticks(void **state)
{
	struct share_run r = { .role = { ROLE_TICK, ROLE_SPIN } };
	uint64_t elapsed, edges;

	(void)state;
	host_boot(HV GA GB);
	program_pit(&hv.guests[0], 2, true);
	elapsed = run_roles(&r, 20);
	assert_true(r.ended);
	assert_true(fake_log_has("hv: guest a halted with every interrupt masked or held off: "
				 "nothing can wake it, it has ended"));
	assert_true(fake_log_has("hv: guest a exits: "));
	edges = elapsed * 1193182ull / hv.tsc_hz / 119;
	assert_in_range(hv.guests[0].ticks_lost, edges - 3, edges);
	assert_true(fake_log_has("hv: all guests ended; status 0"));
}

/* time_limit_ms: a guest that never stops by itself is stopped when its time is up; the hv ends. */
static struct fake_exit gen_forever(struct vcpu *v, void *arg)
{
	uint64_t run = fake_vmcs_get(VMX_PREEMPTION_TIMER_VALUE) << 5;

	(void)v, (void)arg;
	if (fake_run.nentries > 100000 && fake_run.done_jmp)
		longjmp(*fake_run.done_jmp, 1);
	return (struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER, .tsc_advance = run };
}

static void test_time_limit_stops_a_runaway_guest(void **state)
{
	(void)state;
	host_boot(HV GA "time_limit_ms = 50\n");
	fake_run.generator = gen_forever;
	assert_true(host_run());
	assert_true(fake_log_has("hv: guest a stopped: time limit of 50 ms reached"));
	assert_true(fake.tsc >= 50 * 200000ull);
	assert_true(fake.tsc < 70 * 200000ull);
}

/*
 * A time limit inside a turn: the running guest's preemption timer is
 * armed for it, so a spinner with a 3 ms limit is stopped at 3 ms, not at
 * the end of its 10 ms turn. Before, it ran to the turn's end.
 */
static void test_a_time_limit_cuts_the_turn_of_its_guest_short(void **state)
{
	uint64_t stop_at;

	(void)state;
	host_boot(HV GA "time_limit_ms = 3\n");
	stop_at = hv.guests[0].sched.stop_at;
	fake_run.generator = gen_forever;
	assert_true(host_run());
	assert_true(fake_log_has("hv: guest a stopped: time limit of 3 ms reached"));
	assert_true(fake.tsc >= stop_at && fake.tsc < stop_at + 20000);   /* within 0.1 ms */
}

/* b spins; the first entry after a is stopped notes the time. */
static struct fake_exit gen_forever_noting_a(struct vcpu *v, void *arg)
{
	uint64_t *a_stopped = arg;

	if (!*a_stopped && hv.guests[0].state == GUEST_STOPPED)
		*a_stopped = fake.tsc;
	return gen_forever(v, NULL);
}

/* A halted guest's time limit cuts the turn of the guest running beside it. */
static void test_a_halted_guests_time_limit_cuts_the_running_guests_turn(void **state)
{
	uint64_t stop_at, a_stopped = 0;

	(void)state;
	host_boot(HV GA "time_limit_ms = 3\nirqs = 5\n" GB "time_limit_ms = 30\n");
	stop_at = hv.guests[0].sched.stop_at;
	host_script(hlt_exit(true));             /* a halts; b spins until its own limit */
	fake_run.generator = gen_forever_noting_a;
	fake_run.generator_arg = &a_stopped;
	assert_true(host_run());
	assert_true(fake_log_has("hv: guest a stopped: time limit of 3 ms reached"));
	assert_true(fake_log_has("hv: guest b stopped: time limit of 30 ms reached"));
	assert_true(a_stopped >= stop_at && a_stopped < stop_at + 20000);
}

/*
 * A guest halted with interrupts on whose only wake-up is a device line
 * (no timer) is stopped when its time limit passes: the CPU's idle
 * wake-up is armed for it. Before, nothing was armed and the guest was
 * stopped only at the next interrupt of any kind (here the PIT's 55 ms
 * wrap, on a machine without one never).
 */
static void test_time_limit_of_a_halted_guest_wakes_the_idle_cpu(void **state)
{
	uint64_t stop_at;

	(void)state;
	host_boot(HV GA "time_limit_ms = 20\nirqs = 5\n");
	stop_at = hv.guests[0].sched.stop_at;
	host_script(hlt_exit(true));
	assert_true(host_run());
	assert_true(fake_log_has("hv: guest a stopped: time limit of 20 ms reached"));
	assert_true(fake.tsc >= stop_at);
	assert_true(fake.tsc < stop_at + 20000);          /* within 0.1 ms of it */
}

/*
 * The same guest without the line can never wake: it has ended at its HLT,
 * as without a time limit; the limit does not keep the CPU up until then.
 */
static void test_a_halted_guest_that_cannot_wake_ends_before_its_time_limit(void **state)
{
	(void)state;
	host_boot(HV GA "time_limit_ms = 20\n");
	host_script(hlt_exit(true));
	assert_true(host_run());
	assert_true(fake_log_has("hv: guest a halted with every interrupt masked or held off: "
				 "nothing can wake it, it has ended"));
	assert_false(fake_log_has("time limit of 20 ms reached"));
	assert_true(fake.tsc < hv.guests[0].sched.stop_at);
}

/*
 * A device line that arrives while the CPU idles and wakes nobody (its
 * owner's virtual PIC masks it) is still its owner's time: the handling
 * from the interrupt on is charged to a, and the CPU's idle time ends at
 * the interrupt. Before, the handling was counted as idle and a was
 * charged nothing.
 */
static void test_an_interrupt_taken_while_idle_is_its_owners_time(void **state)
{
	struct guest *a;
	uint64_t before;

	(void)state;
	host_boot(HV GA "time_limit_ms = 20\nirqs = 5\n");
	a = &hv.guests[0];
	a->pic.chip[0].imr = 0xff;
	fake.eoi_cost = 3000000;                 /* the handling: longer than all else a costs */
	fake.idle_vector = 0x25;
	fake.idle_wait = 1000000;
	host_script(hlt_exit(true));
	before = pcpus[0].idle_tsc;
	assert_true(host_run());                 /* stopped at its time limit */
	assert_int_equal(irq_count[5], 1);
	assert_int_equal(a->pic.chip[0].irr & (1u << 5), 1u << 5);     /* in its vPIC, not taken */
	assert_true(a->sched.hv_tsc >= 3000000);
	assert_true(pcpus[0].idle_tsc - before >= 1000000);
	assert_true(fake_log_has("hv: guest a stopped: time limit of 20 ms reached"));
}

/* A host that offers IBPB, the L1D flush and MD_CLEAR. */
static void tweak_barriers(void)
{
	fake_set_cpuid(7, 0, 0, 0x000027ab, 0, (1u << 10) | (1u << 26) | (1u << 28));
}

/* Two spinners take turns: each switch from one to the other runs the barriers, a turn of the same guest does not. */
static struct fake_exit gen_two_spinners(struct vcpu *v, void *arg)
{
	unsigned *switches = arg;
	static int last = -1;

	if (v->guest->id != last && last != -1)
		(*switches)++;
	last = v->guest->id;
	if (fake_run.nentries > 40 && fake_run.done_jmp)
		longjmp(*fake_run.done_jmp, 1);
	return (struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER,
				   .tsc_advance = fake_vmcs_get(VMX_PREEMPTION_TIMER_VALUE) << 5 };
}

static void test_switching_guests_runs_the_side_channel_barriers(void **state)
{
	unsigned switches = 0;

	(void)state;
	host_tweak = tweak_barriers;
	host_boot(HV GA GB);
	host_tweak = NULL;
	assert_true(fake_log_has("hv: between guests: IBPB yes, L1D flush yes, VERW buffer clearing yes"));
	fake_run.generator = gen_two_spinners;
	fake_run.generator_arg = &switches;
	host_run();
	assert_true(switches >= 10);
	/* one barrier per switch, plus the first load of a guest's state */
	assert_int_equal(fake.ibpb_count, switches + 1);
	assert_int_equal(fake.l1d_flush_count, switches + 1);
	assert_int_equal(fake.verw_count, switches + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, host_cmocka_teardown)
		T(test_failed_vmresume_and_restart_boot_again),
		T(test_restart_starts_with_fresh_cr2_and_msrs),
		T(test_restart_clears_the_vmcs_and_flushes_the_tlb),
		T(test_level_line_of_a_stopped_guest_is_released_on_restart),
		T(test_cli_hlt_ends_the_guest_and_the_hv),
		T(test_log_drain_all_sends_everything_waiting),
		T(test_console_lines_are_tagged),
		T(test_console_flood_is_dropped_and_counted),
		T(test_masked_fast_timer_of_a_halted_guest_never_preempts),
		T(test_fast_timer_guest_gets_its_share_and_no_more),
		T(test_device_interrupt_is_charged_to_its_owner),
		T(test_guest_halted_with_timer_masked_is_reported_with_its_lost_ticks),
		T(test_time_limit_stops_a_runaway_guest),
		T(test_time_limit_of_a_halted_guest_wakes_the_idle_cpu),
		T(test_a_time_limit_cuts_the_turn_of_its_guest_short),
		T(test_a_halted_guests_time_limit_cuts_the_running_guests_turn),
		T(test_a_halted_guest_that_cannot_wake_ends_before_its_time_limit),
		T(test_an_interrupt_taken_while_idle_is_its_owners_time),
		T(test_switching_guests_runs_the_side_channel_barriers),
		T(test_spare_time_is_shared_evenly),
		T(test_switch_back_after_a_wake_up_is_charged_to_the_waker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
