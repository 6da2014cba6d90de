/*
 * acpi: finds the RSDP by the BIOS-area scan (the first KiB of the EBDA,
 * whose segment the BDA holds at 0x40e, then 0xe0000-0xfffff, 16-byte
 * steps), follows it to the XSDT (or the RSDT) and prints what the MADT
 * and the FADT say, checking every checksum on the way.
 *
 *   test=acpi [poweroff=1]
 *
 * poweroff=1: then powers off the ACPI way: SLP_TYPa from the DSDT's \_S5
 * package with SLP_EN into PM1a_CNT (as an OS does); it exits with status
 * 1 if it is still running after that.
 *
 * Under the hv the scan must find the RSDP in the EBDA: the PC hole may
 * not be mapped.
 */
#include "tguest.h"

static struct checks ck = { .prefix = "acpi" };

static uint32_t get(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static int sig(const uint8_t *p, const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i] != (uint8_t)s[i])
			return 0;
	return 1;
}

/* The first RSDP with a good checksum in [from, from + len), or NULL. */
static const uint8_t *scan(uint32_t from, uint32_t len)
{
	for (uint32_t a = from; a + 20 <= from + len; a += 16)
		if (sig((const uint8_t *)a, "RSD PTR ", 8) && sum((const uint8_t *)a, 20) == 0)
			return (const uint8_t *)a;
	return 0;
}

static const uint8_t *find_rsdp(const char **where)
{
	uint32_t bda = 0x40e, ebda;
	const uint8_t *r = 0;

	__asm__("" : "+r"(bda));        /* an address the compiler may not reason about */
	ebda = (uint32_t)*(const volatile uint16_t *)bda << 4;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		r = scan(ebda, 1024);
	*where = "ebda";
	if (!r) {
		r = scan(0xe0000, 0x20000);
		*where = "bios area";
	}
	return r;
}

/* A description table: checks its checksum; prints it. */
static const uint8_t *table(uint32_t pa)
{
	const uint8_t *t = (const uint8_t *)pa;
	uint32_t len = get(t + 4, 4);

	tg_printf("acpi: table %c%c%c%c at 0x%x len %u rev %u\n", t[0], t[1], t[2], t[3], pa, len, t[8]);
	check(&ck, "table checksum", len >= 36 && sum(t, len) == 0, "%c%c%c%c", t[0], t[1], t[2], t[3]);
	return t;
}

/* Finds the table with signature s listed by the root table (entries of entry bytes). */
static const uint8_t *find(const uint8_t *root, unsigned entry, const char *s)
{
	uint32_t len = get(root + 4, 4);

	for (uint32_t off = 36; off + entry <= len; off += entry) {
		uint32_t pa = get(root + off, 4);       /* below 4 GiB: a 32-bit guest reads no more */
		if (pa && sig((const uint8_t *)pa, s, 4))
			return table(pa);
	}
	return 0;
}

static void show_madt(const uint8_t *m)
{
	uint32_t len = get(m + 4, 4);
	unsigned lapics = 0, ioapic_ok = 0, iso0 = 0;

	tg_printf("acpi: madt lapic 0x%x flags 0x%x\n", get(m + 36, 4), get(m + 40, 4));
	for (uint32_t off = 44; off + 2 <= len && m[off + 1] >= 2; off += m[off + 1]) {
		const uint8_t *e = m + off;

		if (e[0] == 0) {
			tg_printf("acpi: madt lapic uid %u id %u flags 0x%x\n", e[2], e[3], get(e + 4, 4));
			lapics += get(e + 4, 4) & 1;
		} else if (e[0] == 1) {
			tg_printf("acpi: madt ioapic id %u addr 0x%x gsi %u\n", e[2], get(e + 4, 4), get(e + 8, 4));
			ioapic_ok |= get(e + 4, 4) == 0xfec00000u;
		} else if (e[0] == 2) {
			tg_printf("acpi: madt iso irq %u gsi %u flags 0x%x\n", e[3], get(e + 4, 4), get(e + 8, 2));
			iso0 |= e[3] == 0 && get(e + 4, 4) == 2;
		} else if (e[0] == 4) {
			tg_printf("acpi: madt nmi uid 0x%x flags 0x%x lint %u\n", e[2], get(e + 3, 2), e[5]);
		} else {
			tg_printf("acpi: madt entry type %u len %u\n", e[0], e[1]);
		}
	}
	check(&ck, "madt lapic", get(m + 36, 4) == 0xfee00000u && lapics == 1, "address 0x%x, %u enabled",
	      get(m + 36, 4), lapics);
	check(&ck, "madt ioapic", ioapic_ok, "none at 0xfec00000");
	check(&ck, "madt irq0 on gsi 2", iso0, "no such override");
}

/* Returns SLP_TYPa of the DSDT's \_S5 package, or -1. */
static int s5_type(const uint8_t *dsdt)
{
	uint32_t len = get(dsdt + 4, 4);

	for (uint32_t i = 36; i + 10 < len; i++) {
		const uint8_t *p = dsdt + i;

		if (!sig(p, "_S5_", 4) || p[4] != 0x12)        /* PackageOp */
			continue;
		p += 5 + 1 + ((p[5] >> 6) & 3) + 1;             /* PkgLength, NumElements */
		if (*p == 0x0a)
			return p[1];                            /* BytePrefix */
		return *p == 0x01 ? 1 : *p == 0x00 ? 0 : -1;    /* OneOp, ZeroOp */
	}
	return -1;
}

static void show_fadt_and_power_off(const uint8_t *f)
{
	uint32_t cnt = get(f + 64, 4);
	const uint8_t *dsdt = table(get(f + 40, 4));
	int typ = s5_type(dsdt);

	tg_printf("acpi: fadt sci %u smi_cmd 0x%x pm1a_evt 0x%x pm1a_cnt 0x%x pm_tmr 0x%x century 0x%x "
		  "boot_arch 0x%x flags 0x%x\n", get(f + 46, 2), get(f + 48, 4), get(f + 56, 4), cnt,
		  get(f + 76, 4), f[108], get(f + 109, 2), get(f + 112, 4));
	if (get(f + 4, 4) >= 129)
		tg_printf("acpi: fadt reset space %u port 0x%x value 0x%x\n", f[116], get(f + 120, 4), f[128]);
	tg_printf("acpi: dsdt s5 slp_typ %d\n", typ);
	check(&ck, "fadt pm1a control", cnt != 0 && typ >= 0, "PM1a_CNT 0x%x, \\_S5 %d", cnt, typ);
	if (!arg_u32("poweroff", 0) || ck.failed)
		return;
	tg_printf("acpi: powering off (PM1a_CNT 0x%x = 0x%x)\n", cnt, (unsigned)(typ << 10 | 1u << 13));
	outw((uint16_t)cnt, (uint16_t)(typ << 10 | 1u << 13));
	delay_us(100000);
	tg_fail_exit(1, "acpi: FAIL still running after the power-off\n");
}

void test_acpi(void)
{
	const char *where;
	const uint8_t *r = find_rsdp(&where), *root, *madt, *fadt;
	unsigned entry;

	if (!check(&ck, "rsdp found", r != 0, "no RSDP in the EBDA or 0xe0000-0xfffff"))
		checks_finish(&ck);
	tg_printf("acpi: rsdp at 0x%x (%s) rev %u oem %c%c%c%c%c%c\n", (uint32_t)r, where, r[15],
		  r[9], r[10], r[11], r[12], r[13], r[14]);
	if (r[15] >= 2 && get(r + 24, 4)) {
		check(&ck, "rsdp extended checksum", sum(r, get(r + 20, 4)) == 0, "length %u", get(r + 20, 4));
		root = table(get(r + 24, 4));
		entry = 8;
	} else {
		root = table(get(r + 16, 4));
		entry = 4;
	}
	madt = find(root, entry, "APIC");
	fadt = find(root, entry, "FACP");
	if (check(&ck, "madt found", madt != 0, "not listed"))
		show_madt(madt);
	if (check(&ck, "fadt found", fadt != 0, "not listed"))
		show_fadt_and_power_off(fadt);
	checks_finish(&ck);
}
