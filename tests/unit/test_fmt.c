/*
 * Unit tests for lib/fmt.c: the formatter of the hv's log and hv.cfg, the
 * guest OS's console and the test guests. Built twice: as the 64-bit hv
 * and guest OS divide (test_fmt), and with -DFMT_DIV16 as the 32-bit test
 * guests do (test_fmt_div16).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/types.h>
#include <cmocka.h>

#include "fmt.h"

static char buf[64];

/* Asserts the formatted text and that the return value is its length. */
#define expect(want, ...)                                               \
	do {                                                            \
		size_t n_ = fmt_snprintf(buf, sizeof(buf), __VA_ARGS__); \
		assert_string_equal(buf, want);                         \
		assert_int_equal(n_, strlen(want));                     \
	} while (0)

static void test_signed(void **state)
{
	(void)state;
	expect("0 42 -42", "%d %d %d", 0, 42, -42);
	expect("-2147483648", "%i", INT32_MIN);
	expect("-9223372036854775808", "%ld", (long)INT64_MIN);
	expect("x=-7!", "x=%lld!", -7ll);
}

static void test_unsigned_and_hex(void **state)
{
	(void)state;
	expect("4294967295", "%u", 0xffffffffu);
	expect("0 3f8 deadbeef", "%x %x %x", 0u, 0x3f8u, 0xdeadbeefu);
	expect("123456789abcdef0", "%lx", (unsigned long)0x123456789abcdef0ull);
	expect("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
}

static void test_string_char_pointer(void **state)
{
	const char *volatile null = NULL;       /* volatile: no -Wformat null warning */

	(void)state;
	expect("a guest b", "a %s b", "guest");
	expect("(null)", "%s", null);
	expect("[x]", "[%c]", 'x');
	expect("0x00000000000b8000", "%p", (void *)0xb8000);
}

static void test_width_and_flags(void **state)
{
	(void)state;
	expect("   42|", "%5d|", 42);
	expect("  -42|", "%5d|", -42);
	expect("00042|", "%05d|", 42);
	expect("-0042|", "%05d|", -42);
	expect("000003f8", "%08x", 0x3f8u);
	expect("  ab|", "%4s|", "ab");
	expect("ab  |", "%-4s|", "ab");
	expect("toolong|", "%-4s|", "toolong");  /* width is a minimum */
}

static void test_percent_sign(void **state)
{
	(void)state;
	expect("100%", "100%%");
	expect("50% of 4", "%d%% of %d", 50, 4);
}

static void test_truncates_and_terminates(void **state)
{
	char small[8];
	size_t n;

	(void)state;
	memset(small, 'Z', sizeof(small));
	n = fmt_snprintf(small, sizeof(small), "hello %s", "world");
	assert_string_equal(small, "hello w");
	assert_int_equal(n, 7);                 /* what was written, not 11 */

	n = fmt_snprintf(small, sizeof(small), "%d", 1234567);
	assert_string_equal(small, "1234567");
	assert_int_equal(n, 7);

	n = fmt_snprintf(small, sizeof(small), "%d", 12345678);
	assert_string_equal(small, "1234567");
	assert_int_equal(n, 7);

	n = fmt_snprintf(small, 1, "abc");
	assert_int_equal(small[0], 0);
	assert_int_equal(n, 0);

	small[0] = 'Z';
	n = fmt_snprintf(small, 0, "abc");      /* size 0: nothing written */
	assert_int_equal(small[0], 'Z');
	assert_int_equal(n, 0);
}

static size_t vformat(char *b, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static size_t vformat(char *b, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(b, size, fmt, ap);
	va_end(ap);
	return n;
}

static void test_vsnprintf(void **state)
{
	(void)state;
	assert_int_equal(vformat(buf, sizeof(buf), "%s=%u", "irq", 4u), 5);
	assert_string_equal(buf, "irq=4");
}

static void test_upper_hex_and_size_t(void **state)
{
	(void)state;
	expect("DEADBEEF 3f8", "%X %x", 0xdeadbeefu, 0x3f8u);
	expect("00FF", "%04X", 0xffu);
	expect("4096 -1", "%zu %zd", (size_t)4096, (ssize_t)-1);
	expect("FFFFFFFFFFFFFFFF", "%llX", (unsigned long long)UINT64_MAX);
}

static void test_left_justified_numbers(void **state)
{
	(void)state;
	expect("42   |", "%-5d|", 42);
	expect("-42  |", "%-5d|", -42);
	expect("3f8  |", "%-5x|", 0x3f8u);
	expect("12345678|", "%-4lu|", 12345678ul);
}

/* Every 64-bit value's decimal and hex digits, through the division by 10 and 16. */
static void test_64bit_digits(void **state)
{
	(void)state;
	expect("18446744073709551615", "%llu", 18446744073709551615ull);
	expect("10000000000000000000", "%llu", 10000000000000000000ull);
	expect("4294967296 4294967295", "%llu %llu", 4294967296ull, 4294967295ull);
	expect("123456789012345", "%llu", 123456789012345ull);
	expect("-9223372036854775807", "%lld", -9223372036854775807ll);
	expect("fedcba9876543210", "%llx", 0xfedcba9876543210ull);
	expect("100000000", "%llx", 0x100000000ull);
}

struct sink {
	char text[64];
	size_t n;
};

static void sink_put(void *ctx, char c)
{
	struct sink *s = ctx;

	s->text[s->n++] = c;
}

static size_t sink_format(struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t sink_format(struct sink *s, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vformat(sink_put, s, fmt, ap);
	va_end(ap);
	return n;
}

/* fmt_vformat gives each character to the callback, in order, and counts them: no NUL. */
static void test_vformat_callback(void **state)
{
	struct sink s = { .n = 0 };

	(void)state;
	memset(s.text, 'Z', sizeof(s.text));
	assert_int_equal(sink_format(&s, "guest %s: %d%%", "alpha", 7), 15);
	assert_int_equal(s.n, 15);
	assert_memory_equal(s.text, "guest alpha: 7%", 15);
	assert_int_equal(s.text[15], 'Z');
}

int main(void)
{
#define T(f) cmocka_unit_test(f)
	const struct CMUnitTest tests[] = {
		T(test_signed),
		T(test_unsigned_and_hex),
		T(test_string_char_pointer),
		T(test_width_and_flags),
		T(test_percent_sign),
		T(test_truncates_and_terminates),
		T(test_vsnprintf),
		T(test_upper_hex_and_size_t),
		T(test_left_justified_numbers),
		T(test_64bit_digits),
		T(test_vformat_callback),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
