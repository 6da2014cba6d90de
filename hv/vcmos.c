/*
 * Virtual RTC/CMOS. Register layout and formats follow the Motorola
 * MC146818A datasheet ("Address Map", "Time, Calendar and Alarm Locations",
 * "Register A" .. "Register D"); the memory-size bytes follow the IBM PC/AT
 * Technical Reference ("CMOS RAM Address Map").
 *
 * The clock is never "updating": it is computed from the TSC on each read,
 * so status A's UIP bit reads 0 and a guest's read-until-stable loop ends at
 * once. Writes to the clock registers are dropped: the wall clock is the
 * host's, and a guest cannot move it for the others.
 */
#include "vcmos.h"

#define VCMOS_SECS_PER_DAY 86400u
#define VCMOS_NVRAM_FIRST  0x0e
#define VCMOS_STATUS_A_DEF 0x26    /* 32.768 kHz divider, 1024 Hz rate */
#define VCMOS_STATUS_D_VRT 0x80    /* valid RAM and time */

/* Broken-down UTC time. */
struct vcmos_tm {
	int year, month, day, hour, min, sec, wday;   /* wday 0 = Sunday */
};

static bool vcmos_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int vcmos_month_days(int y, int m)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30,
					  31, 31, 30, 31, 30, 31 };

	return days[m - 1] + (m == 2 && vcmos_is_leap(y));
}

/* Days since 1970-01-01 of a date (proleptic Gregorian, year >= 1). */
static int64_t vcmos_days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of vcmos_days_from_civil, for days >= 0. */
static void vcmos_civil_from_days(uint64_t z, struct vcmos_tm *tm)
{
	uint64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = (int)(yoe + era * 400) + (tm->month <= 2);
}

/* Returns Unix seconds for a UTC date, or 0 if a field is out of range. */
uint64_t vcmos_unix_time(int year, int month, int day, int hour, int min,
			 int sec)
{
	if (year < 1970 || year > 9999 || month < 1 || month > 12 ||
	    day < 1 || day > vcmos_month_days(year, month) ||
	    hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 59)
		return 0;
	return (uint64_t)vcmos_days_from_civil(year, month, day) *
		       VCMOS_SECS_PER_DAY +
	       (uint64_t)(hour * 3600 + min * 60 + sec);
}

/* Resets the CMOS: clock at unix_secs now, status A 0x26, B 24h BCD. */
void vcmos_init(struct vcmos *c, uint64_t unix_secs, uint64_t tsc_hz,
		uint64_t now_tsc)
{
	int i;

	for (i = 0; i < 128; i++)
		c->ram[i] = 0;
	c->index = 0;
	c->nmi_disabled = false;
	c->epoch_secs = unix_secs;
	c->tsc_hz = tsc_hz ? tsc_hz : 1;
	c->boot_tsc = now_tsc;
	c->ram[VCMOS_STATUS_A] = VCMOS_STATUS_A_DEF;
	c->ram[VCMOS_STATUS_B] = VCMOS_B_24H;     /* BCD, as PC BIOSes leave it */
}

/* Stores v little-endian at ram[lo], ram[lo + 1]. */
static void vcmos_put16(struct vcmos *c, int lo, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	c->ram[lo] = (uint8_t)v;
	c->ram[lo + 1] = (uint8_t)(v >> 8);
}

/* Fills the PC/AT memory-size bytes and their checksum (0x2e-0x2f). */
void vcmos_set_memory(struct vcmos *c, uint64_t mem_bytes)
{
	uint64_t ext_kb = mem_bytes > (1u << 20) ? (mem_bytes - (1u << 20)) >> 10 : 0;
	uint64_t hi_64k = mem_bytes > (16u << 20) ? (mem_bytes - (16u << 20)) >> 16 : 0;
	unsigned sum = 0;
	int i;

	vcmos_put16(c, 0x15, 640);            /* base memory, KB */
	vcmos_put16(c, 0x17, ext_kb);         /* extended memory, KB */
	vcmos_put16(c, 0x30, ext_kb);         /* same, as POST found it */
	vcmos_put16(c, 0x34, hi_64k);         /* above 16M, 64K units */
	for (i = 0x10; i <= 0x2d; i++)
		sum += c->ram[i];
	c->ram[0x2e] = (uint8_t)(sum >> 8);
	c->ram[0x2f] = (uint8_t)sum;
}

/* Returns true for 0x70 and 0x71. */
bool vcmos_handles_port(uint16_t port)
{
	return port == VCMOS_PORT_INDEX || port == VCMOS_PORT_DATA;
}

/* The wall time at now_tsc, broken down. */
static void vcmos_now(const struct vcmos *c, uint64_t now_tsc,
		      struct vcmos_tm *tm)
{
	uint64_t dt = now_tsc > c->boot_tsc ? now_tsc - c->boot_tsc : 0;
	uint64_t secs = c->epoch_secs + dt / c->tsc_hz;
	uint64_t days = secs / VCMOS_SECS_PER_DAY;
	uint64_t rem = secs % VCMOS_SECS_PER_DAY;

	vcmos_civil_from_days(days, tm);
	tm->hour = (int)(rem / 3600);
	tm->min = (int)(rem / 60 % 60);
	tm->sec = (int)(rem % 60);
	tm->wday = (int)((days + 4) % 7);     /* 1970-01-01 was a Thursday */
}

/* A clock value (0..99) in the format status B selects. */
static uint8_t vcmos_fmt(const struct vcmos *c, int v)
{
	if (c->ram[VCMOS_STATUS_B] & VCMOS_B_BINARY)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* The hours register: in 12-hour mode 1..12 with bit 7 set for PM. */
static uint8_t vcmos_hours(const struct vcmos *c, int h)
{
	int h12;

	if (c->ram[VCMOS_STATUS_B] & VCMOS_B_24H)
		return vcmos_fmt(c, h);
	h12 = h % 12 ? h % 12 : 12;
	return (uint8_t)(vcmos_fmt(c, h12) | (h >= 12 ? 0x80 : 0));
}

/* The register at index r, read at now_tsc. */
static uint8_t vcmos_reg(const struct vcmos *c, uint8_t r, uint64_t now_tsc)
{
	struct vcmos_tm tm;

	vcmos_now(c, now_tsc, &tm);
	switch (r) {
	case VCMOS_SECONDS:  return vcmos_fmt(c, tm.sec);
	case VCMOS_MINUTES:  return vcmos_fmt(c, tm.min);
	case VCMOS_HOURS:    return vcmos_hours(c, tm.hour);
	case VCMOS_WEEKDAY:  return vcmos_fmt(c, tm.wday + 1);
	case VCMOS_DAY:      return vcmos_fmt(c, tm.day);
	case VCMOS_MONTH:    return vcmos_fmt(c, tm.month);
	case VCMOS_YEAR:     return vcmos_fmt(c, tm.year % 100);
	case VCMOS_CENTURY:  return vcmos_fmt(c, tm.year / 100 % 100);
	case VCMOS_STATUS_A: return c->ram[r] & 0x7f;    /* UIP never set */
	case VCMOS_STATUS_C: return 0;                   /* no RTC interrupts */
	case VCMOS_STATUS_D: return VCMOS_STATUS_D_VRT;
	default:             return c->ram[r];
	}
}

/* Guest OUT to 0x70/0x71 at now_tsc. Other ports are ignored. */
void vcmos_write(struct vcmos *c, uint16_t port, uint8_t val, uint64_t now_tsc)
{
	uint8_t r = c->index;

	if (port == VCMOS_PORT_INDEX) {
		c->index = val & 0x7f;
		c->nmi_disabled = val & 0x80;
		return;
	}
	if (port != VCMOS_PORT_DATA)
		return;
	switch (r) {
	case 0x01: case 0x03: case 0x05:          /* alarms: kept */
	case VCMOS_STATUS_B:
		c->ram[r] = val;
		break;
	case VCMOS_STATUS_A:
		c->ram[r] = val & 0x7f;
		break;
	case VCMOS_STATUS_C: case VCMOS_STATUS_D:  /* read-only */
	case VCMOS_CENTURY:                        /* part of the clock */
		break;
	default:
		if (r >= VCMOS_NVRAM_FIRST)
			c->ram[r] = val;
		break;                             /* clock: host-owned */
	}
}

/* Guest IN from 0x70/0x71 at now_tsc. Returns 0xff for other ports. */
uint8_t vcmos_read(struct vcmos *c, uint16_t port, uint64_t now_tsc)
{
	if (port != VCMOS_PORT_DATA)
		return 0xff;     /* the index register is write-only on a PC */
	return vcmos_reg(c, c->index, now_tsc);
}
