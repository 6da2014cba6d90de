/*
 * Virtual 8042 (see v8042.h). Commands as the IBM PC/AT Technical
 * Reference and the Intel 8042-compatible keyboard controllers document
 * them: 0x20-0x3f read controller RAM (byte 0: the command byte),
 * 0x60-0x7f write it, 0xa7/0xa8 disable/enable the mouse port, 0xa9 and
 * 0xab interface tests (0: no error), 0xaa self test (0x55), 0xad/0xae
 * disable/enable the keyboard, 0xc0 read the input port, 0xd0/0xd1 read and
 * write the output port, 0xd2/0xd3 write the keyboard/mouse output buffer,
 * 0xd4 write to the mouse, 0xdd/0xdf A20 off/on, 0xf0-0xff pulse output
 * port bits 3:0 low (bits clear in the command are pulsed).
 */
#include "v8042.h"

#define V8042_CCB_SYS      0x04
#define V8042_CCB_KBD_OFF  0x10
#define V8042_CCB_AUX_OFF  0x20

void v8042_init(struct v8042 *k)
{
	*k = (struct v8042){ .ccb = 0x45, .outport = V8042_OUT_RESET | V8042_OUT_A20 };
}

/* Puts a controller answer in the output buffer. */
static void v8042_answer(struct v8042 *k, uint8_t val)
{
	k->out = val;
	k->obf = true;
}

uint8_t v8042_read(struct v8042 *k, uint16_t port)
{
	if (port == V8042_DATA) {
		k->obf = false;
		return k->out;
	}
	return (uint8_t)((k->obf ? V8042_ST_OBF : 0) | (k->ccb & V8042_CCB_SYS) |
			 (k->last_cmd ? V8042_ST_CMD : 0) | V8042_ST_INH);
}

/* A byte on 0x60: the data of a pending command, or a byte for the keyboard (absent). */
static enum v8042_event v8042_data(struct v8042 *k, uint8_t val)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	if (cmd == V8042_CMD_WRITE_CCB)
		k->ccb = val;
	else if (cmd == V8042_CMD_WRITE_OUTPORT) {
		if (!(val & V8042_OUT_RESET))
			return V8042_RESET;
		k->outport = val;           /* A20 (bit 1) kept as written, and ignored */
	} else if (cmd == 0xd2 || cmd == 0xd3)
		v8042_answer(k, val);       /* as if the keyboard / mouse had sent it */
	return V8042_NONE;              /* 0xd4, RAM bytes 1-31, keyboard bytes: nobody listens */
}

static enum v8042_event v8042_command(struct v8042 *k, uint8_t cmd)
{
	k->pending = 0;
	if (cmd >= 0xf0)
		return (cmd & V8042_OUT_RESET) ? V8042_NONE : V8042_RESET;
	if (cmd >= 0x20 && cmd <= 0x3f) {
		v8042_answer(k, cmd == V8042_CMD_READ_CCB ? k->ccb : 0);
		return V8042_NONE;
	}
	if ((cmd >= 0x60 && cmd <= 0x7f) || (cmd >= 0xd1 && cmd <= 0xd4)) {
		k->pending = cmd;
		return V8042_NONE;
	}
	switch (cmd) {
	case 0xa7: k->ccb |= V8042_CCB_AUX_OFF; break;
	case 0xa8: k->ccb &= (uint8_t)~V8042_CCB_AUX_OFF; break;
	case 0xa9: case 0xab: v8042_answer(k, 0x00); break;
	case V8042_CMD_SELF_TEST: v8042_answer(k, 0x55); break;
	case 0xad: k->ccb |= V8042_CCB_KBD_OFF; break;
	case 0xae: k->ccb &= (uint8_t)~V8042_CCB_KBD_OFF; break;
	case 0xc0: v8042_answer(k, 0x00); break;
	case V8042_CMD_READ_OUTPORT: v8042_answer(k, k->outport); break;
	default: break;                 /* 0xdd, 0xdf (A20) and anything else: accepted, no effect */
	}
	return V8042_NONE;
}

enum v8042_event v8042_write(struct v8042 *k, uint16_t port, uint8_t val)
{
	k->last_cmd = port == V8042_CMD;
	return port == V8042_CMD ? v8042_command(k, val) : v8042_data(k, val);
}
