/*
 * Shared by the libFuzzer targets in tests/fuzz/ (docs/fuzzing.md): the
 * entry point, the invariant check and a reader that turns the fuzzer's
 * bytes into numbers. Each target is also linked with tests/fuzz/replay.c
 * instead of libFuzzer, so `make unit` replays the committed inputs.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs one input through the code under test; aborts if an invariant breaks. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * An invariant: if cond is false, names it with the values that broke it
 * and aborts, which makes libFuzzer save the input as a crash.
 */
#define FUZZ_CHECK(cond, ...)                                              \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: invariant broken: %s: ",   \
				__FILE__, __LINE__, #cond);                \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			abort();                                           \
		}                                                          \
	} while (0)

/* The fuzzer's input, consumed from the front. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

/* Returns true while input is left. */
static inline bool fuzz_more(const struct fuzz_in *in)
{
	return in->n > 0;
}

/* Returns the next n (<= 8) bytes as a little-endian number; 0s past the end. */
static inline uint64_t fuzz_bytes(struct fuzz_in *in, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)in->p[0] << (8 * i);
	return v;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	return (uint8_t)fuzz_bytes(in, 1);
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)fuzz_bytes(in, 2);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	return (uint32_t)fuzz_bytes(in, 4);
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	return fuzz_bytes(in, 8);
}

#endif
