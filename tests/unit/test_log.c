/*
 * The hv's log with several CPUs (issue 11 item 4), on the host: lines
 * enter the ring whole and, while more than one CPU runs, tagged "cpuN: ";
 * guest console lines, quotas and the charge hook stay right when two CPUs
 * print and drain. The CPUs take turns (percpu_host_cpu) between calls, in
 * the middle of each other's lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "log.h"
#include "percpu.h"

/* Switches to CPU cpu (it is online: percpu_enter set its index). */
static void on_cpu(unsigned cpu)
{
	percpu_host_cpu = cpu;
}

/* What went to port 0xE9, once everything waiting is out. */
static const char *e9(void)
{
	log_drain(LOG_DRAIN_ALL);
	fake.e9[fake.e9_len] = 0;
	return fake.e9;
}

static int setup_cpus(unsigned n)
{
	fake_reset();
	for (unsigned c = n; c-- > 0;)
		percpu_enter(c, c);               /* ends on CPU 0 */
	pcpu_count = n;
	log_init(0);
	fake_log_clear();
	return 0;
}

static int one_cpu(void **state)
{
	(void)state;
	return setup_cpus(1);
}

static int two_cpus(void **state)
{
	(void)state;
	return setup_cpus(2);
}

static int back_to_one_cpu(void **state)
{
	(void)state;
	pcpu_count = 1;
	percpu_host_cpu = 0;
	log_set_charge_hook(NULL);
	return 0;
}

/* With one CPU the log is byte for byte what it always was: no tag. */
static void test_one_cpu_lines_are_untagged(void **state)
{
	(void)state;
	log_printf("hv: one %d\n", 1);
	log_printf("hv: two ");
	log_printf("%s\n", "pieces");
	assert_true(log_guest_line(0, "[a] text\n", 9));
	assert_string_equal(e9(), "hv: one 1\nhv: two pieces\n[a] text\n");
}

/* CPU 0's line, written in three pieces around CPU 1's, comes out whole after it: never cut. */
static void test_two_cpus_lines_are_whole_and_tagged(void **state)
{
	(void)state;
	on_cpu(0);
	log_printf("hv: guest alpha: ");
	on_cpu(1);
	log_printf("hv: guest beta: ");
	on_cpu(0);
	log_printf("%d exits", 17);
	on_cpu(1);
	log_printf("%d exits\n", 42);
	on_cpu(0);
	log_printf("\nhv: next\n");
	assert_string_equal(e9(), "cpu1: hv: guest beta: 42 exits\n"
				  "cpu0: hv: guest alpha: 17 exits\n"
				  "cpu0: hv: next\n");
}

/* A guest's console line carries the CPU that wrote it (its guest's). */
static void test_two_cpus_guest_lines_are_tagged(void **state)
{
	(void)state;
	on_cpu(1);
	assert_true(log_guest_line(1, "[beta] hello\n", 13));
	on_cpu(0);
	assert_true(log_guest_line(0, "[alpha] hi\n", 11));
	assert_string_equal(e9(), "cpu1: [beta] hello\ncpu0: [alpha] hi\n");
}

/* An hv line longer than LOG_LINE_MAX - 1 is ended there and goes on in a line of its own, tagged. */
static void test_two_cpus_overlong_line_is_cut_into_tagged_lines(void **state)
{
	char big[LOG_LINE_MAX + 10];

	(void)state;
	memset(big, 'x', sizeof(big));
	on_cpu(1);
	log_write(big, sizeof(big));
	on_cpu(0);
	log_printf("hv: between\n");
	on_cpu(1);
	log_write("\n", 1);
	const char *out = e9();
	assert_int_equal(strncmp(out, "cpu1: ", 6), 0);
	assert_int_equal(strspn(out + 6, "x"), LOG_LINE_MAX - 1);
	out += 6 + LOG_LINE_MAX - 1;
	assert_string_equal(out, "\ncpu0: hv: between\ncpu1: xxxxxxxxxxx\n");
}

/*
 * The quota counts the tag's bytes waiting in the ring, and what
 * log_guest_room says fits is what log_guest_line takes: a guest fills its
 * quota to the byte, then is refused, on either CPU's count.
 */
static void test_two_cpus_guest_room_and_line_agree_with_tags(void **state)
{
	char line[64];
	unsigned taken = 0;

	(void)state;
	memset(line, 'y', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	on_cpu(1);
	for (;;) {
		size_t room = log_guest_room(3);
		size_t n = room < sizeof(line) ? room : sizeof(line);
		if (!n)
			break;
		assert_true(log_guest_line(3, line + sizeof(line) - n, n));
		taken++;
	}
	assert_false(log_guest_line(3, "\n", 1));
	assert_int_equal(log_guest_room(3), 0);
	on_cpu(0);
	log_drain(LOG_DRAIN_ALL);                /* CPU 0 drains CPU 1's lines: quota released */
	assert_int_equal(log_guest_room(3), LOG_GUEST_QUOTA);
	assert_true(taken > 8192 / 70 && taken < LOG_GUEST_LINES);
}

/* The lines table bounds a guest too: LOG_GUEST_LINES lines, whoever's CPU. */
static void test_two_cpus_guest_lines_bound_holds(void **state)
{
	(void)state;
	on_cpu(1);
	for (unsigned i = 0; i < LOG_GUEST_LINES; i++)
		assert_true(log_guest_line(2, "\n", 1));
	assert_false(log_guest_line(2, "\n", 1));
	assert_int_equal(log_guest_room(2), 0);
	on_cpu(0);
	log_drain(LOG_DRAIN_ALL);
	assert_true(log_guest_line(2, "\n", 1));
}

static struct { int owner; bool start; } charges[16];
static unsigned ncharges;

static void record_charge(int owner, bool start)
{
	if (ncharges < 16)
		charges[ncharges].owner = owner, charges[ncharges].start = start;
	ncharges++;
}

/*
 * Draining a guest's line is charged to the guest whichever CPU drains it
 * (on another CPU the scheduler hands the time to the guest's own CPU):
 * the hook hears the owner there too, and -1 only for the hv's lines.
 * Before, CPU 0 draining CPU 1's guest line heard -1 and charged its own
 * current guest.
 */
static void test_two_cpus_charge_hook_hears_the_owner_on_any_cpu(void **state)
{
	(void)state;
	ncharges = 0;
	log_set_charge_hook(record_charge);
	on_cpu(1);
	assert_true(log_guest_line(1, "[beta] a\n", 9));
	on_cpu(0);
	log_drain(LOG_DRAIN_ALL);                /* CPU 0 drains CPU 1's guest line */
	on_cpu(1);
	assert_true(log_guest_line(1, "[beta] b\n", 9));
	log_drain(LOG_DRAIN_ALL);                /* CPU 1 drains its own */
	log_printf("hv: a line of the hv\n");
	log_drain(LOG_DRAIN_ALL);
	assert_int_equal(ncharges, 6);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(charges[i].owner, 1);
		assert_int_equal(charges[i].start, i % 2 == 0);
	}
	assert_int_equal(charges[4].owner, -1);
	assert_int_equal(charges[5].owner, -1);
}

/* The trace's writer gets port 0xE9 after the ring's lines; a CPU's unfinished line stays its own. */
static void test_two_cpus_debugcon_goes_after_ring_lines(void **state)
{
	(void)state;
	on_cpu(1);
	log_printf("hv: half a line ");
	on_cpu(0);
	assert_true(log_guest_line(0, "[alpha] x\n", 10));
	log_debugcon_take();
	log_debugcon_write("@T R AAAA\n", 10);
	log_debugcon_give();
	on_cpu(1);
	log_printf("and the rest\n");
	assert_string_equal(e9(), "cpu0: [alpha] x\n@T R AAAA\ncpu1: hv: half a line and the rest\n");
}

/* log_flush sends this CPU's unfinished line too (the end, a panic). */
static void test_flush_sends_the_unfinished_line(void **state)
{
	(void)state;
	on_cpu(1);
	log_printf("hv: no newline yet");
	log_flush();
	fake.e9[fake.e9_len] = 0;
	assert_string_equal(fake.e9, "cpu1: hv: no newline yet");
}

/*
 * A panic gets its message out even while another CPU holds the log's lock
 * (stopped for good, say): it waits a bounded time, then writes anyway. Its
 * line starts a line of its own and says which CPU panicked.
 */
static void test_panic_writes_past_a_lock_another_cpu_holds(void **state)
{
	jmp_buf halted;

	(void)state;
	on_cpu(1);
	log_printf("hv: half ");
	on_cpu(0);
	log_debugcon_take();                     /* CPU 0 holds the lock and never gives it */
	on_cpu(1);
	fake.halt_jmp = &halted;
	if (!setjmp(halted))
		panic("test: %s", "broken");
	fake.halt_jmp = NULL;
	assert_true(fake.halted_forever);
	fake.e9[fake.e9_len] = 0;
	assert_string_equal(fake.e9, "cpu1: hv: half \ncpu1: hv: PANIC: test: broken\ncpu1: hv: halted\n");
}

/*
 * While the UART is behind, the exit path's drain asks it for room at most
 * once a character time (87 us at 115200 baud), not on every exit: a read
 * of a legacy UART's status costs about a microsecond on hardware. Before,
 * 1000 drains read the status 1000 times.
 */
static void test_a_busy_uart_is_asked_once_a_character_time(void **state)
{
	uint64_t start, per_char = 200000000ull / 11520;

	(void)state;
	log_init(0x3f8);
	log_uart_pace(200000000ull);
	fake.uart_busy = true;
	fake.lsr_reads = 0;
	fake.tsc_step = 10;
	start = fake.tsc;
	log_printf("hv: a line for the UART\n");
	for (int i = 0; i < 1000; i++)
		log_drain(LOG_DRAIN_CHUNK);      /* port 0xE9 has it all at once; the UART is busy */
	assert_true(log_pending());
	assert_true(fake.lsr_reads <= 2 + (fake.tsc - start) / per_char);
	fake.uart_busy = false;
	for (int i = 0; i < 4 && log_pending(); i++) {
		fake.tsc += 16 * per_char;
		log_drain(LOG_DRAIN_CHUNK);
	}
	assert_false(log_pending());             /* once it has room, the rest goes */
	fake.tsc_step = 0;
	log_init(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_cpu_lines_are_untagged, one_cpu, back_to_one_cpu),
		cmocka_unit_test_setup(test_a_busy_uart_is_asked_once_a_character_time, one_cpu),
#define T2(t) cmocka_unit_test_setup_teardown(t, two_cpus, back_to_one_cpu)
		T2(test_two_cpus_lines_are_whole_and_tagged),
		T2(test_two_cpus_guest_lines_are_tagged),
		T2(test_two_cpus_overlong_line_is_cut_into_tagged_lines),
		T2(test_two_cpus_guest_room_and_line_agree_with_tags),
		T2(test_two_cpus_guest_lines_bound_holds),
		T2(test_two_cpus_charge_hook_hears_the_owner_on_any_cpu),
		T2(test_two_cpus_debugcon_goes_after_ring_lines),
		T2(test_flush_sends_the_unfinished_line),
		T2(test_panic_writes_past_a_lock_another_cpu_holds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
