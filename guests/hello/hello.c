/*
 * hello: the first test guest. Prints a banner on the 0xE9 console, asks
 * CPUID who is running it, halts once (the hv resumes it), checks the
 * hypercall ABI version, and ends with status 0 through port 0xF4.
 */
#include "mini.h"
#include "multiboot.h"

void guest_main(uint32_t magic, const struct mb_info *mbi);

/* 32-bit interrupt gate descriptors; every vector goes to irq_stub. */
static uint64_t idt[256] __attribute__((aligned(8)));
static volatile uint32_t ticks;
void irq_stub(void);
void irq_tick(void);

/* IRQ0 handler: counts, sends a non-specific EOI, returns. */
__asm__(".globl irq_stub\n"
	"irq_stub:\n"
	"  pushal\n"
	"  call irq_tick\n"
	"  popal\n"
	"  iretl\n");

void irq_tick(void)
{
	ticks++;
	outb(0x20, 0x20);
}

/*
 * Waits for one timer interrupt with HLT: remaps the 8259 to vector 0x20,
 * unmasks IRQ 0 only, runs the 8254 at 100 Hz, then "sti; hlt".
 */
static void wait_one_tick(void)
{
	/* Multiboot leaves GDTR undefined: interrupt delivery reloads CS, so load our own. */
	static const uint64_t gdt[3] = { 0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull };
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; }
		gdtr = { sizeof(gdt) - 1, (uint32_t)gdt }, idtr = { sizeof(idt) - 1, (uint32_t)idt };
	uint32_t h = (uint32_t)irq_stub, cs = 0x08;

	__asm__ volatile("lgdt %0\n"
			 "ljmp $0x08, $1f\n"
			 "1: mov $0x10, %%eax\n"
			 "mov %%eax, %%ds\n mov %%eax, %%es\n mov %%eax, %%ss\n"
			 "mov %%eax, %%fs\n mov %%eax, %%gs\n" :: "m"(gdtr) : "eax", "memory");
	for (int v = 0; v < 256; v++)
		idt[v] = (h & 0xffff) | ((uint64_t)cs << 16) | (0x8eull << 40) | ((uint64_t)(h >> 16) << 48);
	__asm__ volatile("lidt %0" :: "m"(idtr));
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
	outb(0x21, 0xfe);
	outb(0xa1, 0xff);
	outb(0x43, 0x34);                       /* channel 0, lo/hi, mode 2 */
	outb(0x40, 11932 & 0xff);
	outb(0x40, 11932 >> 8);
	while (!ticks)
		__asm__ volatile("sti; hlt; cli");
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
	uint32_t a, b, c, d, sig[4] = { 0 };

	if (magic != MB_BOOT_MAGIC) {
		printf_e9("hello: bad Multiboot magic 0x%x\n", magic);
		guest_exit(2);
	}
	printf_e9("hello: guest banner: Multiboot ok, %u KiB upper memory, cmdline \"%s\"\n",
		  mbi->mem_upper, (mbi->flags & MB_IF_CMDLINE) ? (const char *)mbi->cmdline : "");
	cpuid(0, &a, &b, &c, &d);
	sig[0] = b, sig[1] = d, sig[2] = c;
	printf_e9("hello: cpuid vendor %s max leaf %u\n", (const char *)sig, a);
	cpuid(HV_CPUID_LEAF_BASE, &a, &sig[0], &sig[1], &sig[2]);
	printf_e9("hello: cpuid hypervisor \"%s\"\n", (const char *)sig);
	cpuid(1, &a, &b, &c, &d);
	printf_e9("hello: cpuid vmx %s, hypervisor bit %s\n", (c & (1u << 5)) ? "visible" : "hidden",
		  (c & (1u << 31)) ? "set" : "clear");
	wait_one_tick();
	printf_e9("hello: resumed after hlt, woken by timer IRQ 0\n");
	printf_e9("hello: hypercall version 0x%x\n", (uint32_t)hypercall(HC_VERSION, 0, 0, 0));
	printf_e9("hello: done, exiting with status 0\n");
	guest_exit(0);
}
