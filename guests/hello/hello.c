/*
 * hello: the first test guest. Prints a banner on the 0xE9 console, asks
 * CPUID who is running it, halts once (the hv resumes it), checks the
 * hypercall ABI version, and ends with status 0 through port 0xF4.
 */
#include "mini.h"
#include "multiboot.h"

void guest_main(uint32_t magic, const struct mb_info *mbi);

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
	__asm__ volatile("hlt");
	printf_e9("hello: resumed after hlt\n");
	printf_e9("hello: hypercall version 0x%x\n", (uint32_t)hypercall(HC_VERSION, 0, 0, 0));
	printf_e9("hello: done, exiting with status 0\n");
	guest_exit(0);
}
