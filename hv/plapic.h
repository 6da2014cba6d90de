/*
 * The physical local APIC of each CPU the hv runs on (SDM "Advanced
 * Programmable Interrupt Controller (APIC)"): enabling it, EOI, its timer
 * as the CPU's idle wake-up, and interprocessor interrupts. The guests'
 * APICs are virtual (hv/vlapic.c); no guest reaches this one (its page is
 * in no EPT, the x2APIC MSRs are intercepted).
 *
 * The mode is the firmware's, read from IA32_APIC_BASE ("Local APIC
 * Status and Location"): xAPIC (registers in the 4-KiB page at the base,
 * mapped uncacheable) or x2APIC (EXTD, bit 10: MSR 0x800 + offset / 16,
 * "x2APIC Register Address Space"). Every CPU is assumed in the boot
 * CPU's mode, as firmware leaves them.
 *
 * The timer ("APIC Timer"): TSC-deadline mode where CPUID.1:ECX[24] says
 * so ("TSC-Deadline Mode": IA32_TSC_DEADLINE holds the TSC to interrupt
 * at), else one-shot mode with divide 1, its input clock calibrated once
 * against the TSC (plapic_calibrate).
 */
#ifndef HV_PLAPIC_H
#define HV_PLAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define PLAPIC_ARCH_BASE   0xfee00000u

/* Registers: offsets in the xAPIC page ("Local APIC Register Address Map"). */
#define PLAPIC_ID          0x020
#define PLAPIC_VERSION     0x030
#define PLAPIC_TPR         0x080
#define PLAPIC_EOI         0x0b0
#define PLAPIC_SVR         0x0f0
#define PLAPIC_ISR         0x100          /* ISR bits 32n..32n+31 at 0x100 + 0x10 n */
#define PLAPIC_ESR         0x280
#define PLAPIC_ICR_LO      0x300
#define PLAPIC_ICR_HI      0x310
#define PLAPIC_LVT_TIMER   0x320
#define PLAPIC_LVT_LINT0   0x350
#define PLAPIC_LVT_LINT1   0x360
#define PLAPIC_LVT_ERROR   0x370
#define PLAPIC_TMICT       0x380          /* initial count */
#define PLAPIC_TMCCT       0x390          /* current count */
#define PLAPIC_TDCR        0x3e0          /* divide configuration */

/* LVT, ICR and SVR bits. */
#define PLAPIC_DM_FIXED    0x000u
#define PLAPIC_DM_NMI      0x400u
#define PLAPIC_DM_INIT     0x500u
#define PLAPIC_DM_STARTUP  0x600u
#define PLAPIC_DM_EXTINT   0x700u
#define PLAPIC_ICR_DELIVS  (1u << 12)     /* send pending (xAPIC only) */
#define PLAPIC_ICR_ASSERT  (1u << 14)
#define PLAPIC_ICR_LEVEL   (1u << 15)     /* trigger mode: INIT only */
#define PLAPIC_LVT_MASKED  (1u << 16)
#define PLAPIC_TIMER_ONESHOT  (0u << 17)
#define PLAPIC_TIMER_DEADLINE (2u << 17)
#define PLAPIC_SVR_ENABLE  (1u << 8)
#define PLAPIC_TDCR_DIV1   0xbu

#define MSR_IA32_TSC_DEADLINE   0x6e0
#define PLAPIC_BASE_BSP    (1ull << 8)
#define PLAPIC_BASE_EXTD   (1ull << 10)
#define PLAPIC_BASE_EN     (1ull << 11)

enum plapic_mode { PLAPIC_NONE, PLAPIC_XAPIC, PLAPIC_X2APIC };

/* What the boot CPU found; the same for every CPU. */
struct plapic_state {
	enum plapic_mode mode;
	uint64_t base;               /* xAPIC page, physical */
	bool tsc_deadline;           /* the timer runs in TSC-deadline mode */
	uint64_t tsc_hz;
	uint64_t timer_hz;           /* one-shot mode: the timer's clock at divide 1 (plapic_calibrate) */
};

extern struct plapic_state plapic;

/* Names the mode for the log: "xAPIC", "x2APIC", "none". */
const char *plapic_mode_name(enum plapic_mode m);

/*
 * Reads this CPU's IA32_APIC_BASE and CPUID.1 into plapic (tsc_hz: the
 * TSC's rate). Returns the mode: PLAPIC_NONE if CPUID shows no APIC or
 * the APIC is globally disabled (IA32_APIC_BASE.EN clear).
 */
enum plapic_mode plapic_probe(uint64_t tsc_hz);

uint32_t plapic_read(unsigned reg);
void plapic_write(unsigned reg, uint32_t v);

/* This CPU's APIC ID (xAPIC: ID bits 31:24; x2APIC: the 32-bit ID). */
uint32_t plapic_id(void);

/* Signals the end of the interrupt in service ("End of Interrupt"). */
void plapic_eoi(void);

/*
 * Enables this CPU's local APIC ("Spurious-Interrupt Vector Register"):
 * software enable with the spurious vector, TPR 0, LINT0 ExtINT (virtual
 * wire: the 8259 pair's INTR) if lint0_extint else masked, LINT1 NMI,
 * the error LVT, ESR cleared, any vector the firmware left in service
 * EOIed, and the timer's LVT (TSC-deadline or one-shot, stopped). Returns
 * 0, or -1 if this CPU's APIC is not in the boot CPU's mode.
 */
int plapic_cpu_enable(bool lint0_extint);

/*
 * Arms this CPU's timer to interrupt at TSC wake (now: the caller's
 * current TSC): in TSC-deadline mode IA32_TSC_DEADLINE = wake (at once if
 * it has passed), in one-shot mode the count plapic_oneshot_count gives.
 * wake UINT64_MAX stops the timer.
 */
void plapic_timer_arm(uint64_t wake, uint64_t now);

/*
 * Measures the timer's clock at divide 1 against the TSC over window TSC
 * ticks (one-shot mode, masked) and keeps it in plapic.timer_hz. Returns
 * it, 0 if the timer did not count.
 */
uint64_t plapic_calibrate(uint64_t window);

/*
 * Pure: the timer's clock from counted timer ticks over tsc_elapsed TSC
 * ticks of a tsc_hz TSC. 0 if tsc_elapsed is 0.
 */
uint64_t plapic_timer_hz(uint64_t counted, uint64_t tsc_elapsed, uint64_t tsc_hz);

/*
 * Pure: the one-shot initial count for tsc_delta TSC ticks, rounded up
 * (never early), at least 1 (0 would stop the timer), at most 0xffffffff
 * (the wake-up comes early then and the hv idles again).
 */
uint32_t plapic_oneshot_count(uint64_t tsc_delta, uint64_t tsc_hz, uint64_t timer_hz);

/*
 * Interprocessor interrupts ("Issuing Interprocessor Interrupts"), to one
 * CPU by physical APIC ID. In xAPIC mode the destination is 8 bits and
 * each send waits for the delivery status to go idle (at most 100 ms).
 * Each returns 0, or -1: no APIC, an ID the mode cannot name, an illegal
 * vector (below 32), or a send still pending after 100 ms.
 */
int plapic_send_fixed(uint32_t apic_id, uint8_t vector);
int plapic_send_nmi(uint32_t apic_id);
/* INIT (level assert, then in xAPIC mode the level de-assert P6-family CPUs need). */
int plapic_send_init(uint32_t apic_id);
/* STARTUP: the AP starts in real mode at page << 12. */
int plapic_send_startup(uint32_t apic_id, uint8_t page);

/*
 * The SDM's INIT-SIPI-SIPI sequence ("MP Initialization Protocol
 * Algorithm for MP Systems"): INIT, 10 ms, STARTUP, 200 us, STARTUP.
 * Returns 0, or -1 as the sends above.
 */
int plapic_start_ap(uint32_t apic_id, uint8_t page);

#endif
