/*
 * Per-CPU state: one struct pcpu per CPU the hv runs on, found through the
 * GS base (IA32_GS_BASE in root mode; the VMCS's HOST_GS_BASE gives it
 * back at every VM exit). Index 0 is the boot processor; index i is
 * boot_info.cpus.apic_id[i], hv.cfg's `cpu = i`.
 *
 * Under HOST_TEST (the hv's unit tests on the host) the current CPU is
 * percpu_host_cpu, which a test sets.
 */
#ifndef HV_PERCPU_H
#define HV_PERCPU_H

#include <stdbool.h>
#include <stdint.h>
#include "boot_info.h"
#include "cpu.h"

#define HV_MAX_CPUS BOOT_MAX_CPUS

struct pcpu {
	struct pcpu *self;           /* offset 0: %gs:0 */
	uint32_t id;                 /* offset 8: index, 0 = the boot processor */
	uint32_t apic_id;            /* its local APIC's ID */
	struct cpu_fixup fixup;      /* offset 16 (CPU_FIXUP_GS): its armed instruction (hv/cpu.h) */
	volatile bool online;        /* running the hv (the BSP from the start; an AP once started) */
	bool done;                   /* every guest placed on it has ended: it is parked */
	uint64_t idle_tsc;           /* TSC spent halted with every guest of this CPU idle */
	void *vmxon;                 /* its VMXON region */
	void *vmcs_current;          /* the vCPU whose VMCS is current on it (hv/vmx.c) */
	void *tables;                /* its GDT, TSS, IDT and IST stack (hv/setup.c) */
	uint64_t tss_base;
	void *stack_top;             /* its root-mode stack (the BSP's is the boot stack) */
	uint32_t posted_edge;        /* device lines another CPU took for its guests (hv/irq.c) */
	uint32_t posted_level;
	bool requests;               /* a guest on it has a manager's request (hv/sched.c) */
	bool parked;                 /* in smp_cpu_done's wait, its log lines out: holds no lock */
};

extern struct pcpu pcpus[HV_MAX_CPUS];
extern unsigned pcpu_count;          /* CPUs the hv runs on (the BSP and each AP started) */

#ifdef HOST_TEST
extern unsigned percpu_host_cpu;
static inline struct pcpu *this_pcpu(void) { return &pcpus[percpu_host_cpu]; }
#else
static inline struct pcpu *this_pcpu(void)
{
	struct pcpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}
#endif

/* Index of the CPU running this code (0: the boot processor). */
static inline unsigned this_cpu(void) { return this_pcpu()->id; }

/* On the BSP, first thing: every CPU's state cleared, the BSP's entered. */
void percpu_boot(uint32_t bsp_apic_id);

/* Points the GS base at pcpus[id] (IA32_GS_BASE): this_pcpu() works on this CPU from now. */
void percpu_enter(unsigned id, uint32_t apic_id);

#endif
