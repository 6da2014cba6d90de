/* mboot.h: what the kernel keeps from the Multiboot (v1) information. */
#ifndef OS_MBOOT_H
#define OS_MBOOT_H

#include <stdbool.h>
#include <stdint.h>

#define MBOOT_MAGIC 0x2BADB002u
#define MBOOT_MAX_REGIONS 32

struct mboot_region {
	uint64_t base, len;
	uint32_t type;              /* 1 = usable RAM */
};

struct mboot {
	char cmdline[256];
	unsigned nregions;
	struct mboot_region region[MBOOT_MAX_REGIONS];
};

extern struct mboot mboot;

/* Copies the command line and memory map out of the info at info_pa (so the
 * info's memory may be reused). Returns 0, or -1 if magic is wrong or there
 * is neither a memory map nor mem_lower/mem_upper. */
int mboot_parse(uint32_t magic, uint64_t info_pa);
/* Finds key=value on the command line; copies value into out (size n) and
 * returns true, or returns false if key is absent. A bare "key" gives "1". */
bool mboot_option(const char *key, char *out, unsigned n);
/* Returns the numeric value of option key, or def if absent/invalid. */
uint64_t mboot_option_num(const char *key, uint64_t def);

#endif
