/* gdt.c: the kernel's GDT and its single TSS.
 *
 * One TSS serves every process: on a context switch proc.c closes the ports of
 * the process going out and opens those of the one coming in (gdt_io_set), so
 * the bitmap always describes exactly the running process's grants. Ring 3
 * runs with IOPL 0, so the bitmap is the only way a process reaches a port. */
#include "gdt.h"
#include "klib.h"
#include "desc.h"
#include "x86.h"

struct tss {
	struct tss64 cpu;
	uint8_t iopb[8192 + 1];          /* one bit per port, then the 0xff end byte */
} __attribute__((packed));

static struct tss gdt_tss __attribute__((aligned(16)));
static uint64_t gdt_table[7];
static uint8_t gdt_df_stack[4096] __attribute__((aligned(16)));

static void gdt_load(void)
{
	struct desc_ptr p = { sizeof(gdt_table) - 1, (uint64_t)gdt_table };
	__asm__ volatile(
		"lgdt %0\n\t"
		"mov %1, %%ds\n\t mov %1, %%es\n\t mov %1, %%ss\n\t"
		"pushq %2\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"ltr %w3"
		: : "m"(p), "r"((uint64_t)SEL_KDATA), "i"(SEL_KCODE), "r"((uint64_t)SEL_TSS)
		: "rax", "memory");
}

void gdt_init(void)
{
	uint64_t base = (uint64_t)&gdt_tss, limit = sizeof(gdt_tss) - 1;
	gdt_table[0] = 0;
	gdt_table[1] = DESC_CODE64_DPL0;        /* kernel code */
	gdt_table[2] = DESC_DATA_DPL0;          /* kernel data */
	gdt_table[3] = DESC_DATA_DPL3;          /* user data */
	gdt_table[4] = DESC_CODE64_DPL3;        /* user code */
	desc_tss64(&gdt_table[5], base, (uint32_t)limit);
	memset(&gdt_tss, 0, sizeof(gdt_tss));
	gdt_tss.cpu.iopb_offset = offsetof(struct tss, iopb);
	memset(gdt_tss.iopb, 0xff, sizeof(gdt_tss.iopb));
	/* #DF runs on its own stack so a kernel stack overflow still gets a dump. */
	gdt_tss.cpu.ist[0] = (uint64_t)gdt_df_stack + sizeof(gdt_df_stack);
	gdt_load();
}

void gdt_set_kernel_stack(uint64_t rsp0)
{
	gdt_tss.cpu.rsp[0] = rsp0;
}

void gdt_io_set(uint16_t first, uint16_t last, bool allow)
{
	for (uint32_t p = first; p <= last; p++) {
		if (allow)
			gdt_tss.iopb[p / 8] &= (uint8_t)~(1u << (p % 8));
		else
			gdt_tss.iopb[p / 8] |= (uint8_t)(1u << (p % 8));
	}
}
