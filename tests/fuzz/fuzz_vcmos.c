/*
 * Fuzz target: the virtual RTC/CMOS (hv/vcmos.c). Input: a wall-clock date
 * (year, month, day, hour, minute, second: out-of-range fields too), the
 * TSC rate (1 MHz + n Hz), the guest's RAM size, then a stream of
 * operations: index and data writes, data reads, reads and writes of the
 * write-only index port or of a port that is not the CMOS's, TSC steps.
 *
 * Invariants: vcmos_unix_time refuses exactly the invalid dates, and the
 * clock reads back the date it was started at; the index stays in
 * 0..0x7f; the clock registers always hold a valid date and time in the
 * format status B selects; status A, C and D read as the datasheet allows;
 * every NVRAM byte (0x0e-0x7f but the century) reads what was last written
 * to it or what vcmos_set_memory put there (the PC/AT memory-size bytes,
 * computed here independently), and nothing else changes it.
 */
#include <string.h>

#include "fuzz.h"
#include "vcmos.h"

#define MODEL_WRITABLE  0x0e            /* NVRAM from here, plus alarms, A and B */

struct model {
	uint8_t ram[128];               /* expected reads of the kept registers */
	uint8_t index;
};

/* Days in month m (1..12) of year y, Gregorian. */
static int month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

/* True for registers that keep what the guest writes (the model tracks them). */
static bool kept(unsigned r)
{
	return r == 0x01 || r == 0x03 || r == 0x05 || r == VCMOS_STATUS_A ||
	       r == VCMOS_STATUS_B || (r >= MODEL_WRITABLE && r != VCMOS_CENTURY);
}

/* Reads register r on a copy, leaving the guest's index alone. */
static uint8_t peek(const struct vcmos *c, uint8_t r, uint64_t now)
{
	struct vcmos t = *c;

	vcmos_write(&t, VCMOS_PORT_INDEX, r, now);
	return vcmos_read(&t, VCMOS_PORT_DATA, now);
}

/* A clock field decoded per status B; -1 if it is not valid BCD. */
static int field(const struct vcmos *c, uint8_t r, uint64_t now)
{
	uint8_t v = peek(c, r, now);

	if (r == VCMOS_HOURS && !(c->ram[VCMOS_STATUS_B] & VCMOS_B_24H))
		v &= 0x7f;              /* the PM bit */
	if (c->ram[VCMOS_STATUS_B] & VCMOS_B_BINARY)
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

/* The clock registers hold one valid date and time. */
static void check_clock(const struct vcmos *c, uint64_t now)
{
	int sec = field(c, VCMOS_SECONDS, now), min = field(c, VCMOS_MINUTES, now);
	int hour = field(c, VCMOS_HOURS, now), wday = field(c, VCMOS_WEEKDAY, now);
	int day = field(c, VCMOS_DAY, now), mon = field(c, VCMOS_MONTH, now);
	int year = field(c, VCMOS_YEAR, now), cent = field(c, VCMOS_CENTURY, now);
	bool h24 = c->ram[VCMOS_STATUS_B] & VCMOS_B_24H;

	FUZZ_CHECK(sec >= 0 && sec <= 59 && min >= 0 && min <= 59, "time ?:%d:%d", min, sec);
	FUZZ_CHECK(h24 ? hour >= 0 && hour <= 23 : hour >= 1 && hour <= 12, "hour %d (%s)",
		   hour, h24 ? "24h" : "12h");
	FUZZ_CHECK(wday >= 1 && wday <= 7, "weekday %d", wday);
	FUZZ_CHECK(year >= 0 && year <= 99 && cent >= 0 && cent <= 99, "year %d century %d",
		   year, cent);
	FUZZ_CHECK(mon >= 1 && mon <= 12 && day >= 1 && day <= month_days(cent * 100 + year, mon),
		   "date %d%02d-%d-%d", cent, year, mon, day);
	FUZZ_CHECK(!(peek(c, VCMOS_STATUS_A, now) & 0x80), "update in progress");
	FUZZ_CHECK(peek(c, VCMOS_STATUS_C, now) == 0, "status C 0x%x",
		   peek(c, VCMOS_STATUS_C, now));
	FUZZ_CHECK(peek(c, VCMOS_STATUS_D, now) == 0x80, "status D 0x%x",
		   peek(c, VCMOS_STATUS_D, now));
}

/* Stores v (at most 0xffff) little-endian at m[lo]. */
static void put16(struct model *m, unsigned lo, uint64_t v)
{
	v = v > 0xffff ? 0xffff : v;
	m->ram[lo] = (uint8_t)v;
	m->ram[lo + 1] = (uint8_t)(v >> 8);
}

/* What vcmos_init and vcmos_set_memory must leave (IBM PC/AT "CMOS RAM Address Map"). */
static void model_init(struct model *m, uint64_t mem)
{
	unsigned sum = 0, i;

	memset(m, 0, sizeof(*m));
	m->ram[VCMOS_STATUS_A] = 0x26;
	m->ram[VCMOS_STATUS_B] = VCMOS_B_24H;
	put16(m, 0x15, 640);
	put16(m, 0x17, mem > (1u << 20) ? (mem - (1u << 20)) / 1024 : 0);
	put16(m, 0x30, mem > (1u << 20) ? (mem - (1u << 20)) / 1024 : 0);
	put16(m, 0x34, mem > (16u << 20) ? (mem - (16u << 20)) / 65536 : 0);
	for (i = 0x10; i <= 0x2d; i++)
		sum += m->ram[i];
	m->ram[0x2e] = (uint8_t)(sum >> 8);
	m->ram[0x2f] = (uint8_t)sum;
}

/* A data port write as the model sees it. */
static void model_write(struct model *m, uint8_t val)
{
	if (kept(m->index))
		m->ram[m->index] = m->index == VCMOS_STATUS_A ? val & 0x7f : val;
}

/* Every kept register holds what the model expects. */
static void check_kept(const struct vcmos *c, const struct model *m)
{
	unsigned r;

	FUZZ_CHECK(c->index == m->index, "index 0x%x, want 0x%x", c->index, m->index);
	for (r = 0; r < 128; r++)
		if (kept(r))
			FUZZ_CHECK(c->ram[r] == m->ram[r], "register 0x%x holds 0x%x, want 0x%x", r,
				   c->ram[r], m->ram[r]);
}

/* True if a and b hold the same state (field by field: the struct has padding). */
static bool same(const struct vcmos *a, const struct vcmos *b)
{
	return a->index == b->index && a->nmi_disabled == b->nmi_disabled &&
	       !memcmp(a->ram, b->ram, sizeof(a->ram)) && a->epoch_secs == b->epoch_secs &&
	       a->tsc_hz == b->tsc_hz && a->boot_tsc == b->boot_tsc;
}

/* Starts the clock at a fuzzed date; a valid one must read back unchanged. */
static void start(struct vcmos *c, struct fuzz_in *in, uint64_t *now, uint64_t *mem)
{
	int y = 1960 + fuzz_u16(in) % 8100, mo = fuzz_u8(in) % 14, d = fuzz_u8(in) % 33;
	int h = fuzz_u8(in) % 26, mi = fuzz_u8(in) % 62, s = fuzz_u8(in) % 62;
	bool valid = y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 &&
		     d <= month_days(y, mo) && h <= 23 && mi <= 59 && s <= 59;
	uint64_t secs = vcmos_unix_time(y, mo, d, h, mi, s), hz = 1000000ull + fuzz_u32(in);

	FUZZ_CHECK(valid || secs == 0, "%d-%d-%d %d:%d:%d accepted as %llu", y, mo, d, h, mi, s,
		   (unsigned long long)secs);
	*now = (uint64_t)fuzz_u32(in) << 20;
	*mem = (uint64_t)fuzz_u32(in) << (fuzz_u8(in) & 15);
	vcmos_init(c, secs, hz, *now);
	vcmos_set_memory(c, *mem);
	if (!valid)
		return;
	c->ram[VCMOS_STATUS_B] |= VCMOS_B_BINARY;
	FUZZ_CHECK(field(c, VCMOS_CENTURY, *now) * 100 + field(c, VCMOS_YEAR, *now) == y &&
		   field(c, VCMOS_MONTH, *now) == mo && field(c, VCMOS_DAY, *now) == d &&
		   field(c, VCMOS_HOURS, *now) == h && field(c, VCMOS_MINUTES, *now) == mi &&
		   field(c, VCMOS_SECONDS, *now) == s, "%d-%d-%d %d:%d:%d does not read back",
		   y, mo, d, h, mi, s);
	c->ram[VCMOS_STATUS_B] &= (uint8_t)~VCMOS_B_BINARY;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vcmos c, before;
	struct model m;
	uint64_t now, mem, step;
	uint8_t v;

	start(&c, &in, &now, &mem);
	model_init(&m, mem);
	check_kept(&c, &m);
	while (fuzz_more(&in)) {
		uint8_t op = fuzz_u8(&in), a = fuzz_u8(&in);

		switch (op % 8) {
		case 0: case 1:
			vcmos_write(&c, VCMOS_PORT_INDEX, a, now);
			m.index = a & 0x7f;
			FUZZ_CHECK(c.nmi_disabled == !!(a & 0x80), "NMI bit %d for 0x%x",
				   c.nmi_disabled, a);
			break;
		case 2: case 3:
			vcmos_write(&c, VCMOS_PORT_DATA, a, now);
			model_write(&m, a);
			break;
		case 4: case 5:
			v = vcmos_read(&c, VCMOS_PORT_DATA, now);
			if (kept(m.index))
				FUZZ_CHECK(v == m.ram[m.index], "register 0x%x read 0x%x, want 0x%x",
					   m.index, v, m.ram[m.index]);
			else
				check_clock(&c, now);
			break;
		case 6:                         /* the index port and a stranger read 0xff */
			FUZZ_CHECK(vcmos_handles_port(0x70 + a % 4) == (a % 4 < 2), "port 0x%x",
				   0x70 + a % 4);
			before = c;
			FUZZ_CHECK(vcmos_read(&c, a & 1 ? VCMOS_PORT_INDEX : 0x72, now) == 0xff,
				   "port read not 0xff");
			vcmos_write(&c, 0x72 + (a & 0x0f), a, now);
			FUZZ_CHECK(same(&c, &before), "a stray access changed the CMOS");
			break;
		default:                        /* time passes; the TSC stays below 2^62 */
			step = (uint64_t)fuzz_u32(&in) << (a & 31);
			if (step < (1ull << 62) - now)
				now += step;
			break;
		}
		check_kept(&c, &m);
	}
	check_clock(&c, now);
	return 0;
}
