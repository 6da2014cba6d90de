/*
 * Log output. Port 0xE9 is Bochs' and QEMU's debug console; the serial
 * port reaches a file or terminal on every backend.
 *
 * Every line goes into one ring first and leaves it in bounded chunks:
 * to port 0xE9 with REP OUTSB (one instruction, one emulator exit, per
 * contiguous run), and to the UART only as many bytes as its FIFO takes
 * without waiting (the hv never polls a 115200-baud line with the CPU
 * held: 87 us a character on hardware). The two channels have their own
 * tails; the UART may fall behind, and loses the oldest bytes rather than
 * hold anything up.
 *
 * A line has an owner: a guest (its console, and lines about what it did)
 * or the hv. Draining a guest's line is charged to that guest (the hook
 * hv/sched.c installs). A guest may have at most LOG_GUEST_QUOTA bytes in
 * LOG_GUEST_LINES lines waiting in the ring; lines beyond that are dropped
 * and counted, and the count is printed when it can print again. (Without
 * the bound on lines, a flood of one-byte lines would fill the table of
 * lines and force a full drain every LOG_LINES of them.)
 *
 * panic() writes synchronously: nothing may stand between a broken
 * invariant and its message.
 */
#include "lib.h"
#include "log.h"
#include "fmt.h"
#include "cpu.h"

#define LOG_RING        65536u           /* power of two */
#define LOG_HV          0xffu            /* owner of the hv's own lines */
#define LOG_MAX_OWNERS  16u
#define UART_FIFO       16u
#define UART_LSR        5
#define UART_LSR_THRE   0x20

static char ring[LOG_RING];
static uint64_t head, tail_e9, tail_uart;
static uint16_t log_serial;
static uint32_t pending[LOG_MAX_OWNERS]; /* bytes of each guest not yet out on 0xE9 */
static uint32_t pending_lines[LOG_MAX_OWNERS]; /* and its lines */
static uint64_t uart_lost;
static bool uart_cr_sent;                /* '\r' of the '\n' at tail_uart is out */
static log_charge_fn charge_hook;

/* A ring of (start, owner) for the lines not yet out on 0xE9, to charge and to release quota. */
#define LOG_LINES 1024u
static struct { uint64_t end; uint8_t owner; } lines[LOG_LINES];
static uint64_t line_head, line_tail;

void log_init(uint16_t serial_base)
{
	head = tail_e9 = tail_uart = line_head = line_tail = uart_lost = 0;
	memset(pending, 0, sizeof(pending));
	memset(pending_lines, 0, sizeof(pending_lines));
	charge_hook = NULL;
	uart_cr_sent = false;
	log_serial = serial_base;
	if (!serial_base)
		return;
	outb(serial_base + 1, 0x00);    /* no interrupts */
	outb(serial_base + 3, 0x80);    /* DLAB */
	outb(serial_base + 0, 0x01);    /* divisor 1: 115200 baud */
	outb(serial_base + 1, 0x00);
	outb(serial_base + 3, 0x03);    /* 8N1 */
	outb(serial_base + 2, 0xc7);    /* FIFO on, cleared */
	outb(serial_base + 4, 0x03);    /* DTR, RTS */
}

void log_set_charge_hook(log_charge_fn fn)
{
	charge_hook = fn;
}

/* Writes the ring's bytes [from, to) to port 0xE9: one REP OUTSB per contiguous run. */
static void log_out_e9(uint64_t from, uint64_t to)
{
	while (from < to) {
		size_t off = from % LOG_RING, n = MIN(to - from, LOG_RING - off);
		cpu_outsb(0xe9, ring + off, n);
		from += n;
	}
}

/* Sends to the UART what its FIFO takes now (a whole FIFO when the transmitter is empty). */
static void log_drain_uart(void)
{
	if (!log_serial)
		return;
	if (head - tail_uart > LOG_RING) {
		uart_lost += head - LOG_RING - tail_uart;
		tail_uart = head - LOG_RING;
	}
	if (tail_uart == head || !(inb(log_serial + UART_LSR) & UART_LSR_THRE))
		return;
	for (unsigned i = 0; i < UART_FIFO && tail_uart < head; i++) {
		char c = ring[tail_uart % LOG_RING];
		if (c == '\n' && !uart_cr_sent) {
			outb(log_serial, '\r');   /* a terminal wants CR LF */
			uart_cr_sent = true;
			continue;
		}
		outb(log_serial, (uint8_t)c);
		uart_cr_sent = false;
		tail_uart++;
	}
}

bool log_pending(void)
{
	return tail_e9 != head || (log_serial && tail_uart != head);
}

void log_drain(size_t max)
{
	while (line_tail < line_head && max) {
		uint64_t end = lines[line_tail % LOG_LINES].end;
		uint8_t owner = lines[line_tail % LOG_LINES].owner;
		uint64_t to = tail_e9 + MIN(end - tail_e9, max);   /* max may be LOG_DRAIN_ALL */

		if (charge_hook)
			charge_hook(owner == LOG_HV ? -1 : owner, true);
		log_out_e9(tail_e9, to);
		max -= to - tail_e9;
		if (owner < LOG_MAX_OWNERS)
			pending[owner] -= (uint32_t)(to - tail_e9);
		tail_e9 = to;
		if (charge_hook)
			charge_hook(owner == LOG_HV ? -1 : owner, false);
		if (to != end)
			continue;
		line_tail++;
		if (owner < LOG_MAX_OWNERS)
			pending_lines[owner]--;
	}
	log_drain_uart();
}

/* Makes room for n more bytes (and one line record): drains 0xE9 as far as needed. */
static void log_make_room(size_t n)
{
	if (head + n - tail_e9 > LOG_RING || line_head - line_tail == LOG_LINES)
		log_drain(LOG_DRAIN_ALL);
}

/* Appends one line of owner to the ring. */
static void log_append(uint8_t owner, const char *s, size_t n)
{
	if (n > LOG_RING / 2)
		n = LOG_RING / 2;
	log_make_room(n);
	for (size_t i = 0; i < n; i++)
		ring[(head + i) % LOG_RING] = s[i];
	head += n;
	lines[line_head % LOG_LINES].end = head;
	lines[line_head % LOG_LINES].owner = owner;
	line_head++;
	if (owner < LOG_MAX_OWNERS) {
		pending[owner] += (uint32_t)n;
		pending_lines[owner]++;
	}
}

size_t log_guest_room(unsigned owner)
{
	if (owner >= LOG_MAX_OWNERS || pending[owner] >= LOG_GUEST_QUOTA ||
	    pending_lines[owner] >= LOG_GUEST_LINES)
		return 0;
	return LOG_GUEST_QUOTA - pending[owner];
}

bool log_guest_line(unsigned owner, const char *s, size_t n)
{
	if (owner >= LOG_MAX_OWNERS)
		return false;
	if (pending[owner] + n > LOG_GUEST_QUOTA || pending_lines[owner] >= LOG_GUEST_LINES)
		return false;
	log_append((uint8_t)owner, s, n);
	return true;
}

void log_write(const char *s, size_t n)
{
	log_append(LOG_HV, s, n);
	log_drain(LOG_DRAIN_CHUNK);
}

void log_write_debugcon(const char *s, size_t n)
{
	log_drain(LOG_DRAIN_ALL);       /* keep 0xE9 in order: the ring's lines first */
	cpu_outsb(0xe9, s, n);
}

void log_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vwrite(log_write, fmt, ap);
	va_end(ap);
}

bool log_limit_allow(struct log_limit *l, uint64_t now, uint64_t window, unsigned per_window)
{
	if (now - l->window_start >= window) {
		l->window_start = now;
		l->in_window = 0;
	}
	if (l->in_window >= per_window) {
		l->suppressed++;
		l->total_suppressed++;
		return false;
	}
	l->in_window++;
	return true;
}

/* Waits until the UART takes one more byte, for the synchronous paths (flush, panic). */
static void log_uart_wait(void)
{
	for (int spin = 0; spin < 100000 && !(inb(log_serial + UART_LSR) & UART_LSR_THRE); spin++)
		cpu_pause();
}

void log_flush(void)
{
	log_drain(LOG_DRAIN_ALL);
	while (log_serial && tail_uart < head) {
		log_uart_wait();
		log_drain_uart();
	}
	if (uart_lost && log_serial) {
		char buf[80];
		size_t n = fmt_snprintf(buf, sizeof(buf), "hv: %lu log bytes lost on the serial port\r\n",
					uart_lost);
		for (size_t i = 0; i < n; i++) {
			log_uart_wait();
			outb(log_serial, (uint8_t)buf[i]);
		}
		uart_lost = 0;
	}
}

void panic(const char *fmt, ...)
{
	va_list ap;

	log_write("hv: PANIC: ", 11);
	va_start(ap, fmt);
	fmt_vwrite(log_write, fmt, ap);
	va_end(ap);
	log_write("\nhv: halted\n", 12);
	log_flush();
	cpu_halt_forever();
}
