/*
 * The boot stage: the only code that calls UEFI. It checks the CPU, reads
 * \hv.cfg and the guest images from the ESP, gives each guest its RAM and
 * loads it there, reserves the hv's heap, measures the TSC, exits boot
 * services and hands a struct boot_info to hv_main.
 *
 * Every failure here prints one line naming the cause and returns to the
 * firmware: nothing has been taken over yet.
 */
#include <efi.h>
#include <efilib.h>

#include "boot_info.h"
#include "hvcfg.h"
#include "../hv/cpu.h"
#include "../hv/vmxcap.h"
#include "../hv/mbload.h"
#include "../hv/vcmos.h"

#define HV_HEAP_BYTES   (8ull << 20)
#define HV_STACK_BYTES  (64 * 1024)
#define SZ_2M           0x200000ull

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);
void hv_start(struct boot_info *bi, void *stack_top) __attribute__((noreturn));

static struct boot_info boot_info;
static uint8_t hv_stack[HV_STACK_BYTES] __attribute__((aligned(16)));

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
 * if low (the hv heap: PRD tables hold 32-bit addresses). Returns 0 on failure.
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

/* Reads, allocates and loads guest i. Returns 0, or -1 after saying why. */
static int load_guest(EFI_HANDLE image, int i)
{
	const struct cfg_guest *cg = &boot_info.cfg.guests[i];
	struct boot_guest *bg = &boot_info.guests[i];
	struct mbload_result res;
	const char *err = "";
	UINTN size = 0;
	void *file = read_file(image, cg->image, &size);

	if (!file) {
		Print(L"hv: guest %a: cannot read image %a from the boot volume\r\n", cg->name, cg->image);
		return -1;
	}
	bg->ram_bytes = cg->mem_bytes;
	bg->ram_hpa = alloc_aligned(cg->mem_bytes, SZ_2M, false);
	if (!bg->ram_hpa) {
		Print(L"hv: guest %a: cannot allocate %ld MiB of RAM\r\n", cg->name, cg->mem_bytes >> 20);
		return -1;
	}
	if (mbload(file, size, (void *)(UINTN)bg->ram_hpa, bg->ram_bytes, cg->cmdline, &res, &err) < 0) {
		Print(L"hv: guest %a: image %a: %a\r\n", cg->name, cg->image, err);
		return -1;
	}
	bg->image_hpa = (uint64_t)(UINTN)file;
	bg->image_bytes = size;
	bg->entry = res.entry;
	bg->mbi_gpa = res.mbi_gpa;
	Print(L"hv: guest %a: loaded %a (%ld KiB, ELF%d), entry 0x%x, %ld MiB RAM\r\n", cg->name,
	      cg->image, (UINT64)size >> 10, res.elf_class, res.entry, cg->mem_bytes >> 20);
	return 0;
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
	if (cfg_parse(text, size, &boot_info.cfg, &err) < 0) {
		Print(L"hv: hv.cfg:%d: error: %a\r\n", err.line, err.msg);
		return -1;
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

/* Converts the UEFI memory map into boot_info.mem. */
static void record_memory_map(EFI_MEMORY_DESCRIPTOR *map, UINTN map_size, UINTN desc_size)
{
	boot_info.nmem = 0;
	for (UINTN off = 0; off < map_size && boot_info.nmem < BOOT_MEM_MAX; off += desc_size) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)((uint8_t *)map + off);
		struct boot_mem_region *r = &boot_info.mem[boot_info.nmem++];
		r->base = d->PhysicalStart;
		r->bytes = d->NumberOfPages * 4096;
		switch (d->Type) {
		case EfiConventionalMemory: case EfiBootServicesCode: case EfiBootServicesData:
			r->type = BOOT_MEM_USABLE; break;
		case EfiLoaderCode: case EfiLoaderData:
			r->type = BOOT_MEM_HV; break;
		case EfiACPIReclaimMemory:
			r->type = BOOT_MEM_ACPI; break;
		default:
			r->type = BOOT_MEM_RESERVED; break;
		}
		if (r->type != BOOT_MEM_RESERVED && r->base + r->bytes > boot_info.max_phys)
			boot_info.max_phys = r->base + r->bytes;
	}
}

/* Takes the final memory map and exits boot services. Returns 0 or -1. */
static int exit_boot_services(EFI_HANDLE image)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		UINTN map_size = 0, key, desc_size;
		UINT32 desc_ver;
		EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&map_size, &key, &desc_size, &desc_ver);
		if (!map)
			return -1;
		record_memory_map(map, map_size, desc_size);
		/* No firmware call (not even FreePool) may come between GetMemoryMap and this. */
		if (uefi_call_wrapper(BS->ExitBootServices, 2, image, key) == EFI_SUCCESS)
			return 0;
	}
	return -1;
}

/* Finds the ACPI RSDP in the configuration table (2.0 first). */
static uint64_t find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;

	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (!CompareGuid(&t->VendorGuid, &AcpiTableGuid) ||
		    !CompareGuid(&t->VendorGuid, &acpi20))
			return (uint64_t)(UINTN)t->VendorTable;
	}
	return 0;
}

/* Says the boot stage gave up (run scripts stop on this line) and returns status. */
static EFI_STATUS boot_failed(EFI_STATUS status)
{
	say("hv: boot stage failed, returning to the firmware");
	return status;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	const char *missing;

	InitializeLib(image, st);
	say("hv: nanokernel boot stage");
	missing = check_cpu();
	if (missing) {
		Print(L"hv: cannot start: %a; the hv needs VT-x with EPT, unrestricted guest and the "
		      L"VMX preemption timer: run under KVM with nested VT-x (kvm_intel nested=1, "
		      L"qemu -cpu host,+vmx) or use the Bochs backend (tools/run --backend bochs)\r\n",
		      missing);
		return boot_failed(EFI_UNSUPPORTED);
	}
	if (load_config(image) < 0)
		return boot_failed(EFI_LOAD_ERROR);
	for (int i = 0; i < boot_info.cfg.nguests; i++)
		if (load_guest(image, i) < 0)
			return boot_failed(EFI_LOAD_ERROR);
	boot_info.heap_bytes = HV_HEAP_BYTES;
	boot_info.heap_base = alloc_aligned(HV_HEAP_BYTES, 4096, true);
	if (!boot_info.heap_base) {
		say("hv: cannot allocate the hv heap");
		return boot_failed(EFI_OUT_OF_RESOURCES);
	}
	boot_info.magic = BOOT_INFO_MAGIC;
	boot_info.version = BOOT_INFO_VERSION;
	boot_info.size = sizeof(boot_info);
	boot_info.tsc_hz = measure_tsc();
	boot_info.wall_unix = wall_time();
	boot_info.rsdp = find_rsdp();
	Print(L"hv: TSC %ld kHz, ACPI RSDP 0x%lx; exiting boot services\r\n",
	      boot_info.tsc_hz / 1000, boot_info.rsdp);
	if (exit_boot_services(image) < 0) {
		say("hv: ExitBootServices failed");
		return boot_failed(EFI_ABORTED);
	}
	hv_start(&boot_info, hv_stack + sizeof(hv_stack));
}
