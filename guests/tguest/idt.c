/*
 * tguest's CPU tables and interrupt hardware: a flat GDT (with a 64-bit
 * code segment for the long-mode test), a 32-bit IDT for vectors 0..47
 * whose stubs (top-level asm below) call isr_dispatch, the "expected fault"
 * mechanism behind safe_rdmsr/safe_wrmsr/safe_write_cr4, the 8259 pair and
 * PIT channel 0.
 */
#include "tguest.h"
#include "pic8259.h"

/* ---- GDT ---- */

static const uint64_t gdt[4] __attribute__((aligned(8))) = {
	0,
	0x00cf9a000000ffffull,      /* 0x08: code, 32-bit, flat */
	0x00cf92000000ffffull,      /* 0x10: data, flat */
	0x00af9a000000ffffull,      /* 0x18: code, 64-bit (L=1, D=0) */
};

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint32_t base;
};

/* The Multiboot loader's GDT may be gone or odd: load ours, reload every segment. */
void gdt_init(void)
{
	static struct dtr gdtr;

	gdtr.limit = sizeof(gdt) - 1;
	gdtr.base = (uint32_t)gdt;
	__asm__ volatile("lgdt %0\n\t"
			 "ljmp %1, $1f\n"
			 "1:\n\t"
			 "mov %2, %%eax\n\t"
			 "mov %%eax, %%ds\n\t"
			 "mov %%eax, %%es\n\t"
			 "mov %%eax, %%fs\n\t"
			 "mov %%eax, %%gs\n\t"
			 "mov %%eax, %%ss\n\t"
			 :: "m"(gdtr), "i"(SEL_CODE32), "i"(SEL_DATA) : "eax", "memory");
}

/* ---- IDT and the ISR stubs ---- */

/*
 * Each stub pushes a 0 error code when the CPU pushes none, then its
 * vector, and jumps to isr_common, which saves the registers and calls
 * isr_dispatch(struct regs *). A handler may change regs->eip (to skip a
 * faulting instruction) before iret.
 */
__asm__(
	".pushsection .text\n"
	".macro TG_ISR_NOERR n\n"
	"tg_isr_\\n: pushl $0\n"
	"	pushl $\\n\n"
	"	jmp tg_isr_common\n"
	".endm\n"
	".macro TG_ISR_ERR n\n"
	"tg_isr_\\n: pushl $\\n\n"
	"	jmp tg_isr_common\n"
	".endm\n"
	"TG_ISR_NOERR 0\n TG_ISR_NOERR 1\n TG_ISR_NOERR 2\n TG_ISR_NOERR 3\n"
	"TG_ISR_NOERR 4\n TG_ISR_NOERR 5\n TG_ISR_NOERR 6\n TG_ISR_NOERR 7\n"
	"TG_ISR_ERR 8\n TG_ISR_NOERR 9\n TG_ISR_ERR 10\n TG_ISR_ERR 11\n"
	"TG_ISR_ERR 12\n TG_ISR_ERR 13\n TG_ISR_ERR 14\n TG_ISR_NOERR 15\n"
	"TG_ISR_NOERR 16\n TG_ISR_ERR 17\n TG_ISR_NOERR 18\n TG_ISR_NOERR 19\n"
	"TG_ISR_NOERR 20\n TG_ISR_ERR 21\n TG_ISR_NOERR 22\n TG_ISR_NOERR 23\n"
	"TG_ISR_NOERR 24\n TG_ISR_NOERR 25\n TG_ISR_NOERR 26\n TG_ISR_NOERR 27\n"
	"TG_ISR_NOERR 28\n TG_ISR_ERR 29\n TG_ISR_ERR 30\n TG_ISR_NOERR 31\n"
	"TG_ISR_NOERR 32\n TG_ISR_NOERR 33\n TG_ISR_NOERR 34\n TG_ISR_NOERR 35\n"
	"TG_ISR_NOERR 36\n TG_ISR_NOERR 37\n TG_ISR_NOERR 38\n TG_ISR_NOERR 39\n"
	"TG_ISR_NOERR 40\n TG_ISR_NOERR 41\n TG_ISR_NOERR 42\n TG_ISR_NOERR 43\n"
	"TG_ISR_NOERR 44\n TG_ISR_NOERR 45\n TG_ISR_NOERR 46\n TG_ISR_NOERR 47\n"
	"tg_isr_common:\n"
	"	pushal\n"
	"	cld\n"
	"	movl %esp, %eax\n"
	"	pushl %eax\n"
	"	call isr_dispatch\n"
	"	addl $4, %esp\n"
	"	popal\n"
	"	addl $8, %esp\n"
	"	iretl\n"
	".popsection\n"
	".pushsection .rodata\n"
	".balign 4\n"
	".globl tg_isr_table\n"
	"tg_isr_table:\n"
	".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
	"24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47\n"
	"	.long tg_isr_\\n\n"
	".endr\n"
	".popsection\n");

extern const uint32_t tg_isr_table[NVECTORS];
void isr_dispatch(struct regs *r);

static uint64_t idt[NVECTORS] __attribute__((aligned(8)));
static isr_fn handlers[NVECTORS];

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "exc15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "exc22", "exc23",
	"exc24", "exc25", "exc26", "exc27", "exc28", "exc29", "#SX", "exc31",
};

const char *exc_name(unsigned vec)
{
	return vec < 32 ? exc_names[vec] : "irq";
}

void idt_init(void)
{
	static struct dtr idtr;
	unsigned v;

	for (v = 0; v < NVECTORS; v++) {
		uint32_t off = tg_isr_table[v];

		/* 32-bit interrupt gate, DPL 0, present. */
		idt[v] = (off & 0xffffu) | ((uint64_t)SEL_CODE32 << 16) |
			 ((uint64_t)0x8e00 << 32) | ((uint64_t)(off >> 16) << 48);
	}
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uint32_t)idt;
	__asm__ volatile("lidt %0" :: "m"(idtr) : "memory");
}

void idt_set_handler(unsigned vec, isr_fn fn)
{
	if (vec < NVECTORS)
		handlers[vec] = fn;
}

/* ---- 256 vectors, for the APIC tests: vectors 48-255 go to one handler ---- */

static uint64_t idt256[256] __attribute__((aligned(8)));
static isr_fn high_handler;
extern const uint8_t tg_high_stubs[];
void tg_high_dispatch(struct regs *r);

/* Each stub is 12 bytes: push $0 (2), push imm32 vector (5), jmp rel32 (5). */
__asm__(".pushsection .text\n"
	".globl tg_high_stubs\n"
	"tg_high_stubs:\n"
	".set hvec, 48\n"
	".rept 208\n"
	"	.byte 0x6a, 0x00\n"
	"	.byte 0x68\n"
	"	.long hvec\n"
	"	.byte 0xe9\n"
	"	.long tg_high_common - . - 4\n"
	"	.set hvec, hvec + 1\n"
	".endr\n"
	"tg_high_common:\n"
	"	pushal\n"
	"	cld\n"
	"	movl %esp, %eax\n"
	"	pushl %eax\n"
	"	call tg_high_dispatch\n"
	"	addl $4, %esp\n"
	"	popal\n"
	"	addl $8, %esp\n"
	"	iretl\n"
	".popsection\n");

void tg_high_dispatch(struct regs *r)
{
	high_handler(r);
}

void idt_load_256(isr_fn high)
{
	struct dtr idtr;

	high_handler = high;
	for (unsigned v = 0; v < NVECTORS; v++)
		idt256[v] = idt[v];
	for (unsigned v = NVECTORS; v < 256; v++) {
		uint32_t off = (uint32_t)tg_high_stubs + 12 * (v - NVECTORS);
		idt256[v] = (off & 0xffffu) | ((uint64_t)SEL_CODE32 << 16) |
			    ((uint64_t)0x8e00 << 32) | ((uint64_t)(off >> 16) << 48);
	}
	idtr.limit = sizeof(idt256) - 1;
	idtr.base = (uint32_t)idt256;
	__asm__ volatile("lidt %0" :: "m"(idtr) : "memory");
}

/* ---- expected faults ---- */

static volatile int expect_armed;        /* an instruction below may #GP */
static volatile int expect_hit;

/* The instructions safe_* emit, byte for byte: the #GP handler skips exactly these. */
static const uint8_t op_rdmsr[] = { 0x0f, 0x32 };
static const uint8_t op_wrmsr[] = { 0x0f, 0x30 };
static const uint8_t op_mov_cr4_eax[] = { 0x0f, 0x22, 0xe0 };

static int bytes_at(uint32_t eip, const uint8_t *op, unsigned len)
{
	const uint8_t *p = (const uint8_t *)eip;
	unsigned i;

	for (i = 0; i < len; i++)
		if (p[i] != op[i])
			return 0;
	return 1;
}

static int expected_gp(struct regs *r)
{
	unsigned len = 0;

	if (!expect_armed)
		return 0;
	if (bytes_at(r->eip, op_rdmsr, sizeof(op_rdmsr)))
		len = sizeof(op_rdmsr);
	else if (bytes_at(r->eip, op_wrmsr, sizeof(op_wrmsr)))
		len = sizeof(op_wrmsr);
	else if (bytes_at(r->eip, op_mov_cr4_eax, sizeof(op_mov_cr4_eax)))
		len = sizeof(op_mov_cr4_eax);
	if (!len)
		return 0;
	r->eip += len;
	expect_hit = 1;
	expect_armed = 0;
	return 1;
}

int safe_rdmsr(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;

	expect_hit = 0;
	expect_armed = 1;
	__asm__ volatile(".byte 0x0f, 0x32" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	expect_armed = 0;
	if (expect_hit)
		return -1;
	*val = ((uint64_t)hi << 32) | lo;
	return 0;
}

int safe_wrmsr(uint32_t msr, uint64_t val)
{
	expect_hit = 0;
	expect_armed = 1;
	__asm__ volatile(".byte 0x0f, 0x30" :: "a"((uint32_t)val), "d"((uint32_t)(val >> 32)), "c"(msr)
			 : "memory");
	expect_armed = 0;
	return expect_hit ? -1 : 0;
}

int safe_write_cr4(uint32_t val)
{
	expect_hit = 0;
	expect_armed = 1;
	__asm__ volatile(".byte 0x0f, 0x22, 0xe0" :: "a"(val) : "memory");   /* mov %eax, %cr4 */
	expect_armed = 0;
	return expect_hit ? -1 : 0;
}

/* ---- dispatch ---- */

static unsigned spurious;

void isr_dispatch(struct regs *r)
{
	unsigned vec = r->vec;

	if (vec == 13 && expected_gp(r))
		return;
	if (vec < NVECTORS && handlers[vec]) {
		handlers[vec](r);
		return;
	}
	if (vec >= IRQ_BASE && vec < IRQ_BASE + 16) {
		unsigned irq = vec - IRQ_BASE;

		/* IRQ 7 / 15 with its ISR bit clear is the 8259's spurious interrupt: no EOI. */
		if ((irq == 7 && !(pic_read_isr(0) & 0x80)) ||
		    (irq == 15 && !(pic_read_isr(1) & 0x80))) {
			if (irq == 15)
				pic_eoi(2);
			if (spurious++ < 4)
				tg_printf("tguest: spurious IRQ %u\n", irq);
			return;
		}
		tg_printf("tguest: unexpected IRQ %u (vector 0x%x)\n", irq, vec);
		pic_eoi(irq);
		return;
	}
	tg_fail_exit(2, "tguest: FAIL unexpected exception %u (%s) error 0x%x at eip 0x%08x "
		     "eax 0x%x ecx 0x%x edx 0x%x eflags 0x%x\n",
		     vec, exc_name(vec), r->err, r->eip, r->eax, r->ecx, r->edx, r->eflags);
}

/* ---- 8259 PIC pair (the sequences: lib/pic8259.c) ---- */

#define PIC1_CMD  PIC8259_CMD1
#define PIC1_DATA PIC8259_DATA1
#define PIC2_CMD  PIC8259_CMD2
#define PIC2_DATA PIC8259_DATA2

void pic_init(void)
{
	pic8259_init(IRQ_BASE, 0xffff);
}

void pic_set_mask(uint16_t mask)
{
	pic8259_write_imr(mask);
}

uint16_t pic_get_mask(void)
{
	return (uint16_t)(inb(PIC1_DATA) | (inb(PIC2_DATA) << 8));
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, 0x20);
	outb(PIC1_CMD, 0x20);
}

uint8_t pic_read_irr(int slave)
{
	return pic8259_read_reg(slave ? PIC2_CMD : PIC1_CMD, 0);
}

uint8_t pic_read_isr(int slave)
{
	uint16_t port = slave ? PIC2_CMD : PIC1_CMD;
	uint8_t v = pic8259_read_reg(port, 1);

	outb(port, 0x0a);               /* back to the IRR, as after a reset */
	return v;
}

/* ---- PIT channel 0 ---- */

void pit_ch0_start(uint32_t hz, uint8_t mode)
{
	uint32_t div = (PIT_HZ + hz / 2) / hz;

	if (div > 65535)
		div = 0;                /* 0 = 65536 */
	if (div == 1)
		div = 2;
	outb(0x43, (uint8_t)(0x30 | (mode << 1)));   /* ch0, lo/hi, mode, binary */
	outb(0x40, (uint8_t)div);
	outb(0x40, (uint8_t)(div >> 8));
}

/* Mode 0 control word without a count: OUT goes low, counting stops until a count is written. */
void pit_ch0_stop(void)
{
	outb(0x43, 0x30);
}
