/*
 * Loading a guest's files into its RAM as hv.cfg says (Multiboot with its
 * modules, or Linux), with the ACPI tables' range kept free when the guest
 * has acpi = on: what the boot stage (first boot) and the hv (every
 * restart, from the pristine copies) share. The tables themselves are
 * installed by the hv after the load (hv/guest.c), since loading clears RAM.
 */
#ifndef HV_GUESTLOAD_H
#define HV_GUESTLOAD_H

#include "boot_info.h"

#define GUESTLOAD_MSG_MAX 240

struct guestload_result {
	int line;                  /* after a failure: the hv.cfg line of the key at fault */
	char msg[GUESTLOAD_MSG_MAX];   /* after a failure: "image \guests\x: no Multiboot header ..." */
	int elf_class;             /* Multiboot: 32, 64, 0 (a.out kludge) */
	uint16_t version;          /* Linux: boot protocol */
	uint32_t initrd_gpa;       /* Linux: where the initrd went, 0 if none */
	uint32_t mods_gpa[CFG_MAX_MODULES];   /* Multiboot: where each module went */
};

/*
 * Loads guest cg from the files bg holds (image, initrd, modules) into its
 * RAM (bg->ram_hpa, identity-mapped) and sets bg's entry state (entry,
 * mbi_gpa or zero_page_gpa, gdt_gpa, gdt_limit). Returns 0; or -1 with
 * r->line and r->msg naming the key and the cause.
 */
int guestload(const struct cfg_guest *cg, struct boot_guest *bg, struct guestload_result *r);

#endif
