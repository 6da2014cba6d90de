/*
 * The machine's CPUs and interrupt controllers, learnt by the boot stage
 * before ExitBootServices (uefi/cpus.c): from UEFI's MP Services where the
 * firmware offers them, from the ACPI MADT where there are ACPI tables,
 * else the boot CPU alone.
 */
#ifndef UEFI_CPUS_H
#define UEFI_CPUS_H

#include "boot_info.h"
#include "../hv/acpi.h"

/*
 * Fills bi->cpus and bi->madt (bi->rsdp must be set; map reads the ACPI
 * tables) and says on the
 * firmware console what it found. Returns 0, or -1 after saying why: a
 * MADT that is malformed, MP Services that fail, a boot CPU missing from
 * the list.
 */
int cpus_find(struct boot_info *bi, acpi_map_fn map);

#endif
