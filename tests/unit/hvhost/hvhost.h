/*
 * The hv on the host: a fake CPU (MSRs, CPUID, ports, control and debug
 * registers, XCR0, TSC) and a fake VMCS (one value per field encoding per
 * VMCS region, launch states, VMX instructions) behind the names of
 * hv/cpu.h and hv/vmcs.h, so that the hv's own code (exit handlers,
 * virtual interrupts, the scheduler, the run loop) runs under cmocka.
 *
 * The fake vmx_run behaves as the CPU's VM entry: it checks the launch
 * state (VMLAUNCH on a launched VMCS fails with error 4, ...), runs the
 * SDM's entry checks (hv/vmcheck.c) on the VMCS as a stricter CPU would,
 * records what was injected, clears the entry-interruption valid bit, and
 * comes back with the next exit of the test's script.
 */
#ifndef HVHOST_H
#define HVHOST_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "hv.h"
#include "cpu.h"
#include "vmcs.h"
#include "vmcheck.h"

/* ---- the fake CPU ---------------------------------------------------- */

#define FAKE_MAX_MSRS   128
#define FAKE_MAX_CPUID  64
#define FAKE_IOAPICS    2
#define FAKE_MAX_ICR    16

/*
 * A fake local APIC behind mmio_read32/write32 (xAPIC, at IA32_APIC_BASE)
 * and the x2APIC MSRs (0x800-0x8ff while IA32_APIC_BASE.EXTD is set): a
 * register file, a timer that counts one tick per tsc_per_tick TSC ticks
 * from the TMICT write, EOIs (each broadcast to the fake IOAPICs for the
 * vector fake_deliver put in service), and the IPIs sent (ICR).
 */
struct fake_lapic {
	uint32_t reg[0x40];          /* by offset / 16 */
	uint64_t tmict_tsc;          /* TSC at the last TMICT write */
	uint64_t tsc_per_tick;       /* the timer's clock: TSC rate / this (0: 1) */
	unsigned eois;
	int in_service;              /* vector fake_deliver delivered, -1: none */
	uint64_t icr[FAKE_MAX_ICR];  /* sends: destination << 32 | ICR bits 31:0 */
	unsigned nicr;
};

/* A fake IOAPIC: hv/vioapic.c's model of the 82093AA window at addr. */
struct fake_ioapic {
	bool present;
	uint32_t addr;
	struct vioapic io;
};

struct fake_cpu {
	struct { uint32_t msr; uint64_t val; bool gp_on_write; } msr[FAKE_MAX_MSRS];
	unsigned nmsr;
	struct { uint32_t leaf, sub; struct cpuid_regs r; } cpuid[FAKE_MAX_CPUID];
	unsigned ncpuid;
	uint64_t cr0, cr2, cr3, cr4, dr[8], xcr0, tsc, tsc_step;
	uint64_t root_pending;       /* added by the next RDTSC: an exit's root-mode time */
	bool xsetbv_faults;          /* the next XSETBV raises #GP (a stricter host) */
	uint64_t xsetbv_count, wrmsr_count, invvpid_count, wbinvd_count;
	uint64_t last_invvpid_type;
	uint64_t verw_count, ibpb_count, l1d_flush_count;
	char e9[1 << 20];            /* what went to port 0xE9 */
	size_t e9_len;
	uint8_t pic_imr[2];
	uint8_t elcr[2];             /* level-triggered ISA lines (0x4d0/0x4d1) */
	unsigned machine_reset_writes;   /* writes to 0x64, 0x92, 0xcf9: would reset the machine */
	uint32_t refuse_field;       /* a VMCS field this CPU lacks (VMREAD/VMWRITE fail), 0: none */
	struct desc_ptr idtr;        /* what the hv loaded with LIDT */
	struct fake_lapic lapic;
	struct fake_ioapic ioapic[FAKE_IOAPICS];   /* none present after fake_reset */
	unsigned mmio_stray;         /* MMIO accesses nothing answered (read all ones) */
	bool halted_forever;
	unsigned parked;              /* times a CPU parked (cpu_park) */
	unsigned idle_vector;         /* if set: the next idle ends after idle_wait ticks with this vector */
	uint64_t idle_wait;
	bool uart_busy;               /* COM1's LSR says the transmitter is busy */
	unsigned lsr_reads;           /* reads of COM1's LSR */
	uint64_t eoi_cost;            /* TSC ticks each write to the master 8259's command port takes */
	jmp_buf *halt_jmp;           /* cpu_halt_forever longjmps here if set */
};

extern struct fake_cpu fake;

/* Resets the fake CPU to a Haswell-like host with VMX, EPT, VPID, unrestricted guest. */
void fake_reset(void);

/* Sets an MSR's value (creating it). */
void fake_set_msr(uint32_t msr, uint64_t val);
uint64_t fake_get_msr(uint32_t msr);

/* Sets the answer to CPUID (leaf, sub); sub 0xffffffff: any subleaf. */
void fake_set_cpuid(uint32_t leaf, uint32_t sub, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx);

/* Returns true if the hv's log (port 0xE9) contains s. */
bool fake_log_has(const char *s);
/* Forgets the log so far. */
void fake_log_clear(void);

/*
 * Gives the fake CPU an enabled local APIC at 0xfee00000 (x2APIC mode if
 * x2apic) with APIC ID id, and IOAPIC i at addr (24 pins) if addr != 0.
 */
void fake_enable_lapic(bool x2apic, uint32_t id);
void fake_add_ioapic(unsigned i, uint32_t addr);

/* Delivers vector through the fake local APIC (in service until EOI) and runs hv_irq. */
void fake_deliver(unsigned vector);

/* ---- the fake VMCS --------------------------------------------------- */

/* Reads/writes a field of the current VMCS directly, as the CPU would. */
uint64_t fake_vmcs_get(uint32_t field);
void fake_vmcs_set(uint32_t field, uint64_t v);

/* The fake CPU's identity for the checker (capability MSRs, widths). */
const struct vmcheck_cpu *fake_vmcheck_cpu(void);

/* Runs the SDM's entry checks on the current VMCS; returns the first rule broken or NULL. */
const char *fake_vmcheck(void);

/* One exit the fake vmx_run returns with (the script of a run-loop test). */
struct fake_exit {
	uint32_t reason;             /* basic reason (bit 31 is the fake's, on entry failure) */
	uint64_t qual;
	uint32_t insn_len;
	uint32_t intr_info;          /* VM-exit interruption information */
	uint32_t idt_vectoring;
	uint64_t gpa;
	uint64_t tsc_advance;        /* guest time run before the exit */
	uint64_t root_advance;       /* root-mode time the hv's handling of it takes */
	/* Called after the entry was checked and before the exit is written (may be NULL). */
	void (*before)(struct vcpu *v, void *arg);
	void *arg;
};

/* What one fake VM entry saw. */
struct fake_entry {
	int guest;
	bool launch;                 /* VMLAUNCH, else VMRESUME */
	int rc;                      /* vmx_run's return: 0, 1, 2 */
	uint32_t insn_error;         /* VM-instruction error on VMfailValid */
	bool guest_state_failed;     /* entry failed the guest-state checks: exit 33 */
	const char *rule;            /* the rule broken, if any */
	uint32_t injected;           /* VM-entry interruption information at entry */
	uint32_t injected_error;
	uint64_t rip, rflags, preemption_timer;
};

#define FAKE_MAX_SCRIPT  4096
#define FAKE_MAX_ENTRIES 4096

struct fake_run {
	struct fake_exit script[FAKE_MAX_SCRIPT];
	unsigned nscript, next;
	/* Per guest: when its script runs out, exit with this (default: HLT). */
	struct fake_entry entries[FAKE_MAX_ENTRIES];
	unsigned nentries;
	jmp_buf *done_jmp;           /* longjmp here when the script is used up */
	struct fake_exit (*generator)(struct vcpu *v, void *arg);   /* exits when no script */
	void *generator_arg;
};

extern struct fake_run fake_run;

/* ---- booting the hv on the host ------------------------------------- */

/*
 * Builds a boot_info from hv.cfg text (every guest gets RAM and a tiny
 * Multiboot image whose entry point is 0x100000) and runs hv_init: the hv
 * is then up to the point where it would enter its first guest.
 */
void host_boot(const char *cfg_text);

/*
 * The machine's CPUs for the next host_boot (default 1; reset by each
 * host_boot). With more than one, the hv "starts" the APs its guests are
 * placed on (they are online at once) and host_run_cpu runs one CPU's loop.
 */
extern unsigned host_cpus;

/* If set, host_boot calls it after fake_reset(): a test's change to the host CPU. */
extern void (*host_tweak)(void);

/* If set, host_boot calls it on the boot_info just before hv_init (a MADT, CPUs). */
extern void (*host_bi_tweak)(struct boot_info *bi);

/* Frees what host_boot allocated. */
void host_teardown(void);

/* A cmocka teardown that calls host_teardown. */
int host_cmocka_teardown(void **state);

/* Appends one exit to the run loop's script. */
void host_script(struct fake_exit e);

/* Fails the cmocka test, naming the rule, if the current VMCS breaks an SDM entry check. */
void host_assert_entry_ok(void);

/* CS access rights: present, DPL 0, accessed code; 64-bit (L = 1) or 32-bit (D = 1). */
#define HOST_AR_CODE64 0xa09bu
#define HOST_AR_CODE32 0xc09bu

/*
 * Puts the current VMCS (guest 0's after host_boot) in IA-32e mode as after
 * the guest's own switch: CR0 = cr0 (PE and PG among them), CR4.PAE,
 * CR3 = cr3, EFER.LME|LMA, the IA-32e mode entry control, and CS in 64-bit
 * mode (cs_l) or compatibility mode. The page tables are the caller's.
 */
void host_long_mode(uint64_t cr0, uint64_t cr3, bool cs_l);

/* Runs the hv's run loop until the script is used up or the hv ends. Returns true if the hv ended. */
bool host_run(void);

/*
 * Runs CPU id's run loop (an AP's: it adopts its guests' VMCSs first) on
 * the test's thread until the script is used up or that CPU is done.
 * Returns true if it ended (parked or ended the hv). The current CPU is 0 again after.
 */
bool host_run_cpu(unsigned id);

/* Makes guest i's VMCS current and returns its vCPU. */
struct vcpu *host_vcpu(int i);

/*
 * Prepares the exit fields of v's VMCS as the CPU would write them and
 * dispatches it (v current): reason, qualification, instruction length.
 */
int host_exit(struct vcpu *v, uint32_t reason, uint64_t qual, uint32_t insn_len);

/* The guest's host pointer for guest-physical gpa. */
void *host_gpa(int guest, uint64_t gpa);

/*
 * Returns true if the hv's log has s once its ring is drained (guest
 * console lines wait in the ring until the hv drains it).
 */
bool host_log_has(const char *s);

/* A byte OUT / IN by v at port, as a port exit that must resume the guest (else abort). */
void host_port_out(struct vcpu *v, uint16_t port, uint8_t val);
uint8_t host_port_in(struct vcpu *v, uint16_t port);

#endif
