/*
 * Guest lifecycle: create each partition (RAM in its EPT, bitmaps, VMCS),
 * start it the Multiboot way, stop it (containment: only that guest), end
 * it on its own request, restart it if hv.cfg says so, and its console.
 * Stopping only changes state; the run loop (hv/sched.c) does the rest.
 */
#include "guest.h"
#include "lapic.h"
#include "lapic_contain.h"
#include "acpitab.h"
#include "cpu.h"
#include "cpumodel.h"
#include "exit.h"
#include "irq.h"
#include "guestload.h"
#include "linuxload.h"
#include "log.h"
#include "mbload.h"
#include "multiboot.h"
#include "mem.h"
#include "sched.h"
#include "tracer.h"
#include "vdev.h"
#include "vmcs.h"
#include "vmx.h"
#include "vpci.h"
#include "xstate.h"

#define GUEST_MAX_RESTARTS 3

static void *guest_ept_alloc(void *ctx)
{
	return mem_alloc_pages(1);
}

void *guest_gpa_ptr(struct guest *g, uint64_t gpa, uint64_t len)
{
	uint64_t ram = g->boot->ram_bytes;

	if (gpa >= ram || len > ram - gpa)
		return NULL;
	/* The PC hole is not the guest's RAM: its EPT maps a ROM (or the VGA buffer) there. */
	if (gpa < MBLOAD_HOLE_END && gpa + len > MBLOAD_HOLE_START)
		return NULL;
	return (void *)(uintptr_t)(g->boot->ram_hpa + gpa);
}

#define GUEST_VGA_START 0xb8000u        /* the VGA text buffer, the vga device's MMIO */
#define GUEST_VGA_END   0xc0000u

/*
 * Maps the PC hole 0xa0000-0xfffff as a ROM: every page to the one zero
 * page all guests share, read-only and not executable (a write is an EPT
 * violation whose write hv/exit_misc.c drops; code there would be zeros).
 * The owner of vga gets the VGA text buffer instead: the device itself,
 * read-write, uncacheable.
 */
static int guest_map_hole(struct guest *g)
{
	uint64_t zero = (uint64_t)(uintptr_t)hv.zero_page;
	bool vga = g->cfg->devices & CFG_DEV_VGA;

	for (uint64_t gpa = MBLOAD_HOLE_START; gpa < MBLOAD_HOLE_END; gpa += 4096) {
		if (vga && gpa >= GUEST_VGA_START && gpa < GUEST_VGA_END)
			continue;
		if (ept_map(&g->ept, gpa, zero, 4096, EPT_R) < 0)
			return -1;
	}
	if (vga)
		return ept_map_mt(&g->ept, GUEST_VGA_START, GUEST_VGA_START, GUEST_VGA_END - GUEST_VGA_START,
				  EPT_R | EPT_W, EPT_MT_UC);
	return 0;
}

/* Maps the guest's RAM at guest-physical 0, and the PC hole over it as a ROM. */
static void guest_build_ept(struct guest *g)
{
	uint64_t hpa = g->boot->ram_hpa, bytes = g->boot->ram_bytes;

	if (ept_init(&g->ept, guest_ept_alloc, NULL) < 0)
		panic("guest_build_ept: no memory for the EPT of guest %s", g->cfg->name);
	if (!hv.zero_page)
		hv.zero_page = mem_alloc_pages(1);
	/* 2 MiB leaves only where the CPU has them (IA32_VMX_EPT_VPID_CAP bit 16). */
	g->ept.large_ok = (vmx_caps()->ept_vpid & EPT_CAP_2M) != 0;
	if (ept_map(&g->ept, 0, hpa, MBLOAD_HOLE_START, EPT_RWX) < 0 ||
	    ept_map(&g->ept, MBLOAD_HOLE_END, hpa + MBLOAD_HOLE_END,
		    bytes - MBLOAD_HOLE_END, EPT_RWX) < 0 || guest_map_hole(g) < 0)
		panic("guest_build_ept: cannot map RAM of guest %s", g->cfg->name);
}

/*
 * Builds the I/O bitmaps: every port exits except those the guest owns.
 * The IDE bus master's ports always exit, whatever hv.cfg grants: they
 * carry DMA addresses, which the hv must check (hv/vdma_io.c).
 */
static void guest_build_io_bitmap(struct guest *g)
{
	unsigned bm = vpci_bm_base();
	bool said = false;

	memset(g->io_bitmap, 0xff, 8192);
	for (unsigned port = 0; port < 0x10000; port++) {
		if (!cfg_guest_owns_port(g->cfg, (uint16_t)port))
			continue;
		if (bm && port >= bm && port < bm + 16) {
			if (!said)
				log_printf("hv: guest %s: ports 0x%x-0x%x are the IDE bus master: trapped, "
					   "not passed through\n", g->cfg->name, bm, bm + 15);
			said = true;
			continue;
		}
		g->io_bitmap[port / 8] &= (uint8_t)~(1u << (port % 8));
	}
}

/* Resets counters that belong to one boot of the guest. */
static void guest_reset_counters(struct guest *g)
{
	g->acct_pending = false;
	g->con_len = 0;
	g->tick_backlog = 0;
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++)
		if (!g->stats.count[r])
			g->stats.tsc_min[r] = UINT64_MAX;
}

/* Test-only faults hv.cfg can ask for (system tests of the failure paths). */
static void guest_apply_test_fault(struct guest *g)
{
	if (g->cfg->test_fault == CFG_TEST_VMENTRY && g->boots == 1) {
		/* RFLAGS bit 1 must be 1 (SDM "Checks on Guest RIP and RFLAGS"). */
		vmcs_writenat(GUEST_RFLAGS, 0);
	} else if (g->cfg->test_fault == CFG_TEST_VMCONTROL && g->boots == 1) {
		/* At most 4 CR3-target values (SDM "Checks on VMX Controls"). */
		vmcs_write32(CR3_TARGET_COUNT, 5);
	}
}

void guest_test_fault_on_exit(struct guest *g)
{
	/* test_fault = vmresume: the first boot's first hypercall leaves a state VMRESUME refuses. */
	if (g->cfg->test_fault == CFG_TEST_VMRESUME && g->boots == 1 && !g->test_fault_done) {
		g->test_fault_done = true;
		vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) & ~RFLAGS_FIXED);
	}
}

/*
 * Sets where the vCPU starts, by the guest's boot protocol: Multiboot (EAX
 * magic, EBX info; CS 0x08, DS 0x10, no GDT it may use) or Linux's 32-bit
 * boot protocol (ESI zero page, EBX = EBP = EDI = 0; __BOOT_CS and
 * __BOOT_DS from the GDT the loader wrote).
 */
static void guest_set_start(struct guest *g)
{
	const struct boot_guest *b = g->boot;

	if (g->cfg->boot == CFG_BOOT_LINUX) {
		g->vcpu.start = (struct vcpu_start){
			.rip = b->entry, .rsi = b->zero_page_gpa,
			.gdt_base = b->gdt_gpa, .gdt_limit = (uint16_t)b->gdt_limit,
			.cs = LINUXLOAD_BOOT_CS, .ds = LINUXLOAD_BOOT_DS,
		};
		return;
	}
	g->vcpu.start = (struct vcpu_start){
		.rip = b->entry, .rax = MB_BOOT_MAGIC, .rbx = b->mbi_gpa,
		.gdt_base = 0, .gdt_limit = 0xffff, .cs = 0x08, .ds = 0x10,
	};
}

/*
 * Installs g's ACPI tables (acpi = on) into its RAM: after every load,
 * which clears the RAM. Returns 0, or -1 after logging why.
 */
static int guest_install_acpi(struct guest *g)
{
	const struct acpitab_cfg c = { .ncpus = 1, .vga = (g->cfg->devices & CFG_DEV_VGA) != 0 };
	struct acpitab_out out;

	if (!g->cfg->acpi)
		return 0;
	if (acpitab_install((void *)(uintptr_t)g->boot->ram_hpa, g->boot->ram_bytes, &c, &out) < 0) {
		log_printf("hv: guest %s: cannot build its ACPI tables\n", g->cfg->name);
		return -1;
	}
	return 0;
}

/*
 * The vCPU's state outside the VMCS as after a reset: the modelled and
 * switched MSRs, the TSC offset, FPU/SSE/AVX and debug registers, CR2 and
 * CR8 (vmx.c builds the VMCS; this is the rest of a fresh CPU).
 */
static void guest_reset_vcpu(struct vcpu *v)
{
	msr_vcpu_reset(v);
	xstate_reset(v);
	v->cr2 = 0;
	v->cr8 = 0;
	v->fresh = true;
}

void guest_init_all(struct boot_info *bi)
{
	hv.nguests = bi->cfg.nguests;
	for (int i = 0; i < hv.nguests; i++) {
		struct guest *g = &hv.guests[i];
		g->id = i;
		g->cfg = &bi->cfg.guests[i];
		g->boot = &bi->guests[i];
		g->state = GUEST_RUNNABLE;
		g->boots = 1;
		guest_build_ept(g);
		if (guest_install_acpi(g) < 0)
			panic("guest_init_all: ACPI tables of guest %s", g->cfg->name);
		if (lapic_guest_setup(g) < 0)
			panic("guest_init_all: APIC-access page of guest %s", g->cfg->name);
		vdev_init(g);
		g->io_bitmap = mem_alloc_pages(2);
		g->msr_bitmap = mem_alloc_pages(1);
		guest_build_io_bitmap(g);
		msr_build_bitmap(g);
		guest_set_start(g);
		xstate_setup(&g->vcpu);
		vmx_guest_setup(g);
		guest_reset_vcpu(&g->vcpu);
		guest_apply_test_fault(g);
		guest_reset_counters(g);
		log_printf("hv: guest %s: %lu MiB RAM at host 0x%lx, entry 0x%x, %u EPT tables, cmdline \"%s\"\n",
			   g->cfg->name, g->boot->ram_bytes >> 20, g->boot->ram_hpa,
			   g->boot->entry, g->ept.tables, g->cfg->cmdline);
	}
}

/* Loads the pristine image (and initrd or modules) into g's RAM again. Returns 0, or -1 after logging why. */
static int guest_reload(struct guest *g)
{
	struct guestload_result r;

	if (guestload(g->cfg, g->boot, &r) < 0) {
		log_printf("hv: guest %s: cannot reload: %s\n", g->cfg->name, r.msg);
		return -1;
	}
	return guest_install_acpi(g);
}

int guest_restart(struct guest *g)
{
	struct vcpu *v = &g->vcpu;

	if (guest_reload(g) < 0)
		return -1;
	g->boots++;
	vdev_init(g);
	guest_set_start(g);
	/* A fresh VMCS and fresh CPU state: nothing of the last boot is kept. */
	vmx_vcpu_rebuild(g);
	guest_reset_vcpu(v);
	guest_apply_test_fault(g);
	guest_reset_counters(g);
	irq_guest_started(g);
	sched_boot_started(g, cpu_rdtsc());
	g->state = GUEST_RUNNABLE;
	log_printf("hv: guest %s restarted (boot %u)\n", g->cfg->name, g->boots);
	return 0;
}

/*
 * Ends g's current boot: its state, and its last console line out (before
 * the line that says why it ended). The rest is the scheduler's, at its
 * next scheduling point on g's CPU (guest_close_boot).
 */
static void guest_end_boot(struct guest *g, enum guest_state state)
{
	g->state = state;
	g->boot_over = true;
	if (g->con_len)
		guest_con_putc(g, '\n');
}

void guest_close_boot(struct guest *g)
{
	g->boot_over = false;
	trace_forget(&g->vcpu);
	irq_guest_stopped(g);
	guest_print_stats(g);
}

/* Stops g for the reason fmt gives; with hv.cfg's restart policy if by_policy. */
static void guest_stopv(struct guest *g, bool by_policy, const char *fmt, va_list ap)
{
	log_vsnprintf(g->stop_reason, sizeof(g->stop_reason), fmt, ap);
	guest_end_boot(g, GUEST_STOPPED);
	log_printf("hv: guest %s stopped: %s\n", g->cfg->name, g->stop_reason);
	if (by_policy && g->cfg->restart == CFG_RESTART_YES) {
		if (g->boots > GUEST_MAX_RESTARTS)
			log_printf("hv: guest %s: restart limit (%d) reached, stays stopped\n",
				   g->cfg->name, GUEST_MAX_RESTARTS);
		else
			g->sched.restart_due = true;
	}
}

void guest_stop(struct guest *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	guest_stopv(g, true, fmt, ap);
	va_end(ap);
}

void guest_stop_asked(struct guest *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	guest_stopv(g, false, fmt, ap);
	va_end(ap);
}

void guest_exit(struct guest *g, int status)
{
	g->exit_status = status;
	guest_end_boot(g, GUEST_EXITED);
	log_printf("hv: guest %s exited with status %d\n", g->cfg->name, status);
}

void guest_halted_for_good(struct guest *g)
{
	guest_end_boot(g, GUEST_HALTED_OFF);
	log_printf("hv: guest %s halted with interrupts off: nothing can wake it, it has ended\n",
		   g->cfg->name);
}

void guest_halted_masked(struct guest *g)
{
	guest_end_boot(g, GUEST_HALTED_OFF);
	log_printf("hv: guest %s halted with every interrupt masked or held off: "
		   "nothing can wake it, it has ended\n", g->cfg->name);
}

bool guest_ended(const struct guest *g)
{
	return g->state == GUEST_EXITED || g->state == GUEST_HALTED_OFF ||
	       (g->state == GUEST_STOPPED && !g->sched.restart_due);
}

/* Longest "[name] (N console bytes dropped: ...)" line (name < CFG_NAME_MAX, N < 2^64). */
#define GUEST_CON_REPORT_MAX (CFG_NAME_MAX + 84)

/*
 * Sends g's finished console line to the log, or counts it as dropped
 * (quota full). A dropped line costs a comparison: nothing is formatted
 * for it, so a guest that floods its console (HC_CONSOLE of 4096 one-byte
 * lines) keeps the hv in root mode for little longer than the bytes take.
 */
static void guest_con_flush(struct guest *g)
{
	char line[GUEST_CON_LINE + CFG_NAME_MAX + 64];
	size_t room = log_guest_room((unsigned)g->id);
	size_t name = lib_strnlen(g->cfg->name, CFG_NAME_MAX);
	size_t text, n;

	if (g->con_unreported && room >= GUEST_CON_REPORT_MAX) {
		n = log_snprintf(line, sizeof(line), "[%s] (%lu console bytes dropped: output faster "
				 "than the log drains)\n", g->cfg->name, g->con_unreported);
		if (log_guest_line((unsigned)g->id, line, n)) {
			g->con_unreported = 0;
			room -= n;
		}
	}
	text = lib_strnlen(g->con, g->con_len);  /* a NUL ends the text, as it always did */
	n = name + text + 4;                     /* "[" name "] " text "\n" */
	if (g->con_unreported || n > room) {
		g->con_dropped += g->con_len + 1;
		g->con_unreported += g->con_len + 1;
	} else {
		line[0] = '[';
		memcpy(line + 1, g->cfg->name, name);
		line[name + 1] = ']';
		line[name + 2] = ' ';
		memcpy(line + name + 3, g->con, text);
		line[n - 1] = '\n';
		log_guest_line((unsigned)g->id, line, n);
	}
	g->con_len = 0;
}

void guest_con_putc(struct guest *g, char c)
{
	if (c == '\r')
		return;
	if (c != '\n' && g->con_len < GUEST_CON_LINE - 1) {
		g->con[g->con_len++] = c;
		return;
	}
	guest_con_flush(g);
	if (c != '\n')
		g->con[g->con_len++] = c;
}

/* Refusal lines: at most GUEST_REFUSALS_PER_S a second per guest, the rest counted. */
#define GUEST_REFUSALS_PER_S 8

void guest_log_refusal(struct guest *g, const char *fmt, ...)
{
	struct log_limit *l = &g->refusal_limit;
	char msg[160];
	va_list ap;

	if (!log_limit_allow(l, cpu_rdtsc(), hv.tsc_hz, GUEST_REFUSALS_PER_S))
		return;
	va_start(ap, fmt);
	log_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->suppressed) {
		log_printf("hv: guest %s: %s (%u similar lines not printed before this one)\n",
			   g->cfg->name, msg, l->suppressed);
		l->suppressed = 0;
	} else {
		log_printf("hv: guest %s: %s\n", g->cfg->name, msg);
	}
}

/* Prints ticks in microseconds. */
static uint64_t guest_us(uint64_t tsc)
{
	return hv.tsc_hz >= 1000000 ? tsc / (hv.tsc_hz / 1000000) : 0;
}

void guest_print_stats(const struct guest *g)
{
	const struct exit_stats *s = &g->stats;

	log_printf("hv: guest %s exits: %lu total; ran %lu us; %lu virtual interrupts injected, "
		   "%lu timer ticks lost (%lu beyond the backlog)\n", g->cfg->name, s->total,
		   guest_us(g->sched.guest_tsc), g->virqs_injected, g->ticks_lost, g->ticks_over_backlog);
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++) {
		if (!s->count[r])
			continue;
		uint64_t min = s->tsc_min[r] == UINT64_MAX ? 0 : s->tsc_min[r];
		log_printf("hv:   %-24s %8lu  tsc min %lu max %lu sum %lu\n",
			   exit_reason_name(r), s->count[r], min, s->tsc_max[r], s->tsc_sum[r]);
	}
	log_printf("hv: guest %s CPU: %lu us in the guest, %lu us in the hv on its behalf; "
		   "share %u.%u%%\n", g->cfg->name, guest_us(g->sched.guest_tsc),
		   guest_us(sched_hv_time(g)), g->sched.permille / 10, g->sched.permille % 10);
	if (g->con_dropped || g->refusal_limit.total_suppressed)
		log_printf("hv: guest %s: %lu console bytes dropped, %lu refusal lines suppressed\n",
			   g->cfg->name, g->con_dropped, g->refusal_limit.total_suppressed);
	if (g->dma_started || g->dma_refusals)
		log_printf("hv: guest %s DMA: %lu transfers started, %lu refused\n", g->cfg->name,
			   g->dma_started, g->dma_refusals);
	if (g->apic.mmio || g->apic.nmis)
		log_printf("hv: guest %s APIC: %lu xAPIC/IOAPIC accesses emulated, %lu NMIs injected\n",
			   g->cfg->name, g->apic.mmio, g->apic.nmis);
	lapic_contain_print(g);
}
