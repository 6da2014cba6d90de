/*
 * wild: touches a guest-physical address outside the guest's RAM (paging is
 * off, so the address is physical). Under the hv the access is an EPT
 * violation and the hv stops the guest; if the guest survives (natively),
 * it says so and exits with status 3.
 */
#include "tguest.h"

#define WILD_SURVIVED 3

static void wild_exception(struct regs *r)
{
	tg_printf("wild: exception %u (%s) error 0x%x at eip 0x%08x\n", r->vec, exc_name(r->vec), r->err,
		  r->eip);
	puts_e9("wild: survived\n");
	guest_exit(WILD_SURVIVED);
}

static volatile uint32_t wild_addr, wild_steps;

/*
 * Single-step (EFLAGS.TF) for op=exec: the first #DB comes after the call,
 * at the wild address itself, before anything there ran; let one
 * instruction run, and the second #DB proves it did (natively, unassigned
 * memory reads as zeros: "add %al, (%eax)", which would run on for ever).
 */
static void wild_debug(struct regs *r)
{
	if (r->eip == wild_addr && wild_steps++ == 0)
		return;
	r->eflags &= ~0x100u;
	tg_printf("wild: executed at 0x%08x, single-step trap at eip 0x%08x\n", wild_addr, r->eip);
	puts_e9("wild: survived\n");
	guest_exit(WILD_SURVIVED);
}

void test_wild(void)
{
	uint32_t addr = arg_u32("addr", 0x40000000u), v;
	const char *op = arg_str("op", "write");
	unsigned vec;

	for (vec = 0; vec < 32; vec++)
		idt_set_handler(vec, wild_exception);
	if (op[0] == 'w' && op[1] == 'r' && op[2] == 'i' && op[3] == 't' && op[4] == 'e' && !op[5]) {
		tg_printf("wild: about to write 0x%08x\n", addr);
		__asm__ volatile("movl %1, (%0)" :: "r"(addr), "r"(0x5a5a5a5au) : "memory");
		tg_printf("wild: wrote 0x5a5a5a5a\n");
	} else if (op[0] == 'r' && op[1] == 'e' && op[2] == 'a' && op[3] == 'd' && !op[4]) {
		tg_printf("wild: about to read 0x%08x\n", addr);
		__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
		tg_printf("wild: read 0x%08x\n", v);
	} else if (op[0] == 'e' && op[1] == 'x' && op[2] == 'e' && op[3] == 'c' && !op[4]) {
		tg_printf("wild: about to exec 0x%08x\n", addr);
		wild_addr = addr;
		idt_set_handler(1, wild_debug);
		__asm__ volatile("pushfl\n\t"
				 "orl $0x100, (%%esp)\n\t"
				 "popfl\n\t"
				 "call *%0"
				 :: "r"(addr) : "eax", "ecx", "edx", "memory");
		tg_printf("wild: returned from 0x%08x\n", addr);
	} else {
		tg_fail_exit(2, "wild: FAIL bad op=%s (write, read or exec)\n", op);
	}
	puts_e9("wild: survived\n");
	guest_exit(WILD_SURVIVED);
}
