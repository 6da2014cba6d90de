/*
 * The machine's power-management ports, from the ACPI tables and the PCI
 * configuration of the chipset (hv/acpi.h has the contract).
 *
 * Table layouts: ACPI specification, "Root System Description Pointer
 * (RSDP) Structure", "System Description Table Header", "Fixed ACPI
 * Description Table (FADT)" and "Generic Address Structure (GAS)".
 * Every field is read byte by byte (little endian), and only when the
 * table's length covers it: a revision 1 FADT (116 bytes) has no X_ fields.
 *
 * Both the 32-bit block addresses and the X_ fields are taken: a firmware
 * may fill both with different values, and reserving a port too many costs
 * less than giving a guest the machine's power switch.
 */
#include "acpi.h"
#include "fmt.h"

#define SDT_HEADER        36
#define RSDP_V1_LEN       20
#define RSDP_V2_LEN       36
#define RSDP_MAX          1024
#define FADT_V1_LEN       116
#define GAS_LEN           12
#define GAS_SPACE_IO      1
#define IO_TOP            0xffffu

/* FADT offsets (ACPI "Fixed ACPI Description Table (FADT)"). */
#define FADT_SMI_CMD      48
#define FADT_PM1A_EVT     56
#define FADT_PM1B_EVT     60
#define FADT_PM1A_CNT     64
#define FADT_PM1B_CNT     68
#define FADT_PM2_CNT      72
#define FADT_PM_TMR       76
#define FADT_GPE0         80
#define FADT_GPE1         84
#define FADT_PM1_EVT_LEN  88
#define FADT_PM1_CNT_LEN  89
#define FADT_PM2_CNT_LEN  90
#define FADT_PM_TMR_LEN   91
#define FADT_GPE0_LEN     92
#define FADT_GPE1_LEN     93
#define FADT_RESET_REG    116
#define FADT_X_PM1A_EVT   148
#define FADT_SLEEP_CTL    244
#define FADT_SLEEP_STS    256

/* One PM register block: where its 32-bit and X_ fields are and how long it is. */
struct acpi_block {
	const char *what;
	unsigned addr32;          /* offset of the 32-bit port field, 0: none */
	unsigned gas;             /* offset of the GAS (X_ field or register), 0: none */
	int len_off;              /* offset of its length byte, -1: fixed */
	unsigned len_min;         /* length when the byte is 0 or there is none */
};

static const struct acpi_block acpi_blocks[] = {
	{ "ACPI SMI command (FADT)",    FADT_SMI_CMD,  0, -1, 1 },
	{ "ACPI PM1a event (FADT)",     FADT_PM1A_EVT, FADT_X_PM1A_EVT + 0 * GAS_LEN, FADT_PM1_EVT_LEN, 4 },
	{ "ACPI PM1b event (FADT)",     FADT_PM1B_EVT, FADT_X_PM1A_EVT + 1 * GAS_LEN, FADT_PM1_EVT_LEN, 4 },
	{ "ACPI PM1a control (FADT)",   FADT_PM1A_CNT, FADT_X_PM1A_EVT + 2 * GAS_LEN, FADT_PM1_CNT_LEN, 2 },
	{ "ACPI PM1b control (FADT)",   FADT_PM1B_CNT, FADT_X_PM1A_EVT + 3 * GAS_LEN, FADT_PM1_CNT_LEN, 2 },
	{ "ACPI PM2 control (FADT)",    FADT_PM2_CNT,  FADT_X_PM1A_EVT + 4 * GAS_LEN, FADT_PM2_CNT_LEN, 1 },
	{ "ACPI PM timer (FADT)",       FADT_PM_TMR,   FADT_X_PM1A_EVT + 5 * GAS_LEN, FADT_PM_TMR_LEN, 4 },
	{ "ACPI GPE0 block (FADT)",     FADT_GPE0,     FADT_X_PM1A_EVT + 6 * GAS_LEN, FADT_GPE0_LEN, 1 },
	{ "ACPI GPE1 block (FADT)",     FADT_GPE1,     FADT_X_PM1A_EVT + 7 * GAS_LEN, FADT_GPE1_LEN, 1 },
	{ "ACPI reset register (FADT)", 0, FADT_RESET_REG, -1, 1 },
	{ "ACPI sleep control (FADT)",  0, FADT_SLEEP_CTL, -1, 1 },
	{ "ACPI sleep status (FADT)",   0, FADT_SLEEP_STS, -1, 1 },
};

static uint32_t acpi_get(const uint8_t *p, unsigned bytes)
{
	uint32_t v = 0;

	while (bytes--)
		v = (v << 8) | p[bytes];
	return v;
}

static uint64_t acpi_get64(const uint8_t *p)
{
	return acpi_get(p, 4) | (uint64_t)acpi_get(p + 4, 4) << 32;
}

static bool acpi_sig(const uint8_t *p, const char *sig, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i] != (uint8_t)sig[i])
			return false;
	return true;
}

/* A signature byte as messages show it: printable ASCII, else '?'. */
static char acpi_show(uint8_t c)
{
	return c >= 0x20 && c < 0x7f ? (char)c : '?';
}

static uint8_t acpi_sum(const uint8_t *p, uint64_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

static int acpi_fail(struct acpi_ports *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int acpi_fail(struct acpi_ports *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return -1;
}

void acpi_ports_init(struct acpi_ports *p)
{
	p->n = 0;
	p->err[0] = 0;
}

/* Adds [first, first + len) unless the same range is there. Returns 0 or -1. */
static int acpi_add(struct acpi_ports *p, const char *what, uint64_t first, uint64_t len)
{
	uint64_t last = first + len - 1;

	if (first > IO_TOP || last > IO_TOP)
		return acpi_fail(p, "%s at 0x%lx (%lu bytes) is not in the I/O space",
				 what, (unsigned long)first, (unsigned long)len);
	for (int i = 0; i < p->n; i++)
		if (p->r[i].first == first && p->r[i].last == last)
			return 0;
	if (p->n == ACPI_MAX_RANGES)
		return acpi_fail(p, "more than %d power-management port ranges", ACPI_MAX_RANGES);
	p->r[p->n].first = (uint16_t)first;
	p->r[p->n].last = (uint16_t)last;
	p->r[p->n].what = what;
	p->n++;
	return 0;
}

/* Bytes a GAS register spans: its bits, its access size, at least min. */
static uint64_t acpi_gas_len(const uint8_t *gas, unsigned min)
{
	uint64_t bits = (uint64_t)gas[1] + gas[2];
	uint64_t len = (bits + 7) / 8;
	unsigned access = gas[3];                 /* 1..4: byte, word, dword, qword */

	if (access >= 1 && access <= 4 && (1u << (access - 1)) > len)
		len = 1u << (access - 1);
	return len > min ? len : min;
}

/* Adds the ranges of block b of the FADT f (len bytes, checked). */
static int acpi_fadt_block(const uint8_t *f, uint32_t len, const struct acpi_block *b,
			   struct acpi_ports *p)
{
	unsigned blen = b->len_min;

	if (b->len_off >= 0 && f[b->len_off] > blen)
		blen = f[b->len_off];
	if (b->addr32) {
		uint32_t port = acpi_get(f + b->addr32, 4);

		if (port && acpi_add(p, b->what, port, blen) < 0)
			return -1;
	}
	if (b->gas && b->gas + GAS_LEN <= len) {
		const uint8_t *gas = f + b->gas;
		uint64_t addr = acpi_get64(gas + 4);

		if (gas[0] == GAS_SPACE_IO && addr &&
		    acpi_add(p, b->what, addr, acpi_gas_len(gas, blen)) < 0)
			return -1;
	}
	return 0;
}

int acpi_fadt_ports(const void *fadt, uint64_t avail, struct acpi_ports *p)
{
	const uint8_t *f = fadt;
	uint32_t len;

	if (avail < SDT_HEADER || !acpi_sig(f, "FACP", 4))
		return acpi_fail(p, "FADT: no FACP table header");
	len = acpi_get(f + 4, 4);
	if (len < FADT_V1_LEN)
		return acpi_fail(p, "FADT length %u, shorter than the %u bytes of revision 1",
				 len, FADT_V1_LEN);
	if (len > avail || len > ACPI_FADT_MAX)
		return acpi_fail(p, "FADT length %u beyond the %lu bytes readable",
				 len, (unsigned long)(avail < ACPI_FADT_MAX ? avail : ACPI_FADT_MAX));
	if (acpi_sum(f, len))
		return acpi_fail(p, "FADT checksum bad");
	for (unsigned i = 0; i < sizeof(acpi_blocks) / sizeof(acpi_blocks[0]); i++)
		if (acpi_fadt_block(f, len, &acpi_blocks[i], p) < 0)
			return -1;
	return 0;
}

/* Maps the whole table whose header is at pa (signature sig unless NULL). Returns it, or NULL + err. */
static const uint8_t *acpi_map_table(uint64_t pa, const char *sig, uint32_t max,
				     acpi_map_fn map, void *ctx, struct acpi_ports *p,
				     uint32_t *len)
{
	const uint8_t *h = map(ctx, pa, SDT_HEADER);

	if (!h) {
		acpi_fail(p, "%s at 0x%lx is not readable", sig, (unsigned long)pa);
		return NULL;
	}
	if (!acpi_sig(h, sig, 4)) {
		acpi_fail(p, "%s at 0x%lx has signature %c%c%c%c", sig, (unsigned long)pa,
			  acpi_show(h[0]), acpi_show(h[1]), acpi_show(h[2]), acpi_show(h[3]));
		return NULL;
	}
	*len = acpi_get(h + 4, 4);
	if (*len < SDT_HEADER || *len > max) {
		acpi_fail(p, "%s length %u out of range (%u..%u)", sig, *len, SDT_HEADER, max);
		return NULL;
	}
	h = map(ctx, pa, *len);
	if (!h)
		acpi_fail(p, "%s at 0x%lx (%u bytes) is not readable", sig, (unsigned long)pa, *len);
	return h;
}

/* Adds the ranges of the FADT at pa if the table there is one. */
static int acpi_entry(uint64_t pa, acpi_map_fn map, void *ctx, struct acpi_ports *p)
{
	const uint8_t *h = map(ctx, pa, SDT_HEADER);
	uint32_t len;

	if (!h)
		return acpi_fail(p, "table at 0x%lx is not readable", (unsigned long)pa);
	if (!acpi_sig(h, "FACP", 4))
		return 0;
	h = acpi_map_table(pa, "FACP", ACPI_FADT_MAX, map, ctx, p, &len);
	if (!h)
		return -1;
	return acpi_fadt_ports(h, len, p);
}

/* Returns the RSDT or XSDT address the RSDP lists, 0 + err if none; *entry: 4 or 8. */
static uint64_t acpi_root(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, struct acpi_ports *p,
			  unsigned *entry)
{
	const uint8_t *r = map(ctx, rsdp_pa, RSDP_V1_LEN);

	if (!r || !acpi_sig(r, "RSD PTR ", 8)) {
		acpi_fail(p, "no RSDP at 0x%lx", (unsigned long)rsdp_pa);
		return 0;
	}
	if (acpi_sum(r, RSDP_V1_LEN)) {
		acpi_fail(p, "RSDP checksum bad");
		return 0;
	}
	*entry = 4;
	if (r[15] >= 2) {
		uint32_t len;

		r = map(ctx, rsdp_pa, RSDP_V2_LEN);
		len = r ? acpi_get(r + 20, 4) : 0;
		if (len < RSDP_V2_LEN || len > RSDP_MAX) {
			acpi_fail(p, "RSDP length %u out of range (%u..%u)", len, RSDP_V2_LEN, RSDP_MAX);
			return 0;
		}
		r = map(ctx, rsdp_pa, len);
		if (!r || acpi_sum(r, len)) {
			acpi_fail(p, "RSDP extended checksum bad");
			return 0;
		}
		if (acpi_get64(r + 24)) {
			*entry = 8;
			return acpi_get64(r + 24);
		}
	}
	if (!acpi_get(r + 16, 4))
		acpi_fail(p, "RSDP lists neither an RSDT nor an XSDT");
	return acpi_get(r + 16, 4);
}

/* Maps and checks the RSDT or XSDT the RSDP lists. Returns it (*len bytes, *entry: 4 or 8) or NULL + err. */
static const uint8_t *acpi_sdt(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, struct acpi_ports *p,
			       uint32_t *len, unsigned *entry)
{
	uint64_t root = acpi_root(rsdp_pa, map, ctx, p, entry);
	const char *sig = *entry == 8 ? "XSDT" : "RSDT";
	const uint8_t *t;

	if (!root)
		return NULL;
	t = acpi_map_table(root, sig, ACPI_SDT_MAX, map, ctx, p, len);
	if (t && acpi_sum(t, *len)) {
		acpi_fail(p, "%s checksum bad", sig);
		return NULL;
	}
	return t;
}

const void *acpi_find_table(uint64_t rsdp_pa, const char *sig, uint32_t max, acpi_map_fn map,
			    void *ctx, struct acpi_ports *p, uint32_t *len)
{
	unsigned entry = 4;
	uint32_t sdt_len;
	const uint8_t *t;

	p->err[0] = 0;
	t = acpi_sdt(rsdp_pa, map, ctx, p, &sdt_len, &entry);
	if (!t)
		return NULL;
	for (uint32_t off = SDT_HEADER; off + entry <= sdt_len; off += entry) {
		uint64_t pa = entry == 8 ? acpi_get64(t + off) : acpi_get(t + off, 4);
		const uint8_t *h = pa ? map(ctx, pa, SDT_HEADER) : NULL;

		if (pa && !h) {
			acpi_fail(p, "table at 0x%lx is not readable", (unsigned long)pa);
			return NULL;
		}
		if (h && acpi_sig(h, sig, 4))
			return acpi_map_table(pa, sig, max, map, ctx, p, len);
	}
	return NULL;
}

int acpi_rsdp_ports(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, struct acpi_ports *p)
{
	unsigned entry = 4;
	uint32_t len;
	const uint8_t *t = acpi_sdt(rsdp_pa, map, ctx, p, &len, &entry);

	if (!t)
		return -1;
	for (uint32_t off = SDT_HEADER; off + entry <= len; off += entry) {
		uint64_t pa = entry == 8 ? acpi_get64(t + off) : acpi_get(t + off, 4);

		if (pa && acpi_entry(pa, map, ctx, p) < 0)
			return -1;
	}
	return 0;
}

/* ---- PCI: the chipset's power-management functions -------------------- */

/* One I/O base register: where it is, its address bits, its size. */
struct acpi_pci_bar {
	const char *what;
	unsigned reg;
	uint32_t mask;
	unsigned bytes;
};

static const struct {
	uint32_t id;                  /* device << 16 | vendor */
	struct acpi_pci_bar bar[2];
} acpi_pci_pm[] = {
	{ 0x71138086, { { "PIIX4 power management (PCI PMBA)", 0x40, 0xffc0, 64 },
			{ "PIIX4 SMBus (PCI SMBBA)", 0x90, 0xfff0, 16 } } },
	{ 0x29188086, { { "ICH9 ACPI power management (LPC PMBASE)", 0x40, 0xff80, 128 },
			{ "ICH9 GPIO (LPC GPIOBASE)", 0x48, 0xffc0, 64 } } },
	{ 0x29308086, { { "ICH9 SMBus (PCI SMB_BASE)", 0x20, 0xffe0, 32 },
			{ NULL, 0, 0, 0 } } },
};

/*
 * A base is taken whenever it is set, enabled or not: the enable bits
 * differ per chipset, and a guest that owns a disabled block can enable
 * it through nothing else (the PCI configuration is the hv's).
 */
static int acpi_pci_function(uint32_t id, acpi_pci_read_fn rd, void *ctx, unsigned dev,
			     unsigned fn, struct acpi_ports *p)
{
	for (unsigned i = 0; i < sizeof(acpi_pci_pm) / sizeof(acpi_pci_pm[0]); i++) {
		if (acpi_pci_pm[i].id != id)
			continue;
		for (unsigned b = 0; b < 2; b++) {
			const struct acpi_pci_bar *bar = &acpi_pci_pm[i].bar[b];
			uint32_t base;

			if (!bar->what)
				continue;
			base = rd(ctx, dev, fn, bar->reg) & bar->mask;
			if (base && acpi_add(p, bar->what, base, bar->bytes) < 0)
				return -1;
		}
	}
	return 0;
}

int acpi_pci_ports(acpi_pci_read_fn rd, void *ctx, struct acpi_ports *p)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			uint32_t id = rd(ctx, dev, fn, 0);

			if ((id & 0xffff) == 0xffff)
				continue;
			if (acpi_pci_function(id, rd, ctx, dev, fn, p) < 0)
				return -1;
		}
	}
	return 0;
}
