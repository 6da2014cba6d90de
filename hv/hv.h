/*
 * The nanokernel's central types: guests (partitions) and their vCPUs.
 *
 * Host memory while the hv runs (identity-mapped, 2 MiB pages):
 *
 *   0 ............................................ max(4 GiB, top of RAM)
 *   | firmware, free RAM | EFI image (hv code, data, | hv heap: VMCS,   | guest RAM
 *   |                    | boot stack, log)          | EPT, bitmaps,    | regions, one
 *   |                    |                           | exit stacks      | per guest
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

/*
 * Guest general-purpose registers, saved by the exit stub. The order is
 * fixed: hv/entry.asm uses these offsets (checked by _Static_assert in
 * vmx.c). RSP, RIP and RFLAGS live in the VMCS.
 */
struct guest_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
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
	uint64_t cr2;                /* not in the VMCS: switched by the hv */
	uint64_t xcr0;               /* guest's XCR0 (1 after reset) */
	void *xsave;                 /* FPU/vector state while another guest runs (hv/xstate.c) */
	uint64_t dr[5];              /* DR0-DR3, DR6 (DR7 is in the VMCS) */
	uint64_t msrs[5];            /* SYSCALL MSRs, switched by the hv (vmx_switch_msrs) */
	bool fresh;                  /* reset since the last exit: nothing to re-deliver */
	bool trace_pending;          /* its last trace record awaits the resume TSC */
	uint64_t trace_seq;          /* sequence number of that record */
};

enum guest_state {
	GUEST_RUNNABLE,              /* wants the CPU */
	GUEST_HALTED,                /* HLT: waits for a virtual interrupt */
	GUEST_STOPPED,               /* stopped by the hv (fault, violation) */
	GUEST_EXITED,                /* ended itself through port 0xF4 */
};

/* Always-on per-reason aggregates (count, TSC exit-to-resume sum/min/max). */
struct exit_stats {
	uint64_t count[EXIT_REASON_MAX];
	uint64_t tsc_sum[EXIT_REASON_MAX];
	uint64_t tsc_min[EXIT_REASON_MAX];
	uint64_t tsc_max[EXIT_REASON_MAX];
	uint64_t total;
};

#define GUEST_CON_LINE 160

struct guest {
	int id;
	const struct cfg_guest *cfg;
	struct boot_guest *boot;
	enum guest_state state;
	int exit_status;             /* value written to port 0xF4 */
	char stop_reason[128];
	unsigned boots;              /* times started (restarts + 1) */

	struct ept ept;
	uint8_t *io_bitmap;          /* 8 KiB: bitmap A (ports 0-0x7fff) then B */
	uint8_t *msr_bitmap;         /* 4 KiB */
	struct vcpu vcpu;
	struct exit_stats stats;
	bool acct_pending;           /* an exit whose resume TSC is not in yet */
	unsigned acct_reason;
	uint64_t acct_exit_tsc;

	unsigned io_refusals, msr_refusals;

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

	/* Scheduling. */
	uint64_t slice_end;          /* TSC at which this guest's time slice ends */
	uint64_t run_tsc;            /* TSC spent running (entry to exit), for reports */
	uint64_t virqs_injected;
	unsigned tick_backlog;       /* PIT edges due but not yet raised (hv/virq.c) */
	uint64_t ticks_dropped;      /* edges beyond the backlog's bound */

	char con[GUEST_CON_LINE];    /* port 0xE9 console: current line */
	unsigned con_len;
};

/* The machine as the hv sees it. */
struct hv {
	struct boot_info *bi;
	struct guest guests[CFG_MAX_GUESTS];
	int nguests;
	uint64_t tsc_hz;
	uint64_t slice_tsc;          /* time slice in TSC ticks, from [hv] timeslice_us */
	uint64_t idle_tsc;           /* TSC spent halted with every guest idle */
	uint64_t start_tsc;
};

extern struct hv hv;

/* hv/mem.c: the hv's heap. */
void mem_init(uint64_t base, uint64_t bytes);
/* Returns npages zeroed, 4 KiB aligned pages; panics when the heap is exhausted. */
void *mem_alloc_pages(unsigned npages);
uint64_t mem_used_bytes(void);

/* hv/setup.c: host CPU state. */
void setup_host_cpu(uint64_t max_phys);

/* hv/vmx.c */
void vmx_init(void);
int vmx_guest_setup(struct guest *g);
void vmx_guest_reset_state(struct guest *g);
void vmx_dump_guest(struct vcpu *v);
void vmx_inject_exception(unsigned vector, bool has_error, uint32_t error);
/* Saves from's SYSCALL MSRs and loads to's. */
void vmx_switch_msrs(struct vcpu *from, struct vcpu *to);
uint64_t vmx_cr0_fixed0(void);
uint64_t vmx_cr0_fixed1(void);
uint64_t vmx_cr4_fixed0(void);
uint64_t vmx_cr4_fixed1(void);
/* Enters v: VMLAUNCH or VMRESUME. Never returns (hv/entry.asm). */
void vmx_enter(struct vcpu *v) __attribute__((noreturn));

/* hv/exit.c */
struct vcpu *exit_dispatch(struct vcpu *v);

/* hv/guest.c */
void guest_init_all(struct boot_info *bi);
void guest_stop(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void guest_exit(struct guest *g, int status);
void guest_con_putc(struct guest *g, char c);
/* Returns the host pointer for [gpa, gpa+len) if it lies in g's RAM, else NULL. */
void *guest_gpa_ptr(struct guest *g, uint64_t gpa, uint64_t len);
void guest_print_stats(const struct guest *g);
/* hv/sched.c: picks the next vCPU to run after cur (may be cur); idles while all
 * guests halt; never returns NULL (ends the hv when no guest is left). */
struct vcpu *sched_next(struct vcpu *cur);
/* Wakes halted guests whose virtual interrupt is due. Returns true if any woke. */
bool sched_wake_others(struct guest *running, uint64_t now);
/* Returns the earliest virtual timer of the halted guests other than running. */
uint64_t sched_next_wake(const struct guest *running, uint64_t now);
/* Prepares v's entry (virtual interrupts, preemption timer) and enters it. */
void hv_enter(struct vcpu *v) __attribute__((noreturn));

/* hv/main.c */
void hv_shutdown(void) __attribute__((noreturn));
/* hv/irq.c: a physical interrupt (vector) arrived while a guest ran. */
void hv_irq(unsigned vector);

#endif
