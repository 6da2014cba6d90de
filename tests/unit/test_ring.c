/* test_ring.c - SPSC byte ring. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../guests/os/lib/ring.h"

static void test_init_rejects_non_power_of_two(void **state)
{
	uint8_t buf[16];
	struct ring r;

	assert_int_equal(ring_init(&r, buf, 0), -1);
	assert_int_equal(ring_init(&r, buf, 12), -1);
	assert_int_equal(ring_init(&r, NULL, 16), -1);
	assert_int_equal(ring_init(&r, buf, 1), 0);
	assert_int_equal(ring_init(&r, buf, 16), 0);
	assert_int_equal(ring_capacity(&r), 16);
	assert_int_equal(ring_count(&r), 0);
	assert_int_equal(ring_space(&r), 16);
}

static void test_put_fails_when_full_get_fails_when_empty(void **state)
{
	uint8_t buf[8], c;
	struct ring r;

	assert_int_equal(ring_init(&r, buf, 8), 0);
	assert_false(ring_get(&r, &c));
	assert_false(ring_peek(&r, &c));
	for (int i = 0; i < 8; i++)
		assert_true(ring_put(&r, (uint8_t)i));
	assert_false(ring_put(&r, 99));
	assert_int_equal(ring_count(&r), 8);
	assert_int_equal(ring_space(&r), 0);
	for (int i = 0; i < 8; i++) {
		assert_true(ring_peek(&r, &c));
		assert_int_equal(c, i);
		assert_true(ring_get(&r, &c));
		assert_int_equal(c, i);
	}
	assert_false(ring_get(&r, &c));
}

static void test_fifo_order_survives_wraparound_and_counter_overflow(void **state)
{
	uint8_t buf[4], c;
	struct ring r;
	uint32_t next_in = 0, next_out = 0;

	assert_int_equal(ring_init(&r, buf, 4), 0);
	r.head = r.tail = UINT32_MAX - 5;       /* counters about to wrap */
	for (int round = 0; round < 1000; round++) {
		int n = round % 5;

		for (int i = 0; i < n; i++)
			if (ring_put(&r, (uint8_t)next_in))
				next_in++;
		assert_int_equal(ring_count(&r) + ring_space(&r), 4);
		assert_int_equal(ring_count(&r), next_in - next_out);
		for (int i = 0; i < (round % 3); i++)
			if (ring_get(&r, &c))
				assert_int_equal(c, (uint8_t)next_out++);
	}
	while (ring_get(&r, &c))
		assert_int_equal(c, (uint8_t)next_out++);
	assert_int_equal(next_in, next_out);
	assert_true(next_in > 100);
}

static void test_bulk_write_and_read_stop_at_full_and_empty(void **state)
{
	uint8_t buf[8], src[12], dst[12];
	struct ring r;

	for (int i = 0; i < 12; i++)
		src[i] = (uint8_t)(i + 1);
	assert_int_equal(ring_init(&r, buf, 8), 0);
	assert_int_equal(ring_write(&r, src, 12), 8);
	assert_int_equal(ring_read(&r, dst, 3), 3);
	assert_int_equal(ring_write(&r, src + 8, 4), 3);
	assert_int_equal(ring_read(&r, dst + 3, 12), 8);
	for (int i = 0; i < 11; i++)
		assert_int_equal(dst[i], i + 1);
	assert_int_equal(ring_read(&r, dst, 1), 0);
}

enum { STREAM = 2000000 };
static struct ring shared;

static void *producer(void *arg)
{
	for (uint32_t i = 0; i < STREAM;)
		if (ring_put(&shared, (uint8_t)(i * 7)))
			i++;
	return arg;
}

static void test_concurrent_producer_and_consumer_lose_nothing(void **state)
{
	static uint8_t buf[64];
	pthread_t th;
	uint32_t got = 0, bad = 0;
	uint8_t c;

	assert_int_equal(ring_init(&shared, buf, 64), 0);
	assert_int_equal(pthread_create(&th, NULL, producer, NULL), 0);
	while (got < STREAM)
		if (ring_get(&shared, &c))
			bad += c != (uint8_t)(got++ * 7);
	pthread_join(th, NULL);
	assert_int_equal(bad, 0);
	assert_int_equal(ring_count(&shared), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_non_power_of_two),
		cmocka_unit_test(test_put_fails_when_full_get_fails_when_empty),
		cmocka_unit_test(test_fifo_order_survives_wraparound_and_counter_overflow),
		cmocka_unit_test(test_bulk_write_and_read_stop_at_full_and_empty),
		cmocka_unit_test(test_concurrent_producer_and_consumer_lose_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
