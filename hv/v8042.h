/*
 * Virtual 8042 keyboard controller at ports 0x60 (data) and 0x64
 * (status, command), one per guest, with no keyboard or mouse behind it.
 * Its purpose is the reset line: a guest that pulses it (command 0xfe, or
 * any pulse command with bit 0 clear) or writes the output port with bit 0
 * clear (command 0xd1, then the value on 0x60) resets itself, never the
 * machine. The A20 gate (output port bit 1, commands 0xdd/0xdf) is
 * accepted and ignored: a guest's A20 is always on. Controller commands
 * that answer (self test, interface tests, reading the command byte or the
 * output port) put their answer in the output buffer, which 0x60 reads;
 * bytes for the keyboard or mouse go nowhere (no device answers). The
 * controller raises no interrupts. Pure logic: the hv traps the ports and
 * acts on V8042_RESET.
 */
#ifndef HV_V8042_H
#define HV_V8042_H

#include <stdbool.h>
#include <stdint.h>

#define V8042_DATA    0x60
#define V8042_CMD     0x64           /* write: command; read: status */

#define V8042_ST_OBF  0x01           /* output buffer full: 0x60 has a byte */
#define V8042_ST_IBF  0x02           /* input buffer full: never (commands complete at once) */
#define V8042_ST_SYS  0x04           /* system flag: self test passed (command byte bit 2) */
#define V8042_ST_CMD  0x08           /* the last byte written went to 0x64 */
#define V8042_ST_INH  0x10           /* keyboard not inhibited */

#define V8042_CMD_READ_CCB     0x20
#define V8042_CMD_WRITE_CCB    0x60
#define V8042_CMD_SELF_TEST    0xaa
#define V8042_CMD_READ_OUTPORT 0xd0
#define V8042_CMD_WRITE_OUTPORT 0xd1
#define V8042_CMD_PULSE_RESET  0xfe

#define V8042_OUT_RESET 0x01         /* output port bit 0: the CPU reset line, active low */
#define V8042_OUT_A20   0x02

struct v8042 {
	uint8_t out;                 /* output buffer: what 0x60 reads */
	bool obf;                    /* a byte waits in it */
	bool last_cmd;               /* the last write went to 0x64 (status bit 3) */
	uint8_t pending;             /* command waiting for its data byte on 0x60, 0 if none */
	uint8_t ccb;                 /* controller command byte (RAM byte 0) */
	uint8_t outport;             /* output port */
};

enum v8042_event {
	V8042_NONE,
	V8042_RESET,                 /* the guest pulled its reset line */
};

/* Resets to what firmware leaves: command byte 0x45 (SYS set), output port 0x03 (reset high, A20 on). */
void v8042_init(struct v8042 *k);

/* Guest IN from 0x60 (the output buffer; reading empties it) or 0x64 (status). */
uint8_t v8042_read(struct v8042 *k, uint16_t port);

/* Guest OUT to 0x60 or 0x64. Returns V8042_RESET if it asserted the reset line. */
enum v8042_event v8042_write(struct v8042 *k, uint16_t port, uint8_t val);

#endif
