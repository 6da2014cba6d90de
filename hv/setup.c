/*
 * Host CPU state the hv owns once boot services are gone: per CPU, a GDT with a
 * TSS (VM entry requires a non-zero host TR; OVMF leaves TR = 0), an IDT
 * whose exception handlers dump and panic, and identity-mapped page tables
 * (the firmware's live in memory the hv does not own).
 */
#include "hv.h"
#include "cpu.h"
#include "desc.h"
#include "log.h"
#include "mem.h"
#include "percpu.h"
#include "setup.h"
#include "smp.h"

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS  0x18

/* Register frame pushed by isr_common (hv/entry.asm), lowest address first. */
struct isr_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

/* Each CPU's own descriptor tables and the stack NMI, #DF and #MC run on. */
struct host_tables {
	uint64_t gdt[5];
	struct tss64 tss;
	struct idt_gate64 idt[256];
	uint8_t ist_stack[8192];
} __attribute__((aligned(16)));

static struct host_tables bsp_tables;   /* the BSP's: before the heap exists */
uint64_t setup_nmis;                    /* NMIs taken in root mode */

extern char isr_stubs[], irq_stubs[];
void cpu_load_gdt(const struct desc_ptr *gdtr, uint16_t cs, uint16_t ds);
void hv_exception(struct isr_frame *f);

uint64_t setup_tss_base(void)
{
	return this_pcpu()->tss_base;
}

/* Loads t's GDT and TSS on this CPU. */
static void setup_gdt(struct host_tables *t)
{
	uint64_t base = (uint64_t)(uintptr_t)&t->tss, limit = sizeof(t->tss) - 1;
	struct desc_ptr p = { sizeof(t->gdt) - 1, (uint64_t)(uintptr_t)t->gdt };
	struct pcpu *me = this_pcpu();

	t->gdt[0] = 0;
	t->gdt[1] = DESC_CODE64_DPL0;
	t->gdt[2] = DESC_DATA_DPL0;
	desc_tss64(&t->gdt[3], base, (uint32_t)limit);
	t->tss.iopb_offset = sizeof(t->tss);    /* no I/O bitmap */
	t->tss.ist[0] = (uint64_t)(uintptr_t)(t->ist_stack + sizeof(t->ist_stack));
	cpu_load_gdt(&p, SEL_CODE, SEL_DATA);
	/* Loading the null selector into GS may clear its base (Bochs does): set it again. */
	percpu_enter(me->id, me->apic_id);
	cpu_ltr(SEL_TSS);
	me->tables = t;
	me->tss_base = base;
}

/*
 * All 256 gates: exceptions 0-31 go to hv_exception (isr_stubs), vectors
 * 32-255 to hv_irq (irq_stubs), which routes the PIC's and counts the rest.
 */
static void setup_idt(struct host_tables *t)
{
	struct desc_ptr p = { sizeof(t->idt) - 1, (uint64_t)(uintptr_t)t->idt };

	for (int v = 0; v < 256; v++) {
		uint64_t h = (uint64_t)(uintptr_t)(v < 32 ? isr_stubs + 16 * v : irq_stubs + 16 * (v - 32));
		/* NMI, #DF and #MC run on their own stack. */
		t->idt[v] = idt_gate64(h, SEL_CODE, (v == 2 || v == 8 || v == 18) ? 1 : 0, 0);
	}
	cpu_lidt(&p);
}

static uint64_t *setup_pd, setup_top;      /* the identity map's 2 MiB entries, for setup_map_uncached */

/* Identity-maps [0, top) with 2 MiB pages, write-back (MTRRs still mark MMIO uncached). */
static void setup_paging(uint64_t top)
{
	uint64_t npd = ALIGN_UP(top, 1ull << 30) >> 30;
	uint64_t *pml4 = mem_alloc_pages(1);
	uint64_t *pdpt = mem_alloc_pages((unsigned)ALIGN_UP(npd, 512) / 512);
	uint64_t *pd = mem_alloc_pages((unsigned)npd);

	for (uint64_t i = 0; i < npd * 512; i++)
		pd[i] = (i << 21) | 0x83;               /* present, writable, 2 MiB */
	for (uint64_t i = 0; i < npd; i++)
		pdpt[i] = (uint64_t)(uintptr_t)(pd + 512 * i) | 0x03;
	for (uint64_t i = 0; i < ALIGN_UP(npd, 512) / 512; i++)
		pml4[i] = (uint64_t)(uintptr_t)(pdpt + 512 * i) | 0x03;
	cpu_write_cr3((uint64_t)(uintptr_t)pml4);
	setup_pd = pd;
	setup_top = npd << 30;
}

/*
 * The SDM ("Local APIC Register Address Map", and the 82093AA's page)
 * wants the APICs' registers strong uncacheable; the MTRRs of a PC
 * usually say so, but the hv's own tables must not depend on that.
 */
int setup_map_uncached(uint64_t pa)
{
	if (!setup_pd || pa >= setup_top)
		return -1;
	setup_pd[pa >> 21] |= 0x18;             /* PWT | PCD: PAT entry 3 */
	cpu_write_cr3(cpu_read_cr3());          /* not global: a CR3 load flushes it */
	return 0;
}

void setup_host_cpu(uint64_t max_phys)
{
	setup_gdt(&bsp_tables);
	setup_idt(&bsp_tables);
	setup_paging(MAX(max_phys, 4ull << 30));
}

void *setup_ap_tables(void)
{
	return mem_alloc_pages((sizeof(struct host_tables) + 4095) / 4096);
}

void setup_ap_cpu(void *tables)
{
	setup_gdt(tables);
	setup_idt(tables);
}

static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound", "#UD invalid opcode", "#NM device not available", "#DF double fault",
	"coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved",
	"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
	"#VE virtualization", "#CP control protection",
};

void hv_exception(struct isr_frame *f)
{
	const char *name = f->vector < 32 && exc_names[f->vector] ? exc_names[f->vector] : "reserved";

	if (f->vector == EXC_NMI) {
		if (smp_panicking())
			cpu_halt_forever();     /* another CPU panicked: stop here (hv/smp.c) */
		/* PCH SERR/IOCHK, a watchdog or a BMC: not the hv's to act on. Count and go on. */
		if (setup_nmis++ < 4)
			log_printf("hv: NMI in root mode at rip %lx (counted, ignored)\n", f->rip);
		return;
	}
	struct cpu_fixup *fix = &this_pcpu()->fixup;

	if (fix->rip && f->rip == fix->rip) {
		/* An armed instruction faulted on a value the guest chose: its wrapper reports it. */
		fix->vector = (uint32_t)f->vector + 1;
		f->rip = fix->resume;
		fix->rip = 0;
		return;
	}
	log_printf("hv: exception %lu (%s) error 0x%lx at rip %lx cr2 %lx\n",
		   f->vector, name, f->error, f->rip, cpu_read_cr2());
	log_printf("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	log_printf("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
	log_printf("  r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", f->r8, f->r9, f->r10, f->r11);
	log_printf("  r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", f->r12, f->r13, f->r14, f->r15);
	panic("hv_exception: %s in the hv", name);
}
