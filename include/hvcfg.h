/*
 * The partition config (hv.cfg): parsed form and parser contract.
 *
 * One parser (hv/cfg.c with hv/cfg_check.c) is compiled into the EFI image and into the host
 * tool tools/hvcfg, so both accept and reject exactly the same files.
 * docs/config.md is the reference for the text format.
 *
 * Freestanding: no libc beyond <stddef.h>/<stdint.h>/<stdbool.h>.
 */
#ifndef HVCFG_H
#define HVCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_GUESTS    8
#define CFG_MAX_PORTS     32     /* port ranges per guest, after device expansion */
#define CFG_MAX_IRQ       16     /* legacy ISA lines 0..15 */
#define CFG_NAME_MAX      16
#define CFG_PATH_MAX      96
#define CFG_CMDLINE_MAX   256
#define CFG_MSG_MAX       160
#define CFG_MAX_CPUS      64     /* cpu = 0..CFG_MAX_CPUS-1 */
#define CFG_MAX_MODULES   8      /* module = lines per guest */
#define CFG_MODARGS_MAX   128    /* a module's arguments, with the NUL */
#define CFG_MODSTR_MAX    (CFG_PATH_MAX + CFG_MODARGS_MAX)   /* "PATH ARGS" with the NUL */

/* Devices a guest can own. Each expands to ports and IRQ lines. */
enum cfg_device {
	CFG_DEV_COM1 = 1u << 0,   /* ports 0x3f8-0x3ff, IRQ 4 */
	CFG_DEV_COM2 = 1u << 1,   /* ports 0x2f8-0x2ff, IRQ 3 */
	CFG_DEV_IDE0 = 1u << 2,   /* ports 0x1f0-0x1f7, 0x3f6, IRQ 14, PIIX bus master */
	CFG_DEV_IDE1 = 1u << 3,   /* ports 0x170-0x177, 0x376, IRQ 15 */
	CFG_DEV_VGA  = 1u << 4,   /* MMIO 0xb8000-0xbffff (text buffer) */
};

enum cfg_restart {
	CFG_RESTART_NO = 0,       /* a stopped guest stays stopped */
	CFG_RESTART_YES = 1,      /* a stopped guest is booted again */
};

/* How a guest's image is booted (docs/config.md, boot =). */
enum cfg_boot {
	CFG_BOOT_MULTIBOOT = 0,   /* Multiboot (v1): ELF or a.out kludge image (the default) */
	CFG_BOOT_LINUX = 1,       /* Linux bzImage, 32-bit boot protocol (docs/linux-guest.md) */
};

/* Test-only faults the hv injects on purpose (system tests use them). */
enum cfg_test_fault {
	CFG_TEST_NONE = 0,
	CFG_TEST_VMENTRY = 1,     /* corrupt one guest-state field: VM entry fails */
	CFG_TEST_VMCONTROL = 2,   /* corrupt one control field: VMLAUNCH fails (VMfailValid) */
	CFG_TEST_VMRESUME = 3,    /* after the first hypercall, corrupt guest state: VMRESUME fails */
};

/*
 * [hv] irq_backend: which physical interrupt controllers the hv drives
 * (hv/pirq.h; the values are enum pirq_want's).
 */
enum cfg_irq_backend {
	CFG_IRQ_AUTO = 0,         /* the IOAPIC and local APICs if an IOAPIC answers, else the 8259 pair */
	CFG_IRQ_PIC = 1,          /* the 8259 pair (and the PIT for CPU 0's wake-up) */
	CFG_IRQ_IOAPIC = 2,       /* the IOAPICs and local APICs; the boot stops without them */
};

/* A Multiboot module: a file on the ESP and the string the kernel sees with it. */
struct cfg_module {
	char path[CFG_PATH_MAX];        /* as image: "\\guests\\mod.bin" */
	char string[CFG_MODSTR_MAX];    /* the module's string: the path, then " ARGS" if any */
	uint16_t line;                  /* line of its module key */
};

struct cfg_range {
	uint16_t first, last;     /* inclusive */
	uint16_t line;            /* line of hv.cfg that granted it */
};

struct cfg_guest {
	char name[CFG_NAME_MAX];
	char image[CFG_PATH_MAX];       /* path on the ESP, e.g. "\\guests\\hello.elf" */
	char cmdline[CFG_CMDLINE_MAX];
	uint64_t mem_bytes;             /* guest RAM, from guest-physical 0 */
	int cpu;                        /* physical CPU index; 0 if not given */
	uint16_t cpu_line;              /* line of the cpu key, 0 if none */
	uint16_t share_permille;        /* CPU share, per mille of the period; 0: not given */
	uint16_t share_line;            /* line of the share key, 0 if none */
	struct cfg_range ports[CFG_MAX_PORTS];
	int nports;
	uint16_t irqs;                  /* bit n: owns ISA IRQ n */
	uint32_t devices;               /* enum cfg_device bits */
	enum cfg_restart restart;
	uint32_t time_limit_ms;         /* stop the guest after this long (each boot), 0: never */
	enum cfg_test_fault test_fault;
	uint16_t line;                  /* line of the [guest NAME] header */
	uint16_t irq_line[CFG_MAX_IRQ]; /* line that granted IRQ n (irqs or devices) */
	uint16_t devices_line;          /* line of the devices key, 0 if none */
	enum cfg_boot boot;             /* boot = multiboot | linux */
	char initrd[CFG_PATH_MAX];      /* boot = linux: initramfs on the ESP, "" if none */
	uint16_t image_line;            /* line of the image key (boot-stage errors name it) */
	uint16_t initrd_line;           /* line of the initrd key, 0 if none */
	uint16_t cmdline_line;          /* line of the cmdline key, 0 if none */
	struct cfg_module modules[CFG_MAX_MODULES];   /* module = PATH ["ARGS"], in file order */
	int nmodules;
	bool acpi;                      /* acpi = on: ACPI tables and PM1 registers (default off) */
	bool lapic;                     /* lapic = on: local APIC and IOAPIC (default on) */
	uint8_t manages;                /* manages = NAME, ...: bit i: may stop/restart guest i (HC_GUEST_CTL) */
	uint16_t manages_line;          /* line of the manages key, 0 if none */
};

_Static_assert(CFG_MAX_GUESTS <= 8, "cfg_guest.manages holds a bit per guest");

struct hv_config {
	uint32_t timeslice_us;          /* [hv] timeslice_us, default 10000 */
	uint32_t period_us;             /* [hv] period_us: CPU-share period, default 10000 */
	bool vmcheck;                   /* [hv] vmcheck = on: SDM entry checks before every entry */
	bool trace;                     /* [hv] trace = on | off: the per-exit trace, default on */
	bool lapic_decode;              /* [hv] lapic_access = decode: no APIC virtualization (default auto) */
	uint8_t irq_backend;            /* [hv] irq_backend: enum cfg_irq_backend (default auto) */
	uint64_t total_mem_limit;       /* 0: no limit given (set by the caller) */
	int nguests;
	struct cfg_guest guests[CFG_MAX_GUESTS];
};

struct cfg_error {
	int line;                       /* 1-based; 0 when not tied to a line */
	char msg[CFG_MSG_MAX];          /* e.g. "port 0x3f8 already given to guest a (line 7)" */
};

/*
 * Parses the text of hv.cfg (not NUL-terminated necessarily: len bytes).
 * Returns 0 and fills *out on success; returns -1 on the first error and
 * fills *err with the line and the cause. *out is undefined after an error.
 * Validation (overlaps, limits, duplicate names) is part of parsing.
 */
int cfg_parse(const char *text, size_t len, struct hv_config *out,
	      struct cfg_error *err);

/*
 * Checks that the guests' memory together fits in limit bytes (0: no limit).
 * Returns 0 if it fits; -1 with *err naming the first guest that overflows.
 */
int cfg_check_memory(const struct hv_config *c, uint64_t limit,
		     struct cfg_error *err);

/* Returns why no guest may own port (e.g. "8042 controller: reset line"), or NULL if a guest may. */
const char *cfg_port_reserved(unsigned port);

/*
 * Returns true if port is reserved because it acts on the whole machine
 * (reset, power, SMI, A20, DMA outside the partition, the emulator's own
 * ports); false if it is reserved only because the hv emulates it for every
 * guest, or not reserved at all.
 */
bool cfg_port_machine_wide(unsigned port);

/*
 * A port range that acts on the whole machine on this machine only, found
 * at boot (the ACPI FADT's PM and reset registers, the PM function's PCI
 * configuration): the fixed table of cfg_port_reserved cannot know them.
 */
struct cfg_machine_range {
	uint16_t first, last;     /* inclusive */
	const char *what;         /* e.g. "ACPI PM1a control (FADT)" */
};

/*
 * Checks that no guest of c owns a port of the n ranges in r. Returns 0;
 * or -1 with *err naming the earliest hv.cfg line that grants one ("port
 * 0x604 is ACPI PM1a control (FADT) and acts on the whole machine").
 */
int cfg_check_machine_ports(const struct hv_config *c,
			    const struct cfg_machine_range *r, int n,
			    struct cfg_error *err);

/*
 * Checks that every guest's cpu is one of the ncpus CPUs of this machine
 * (found at boot: MP Services or the ACPI MADT). Returns 0; or -1 with
 * *err naming the cpu line of the first guest, in hv.cfg order, that names
 * another ("cpu 2: this machine has 2 CPUs (0..1)").
 */
int cfg_check_cpus(const struct hv_config *c, unsigned ncpus, struct cfg_error *err);

/*
 * The shares of the guests of c that run on CPU cpu, where guest i runs on
 * placed[i] (the hv may move a guest whose CPU cannot be used to CPU 0):
 * returns 0 if they add up to at most 100% and leave at least 1% for each
 * guest without one, else what they ask for in per mille (the named
 * shares + 10 for each guest without one).
 */
unsigned cfg_shares_overcommit(const struct hv_config *c, const int *placed, int cpu);

/* Returns the config name of one enum cfg_device bit ("com1"), or "?". */
const char *cfg_device_name(uint32_t dev);

/* Returns the guest's port ranges' total count of ports (for reports). */
unsigned cfg_guest_port_count(const struct cfg_guest *g);

/* Returns true if guest g owns port (after device expansion). */
bool cfg_guest_owns_port(const struct cfg_guest *g, uint16_t port);

#endif
