/*
 * Fuzz target: the virtual 8042 (hv/v8042.c). The input is a stream of
 * port writes and reads at 0x60 and 0x64. An oracle knows when the reset
 * line is pulled: a command 0xf0-0xff with bit 0 clear, or the data byte
 * after 0xd1 with bit 0 clear; nothing else resets. Invariants: the input
 * buffer is never full, the output-buffer flag says whether 0x60 has an
 * unread byte (reading it empties it), status bit 3 names the port last
 * written, and a status read changes nothing.
 */
#include <string.h>

#include "fuzz.h"
#include "v8042.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct v8042 k, old;
	uint8_t pending = 0;                 /* the oracle's command waiting for data */

	v8042_init(&k);
	while (fuzz_more(&in)) {
		uint8_t op = fuzz_u8(&in), v = fuzz_u8(&in);
		uint16_t port = (op & 1) ? V8042_CMD : V8042_DATA;
		enum v8042_event ev;
		bool want;

		old = k;
		if (op & 2) {
			uint8_t r = v8042_read(&k, port);
			if (port == V8042_CMD) {
				FUZZ_CHECK(!(r & V8042_ST_IBF), "status 0x%02x: input buffer full", r);
				FUZZ_CHECK(!!(r & V8042_ST_OBF) == old.obf, "status 0x%02x, obf %d", r, old.obf);
				FUZZ_CHECK(!!(r & V8042_ST_CMD) == old.last_cmd, "status 0x%02x, last %d", r, old.last_cmd);
				FUZZ_CHECK(!memcmp(&k, &old, sizeof(k)), "a status read changed the controller");
			} else {
				FUZZ_CHECK(r == old.out && !k.obf, "data 0x%02x, out 0x%02x obf %d", r, old.out, k.obf);
			}
			continue;
		}
		if (port == V8042_CMD) {
			want = v >= 0xf0 && !(v & 1);
			pending = ((v >= 0x60 && v <= 0x7f) || (v >= 0xd1 && v <= 0xd4)) ? v : 0;
		} else {
			want = pending == V8042_CMD_WRITE_OUTPORT && !(v & 1);
			pending = 0;
		}
		ev = v8042_write(&k, port, v);
		FUZZ_CHECK(ev == (want ? V8042_RESET : V8042_NONE), "OUT 0x%x <- 0x%02x: event %d", port, v, ev);
		FUZZ_CHECK(k.pending == pending, "pending 0x%02x, oracle 0x%02x", k.pending, pending);
		FUZZ_CHECK(k.last_cmd == (port == V8042_CMD), "last_cmd %d after port 0x%x", k.last_cmd, port);
		FUZZ_CHECK(k.outport & V8042_OUT_RESET, "output port 0x%02x holds the reset line low", k.outport);
	}
	return 0;
}
