/*
 * The boot stage: the only code that calls UEFI. It checks the paging mode,
 * finds the ports that act on the whole machine (ACPI FADT, the PM
 * function's PCI bases) and the CPUs (MP Services, the MADT: uefi/cpus.c),
 * reads \hv.cfg and refuses it if it grants one of those ports or names a
 * CPU the machine lacks, reads the guest images (and a Linux guest's initrd) from the ESP,
 * reads each Multiboot guest's modules, gives each guest its RAM and loads
 * it there (Multiboot or Linux boot protocol, hv/guestload.c), checks the CPU, reserves the hv's heap, finds the TSC
 * frequency, exits boot services and hands a struct boot_info to hv_main.
 *
 * Every failure here prints one line naming the cause and returns to the
 * firmware: nothing has been taken over yet. The decisions are pure
 * functions with host unit tests: hv/acpi.c (machine-wide ports),
 * hv/madt.c (the MADT, the CPU list),
 * uefi/bootmem.c (memory map, paging mode), uefi/tscfreq.c (TSC source).
 */
#include <efi.h>
#include <efilib.h>

#include "boot_info.h"
#include "hvcfg.h"
#include "bootmem.h"
#include "tscfreq.h"
#include "cpus.h"
#include "../hv/acpi.h"
#include "../hv/cpu.h"
#include "fmt.h"
#include "../hv/vmxcap.h"
#include "../hv/acpitab.h"
#include "../hv/guestload.h"
#include "../hv/vcmos.h"

#define HV_HEAP_BYTES   (8ull << 20)
#define HV_STACK_BYTES  (64 * 1024)
#define SZ_2M           0x200000ull
#define EBS_ATTEMPTS    8         /* ExitBootServices tries before giving up */

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);
void hv_start(struct boot_info *bi, void *stack_top) __attribute__((noreturn));

static struct boot_info boot_info;
static uint8_t hv_stack[HV_STACK_BYTES] __attribute__((aligned(16)));
static struct acpi_ports machine_ports;

/* The buffer the final GetMemoryMap writes into, allocated before ExitBootServices. */
static struct {
	EFI_MEMORY_DESCRIPTOR *buf;
	UINTN bytes;
} fw_map;

/* Prints an ASCII message as one line on the firmware console. */
static void say(const char *msg)
{
	CHAR16 buf[256];
	UINTN i;

	for (i = 0; msg[i] && i < 255; i++)
		buf[i] = (CHAR16)msg[i];
	buf[i] = 0;
	Print(L"%s\r\n", buf);
}

/* Returns NULL if VT-x with EPT, unrestricted guest and the preemption timer is usable. */
static const char *check_cpu(void)
{
	struct cpuid_regs r;
	struct vmx_caps c;

	cpu_cpuid(1, 0, &r);
	if (!(r.ecx & (1u << 5)))
		return "CPU has no VT-x (VMX)";
	uint64_t fc = cpu_rdmsr(MSR_IA32_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX))
		return "VT-x is disabled by the firmware (IA32_FEATURE_CONTROL locked)";
	c.basic = cpu_rdmsr(MSR_IA32_VMX_BASIC);
	c.pin = cpu_rdmsr(vmxcap_ctl_msr(c.basic, MSR_IA32_VMX_PINBASED_CTLS));
	c.proc = cpu_rdmsr(vmxcap_ctl_msr(c.basic, MSR_IA32_VMX_PROCBASED_CTLS));
	c.exit = cpu_rdmsr(vmxcap_ctl_msr(c.basic, MSR_IA32_VMX_EXIT_CTLS));
	c.entry = cpu_rdmsr(vmxcap_ctl_msr(c.basic, MSR_IA32_VMX_ENTRY_CTLS));
	c.proc2 = (c.proc >> 32) & PROC_SECONDARY_CONTROLS ? cpu_rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) : 0;
	c.ept_vpid = (c.proc2 >> 32) & PROC2_ENABLE_EPT ? cpu_rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0;
	return vmxcap_missing(&c);
}

/* Reads a whole file from the boot volume into pool memory. Returns NULL on failure. */
static void *read_file(EFI_HANDLE image, const char *path, UINTN *size)
{
	EFI_LOADED_IMAGE *li;
	EFI_FILE_HANDLE root, fh;
	CHAR16 wpath[CFG_PATH_MAX + 1];
	UINTN i;

	for (i = 0; path[i] && i < CFG_PATH_MAX; i++)
		wpath[i] = path[i] == '/' ? L'\\' : (CHAR16)path[i];
	wpath[i] = 0;
	if (uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li) != EFI_SUCCESS)
		return NULL;
	root = LibOpenRoot(li->DeviceHandle);
	if (!root || uefi_call_wrapper(root->Open, 5, root, &fh, wpath, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
		return NULL;
	EFI_FILE_INFO *info = LibFileInfo(fh);
	void *buf = NULL;
	if (info) {
		*size = info->FileSize;
		FreePool(info);
		buf = AllocatePool(*size ? *size : 1);
		if (buf && uefi_call_wrapper(fh->Read, 3, fh, size, buf) != EFI_SUCCESS) {
			FreePool(buf);
			buf = NULL;
		}
	}
	uefi_call_wrapper(fh->Close, 1, fh);
	uefi_call_wrapper(root->Close, 1, root);
	return buf;
}

/*
 * Allocates bytes of pages aligned to align (a power of two), below 4 GiB
 * if low (the hv heap and the RAM of DMA owners: PRD entries hold 32-bit
 * addresses). Returns 0 on failure.
 */
static uint64_t alloc_aligned(uint64_t bytes, uint64_t align, bool low)
{
	EFI_PHYSICAL_ADDRESS pa = low ? 0xffffffffull : 0;
	UINTN pages = (bytes + align) / 4096;

	if (uefi_call_wrapper(BS->AllocatePages, 4, low ? AllocateMaxAddress : AllocateAnyPages,
			      EfiLoaderData, pages, &pa) != EFI_SUCCESS)
		return 0;
	return (pa + align - 1) & ~(align - 1);
}

/*
 * Reserves one page below 1 MiB (and above the real-mode IVT and BDA) for
 * the APs' start-up code: a STARTUP IPI starts an AP in real mode at
 * vector * 4096. Only asked for when the machine has more than one CPU.
 * Returns 0 if there is none to be had (the hv then uses the BSP alone).
 */
static uint64_t alloc_ap_trampoline(void)
{
	EFI_PHYSICAL_ADDRESS pa = 0x9ffff;

	if (boot_info.cpus.n < 2)
		return 0;
	if (uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData, 1, &pa) !=
	    EFI_SUCCESS || pa < 0x1000) {
		Print(L"hv: no free page below 640 KiB for the APs' start-up code: the hv runs on CPU 0 alone\r\n");
		return 0;
	}
	return pa;
}

/* Says why guest cg cannot boot, naming its hv.cfg line (0: its section's). Returns -1. */
static int guest_error(const struct cfg_guest *cg, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	Print(L"hv: hv.cfg:%d: error: guest %a: %a\r\n", line ? line : cg->line, cg->name, msg);
	return -1;
}

/* Gives guest i its RAM. Returns 0, or -1 after saying why. */
static int alloc_guest_ram(const struct cfg_guest *cg, struct boot_guest *bg)
{
	bool dma = cg->devices & (CFG_DEV_IDE0 | CFG_DEV_IDE1);

	bg->ram_bytes = cg->mem_bytes;
	bg->ram_hpa = alloc_aligned(cg->mem_bytes, SZ_2M, dma);
	if (!bg->ram_hpa && dma) {
		Print(L"hv: guest %a: cannot allocate %ld MiB of RAM below 4 GiB (it owns an IDE "
		      L"bus master, whose PRD entries hold 32-bit addresses)\r\n",
		      cg->name, cg->mem_bytes >> 20);
		return -1;
	}
	if (!bg->ram_hpa) {
		Print(L"hv: guest %a: cannot allocate %ld MiB of RAM\r\n", cg->name, cg->mem_bytes >> 20);
		return -1;
	}
	return 0;
}

/* Says what was loaded where for guest cg. */
static void say_loaded(const struct cfg_guest *cg, const struct boot_guest *bg,
		       const struct guestload_result *r)
{
	if (cg->boot == CFG_BOOT_LINUX) {
		Print(L"hv: guest %a: loaded bzImage %a (boot protocol %d.%02d, %ld KiB) at 0x%x, "
		      L"initrd %a (%ld KiB) at 0x%x, zero page 0x%x, %ld MiB RAM\r\n", cg->name,
		      cg->image, r->version >> 8, r->version & 0xff, bg->image_bytes >> 10, bg->entry,
		      cg->initrd[0] ? cg->initrd : "-", bg->initrd_bytes >> 10, r->initrd_gpa,
		      bg->zero_page_gpa, cg->mem_bytes >> 20);
	} else {
		Print(L"hv: guest %a: loaded %a (%ld KiB, ELF%d), entry 0x%x, %ld MiB RAM\r\n", cg->name,
		      cg->image, bg->image_bytes >> 10, r->elf_class, bg->entry, cg->mem_bytes >> 20);
	}
	for (unsigned m = 0; m < bg->nmodules; m++)
		Print(L"hv: guest %a: module %a (%ld bytes) at 0x%x\r\n", cg->name,
		      cg->modules[m].string, bg->modules[m].bytes, r->mods_gpa[m]);
	if (cg->acpi)
		Print(L"hv: guest %a: ACPI tables at 0x%lx\r\n", cg->name, acpitab_gpa(bg->ram_bytes));
}

/*
 * Loads guest cg (Multiboot with its modules, or Linux) into its RAM
 * (hv/guestload.c). Returns 0, or -1 after naming the key at fault.
 */
static int load_into_ram(const struct cfg_guest *cg, struct boot_guest *bg)
{
	struct guestload_result r;

	if (guestload(cg, bg, &r) < 0)
		return guest_error(cg, r.line, "%s", r.msg);
	say_loaded(cg, bg, &r);
	return 0;
}

/* Reads guest cg's Multiboot modules (pristine copies, like the image). Returns 0, or -1 after naming the line. */
static int read_modules(EFI_HANDLE image, const struct cfg_guest *cg, struct boot_guest *bg)
{
	for (int m = 0; m < cg->nmodules; m++) {
		UINTN size = 0;
		void *file = read_file(image, cg->modules[m].path, &size);

		if (!file)
			return guest_error(cg, cg->modules[m].line, "cannot read module %s from the "
					   "boot volume", cg->modules[m].path);
		bg->modules[m] = (struct boot_module){ (uint64_t)(UINTN)file, size };
	}
	bg->nmodules = (uint32_t)cg->nmodules;
	return 0;
}

/* Reads guest i's files, gives it RAM and loads it there. Returns 0, or -1 after saying why. */
static int load_guest(EFI_HANDLE image, int i)
{
	const struct cfg_guest *cg = &boot_info.cfg.guests[i];
	struct boot_guest *bg = &boot_info.guests[i];
	UINTN size = 0;
	void *file = read_file(image, cg->image, &size);

	/* The files stay in pool memory: the pristine copies restarts load again. */
	if (!file)
		return guest_error(cg, cg->image_line, "cannot read image %s from the boot volume",
				   cg->image);
	bg->image_hpa = (uint64_t)(UINTN)file;
	bg->image_bytes = size;
	if (cg->boot == CFG_BOOT_LINUX && cg->initrd[0]) {
		file = read_file(image, cg->initrd, &size);
		if (!file)
			return guest_error(cg, cg->initrd_line, "cannot read initrd %s from the boot "
					   "volume", cg->initrd);
		bg->initrd_hpa = (uint64_t)(UINTN)file;
		bg->initrd_bytes = size;
	}
	if (read_modules(image, cg, bg) < 0 || alloc_guest_ram(cg, bg) < 0)
		return -1;
	return load_into_ram(cg, bg);
}

/* Reads and parses \hv.cfg into boot_info.cfg. Returns 0, or -1 after saying why. */
static int load_config(EFI_HANDLE image)
{
	struct cfg_error err;
	UINTN size = 0;
	char *text = read_file(image, "\\hv.cfg", &size);

	if (!text) {
		say("hv: cannot read \\hv.cfg from the boot volume");
		return -1;
	}
	if (cfg_parse(text, size, &boot_info.cfg, &err) < 0 ||
	    cfg_check_machine_ports(&boot_info.cfg, machine_ports.r, machine_ports.n, &err) < 0 ||
	    cfg_check_cpus(&boot_info.cfg, boot_info.cpus.n, &err) < 0) {
		Print(L"hv: hv.cfg:%d: error: %a\r\n", err.line, err.msg);
		return -1;
	}
	return 0;
}

/* ACPI tables are identity-mapped in the boot stage; refuses what cannot be an address. */
static const void *map_identity(void *ctx, uint64_t pa, uint64_t len)
{
	if (!pa || pa + len < pa || pa + len > (1ull << 48))
		return NULL;
	return (const void *)(UINTN)pa;
}

/* Reads a dword of PCI configuration (mechanism #1) on bus 0. */
static uint32_t pci_read_bus0(void *ctx, unsigned dev, unsigned fn, unsigned reg)
{
	outl(0xcf8, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc));
	return inl(0xcfc);
}

/*
 * Finds the ports that act on the whole machine on this machine only, and
 * lists them. Returns 0, or -1 after saying why: tables that cannot be read
 * leave the hv unable to tell which ports a guest may own, so it stops.
 */
static int find_machine_ports(void)
{
	acpi_ports_init(&machine_ports);
	if (boot_info.rsdp &&
	    acpi_rsdp_ports(boot_info.rsdp, map_identity, NULL, &machine_ports) < 0) {
		Print(L"hv: ACPI tables: %a; cannot tell which ports act on the whole machine\r\n",
		      machine_ports.err);
		return -1;
	}
	/* At TPL_HIGH_LEVEL no firmware event can come between our 0xcf8 and 0xcfc accesses. */
	EFI_TPL tpl = uefi_call_wrapper(BS->RaiseTPL, 1, TPL_HIGH_LEVEL);
	int rc = acpi_pci_ports(pci_read_bus0, NULL, &machine_ports);

	uefi_call_wrapper(BS->RestoreTPL, 1, tpl);
	if (rc < 0) {
		Print(L"hv: %a\r\n", machine_ports.err);
		return -1;
	}
	for (int i = 0; i < machine_ports.n; i++) {
		char line[160];

		fmt_snprintf(line, sizeof(line), "hv: machine-wide ports 0x%x-0x%x: %s",
			     machine_ports.r[i].first, machine_ports.r[i].last, machine_ports.r[i].what);
		say(line);
	}
	return 0;
}

/* Measures the TSC frequency against the firmware's 50 ms stall. */
static uint64_t measure_tsc(void)
{
	uint64_t t0 = cpu_rdtsc();
	uefi_call_wrapper(BS->Stall, 1, 50000);
	return (cpu_rdtsc() - t0) * 20;
}

/* Reads the CPUID leaves tscfreq_choose looks at (those the CPU has). */
static void read_tsc_cpuid(struct tscfreq_cpuid *c)
{
	struct cpuid_regs r;

	cpu_cpuid(0, 0, &r);
	c->max_basic = r.eax;
	cpu_cpuid(1, 0, &r);
	c->leaf1_eax = r.eax;
	c->leaf1_ecx = r.ecx;
	if (c->max_basic >= 0x15) {
		cpu_cpuid(0x15, 0, &r);
		c->l15_eax = r.eax, c->l15_ebx = r.ebx, c->l15_ecx = r.ecx;
	}
	if (c->max_basic >= 0x16) {
		cpu_cpuid(0x16, 0, &r);
		c->l16_eax = r.eax;
	}
	if (c->leaf1_ecx & (1u << 31)) {
		cpu_cpuid(0x40000000, 0, &r);
		c->hv_max = r.eax;
		if (c->hv_max >= TSCFREQ_HV_LEAF && c->hv_max <= 0x400000ff) {
			cpu_cpuid(TSCFREQ_HV_LEAF, 0, &r);
			c->hv_tsc_khz = r.eax;
		}
	}
}

/* Sets boot_info.tsc_hz and tsc_source, and says which source it was. */
static void find_tsc_hz(void)
{
	struct tscfreq_cpuid c = { 0 };
	uint64_t calibrated = measure_tsc();
	const char *src;
	UINTN i;

	read_tsc_cpuid(&c);
	boot_info.tsc_hz = tscfreq_choose(&c, calibrated, &src);
	for (i = 0; src[i] && i < BOOT_TSC_SOURCE_MAX - 1; i++)
		boot_info.tsc_source[i] = src[i];
	boot_info.tsc_source[i] = 0;
	if (boot_info.tsc_hz == calibrated)
		Print(L"hv: TSC %ld kHz from %a\r\n", boot_info.tsc_hz / 1000, boot_info.tsc_source);
	else
		Print(L"hv: TSC %ld kHz from %a (%a: %ld kHz)\r\n", boot_info.tsc_hz / 1000,
		      boot_info.tsc_source, TSCFREQ_CALIBRATED, calibrated / 1000);
}

/* Returns the firmware's wall-clock time in Unix seconds (UTC), or 0. */
static uint64_t wall_time(void)
{
	EFI_TIME t;

	if (uefi_call_wrapper(RT->GetTime, 2, &t, NULL) != EFI_SUCCESS)
		return 0;
	uint64_t s = vcmos_unix_time(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second);
	if (t.TimeZone != EFI_UNSPECIFIED_TIMEZONE)
		s += (int64_t)t.TimeZone * 60;      /* TimeZone is local minus UTC, in minutes, negated */
	return s;
}

/*
 * Allocates, while allocation is still allowed, the buffer the final
 * GetMemoryMap writes into and the room for boot_info's copy of the map,
 * both sized from the firmware's map now plus slack (uefi/bootmem.h).
 * Returns 0, or -1 after saying why.
 */
static int prepare_memory_map(void)
{
	UINTN size = 0, key, desc_size = 0;
	UINT32 desc_ver;
	EFI_STATUS st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, NULL, &key, &desc_size, &desc_ver);
	void *regions = NULL;
	UINTN cap;

	if (st != EFI_BUFFER_TOO_SMALL || desc_size < BOOTMEM_DESC_MIN) {
		Print(L"hv: GetMemoryMap gave status %r, descriptor size %ld\r\n", st, (UINT64)desc_size);
		return -1;
	}
	fw_map.bytes = bootmem_buffer_bytes(size, desc_size);
	cap = fw_map.bytes / desc_size;
	if (uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, fw_map.bytes, (void **)&fw_map.buf) != EFI_SUCCESS ||
	    uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, cap * sizeof(struct boot_mem_region),
			      &regions) != EFI_SUCCESS) {
		Print(L"hv: cannot allocate %ld bytes for the memory map\r\n", (UINT64)fw_map.bytes);
		return -1;
	}
	boot_info.mem_hpa = (uint64_t)(UINTN)regions;
	boot_info.mem_cap = (uint32_t)cap;
	return 0;
}

/*
 * Takes the final memory map and exits boot services. After a failed
 * ExitBootServices only GetMemoryMap (into the buffer allocated before) and
 * ExitBootServices are called again: the firmware may have stopped part of
 * its services (UEFI, "EFI_BOOT_SERVICES.ExitBootServices()"). Returns 0,
 * or -1 with *why.
 */
static int exit_boot_services(EFI_HANDLE image, const char **why)
{
	struct boot_mem_region *regions = (void *)(UINTN)boot_info.mem_hpa;

	for (int attempt = 0; attempt < EBS_ATTEMPTS; attempt++) {
		UINTN size = fw_map.bytes, key, desc_size;
		UINT32 desc_ver;

		if (uefi_call_wrapper(BS->GetMemoryMap, 5, &size, fw_map.buf, &key, &desc_size,
				      &desc_ver) != EFI_SUCCESS) {
			*why = "the memory map outgrew its buffer";
			return -1;
		}
		*why = bootmem_convert(fw_map.buf, size, desc_size, regions, boot_info.mem_cap,
				       &boot_info.nmem, &boot_info.max_phys);
		if (*why)
			return -1;
		/* No firmware call (not even FreePool) may come between GetMemoryMap and this. */
		if (uefi_call_wrapper(BS->ExitBootServices, 2, image, key) == EFI_SUCCESS)
			return 0;
	}
	*why = "the memory map kept changing";
	return -1;
}

/* Returns the configuration table with guid, or 0. */
static uint64_t find_config_table(EFI_GUID *guid)
{
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (!CompareGuid(&t->VendorGuid, guid))
			return (uint64_t)(UINTN)t->VendorTable;
	}
	return 0;
}

/* Finds the ACPI RSDP: the ACPI 2.0 table if the firmware has one, else the 1.0 one. */
static uint64_t find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	uint64_t rsdp = find_config_table(&acpi20);

	return rsdp ? rsdp : find_config_table(&AcpiTableGuid);
}

/* Records where this EFI image is (boot_info.image_base, image_bytes). */
static void find_image(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li;

	if (uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li) == EFI_SUCCESS) {
		boot_info.image_base = (uint64_t)(UINTN)li->ImageBase;
		boot_info.image_bytes = li->ImageSize;
	}
}

/* Says the boot stage gave up (run scripts stop on this line) and returns status. */
static EFI_STATUS boot_failed(EFI_STATUS status)
{
	say("hv: boot stage failed, returning to the firmware");
	return status;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	const char *missing, *why;

	InitializeLib(image, st);
	say("hv: nanokernel boot stage");
	missing = bootmem_paging_problem(cpu_read_cr4());
	if (missing) {
		Print(L"hv: cannot start: %a\r\n", missing);
		return boot_failed(EFI_UNSUPPORTED);
	}
	boot_info.rsdp = find_rsdp();
	if (find_machine_ports() < 0 || cpus_find(&boot_info, map_identity) < 0 ||
	    load_config(image) < 0)
		return boot_failed(EFI_LOAD_ERROR);
	/* The guests' files are input like hv.cfg: their errors come before the CPU's. */
	for (int i = 0; i < boot_info.cfg.nguests; i++)
		if (load_guest(image, i) < 0)
			return boot_failed(EFI_LOAD_ERROR);
	missing = check_cpu();
	if (missing) {
		Print(L"hv: cannot start: %a; the hv needs VT-x with EPT, unrestricted guest and the "
		      L"VMX preemption timer: run under KVM with nested VT-x (kvm_intel nested=1, "
		      L"qemu -cpu host,+vmx) or use the Bochs backend (tools/run --backend bochs)\r\n",
		      missing);
		return boot_failed(EFI_UNSUPPORTED);
	}
	boot_info.heap_bytes = HV_HEAP_BYTES;
	boot_info.heap_base = alloc_aligned(HV_HEAP_BYTES, 4096, true);
	if (!boot_info.heap_base) {
		say("hv: cannot allocate the hv heap");
		return boot_failed(EFI_OUT_OF_RESOURCES);
	}
	boot_info.ap_trampoline = alloc_ap_trampoline();
	boot_info.magic = BOOT_INFO_MAGIC;
	boot_info.version = BOOT_INFO_VERSION;
	boot_info.size = sizeof(boot_info);
	find_image(image);
	find_tsc_hz();
	boot_info.wall_unix = wall_time();
	if (prepare_memory_map() < 0)
		return boot_failed(EFI_OUT_OF_RESOURCES);
	Print(L"hv: ACPI RSDP 0x%lx; exiting boot services\r\n", boot_info.rsdp);
	if (exit_boot_services(image, &why) < 0) {
		/* Boot services may be half gone after a failed attempt: a best-effort line. */
		Print(L"hv: cannot exit boot services: %a\r\n", why);
		return boot_failed(EFI_ABORTED);
	}
	hv_start(&boot_info, hv_stack + sizeof(hv_stack));
}
