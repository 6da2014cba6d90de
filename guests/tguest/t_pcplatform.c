/*
 * pcplatform: the PC platform Linux expects, from inside a guest (issue 9
 * item 3). Under the hv only: natively the resets would reset the machine.
 *
 *   test=pcplatform [reset=1]
 *
 * Boot 1 checks, in 32-bit code with paging off unless said:
 *   - the PC hole 0xa0000-0xfffff reads as zeros; writes there (MOV from a
 *     register and from an immediate, REP STOSB over two pages, REP MOVSD)
 *     change nothing and the guest goes on, with ECX/ESI/EDI as if written;
 *   - the scans Linux makes find nothing: no "RSD PTR " in 0xe0000-0xfffff,
 *     no "_MP_" in 0xf0000-0xfffff, no option-ROM signature 0x55aa at
 *     0xc0000-0xdffff;
 *   - a 16550 at COM1 (the hv's virtual one): scratch register, LSR, IIR
 *     with and without FIFOs, a line of output (tagged in the hv log), the
 *     THRE interrupt through the virtual 8259 on IRQ 4 (once, until THR is
 *     written again), loopback as Linux probes it (MSR 0x90), 16 bytes out
 *     with REP OUTSB and back with REP INSB;
 *   - REP OUTSB to the 0xE9 console, REP INSB from the CMOS data port;
 *   - in 64-bit mode with 4-level paging (lm_call): REP OUTSB to 0xE9, and
 *     REP INSB into an unmapped page: #PF with error code 2 (write, not
 *     present) and CR2 the address, RCX untouched.
 * Then, with reset=1, the guest resets itself: boot 1 through the 8042
 * (0x64 <- 0xfe), boot 2 through its output port (0x64 <- 0xd1, 0x60 <-
 * 0xfe), boot 3 through 0xcf9 (0x02, then 0x06); boot 4 exits with 0. The
 * boot number lives in CMOS byte 0x50, which a reset keeps (hv.cfg needs
 * restart = yes).
 */
#include "tguest.h"

#define COM1       0x3f8
#define CMOS_BOOT  0x50
#define HOLE_START 0xa0000u
#define HOLE_END   0x100000u

static struct checks ck = { .prefix = "pcplatform" };

static uint8_t cmos_read(uint8_t idx)
{
	outb(0x70, idx);
	return inb(0x71);
}

static void cmos_write(uint8_t idx, uint8_t val)
{
	outb(0x70, idx);
	outb(0x71, val);
}

/* Returns the number of non-zero bytes in [start, end). */
static uint32_t nonzero(uint32_t start, uint32_t end)
{
	uint32_t n = 0;

	for (const volatile uint8_t *p = (const uint8_t *)start; p < (const uint8_t *)end; p++)
		n += *p != 0;
	return n;
}

static uint8_t pc_src[4096];

static void pc_hole(void)
{
	uint32_t edi, ecx, esi;

	check(&ck, "hole reads zeros", nonzero(HOLE_START, HOLE_END) == 0, "%u non-zero bytes",
	      nonzero(HOLE_START, HOLE_END));
	__asm__ volatile("movl %0, (%1)" :: "r"(0xdeadbeefu), "r"(0xe0000u) : "memory");      /* 89 /r */
	__asm__ volatile("movl $0x11223344, 0xc0000" ::: "memory");                             /* C7 05 */
	__asm__ volatile("movb $0x55, %%fs:0xd0000" ::: "memory");                              /* 64 C6 05 */
	__asm__ volatile("cld; rep stosb" : "=D"(edi), "=c"(ecx) : "D"(0xc8000u), "c"(8192u), "a"(0xaa)
			 : "memory");
	check(&ck, "rep stosb into the hole", edi == 0xca000u && ecx == 0, "edi 0x%x ecx %u", edi, ecx);
	for (unsigned i = 0; i < sizeof(pc_src); i++)
		pc_src[i] = (uint8_t)(i | 1);
	__asm__ volatile("cld; rep movsl" : "=S"(esi), "=D"(edi), "=c"(ecx)
			 : "S"(pc_src), "D"(0xf8000u), "c"(1024u) : "memory");
	check(&ck, "rep movsd into the hole", esi == (uint32_t)pc_src + 4096 && edi == 0xf9000u && ecx == 0,
	      "esi 0x%x edi 0x%x ecx %u", esi, edi, ecx);
	check(&ck, "writes to the hole dropped", nonzero(HOLE_START, HOLE_END) == 0, "%u non-zero bytes",
	      nonzero(HOLE_START, HOLE_END));
}

/* Counts the 16-byte aligned places in [start, end) where sig (len bytes) begins. */
static uint32_t scan(uint32_t start, uint32_t end, const char *sig, unsigned len, unsigned step)
{
	uint32_t hits = 0;

	for (uint32_t a = start; a + len <= end; a += step) {
		unsigned i = 0;
		while (i < len && ((const volatile char *)a)[i] == sig[i])
			i++;
		hits += i == len;
	}
	return hits;
}

static void pc_scans(void)
{
	uint32_t n;

	n = scan(0xe0000, HOLE_END, "RSD PTR ", 8, 16);
	check(&ck, "no acpi rsdp", n == 0, "%u found", n);
	n = scan(0xf0000, HOLE_END, "_MP_", 4, 16);
	check(&ck, "no mp table", n == 0, "%u found", n);
	n = scan(0xc0000, 0xe0000, "\x55\xaa", 2, 2048);
	check(&ck, "no option rom", n == 0, "%u found", n);
}

static volatile uint32_t uart_irqs;
static volatile uint8_t uart_iir;

static void pc_uart_isr(struct regs *r)
{
	uart_iir = inb(COM1 + 2);                 /* reading IIR acknowledges THRE */
	uart_irqs++;
	pic_eoi(4);
}

static void uart_puts(const char *s)
{
	for (; *s; s++) {
		for (unsigned spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
			cpu_relax();
		outb(COM1, (uint8_t)*s);
	}
}

/* Waits up to ms for the count of UART interrupts to reach n, interrupts on. */
static void uart_wait_irqs(uint32_t n, uint32_t ms)
{
	uint64_t end = rdtsc() + tsc_from_us(ms * 1000ull);

	sti();
	while (uart_irqs < n && rdtsc() < end)
		cpu_relax();
	delay_us(2000);                            /* a second interrupt would come now */
	cli();
}

static void pc_uart_regs(void)
{
	uint8_t lsr, iir;

	outb(COM1 + 7, 0xa5);
	check(&ck, "uart scratch", inb(COM1 + 7) == 0xa5, "read 0x%02x", inb(COM1 + 7));
	lsr = inb(COM1 + 5);
	check(&ck, "uart lsr", lsr == 0x60, "LSR 0x%02x, want THRE|TEMT 0x60", lsr);
	iir = inb(COM1 + 2);
	check(&ck, "uart iir", iir == 0x01, "IIR 0x%02x, want 0x01", iir);
	outb(COM1 + 3, 0x83);                      /* DLAB: 115200 8N1 */
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0x07);                      /* FIFOs on, cleared */
	iir = inb(COM1 + 2);
	check(&ck, "uart fifo iir", iir == 0xc1, "IIR 0x%02x, want 0xc1", iir);
	uart_puts("pcplatform: hello from the virtual COM1\n");
}

static void pc_uart_thre(void)
{
	uint32_t first;

	idt_set_handler(IRQ_BASE + 4, pc_uart_isr);
	pic_set_mask(0xffef);                      /* IRQ 4 only */
	outb(COM1 + 4, 0x08);                      /* OUT2: the IRQ line */
	outb(COM1 + 1, 0x02);                      /* IER: THRE, with THR empty: at once */
	uart_wait_irqs(1, 200);
	first = uart_irqs;
	check(&ck, "uart thre interrupt", first == 1 && uart_iir == 0xc2, "%u interrupts, IIR 0x%02x",
	      first, uart_iir);
	outb(COM1, '\n');                          /* THR empty again: one more */
	uart_wait_irqs(2, 200);
	check(&ck, "uart thre after a write", uart_irqs == 2, "%u interrupts", uart_irqs);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 4, 0x00);
	pic_set_mask(0xffff);
}

static void pc_uart_loopback(void)
{
	static const char out[17] = "0123456789abcdef";
	char in[16];
	uint32_t esi, edi, ecx;
	uint8_t msr, iir;
	unsigned i;

	outb(COM1 + 4, 0x1a);                      /* loopback, OUT2, RTS: Linux's probe */
	msr = inb(COM1 + 6) & 0xf0;
	check(&ck, "uart loopback msr", msr == 0x90, "MSR 0x%02x, want 0x90", msr);
	outb(COM1 + 2, 0x07);
	outb(COM1 + 1, 0x01);                      /* IER: received data */
	__asm__ volatile("cld; rep outsb" : "=S"(esi), "=c"(ecx) : "S"(out), "c"(16u), "d"(COM1) : "memory");
	iir = inb(COM1 + 2);
	check(&ck, "uart rx data iir", iir == 0xc4 && (inb(COM1 + 5) & 1), "IIR 0x%02x", iir);
	__asm__ volatile("cld; rep insb" : "=D"(edi), "=c"(ecx) : "D"(in), "c"(16u), "d"(COM1) : "memory");
	for (i = 0; i < 16 && in[i] == out[i]; i++)
		;
	check(&ck, "uart rep outsb then rep insb", i == 16 && ecx == 0 && edi == (uint32_t)in + 16 &&
	      !(inb(COM1 + 5) & 1), "%u bytes equal, ecx %u", i, ecx);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 4, 0x00);
}

static void pc_string_io(void)
{
	static const char msg[] = "pcplatform: rep outsb to the console\n";
	uint8_t buf[8];
	uint32_t esi, edi, ecx;
	unsigned same = 0;

	__asm__ volatile("cld; rep outsb" : "=S"(esi), "=c"(ecx)
			 : "S"(msg), "c"(sizeof(msg) - 1), "d"(0xe9) : "memory");
	check(&ck, "rep outsb registers", esi == (uint32_t)msg + sizeof(msg) - 1 && ecx == 0,
	      "esi 0x%x ecx %u", esi, ecx);
	outb(0x70, 0x0a);                          /* CMOS status A */
	__asm__ volatile("cld; rep insb" : "=D"(edi), "=c"(ecx) : "D"(buf), "c"(8u), "d"(0x71) : "memory");
	for (unsigned i = 0; i < 8; i++)
		same += buf[i] == buf[0] && (buf[0] & 0x7f) == 0x26;
	check(&ck, "rep insb from cmos", same == 8 && ecx == 0 && edi == (uint32_t)buf + 8,
	      "buf[0] 0x%02x, %u of 8 equal, ecx %u", buf[0], same, ecx);
}

/* 64-bit routines (lm_call: RDI = the argument, result in EAX). */
__asm__(
	".pushsection .text\n"
	".code64\n"
	/* pc_lm_outsb(msg): REP OUTSB of the NUL-terminated msg to 0xE9; returns RCX (0). */
	"pc_lm_outsb:\n"
	"	movl %edi, %esi\n"
	"	xorl %ecx, %ecx\n"
	"1:	cmpb $0, (%rdi,%rcx)\n"
	"	je 2f\n"
	"	incl %ecx\n"
	"	jmp 1b\n"
	"2:	movl $0xe9, %edx\n"
	"	cld\n"
	"	rep outsb\n"
	"	movl %ecx, %eax\n"
	"	ret\n"
	/* pc_lm_insb_pf(addr): REP INSB of 4 bytes from 0x71 to addr, the #PF stub skipping it; returns RCX. */
	"pc_lm_insb_pf:\n"
	"	movl $2, lm_fault+8(%rip)\n"
	"	movl $4, %ecx\n"
	"	movl $0x71, %edx\n"
	"	cld\n"
	"	rep insb\n"
	"	movl %ecx, %eax\n"
	"	ret\n"
	".code32\n"
	".popsection\n");

extern const char pc_lm_outsb[], pc_lm_insb_pf[];

static void pc_long_mode(void)
{
	static const char msg[] = "pcplatform: rep outsb in 64-bit mode\n";
	uint32_t r, cr2;

	lm_require();
	r = lm_call(pc_lm_outsb, (uint32_t)msg);
	check(&ck, "64-bit rep outsb", r == 0, "lm_call 0x%x", r);
	outb(0x70, 0x0a);
	r = lm_call(pc_lm_insb_pf, 0x40000000u);              /* past the first GiB: not mapped */
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	check(&ck, "64-bit rep insb page fault", r == 4 && lm_fault.count == 1 && lm_fault.vec == 14 &&
	      lm_fault.err == 2 && cr2 == 0x40000000u, "lm_call 0x%x, %u faults, vector %u error 0x%x cr2 0x%x",
	      r, lm_fault.count, lm_fault.vec, lm_fault.err, cr2);
}

/* Resets the guest the way boot number boot asks; returns only if the reset did not happen. */
static void pc_reset(unsigned boot)
{
	if (boot == 1) {
		tg_printf("pcplatform: reset through the 8042 (0x64 <- 0xfe)\n");
		outb(0x64, 0xfe);
	} else if (boot == 2) {
		tg_printf("pcplatform: reset through the 8042 output port (0x64 <- 0xd1, 0x60 <- 0xfe)\n");
		outb(0x64, 0xd1);
		outb(0x60, 0xfe);
	} else {
		tg_printf("pcplatform: reset through 0xcf9 (0x02, then 0x06)\n");
		outb(0xcf9, 0x02);
		outb(0xcf9, 0x06);
	}
}

void test_pcplatform(void)
{
	unsigned boot;

	if (!tg_under_hv)
		tg_fail_exit(2, "pcplatform: FAIL not under the hv: the resets would reset the machine\n");
	boot = cmos_read(CMOS_BOOT) + 1u;
	cmos_write(CMOS_BOOT, (uint8_t)boot);
	tg_printf("pcplatform: boot %u\n", boot);
	if (boot == 1) {
		pc_hole();
		pc_scans();
		pc_uart_regs();
		pc_uart_thre();
		pc_uart_loopback();
		pc_string_io();
		pc_long_mode();
		tg_printf("pcplatform: %u checks, %u failed\n", ck.n, ck.failed);
		if (ck.failed)
			guest_exit(1);
	}
	if (!arg_u32("reset", 1))
		guest_exit(0);
	if (boot >= 4) {
		tg_printf("pcplatform: boot %u after %u resets; exit 0\n", boot, boot - 1);
		guest_exit(0);
	}
	pc_reset(boot);
	tg_fail_exit(1, "pcplatform: FAIL still running after the reset of boot %u\n", boot);
}
