/*
 * hv_main: the nanokernel's start. Runs on its own stack with boot
 * services gone; takes over the CPU and launches the guests.
 */
#include "hv.h"
#include "barrier.h"
#include "cpu.h"
#include "cpumodel.h"
#include "guest.h"
#include "irq.h"
#include "log.h"
#include "madt.h"
#include "mem.h"
#include "percpu.h"
#include "sched.h"
#include "setup.h"
#include "smp.h"
#include "tracer.h"
#include "virq.h"
#include "vmx.h"
#include "vpci.h"
#include "xstate.h"

#define COM1 0x3f8

struct hv hv;
void hv_main(struct boot_info *bi) __attribute__((noreturn));

/* Returns the serial port the hv may log on: COM1 unless a guest owns it. */
static uint16_t hv_log_port(const struct hv_config *c)
{
	for (int i = 0; i < c->nguests; i++)
		if (cfg_guest_owns_port(&c->guests[i], COM1))
			return 0;
	return COM1;
}

/* Masks every line of the physical 8259 pair: the hv polls, guests get virtual PICs. */
static void hv_mask_pic(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/* Logs the CPUs and the interrupt controllers the boot stage found. */
static void hv_log_machine(const struct boot_info *bi)
{
	const struct boot_madt *m = &bi->madt;
	char line[200];

	madt_describe_cpus(&bi->cpus, line, sizeof(line));
	log_printf("hv: CPUs: %s\n", line);
	if (!m->found)
		log_printf("hv: no ACPI MADT: LAPIC and IOAPIC at their architectural addresses "
			   "(0xfee00000, 0xfec00000), the 8259 pair\n");
	else
		log_printf("hv: MADT: local APICs at 0x%lx%s\n", m->lapic_addr,
			   m->flags & 1 ? ", an 8259 pair (PCAT_COMPAT)" : "");
	for (uint32_t i = 0; i < m->nioapic; i++)
		log_printf("hv: IOAPIC ID %u at 0x%x, GSIs from %u\n", m->ioapic[i].id,
			   m->ioapic[i].addr, m->ioapic[i].gsi_base);
	for (uint32_t i = 0; i < m->niso; i++)
		log_printf("hv: interrupt source override: bus %u IRQ %u -> GSI %u, flags 0x%x\n",
			   m->iso[i].bus, m->iso[i].source, m->iso[i].gsi, m->iso[i].flags);
}

void hv_init(struct boot_info *bi)
{
	percpu_boot(bi->cpus.n ? bi->cpus.apic_id[0] : 0);
	if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION ||
	    bi->size != sizeof(*bi)) {
		log_init(COM1);
		panic("hv_main: boot_info version %u size %u, expected %u size %u",
		      bi->version, bi->size, BOOT_INFO_VERSION, (unsigned)sizeof(*bi));
	}
	log_init(hv_log_port(&bi->cfg));
	log_printf("hv: nanokernel started: %d guest(s), TSC %lu kHz (%s), heap %lu KiB at 0x%lx\n",
		   bi->cfg.nguests, bi->tsc_hz / 1000, bi->tsc_source, bi->heap_bytes >> 10, bi->heap_base);
	hv_log_machine(bi);
	hv.bi = bi;
	hv.tsc_hz = bi->tsc_hz;
	log_uart_pace(hv.tsc_hz);
	hv.vmcheck = bi->cfg.vmcheck;
	hv_mask_pic();
	mem_init(bi->heap_base, bi->heap_bytes);
	setup_host_cpu(bi->max_phys);
	vmx_init();
	virq_init((unsigned)(vmx_caps()->misc & VMX_MISC_PREEMPT_SHIFT));
	xstate_init();
	cpumodel_init();
	barrier_init();
	hv.slice_tsc = hv.tsc_hz / 1000000 * bi->cfg.timeslice_us;
	hv.period_tsc = hv.tsc_hz / 1000000 * bi->cfg.period_us;
	vpci_init();
	guest_init_all(bi);
	irq_init();
	smp_init();
	trace_init();
	sched_init();
	log_set_charge_hook(sched_charge_log);
	hv.start_tsc = cpu_rdtsc();
	log_printf("hv: hv heap used %lu KiB; launching\n", mem_used_bytes() >> 10);
}

void hv_main(struct boot_info *bi)
{
	hv_init(bi);
	smp_go_all();
	sched_run();
}

/* Returns the hv's exit status: that of the first guest that failed, or 0. */
static int hv_status(void)
{
	for (int i = 0; i < hv.nguests; i++) {
		const struct guest *g = &hv.guests[i];
		if (g->state == GUEST_STOPPED)
			return 1;
		if (g->state == GUEST_EXITED && g->exit_status)
			return g->exit_status;
	}
	return 0;
}

void hv_shutdown(void)
{
	int status = hv_status();

	smp_shutdown_begin();                    /* the other CPUs, parked, stop for good */
	trace_finish();
	if (irq_unexpected || setup_nmis)
		log_printf("hv: %lu unexpected interrupt vectors, %lu NMIs in root mode\n",
			   irq_unexpected, setup_nmis);
	uint64_t total = cpu_rdtsc() - hv.start_tsc, ms = hv.tsc_hz / 1000;

	if (pcpu_count == 1) {
		log_printf("hv: ran %lu ms, CPU idle (halted) %lu ms\n", total / ms, pcpus[0].idle_tsc / ms);
	} else {
		uint64_t idle = 0;

		for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
			uint64_t exits = 0;
			unsigned n = 0;

			if (!pcpus[i].online)
				continue;
			for (int k = 0; k < hv.nguests; k++)
				if (hv.guests[k].cpu == i) {
					exits += hv.guests[k].stats.total;
					n++;
				}
			idle += pcpus[i].idle_tsc;
			log_printf("hv: CPU %u: %u guest(s), %lu exits, idle (halted) %lu ms\n", i, n, exits,
				   pcpus[i].idle_tsc / ms);
		}
		log_printf("hv: ran %lu ms on %u CPUs, idle (halted) %lu ms in all; the others stopped by NMI\n",
			   total / ms, pcpu_count, idle / ms);
	}
	log_printf("hv: all guests ended; status %d\n", status);
	log_printf("hv: halted\n");
	log_flush();
	/* QEMU's isa-debug-exit, if present, ends the emulator; elsewhere a no-op. */
	outb(0xf4, (uint8_t)status);
	cpu_halt_forever();
}
