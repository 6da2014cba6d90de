/*
 * VMX operation: VMXON, the controls the hv runs with, one VMCS per guest
 * vCPU, its architectural reset state, event injection and TLB flushes.
 * Mechanism only: it calls nothing above it. SDM chapters "VMX Non-Root
 * Operation" and "VM Entries" are the reference.
 */
#include "vmx.h"
#include "percpu.h"
#include "cpu.h"
#include "cpumodel.h"
#include "log.h"
#include "mem.h"
#include "setup.h"
#include "vmcs.h"
#include "vmcheck.h"

_Static_assert(__builtin_offsetof(struct vcpu, regs.r15) == 112, "entry.asm VCPU_R15");
_Static_assert(__builtin_offsetof(struct vcpu, exit_tsc) == 120, "entry.asm VCPU_EXIT_TSC");
_Static_assert(__builtin_offsetof(struct vcpu, resume_tsc) == 128, "entry.asm VCPU_RESUME_TSC");
_Static_assert(__builtin_offsetof(struct vcpu, host_rsp) == 136, "entry.asm VCPU_HOST_RSP");
_Static_assert(__builtin_offsetof(struct vcpu, launched) == 144, "entry.asm VCPU_LAUNCHED");

#define INTR_TYPE_HW_EXCEPTION  (3u << 8)
#define INTR_DELIVER_ERROR      (1u << 11)
#define INTR_VALID              (1u << 31)

/* Exceptions that exit (SDM "Exception Bitmap"): #DB and #AC can loop inside
 * the CPU's event delivery with no exit (CVE-2015-8104, CVE-2015-5307), #MC
 * is the machine's. */
#define VMX_EXCEPTION_BITMAP    ((1u << EXC_DB) | (1u << EXC_AC) | (1u << EXC_MC))

static struct vmx_caps caps;
static struct vmx_controls ctl;
/* The vCPU whose VMCS is current on this CPU: this_pcpu()->vmcs_current. */
#define vmx_current (this_pcpu()->vmcs_current)
static bool vpid_single;                 /* INVVPID single-context, else all-context */

extern char vmx_exit_stub[];

const struct vmx_caps *vmx_caps(void) { return &caps; }
const struct vmx_controls *vmx_controls(void) { return &ctl; }

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

/* Returns true if every bit of want may be 1 in the capability MSR cap. */
static bool vmx_allowed(uint64_t cap, uint32_t want)
{
	return ((uint32_t)(cap >> 32) & want) == want;
}

/*
 * The controls: every instruction that reaches beyond the partition exits
 * (HLT, I/O, MSRs, MWAIT/MONITOR, RDPMC, WBINVD, external interrupts, NMIs),
 * CR8 stays in the guest (TPR shadow, or CR8 exiting where there is none),
 * DR7/DEBUGCTL, EFER and PAT are switched with the VM state.
 */
static void vmx_choose_controls(void)
{
	bool tpr_shadow = vmx_allowed(caps.proc, PROC_USE_TPR_SHADOW);
	bool vpid = vmx_allowed(caps.proc2, PROC2_ENABLE_VPID) && (caps.ept_vpid & VPID_CAP_INVVPID) &&
		    (caps.ept_vpid & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL));
	uint32_t opt2 = vpid ? PROC2_ENABLE_VPID : 0;
	struct cpuid_regs r;

	/*
	 * RDTSCP/RDPID and INVPCID #UD in a guest unless enabled (SDM
	 * "Secondary Processor-Based VM-Execution Controls"); the CPU model
	 * shows them only if they are.
	 */
	cpu_cpuid(0x80000001u, 0, &r);
	if (r.edx & (1u << 27))
		opt2 |= PROC2_ENABLE_RDTSCP;
	cpu_cpuid(0, 0, &r);
	if (r.eax >= 7) {
		cpu_cpuid(7, 0, &r);
		if (r.ebx & (1u << 10))
			opt2 |= PROC2_ENABLE_INVPCID;
	}

	/* Virtual NMIs: the guest's NMI blocking, and NMI-window exiting with it. */
	ctl.pin = vmx_ctl("pin-based", PIN_EXTINT_EXITING | PIN_NMI_EXITING |
			  PIN_PREEMPTION_TIMER, PIN_VIRTUAL_NMIS, caps.pin);
	ctl.proc = vmx_ctl("processor-based", PROC_HLT_EXITING | PROC_USE_IO_BITMAPS |
			   PROC_USE_MSR_BITMAPS | PROC_SECONDARY_CONTROLS | PROC_MWAIT_EXITING |
			   PROC_MONITOR_EXITING | PROC_RDPMC_EXITING | PROC_USE_TSC_OFFSETTING |
			   (tpr_shadow ? PROC_USE_TPR_SHADOW : PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING),
			   0, caps.proc);
	ctl.proc2 = vmx_ctl("secondary", PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST |
			    PROC2_WBINVD_EXITING, opt2, caps.proc2);
	ctl.exit = vmx_ctl("VM-exit", EXIT_HOST_ADDR_SPACE_SIZE | EXIT_ACK_INTR_ON_EXIT |
			   EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PAT | EXIT_LOAD_PAT |
			   EXIT_SAVE_DEBUG_CONTROLS, 0, caps.exit);
	ctl.entry = vmx_ctl("VM-entry", ENTRY_LOAD_EFER | ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG_CONTROLS,
			    0, caps.entry);
	vpid_single = caps.ept_vpid & VPID_CAP_INVVPID_SINGLE;
	ctl.apic_proc2 = 0;
	if (tpr_shadow && !hv.bi->cfg.lapic_decode &&
	    vmx_allowed(caps.proc2, PROC2_VIRTUALIZE_APIC | PROC2_APIC_REGISTER_VIRT))
		ctl.apic_proc2 = PROC2_VIRTUALIZE_APIC | PROC2_APIC_REGISTER_VIRT;
}

/* Says at boot how guests' xAPIC pages are reached (hv/lapic_io.c), and why. */
static void vmx_log_lapic_access(void)
{
	const char *nmi = (ctl.pin & PIN_VIRTUAL_NMIS) ? "virtual (NMI-window exiting)" : "without virtual-NMI blocking";
	const char *tpr = (ctl.proc & PROC_USE_TPR_SHADOW) ? "shadow with threshold" : "by CR8 exiting";

	if (ctl.apic_proc2)
		log_printf("hv: LAPIC access: APIC-access page with APIC-register virtualization (reads from the "
			   "virtual-APIC page, trap-like APIC writes, the rest decoded), NMIs %s, TPR %s\n", nmi, tpr);
	else
		log_printf("hv: LAPIC access: EPT violations decoded (%s), NMIs %s, TPR %s\n",
			   hv.bi->cfg.lapic_decode ? "lapic_access = decode" :
			   !(ctl.proc & PROC_USE_TPR_SHADOW) ? "no TPR shadow" :
			   "the CPU offers no APIC-register virtualization", nmi, tpr);
}

/* Returns the CPU's physical-address width (CPUID 0x80000008 EAX[7:0], 36 without the leaf). */
static unsigned vmx_maxphyaddr(void)
{
	struct cpuid_regs r;

	cpu_cpuid(0x80000000u, 0, &r);
	if (r.eax < 0x80000008u)
		return 36;
	cpu_cpuid(0x80000008u, 0, &r);
	return r.eax & 0xff;
}

/* Logs what the hv runs on: vendor, family/model/stepping, brand string. */
static void vmx_log_cpu(void)
{
	struct cpuid_regs r, b[3];
	char vendor[13], brand[49];
	unsigned family, model;

	cpu_cpuid(0, 0, &r);
	memcpy(vendor, &r.ebx, 4), memcpy(vendor + 4, &r.edx, 4), memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = 0;
	cpu_cpuid(1, 0, &r);
	family = (r.eax >> 8) & 0xf;
	model = (r.eax >> 4) & 0xf;
	if (family == 6 || family == 15)
		model |= (r.eax >> 12) & 0xf0;
	if (family == 15)
		family += (r.eax >> 20) & 0xff;
	brand[0] = 0;
	cpu_cpuid(0x80000000u, 0, &b[0]);
	if (b[0].eax >= 0x80000004u) {
		for (unsigned i = 0; i < 3; i++)
			cpu_cpuid(0x80000002u + i, 0, &b[i]);
		memcpy(brand, b, 48);
		brand[48] = 0;
	}
	log_printf("hv: CPU %s family %u model %u stepping %u \"%s\"\n", vendor, family, model,
		   r.eax & 0xf, brand);
}

/*
 * This CPU's part of VMXON (every CPU's, the BSP's first): VMX enabled in
 * IA32_FEATURE_CONTROL, CR0 and CR4 inside the fixed bits, a VMXON region
 * of its own (SDM "Enabling and Entering VMX Operation").
 */
void vmx_cpu_init(void)
{
	uint64_t fc = cpu_rdmsr(MSR_IA32_FEATURE_CONTROL);
	struct pcpu *p = this_pcpu();

	if (fc & FEATURE_CONTROL_LOCK) {
		if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX))
			panic("vmx_init: VMX disabled and locked by the firmware on CPU %u "
			      "(IA32_FEATURE_CONTROL)", p->id);
	} else {
		/* OVMF under Bochs leaves it unlocked: enable VMX outside SMX and lock. */
		cpu_wrmsr(MSR_IA32_FEATURE_CONTROL,
			  fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
	}
	cpu_write_cr0((cpu_read_cr0() | caps.cr0_fixed0) & caps.cr0_fixed1);
	cpu_write_cr4((cpu_read_cr4() | caps.cr4_fixed0 | CR4_VMXE) & caps.cr4_fixed1);

	if (!p->vmxon)
		p->vmxon = mem_alloc_pages(1);
	*(uint32_t *)p->vmxon = (uint32_t)caps.basic & 0x7fffffff;
	if (vmx_vmxon((uint64_t)(uintptr_t)p->vmxon) < 0)
		panic("vmx_init: VMXON failed on CPU %u", p->id);
	vmx_current = NULL;
}

void vmx_init(void)
{
	const char *missing;

	vmx_log_cpu();
	hv.maxphyaddr = vmx_maxphyaddr();
	vmx_read_caps();
	missing = vmxcap_missing(&caps);
	if (missing)
		panic("vmx_init: %s", missing);
	vmx_cpu_init();
	vmx_choose_controls();
	log_printf("hv: VMX on (revision %u, pin %x proc %x proc2 %x exit %x entry %x)\n",
		   (unsigned)(caps.basic & 0x7fffffff), ctl.pin, ctl.proc, ctl.proc2, ctl.exit, ctl.entry);
	log_printf("hv: VMX features used: EPT 4-level WB (2 MiB pages %s), unrestricted guest, "
		   "preemption timer (TSC/%u), VPID %s, CR8 %s, MWAIT/RDPMC/WBINVD exiting\n",
		   (caps.ept_vpid & EPT_CAP_2M) ? "yes" : "no", 1u << (caps.misc & VMX_MISC_PREEMPT_SHIFT),
		   !(ctl.proc2 & PROC2_ENABLE_VPID) ? "off" : vpid_single ? "on (INVVPID single-context)" :
		   "on (INVVPID all-context)", (ctl.proc & PROC_USE_TPR_SHADOW) ? "by TPR shadow" : "by exiting");
	vmx_log_lapic_access();
}

void vmx_load(struct vcpu *v)
{
	if (vmx_current == v)
		return;
	if (vmx_vmptrld((uint64_t)(uintptr_t)v->vmcs) < 0)
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
	vmcs_writenat(HOST_GS_BASE, (uint64_t)(uintptr_t)this_pcpu());  /* hv/percpu.h */
	vmcs_writenat(HOST_TR_BASE, setup_tss_base());
	vmcs_writenat(HOST_GDTR_BASE, gdtr.base);
	vmcs_writenat(HOST_IDTR_BASE, idtr.base);
	vmcs_write32(HOST_IA32_SYSENTER_CS, 0);
	vmcs_writenat(HOST_IA32_SYSENTER_ESP, 0);
	vmcs_writenat(HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write64(HOST_IA32_EFER, cpu_rdmsr(MSR_IA32_EFER));
	vmcs_write64(HOST_IA32_PAT, cpu_rdmsr(MSR_IA32_PAT));
	/* vmx_run writes HOST_RSP on the first entry (host_rsp 0 never matches). */
	v->host_rsp = 0;
	vmcs_writenat(HOST_RSP, 0);
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

/*
 * CR4: besides those VMX fixes, every bit of a feature the guest CPU model
 * lacks (cpumodel_cr4_allowed): a write that changes one exits, and the
 * CR emulation refuses it as that CPU would.
 */
static uint64_t vmx_cr4_mask(void)
{
	return caps.cr4_fixed0 | ~caps.cr4_fixed1 | ~cpumodel_cr4_allowed();
}

static void vmx_write_controls(struct guest *g)
{
	struct vcpu *v = &g->vcpu;

	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, ctl.pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, ctl.proc);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, ctl.proc2 | (g->apic.access_page ? ctl.apic_proc2 : 0));
	vmcs_write32(VM_EXIT_CONTROLS, ctl.exit);
	vmcs_write32(VM_ENTRY_CONTROLS, ctl.entry);
	vmcs_write32(EXCEPTION_BITMAP, VMX_EXCEPTION_BITMAP);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO, 0);
	vmcs_write64(IO_BITMAP_A, (uintptr_t)g->io_bitmap);
	vmcs_write64(IO_BITMAP_B, (uintptr_t)g->io_bitmap + 4096);
	vmcs_write64(MSR_BITMAP, (uintptr_t)g->msr_bitmap);
	vmcs_write64(EPT_POINTER, ept_eptp(&g->ept));
	vmcs_write64(TSC_OFFSET, v->tsc_offset);
	if (ctl.proc & PROC_USE_TPR_SHADOW) {
		/* The guest's CR8 lives in its own virtual-APIC page (VTPR, offset 0x80). */
		vmcs_write64(VIRTUAL_APIC_PAGE_ADDR, (uintptr_t)v->vapic);
		vmcs_write32(TPR_THRESHOLD, 0);
	}
	if (g->apic.access_page)
		vmcs_write64(APIC_ACCESS_ADDR, (uintptr_t)g->apic.access_page);
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

/*
 * The vCPU's start state: 32-bit protected mode with flat 4 GiB code and
 * data, paging off, IF=0 (the state the Multiboot and Linux 32-bit boot
 * protocols both hand over), at v->start: its selectors and GDT (Multiboot:
 * 0x08/0x10, no GDT the guest may rely on; Linux: __BOOT_CS 0x10 and
 * __BOOT_DS 0x18 from the loader's GDT in guest RAM).
 */
static void vmx_write_guest_reset(struct vcpu *v)
{
	uint64_t cr0 = CR0_PE | CR0_ET;

	for (unsigned i = 0; i < 6; i++)
		vmx_guest_seg(i, i == 1 ? v->start.cs : v->start.ds, 0xffffffff,
			      i == 1 ? 0xc09b : 0xc093);
	vmx_guest_seg(6, 0, 0, 0x10000);                /* LDTR unusable */
	vmx_guest_seg(7, 0, 0xffff, 0x008b);            /* TR: busy 32-bit TSS */
	vmcs_writenat(GUEST_GDTR_BASE, v->start.gdt_base);
	vmcs_write32(GUEST_GDTR_LIMIT, v->start.gdt_limit);
	vmcs_writenat(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);
	vmcs_writenat(GUEST_CR0, (cr0 | caps.cr0_fixed0) & caps.cr0_fixed1 & ~CR0_PG);
	vmcs_writenat(CR0_READ_SHADOW, cr0);
	vmcs_writenat(GUEST_CR3, 0);
	vmcs_writenat(GUEST_CR4, caps.cr4_fixed0 & caps.cr4_fixed1);
	vmcs_writenat(CR4_READ_SHADOW, 0);
	vmcs_writenat(GUEST_DR7, 0x400);
	vmcs_writenat(GUEST_RSP, 0);
	vmcs_writenat(GUEST_RIP, v->start.rip);
	vmcs_writenat(GUEST_RFLAGS, RFLAGS_FIXED);
	vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writenat(GUEST_SYSENTER_ESP, 0);
	vmcs_writenat(GUEST_SYSENTER_EIP, 0);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write64(GUEST_IA32_PAT, 0x0007040600070406ull);
	vmcs_write64(GUEST_IA32_EFER, 0);
	for (unsigned i = 0; i < 4; i++)
		vmcs_write_raw(GUEST_PDPTE0 + 2 * i, 0);
	vmcs_write64(TSC_OFFSET, 0);
	memset(&v->regs, 0, sizeof(v->regs));
	v->reinject_vector = -1;
	v->fresh = true;
	v->regs.rax = v->start.rax;
	v->regs.rbx = v->start.rbx;
	v->regs.rsi = v->start.rsi;
	if (v->vapic)
		memset(v->vapic, 0, 4096);
}

void vmx_vcpu_rebuild(struct guest *g)
{
	struct vcpu *v = &g->vcpu;

	if (vmx_vmclear((uint64_t)(uintptr_t)v->vmcs) < 0)
		panic("vmx_vcpu_rebuild: VMCLEAR failed for guest %s", g->cfg->name);
	if (vmx_current == v)
		vmx_current = NULL;
	v->launched = 0;
	vmx_load(v);
	vmx_write_controls(g);
	vmx_write_host_state(v);
	vmx_write_guest_reset(v);
	vmx_flush_guest_tlb(v);
}

void vmx_vcpu_release(struct vcpu *v)
{
	/* SDM "VMCLEAR": the VMCS's data is in memory and no CPU has it current or active. */
	if (vmx_vmclear((uint64_t)(uintptr_t)v->vmcs) < 0)
		panic("vmx_vcpu_release: VMCLEAR failed for guest %s", v->guest->cfg->name);
	if (vmx_current == v)
		vmx_current = NULL;
	v->launched = 0;
}

void vmx_vcpu_adopt(struct vcpu *v)
{
	vmx_load(v);
	vmx_write_host_state(v);
}

void vmx_guest_setup(struct guest *g)
{
	struct vcpu *v = &g->vcpu;

	v->guest = g;
	v->vmcs = mem_alloc_pages(1);
	*(uint32_t *)v->vmcs = (uint32_t)caps.basic & 0x7fffffff;
	if (ctl.proc & PROC_USE_TPR_SHADOW)
		v->vapic = mem_alloc_pages(1);
	vmx_vcpu_rebuild(g);
}

uint64_t vmx_cr0_fixed0(void) { return caps.cr0_fixed0; }
uint64_t vmx_cr0_fixed1(void) { return caps.cr0_fixed1; }
uint64_t vmx_cr4_fixed0(void) { return caps.cr4_fixed0; }
uint64_t vmx_cr4_fixed1(void) { return caps.cr4_fixed1; }

/*
 * MSRs VMX does not switch and guests use directly or through the MSR
 * policy: the policy's switched rows whose feature the model shows
 * (msr_policy_init), e.g. STAR, LSTAR, TSC_AUX.
 */
static uint32_t vmx_switched_msrs[VCPU_SWITCHED_MSRS];
static unsigned vmx_nswitched;

void vmx_set_switched_msrs(const uint32_t *msrs, unsigned n)
{
	if (n > VCPU_SWITCHED_MSRS)
		panic("vmx_set_switched_msrs: %u MSRs, room for %u", n, VCPU_SWITCHED_MSRS);
	memcpy(vmx_switched_msrs, msrs, n * sizeof(*msrs));
	vmx_nswitched = n;
}

void vmx_switch_msrs(struct vcpu *from, struct vcpu *to)
{
	for (unsigned i = 0; i < vmx_nswitched; i++) {
		if (from)
			from->msrs[i] = cpu_rdmsr(vmx_switched_msrs[i]);
		cpu_wrmsr(vmx_switched_msrs[i], to->msrs[i]);
	}
}

/* Returns true if vector is a fault-class exception (SDM "Exception Classifications"). */
static bool vmx_is_fault(unsigned vector)
{
	switch (vector) {
	case EXC_DE: case 5: case EXC_UD: case EXC_NM: case EXC_TS: case EXC_NP: case EXC_SS:
	case EXC_GP: case EXC_PF: case EXC_MF: case EXC_AC: case 19: case 20: case 21:
		return true;
	}
	return false;
}

void vmx_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error)
{
	uint32_t info = vector | INTR_TYPE_HW_EXCEPTION | INTR_VALID;

	/*
	 * SDM "Checks on VM-Entry Control Fields": with unrestricted guest and
	 * CR0.PE = 0 the deliver-error-code bit must be 0; a real-mode CPU
	 * pushes no error code either.
	 */
	if (has_error && (vmcs_readnat(GUEST_CR0) & CR0_PE)) {
		info |= INTR_DELIVER_ERROR;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	/* A fault is delivered with RF set in the pushed RFLAGS (SDM "Debug Exceptions"). */
	if (vmx_is_fault(vector))
		vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) | RFLAGS_RF);
	vmcs_write32(VM_ENTRY_INTR_INFO, info);
	(void)v;
}

void vmx_flush_guest_tlb(struct vcpu *v)
{
	uint16_t vpid = (uint16_t)(v->guest->id + 1);

	if (!(ctl.proc2 & PROC2_ENABLE_VPID))
		return;                 /* without VPID every entry and exit flushes */
	if (vmx_invvpid(vpid_single ? INVVPID_SINGLE_CONTEXT : INVVPID_ALL_CONTEXT, vpid, 0) < 0)
		panic("vmx_flush_guest_tlb: INVVPID failed for guest %s", v->guest->cfg->name);
	v->tlb_flushes++;
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

/* vmcheck's reader for the current VMCS: a field this CPU lacks reads as 0. */
static uint64_t vmx_check_read(void *ctx, uint32_t field)
{
	uint64_t v;

	return vmcs_read_try(field, &v) < 0 ? 0 : v;
}

void vmx_check_entry(struct vcpu *v)
{
	struct vmcheck_cpu cpu = { .caps = &caps, .maxphyaddr = hv.maxphyaddr, .linear_width = 48 };
	struct vmcheck_result res;

	res = vmcheck(&cpu, vmx_check_read, NULL);
	if (res.kind != VMCHECK_OK)
		log_printf("hv: guest %s: vmcheck before VM entry: %s\n", v->guest->cfg->name, res.rule);
}
