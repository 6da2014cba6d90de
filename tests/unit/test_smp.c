/*
 * Several CPUs on the host (issue 11): where guests are placed, the
 * per-CPU run queues (each CPU enters only its own guests), the VMCS
 * handed from the CPU that built it to the CPU that runs it, how the hv
 * ends when the last CPU's guests end, and the panic's NMI to the others.
 * The fake runs each CPU's loop in turn on the test's thread
 * (host_run_cpu); its VMPTRLD refuses a VMCS still active on another CPU.
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
#include "pirq.h"
#include "sched.h"
#include "smp.h"

#define HV   "[hv]\ntrace = off\n"
#define GA   "[guest a]\nimage = \\a.elf\nmemory = 4M\n"
#define GB   "[guest b]\nimage = \\b.elf\nmemory = 4M\n"
#define GC   "[guest c]\nimage = \\c.elf\nmemory = 4M\n"
#define GD   "[guest d]\nimage = \\d.elf\nmemory = 4M\n"

/* The guest executes HLT with interrupts off: nothing can wake it, it has ended. */
static void clear_if(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	fake_vmcs_set(GUEST_RFLAGS, fake_vmcs_get(GUEST_RFLAGS) & ~RFLAGS_IF);
}

static struct fake_exit cli_hlt(void)
{
	return (struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1, .before = clear_if };
}

static unsigned entries_of(int guest)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fake_run.nentries; i++)
		n += fake_run.entries[i].guest == guest;
	return n;
}

/* A PC with a local APIC (xAPIC, ID 0) and the IOAPIC at its architectural address. */
static void pc(void)
{
	fake_enable_lapic(false, 0);
	fake_add_ioapic(0, 0xfec00000u);
}

static int teardown(void **state)
{
	host_tweak = NULL;
	return host_cmocka_teardown(state);
}

/* ---- placement -------------------------------------------------------- */

static void parse(const char *text, struct hv_config *c)
{
	struct cfg_error err;

	assert_int_equal(cfg_parse(text, strlen(text), c, &err), 0);
}

static void test_guests_stay_on_the_cpu_hv_cfg_names(void **state)
{
	static struct hv_config c;
	int placed[CFG_MAX_GUESTS];
	char why[96];

	(void)state;
	parse(GA "cpu = 1\n" GB GC "cpu = 3\n", &c);
	assert_int_equal(smp_place(&c, 4, true, placed, why, sizeof(why)), 0);
	assert_int_equal(placed[0], 1);
	assert_int_equal(placed[1], 0);
	assert_int_equal(placed[2], 3);
}

static void test_a_guest_goes_to_cpu_0_only_with_a_reason(void **state)
{
	static struct hv_config c;
	int placed[CFG_MAX_GUESTS];
	char why[96];

	(void)state;
	parse(GA "cpu = 1\n" GB "cpu = 1\n", &c);
	/* No page below 1 MiB for the start-up code: nothing can run elsewhere. */
	assert_int_equal(smp_place(&c, 2, false, placed, why, sizeof(why)), 2);
	assert_int_equal(placed[0], 0);
	assert_int_equal(placed[1], 0);
	assert_non_null(strstr(why, "below 1 MiB"));
	/* A CPU the machine lacks (the boot stage refuses it; a hand-made boot_info might not). */
	assert_int_equal(smp_place(&c, 1, true, placed, why, sizeof(why)), 2);
	assert_non_null(strstr(why, "no CPU 1"));
	/* A guest owning device lines may run anywhere: they are routed or forwarded to its CPU. */
	parse(GA "cpu = 1\nirqs = 5\n" GB "cpu = 1\n", &c);
	assert_int_equal(smp_place(&c, 2, true, placed, why, sizeof(why)), 0);
	assert_int_equal(placed[0], 1);
}

/* ---- per-CPU run queues ----------------------------------------------- */

/* CPU 1 enters only b; CPU 0 only a; the last CPU to finish ends the hv. */
static void test_each_cpu_enters_only_its_own_guests(void **state)
{
	(void)state;
	host_cpus = 2;
	host_boot(HV GA GB "cpu = 1\n");
	assert_true(fake_log_has("hv: CPU 1 (APIC ID 1) started"));
	assert_int_equal(hv.guests[1].cpu, 1);
	assert_int_equal(pcpu_count, 2);

	host_script(cli_hlt());
	assert_true(host_run_cpu(1));            /* b ended: CPU 1 parks */
	assert_int_equal(entries_of(1), 1);
	assert_int_equal(entries_of(0), 0);
	assert_int_equal(hv.guests[0].state, GUEST_RUNNABLE);
	assert_int_equal(hv.guests[1].state, GUEST_HALTED_OFF);
	assert_true(fake_log_has("hv: CPU 1: every guest on it has ended; it waits for the others"));
	assert_false(fake_log_has("hv: all guests ended"));

	host_script(cli_hlt());
	assert_true(host_run_cpu(0));            /* a ended: the last CPU ends the hv */
	assert_int_equal(entries_of(0), 1);
	assert_int_equal(entries_of(1), 1);
	assert_true(fake_log_has("hv: all guests ended; status 0"));
	assert_true(fake_log_has("hv: CPU 1: 1 guest(s), 1 exits, idle (halted) "));
	assert_true(fake_log_has("hv: CPU 0: 1 guest(s), 1 exits, idle (halted) "));
	assert_true(fake_log_has(" on 2 CPUs, idle (halted) "));
}

/* Two guests per CPU: each CPU time-slices its own two, round robin, and never the others'. */
static void test_two_guests_per_cpu_alternate_on_their_cpu(void **state)
{
	(void)state;
	host_cpus = 2;
	host_boot(HV GA GB "cpu = 1\n" GC GD "cpu = 1\n");
	for (int i = 0; i < 4; i++)
		host_script((struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER,
						.tsc_advance = 20000000 });
	assert_false(host_run_cpu(1));           /* the script ran out, both still running */
	for (unsigned i = 0; i < fake_run.nentries; i++)
		assert_true(fake_run.entries[i].guest == 1 || fake_run.entries[i].guest == 3);
	assert_true(entries_of(1) >= 2 && entries_of(3) >= 2);
	assert_int_equal(fake_run.entries[0].guest, 1);
	assert_int_equal(fake_run.entries[1].guest, 3);
	fake_run.nentries = 0;
	for (int i = 0; i < 2; i++)
		host_script((struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER,
						.tsc_advance = 20000000 });
	assert_false(host_run_cpu(0));
	assert_true(entries_of(0) >= 1 && entries_of(2) >= 1);
	assert_int_equal(entries_of(1) + entries_of(3), 0);
}

/*
 * The BSP builds every VMCS; a guest on an AP runs only after the BSP
 * released it (VMCLEAR): the fake's VMPTRLD refuses a VMCS still active
 * on another CPU, and the guest's first entry on CPU 1 is a VMLAUNCH.
 */
static void test_a_vmcs_moves_to_its_cpu_cleared_and_is_launched_there(void **state)
{
	(void)state;
	host_cpus = 2;
	host_boot(HV GA GB "cpu = 1\n");
	host_script(cli_hlt());
	assert_true(host_run_cpu(1));
	assert_int_equal(fake_run.entries[0].guest, 1);
	assert_true(fake_run.entries[0].launch);
	assert_int_equal(fake_run.entries[0].rc, 0);
}

/* Each CPU's share period is its own: 60% on CPU 0 and 60% on CPU 1 fit. */
static void test_shares_are_per_cpu(void **state)
{
	(void)state;
	host_cpus = 2;
	host_boot(HV GA "share = 60%\n" GB "cpu = 1\nshare = 60%\n");
	assert_false(fake_log_has("not every share is guaranteed"));
	assert_true(fake_log_has("hv: guest b: CPU share 60.0% (6000 us of every 10000 us) of CPU 1"));
}

/* A guest whose CPU could not be used runs on CPU 0, and the log says why. */
static void test_a_guest_on_a_cpu_that_cannot_be_used_runs_on_cpu_0(void **state)
{
	(void)state;
	host_boot(HV GA GB "cpu = 1\n");         /* one CPU: no start-up page either */
	assert_int_equal(hv.guests[1].cpu, 0);
	assert_true(fake_log_has("hv: guest b: cpu = 1 (hv.cfg line 9) cannot be used"));
	assert_int_equal(pcpu_count, 1);
}

/* ---- panic ------------------------------------------------------------- */

/* The first CPU to panic stops the others with an NMI IPI; an NMI then halts a CPU. */
static void test_a_panic_stops_the_other_cpus_by_nmi(void **state)
{
	(void)state;
	host_tweak = pc;
	host_cpus = 2;
	host_boot(HV GA GB "cpu = 1\n");
	fake.lapic.nicr = 0;
	percpu_host_cpu = 1;
	assert_int_equal(smp_panic_begin(), 1);
	percpu_host_cpu = 0;
	assert_int_equal(fake.lapic.nicr, 1);
	assert_int_equal(fake.lapic.icr[0] >> 32, 0);              /* the BSP's APIC ID */
	assert_int_equal(fake.lapic.icr[0] & 0x700, 0x400);        /* delivery mode NMI */
	assert_true(smp_panicking());
}

/*
 * The hv ends on the last CPU to finish: it stops the parked CPUs with an
 * NMI IPI first (a kick or a stray line could otherwise wake them while
 * the summary is written), and an NMI then halts the CPU it reaches.
 */
static void test_the_last_cpu_stops_the_parked_ones_by_nmi(void **state)
{
	(void)state;
	host_tweak = pc;
	host_cpus = 2;
	host_boot(HV GA GB "cpu = 1\n");
	host_script(cli_hlt());
	assert_true(host_run_cpu(1));            /* b ended: CPU 1 parks */
	assert_true(pcpus[1].parked);            /* its lines out, no lock held: it may be stopped */
	assert_false(smp_panicking());
	fake.lapic.nicr = 0;
	host_script(cli_hlt());
	assert_true(host_run_cpu(0));            /* a ended: CPU 0 ends the hv */
	assert_true(fake_log_has("hv: all guests ended; status 0"));
	assert_true(fake_log_has("idle (halted) "));
	assert_true(fake_log_has("the others stopped by NMI"));
	assert_int_equal(fake.lapic.nicr, 1);
	assert_int_equal(fake.lapic.icr[0] >> 32, 1);              /* CPU 1's APIC ID */
	assert_int_equal(fake.lapic.icr[0] & 0x700, 0x400);        /* delivery mode NMI */
	assert_true(smp_panicking());
}

/* ---- device lines across CPUs ------------------------------------------ */

/*
 * Line 5 of b (on CPU 1) arrives on CPU 0 (the 8259 reaches CPU 0 only; an
 * IOAPIC entry points there until b's CPU runs): CPU 0 leaves b's virtual
 * PIC alone, posts the line and kicks CPU 1 with an IPI; CPU 1 takes it
 * into b's virtual PIC when the IPI arrives.
 */
static void test_a_line_arriving_on_another_cpu_is_posted_to_its_owners(void **state)
{
	struct guest *b;

	(void)state;
	host_tweak = pc;
	host_cpus = 2;
	host_boot(HV GA GB "cpu = 1\nirqs = 5\n");
	b = &hv.guests[1];
	assert_int_equal(b->cpu, 1);
	assert_true(fake_log_has("hv: IRQ 5 of guest b now goes to CPU 1"));
	fake.lapic.nicr = 0;
	b->pic.chip[0].imr = 0;
	hv_irq(PIRQ_VECTOR_BASE + 5);            /* on CPU 0 */
	assert_int_equal(b->pic.chip[0].irr & (1u << 5), 0);
	assert_int_equal(irq_forwarded, 1);
	assert_int_equal(fake.lapic.nicr, 1);
	assert_int_equal(fake.lapic.icr[0] >> 32, 1);                 /* CPU 1's APIC ID */
	assert_int_equal(fake.lapic.icr[0] & 0x7ff, PIRQ_VECTOR_IPI);  /* fixed delivery, the kick */
	assert_int_equal(pcpus[1].posted_edge, 1u << 5);
	percpu_host_cpu = 1;
	hv_irq(PIRQ_VECTOR_IPI);                 /* the kick arrives on CPU 1 */
	percpu_host_cpu = 0;
	assert_int_equal(b->pic.chip[0].irr & (1u << 5), 1u << 5);
	assert_int_equal(pcpus[1].posted_edge, 0);
	assert_int_equal(hv.guests[0].pic.chip[0].irr & (1u << 5), 0);
}

/* ---- a manager's requests across CPUs (HC_GUEST_CTL) -------------------- */

#define NAME_GPA 0x1000u

/* Guest `who`'s VMCALL HC_GUEST_CTL(op, NAME_GPA) with the name `name` in its RAM. */
struct ctl_call {
	int who;
	unsigned op;
	const char *name;
};

/* What each guest's last VMCALL returned, as its next scripted call finds it in RAX. */
static int64_t ctl_prev[CFG_MAX_GUESTS][8];
static unsigned ctl_calls[CFG_MAX_GUESTS];

static void set_ctl(struct vcpu *v, void *arg)
{
	const struct ctl_call *c = arg;
	char *p = guest_gpa_ptr(v->guest, NAME_GPA, 16);

	if (ctl_calls[c->who] < 8)
		ctl_prev[c->who][ctl_calls[c->who]++] = (int64_t)v->regs.rax;

	assert_ptr_equal(v->guest, &hv.guests[c->who]);
	memset(p, 'x', 16);                      /* a name of 16 bytes has no NUL */
	if (c->name)
		memcpy(p, c->name, strlen(c->name) + 1);
	v->regs.rax = HC_GUEST_CTL;
	v->regs.rbx = c->op;
	v->regs.rcx = NAME_GPA;
}

static struct fake_exit ctl_exit(const struct ctl_call *c)
{
	return (struct fake_exit){ .reason = EXIT_REASON_VMCALL, .insn_len = 3, .before = set_ctl,
				   .arg = (void *)c };
}

/* The kick (vector 0xf1) interrupts the guest running on the target CPU. */
static struct fake_exit kick_exit(void)
{
	return (struct fake_exit){ .reason = EXIT_REASON_EXTERNAL_INTERRUPT,
				   .intr_info = 0x80000000u | PIRQ_VECTOR_IPI, .tsc_advance = 10 };
}

static int64_t rax_of(int guest)
{
	return (int64_t)hv.guests[guest].vcpu.regs.rax;
}

/*
 * b's CPU 1 has parked (b ended); a on CPU 0 asks to restart b: the call
 * returns 0 at once, CPU 1 is kicked, and when a ends too CPU 0 parks
 * instead of ending the hv (a request waits). CPU 1 comes back, boots b
 * again and, when b ends, ends the hv.
 */
static void test_a_manager_restarts_a_guest_on_a_parked_cpu(void **state)
{
	static const struct ctl_call restart_b = { 0, HC_CTL_RESTART, "b" };

	(void)state;
	host_tweak = pc;
	host_cpus = 2;
	host_boot(HV GA "manages = b\n" GB "cpu = 1\n");
	host_script(cli_hlt());
	assert_true(host_run_cpu(1));
	assert_int_equal(fake.parked, 1);
	assert_true(fake_log_has("hv: CPU 1: every guest on it has ended; it waits for the others"));

	fake.lapic.nicr = 0;
	host_script(ctl_exit(&restart_b));
	host_script(cli_hlt());
	assert_true(host_run_cpu(0));
	assert_int_equal(rax_of(0), 0);
	assert_true(fake_log_has("hv: guest a asks to restart guest b (CPU 1)"));
	assert_int_equal(fake.lapic.nicr, 1);
	assert_int_equal(fake.lapic.icr[0] >> 32, 1);                 /* CPU 1's APIC ID */
	assert_int_equal(fake.lapic.icr[0] & 0x7ff, PIRQ_VECTOR_IPI);
	assert_int_equal(fake.parked, 2);                             /* CPU 0 parks: a request waits */
	assert_false(fake_log_has("hv: all guests ended"));
	assert_int_equal(hv.guests[1].boots, 1);                      /* only CPU 1 touches b */

	host_script(cli_hlt());
	assert_true(host_run_cpu(1));
	assert_true(fake_log_has("hv: CPU 1: a manager's request for a guest on it: it runs again"));
	assert_true(fake_log_has("hv: guest b: restart asked by guest a"));
	assert_true(fake_log_has("hv: guest b restarted (boot 2)"));
	assert_int_equal(hv.guests[1].boots, 2);
	assert_int_equal(entries_of(1), 2);
	assert_true(fake_log_has("hv: all guests ended; status 0"));
}

/* a on CPU 0 asks to stop b while b runs on CPU 1; the kick's exit follows. */
static void stop_b_from_cpu_0(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	percpu_host_cpu = 0;
	assert_true(!sched_request(&hv.guests[1], HC_CTL_STOP, &hv.guests[0]));
	percpu_host_cpu = 1;
}

/*
 * b runs on CPU 1 when a on CPU 0 asks to stop it: the kick's exit ends
 * b's turn, CPU 1 stops b for good (no restart = yes) and parks, and a
 * sees b stopped through HC_CTL_STATUS.
 */
static void test_a_manager_stops_a_running_guest_on_another_cpu_by_ipi(void **state)
{
	static const struct ctl_call status_b = { 0, HC_CTL_STATUS, "b" };
	struct fake_exit kick = kick_exit();

	(void)state;
	host_tweak = pc;
	host_cpus = 2;
	host_boot(HV GA "manages = b\n" GB "cpu = 1\nrestart = yes\n");
	fake.lapic.nicr = 0;
	kick.before = stop_b_from_cpu_0;
	host_script(kick);
	assert_true(host_run_cpu(1));            /* b stopped: CPU 1 parks, a still runs */
	assert_int_equal(fake.lapic.nicr, 1);
	assert_int_equal(fake.lapic.icr[0] >> 32, 1);
	assert_int_equal(entries_of(1), 1);      /* b's turn ended at the kick */
	assert_true(fake_log_has("hv: guest b stopped: stop asked by guest a"));
	assert_int_equal(hv.guests[1].state, GUEST_STOPPED);
	assert_false(hv.guests[1].sched.restart_due);
	assert_false(fake_log_has("hv: guest b restarted"));
	assert_false(fake_log_has("hv: all guests ended"));

	host_script(ctl_exit(&status_b));
	assert_false(host_run_cpu(0));
	assert_int_equal(rax_of(0), HC_CTL_STATE(1, HC_GS_STOPPED));
}

/* On one CPU the request needs no IPI: a's call ends its turn and b boots again at once. */
static void test_a_restart_on_the_managers_own_cpu_needs_no_ipi(void **state)
{
	static const struct ctl_call restart_b = { 0, HC_CTL_RESTART, "b" };
	static const struct ctl_call status_b = { 0, HC_CTL_STATUS, "b" };

	(void)state;
	host_tweak = pc;
	host_boot(HV GA "manages = b\n" GB);
	fake.lapic.nicr = 0;
	host_script(ctl_exit(&restart_b));
	host_script((struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER, .tsc_advance = 50000000 });
	host_script(ctl_exit(&status_b));        /* a again: b has booted twice and runs */
	assert_false(host_run_cpu(0));
	assert_int_equal(fake.lapic.nicr, 0);
	assert_true(fake_log_has("hv: guest a asks to restart guest b (CPU 0)"));
	assert_true(fake_log_has("hv: guest b stopped: restart asked by guest a"));
	assert_true(fake_log_has("hv: guest b restarted (boot 2)"));
	assert_int_equal(fake_run.entries[1].guest, 1);
	assert_true(fake_run.entries[1].launch);                      /* a fresh VMCS */
	assert_int_equal(fake_run.entries[2].guest, 0);
	assert_int_equal(rax_of(0), HC_CTL_STATE(2, HC_GS_RUNNING));
}

/*
 * hv.cfg's restart policy is not the manager's: b (restart = yes) has had
 * its 3 restarts, and a manager's restart still boots it, without the
 * policy's "restart limit reached" line.
 */
static void test_a_managers_restart_is_not_bound_by_the_restart_policy(void **state)
{
	static const struct ctl_call restart_b = { 0, HC_CTL_RESTART, "b" };

	(void)state;
	host_boot(HV GA "manages = b\n" GB "restart = yes\n");
	hv.guests[1].boots = 4;
	host_script(ctl_exit(&restart_b));
	host_script((struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER, .tsc_advance = 50000000 });
	assert_false(host_run_cpu(0));
	assert_true(fake_log_has("hv: guest b stopped: restart asked by guest a"));
	assert_false(fake_log_has("restart limit"));
	assert_true(fake_log_has("hv: guest b restarted (boot 5)"));
}

/* Only the guests hv.cfg names may be managed; a bad name or op is refused before anything. */
static void test_a_guest_manages_only_what_hv_cfg_lets_it(void **state)
{
	static const struct ctl_call calls[] = {
		{ 0, HC_CTL_STOP, "c" },          /* a manages b only */
		{ 0, HC_CTL_STOP, "nosuch" },
		{ 0, 7, "b" },                    /* no such op */
		{ 0, HC_CTL_STOP, NULL },         /* 16 bytes, no NUL */
		{ 0, HC_CTL_STOP, "a" },          /* not itself either */
		{ 0, HC_CTL_STATUS, "b" },        /* and the last one's result */
	};
	static const int64_t want[] = { HC_EACCES, HC_ENOENT, HC_EINVAL, HC_EINVAL, HC_EACCES };
	static const struct ctl_call b_stops_a = { 1, HC_CTL_STOP, "a" };
	static const struct ctl_call b_again = { 1, HC_CTL_STATUS, "a" };

	(void)state;
	memset(ctl_calls, 0, sizeof(ctl_calls));
	host_boot(HV GA "manages = b\n" GB GC);
	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		host_script(ctl_exit(&calls[i]));
	/* a's turn ends; b (which manages nothing) tries, and finds its answer at its next call. */
	host_script((struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER, .tsc_advance = 50000000 });
	host_script(ctl_exit(&b_stops_a));
	host_script(ctl_exit(&b_again));
	assert_false(host_run_cpu(0));
	assert_int_equal(ctl_calls[0], 6);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(ctl_prev[0][i + 1], want[i]);
	assert_int_equal(ctl_prev[1][1], HC_EACCES);
	assert_true(fake_log_has("hv: guest a: HC_GUEST_CTL on guest c refused: hv.cfg does not let it "
				 "manage that guest (HC_EACCES)"));
	assert_true(fake_log_has("hv: guest b: HC_GUEST_CTL refused: hv.cfg lets it manage no guest"));
	assert_false(fake_log_has("asks to"));
	assert_int_equal(hv.guests[0].state, GUEST_RUNNABLE);
	assert_int_equal(hv.guests[0].boots, 1);
	assert_int_equal(hv.guests[1].boots, 1);
}

/* On CPU 1 (c running): a on CPU 0 asks twice to stop b; the kick's exit follows, its handling 5000 ticks. */
static void stop_b_twice_from_cpu_0(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	percpu_host_cpu = 0;
	sched_request(&hv.guests[1], HC_CTL_STOP, &hv.guests[0]);
	sched_request(&hv.guests[1], HC_CTL_STOP, &hv.guests[0]);
	percpu_host_cpu = 1;
}

/*
 * Requests to one CPU coalesce into one kick until it takes them (a
 * manager calling in a loop cannot storm that CPU with IPIs), and the
 * kick's exit is the managed guest's cost, not that of the guest it
 * interrupted (c, b's neighbour on CPU 1).
 */
/*
 * b and c on CPU 1: b's turn ends, c runs, and a kick interrupts c (what
 * happened on CPU 0 before it: `before`), its handling 5000 ticks; then
 * c's next exit, which charges the time up to c's resume.
 */
static void kick_while_c_runs(const char *cfg, void (*before)(struct vcpu *, void *))
{
	struct fake_exit kick = kick_exit();

	host_tweak = pc;
	host_cpus = 2;
	host_boot(cfg);
	fake.lapic.nicr = 0;
	host_script((struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER, .tsc_advance = 50000000 });
	kick.before = before;
	kick.root_advance = 5000;
	host_script(kick);
	host_script((struct fake_exit){ .reason = EXIT_REASON_CPUID, .insn_len = 2 });
	assert_false(host_run_cpu(1));           /* c runs on */
	assert_int_equal(fake_run.entries[1].guest, 2);               /* c had the CPU at the kick */
}

static void test_requests_coalesce_into_one_kick_charged_to_the_managed_guest(void **state)
{
	struct guest *b = &hv.guests[1], *c = &hv.guests[2];

	(void)state;
	kick_while_c_runs(HV GA "manages = b\n" GB "cpu = 1\n" GC "cpu = 1\n", stop_b_twice_from_cpu_0);
	assert_int_equal(fake.lapic.nicr, 1);                         /* two requests, one IPI */
	assert_true(fake_log_has("hv: guest b stopped: stop asked by guest a"));
	assert_true(b->sched.hv_tsc >= 5000);
	assert_true(c->sched.hv_tsc < 5000);
}

/* Occurrences of s in the hv log so far. */
static unsigned log_count(const char *s)
{
	unsigned n = 0;

	fake.e9[fake.e9_len] = 0;
	for (const char *p = fake.e9; (p = strstr(p, s)); p++)
		n++;
	return n;
}

/*
 * A manager calling in a loop (20 stops of b on CPU 1 in one turn) sends
 * one IPI and gets 8 "asks to" lines a second, as refusals are limited:
 * it floods neither the other CPU nor the log.
 */
static void test_a_manager_calling_in_a_loop_floods_neither_cpu_nor_log(void **state)
{
	static const struct ctl_call stop_b = { 0, HC_CTL_STOP, "b" };

	(void)state;
	host_tweak = pc;
	host_cpus = 2;
	host_boot(HV GA "manages = b\n" GB "cpu = 1\n");
	fake.lapic.nicr = 0;
	for (int i = 0; i < 20; i++)
		host_script(ctl_exit(&stop_b));
	assert_false(host_run_cpu(0));
	assert_int_equal(rax_of(0), 0);
	assert_int_equal(fake.lapic.nicr, 1);
	assert_int_equal(log_count("hv: guest a asks to stop guest b (CPU 1)"), 8);
}

/* On CPU 1 (c running): b's line 5 arrives on CPU 0, which posts it and kicks CPU 1. */
static void line_5_on_cpu_0(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	percpu_host_cpu = 0;
	hv_irq(PIRQ_VECTOR_BASE + 5);
	percpu_host_cpu = 1;
}

/* The kick that brings b's posted line to CPU 1 is b's cost there, not that of c, which it interrupted. */
static void test_the_kick_of_a_posted_line_is_charged_to_its_owner(void **state)
{
	struct guest *b = &hv.guests[1], *c = &hv.guests[2];

	(void)state;
	kick_while_c_runs(HV GA GB "cpu = 1\nirqs = 5\n" GC "cpu = 1\n", line_5_on_cpu_0);
	assert_int_equal(irq_forwarded, 1);
	assert_int_equal(b->pic.chip[0].irr & (1u << 5), 1u << 5);
	assert_true(b->sched.hv_tsc >= 5000);
	assert_true(c->sched.hv_tsc < 5000);
}

/* What the CPU-0 guest's entry after the external interrupt saw (the hook of its next exit). */
struct cross_cpu_charge {
	uint64_t root;               /* the interrupt's root-mode time on CPU 0: exit to resume */
	uint64_t a_hv;               /* a's hv time then */
	uint64_t b_used, b_hv;       /* b's, at its first entry on CPU 1 */
};

static void note_root_time(struct vcpu *v, void *arg)
{
	struct cross_cpu_charge *c = arg;

	c->root = v->resume_tsc - v->exit_tsc;
	c->a_hv = v->guest->sched.hv_tsc;
}

static void note_b_at_entry(struct vcpu *v, void *arg)
{
	struct cross_cpu_charge *c = arg;

	c->b_used = v->guest->sched.used;
	c->b_hv = v->guest->sched.hv_tsc;
	clear_if(v, NULL);
}

/*
 * Line 5 of b (on CPU 1) arrives on CPU 0 while a runs there: CPU 0's
 * time on it (the external-interrupt exit, taking and posting the line,
 * the re-entry of a, 5000 ticks of it the handling) is b's, not a's. CPU 0
 * never touches b's budget: it adds the time to b's counter of time other
 * CPUs spent on it, and CPU 1 folds it into b's budget and hv time at its
 * next scheduling point. Before, a was charged for it and b never.
 */
static void test_a_line_taken_for_another_cpus_guest_is_charged_to_it(void **state)
{
	struct cross_cpu_charge c = { 0 };
	struct guest *a, *b;

	(void)state;
	host_tweak = pc;
	host_cpus = 2;
	host_boot(HV GA GB "cpu = 1\nirqs = 5\n");
	a = &hv.guests[0];
	b = &hv.guests[1];
	host_script((struct fake_exit){ .reason = EXIT_REASON_EXTERNAL_INTERRUPT,
					.intr_info = 0x80000000u | (PIRQ_VECTOR_BASE + 5),
					.tsc_advance = 100, .root_advance = 5000 });
	host_script((struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER, .tsc_advance = 100,
					.before = note_root_time, .arg = &c });
	assert_false(host_run_cpu(0));           /* the script ran out: a still runs */
	assert_int_equal(irq_forwarded, 1);
	assert_true(c.root >= 5000);
	assert_int_equal(a->sched.hv_tsc, c.a_hv);           /* none of it is a's */
	assert_int_equal(b->sched.used, 0);                  /* CPU 0 left b's budget alone */
	assert_int_equal(b->sched.hv_tsc, 0);

	host_script((struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1,
					.before = note_b_at_entry, .arg = &c });
	assert_true(host_run_cpu(1));            /* b ends (cli; hlt) */
	assert_int_equal(c.b_used, c.root);                  /* folded on CPU 1 before b ran */
	assert_int_equal(c.b_hv, c.root);
	assert_true(b->sched.hv_tsc > c.root);               /* and its own CPU's time on top */
}

/*
 * CPU 0 drains b's console line (written on CPU 1) while a is CPU 0's
 * cause: the drain (log.c's hook around it) is b's time, folded on CPU 1,
 * and a is charged only up to the line. Before, the hook heard -1 for
 * another CPU's line and the drain went to a.
 */
static void test_draining_another_cpus_guest_line_is_charged_to_it(void **state)
{
	struct cross_cpu_charge c = { 0 };
	struct guest *a, *b;
	uint64_t from, to, a_hv;

	(void)state;
	host_tweak = pc;
	host_cpus = 2;
	host_boot(HV GA GB "cpu = 1\n");
	a = &hv.guests[0];
	b = &hv.guests[1];
	host_script((struct fake_exit){ .reason = EXIT_REASON_PREEMPTION_TIMER, .tsc_advance = 100 });
	assert_false(host_run_cpu(0));           /* a is CPU 0's cause now */
	sched_charge_log(b->id, true);           /* as log_drain_locked does around b's line */
	from = fake.tsc;
	a_hv = a->sched.hv_tsc;
	fake.tsc += 1000;                        /* the line going out */
	sched_charge_log(b->id, false);
	to = fake.tsc;
	assert_int_equal(a->sched.hv_tsc, a_hv);
	assert_int_equal(b->sched.hv_tsc, 0);

	host_script((struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1,
					.before = note_b_at_entry, .arg = &c });
	assert_true(host_run_cpu(1));
	assert_int_equal(c.b_used, to - from);
	assert_int_equal(c.b_hv, to - from);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, host_cmocka_teardown)
		cmocka_unit_test(test_guests_stay_on_the_cpu_hv_cfg_names),
		cmocka_unit_test(test_a_guest_goes_to_cpu_0_only_with_a_reason),
		T(test_each_cpu_enters_only_its_own_guests),
		T(test_two_guests_per_cpu_alternate_on_their_cpu),
		T(test_a_vmcs_moves_to_its_cpu_cleared_and_is_launched_there),
		T(test_shares_are_per_cpu),
		T(test_a_guest_on_a_cpu_that_cannot_be_used_runs_on_cpu_0),
		cmocka_unit_test_teardown(test_a_panic_stops_the_other_cpus_by_nmi, teardown),
		cmocka_unit_test_teardown(test_the_last_cpu_stops_the_parked_ones_by_nmi, teardown),
		cmocka_unit_test_teardown(test_a_line_arriving_on_another_cpu_is_posted_to_its_owners, teardown),
		cmocka_unit_test_teardown(test_a_manager_restarts_a_guest_on_a_parked_cpu, teardown),
		cmocka_unit_test_teardown(test_a_manager_stops_a_running_guest_on_another_cpu_by_ipi, teardown),
		cmocka_unit_test_teardown(test_a_restart_on_the_managers_own_cpu_needs_no_ipi, teardown),
		T(test_a_managers_restart_is_not_bound_by_the_restart_policy),
		T(test_a_guest_manages_only_what_hv_cfg_lets_it),
		cmocka_unit_test_teardown(test_requests_coalesce_into_one_kick_charged_to_the_managed_guest, teardown),
		cmocka_unit_test_teardown(test_the_kick_of_a_posted_line_is_charged_to_its_owner, teardown),
		cmocka_unit_test_teardown(test_a_manager_calling_in_a_loop_floods_neither_cpu_nor_log, teardown),
		cmocka_unit_test_teardown(test_a_line_taken_for_another_cpus_guest_is_charged_to_it, teardown),
		cmocka_unit_test_teardown(test_draining_another_cpus_guest_line_is_charged_to_it, teardown),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
