/*
 * The fake CPU and the fake VMCS behind hv/cpu.h and hv/vmcs.h for the
 * host tests (see hvhost.h). Values follow a Haswell-class CPU with the
 * VMX features Bochs and KVM's nested VMX offer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvhost.h"
#include "irq.h"
#include "pic.h"
#include "pirq.h"
#include "pirq_hw.h"
#include "plapic.h"
#include "vmx.h"

struct fake_cpu fake;
struct fake_run fake_run;

/* Symbols hv/entry.asm provides in the real image. */
char vmx_exit_stub[16], isr_stubs[32 * 16], irq_stubs[224 * 16];
void cpu_load_gdt(const struct desc_ptr *gdtr, uint16_t cs, uint16_t ds);
void cpu_load_gdt(const struct desc_ptr *gdtr, uint16_t cs, uint16_t ds) { }

/* ---- MSRs and CPUID -------------------------------------------------- */

static int fake_msr_index(uint32_t msr)
{
	for (unsigned i = 0; i < fake.nmsr; i++)
		if (fake.msr[i].msr == msr)
			return (int)i;
	return -1;
}

void fake_set_msr(uint32_t msr, uint64_t val)
{
	int i = fake_msr_index(msr);

	if (i < 0) {
		if (fake.nmsr == FAKE_MAX_MSRS)
			abort();
		i = (int)fake.nmsr++;
		fake.msr[i].msr = msr;
	}
	fake.msr[i].val = val;
}

uint64_t fake_get_msr(uint32_t msr)
{
	int i = fake_msr_index(msr);

	return i < 0 ? 0 : fake.msr[i].val;
}

void fake_set_cpuid(uint32_t leaf, uint32_t sub, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	unsigned i;

	for (i = 0; i < fake.ncpuid; i++)
		if (fake.cpuid[i].leaf == leaf && fake.cpuid[i].sub == sub)
			break;
	if (i == fake.ncpuid) {
		if (fake.ncpuid == FAKE_MAX_CPUID)
			abort();
		fake.ncpuid++;
	}
	fake.cpuid[i].leaf = leaf;
	fake.cpuid[i].sub = sub;
	fake.cpuid[i].r = (struct cpuid_regs){ eax, ebx, ecx, edx };
}

void cpu_cpuid(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ 0, 0, 0, 0 };
	for (unsigned i = 0; i < fake.ncpuid; i++)
		if (fake.cpuid[i].leaf == leaf && (fake.cpuid[i].sub == sub || fake.cpuid[i].sub == 0xffffffffu))
			*r = fake.cpuid[i].r;
	if (leaf == 0xd && sub == 0) {
		/* EBX: the size for the features XCR0 enables now. */
		r->ebx = fake.xcr0 & 4 ? 0x340 : 0x240;
	}
}

static uint32_t fake_lapic_read(unsigned off);
static void fake_lapic_write(unsigned off, uint32_t v, uint32_t dest);

/* The x2APIC MSRs, while IA32_APIC_BASE.EXTD is set: the fake local APIC. */
static bool fake_x2apic_msr(uint32_t msr)
{
	return msr >= 0x800 && msr <= 0x8ff && (fake_get_msr(MSR_IA32_APIC_BASE) & PLAPIC_BASE_EXTD);
}

uint64_t cpu_rdmsr(uint32_t msr)
{
	if (fake_x2apic_msr(msr))
		return fake_lapic_read((msr - 0x800) << 4);
	return fake_get_msr(msr);
}

void cpu_wrmsr(uint32_t msr, uint64_t v)
{
	if (fake_x2apic_msr(msr)) {
		fake_lapic_write((msr - 0x800) << 4, (uint32_t)v, (uint32_t)(v >> 32));
		return;
	}
	fake.wrmsr_count++;
	fake.ibpb_count += msr == MSR_IA32_PRED_CMD && (v & 1);
	fake.l1d_flush_count += msr == MSR_IA32_FLUSH_CMD && (v & 1);
	fake_set_msr(msr, v);
}

int cpu_wrmsr_safe(uint32_t msr, uint64_t v)
{
	int i = fake_msr_index(msr);

	if (i >= 0 && fake.msr[i].gp_on_write)
		return EXC_GP + 1;
	cpu_wrmsr(msr, v);
	return 0;
}

uint64_t cpu_rdtsc(void)
{
	fake.tsc += fake.tsc_step + fake.root_pending;
	fake.root_pending = 0;
	return fake.tsc;
}

/* ---- ports ----------------------------------------------------------- */

static unsigned pit_bytes;
static uint16_t pit_count;

void outb(uint16_t port, uint8_t v)
{
	switch (port) {
	case 0x21: fake.pic_imr[0] = v; break;
	case 0xa1: fake.pic_imr[1] = v; break;
	case 0x20:                               /* an EOI: what an interrupt's handling costs */
		fake.tsc += fake.eoi_cost;
		break;
	case 0x43: pit_bytes = 0; break;
	case 0x40:
		pit_count = pit_bytes++ ? (uint16_t)(pit_count | v << 8) : v;
		break;
	case 0xe9:
		if (fake.e9_len < sizeof(fake.e9) - 1)
			fake.e9[fake.e9_len++] = (char)v;
		break;
	case 0x64: case 0x92: case 0xcf9:
		fake.machine_reset_writes++;
		break;
	}
}

void outw(uint16_t port, uint16_t v) { outb(port, (uint8_t)v); outb((uint16_t)(port + 1), (uint8_t)(v >> 8)); }
void outl(uint16_t port, uint32_t v) { (void)port; (void)v; }

uint8_t inb(uint16_t port)
{
	switch (port) {
	case 0x21: return fake.pic_imr[0];
	case 0xa1: return fake.pic_imr[1];
	case 0x3fd:                        /* COM1 LSR: transmitter empty, unless busy */
		fake.lsr_reads++;
		return fake.uart_busy ? 0x00 : 0x60;
	case 0x4d0: return fake.elcr[0];
	case 0x4d1: return fake.elcr[1];
	case 0x20: case 0xa0: return 0xff; /* ISR reads: nothing spurious */
	}
	return 0xff;
}

uint16_t inw(uint16_t port) { return (uint16_t)(inb(port) | inb((uint16_t)(port + 1)) << 8); }
uint32_t inl(uint16_t port) { (void)port; return 0xffffffffu; }

void cpu_outsb(uint16_t port, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		outb(port, (uint8_t)s[i]);
}

bool fake_log_has(const char *s)
{
	fake.e9[fake.e9_len] = 0;
	return strstr(fake.e9, s) != NULL;
}

void fake_log_clear(void)
{
	fake.e9_len = 0;
}

/* ---- control, debug and extended registers --------------------------- */

uint64_t cpu_read_cr0(void) { return fake.cr0; }
uint64_t cpu_read_cr2(void) { return fake.cr2; }
uint64_t cpu_read_cr3(void) { return fake.cr3; }
uint64_t cpu_read_cr4(void) { return fake.cr4; }
void cpu_write_cr0(uint64_t v) { fake.cr0 = v; }
void cpu_write_cr2(uint64_t v) { fake.cr2 = v; }
void cpu_write_cr3(uint64_t v) { fake.cr3 = v; }
void cpu_write_cr4(uint64_t v) { fake.cr4 = v; }
uint64_t cpu_read_dr(unsigned n) { return fake.dr[n & 7]; }
void cpu_write_dr(unsigned n, uint64_t v) { fake.dr[n & 7] = v; }
uint64_t cpu_read_rflags(void) { return 0x2; }
void cpu_sgdt(struct desc_ptr *p) { p->limit = 0x27; p->base = 0x100000; }
void cpu_sidt(struct desc_ptr *p) { p->limit = 0xfff; p->base = 0x200000; }
void cpu_lidt(const struct desc_ptr *p) { fake.idtr = *p; }
void cpu_ltr(uint16_t sel) { (void)sel; }
void cpu_cli(void) { }
void cpu_sti(void) { }
void cpu_hlt(void) { }
void cpu_pause(void) { }

/* ---- the fake local APIC and IOAPICs ---------------------------------- */

void fake_enable_lapic(bool x2apic, uint32_t id)
{
	fake_set_msr(MSR_IA32_APIC_BASE, PLAPIC_ARCH_BASE | PLAPIC_BASE_EN | PLAPIC_BASE_BSP |
		     (x2apic ? PLAPIC_BASE_EXTD : 0));
	fake.lapic.reg[PLAPIC_ID >> 4] = x2apic ? id : id << 24;
	fake.lapic.reg[PLAPIC_VERSION >> 4] = 0x00050014;
}

void fake_add_ioapic(unsigned i, uint32_t addr)
{
	fake.ioapic[i].present = true;
	fake.ioapic[i].addr = addr;
	vioapic_init(&fake.ioapic[i].io, (uint8_t)i);
}

static uint32_t fake_lapic_read(unsigned off)
{
	struct fake_lapic *l = &fake.lapic;
	uint64_t per = l->tsc_per_tick ? l->tsc_per_tick : 1, ticks;

	if (off == PLAPIC_TMCCT) {
		ticks = (fake.tsc - l->tmict_tsc) / per;
		return ticks >= l->reg[PLAPIC_TMICT >> 4] ? 0 : l->reg[PLAPIC_TMICT >> 4] - (uint32_t)ticks;
	}
	return off < 0x400 ? l->reg[off >> 4] : 0;
}

static void fake_lapic_write(unsigned off, uint32_t v, uint32_t dest)
{
	struct fake_lapic *l = &fake.lapic;

	switch (off) {
	case PLAPIC_EOI:
		l->eois++;
		for (unsigned i = 0; l->in_service >= 0 && i < FAKE_IOAPICS; i++)
			if (fake.ioapic[i].present)
				vioapic_eoi(&fake.ioapic[i].io, (uint8_t)l->in_service);
		l->in_service = -1;
		return;
	case PLAPIC_TMICT:
		l->tmict_tsc = fake.tsc;
		break;
	case PLAPIC_ICR_LO:
		if (!(fake_get_msr(MSR_IA32_APIC_BASE) & PLAPIC_BASE_EXTD))
			dest = l->reg[PLAPIC_ICR_HI >> 4] >> 24;
		if (l->nicr < FAKE_MAX_ICR)
			l->icr[l->nicr++] = (uint64_t)dest << 32 | v;
		break;
	}
	if (off < 0x400)
		l->reg[off >> 4] = v;
}

uint32_t mmio_read32(uint64_t pa)
{
	uint64_t base = fake_get_msr(MSR_IA32_APIC_BASE);

	if ((base & PLAPIC_BASE_EN) && !(base & PLAPIC_BASE_EXTD) && pa - (base & ~0xfffull) < 0x1000)
		return fake_lapic_read((unsigned)(pa & 0xfff));
	for (unsigned i = 0; i < FAKE_IOAPICS; i++)
		if (fake.ioapic[i].present && pa - fake.ioapic[i].addr < 0x1000)
			return vioapic_mmio_read(&fake.ioapic[i].io, (uint32_t)(pa & 0xfff), 4);
	fake.mmio_stray++;
	return 0xffffffffu;
}

void mmio_write32(uint64_t pa, uint32_t v)
{
	uint64_t base = fake_get_msr(MSR_IA32_APIC_BASE);

	if ((base & PLAPIC_BASE_EN) && !(base & PLAPIC_BASE_EXTD) && pa - (base & ~0xfffull) < 0x1000) {
		fake_lapic_write((unsigned)(pa & 0xfff), v, 0);
		return;
	}
	for (unsigned i = 0; i < FAKE_IOAPICS; i++)
		if (fake.ioapic[i].present && pa - fake.ioapic[i].addr < 0x1000) {
			vioapic_mmio_write(&fake.ioapic[i].io, (uint32_t)(pa & 0xfff), 4, v);
			return;
		}
	fake.mmio_stray++;
}

void fake_deliver(unsigned vector)
{
	if (vector != PIRQ_VECTOR_SPURIOUS)
		fake.lapic.in_service = (int)vector;
	hv_irq_idle(vector);                     /* as the IDT delivers it (hv/entry.asm) */
}

/* Returns true and the TSC it fires at if the fake LAPIC's timer is armed and unmasked. */
static bool fake_lapic_timer(uint64_t *when)
{
	struct fake_lapic *l = &fake.lapic;
	uint32_t lvt = l->reg[PLAPIC_LVT_TIMER >> 4];
	uint64_t per = l->tsc_per_tick ? l->tsc_per_tick : 1;

	if (!(fake_get_msr(MSR_IA32_APIC_BASE) & PLAPIC_BASE_EN) || (lvt & PLAPIC_LVT_MASKED))
		return false;
	if ((lvt & (3u << 17)) == PLAPIC_TIMER_DEADLINE) {
		*when = fake_get_msr(MSR_IA32_TSC_DEADLINE);
		return *when != 0;
	}
	*when = l->tmict_tsc + l->reg[PLAPIC_TMICT >> 4] * per;
	return l->reg[PLAPIC_TMICT >> 4] != 0;
}

/*
 * The hv idles until its wake-up timer fires: time jumps to then, and the
 * timer's vector arrives (the LAPIC timer's if armed, else the PIT's IRQ 0).
 */
void cpu_idle_until_interrupt(void)
{
	uint64_t ticks = pit_count ? pit_count : 0x10000, when;

	if (fake.idle_vector) {                  /* a device line arrives first */
		unsigned vector = fake.idle_vector;

		fake.idle_vector = 0;
		fake.tsc += fake.idle_wait;
		fake_deliver(vector);
		return;
	}
	if (fake_lapic_timer(&when)) {
		fake.tsc = MAX(fake.tsc, when) + 1;
		fake_set_msr(MSR_IA32_TSC_DEADLINE, 0);
		fake.lapic.reg[PLAPIC_TMICT >> 4] = 0;
		fake_deliver(PIRQ_VECTOR_TIMER);
		return;
	}
	fake.tsc += ticks * hv.tsc_hz / PIT_HZ + 1;
	hv_irq_idle(PIC_VECTOR_BASE);
}

void cpu_xsetbv(uint32_t xcr, uint64_t v)
{
	fake.xsetbv_count++;
	if (xcr == 0)
		fake.xcr0 = v;
}

int cpu_xsetbv_safe(uint32_t xcr, uint64_t v)
{
	if (fake.xsetbv_faults) {
		fake.xsetbv_faults = false;
		return EXC_GP + 1;
	}
	cpu_xsetbv(xcr, v);
	return 0;
}

static uint8_t fake_fpu[4096];

void cpu_xsave(void *area, uint64_t mask) { (void)mask; memcpy(area, fake_fpu, 576); }
int cpu_xrstor_safe(const void *area, uint64_t mask) { (void)mask; memcpy(fake_fpu, area, 576); return 0; }
void cpu_fxsave(void *area) { memcpy(area, fake_fpu, 512); }
void cpu_fxrstor(const void *area) { memcpy(fake_fpu, area, 512); }
void cpu_verw(void) { fake.verw_count++; }

void cpu_park(void)
{
	fake.parked++;
	if (fake.halt_jmp)
		longjmp(*fake.halt_jmp, 1);
	fake.e9[fake.e9_len] = 0;
	fprintf(stderr, "hv parked a CPU outside a test's expectation; its log:\n%s\n", fake.e9);
	abort();
}

void cpu_halt_forever(void)
{
	fake.halted_forever = true;
	if (fake.halt_jmp)
		longjmp(*fake.halt_jmp, 1);
	fake.e9[fake.e9_len] = 0;
	fprintf(stderr, "hv halted outside a test's expectation; its log:\n%s\n", fake.e9);
	abort();
}

/* ---- the fake VMCS --------------------------------------------------- */

#define FAKE_FIELDS 0x7000u
#define FAKE_MAX_VMCS 16

struct fvmcs {
	void *region;
	bool launched;
	int active_on;               /* CPU + 1 it is active on since its VMPTRLD, 0: none (cleared) */
	uint64_t f[FAKE_FIELDS];
};

static struct fvmcs *vmcs_pool[FAKE_MAX_VMCS];
/* Each fake CPU's current VMCS and VMX operation (hv/percpu.h: percpu_host_cpu is the CPU). */
extern unsigned percpu_host_cpu;
static struct fvmcs *cur_of[64];
static bool vmxon_done_of[64];
#define cur (cur_of[percpu_host_cpu])
#define vmxon_done (vmxon_done_of[percpu_host_cpu])

static struct fvmcs *fake_vmcs_of(uint64_t pa, bool create)
{
	for (unsigned i = 0; i < FAKE_MAX_VMCS; i++)
		if (vmcs_pool[i] && vmcs_pool[i]->region == (void *)(uintptr_t)pa)
			return vmcs_pool[i];
	if (!create)
		return NULL;
	for (unsigned i = 0; i < FAKE_MAX_VMCS; i++)
		if (!vmcs_pool[i]) {
			vmcs_pool[i] = calloc(1, sizeof(struct fvmcs));
			vmcs_pool[i]->region = (void *)(uintptr_t)pa;
			return vmcs_pool[i];
		}
	abort();
}

/* Returns true for the read-only exit-information fields (SDM "VM-Exit Information Fields"). */
static bool fake_read_only(uint32_t field)
{
	return ((field >> 10) & 3) == 1;
}

int vmcs_write_try(uint32_t field, uint64_t v)
{
	if (!cur || field >= FAKE_FIELDS || !vmcs_field_name(field) || fake_read_only(field) ||
	    (fake.refuse_field && field == fake.refuse_field))
		return -1;
	switch (VMCS_WIDTH(field)) {
	case VMCS_W16: v &= 0xffff; break;
	case VMCS_W32: v &= 0xffffffffu; break;
	}
	cur->f[field] = v;
	return 0;
}

int vmcs_read_try(uint32_t field, uint64_t *v)
{
	if (!cur || field >= FAKE_FIELDS || !vmcs_field_name(field) || (fake.refuse_field && field == fake.refuse_field))
		return -1;
	*v = cur->f[field];
	return 0;
}

uint64_t fake_vmcs_get(uint32_t field)
{
	return cur && field < FAKE_FIELDS ? cur->f[field] : 0;
}

void fake_vmcs_set(uint32_t field, uint64_t v)
{
	if (cur && field < FAKE_FIELDS)
		cur->f[field] = v;
}

int vmx_vmxon(uint64_t pa)
{
	if (vmxon_done || !(fake.cr4 & CR4_VMXE))
		return -1;
	vmxon_done = true;
	return 0;
}

int vmx_vmclear(uint64_t pa)
{
	struct fvmcs *v = fake_vmcs_of(pa, true);

	v->launched = false;
	v->active_on = 0;
	for (unsigned c = 0; c < 64; c++)
		if (cur_of[c] == v)
			cur_of[c] = NULL;
	return 0;
}

int vmx_vmptrld(uint64_t pa)
{
	struct fvmcs *v = fake_vmcs_of(pa, false);

	/* SDM "VMPTRLD": the region must carry the VMCS revision identifier. */
	if (!v || *(uint32_t *)v->region != (uint32_t)(fake_get_msr(MSR_IA32_VMX_BASIC) & 0x7fffffff))
		return -1;
	/*
	 * SDM "VMCLEAR": a VMCS active on one logical processor must be
	 * cleared there before another makes it current; the CPU does not
	 * check (the result is undefined): this stricter CPU refuses it.
	 */
	if (v->active_on && v->active_on != (int)percpu_host_cpu + 1)
		return -1;
	v->active_on = (int)percpu_host_cpu + 1;
	cur = v;
	return 0;
}

int vmx_invvpid(unsigned type, uint16_t vpid, uint64_t gla)
{
	(void)gla;
	if (type == INVVPID_SINGLE_CONTEXT && vpid == 0)
		return -1;
	fake.invvpid_count++;
	fake.last_invvpid_type = type;
	return 0;
}

static struct vmx_caps fake_caps;
static struct vmcheck_cpu fake_cpu_id = { &fake_caps, 52, 48 };

const struct vmcheck_cpu *fake_vmcheck_cpu(void)
{
	uint32_t basic = (uint32_t)(fake_get_msr(MSR_IA32_VMX_BASIC) >> 32);
	bool true_ctls = fake_get_msr(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS;

	(void)basic;
	fake_caps.basic = fake_get_msr(MSR_IA32_VMX_BASIC);
	fake_caps.pin = fake_get_msr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	fake_caps.proc = fake_get_msr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	fake_caps.exit = fake_get_msr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	fake_caps.entry = fake_get_msr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	fake_caps.proc2 = fake_get_msr(MSR_IA32_VMX_PROCBASED_CTLS2);
	fake_caps.misc = fake_get_msr(MSR_IA32_VMX_MISC);
	fake_caps.ept_vpid = fake_get_msr(MSR_IA32_VMX_EPT_VPID_CAP);
	fake_caps.cr0_fixed0 = fake_get_msr(MSR_IA32_VMX_CR0_FIXED0);
	fake_caps.cr0_fixed1 = fake_get_msr(MSR_IA32_VMX_CR0_FIXED1);
	fake_caps.cr4_fixed0 = fake_get_msr(MSR_IA32_VMX_CR4_FIXED0);
	fake_caps.cr4_fixed1 = fake_get_msr(MSR_IA32_VMX_CR4_FIXED1);
	return &fake_cpu_id;
}

static uint64_t fake_check_read(void *ctx, uint32_t field)
{
	(void)ctx;
	return fake_vmcs_get(field);
}

const char *fake_vmcheck(void)
{
	struct vmcheck_result r = vmcheck(fake_vmcheck_cpu(), fake_check_read, NULL);

	return r.kind == VMCHECK_OK ? NULL : r.rule;
}

/* Writes an exit into the current VMCS and v, as the CPU's VM exit would. */
static void fake_write_exit(struct vcpu *v, const struct fake_exit *e)
{
	cur->f[VM_EXIT_REASON] = e->reason;
	cur->f[EXIT_QUALIFICATION] = e->qual;
	cur->f[VM_EXIT_INSTRUCTION_LEN] = e->insn_len;
	cur->f[VM_EXIT_INTR_INFO] = e->intr_info;
	cur->f[IDT_VECTORING_INFO] = e->idt_vectoring;
	cur->f[GUEST_PHYSICAL_ADDRESS] = e->gpa;
	/* SDM "VM-Entry Controls for Event Injection": VM exits clear the valid bit. */
	cur->f[VM_ENTRY_INTR_INFO] &= ~(1ull << 31);
	fake.tsc += e->tsc_advance;
	v->exit_tsc = cpu_rdtsc();
	fake.root_pending = e->root_advance;
}

/* Returns the next exit for v: the script's, or the generator's; longjmps when there is none. */
static struct fake_exit fake_next_exit(struct vcpu *v)
{
	if (fake_run.next < fake_run.nscript)
		return fake_run.script[fake_run.next++];
	if (fake_run.generator)
		return fake_run.generator(v, fake_run.generator_arg);
	if (fake_run.done_jmp)
		longjmp(*fake_run.done_jmp, 1);
	abort();
}

int vmx_run(struct vcpu *v)
{
	struct fake_entry *fe = &fake_run.entries[fake_run.nentries % FAKE_MAX_ENTRIES];
	struct vmcheck_result r;
	struct fake_exit e;

	fake_run.nentries++;
	memset(fe, 0, sizeof(*fe));
	v->resume_tsc = cpu_rdtsc();
	fe->guest = v->guest->id;
	fe->launch = !v->launched;
	if (!cur)
		return fe->rc = 1;
	/* SDM "Basic VM-Entry Checks": launch state. */
	if (fe->launch && cur->launched) {
		cur->f[VM_INSTRUCTION_ERROR] = fe->insn_error = 4;
		return fe->rc = 2;
	}
	if (!fe->launch && !cur->launched) {
		cur->f[VM_INSTRUCTION_ERROR] = fe->insn_error = 5;
		return fe->rc = 2;
	}
	r = vmcheck(fake_vmcheck_cpu(), fake_check_read, NULL);
	fe->rule = r.rule;
	if (r.kind == VMCHECK_CONTROLS || r.kind == VMCHECK_HOST) {
		cur->f[VM_INSTRUCTION_ERROR] = fe->insn_error = r.kind == VMCHECK_CONTROLS ? 7 : 8;
		return fe->rc = 2;
	}
	fe->injected = (uint32_t)cur->f[VM_ENTRY_INTR_INFO];
	fe->injected_error = (uint32_t)cur->f[VM_ENTRY_EXCEPTION_ERROR_CODE];
	fe->rip = cur->f[GUEST_RIP];
	fe->rflags = cur->f[GUEST_RFLAGS];
	fe->preemption_timer = cur->f[VMX_PREEMPTION_TIMER_VALUE];
	if (r.kind == VMCHECK_GUEST) {
		/* SDM "VM-Entry Failures During or After Loading Guest State": exit 33, bit 31. */
		fe->guest_state_failed = true;
		e = (struct fake_exit){ .reason = 0x80000000u | EXIT_REASON_INVALID_GUEST_STATE };
		fake_write_exit(v, &e);
		return 0;
	}
	if (fe->launch)
		cur->launched = true;
	e = fake_next_exit(v);
	if (e.before)
		e.before(v, e.arg);
	fake_write_exit(v, &e);
	return 0;
}

/* ---- reset ------------------------------------------------------------ */

void fake_reset(void)
{
	for (unsigned i = 0; i < FAKE_MAX_VMCS; i++) {
		free(vmcs_pool[i]);
		vmcs_pool[i] = NULL;
	}
	memset(cur_of, 0, sizeof(cur_of));
	memset(vmxon_done_of, 0, sizeof(vmxon_done_of));
	memset(&fake, 0, sizeof(fake));
	memset(&fake_run, 0, sizeof(fake_run));
	memset(fake_fpu, 0, sizeof(fake_fpu));
	pit_bytes = 0, pit_count = 0;
	fake.tsc_step = 1;
	fake.lapic.in_service = -1;
	fake.lapic.tsc_per_tick = 4;     /* a 50 MHz timer clock beside the 200 MHz TSC */
	fake.cr0 = 0x80000033;          /* PG, NE, ET, MP, PE */
	fake.cr4 = 0x6a0;               /* PAE, PGE, OSFXSR, OSXMMEXCPT */
	fake.dr[6] = 0xffff0ff0;
	fake.dr[7] = 0x400;
	fake.xcr0 = 1;

	/* A Haswell-class host (family 6 model 0x3c) with XSAVE (x87, SSE, AVX). */
	fake_set_cpuid(0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69);     /* GenuineIntel */
	fake_set_cpuid(1, 0, 0x000306c3, 0x00100800, 0x7ffafbff, 0xbfebfbff);
	fake_set_cpuid(7, 0, 0, 0x000027ab, 0, 0);
	fake_set_cpuid(0xd, 0, 0x7, 0x240, 0x340, 0);
	fake_set_cpuid(0xd, 1, 0x1, 0, 0, 0);
	fake_set_cpuid(0xd, 2, 0x100, 0x240, 0, 0);
	fake_set_cpuid(0x80000000u, 0, 0x80000008u, 0, 0, 0);
	fake_set_cpuid(0x80000001u, 0, 0, 0, 0x21, 0x2c100800);
	fake_set_cpuid(0x80000008u, 0, 0x3034, 0, 0, 0);                    /* 52-bit physical */

	/* VMX capability MSRs (SDM appendix "VMX Capability Reporting Facility"). */
	fake_set_msr(MSR_IA32_FEATURE_CONTROL, 0);
	fake_set_msr(MSR_IA32_VMX_BASIC, (1ull << 55) | (1ull << 54) | (6ull << 50) | (4096ull << 32) | 1);
	fake_set_msr(MSR_IA32_VMX_PINBASED_CTLS, (0x7full << 32) | 0x16);
	fake_set_msr(MSR_IA32_VMX_TRUE_PINBASED_CTLS, (0x7full << 32) | 0x16);
	fake_set_msr(MSR_IA32_VMX_PROCBASED_CTLS, (0xfff9fffeull << 32) | 0x0401e172);
	fake_set_msr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, (0xfff9fffeull << 32) | 0x04006172);
	fake_set_msr(MSR_IA32_VMX_PROCBASED_CTLS2, (0x001033ffull << 32));
	fake_set_msr(MSR_IA32_VMX_EXIT_CTLS, (0x007fffffull << 32) | 0x00036dff);
	fake_set_msr(MSR_IA32_VMX_TRUE_EXIT_CTLS, (0x007fffffull << 32) | 0x00036dfb);
	fake_set_msr(MSR_IA32_VMX_ENTRY_CTLS, (0x0000ffffull << 32) | 0x000011ff);
	fake_set_msr(MSR_IA32_VMX_TRUE_ENTRY_CTLS, (0x0000ffffull << 32) | 0x000011fb);
	fake_set_msr(MSR_IA32_VMX_MISC, 0x000400e5);     /* preemption timer TSC/32, HLT, 4 CR3 targets */
	fake_set_msr(MSR_IA32_VMX_CR0_FIXED0, 0x80000021);
	fake_set_msr(MSR_IA32_VMX_CR0_FIXED1, 0xffffffff);
	fake_set_msr(MSR_IA32_VMX_CR4_FIXED0, 0x2000);
	fake_set_msr(MSR_IA32_VMX_CR4_FIXED1, 0x3767ff);
	fake_set_msr(MSR_IA32_VMX_EPT_VPID_CAP, EPT_CAP_WALK_4 | EPT_CAP_WB | EPT_CAP_2M | (1ull << 8) |
		     EPT_CAP_INVEPT | EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL | VPID_CAP_INVVPID |
		     VPID_CAP_INVVPID_ADDR | VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL);
	fake_set_msr(MSR_IA32_EFER, EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE);
	fake_set_msr(MSR_IA32_PAT, 0x0007040600070406ull);
}

/* hv/trampoline.asm's symbols: the host never starts an AP (boot_info.ap_trampoline is 0). */
char ap_tramp_start[64], ap_tramp_params[64], ap_tramp_end[1], tramp_gdt[1], tramp_pm32[1], tramp_lm64[1];
