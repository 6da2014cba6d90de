/*
 * Virtual MC146818-style RTC/CMOS at ports 0x70 (index, bit 7 = NMI
 * disable) and 0x71 (data), one per guest. The clock is the host's wall
 * time at boot plus the TSC time since, read-only to the guest; the NVRAM
 * bytes 0x0e-0x7f are private to each guest and writable.
 *
 * Driving it from the hv: vcmos_init with the wall time from the boot stage
 * (EFI GetTime converted with vcmos_unix_time), vcmos_set_memory so guests
 * that size RAM from CMOS see their partition, then vcmos_read/vcmos_write
 * on port exits with the exit's TSC.
 */
#ifndef HV_VCMOS_H
#define HV_VCMOS_H

#include <stdbool.h>
#include <stdint.h>

#define VCMOS_PORT_INDEX  0x70
#define VCMOS_PORT_DATA   0x71

/* Register indexes ("Address Map" of the MC146818A datasheet). */
#define VCMOS_SECONDS     0x00
#define VCMOS_MINUTES     0x02
#define VCMOS_HOURS       0x04
#define VCMOS_WEEKDAY     0x06
#define VCMOS_DAY         0x07
#define VCMOS_MONTH       0x08
#define VCMOS_YEAR        0x09
#define VCMOS_STATUS_A    0x0a
#define VCMOS_STATUS_B    0x0b
#define VCMOS_STATUS_C    0x0c
#define VCMOS_STATUS_D    0x0d
#define VCMOS_CENTURY     0x32       /* IBM PC convention, ACPI FADT CENTURY */

#define VCMOS_B_24H       0x02       /* status B: 24-hour mode */
#define VCMOS_B_BINARY    0x04       /* status B: binary, not BCD */

struct vcmos {
	uint8_t index;              /* last index written (bits 0-6) */
	bool nmi_disabled;          /* index bit 7 as last written */
	uint8_t ram[128];           /* 0x0e-0x7f NVRAM; 0x00-0x0d alarm/status */
	uint64_t epoch_secs;        /* wall time (Unix seconds) at boot_tsc */
	uint64_t tsc_hz;
	uint64_t boot_tsc;
};

/*
 * Returns Unix seconds for a UTC date (year 1970..9999, month 1..12,
 * day 1..31, hour 0..23, min 0..59, sec 0..59), or 0 if a field is out of
 * range.
 */
uint64_t vcmos_unix_time(int year, int month, int day, int hour, int min,
			 int sec);

/* Resets the CMOS: clock at unix_secs now, status A 0x26, B 24h BCD. */
void vcmos_init(struct vcmos *c, uint64_t unix_secs, uint64_t tsc_hz,
		uint64_t now_tsc);

/* Fills the memory-size bytes (0x15-0x18, 0x30-0x31, 0x34-0x35). */
void vcmos_set_memory(struct vcmos *c, uint64_t mem_bytes);

/* Returns true for 0x70 and 0x71. */
bool vcmos_handles_port(uint16_t port);

/* Guest OUT to 0x70/0x71 at now_tsc. Other ports are ignored. */
void vcmos_write(struct vcmos *c, uint16_t port, uint8_t val, uint64_t now_tsc);

/* Guest IN from 0x70/0x71 at now_tsc. Returns 0xff for other ports. */
uint8_t vcmos_read(struct vcmos *c, uint16_t port, uint64_t now_tsc);

#endif
