/*
 * The MADT parser and the boot CPU list (hv/madt.h has the contract).
 *
 * Layouts: ACPI specification, "Multiple APIC Description Table (MADT)"
 * and its "Interrupt Controller Structure Types": "Processor Local APIC
 * Structure", "I/O APIC Structure", "Interrupt Source Override
 * Structure", "Local APIC Address Override Structure", "Processor Local
 * x2APIC Structure". Every field is read byte by byte (little endian) and
 * only inside its entry, and every entry only inside the table's length:
 * the table comes from the firmware and is believed only as far as it
 * checks out.
 */
#include "madt.h"
#include "fmt.h"
#include "strmem.h"

#define MADT_FIXED        44      /* the SDT header (36), Local Interrupt Controller Address, Flags */
#define MADT_LAPIC_ADDR   36
#define MADT_FLAGS        40

enum madt_type {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_ISO = 2,
	MADT_LAPIC_OVERRIDE = 5,
	MADT_X2APIC = 9,
};

#define MADT_CPU_ENABLED  1u      /* Local APIC Flags: Enabled */

/* The shortest length of each structure type it reads; 0: not read. */
static unsigned madt_min_len(unsigned type)
{
	switch (type) {
	case MADT_LAPIC:          return 8;
	case MADT_IOAPIC:         return 12;
	case MADT_ISO:            return 10;
	case MADT_LAPIC_OVERRIDE: return 12;
	case MADT_X2APIC:         return 16;
	default:                  return 0;
	}
}

static uint32_t madt_get(const uint8_t *p, unsigned bytes)
{
	uint32_t v = 0;

	while (bytes--)
		v = (v << 8) | p[bytes];
	return v;
}

static int madt_fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int madt_fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Adds an enabled processor. Returns 0, or -1 + err if its APIC ID is listed already. */
static int madt_add_cpu(struct boot_madt *m, uint32_t apic, unsigned off, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < m->ncpus; i++)
		if (m->apic_id[i] == apic)
			return madt_fail(err, errlen, "MADT entry at offset %u: APIC ID %u listed twice",
					 off, apic);
	if (m->ncpus == BOOT_MAX_CPUS) {
		m->cpus_beyond++;
		return 0;
	}
	m->apic_id[m->ncpus++] = apic;
	return 0;
}

static int madt_add_ioapic(struct boot_madt *m, const uint8_t *e, unsigned off,
			   char *err, size_t errlen)
{
	struct boot_ioapic *io;

	for (uint32_t i = 0; i < m->nioapic; i++)
		if (m->ioapic[i].id == e[2])
			return madt_fail(err, errlen, "MADT entry at offset %u: I/O APIC ID %u listed twice",
					 off, e[2]);
	if (m->nioapic == BOOT_MAX_IOAPICS)
		return madt_fail(err, errlen, "MADT lists more than %d I/O APICs", BOOT_MAX_IOAPICS);
	io = &m->ioapic[m->nioapic++];
	io->id = e[2];
	io->addr = madt_get(e + 4, 4);
	io->gsi_base = madt_get(e + 8, 4);
	io->reserved = 0;
	return 0;
}

static int madt_add_iso(struct boot_madt *m, const uint8_t *e, char *err, size_t errlen)
{
	struct boot_iso *iso;

	if (m->niso == BOOT_MAX_ISOS)
		return madt_fail(err, errlen, "MADT lists more than %d interrupt source overrides",
				 BOOT_MAX_ISOS);
	iso = &m->iso[m->niso++];
	iso->bus = e[2];
	iso->source = e[3];
	iso->gsi = madt_get(e + 4, 4);
	iso->flags = (uint16_t)madt_get(e + 8, 2);
	return 0;
}

/* Reads the entry e (len bytes, inside the table) at offset off. Returns 0 or -1 + err. */
static int madt_entry(struct boot_madt *m, const uint8_t *e, unsigned len, unsigned off,
		      char *err, size_t errlen)
{
	unsigned min = madt_min_len(e[0]);

	if (len < min)
		return madt_fail(err, errlen, "MADT entry at offset %u (type %u): length %u, shorter "
				 "than the %u bytes of its structure", off, e[0], len, min);
	switch (e[0]) {
	case MADT_LAPIC:
		if (madt_get(e + 4, 4) & MADT_CPU_ENABLED)
			return madt_add_cpu(m, e[3], off, err, errlen);
		return 0;
	case MADT_X2APIC:
		if (madt_get(e + 8, 4) & MADT_CPU_ENABLED)
			return madt_add_cpu(m, madt_get(e + 4, 4), off, err, errlen);
		return 0;
	case MADT_IOAPIC:
		return madt_add_ioapic(m, e, off, err, errlen);
	case MADT_ISO:
		return madt_add_iso(m, e, err, errlen);
	case MADT_LAPIC_OVERRIDE:
		m->lapic_addr = madt_get(e + 4, 4) | (uint64_t)madt_get(e + 8, 4) << 32;
		return 0;
	default:
		return 0;             /* other controllers (NMI sources, GIC, ...): not used */
	}
}

int madt_parse(const void *table, uint64_t avail, struct boot_madt *m, char *err, size_t errlen)
{
	const uint8_t *t = table;
	uint32_t len;
	uint8_t sum = 0;

	memset(m, 0, sizeof(*m));
	if (avail < MADT_FIXED || t[0] != 'A' || t[1] != 'P' || t[2] != 'I' || t[3] != 'C')
		return madt_fail(err, errlen, "MADT: no APIC table header");
	len = madt_get(t + 4, 4);
	if (len < MADT_FIXED)
		return madt_fail(err, errlen, "MADT length %u, shorter than its %u-byte fixed part",
				 len, MADT_FIXED);
	if (len > avail || len > MADT_MAX_BYTES)
		return madt_fail(err, errlen, "MADT length %u beyond the %lu bytes readable", len,
				 (unsigned long)(avail < MADT_MAX_BYTES ? avail : MADT_MAX_BYTES));
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	if (sum)
		return madt_fail(err, errlen, "MADT checksum bad");
	m->lapic_addr = madt_get(t + MADT_LAPIC_ADDR, 4);
	m->flags = madt_get(t + MADT_FLAGS, 4);
	for (uint32_t off = MADT_FIXED; off < len; ) {
		unsigned elen = off + 2 <= len ? t[off + 1] : 0;

		if (off + 2 > len)
			return madt_fail(err, errlen, "MADT entry at offset %u: its header runs past the "
					 "table's %u bytes", off, len);
		if (elen < 2)
			return madt_fail(err, errlen, "MADT entry at offset %u (type %u): length %u",
					 off, t[off], elen);
		if (off + elen > len)
			return madt_fail(err, errlen, "MADT entry at offset %u (type %u, %u bytes) runs "
					 "past the table's %u bytes", off, t[off], elen, len);
		if (madt_entry(m, t + off, elen, off, err, errlen) < 0)
			return -1;
		off += elen;
	}
	m->found = 1;
	return 0;
}

int madt_bsp_first(struct boot_cpus *c, uint32_t bsp_apic)
{
	uint32_t i;

	for (i = 0; i < c->n && c->apic_id[i] != bsp_apic; i++)
		;
	if (i == c->n)
		return -1;
	for (; i > 0; i--)
		c->apic_id[i] = c->apic_id[i - 1];
	c->apic_id[0] = bsp_apic;
	return 0;
}

int madt_cpus(const struct boot_madt *m, uint32_t bsp_apic, struct boot_cpus *c)
{
	memset(c, 0, sizeof(*c));
	c->source = BOOT_CPUS_MADT;
	c->n = m->ncpus;
	c->beyond = m->cpus_beyond;
	memcpy(c->apic_id, m->apic_id, sizeof(c->apic_id));
	return madt_bsp_first(c, bsp_apic);
}

int madt_choose_cpus(const struct boot_cpus *mp, const struct boot_madt *m, uint32_t here,
		     struct boot_cpus *out, char *err, size_t errlen)
{
	if (mp) {
		*out = *mp;
	} else if (m->found && m->ncpus) {
		if (madt_cpus(m, here, out) < 0)
			return madt_fail(err, errlen, "the ACPI MADT does not list the boot CPU "
					 "(APIC ID %u)", here);
	} else {
		memset(out, 0, sizeof(*out));
		out->source = BOOT_CPUS_ASSUMED;
		out->n = 1;
		out->apic_id[0] = here;
	}
	if (!out->n || out->apic_id[0] != here)
		return madt_fail(err, errlen, "the boot stage runs on APIC ID %u, but the BSP is "
				 "APIC ID %u", here, out->apic_id[0]);
	return 0;
}

static const char *madt_source_name(uint32_t source)
{
	switch (source) {
	case BOOT_CPUS_MP_SERVICES: return "from MP Services";
	case BOOT_CPUS_MADT:        return "from the ACPI MADT";
	default:                    return "assumed: no MP Services, no MADT";
	}
}

void madt_describe_cpus(const struct boot_cpus *c, char *buf, size_t len)
{
	size_t at;
	uint32_t n = c->n ? c->n : 1;

	at = (size_t)fmt_snprintf(buf, len, "%u (APIC ID%s ", n, n > 1 ? "s" : "");
	for (uint32_t i = 0; i < n && at < len; i++)
		at += (size_t)fmt_snprintf(buf + at, len - at, "%s%u", i ? ", " : "", c->apic_id[i]);
	if (at < len)
		fmt_snprintf(buf + at, len - at, "; BSP %u) %s", c->apic_id[0],
			     madt_source_name(c->source));
}
