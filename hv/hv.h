/*
 * The nanokernel's central types: guests (partitions) and their vCPUs.
 *
 * Host memory while the hv runs (identity-mapped, 2 MiB pages):
 *
 *   0 ............................................ max(4 GiB, top of RAM)
 *   | firmware, free RAM | EFI image (hv code, data, | hv heap: VMCS,   | guest RAM
 *   |                    | boot stack, log)          | EPT, bitmaps,    | regions, one
 *   |                    |                           | XSAVE areas      | per guest
 *
 * Nothing is allocated after ExitBootServices except from the hv heap,
 * which uefi/ reserved for it.
 */
#ifndef HV_HV_H
#define HV_HV_H

#include "lib.h"
#include "boot_info.h"
#include "hvcfg.h"
#include "ept.h"
#include "exit_reasons.h"
#include "vpic.h"
#include "vpit.h"
#include "vcmos.h"
#include "vuart.h"
#include "v8042.h"
#include "fwcfg.h"
#include "acpipm.h"
#include "vlapic.h"
#include "vioapic.h"
#include "log.h"

/*
 * Guest general-purpose registers, saved by the exit stub. The order is
 * fixed: hv/entry.asm uses these offsets (checked by _Static_assert in
 * vmx.c). RSP, RIP and RFLAGS live in the VMCS.
 */
struct guest_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/*
 * Where and how a vCPU starts (filled from the loader's result: Multiboot or
 * Linux): flat 32-bit protected mode, paging off, with these selectors
 * (their descriptors cached flat, as after a load from the GDT here).
 */
struct vcpu_start {
	uint64_t rip, rax, rbx, rsi;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t cs, ds;             /* CS; DS, ES, SS, FS, GS */
};

/* STAR, LSTAR, CSTAR, FMASK, KERNEL_GS_BASE; TSC_AUX, SPEC_CTRL where the model shows them. */
#define VCPU_SWITCHED_MSRS 7

#define VCPU_MTRR_VAR   8            /* variable-range MTRR pairs the model has (MTRRcap.VCNT) */
#define VCPU_MTRR_FIXED 11           /* fixed-range MTRRs */

/* The guest CPU model's MSRs the hv keeps per vCPU (hv/exit_msr.c). */
struct vcpu_model_msrs {
	uint64_t misc_enable;
	uint64_t mtrr_def_type;
	uint64_t mtrr_fixed[VCPU_MTRR_FIXED];
	uint64_t mtrr_var[2 * VCPU_MTRR_VAR];    /* PHYSBASEn at 2n, PHYSMASKn at 2n + 1 */
};

struct vcpu {
	struct guest_regs regs;      /* offset 0 */
	uint64_t exit_tsc;           /* offset 120: TSC taken first in the exit stub */
	uint64_t resume_tsc;         /* offset 128: TSC just before VMRESUME */
	uint64_t host_rsp;           /* offset 136: HOST_RSP of this vCPU's VMCS */
	uint8_t launched;            /* offset 144: VMLAUNCH done since VMCLEAR */
	uint8_t pad[7];
	struct guest *guest;
	void *vmcs;                  /* 4 KiB VMCS region */
	void *vapic;                 /* virtual-APIC page (TPR shadow: the guest's CR8) */
	struct vcpu_start start;
	uint64_t tsc_offset;         /* guest TSC = host TSC + tsc_offset (TSC writes) */
	uint64_t cr2;                /* not in the VMCS: switched by the hv */
	uint64_t cr8;                /* CR8 when there is no TPR shadow (CR8 exiting) */
	uint64_t xcr0;               /* guest's XCR0 (1 after reset) */
	void *xsave;                 /* FPU/vector state while another guest runs (hv/xstate.c) */
	uint64_t dr[5];              /* DR0-DR3, DR6 (DR7 is in the VMCS) */
	uint64_t msrs[VCPU_SWITCHED_MSRS]; /* switched by the hv (vmx_switch_msrs) */
	struct vcpu_model_msrs mmsr;  /* MISC_ENABLE, MTRRs (hv/exit_msr.c) */
	uint64_t tlb_flushes;        /* INVVPIDs done for this vCPU */
	int reinject_vector;         /* external interrupt to deliver again, -1 if none */
	bool fresh;                  /* reset since the last exit: nothing to re-deliver */
	bool trace_pending;          /* its last trace record awaits the resume TSC */
	uint64_t trace_seq;          /* sequence number of that record */
};

enum guest_state {
	GUEST_RUNNABLE,              /* wants the CPU */
	GUEST_HALTED,                /* HLT: waits for a virtual interrupt */
	GUEST_STOPPED,               /* stopped by the hv (fault, violation) */
	GUEST_EXITED,                /* ended itself through port 0xF4 */
	GUEST_HALTED_OFF,            /* HLT with interrupts off: nothing can wake it, ended */
};

/* Always-on per-reason aggregates (count, TSC exit-to-resume sum/min/max). */
struct exit_stats {
	uint64_t count[EXIT_REASON_MAX];
	uint64_t tsc_sum[EXIT_REASON_MAX];
	uint64_t tsc_min[EXIT_REASON_MAX];
	uint64_t tsc_max[EXIT_REASON_MAX];
	uint64_t total;
};

/* A guest's CPU share and what it has used (hv/sched.c). */
struct sched_share {
	uint64_t budget;             /* TSC ticks guaranteed per period (0: none) */
	uint64_t used;               /* charged in the current period */
	uint64_t guest_tsc;          /* all time run in non-root mode */
	uint64_t hv_tsc;             /* all root-mode time spent on its behalf */
	uint64_t remote_tsc;         /* other CPUs' time on its behalf not yet in used and hv_tsc
				        (they add to it atomically; its CPU folds it in, hv/sched.c) */
	uint64_t wake_at;            /* halted: TSC of its next interrupt it can take */
	uint64_t slice_end;          /* running: TSC at which its turn ends */
	uint64_t preempted_by_wake;  /* times another guest's wake-up preempted it */
	uint32_t permille;           /* its share of the CPU, per mille */
	uint64_t stop_at;            /* time_limit_ms of this boot ends here (UINT64_MAX: never) */
	bool woken;                  /* woke since it last ran: goes first if it has budget */
	bool restart_due;            /* stopped, to be booted again */
};

#define GUEST_CON_LINE 160

struct guest {
	int id;
	unsigned cpu;                /* the CPU it runs on, for its whole life (hv/smp.c) */
	const struct cfg_guest *cfg;
	struct boot_guest *boot;
	enum guest_state state;
	int exit_status;             /* value written to port 0xF4 */
	char stop_reason[128];
	unsigned boots;              /* times started (restarts + 1) */
	uint32_t ctl_req;            /* a manager's request, set by any CPU (hv/sched.c sched_request) */
	bool boot_over;              /* its boot ended; the scheduler has yet to close it (guest_close_boot) */

	struct ept ept;
	uint8_t *io_bitmap;          /* 8 KiB: bitmap A (ports 0-0x7fff) then B */
	uint8_t *msr_bitmap;         /* 4 KiB */
	struct vcpu vcpu;
	struct exit_stats stats;
	bool acct_pending;           /* an exit whose resume TSC is not in yet */
	unsigned acct_reason;
	uint64_t acct_exit_tsc;

	unsigned io_refusals, msr_refusals;
	uint64_t nmis;               /* NMIs that arrived while it ran */
	struct log_limit refusal_limit;  /* I/O, MSR, PCI, DMA refusal lines */

	/* The virtual platform. */
	struct vpic pic;
	struct vpit pit;
	struct vcmos cmos;
	uint32_t pci_addr;           /* last value written to 0xcf8 */
	struct vdma_chan {           /* PIIX bus master, per IDE channel (hv/vdma_io.c) */
		uint32_t prd;        /* the guest's PRD table pointer (guest-physical) */
		uint8_t cmd;
		bool refused;        /* last start refused: status shows the error bit */
		void *shadow;        /* host-physical PRD table, below 4 GiB */
	} dma[2];
	uint64_t dma_started, dma_refusals;
	struct vuart com[4];         /* virtual 16550s at COM1-COM4 (hv/vdev.c) */
	uint8_t com_virtual;         /* bit n: COM(n+1) is virtual: the guest owns none of its ports */
	struct v8042 kbc;            /* virtual 8042 at 0x60/0x64 */
	uint8_t reset_control;       /* port 0xcf9 as written: bits 1 (system reset) and 3 (full reset) */
	bool warm_reset;             /* it reset itself: its next boot keeps the CMOS (hv/vdev.c) */
	uint64_t rom_writes;         /* bytes written to the PC hole and dropped */
	struct fwcfg fwcfg;          /* QEMU fw_cfg at 0x510-0x511, every guest (hv/fwcfg.c) */
	struct acpipm pm;            /* ACPI PM1a registers, acpi = on (hv/acpipm.c) */

	/* The local APIC and IOAPIC, lapic = on (hv/lapic.c, hv/lapic_io.c). */
	struct vlapic lapic;
	struct vioapic ioapic;
	struct guest_apic {
		bool on;             /* hv.cfg lapic = on */
		bool dirty;          /* the LAPIC changed: the entry path refills the virtual-APIC page */
		bool page_regs;      /* APIC-register virtualization on: the page shows the registers */
		uint8_t tpr_threshold;   /* TPR_THRESHOLD as written */
		uint64_t next;       /* guest TSC of the timer's next IRR bit (UINT64_MAX: none) */
		void *access_page;   /* APIC-access page (APIC virtualization), per guest */
		uint64_t nmis;       /* NMIs injected */
		uint64_t mmio;       /* xAPIC/IOAPIC accesses that reached the hv (decoded, APIC-write) */
	} apic;
	/* What its APIC models sent to no CPU, this boot (hv/lapic_contain.c). */
	struct guest_contain {
		uint64_t logged;     /* kinds already logged (one line per kind) */
		uint64_t ipis[8];    /* IPIs dropped, by delivery mode */
		uint64_t routes;     /* IOAPIC entries written to reach no CPU */
		uint64_t msgs;       /* IOAPIC messages dropped */
	} contain;

	/* Scheduling and time. */
	struct sched_share sched;
	uint64_t virqs_injected;
	unsigned tick_backlog;       /* PIT edges due but not yet raised (hv/virq.c) */
	struct virq_pit_seen {       /* hv/virq.c: PIT channel 0 when its next IRQ0 edge was computed */
		uint64_t from, next;     /* at TSC from, after its edges were taken: none before next */
		uint64_t start_tsc, base_ticks, edges_done;
		uint32_t reload;
		uint8_t mode;
		bool loaded, running;
	} pit_seen;
	uint64_t ticks_lost;         /* edges that never reached the guest as an interrupt */
	uint64_t ticks_over_backlog; /* of those, edges beyond the backlog's bound */

	char con[GUEST_CON_LINE];    /* port 0xE9 console: current line */
	unsigned con_len;
	uint64_t con_dropped;        /* console bytes dropped: its log quota was full */
	uint64_t con_unreported;     /* of those, not yet reported in its console */
	bool test_fault_done;        /* test_fault = vmresume: done once */
};

/* The machine as the hv sees it. */
struct hv {
	struct boot_info *bi;
	struct guest guests[CFG_MAX_GUESTS];
	int nguests;
	uint64_t tsc_hz;
	uint64_t slice_tsc;          /* time slice in TSC ticks, from [hv] timeslice_us */
	uint64_t period_tsc;         /* CPU-share period in TSC ticks, from [hv] period_us */
	uint64_t start_tsc;
	unsigned maxphyaddr;         /* physical-address width (CPUID 0x80000008) */
	bool vmcheck;                /* [hv] vmcheck = on: check the VMCS before every entry */
	void *zero_page;             /* the PC hole of every guest: read-only, never written */
};

extern struct hv hv;

/* hv/main.c: takes over the CPU and builds every partition (all of hv_main but the run loop). */
void hv_init(struct boot_info *bi);

/* hv/main.c: ends the hv once no guest can run again (prints the summary, halts). */
void hv_shutdown(void) __attribute__((noreturn));

#endif
