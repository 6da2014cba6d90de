/*
 * Fuzz target: the MADT parser and the boot CPU list (hv/madt.c).
 * Input: byte 0 chooses (bit 0) whether the harness writes the table's
 * length and checksum so that the entries are reached, and (bits 7:1) which
 * listed CPU plays the BSP; the rest is the table, given to madt_parse
 * with exactly its own size readable (ASan sees any read past it).
 *
 * Invariants (ACPI specification, "Multiple APIC Description Table
 * (MADT)"): a success means the signature, the length (44 ..readable) and
 * the checksum hold, and found = 1; the CPUs, I/O APICs and overrides are
 * exactly those of a reference walk of the entries written here (enabled
 * Processor Local APIC and x2APIC entries in table order, the first 64
 * kept, the rest counted), APIC IDs and I/O APIC IDs unique; a failure
 * leaves found = 0 and a non-empty message. madt_cpus puts the chosen BSP
 * first and keeps the others' order; the description is NUL-terminated.
 */
#include <string.h>

#include "fuzz.h"
#include "madt.h"

static uint32_t get(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The reference walk of a table that parsed: counts what madt_parse must have kept. */
static void check_walk(const uint8_t *t, uint32_t len, const struct boot_madt *m)
{
	uint32_t ncpu = 0, nio = 0, niso = 0, beyond = 0;
	uint64_t lapic = get(t + 36, 4);

	for (uint32_t off = 44; off < len; off += t[off + 1]) {
		const uint8_t *e = t + off;

		FUZZ_CHECK(off + 2 <= len && e[1] >= 2 && off + e[1] <= len,
			   "a table with a bad entry at %u parsed", off);
		if ((e[0] == 0 && (get(e + 4, 4) & 1)) || (e[0] == 9 && (get(e + 8, 4) & 1))) {
			uint32_t id = e[0] == 0 ? e[3] : get(e + 4, 4);

			if (ncpu < BOOT_MAX_CPUS) {
				FUZZ_CHECK(m->apic_id[ncpu] == id, "CPU %u: APIC ID %u, table %u",
					   ncpu, m->apic_id[ncpu], id);
				ncpu++;
			} else {
				beyond++;
			}
		} else if (e[0] == 1) {
			FUZZ_CHECK(nio < m->nioapic && m->ioapic[nio].id == e[2] &&
				   m->ioapic[nio].addr == get(e + 4, 4) &&
				   m->ioapic[nio].gsi_base == get(e + 8, 4), "I/O APIC %u differs", nio);
			nio++;
		} else if (e[0] == 2) {
			FUZZ_CHECK(niso < m->niso && m->iso[niso].source == e[3] &&
				   m->iso[niso].gsi == get(e + 4, 4) &&
				   m->iso[niso].flags == get(e + 8, 2), "override %u differs", niso);
			niso++;
		} else if (e[0] == 5) {
			lapic = get(e + 4, 4) | (uint64_t)get(e + 8, 4) << 32;
		}
	}
	FUZZ_CHECK(ncpu == m->ncpus && beyond == m->cpus_beyond, "CPUs %u+%u, walk %u+%u",
		   m->ncpus, m->cpus_beyond, ncpu, beyond);
	FUZZ_CHECK(nio == m->nioapic && niso == m->niso, "I/O APICs %u overrides %u, walk %u %u",
		   m->nioapic, m->niso, nio, niso);
	FUZZ_CHECK(lapic == m->lapic_addr, "LAPIC 0x%llx, walk 0x%llx",
		   (unsigned long long)m->lapic_addr, (unsigned long long)lapic);
	for (uint32_t i = 0; i < m->ncpus; i++)
		for (uint32_t j = i + 1; j < m->ncpus; j++)
			FUZZ_CHECK(m->apic_id[i] != m->apic_id[j], "APIC ID %u twice", m->apic_id[i]);
	for (uint32_t i = 0; i < m->nioapic; i++)
		for (uint32_t j = i + 1; j < m->nioapic; j++)
			FUZZ_CHECK(m->ioapic[i].id != m->ioapic[j].id, "I/O APIC ID %u twice",
				   m->ioapic[i].id);
}

static void check_cpus(const struct boot_madt *m, unsigned pick)
{
	struct boot_cpus c;
	char line[96];
	uint32_t bsp, k;

	if (!m->ncpus)
		return;
	k = pick % m->ncpus;
	bsp = m->apic_id[k];
	FUZZ_CHECK(madt_cpus(m, bsp, &c) == 0, "BSP %u not found", bsp);
	FUZZ_CHECK(c.n == m->ncpus && c.apic_id[0] == bsp, "BSP %u at 0 of %u", c.apic_id[0], c.n);
	for (uint32_t i = 0, o = 1; i < m->ncpus; i++) {
		if (i == k)
			continue;
		FUZZ_CHECK(c.apic_id[o] == m->apic_id[i], "order: %u at %u", m->apic_id[i], o);
		o++;
	}
	memset(line, 'x', sizeof(line));
	madt_describe_cpus(&c, line, sizeof(line));
	FUZZ_CHECK(memchr(line, 0, sizeof(line)) != NULL, "description not terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_madt m;
	char err[MADT_ERR_MAX];
	uint8_t *t;
	uint32_t len;
	int rc;

	if (size < 1)
		return 0;
	size--;
	t = malloc(size ? size : 1);
	memcpy(t, data + 1, size);
	if ((data[0] & 1) && size >= 44) {
		uint8_t s = 0;

		memcpy(t, "APIC", 4);
		t[4] = (uint8_t)size, t[5] = (uint8_t)(size >> 8), t[6] = (uint8_t)(size >> 16), t[7] = 0;
		t[9] = 0;
		for (size_t i = 0; i < size; i++)
			s = (uint8_t)(s + t[i]);
		t[9] = (uint8_t)-s;
	}
	err[0] = 0;
	rc = madt_parse(t, size, &m, err, sizeof(err));
	if (rc == 0) {
		len = get(t + 4, 4);
		FUZZ_CHECK(size >= 44 && !memcmp(t, "APIC", 4) && len >= 44 && len <= size,
			   "a table of length %u (%zu readable) parsed", len, size);
		FUZZ_CHECK(m.found == 1 && m.ncpus <= BOOT_MAX_CPUS && m.nioapic <= BOOT_MAX_IOAPICS &&
			   m.niso <= BOOT_MAX_ISOS, "counts out of range");
		check_walk(t, len, &m);
		check_cpus(&m, data[0] >> 1);
	} else {
		FUZZ_CHECK(rc == -1 && !m.found && err[0] && memchr(err, 0, sizeof(err)),
			   "failure %d without a message", rc);
	}
	free(t);
	return 0;
}
