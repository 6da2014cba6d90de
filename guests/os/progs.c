/* progs.c: names and one-line descriptions of the embedded programs. */
#include "progs.h"
#include "klib.h"

#define PROG_SYMS(n) extern const uint8_t prog_##n##_start[], prog_##n##_end[];
PROG_SYMS(hog)
PROG_SYMS(rt)
PROG_SYMS(prodcons)
PROG_SYMS(portuser)
PROG_SYMS(badport)
PROG_SYMS(fault)
PROG_SYMS(disk)
PROG_SYMS(irquser)
PROG_SYMS(memhog)
PROG_SYMS(r3attack)
#define PROG_ENTRY(n, h) { #n, prog_##n##_start, prog_##n##_end, h }

static const struct prog progs_table[] = {
	PROG_ENTRY(hog, "[SECONDS]: CPU hog printing progress"),
	PROG_ENTRY(rt, "[SECONDS] [UTIL%]: periodic EDF task set (70% or 120%), prints misses"),
	PROG_ENTRY(prodcons, "[N]: producer/consumer over messages and semaphores"),
	PROG_ENTRY(portuser, ": asks for the CMOS ports 0x70-0x71 and reads the clock"),
	PROG_ENTRY(badport, ": touches port 0x70 without a grant (is killed)"),
	PROG_ENTRY(fault, "div|pf|gp|ud: faults on purpose (is killed)"),
	PROG_ENTRY(disk, "read LBA COUNT | write LBA COUNT SEED: DMA disk I/O with checksum"),
	PROG_ENTRY(irquser, ": attaches to IRQ 3 (COM2) and waits for an interrupt message"),
	PROG_ENTRY(memhog, "[CHUNK]: allocates pages until refused, then frees them"),
	PROG_ENTRY(r3attack, "hc IOPB KMEM | ac | xsetbv: hypercalls, #AC, XSETBV from ring 3 (is killed)"),
};

const struct prog *progs_find(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(progs_table); i++)
		if (!strcmp(progs_table[i].name, name))
			return &progs_table[i];
	return NULL;
}

const struct prog *progs_get(unsigned i)
{
	return i < ARRAY_SIZE(progs_table) ? &progs_table[i] : NULL;
}
