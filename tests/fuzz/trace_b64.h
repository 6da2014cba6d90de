/*
 * Decoding the payload of a trace line ("@T <kind> <base64>", include/trace.h)
 * for the tests that read the hv's port 0xE9 back: tests/unit/test_trace.c
 * and tests/fuzz/fuzz_trace.c.
 */
#ifndef TRACE_B64_H
#define TRACE_B64_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Decodes the RFC 4648 base64 text s[0..n) (with padding) into out; returns the bytes, -1 if it is no such text. */
static inline long trace_unb64(const char *s, size_t n, uint8_t *out)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t w = 0;
		for (int k = 0; k < 4; k++) {
			const char *p = s[i + k] ? memchr(b64, s[i + k], 64) : NULL;
			if (!p && !(s[i + k] == '=' && k >= 2))
				return -1;
			w = w << 6 | (p ? (uint32_t)(p - b64) : 0);
		}
		out[o++] = (uint8_t)(w >> 16);
		if (s[i + 2] != '=')
			out[o++] = (uint8_t)(w >> 8);
		if (s[i + 3] != '=')
			out[o++] = (uint8_t)w;
	}
	return (long)o;
}

#endif
