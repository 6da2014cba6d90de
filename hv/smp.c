/*
 * Several CPUs: where each guest runs, starting the application
 * processors, and how the hv ends when every CPU's guests have ended.
 *
 * Placement. hv.cfg's `cpu = N` places a guest on CPU N (boot_info.cpus
 * index N) for its whole life; the boot stage has checked that the machine
 * has it. A guest runs elsewhere (CPU 0, with a line saying why) only if
 * its CPU could not be started.
 *
 * Start-up. The hv starts only the APs a guest is placed on, after
 * ExitBootServices, with INIT-SIPI-SIPI (SDM "MP Initialization Protocol
 * Algorithm"; what Linux does): UEFI's MP Services would have to be used
 * before ExitBootServices, and at ExitBootServices the firmware takes its
 * APs back (OVMF parks them with INIT and a STARTUP IPI of its own), so the
 * hv could not keep them. The start-up code (hv/trampoline.asm) runs in
 * the page below 1 MiB the boot stage reserved; one AP at a time. Each AP
 * gets its own stack, GDT, TSS, IDT, IST stack and VMXON region, takes the
 * BSP's control registers, EFER, PAT and XCR0, executes VMXON, adopts the
 * VMCSs of its guests (the BSP built and released them) and enters its
 * own run loop (hv/sched.c) once the BSP says go.
 *
 * The end. A CPU whose guests have all ended parks (interrupts off, HLT);
 * the last CPU to finish prints the summary and ends the hv.
 */
#include "smp.h"
#include "cpu.h"
#include "irq.h"
#include "log.h"
#include "mem.h"
#include "percpu.h"
#include "pirq.h"
#include "plapic.h"
#include "sched.h"
#include "setup.h"
#include "spinlock.h"
#include "vmx.h"
#include "xstate.h"

#define AP_STACK_PAGES       4

/* The parameter block at the end of hv/trampoline.asm, in its order. */
struct ap_tramp_params {
	uint16_t gdt_limit;
	uint32_t gdt_base;
	uint32_t far32_off;
	uint16_t far32_sel;
	uint32_t far64_off;
	uint16_t far64_sel;
	uint32_t cr3;
	uint32_t efer;
	uint32_t pad;
	uint64_t stack;
	uint64_t entry;
	uint64_t cpu;
} __attribute__((packed));

extern char ap_tramp_start[], ap_tramp_params[], ap_tramp_end[];
extern char tramp_gdt[], tramp_pm32[], tramp_lm64[];

/* What every AP takes from the BSP. */
static struct {
	uint64_t cr0, cr4, efer, pat;
} bsp_regs;

static volatile bool smp_go;
static volatile int panic_cpu = -1;      /* the CPU that panicked first, -1 if none */
static volatile bool smp_ending;         /* a panic or the end: an NMI halts the CPU it reaches */
static uint32_t cpus_running;            /* CPUs not parked (under park_lock) */
static struct spinlock park_lock;

void smp_ap_entry(unsigned id) __attribute__((noreturn));

/* ---- placement -------------------------------------------------------- */

unsigned smp_place(const struct hv_config *c, unsigned ncpus, bool can_start_aps,
		   int placed[CFG_MAX_GUESTS], char *why, size_t whylen)
{
	unsigned moved = 0;

	why[0] = 0;
	for (int i = 0; i < c->nguests; i++) {
		int cpu = c->guests[i].cpu;

		placed[i] = cpu;
		if (cpu == 0)
			continue;
		if (cpu < 0 || (unsigned)cpu >= ncpus) {
			/* The boot stage refuses this; a hand-made boot_info might not. */
			placed[i] = 0;
			fmt_snprintf(why, whylen, "the machine has no CPU %d", cpu);
			moved++;
		} else if (!can_start_aps) {
			placed[i] = 0;
			fmt_snprintf(why, whylen, "no page below 1 MiB for the APs' start-up code");
			moved++;
		}
	}
	return moved;
}

/* ---- starting an AP --------------------------------------------------- */

#ifndef HOST_TEST

/* Copies the start-up code to its page and fills in the parameters for CPU id. */
static void smp_prepare_trampoline(uint64_t page, unsigned id, void *stack_top)
{
	uint8_t *dst = (uint8_t *)(uintptr_t)page;
	struct ap_tramp_params *p;

	memcpy(dst, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
	p = (struct ap_tramp_params *)(dst + (ap_tramp_params - ap_tramp_start));
	p->gdt_base = (uint32_t)(page + (uint64_t)(tramp_gdt - ap_tramp_start));
	p->far32_off = (uint32_t)(page + (uint64_t)(tramp_pm32 - ap_tramp_start));
	p->far32_sel = 0x18;
	p->far64_off = (uint32_t)(page + (uint64_t)(tramp_lm64 - ap_tramp_start));
	p->far64_sel = 0x08;
	p->cr3 = (uint32_t)cpu_read_cr3();
	p->efer = (uint32_t)(bsp_regs.efer & ~(1ull << 10));   /* LME (and NXE, SCE), not LMA */
	p->stack = (uint64_t)(uintptr_t)stack_top;
	p->entry = (uint64_t)(uintptr_t)smp_ap_entry;
	p->cpu = id;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#endif /* !HOST_TEST */

/*
 * Wakes AP id: INIT, then two STARTUP IPIs (plapic_start_ap: SDM "MP
 * Initialization Protocol Algorithm"; a STARTUP IPI to a CPU already
 * running is ignored). Returns 0, or -1 with *why set.
 */
static int smp_wake_ap(unsigned id, const char **why)
{
#ifdef HOST_TEST
	/* The host tests run each CPU's loop on the test's thread: the AP is there at once. */
	(void)why;
	pcpus[id].online = true;
	return 0;
#else
	struct pcpu *c = &pcpus[id];
	uint64_t page = hv.bi->ap_trampoline;

	smp_prepare_trampoline(page, id, c->stack_top);
	if (plapic_start_ap(c->apic_id, (uint8_t)(page >> 12)) < 0) {
		*why = "the local APIC did not send the INIT and STARTUP IPIs";
		return -1;
	}
	return 0;
#endif
}

/* Starts AP id and waits up to a second for it to say it runs. Returns 0, or -1 with *why set. */
static int smp_start_one(unsigned id, const char **why)
{
	struct pcpu *c = &pcpus[id];
	uint64_t until;

	c->tables = setup_ap_tables();
	c->stack_top = (uint8_t *)mem_alloc_pages(AP_STACK_PAGES) + AP_STACK_PAGES * 4096;
	if (smp_wake_ap(id, why) < 0)
		return -1;
	until = cpu_rdtsc() + hv.tsc_hz;
	while (!c->online)
		if (cpu_rdtsc() > until) {
			*why = "it did not answer the STARTUP IPIs within a second";
			return -1;
		} else {
			cpu_pause();
		}
	return 0;
}

void smp_ap_run(void)
{
	for (int i = 0; i < hv.nguests; i++)
		if (hv.guests[i].cpu == this_cpu())
			vmx_vcpu_adopt(&hv.guests[i].vcpu);
	sched_run();
}

/* The AP's first C code, on its own stack, in 64-bit mode with the hv's page tables. */
void smp_ap_entry(unsigned id)
{
	struct pcpu *c = &pcpus[id];

	percpu_enter(id, c->apic_id);
	cpu_write_cr0(bsp_regs.cr0);            /* caches on: INIT left CD and NW set */
	cpu_write_cr4(bsp_regs.cr4 & ~CR4_VMXE);
	cpu_wrmsr(MSR_IA32_EFER, bsp_regs.efer);
	cpu_wrmsr(MSR_IA32_PAT, bsp_regs.pat);
	setup_ap_cpu(c->tables);
	xstate_cpu_init();
	vmx_cpu_init();
	pirq_cpu_init();                        /* its local APIC and wake-up timer */
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&smp_go, __ATOMIC_ACQUIRE))
		cpu_pause();
	smp_ap_run();
}

void smp_init(void)
{
	const struct boot_info *bi = hv.bi;
	int placed[CFG_MAX_GUESTS];
	char why[96];
	unsigned ncpus = bi->cpus.n ? bi->cpus.n : 1;

	if (ncpus > HV_MAX_CPUS)
		ncpus = HV_MAX_CPUS;
	cpus_running = 0;
	park_lock = (struct spinlock){ 0 };
	smp_go = false;
	panic_cpu = -1;
	smp_ending = false;
	for (unsigned i = 1; i < ncpus; i++)
		pcpus[i].apic_id = bi->cpus.apic_id[i], pcpus[i].id = i;
	smp_place(&bi->cfg, ncpus, bi->ap_trampoline != 0, placed, why, sizeof(why));
	for (int i = 0; i < hv.nguests; i++) {
		struct guest *g = &hv.guests[i];
		if (placed[i] != g->cfg->cpu)
			log_printf("hv: guest %s: cpu = %d (hv.cfg line %u) cannot be used (%s): "
				   "it runs on CPU 0\n", g->cfg->name, g->cfg->cpu, g->cfg->cpu_line, why);
		g->cpu = (unsigned)placed[i];
	}
	bsp_regs.cr0 = cpu_read_cr0();
	bsp_regs.cr4 = cpu_read_cr4();
	bsp_regs.efer = cpu_rdmsr(MSR_IA32_EFER);
	bsp_regs.pat = cpu_rdmsr(MSR_IA32_PAT);
	for (unsigned id = 1; id < ncpus; id++) {
		const char *fail = NULL;
		bool wanted = false;

		for (int i = 0; i < hv.nguests; i++)
			wanted |= hv.guests[i].cpu == id;
		if (!wanted)
			continue;
		if (smp_start_one(id, &fail) < 0) {
			log_printf("hv: CPU %u (APIC ID %u) did not start: %s\n", id, pcpus[id].apic_id, fail);
			for (int i = 0; i < hv.nguests; i++)
				if (hv.guests[i].cpu == id) {
					log_printf("hv: guest %s runs on CPU 0 instead\n", hv.guests[i].cfg->name);
					hv.guests[i].cpu = 0;
				}
			continue;
		}
		pcpu_count++;
		log_printf("hv: CPU %u (APIC ID %u) started\n", id, pcpus[id].apic_id);
		irq_cpu_online(id);                 /* its guests' device lines go to it now */
	}
	bool used[HV_MAX_CPUS] = { [0] = true };   /* CPU 0 runs its loop even with no guest */

	for (int i = 0; i < hv.nguests; i++) {
		struct guest *g = &hv.guests[i];

		used[g->cpu] = true;
		if (g->cpu != 0)
			vmx_vcpu_release(&g->vcpu);
	}
	for (unsigned id = 0; id < ncpus; id++)
		cpus_running += used[id];
}

void smp_go_all(void)
{
	__atomic_store_n(&smp_go, true, __ATOMIC_RELEASE);
}

/* Returns true if a manager's request waits for some CPU (under park_lock). */
static bool smp_requests_waiting(void)
{
	for (unsigned i = 0; i < HV_MAX_CPUS; i++)
		if (__atomic_load_n(&pcpus[i].requests, __ATOMIC_SEQ_CST))
			return true;
	return false;
}

void smp_cpu_done(void)
{
	struct pcpu *c = this_pcpu();
	bool last;

	spin_lock(&park_lock);
	c->done = true;
	last = --cpus_running == 0 && !smp_requests_waiting();
	spin_unlock(&park_lock);
	if (last)
		hv_shutdown();
	log_printf("hv: CPU %u: every guest on it has ended; it waits for the others\n", c->id);
	log_drain(LOG_DRAIN_ALL);
	__atomic_store_n(&c->parked, true, __ATOMIC_RELEASE);
	/* Interrupts on: a kick (a request for one of its guests) or a stray line ends each wait. */
	while (!__atomic_load_n(&c->requests, __ATOMIC_ACQUIRE))
		cpu_park();
	__atomic_store_n(&c->parked, false, __ATOMIC_RELEASE);
}

void smp_cpu_back(void)
{
	struct pcpu *c = this_pcpu();

	if (!c->done)
		return;
	spin_lock(&park_lock);
	c->done = false;
	cpus_running++;
	spin_unlock(&park_lock);
	log_printf("hv: CPU %u: a manager's request for a guest on it: it runs again\n", c->id);
}

/* Stops every other CPU with an NMI: from now on an NMI halts the CPU it reaches. */
static void smp_stop_others(unsigned me)
{
	__atomic_store_n(&smp_ending, true, __ATOMIC_SEQ_CST);
	/*
	 * The others stop where they are: an NMI reaches a CPU in a guest or
	 * halted, interrupts on or off; a parked one too (a kick could wake it).
	 */
	for (unsigned i = 0; i < HV_MAX_CPUS; i++)
		if (i != me && pcpus[i].online)
			plapic_send_nmi(pcpus[i].apic_id);
}

void smp_shutdown_begin(void)
{
	uint64_t give_up = cpu_rdtsc() + hv.tsc_hz / 10;

	if (pcpu_count == 1)
		return;
	/*
	 * Every other CPU has counted itself done; wait until each is in its
	 * wait (its last line out, no lock held: an NMI must not stop a CPU
	 * holding the log's lock), at most 100 ms.
	 */
	for (unsigned i = 0; i < HV_MAX_CPUS; i++)
		while (i != this_cpu() && pcpus[i].online && !__atomic_load_n(&pcpus[i].parked, __ATOMIC_ACQUIRE) &&
		       cpu_rdtsc() < give_up)
			cpu_pause();
	smp_stop_others(this_cpu());
}

int smp_panic_begin(void)
{
	int none = -1, me = (int)this_cpu();

	if (!__atomic_compare_exchange_n(&panic_cpu, &none, me, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		if (none == me)
			return me;      /* a panic while this CPU panics: it goes on with its message */
		cpu_halt_forever();     /* another CPU panics already: its message is the one */
	}
	smp_stop_others((unsigned)me);
	return me;
}

bool smp_panicking(void)
{
	return __atomic_load_n(&smp_ending, __ATOMIC_ACQUIRE);
}
