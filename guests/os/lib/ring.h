/*
 * ring.h - byte ring buffer, single producer / single consumer.
 *
 * Capacity is a power of two and the storage is the caller's.  head counts
 * bytes ever written, tail bytes ever read (free-running, wrap at 2^32);
 * the producer only writes head, the consumer only writes tail, with
 * acquire/release ordering, so an IRQ handler may put while a task gets
 * (or the reverse) without a lock.  Two producers (or two consumers) need
 * the caller's exclusion.
 */
#ifndef OSLIB_RING_H
#define OSLIB_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring {
	uint8_t *buf;
	uint32_t mask;                /* capacity - 1 */
	uint32_t head;                /* written by the producer only */
	uint32_t tail;                /* written by the consumer only */
};

/* Sets up r over buf[0..cap).  Returns 0 on success, -1 if buf is NULL or
 * cap is not a power of two in [1, 2^31]. */
int ring_init(struct ring *r, uint8_t *buf, uint32_t cap);

/* Appends byte c.  Returns true on success, false (nothing written) if full. */
bool ring_put(struct ring *r, uint8_t c);

/* Removes the oldest byte into *c.  Returns true on success, false if empty. */
bool ring_get(struct ring *r, uint8_t *c);

/* Returns the oldest byte in *c without removing it; false if empty. */
bool ring_peek(const struct ring *r, uint8_t *c);

/* Appends up to n bytes from src.  Returns the number written (< n if full). */
size_t ring_write(struct ring *r, const uint8_t *src, size_t n);

/* Removes up to n bytes into dst.  Returns the number read (< n if empty). */
size_t ring_read(struct ring *r, uint8_t *dst, size_t n);

/* Returns the number of bytes stored. */
uint32_t ring_count(const struct ring *r);

/* Returns the number of bytes that can still be put. */
uint32_t ring_space(const struct ring *r);

/* Returns the capacity in bytes. */
uint32_t ring_capacity(const struct ring *r);

#endif
