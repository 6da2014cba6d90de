/*
 * The line between the boot stage (uefi/) and the nanokernel (hv/).
 *
 * uefi/ fills one struct boot_info, exits boot services and calls
 * hv_main(bi). hv_main refuses a boot_info whose magic, version or size it
 * does not know. Bump BOOT_INFO_VERSION on any layout change.
 * All addresses are host-physical (identity-mapped when hv_main runs).
 */
#ifndef BOOT_INFO_H
#define BOOT_INFO_H

#include <stdint.h>
#include "hvcfg.h"

#define BOOT_INFO_MAGIC    0x4f464e49544f4f42ull   /* "BOOTINFO" */
#define BOOT_INFO_VERSION  6u
#define BOOT_TSC_SOURCE_MAX 48
#define BOOT_MAX_CPUS      64     /* = CFG_MAX_CPUS: hv.cfg's cpu = 0..63 */
#define BOOT_MAX_IOAPICS   8
#define BOOT_MAX_ISOS      24     /* interrupt source overrides: at most one per ISA IRQ, with room */

/* A pristine copy of a Multiboot module file, for restarts. */
struct boot_module {
	uint64_t hpa;
	uint64_t bytes;
};

/* One guest as the boot stage prepared it. */
struct boot_guest {
	uint64_t ram_hpa;          /* guest RAM: guest-physical 0 maps here; 2 MiB aligned */
	uint64_t ram_bytes;
	uint64_t image_hpa;        /* pristine copy of the image file, for restarts */
	uint64_t image_bytes;
	uint64_t initrd_hpa;       /* boot = linux: pristine copy of the initrd, 0 if none */
	uint64_t initrd_bytes;
	uint32_t entry;            /* guest-physical entry point (from the image) */
	uint32_t mbi_gpa;          /* Multiboot: the info (EBX at entry), inside guest RAM */
	uint32_t zero_page_gpa;    /* Linux: the zero page (ESI at entry) */
	uint32_t gdt_gpa;          /* Linux: the GDT with __BOOT_CS and __BOOT_DS */
	uint32_t gdt_limit;
	uint32_t nmodules;         /* Multiboot: the cfg's modules, read from the ESP */
	struct boot_module modules[CFG_MAX_MODULES];   /* in hv.cfg order */
};

struct boot_mem_region {
	uint64_t base, bytes;
	uint32_t type;             /* BOOT_MEM_* */
	uint32_t reserved;
};

enum boot_mem_type {
	BOOT_MEM_USABLE = 1,       /* free RAM after exit from boot services */
	BOOT_MEM_RESERVED = 2,     /* firmware, MMIO, ACPI NVS ... */
	BOOT_MEM_ACPI = 3,         /* ACPI tables (reclaimable) */
	BOOT_MEM_HV = 4,           /* the hv's image, heap and guest RAM */
};

/* How the boot stage learnt the machine's CPUs (enum boot_cpu_source). */
enum boot_cpu_source {
	BOOT_CPUS_ASSUMED = 0,     /* neither MP Services nor a MADT: the boot CPU alone */
	BOOT_CPUS_MP_SERVICES = 1, /* PI's EFI_MP_SERVICES_PROTOCOL (OVMF) */
	BOOT_CPUS_MADT = 2,        /* the ACPI MADT's enabled processor entries */
};

/* An I/O APIC, from a MADT "I/O APIC Structure". */
struct boot_ioapic {
	uint32_t id;
	uint32_t addr;             /* its register page, physical */
	uint32_t gsi_base;         /* global system interrupt of its pin 0 */
	uint32_t reserved;
};

/* A MADT "Interrupt Source Override Structure": ISA IRQ source is GSI gsi. */
struct boot_iso {
	uint8_t bus;               /* 0: ISA */
	uint8_t source;            /* the ISA IRQ */
	uint16_t flags;            /* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2 */
	uint32_t gsi;
};

/*
 * The physical interrupt controllers a MADT describes (ACPI specification,
 * "Multiple APIC Description Table (MADT)"). found = 0: the machine has no
 * MADT (OVMF under Bochs), and the rest is zero.
 */
struct boot_madt {
	uint32_t found;
	uint32_t flags;            /* MADT flags: bit 0 PCAT_COMPAT (an 8259 pair is present) */
	uint64_t lapic_addr;       /* the local APICs' page (a LAPIC address override wins) */
	uint32_t ncpus;            /* enabled processor entries (local APIC and x2APIC) */
	uint32_t nioapic;
	uint32_t niso;
	uint32_t cpus_beyond;      /* enabled processors past the first BOOT_MAX_CPUS (not kept) */
	uint32_t apic_id[BOOT_MAX_CPUS];   /* in table order */
	struct boot_ioapic ioapic[BOOT_MAX_IOAPICS];
	struct boot_iso iso[BOOT_MAX_ISOS];
};

/*
 * The machine's usable CPUs (enabled and healthy). CPU index i in hv.cfg's
 * `cpu = i` is apic_id[i]; index 0 is always the boot processor (the BSP),
 * the others follow in the firmware's order.
 */
struct boot_cpus {
	uint32_t source;           /* enum boot_cpu_source */
	uint32_t n;                /* 1..BOOT_MAX_CPUS */
	uint32_t apic_id[BOOT_MAX_CPUS];
	uint32_t disabled;         /* processors the firmware lists but that are disabled or unhealthy */
	uint32_t beyond;           /* usable processors past the first BOOT_MAX_CPUS (not kept) */
};

struct boot_info {
	uint64_t magic;
	uint32_t version;
	uint32_t size;             /* sizeof(struct boot_info) */

	uint64_t tsc_hz;           /* TSC frequency (tsc_source says how it was found) */
	uint64_t rsdp;             /* ACPI RSDP, 0 if the firmware has none */
	uint64_t image_base, image_bytes;   /* this EFI image */
	uint64_t heap_base, heap_bytes;     /* for the hv's own allocations */
	uint64_t max_phys;         /* highest RAM address + 1, over every descriptor of the map */
	uint64_t wall_unix;        /* wall-clock time at boot (Unix seconds, UTC), 0 if unknown */
	char tsc_source[BOOT_TSC_SOURCE_MAX];   /* "cpuid 0x15", "calibrated ...": for the log */

	struct boot_cpus cpus;     /* the CPUs, found before ExitBootServices */
	/*
	 * A 4 KiB page below 1 MiB for the application processors' start-up
	 * code (a STARTUP IPI's vector is its page number; SDM "MP
	 * Initialization Protocol Algorithm"), 0 if none could be had: the
	 * hv then runs on the boot CPU alone.
	 */
	uint64_t ap_trampoline;
	struct boot_madt madt;     /* the interrupt controllers, when there is a MADT */

	struct hv_config cfg;
	struct boot_guest guests[CFG_MAX_GUESTS];

	/*
	 * The firmware's final memory map, whole: nmem regions (adjacent ones
	 * of one type merged) at host-physical mem_hpa, in loader data that
	 * outlives boot services. Sized from the firmware's map before the
	 * first ExitBootServices, so nothing is ever dropped.
	 */
	uint64_t mem_hpa;
	uint32_t nmem;
	uint32_t mem_cap;          /* room at mem_hpa, in regions */

	/*
	 * Ports that act on the whole machine on this machine only (ACPI FADT,
	 * the PM function's PCI bases) are not passed: the boot stage refuses
	 * an hv.cfg that grants one, and the hv opens to a guest only the
	 * ports hv.cfg grants it (every other port traps and is refused).
	 */
};

#endif
