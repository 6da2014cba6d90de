/*
 * Finds the machine's CPUs (uefi/cpus.h has the contract).
 *
 * MP Services: the UEFI Platform Initialization specification, Volume 2,
 * "EFI_MP_SERVICES_PROTOCOL" (GetNumberOfProcessors, GetProcessorInfo and
 * EFI_PROCESSOR_INFORMATION, whose ProcessorId is the CPU's APIC ID).
 * gnu-efi does not declare the protocol, so its first two functions and
 * the structure are declared here as the specification lays them out.
 * OVMF installs it (its CpuMpPei/CpuDxe), also under Bochs, which has no
 * ACPI tables. The MADT (hv/madt.c) gives the interrupt controllers, and
 * the CPUs when MP Services are missing.
 */
#include <efi.h>
#include <efilib.h>

#include "cpus.h"
#include "fmt.h"
#include "strmem.h"
#include "../hv/acpi.h"
#include "../hv/cpu.h"
#include "../hv/madt.h"

#define MP_SERVICES_GUID \
	{ 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

/* EFI_PROCESSOR_INFORMATION.StatusFlag bits. */
#define PROCESSOR_AS_BSP_BIT          0x1u
#define PROCESSOR_ENABLED_BIT         0x2u
#define PROCESSOR_HEALTH_STATUS_BIT   0x4u

struct efi_processor_information {
	UINT64 processor_id;          /* the APIC ID */
	UINT32 status_flag;
	UINT32 package, core, thread; /* EFI_CPU_PHYSICAL_LOCATION */
	UINT32 extended[6];           /* PI 1.7 ExtendedInformation: written only on request; room */
};

struct efi_mp_services;
typedef EFI_STATUS (EFIAPI *mp_get_number_fn)(struct efi_mp_services *self, UINTN *n,
					       UINTN *enabled);
typedef EFI_STATUS (EFIAPI *mp_get_info_fn)(struct efi_mp_services *self, UINTN index,
					     struct efi_processor_information *info);

struct efi_mp_services {
	mp_get_number_fn get_number_of_processors;
	mp_get_info_fn get_processor_info;
	void *startup_all_aps, *startup_this_ap, *switch_bsp, *enable_disable_ap, *who_am_i;
};

static void cpus_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void cpus_say(const char *fmt, ...)
{
	char line[256];
	CHAR16 wide[256];
	va_list ap;
	UINTN i;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (i = 0; line[i] && i < 255; i++)
		wide[i] = (CHAR16)line[i];
	wide[i] = 0;
	Print(L"%s\r\n", wide);
}

/* The APIC ID of the CPU running this: CPUID 0xB's x2APIC ID where it exists, else 1's initial ID. */
static uint32_t cpus_this_apic_id(void)
{
	struct cpuid_regs r;

	cpu_cpuid(0, 0, &r);
	if (r.eax >= 0xb) {
		cpu_cpuid(0xb, 0, &r);
		if (r.ebx)            /* a leaf 0xB with no levels reads all zero */
			return r.edx;
	}
	cpu_cpuid(1, 0, &r);
	return r.ebx >> 24;
}

/*
 * Lists the CPUs through MP Services. Returns 1 if it filled c, 0 if the
 * firmware has no MP Services, -1 after saying why they failed.
 */
static int cpus_from_mp_services(struct boot_cpus *c)
{
	EFI_GUID guid = MP_SERVICES_GUID;
	struct efi_mp_services *mp;
	UINTN n = 0, enabled = 0;
	EFI_STATUS st;
	int bsp = -1;

	if (uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&mp) != EFI_SUCCESS)
		return 0;
	st = uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &n, &enabled);
	if (st != EFI_SUCCESS || n == 0) {
		cpus_say("hv: MP Services: GetNumberOfProcessors failed (status 0x%lx, %lu CPUs)",
			 (unsigned long)st, (unsigned long)n);
		return -1;
	}
	memset(c, 0, sizeof(*c));
	c->source = BOOT_CPUS_MP_SERVICES;
	for (UINTN i = 0; i < n; i++) {
		struct efi_processor_information info;
		uint32_t want = PROCESSOR_ENABLED_BIT | PROCESSOR_HEALTH_STATUS_BIT;

		memset(&info, 0, sizeof(info));
		st = uefi_call_wrapper(mp->get_processor_info, 3, mp, i, &info);
		if (st != EFI_SUCCESS) {
			cpus_say("hv: MP Services: GetProcessorInfo(%lu) failed (status 0x%lx)",
				 (unsigned long)i, (unsigned long)st);
			return -1;
		}
		if ((info.status_flag & want) != want) {
			c->disabled++;
			continue;
		}
		if (c->n == BOOT_MAX_CPUS) {
			c->beyond++;
			continue;
		}
		if (info.status_flag & PROCESSOR_AS_BSP_BIT)
			bsp = (int)c->n;
		c->apic_id[c->n++] = (uint32_t)info.processor_id;
	}
	if (bsp < 0 || madt_bsp_first(c, c->apic_id[bsp]) < 0) {
		cpus_say("hv: MP Services: no enabled processor is the BSP");
		return -1;
	}
	return 1;
}

/* Reads the MADT into bi->madt if the machine has one. Returns 0, or -1 after saying why. */
static int cpus_read_madt(struct boot_info *bi, acpi_map_fn map)
{
	struct acpi_ports p;
	char err[MADT_ERR_MAX];
	uint32_t len = 0;
	const void *t;

	memset(&bi->madt, 0, sizeof(bi->madt));
	if (!bi->rsdp)
		return 0;
	t = acpi_find_table(bi->rsdp, "APIC", MADT_MAX_BYTES, map, NULL, &p, &len);
	if (!t && p.err[0]) {
		cpus_say("hv: ACPI tables: %s; cannot read the MADT", p.err);
		return -1;
	}
	if (t && madt_parse(t, len, &bi->madt, err, sizeof(err)) < 0) {
		cpus_say("hv: ACPI %s", err);
		return -1;
	}
	return 0;
}

/* Says which interrupt controllers the MADT lists. */
static void cpus_say_madt(const struct boot_madt *m)
{
	if (!m->found) {
		cpus_say("hv: no ACPI MADT: LAPIC and IOAPIC at their architectural addresses "
			 "(0xfee00000, 0xfec00000), the 8259 pair");
		return;
	}
	cpus_say("hv: MADT: local APICs at 0x%lx, %u I/O APIC(s), %u interrupt source override(s)%s",
		 (unsigned long)m->lapic_addr, m->nioapic, m->niso,
		 m->flags & 1 ? ", 8259 pair present (PCAT_COMPAT)" : "");
	for (uint32_t i = 0; i < m->nioapic; i++)
		cpus_say("hv: IOAPIC ID %u at 0x%x, GSIs from %u", m->ioapic[i].id, m->ioapic[i].addr,
			 m->ioapic[i].gsi_base);
}

int cpus_find(struct boot_info *bi, acpi_map_fn map)
{
	struct boot_cpus mp;
	char line[200];
	int rc;

	if (cpus_read_madt(bi, map) < 0)
		return -1;
	rc = cpus_from_mp_services(&mp);
	if (rc < 0)
		return -1;
	if (madt_choose_cpus(rc ? &mp : NULL, &bi->madt, cpus_this_apic_id(), &bi->cpus,
			     line, sizeof(line)) < 0) {
		cpus_say("hv: %s", line);
		return -1;
	}
	madt_describe_cpus(&bi->cpus, line, sizeof(line));
	cpus_say("hv: CPUs: %s", line);
	if (bi->cpus.disabled)
		cpus_say("hv: %u more CPU(s) listed but disabled or unhealthy: not used",
			 bi->cpus.disabled);
	if (bi->cpus.beyond)
		cpus_say("hv: %u more CPU(s) past the first %d: not used", bi->cpus.beyond,
			 BOOT_MAX_CPUS);
	cpus_say_madt(&bi->madt);
	return 0;
}
