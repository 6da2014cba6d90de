/*
 * VMX operation: VMXON, one VMCS per guest vCPU, the guest's start state
 * (Multiboot: 32-bit protected mode, paging off), VM-entry failures.
 * SDM chapters "VMX Non-Root Operation" / "VM Entries" are the reference.
 */
#include "hv.h"
#include "cpu.h"
#include "log.h"
#include "vmcs.h"
#include "vmxcap.h"
#include "multiboot.h"
#include "virq.h"
#include "xstate.h"
#include "vpci.h"

_Static_assert(__builtin_offsetof(struct vcpu, regs.r15) == 112, "entry.asm VCPU_R15");
_Static_assert(__builtin_offsetof(struct vcpu, exit_tsc) == 120, "entry.asm VCPU_EXIT_TSC");
_Static_assert(__builtin_offsetof(struct vcpu, resume_tsc) == 128, "entry.asm VCPU_RESUME_TSC");
_Static_assert(__builtin_offsetof(struct vcpu, host_rsp) == 136, "entry.asm VCPU_HOST_RSP");
_Static_assert(__builtin_offsetof(struct vcpu, launched) == 144, "entry.asm VCPU_LAUNCHED");

#define EXIT_STACK_PAGES 4

static struct vmx_caps caps;
static struct {
	uint32_t pin, proc, proc2, exit, entry;
} ctl;
static struct vcpu *vmx_current;

/* MSRs VMX does not switch and guests use directly (passed through the bitmap). */
static const uint32_t vmx_switched_msrs[5] = {
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,   /* STAR, LSTAR, CSTAR, SFMASK */
	0xc0000102,                                       /* KERNEL_GS_BASE */
};


extern char vmx_exit_stub[];
uint64_t setup_tss_base(void);
void vmx_entry_failed(struct vcpu *v, uint64_t rflags) __attribute__((noreturn));

static void vmx_read_caps(void)
{
	caps.basic = cpu_rdmsr(MSR_IA32_VMX_BASIC);
	caps.pin = cpu_rdmsr(vmxcap_ctl_msr(caps.basic, MSR_IA32_VMX_PINBASED_CTLS));
	caps.proc = cpu_rdmsr(vmxcap_ctl_msr(caps.basic, MSR_IA32_VMX_PROCBASED_CTLS));
	caps.exit = cpu_rdmsr(vmxcap_ctl_msr(caps.basic, MSR_IA32_VMX_EXIT_CTLS));
	caps.entry = cpu_rdmsr(vmxcap_ctl_msr(caps.basic, MSR_IA32_VMX_ENTRY_CTLS));
	caps.proc2 = cpu_rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	caps.misc = cpu_rdmsr(MSR_IA32_VMX_MISC);
	caps.ept_vpid = cpu_rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	caps.cr0_fixed0 = cpu_rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	caps.cr0_fixed1 = cpu_rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	caps.cr4_fixed0 = cpu_rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	caps.cr4_fixed1 = cpu_rdmsr(MSR_IA32_VMX_CR4_FIXED1);
}

/* Adjusts one control class; panics naming the class if a required bit is missing. */
static uint32_t vmx_ctl(const char *what, uint32_t req, uint32_t opt, uint64_t cap)
{
	uint32_t out, missing;

	if (vmxcap_adjust(req, opt, cap, &out, &missing) < 0)
		panic("vmx_ctl: %s controls 0x%x not supported by this CPU", what, missing);
	return out;
}

static void vmx_choose_controls(void)
{
	ctl.pin = vmx_ctl("pin-based", PIN_EXTINT_EXITING | PIN_NMI_EXITING |
			  PIN_PREEMPTION_TIMER, 0, caps.pin);
	ctl.proc = vmx_ctl("processor-based", PROC_HLT_EXITING | PROC_USE_IO_BITMAPS |
			   PROC_USE_MSR_BITMAPS | PROC_SECONDARY_CONTROLS, 0, caps.proc);
	ctl.proc2 = vmx_ctl("secondary", PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST,
			    PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID | PROC2_ENABLE_VPID, caps.proc2);
	ctl.exit = vmx_ctl("VM-exit", EXIT_HOST_ADDR_SPACE_SIZE | EXIT_ACK_INTR_ON_EXIT |
			   EXIT_SAVE_EFER | EXIT_LOAD_EFER, EXIT_SAVE_PAT | EXIT_LOAD_PAT, caps.exit);
	ctl.entry = vmx_ctl("VM-entry", ENTRY_LOAD_EFER, ENTRY_LOAD_PAT, caps.entry);
}

void vmx_init(void)
{
	uint64_t fc = cpu_rdmsr(MSR_IA32_FEATURE_CONTROL);
	const char *missing;

	vmx_read_caps();
	missing = vmxcap_missing(&caps);
	if (missing)
		panic("vmx_init: %s", missing);
	if (fc & FEATURE_CONTROL_LOCK) {
		if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX))
			panic("vmx_init: VMX disabled and locked by the firmware (IA32_FEATURE_CONTROL)");
	} else {
		/* OVMF under Bochs leaves it unlocked: enable VMX outside SMX and lock. */
		cpu_wrmsr(MSR_IA32_FEATURE_CONTROL,
			  fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
	}
	cpu_write_cr0((cpu_read_cr0() | caps.cr0_fixed0) & caps.cr0_fixed1);
	cpu_write_cr4((cpu_read_cr4() | caps.cr4_fixed0 | CR4_VMXE) & caps.cr4_fixed1);

	uint32_t *vmxon = mem_alloc_pages(1);
	uint64_t pa = (uint64_t)(uintptr_t)vmxon;
	uint8_t fail;
	vmxon[0] = (uint32_t)caps.basic & 0x7fffffff;
	__asm__ volatile("vmxon %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	if (fail)
		panic("vmx_init: VMXON failed");
	vmx_choose_controls();
	virq_init((unsigned)(caps.misc & 0x1f));
	log_printf("hv: VMX on (revision %u, pin %x proc %x proc2 %x exit %x entry %x)\n",
		   (unsigned)(caps.basic & 0x7fffffff), ctl.pin, ctl.proc, ctl.proc2, ctl.exit, ctl.entry);
}

/* Makes v's VMCS current (VMPTRLD) if it is not. */
void vmx_load(struct vcpu *v);
void vmx_load(struct vcpu *v)
{
	uint64_t pa = (uint64_t)(uintptr_t)v->vmcs;
	uint8_t fail;

	if (vmx_current == v)
		return;
	__asm__ volatile("vmptrld %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	if (fail)
		panic("vmx_load: VMPTRLD failed for guest %s", v->guest->cfg->name);
	vmx_current = v;
}

static void vmx_write_host_state(struct vcpu *v)
{
	struct desc_ptr gdtr, idtr;

	cpu_sgdt(&gdtr);
	cpu_sidt(&idtr);
	vmcs_writenat(HOST_CR0, cpu_read_cr0());
	vmcs_writenat(HOST_CR3, cpu_read_cr3());
	vmcs_writenat(HOST_CR4, cpu_read_cr4());
	vmcs_write16(HOST_CS_SELECTOR, 0x08);
	vmcs_write16(HOST_SS_SELECTOR, 0x10);
	vmcs_write16(HOST_DS_SELECTOR, 0x10);
	vmcs_write16(HOST_ES_SELECTOR, 0x10);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, 0x18);
	vmcs_writenat(HOST_FS_BASE, 0);
	vmcs_writenat(HOST_GS_BASE, 0);
	vmcs_writenat(HOST_TR_BASE, setup_tss_base());
	vmcs_writenat(HOST_GDTR_BASE, gdtr.base);
	vmcs_writenat(HOST_IDTR_BASE, idtr.base);
	vmcs_write32(HOST_IA32_SYSENTER_CS, 0);
	vmcs_writenat(HOST_IA32_SYSENTER_ESP, 0);
	vmcs_writenat(HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write64(HOST_IA32_EFER, cpu_rdmsr(MSR_IA32_EFER));
	vmcs_write64(HOST_IA32_PAT, cpu_rdmsr(MSR_IA32_PAT));
	vmcs_writenat(HOST_RSP, v->host_rsp);
	vmcs_writenat(HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_stub);
}

/*
 * CR0 and CR4 bits the hv owns: those VMX fixes (except PE/PG, which
 * unrestricted guest frees), plus PG so that the hv can keep EFER.LMA and
 * the "IA-32e mode guest" entry control in step with the guest.
 */
static uint64_t vmx_cr0_mask(void)
{
	return ((caps.cr0_fixed0 | ~caps.cr0_fixed1) & ~(CR0_PE | CR0_PG) & 0xffffffffull) | CR0_PG;
}

static uint64_t vmx_cr4_mask(void)
{
	return (caps.cr4_fixed0 | ~caps.cr4_fixed1) & 0xffffffffull;
}

static void vmx_write_controls(struct guest *g)
{
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, ctl.pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, ctl.proc);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, ctl.proc2);
	vmcs_write32(VM_EXIT_CONTROLS, ctl.exit);
	vmcs_write32(VM_ENTRY_CONTROLS, ctl.entry);
	vmcs_write32(EXCEPTION_BITMAP, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO, 0);
	vmcs_write64(IO_BITMAP_A, (uintptr_t)g->io_bitmap);
	vmcs_write64(IO_BITMAP_B, (uintptr_t)g->io_bitmap + 4096);
	vmcs_write64(MSR_BITMAP, (uintptr_t)g->msr_bitmap);
	vmcs_write64(EPT_POINTER, ept_eptp(&g->ept));
	if (ctl.proc2 & PROC2_ENABLE_VPID)
		vmcs_write16(VIRTUAL_PROCESSOR_ID, g->id + 1);
	vmcs_writenat(CR0_GUEST_HOST_MASK, vmx_cr0_mask());
	vmcs_writenat(CR4_GUEST_HOST_MASK, vmx_cr4_mask());
	vmcs_write64(VMCS_LINK_POINTER, ~0ull);
}

/* Writes one segment register's guest state. */
static void vmx_guest_seg(unsigned idx, uint16_t sel, uint32_t limit, uint32_t ar)
{
	/* ES, CS, SS, DS, FS, GS, LDTR, TR are consecutive in each field group. */
	vmcs_write_raw(GUEST_ES_SELECTOR + 2 * idx, sel);
	vmcs_write_raw(GUEST_ES_BASE + 2 * idx, 0);
	vmcs_write_raw(GUEST_ES_LIMIT + 2 * idx, limit);
	vmcs_write_raw(GUEST_ES_AR_BYTES + 2 * idx, ar);
}

void vmx_guest_reset_state(struct guest *g)
{
	struct vcpu *v = &g->vcpu;
	uint64_t cr0 = CR0_PE | CR0_ET;

	vmx_load(v);
	/* Multiboot machine state: flat 4 GiB code and data, paging off, IF=0. */
	for (unsigned i = 0; i < 6; i++)
		vmx_guest_seg(i, i == 1 ? 0x08 : 0x10, 0xffffffff, i == 1 ? 0xc09b : 0xc093);
	vmx_guest_seg(6, 0, 0, 0x10000);                /* LDTR unusable */
	vmx_guest_seg(7, 0, 0xffff, 0x008b);            /* TR: busy 32-bit TSS */
	vmcs_writenat(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_writenat(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);
	vmcs_writenat(GUEST_CR0, (cr0 | caps.cr0_fixed0) & caps.cr0_fixed1 & ~CR0_PG);
	vmcs_writenat(CR0_READ_SHADOW, cr0);
	vmcs_writenat(GUEST_CR3, 0);
	vmcs_writenat(GUEST_CR4, caps.cr4_fixed0 & caps.cr4_fixed1);
	vmcs_writenat(CR4_READ_SHADOW, 0);
	vmcs_writenat(GUEST_DR7, 0x400);
	vmcs_writenat(GUEST_RSP, 0);
	vmcs_writenat(GUEST_RIP, g->boot->entry);
	vmcs_writenat(GUEST_RFLAGS, 0x2);
	vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writenat(GUEST_SYSENTER_ESP, 0);
	vmcs_writenat(GUEST_SYSENTER_EIP, 0);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write64(GUEST_IA32_PAT, 0x0007040600070406ull);
	vmcs_write64(GUEST_IA32_EFER, 0);
	vmcs_write32(VM_ENTRY_CONTROLS, ctl.entry);
	vmcs_write32(VM_ENTRY_INTR_INFO, 0);
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rax = MB_BOOT_MAGIC;
	v->regs.rbx = g->boot->mbi_gpa;
	v->cr2 = 0;
	v->fresh = true;
	xstate_reset(v);
	memset(v->msrs, 0, sizeof(v->msrs));
	if (g->cfg->test_fault == CFG_TEST_VMENTRY) {
		/* Test-only: RFLAGS bit 1 must be 1 (SDM "Checks on Guest RIP and RFLAGS"). */
		vmcs_writenat(GUEST_RFLAGS, 0);
	} else if (g->cfg->test_fault == CFG_TEST_VMCONTROL) {
		/* Test-only: at most 4 CR3-target values (SDM "Checks on VMX Controls"). */
		vmcs_write32(CR3_TARGET_COUNT, 5);
	}
}

/*
 * Builds the I/O bitmaps: every port exits except those the guest owns.
 * The IDE bus master's ports always exit, whatever hv.cfg grants: they
 * carry DMA addresses, which the hv must check (hv/vdma_io.c).
 */
static void vmx_build_io_bitmap(struct guest *g)
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

/* Lets the guest read and write msr without an exit. */
static void vmx_msr_passthrough(struct guest *g, uint32_t msr)
{
	unsigned base = msr >= 0xc0000000u ? 1024 : 0, idx = msr & 0x1fff;

	g->msr_bitmap[base + idx / 8] &= (uint8_t)~(1u << (idx % 8));          /* read */
	g->msr_bitmap[base + 2048 + idx / 8] &= (uint8_t)~(1u << (idx % 8));   /* write */
}

int vmx_guest_setup(struct guest *g)
{
	struct vcpu *v = &g->vcpu;
	uint8_t *stack = mem_alloc_pages(EXIT_STACK_PAGES);
	uint64_t pa;
	uint8_t fail;

	v->guest = g;
	v->vmcs = mem_alloc_pages(1);
	xstate_setup(v);
	*(uint32_t *)v->vmcs = (uint32_t)caps.basic & 0x7fffffff;
	v->host_rsp = (uint64_t)(uintptr_t)(stack + EXIT_STACK_PAGES * 4096 - 16);
	g->io_bitmap = mem_alloc_pages(2);
	g->msr_bitmap = mem_alloc_pages(1);
	vmx_build_io_bitmap(g);
	memset(g->msr_bitmap, 0xff, 4096);
	vmx_msr_passthrough(g, MSR_IA32_FS_BASE);
	vmx_msr_passthrough(g, MSR_IA32_GS_BASE);
	for (unsigned i = 0; i < ARRAY_SIZE(vmx_switched_msrs); i++)
		vmx_msr_passthrough(g, vmx_switched_msrs[i]);

	pa = (uint64_t)(uintptr_t)v->vmcs;
	__asm__ volatile("vmclear %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	if (fail)
		return -1;
	v->launched = 0;
	vmx_current = NULL;
	vmx_load(v);
	vmx_write_controls(g);
	vmx_write_host_state(v);
	return 0;
}

uint64_t vmx_cr0_fixed0(void) { return caps.cr0_fixed0; }
uint64_t vmx_cr0_fixed1(void) { return caps.cr0_fixed1; }
uint64_t vmx_cr4_fixed0(void) { return caps.cr4_fixed0; }
uint64_t vmx_cr4_fixed1(void) { return caps.cr4_fixed1; }

void vmx_switch_msrs(struct vcpu *from, struct vcpu *to)
{
	for (unsigned i = 0; i < ARRAY_SIZE(vmx_switched_msrs); i++) {
		from->msrs[i] = cpu_rdmsr(vmx_switched_msrs[i]);
		cpu_wrmsr(vmx_switched_msrs[i], to->msrs[i]);
	}
}

void vmx_inject_exception(unsigned vector, bool has_error, uint32_t error)
{
	/* Interruption type 3: hardware exception (SDM "VM-Entry Controls for Event Injection"). */
	uint32_t info = vector | (3u << 8) | (1u << 31) | (has_error ? 1u << 11 : 0);

	vmcs_write32(VM_ENTRY_INTR_INFO, info);
	if (has_error)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
}

/* Prints one segment's guest state. */
static void vmx_dump_seg(const char *name, unsigned idx)
{
	log_printf("  %s sel %04lx base %08lx limit %08lx ar %05lx\n", name,
		   vmcs_read_raw(GUEST_ES_SELECTOR + 2 * idx), vmcs_read_raw(GUEST_ES_BASE + 2 * idx),
		   vmcs_read_raw(GUEST_ES_LIMIT + 2 * idx), vmcs_read_raw(GUEST_ES_AR_BYTES + 2 * idx));
}

void vmx_dump_guest(struct vcpu *v)
{
	static const char *const seg[8] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };
	const struct guest_regs *r = &v->regs;

	log_printf("  rip %016lx rsp %016lx rflags %08lx\n", vmcs_readnat(GUEST_RIP),
		   vmcs_readnat(GUEST_RSP), vmcs_readnat(GUEST_RFLAGS));
	log_printf("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
	log_printf("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", r->rsi, r->rdi, r->rbp, r->r8);
	log_printf("  r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n", r->r9, r->r10, r->r11, r->r12);
	log_printf("  r13 %016lx r14 %016lx r15 %016lx\n", r->r13, r->r14, r->r15);
	log_printf("  cr0 %08lx (shadow %08lx) cr3 %08lx cr4 %08lx (shadow %08lx) efer %lx\n",
		   vmcs_readnat(GUEST_CR0), vmcs_readnat(CR0_READ_SHADOW), vmcs_readnat(GUEST_CR3),
		   vmcs_readnat(GUEST_CR4), vmcs_readnat(CR4_READ_SHADOW), vmcs_read64(GUEST_IA32_EFER));
	for (unsigned i = 0; i < 8; i++)
		vmx_dump_seg(seg[i], i);
	log_printf("  gdtr %08lx/%lx idtr %08lx/%lx activity %u interruptibility %x entry-ctl %x\n",
		   vmcs_readnat(GUEST_GDTR_BASE), vmcs_read_raw(GUEST_GDTR_LIMIT),
		   vmcs_readnat(GUEST_IDTR_BASE), vmcs_read_raw(GUEST_IDTR_LIMIT),
		   vmcs_read32(GUEST_ACTIVITY_STATE), vmcs_read32(GUEST_INTERRUPTIBILITY_INFO),
		   vmcs_read32(VM_ENTRY_CONTROLS));
}

void vmx_entry_failed(struct vcpu *v, uint64_t rflags)
{
	struct guest *g = v->guest;

	if (rflags & 1) {
		guest_stop(g, "VM entry failed: VMfailInvalid (no current VMCS)");
	} else {
		uint32_t err = vmcs_read32(VM_INSTRUCTION_ERROR);
		log_printf("hv: guest %s: VM entry failed: VM-instruction error %u (%s)\n",
			   g->cfg->name, err, vmcs_insn_error_name(err));
		vmx_dump_guest(v);
		guest_stop(g, "VM entry failed: %s", vmcs_insn_error_name(err));
	}
	hv_enter(sched_next(v));
}

const char *vmcs_insn_error_name(uint32_t err)
{
	static const char *const names[] = {
		[1] = "VMCALL executed in VMX root operation",
		[2] = "VMCLEAR with invalid physical address",
		[3] = "VMCLEAR with VMXON pointer",
		[4] = "VMLAUNCH with non-clear VMCS",
		[5] = "VMRESUME with non-launched VMCS",
		[6] = "VMRESUME after VMXOFF",
		[7] = "VM entry with invalid control field(s)",
		[8] = "VM entry with invalid host-state field(s)",
		[9] = "VMPTRLD with invalid physical address",
		[10] = "VMPTRLD with VMXON pointer",
		[11] = "VMPTRLD with incorrect VMCS revision identifier",
		[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
		[13] = "VMWRITE to read-only VMCS component",
		[15] = "VMXON executed in VMX root operation",
		[16] = "VM entry with invalid executive-VMCS pointer",
		[17] = "VM entry with non-launched executive VMCS",
		[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
		[19] = "VMCALL with non-clear VMCS",
		[20] = "VMCALL with invalid VM-exit control fields",
		[22] = "VMCALL with incorrect MSEG revision identifier",
		[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
		[24] = "VMCALL with invalid SMM-monitor features",
		[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
		[26] = "VM entry with events blocked by MOV SS",
		[28] = "invalid operand to INVEPT/INVVPID",
	};
	return err < ARRAY_SIZE(names) && names[err] ? names[err] : "unknown VM-instruction error";
}
