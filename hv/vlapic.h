/*
 * Virtual local APIC, one per vCPU: the xAPIC register page (MMIO at
 * IA32_APIC_BASE, 0xfee00000), the x2APIC MSRs 0x800-0xbff,
 * IA32_APIC_BASE (0x1b) and IA32_TSC_DEADLINE (0x6e0). Pure logic, like
 * vpic.c: no allocation, time is the guest's TSC handed in by the caller.
 *
 * What the model is: version 0x14 with six LVT entries (timer, thermal,
 * performance counters, LINT0, LINT1, error; no CMCI) and EOI-broadcast
 * suppression (version 0x01050014); the timer in one-shot, periodic and
 * TSC-deadline mode, counting at bus_hz (the "APIC bus" or core crystal
 * clock) divided by the divide configuration; self-IPIs; one vCPU.
 *
 * Driving it from the hv:
 *   - xAPIC MMIO:       vlapic_mmio_read / vlapic_mmio_write (offset in the
 *                       page); only in xAPIC mode (vlapic_xapic_mode)
 *   - MSR exits:        for vlapic_handles_msr(msr): vlapic_rdmsr /
 *                       vlapic_wrmsr; -1 means inject #GP(0)
 *   - CR8:              vlapic_read_cr8 / vlapic_write_cr8 (TPR[7:4])
 *   - interrupt input:  an IOAPIC message whose destination
 *                       vlapic_match_dest accepts: vlapic_accept_irq; LINT0
 *                       and LINT1 pin levels: vlapic_set_lint
 *   - before entry:     vlapic_update(a, guest_tsc) fires expired timers;
 *                       then, if the guest can take an external interrupt
 *                       (RFLAGS.IF=1, no STI/MOV-SS blocking):
 *                           if (vlapic_extint_open(a) && vpic_has_interrupt(pic))
 *                               inject vpic_ack(pic)      (ExtINT: the 8259's
 *                                     vector; no IRR/ISR, not gated by PPR)
 *                           else if (vlapic_pending_vector(a) >= 0)
 *                               inject vlapic_ack(a)      (IRR -> ISR)
 *                       else ask for an interrupt-window exit if either is
 *                       pending; an NMI: if vlapic_nmi_pending(a) and the
 *                       guest is not blocking NMIs, vlapic_take_nmi(a) and
 *                       inject it (else NMI-window exiting)
 *   - after a write:    vlapic_take_eoi(a) until -1: each vector is a
 *                       level-triggered EOI to broadcast to the IOAPIC
 *                       (vioapic_eoi)
 *   - scheduling:       vlapic_next_event(a) is the guest TSC at which
 *                       the timer next sets an IRR bit (UINT64_MAX: never);
 *                       wake or preempt the vCPU then and call vlapic_update
 *
 * The ExtINT path: with the APIC globally disabled (IA32_APIC_BASE.EN = 0)
 * the 8259's INTR reaches the CPU directly and LINT1 is the NMI pin
 * ("Enabling or Disabling the Local APIC"); with the APIC enabled, it does
 * so through LINT0 programmed as ExtINT and unmasked (virtual wire mode).
 * vlapic_extint_open says which; KVM gives ExtINT precedence over the
 * APIC's own vectors, and so should the entry path.
 *
 * Time: guest_tsc = host TSC + the guest's TSC offset. The timer's count
 * is a pure function of (now - start) computed with 64-bit integers only,
 * exact at any rate pair that vlapic_init accepts, so it never drifts.
 */
#ifndef HV_VLAPIC_H
#define HV_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define VLAPIC_DEFAULT_BASE     0xfee00000u
#define VLAPIC_MSR_APIC_BASE    0x1bu
#define VLAPIC_MSR_TSC_DEADLINE 0x6e0u
#define VLAPIC_MSR_X2APIC_FIRST 0x800u
#define VLAPIC_MSR_X2APIC_LAST  0xbffu

/* IA32_APIC_BASE bits ("Local APIC Status and Location"). */
#define VLAPIC_BASE_BSP   (1ull << 8)
#define VLAPIC_BASE_EXTD  (1ull << 10)
#define VLAPIC_BASE_EN    (1ull << 11)

/* xAPIC register offsets ("Local APIC Register Address Map"). */
#define VLAPIC_ID        0x020
#define VLAPIC_VERSION   0x030
#define VLAPIC_TPR       0x080
#define VLAPIC_APR       0x090
#define VLAPIC_PPR       0x0a0
#define VLAPIC_EOI       0x0b0
#define VLAPIC_RRD       0x0c0
#define VLAPIC_LDR       0x0d0
#define VLAPIC_DFR       0x0e0
#define VLAPIC_SVR       0x0f0
#define VLAPIC_ISR       0x100          /* 8 registers, 0x10 apart */
#define VLAPIC_TMR       0x180
#define VLAPIC_IRR       0x200
#define VLAPIC_ESR       0x280
#define VLAPIC_ICR_LO    0x300
#define VLAPIC_ICR_HI    0x310
#define VLAPIC_LVT_TIMER 0x320
#define VLAPIC_LVT_THERM 0x330
#define VLAPIC_LVT_PMC   0x340
#define VLAPIC_LVT_LINT0 0x350
#define VLAPIC_LVT_LINT1 0x360
#define VLAPIC_LVT_ERROR 0x370
#define VLAPIC_TMICT     0x380          /* timer initial count */
#define VLAPIC_TMCCT     0x390          /* timer current count */
#define VLAPIC_TDCR      0x3e0          /* timer divide configuration */
#define VLAPIC_SELF_IPI  0x3f0          /* x2APIC only (MSR 0x83f) */

/* The x2APIC MSR of xAPIC offset off. */
#define VLAPIC_X2APIC_MSR(off) (VLAPIC_MSR_X2APIC_FIRST + ((off) >> 4))

/* Version register: version 0x14, max LVT entry 5, EOI-broadcast suppression. */
#define VLAPIC_VERSION_VALUE 0x01050014u

/* Delivery modes (ICR, LVT, IOAPIC redirection entries). */
#define VLAPIC_DM_FIXED   0
#define VLAPIC_DM_LOWEST  1
#define VLAPIC_DM_SMI     2
#define VLAPIC_DM_NMI     4
#define VLAPIC_DM_INIT    5
#define VLAPIC_DM_SIPI    6
#define VLAPIC_DM_EXTINT  7

/* ESR bits ("Error Handling"); the P6-only checksum/accept bits are never set. */
#define VLAPIC_ESR_REDIR_IPI      (1u << 4)
#define VLAPIC_ESR_SEND_ILLEGAL   (1u << 5)
#define VLAPIC_ESR_RECV_ILLEGAL   (1u << 6)
#define VLAPIC_ESR_ILLEGAL_REG    (1u << 7)

/* The LVT entries, in register order (index = (offset - 0x320) / 0x10). */
enum vlapic_lvt {
	VLAPIC_LVT_TIMER_IDX, VLAPIC_LVT_THERM_IDX, VLAPIC_LVT_PMC_IDX,
	VLAPIC_LVT_LINT0_IDX, VLAPIC_LVT_LINT1_IDX, VLAPIC_LVT_ERROR_IDX,
	VLAPIC_LVT_COUNT
};

#define VLAPIC_LVT_MASKED      (1u << 16)
#define VLAPIC_LVT_REMOTE_IRR  (1u << 14)
#define VLAPIC_LVT_LEVEL       (1u << 15)

/* Timer modes, LVT timer bits 18:17 ("APIC Timer"). */
#define VLAPIC_TIMER_ONESHOT   0
#define VLAPIC_TIMER_PERIODIC  1
#define VLAPIC_TIMER_DEADLINE  2

/*
 * A periodic timer never interrupts more often than every 100 us (10 kHz);
 * its current-count register keeps the programmed rate. As for the PIT
 * (VPIT_MIN_IRQ0_CLOCKS) and KVM's min_timer_period_us: a guest's timer
 * cannot keep the CPU in the hv.
 */
#define VLAPIC_MIN_PERIOD_HZ 10000u

/*
 * An IPI the model sent to no one (the hv logs and counts it,
 * hv/lapic_contain.c): its destination named no APIC but others (and
 * there are none: one vCPU), or it named this one in a delivery mode the
 * vCPU does not take (INIT, SIPI, SMI, reserved), or it was lowest
 * priority (never sent: ESR "Redirectable IPI").
 */
struct vlapic_ipi {
	uint64_t icr;           /* the ICR as sent; destination in 63:32 (x2APIC) or 63:56 (xAPIC) */
	bool x2apic;            /* sent in x2APIC mode (MSR 0x830), else through the xAPIC page */
	bool self;              /* the destination named this APIC */
};

/* What vlapic_init builds: the vCPU's fixed properties. */
struct vlapic_config {
	uint32_t id;            /* initial (x2)APIC ID; the xAPIC ID is its low 8 bits */
	bool bsp;               /* IA32_APIC_BASE.BSP */
	bool x2apic;            /* CPUID.1:ECX.x2APIC: EXTD may be set */
	bool tsc_deadline;      /* CPUID.1:ECX.TSC-Deadline: mode 2 and MSR 0x6e0 exist */
	uint64_t tsc_hz;        /* guest TSC rate */
	uint64_t bus_hz;        /* timer input clock before the divider */
};

struct vlapic {
	struct vlapic_config cfg;
	uint64_t bus_num, bus_den;      /* bus clocks per TSC tick, reduced */
	uint64_t min_period;            /* periodic interrupts: bus clocks at least */

	uint64_t apic_base;             /* IA32_APIC_BASE */
	uint32_t tpr, ldr, dfr, svr;    /* ldr/dfr: the xAPIC registers */
	uint32_t irr[8], isr[8], tmr[8];
	uint8_t irr_words, isr_words;   /* bit i: irr[i] / isr[i] is not 0 (kept by vlapic.c) */
	uint32_t esr;                   /* what ESR reads (latched by a write) */
	uint32_t esr_pending;           /* errors since the last ESR write */
	uint64_t icr;                   /* xAPIC: high dword is ICR_HI */
	uint32_t lvt[VLAPIC_LVT_COUNT];

	/* Timer: expiry j (0-based) is at bus clock first*div + j*period. */
	uint32_t timer_initial;         /* TMICT */
	uint32_t timer_tdcr;            /* TDCR as written (bits 0, 1, 3) */
	bool timer_running;             /* one-shot/periodic counting */
	uint64_t timer_start;           /* TSC at which the count started */
	uint32_t timer_first;           /* counts from timer_start to expiry 0 */
	uint64_t timer_fired;           /* expiries since timer_start handled */
	uint64_t tsc_deadline;          /* IA32_TSC_DEADLINE (0: disarmed) */

	uint8_t lint_level;             /* bit n: LINTn input asserted */
	bool nmi_pending;
	uint32_t eoi_pending[8];        /* level EOIs to broadcast */

	uint32_t ipis_dropped;          /* IPIs sent to no one since the hv last took them */
	struct vlapic_ipi ipi_dropped;  /* the last of those */
};

/*
 * Sets a up as firmware hands it over: the SDM's power-up state (xAPIC
 * mode at 0xfee00000) and then virtual wire mode as the MP specification
 * and PC firmware leave it (SVR 0x1ff: software-enabled, LINT0 ExtINT and
 * LINT1 NMI, unmasked), so a guest that never touches the APIC gets its
 * 8259 as on a PC. Returns 0, or -1 if the rates are unusable (zero, or
 * too large to convert exactly: (tsc_hz/g) * (bus_hz/g) must fit in 64
 * bits, g their gcd; any pair below 4 GHz does).
 */
int vlapic_init(struct vlapic *a, const struct vlapic_config *cfg);

/*
 * The SDM's "Local APIC State After Power-Up or Reset": IRR, ISR, TMR, ICR,
 * LDR, TPR, timer and divide 0, DFR all ones, LVTs masked, SVR 0xff
 * (software-disabled), xAPIC mode at 0xfee00000. The ID is kept.
 */
void vlapic_reset(struct vlapic *a);

/* Returns true if IA32_APIC_BASE.EN is set (CPUID.1:EDX.APIC follows it). */
static inline bool vlapic_hw_enabled(const struct vlapic *a)
{
	return a->apic_base & VLAPIC_BASE_EN;
}

/* Returns true in xAPIC mode (enabled, not x2APIC): the MMIO page decodes. */
bool vlapic_xapic_mode(const struct vlapic *a);

/* Returns true in x2APIC mode (EN and EXTD). */
bool vlapic_x2apic_mode(const struct vlapic *a);

/*
 * Guest read of len (1, 2 or 4) bytes at offset (0..0xfff) of the APIC
 * page, not crossing a dword (the access path splits or refuses others).
 * Returns the bytes, right-aligned. A reserved register reads 0 and sets
 * ESR "Illegal Register Address"; bytes 4-15 of a register read 0 (the
 * SDM calls such accesses undefined). Outside xAPIC mode the page does
 * not decode and reads all ones.
 */
uint32_t vlapic_mmio_read(struct vlapic *a, uint32_t offset, unsigned len, uint64_t now);

/*
 * Guest write of len bytes at offset. Only 32-bit writes at a register's
 * offset take effect (the SDM asks for 128-bit aligned 32-bit stores and
 * calls others undefined; like KVM the model drops them). Read-only
 * registers ignore writes; reserved ones set ESR "Illegal Register
 * Address". Outside xAPIC mode the write goes nowhere.
 */
void vlapic_mmio_write(struct vlapic *a, uint32_t offset, unsigned len, uint32_t val,
		       uint64_t now);

/* Returns true for the MSRs the model answers: 0x1b, 0x6e0, 0x800-0xbff. */
bool vlapic_handles_msr(uint32_t msr);

/*
 * RDMSR of msr at guest TSC now. Returns 0 with *val, or -1 for #GP(0):
 * an x2APIC MSR outside x2APIC mode, a reserved or write-only one (EOI,
 * SELF IPI), IA32_TSC_DEADLINE without the feature.
 */
int vlapic_rdmsr(struct vlapic *a, uint32_t msr, uint64_t *val, uint64_t now);

/*
 * WRMSR. Returns 0, or -1 for #GP(0): the cases of vlapic_rdmsr, a
 * read-only register, a reserved bit set ("Reserved Bit Checking": bits
 * 63:32 of all but the ICR too), a non-zero EOI or ESR write, an illegal
 * IA32_APIC_BASE transition ("x2APIC State Transitions") or base address.
 */
int vlapic_wrmsr(struct vlapic *a, uint32_t msr, uint64_t val, uint64_t now);

/* Returns CR8: TPR[7:4]. */
uint64_t vlapic_read_cr8(const struct vlapic *a);

/* MOV to CR8 (the hv has refused bits 63:4 with #GP): TPR = cr8 << 4. */
void vlapic_write_cr8(struct vlapic *a, uint64_t cr8);

/* Returns TPR (bits 7:0). */
static inline uint8_t vlapic_tpr(const struct vlapic *a)
{
	return (uint8_t)a->tpr;
}

/*
 * Sets TPR to tpr as a write of the TPR register would (the hv's copy
 * from the virtual-APIC page, where CR8 and virtualized TPR writes land).
 */
void vlapic_set_tpr(struct vlapic *a, uint8_t tpr);

/* Returns the highest vector in IRR, whatever PPR says, or -1 if IRR is empty. */
int vlapic_highest_irr(const struct vlapic *a);

/*
 * Returns true if IRR holds any vector, whatever PPR says: the entry
 * path's test, one load (vlapic_highest_irr(a) >= 0 says the same).
 */
static inline bool vlapic_irr_pending(const struct vlapic *a)
{
	return a->irr_words != 0;
}

/*
 * Writes the xAPIC register page as a read of each register at its
 * offset would show it (reserved and write-only registers, the current
 * count and bytes 4-15 of each register as 0), for the CPU's
 * APIC-register virtualization, which satisfies reads from such a page.
 * page is 1024 dwords; only the register area (offsets 0-0x3ff) is
 * written, and not ICR high (0x310): the CPU keeps the guest's writes of
 * it in the page without an exit (SDM "APIC-Write Emulation": a write to
 * 310H only clears bits 23:0), so the page holds the guest's value; the
 * hv copies it into the model before an ICR low write sends.
 */
void vlapic_fill_page(const struct vlapic *a, uint32_t *page);

/* Returns PPR ("Processor Priority Register"), from TPR and the highest ISR bit. */
uint8_t vlapic_ppr(const struct vlapic *a);

/*
 * Returns true if a message to dest (an IOAPIC redirection entry's 8-bit
 * destination; logical: destination mode 1) names this APIC: its ID, or
 * its logical ID per DFR (flat or cluster) in xAPIC mode and per the
 * derived LDR in x2APIC mode; 0xff is a broadcast ("Determining IPI
 * Destination"). A disabled APIC matches nothing.
 */
bool vlapic_match_dest(const struct vlapic *a, uint8_t dest, bool logical);

/*
 * An interrupt message for this APIC (from the IOAPIC; the model sends
 * its own timer, LVT and self-IPI interrupts through the same path).
 * Fixed and lowest priority set the vector's IRR bit, and its TMR bit to
 * level; a vector below 16 sets ESR "Receive Illegal Vector" instead. NMI
 * makes an NMI pending. SMI, INIT, SIPI and ExtINT messages are dropped
 * (no SMM; one vCPU; ExtINT through the IOAPIC is not modelled). While
 * software-disabled the APIC drops fixed interrupts, as KVM does; IRR and
 * ISR keep what they hold ("Local APIC State After It Has Been Software
 * Disabled"). Returns true if the interrupt was taken.
 */
bool vlapic_accept_irq(struct vlapic *a, unsigned mode, uint8_t vector, bool level);

/*
 * Sets the input level of pin LINT0 (0) or LINT1 (1). Through an unmasked
 * LVT: fixed mode takes a rising edge (edge) or the level (level, LINT0
 * only: again after the EOI while still asserted, "remote IRR"), NMI mode
 * a rising edge; ExtINT is vlapic_extint_open. With the APIC globally
 * disabled LINT1 is the CPU's NMI pin.
 */
void vlapic_set_lint(struct vlapic *a, int pin, int level);

/*
 * Returns true if the 8259's INTR reaches the CPU: the APIC globally
 * disabled, or LVT LINT0 unmasked in ExtINT mode.
 */
static inline bool vlapic_extint_open(const struct vlapic *a)
{
	uint32_t lint0 = a->lvt[VLAPIC_LVT_LINT0_IDX];

	if (!vlapic_hw_enabled(a))
		return true;
	return !(lint0 & VLAPIC_LVT_MASKED) && (lint0 >> 8 & 7) == VLAPIC_DM_EXTINT;
}

/* Returns the highest IRR vector whose class is above PPR's, or -1 ("Interrupt Acceptance"). */
int vlapic_pending_vector(const struct vlapic *a);

/*
 * The CPU's interrupt acknowledge: moves vlapic_pending_vector from IRR to
 * ISR and returns it. With nothing deliverable (TPR raised since) returns
 * the spurious vector (SVR[7:0]) and sets no ISR bit ("Spurious Interrupt").
 */
int vlapic_ack(struct vlapic *a);

/* Returns true if an NMI is pending. */
static inline bool vlapic_nmi_pending(const struct vlapic *a)
{
	return a->nmi_pending;
}

/* Returns true and clears it if an NMI was pending (the hv injects it). */
bool vlapic_take_nmi(struct vlapic *a);

/*
 * Returns the number of IPIs sent to no one since the last call (0: none)
 * and the last of them in *ipi; clears the count.
 */
uint32_t vlapic_take_dropped_ipi(struct vlapic *a, struct vlapic_ipi *ipi);

/* Returns (and clears) the lowest level-triggered EOI vector to broadcast, or -1. */
int vlapic_take_eoi(struct vlapic *a);

/* Fires the timer expiries due by guest TSC now into IRR (a masked timer sets nothing). */
void vlapic_update(struct vlapic *a, uint64_t now);

/*
 * Returns the guest TSC of the next timer expiry not yet fired into IRR,
 * if it will set an IRR bit (LVT timer unmasked); UINT64_MAX if none.
 * After vlapic_update(a, now) it is after now.
 */
uint64_t vlapic_next_event(const struct vlapic *a);

/* Returns the timer's current count (TMCCT) at now. */
uint32_t vlapic_timer_count(const struct vlapic *a, uint64_t now);

#endif
