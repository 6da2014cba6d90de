/*
 * Exit handlers for CPUID, HLT, INVD, XSETBV, VMCALL, the VMX instructions,
 * guest faults (triple fault, INIT) and EPT exits.
 */
#include "exit.h"
#include "cpu.h"
#include "log.h"
#include "vmcs.h"
#include "hypercall.h"
#include "virq.h"
#include "irq.h"
#include "pic.h"
#include "xstate.h"

#define CPUID1_ECX_MONITOR   (1u << 3)
#define CPUID1_ECX_VMX       (1u << 5)
#define CPUID1_ECX_SMX       (1u << 6)
#define CPUID1_ECX_X2APIC    (1u << 21)
#define CPUID1_ECX_TSC_DL    (1u << 24)
#define CPUID1_ECX_HV        (1u << 31)
#define CPUID1_EDX_APIC      (1u << 9)
#define CPUID1_EDX_MCE       (1u << 7)
#define CPUID1_EDX_MCA       (1u << 14)

#define EXC_UD 6
#define EXC_GP 13

/*
 * CPUID: the host's answers, minus what the guest platform lacks (VMX, SMX,
 * a local APIC, MONITOR/MWAIT) and plus the hypervisor bit and leaves.
 */
enum exit_action exit_cpuid(struct vcpu *v, struct exit_info *x)
{
	struct guest_regs *r = &v->regs;
	uint32_t leaf = (uint32_t)r->rax, sub = (uint32_t)r->rcx;
	struct cpuid_regs c;

	if (leaf == HV_CPUID_LEAF_BASE) {
		const char *sig = HV_CPUID_SIGNATURE;
		c.eax = HV_CPUID_LEAF_VERSION;
		memcpy(&c.ebx, sig, 4);
		memcpy(&c.ecx, sig + 4, 4);
		memcpy(&c.edx, sig + 8, 4);
	} else if (leaf == HV_CPUID_LEAF_VERSION) {
		c = (struct cpuid_regs){ HC_ABI_VERSION, 0, 0, 0 };
	} else if ((leaf & 0xf0000000u) == HV_CPUID_LEAF_BASE) {
		c = (struct cpuid_regs){ 0, 0, 0, 0 };
	} else {
		cpu_cpuid(leaf, sub, &c);
		if (leaf == 1) {
			c.ecx &= ~(CPUID1_ECX_VMX | CPUID1_ECX_SMX | CPUID1_ECX_X2APIC |
				   CPUID1_ECX_TSC_DL | CPUID1_ECX_MONITOR);
			c.ecx |= CPUID1_ECX_HV;
			c.edx &= ~(CPUID1_EDX_APIC | CPUID1_EDX_MCE | CPUID1_EDX_MCA);
			/* One logical processor; APIC ID = guest index. */
			c.ebx = (c.ebx & 0x0000ffffu) | (1u << 16) | ((uint32_t)v->guest->id << 24);
		}
	}
	r->rax = c.eax, r->rbx = c.ebx, r->rcx = c.ecx, r->rdx = c.edx;
	exit_skip_insn();
	return EXIT_RESUME;
}

/*
 * HLT: the guest gives up the CPU until it has a virtual interrupt to take.
 * If one is already pending (and IF lets it in), it goes on at once.
 */
enum exit_action exit_hlt(struct vcpu *v, struct exit_info *x)
{
	struct guest *g = v->guest;

	exit_skip_insn();
	virq_update_timer(g, v->exit_tsc, false);
	if (virq_pending(g) && (vmcs_readnat(GUEST_RFLAGS) & (1u << 9)))
		return EXIT_RESUME;
	g->state = GUEST_HALTED;
	return EXIT_YIELD;
}

/* The guest can take the virtual interrupt it was waiting for: the entry path injects it. */
enum exit_action exit_interrupt_window(struct vcpu *v, struct exit_info *x)
{
	return EXIT_RESUME;
}

/*
 * The time slice ended, another guest's virtual timer woke it (both: yield),
 * or this guest's own timer is due (resume: the entry path injects it).
 */
enum exit_action exit_preemption_timer(struct vcpu *v, struct exit_info *x)
{
	if (v->exit_tsc >= v->guest->slice_end || sched_wake_others(v->guest, v->exit_tsc))
		return EXIT_YIELD;
	return EXIT_RESUME;
}

/* INVD would drop other partitions' dirty cache lines: do WBINVD instead. */
enum exit_action exit_invd(struct vcpu *v, struct exit_info *x)
{
	__asm__ volatile("wbinvd" ::: "memory");
	exit_skip_insn();
	return EXIT_RESUME;
}

/*
 * XSETBV: accept only XCR0 values the CPU supports, with x87 set and AVX
 * only with SSE (SDM "XSETBV"); else #GP. Without host XSAVE, #UD.
 */
enum exit_action exit_xsetbv(struct vcpu *v, struct exit_info *x)
{
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;

	if (!xstate_has_xsave()) {
		vmx_inject_exception(EXC_UD, false, 0);
		return EXIT_RESUME;
	}
	if ((uint32_t)v->regs.rcx != 0 || !(val & 1) || (val & ~xstate_supported()) ||
	    ((val & 4) && !(val & 2))) {
		vmx_inject_exception(EXC_GP, true, 0);
		return EXIT_RESUME;
	}
	v->xcr0 = val;
	__asm__ volatile("xsetbv" :: "c"(0), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
	exit_skip_insn();
	return EXIT_RESUME;
}

/* VMX instructions in a guest: the platform has no VMX, so #UD. */
enum exit_action exit_vmx_insn(struct vcpu *v, struct exit_info *x)
{
	vmx_inject_exception(EXC_UD, false, 0);
	return EXIT_RESUME;
}

enum exit_action exit_triple_fault(struct vcpu *v, struct exit_info *x)
{
	log_printf("hv: guest %s: triple fault\n", v->guest->cfg->name);
	vmx_dump_guest(v);
	guest_stop(v->guest, "triple fault");
	return EXIT_STOPPED;
}

enum exit_action exit_init_signal(struct vcpu *v, struct exit_info *x)
{
	guest_stop(v->guest, "INIT signal");
	return EXIT_STOPPED;
}

/* Exceptions exit only if the exception bitmap asks; NMIs always do (NMI exiting). */
enum exit_action exit_exception(struct vcpu *v, struct exit_info *x)
{
	uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);

	if (((info >> 8) & 7) == 2) {           /* NMI: the hv's, not the guest's */
		log_printf("hv: NMI while guest %s ran\n", v->guest->cfg->name);
		return EXIT_RESUME;
	}
	log_printf("hv: guest %s: exception vector %u exit\n", v->guest->cfg->name, info & 0xff);
	vmx_dump_guest(v);
	guest_stop(v->guest, "unexpected exception exit, vector %u", info & 0xff);
	return EXIT_STOPPED;
}

/* External interrupt: acknowledged on exit; the hv's interrupt routing takes it. */
enum exit_action exit_external_interrupt(struct vcpu *v, struct exit_info *x)
{
	unsigned vector = vmcs_read32(VM_EXIT_INTR_INFO) & 0xff;
	struct guest *owner = irq_owner(vector - PIC_VECTOR_BASE);

	hv_irq(vector);
	/* Another guest's device spoke: let it run soon rather than at the slice's end. */
	return owner && owner != v->guest ? EXIT_YIELD : EXIT_RESUME;
}

static const char *ept_access(uint64_t q)
{
	return (q & 2) ? "write" : (q & 4) ? "instruction fetch" : "read";
}

enum exit_action exit_ept_violation(struct vcpu *v, struct exit_info *x)
{
	uint64_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);

	log_printf("hv: guest %s: EPT violation at GPA 0x%lx (%s) rip 0x%lx\n",
		   v->guest->cfg->name, gpa, ept_access(x->qual), vmcs_readnat(GUEST_RIP));
	vmx_dump_guest(v);
	guest_stop(v->guest, "EPT violation at GPA 0x%lx (%s)", gpa, ept_access(x->qual));
	return EXIT_STOPPED;
}

enum exit_action exit_ept_misconfig(struct vcpu *v, struct exit_info *x)
{
	uint64_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);

	log_printf("hv: guest %s: EPT misconfiguration at GPA 0x%lx (hv bug)\n",
		   v->guest->cfg->name, gpa);
	guest_stop(v->guest, "EPT misconfiguration at GPA 0x%lx", gpa);
	return EXIT_STOPPED;
}

/* Hypercalls: ABI in include/hypercall.h. */
static int64_t hc_console(struct guest *g, uint64_t gpa, uint64_t len)
{
	const char *s = guest_gpa_ptr(g, gpa, len);

	if (!s || len > 4096)
		return HC_EINVAL;
	for (uint64_t i = 0; i < len; i++)
		guest_con_putc(g, s[i]);
	return (int64_t)len;
}

static int64_t hc_exit_stats(struct guest *g, uint64_t gpa, uint64_t size)
{
	struct hc_exit_stats *out = guest_gpa_ptr(g, gpa, sizeof(*out));

	if (!out || size < sizeof(*out))
		return HC_EINVAL;
	out->nreasons = EXIT_REASON_MAX;
	out->reserved = 0;
	out->total_exits = g->stats.total;
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++) {
		out->count[r] = g->stats.count[r];
		out->tsc_sum[r] = g->stats.tsc_sum[r];
		out->tsc_max[r] = g->stats.tsc_max[r];
	}
	return sizeof(*out);
}

static int64_t hc_guest_info(struct guest *g, uint64_t gpa, uint64_t size)
{
	struct hc_guest_info *out = guest_gpa_ptr(g, gpa, sizeof(*out));

	if (!out || size < sizeof(*out))
		return HC_EINVAL;
	memset(out, 0, sizeof(*out));
	lib_strlcpy(out->name, g->cfg->name, sizeof(out->name));
	out->id = (uint32_t)g->id;
	out->nguests = (uint32_t)hv.nguests;
	out->ram_bytes = g->boot->ram_bytes;
	out->tsc_hz = hv.tsc_hz;
	return sizeof(*out);
}

enum exit_action exit_vmcall(struct vcpu *v, struct exit_info *x)
{
	struct guest_regs *r = &v->regs;
	struct guest *g = v->guest;
	enum exit_action act = EXIT_RESUME;
	int64_t ret;

	switch (r->rax) {
	case HC_VERSION:    ret = HC_ABI_VERSION; break;
	case HC_YIELD:      ret = 0; act = EXIT_YIELD; break;
	case HC_CONSOLE:    ret = hc_console(g, r->rbx, r->rcx); break;
	case HC_EXIT_STATS: ret = hc_exit_stats(g, r->rbx, r->rcx); break;
	case HC_GUEST_INFO: ret = hc_guest_info(g, r->rbx, r->rcx); break;
	default:            ret = HC_ENOSYS; break;
	}
	r->rax = (uint64_t)ret;
	exit_skip_insn();
	return act;
}
