/*
 * ring.c - lock-free single-producer/single-consumer byte ring.
 *
 * The producer owns head, the consumer owns tail.  Each side reads the
 * other's index with acquire and publishes its own with release, so the
 * byte written before head moves is visible to the consumer that sees
 * the new head (on x86 these are plain moves plus a compiler barrier).
 */
#include "ring.h"

static uint32_t load_acq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_rel(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

int ring_init(struct ring *r, uint8_t *buf, uint32_t cap)
{
	if (!buf || cap == 0 || cap > 0x80000000u || (cap & (cap - 1)))
		return -1;
	r->buf = buf;
	r->mask = cap - 1;
	r->head = 0;
	r->tail = 0;
	return 0;
}

bool ring_put(struct ring *r, uint8_t c)
{
	uint32_t head = r->head;

	if (head - load_acq(&r->tail) > r->mask)
		return false;
	r->buf[head & r->mask] = c;
	store_rel(&r->head, head + 1);
	return true;
}

bool ring_get(struct ring *r, uint8_t *c)
{
	uint32_t tail = r->tail;

	if (load_acq(&r->head) == tail)
		return false;
	*c = r->buf[tail & r->mask];
	store_rel(&r->tail, tail + 1);
	return true;
}

bool ring_peek(const struct ring *r, uint8_t *c)
{
	uint32_t tail = r->tail;

	if (load_acq(&r->head) == tail)
		return false;
	*c = r->buf[tail & r->mask];
	return true;
}

size_t ring_write(struct ring *r, const uint8_t *src, size_t n)
{
	size_t i = 0;

	while (i < n && ring_put(r, src[i]))
		i++;
	return i;
}

size_t ring_read(struct ring *r, uint8_t *dst, size_t n)
{
	size_t i = 0;

	while (i < n && ring_get(r, &dst[i]))
		i++;
	return i;
}

uint32_t ring_count(const struct ring *r)
{
	return load_acq(&r->head) - load_acq(&r->tail);
}

uint32_t ring_space(const struct ring *r)
{
	return r->mask + 1 - ring_count(r);
}

uint32_t ring_capacity(const struct ring *r)
{
	return r->mask + 1;
}
