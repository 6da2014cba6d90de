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
 * Several CPUs print at once. Each CPU builds its hv lines in a buffer of
 * its own (partial[]), which only it touches; a finished line enters the
 * ring whole, under the log's one lock, so no line is ever cut by another
 * CPU's. While more than one CPU runs (pcpu_count > 1) every line entering
 * the ring is tagged with the CPU that wrote it, "cpuN: " (guest console
 * lines too: "cpu1: [beta] ..."); with one CPU the log is as it always was.
 * The ring, its cursors, the table of lines, the quotas and both channels
 * are touched only under the lock, and nothing that holds the lock waits
 * for another one: the charge hook and the trace's writer (which takes the
 * debug port through log_debugcon_take) only compute and write to ports.
 *
 * A line has an owner: a guest (its console, and lines about what it did)
 * or the hv. Draining a guest's line is charged to that guest (the hook
 * hv/sched.c installs), whichever CPU drains it: on another CPU than the
 * guest's, the scheduler hands the time to the guest's own CPU
 * (sched_account). A guest may have at most LOG_GUEST_QUOTA
 * bytes in LOG_GUEST_LINES lines waiting in the ring; lines beyond that
 * are dropped and counted, and the count is printed when it can print
 * again. (Without the bound on lines, a flood of one-byte lines would fill
 * the table of lines and force a full drain every LOG_LINES of them.)
 *
 * panic() writes synchronously: nothing may stand between a broken
 * invariant and its message, not even a lock another CPU will never give
 * back.
 */
#include "lib.h"
#include "log.h"
#include "smp.h"
#include "fmt.h"
#include "cpu.h"
#include "percpu.h"
#include "spinlock.h"

#define LOG_RING        65536u           /* power of two */
#define LOG_HV          0xffu            /* owner of the hv's own lines */
#define LOG_MAX_OWNERS  16u
#define LOG_TAG_MAX     8u               /* "cpu63: " and its NUL */
#define LOG_PANIC_SPINS 1000000u         /* how long a panic waits for another CPU's lock */
#define UART_FIFO       16u
#define UART_LSR        5
#define UART_LSR_THRE   0x20

/* Relaxed atomic loads and stores: for the cursors read without the lock (hints only). */
#define LOAD(x)         __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v)     __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static struct spinlock log_lock;
static uint32_t lock_holder;             /* CPU + 1 holding log_lock, 0: none (for a panic) */
static uint32_t panic_holder;            /* CPU + 1 that took the lock for good in a panic */

static char ring[LOG_RING];
static uint64_t head, tail_e9, tail_uart;
static uint16_t log_serial;
static uint64_t uart_char_tsc;          /* TSC ticks one character takes on the line (0: unknown) */
static uint64_t uart_next_poll;         /* the UART is not asked before then (its FIFO is busy) */
static uint32_t pending[LOG_MAX_OWNERS]; /* bytes of each guest not yet out on 0xE9 */
static uint32_t pending_lines[LOG_MAX_OWNERS]; /* and its lines */
static uint64_t uart_lost;
static bool uart_cr_sent;                /* '\r' of the '\n' at tail_uart is out */
static log_charge_fn charge_hook;

/* A ring of (end, owner) for the lines not yet out on 0xE9, to charge and to release quota. */
#define LOG_LINES 1024u
static struct { uint64_t end; uint8_t owner; } lines[LOG_LINES];
static uint64_t line_head, line_tail;

/* The hv line each CPU is writing, until its '\n' (only that CPU touches it). */
static struct log_partial {
	char text[LOG_LINE_MAX];
	uint32_t len;
} __attribute__((aligned(64))) partial[HV_MAX_CPUS];

/* Index of the CPU running this (0 while only the boot processor runs: GS may not be set up yet). */
static unsigned log_cpu(void)
{
	unsigned c;

	if (LOAD(pcpu_count) <= 1)
		return 0;
	c = this_cpu();
	return c < HV_MAX_CPUS ? c : 0;
}

/* Writes the tag of cpu's lines into tag[LOG_TAG_MAX]; returns its length (0: one CPU, no tag). */
static size_t log_tag(unsigned cpu, char *tag)
{
	if (LOAD(pcpu_count) <= 1)
		return 0;
	return fmt_snprintf(tag, LOG_TAG_MAX, "cpu%u: ", cpu);
}

static void log_lock_take(unsigned cpu)
{
	if (LOAD(panic_holder) == cpu + 1)
		return;                         /* this CPU panicked: the lock is its own for good */
	spin_lock(&log_lock);
	STORE(lock_holder, cpu + 1);
}

static void log_lock_give(unsigned cpu)
{
	if (LOAD(panic_holder) == cpu + 1)
		return;
	STORE(lock_holder, 0);
	spin_unlock(&log_lock);
}

void log_init(uint16_t serial_base)
{
	head = tail_e9 = tail_uart = line_head = line_tail = uart_lost = 0;
	memset(pending, 0, sizeof(pending));
	memset(pending_lines, 0, sizeof(pending_lines));
	memset(partial, 0, sizeof(partial));
	log_lock.locked = 0;
	lock_holder = panic_holder = 0;
	charge_hook = NULL;
	uart_cr_sent = false;
	uart_char_tsc = uart_next_poll = 0;
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

/*
 * Returns true if the UART may be asked for room now: at most once a
 * character time while it is busy (log_uart_pace). A read of a legacy
 * UART's status costs about a microsecond on hardware; the exit path must
 * not pay it on every exit while the line is behind.
 */
static bool log_uart_due(void)
{
	return !uart_char_tsc || cpu_rdtsc() >= LOAD(uart_next_poll);
}

void log_uart_pace(uint64_t tsc_hz)
{
	uart_char_tsc = tsc_hz / 11520;      /* 10 bits a character at 115200 baud */
}

/*
 * Sends to the UART what its FIFO takes now (a whole FIFO when the
 * transmitter is empty). Lock held. paced: the UART is asked at most once a
 * character time (the exit path and idle); the synchronous flush asks it
 * every time.
 */
static void log_drain_uart(bool paced)
{
	if (!log_serial)
		return;
	if (head - tail_uart > LOG_RING) {
		uart_lost += head - LOG_RING - tail_uart;
		STORE(tail_uart, head - LOG_RING);
	}
	if (tail_uart == head || (paced && !log_uart_due()))
		return;
	if (!(inb(log_serial + UART_LSR) & UART_LSR_THRE)) {
		STORE(uart_next_poll, cpu_rdtsc() + uart_char_tsc);   /* busy: ask again in a character time */
		return;
	}
	/* A full FIFO takes this long to go out: nothing to ask the UART before then. */
	STORE(uart_next_poll, cpu_rdtsc() + UART_FIFO * uart_char_tsc);
	for (unsigned i = 0; i < UART_FIFO && tail_uart < head; i++) {
		char c = ring[tail_uart % LOG_RING];
		if (c == '\n' && !uart_cr_sent) {
			outb(log_serial, '\r');   /* a terminal wants CR LF */
			uart_cr_sent = true;
			continue;
		}
		outb(log_serial, (uint8_t)c);
		uart_cr_sent = false;
		STORE(tail_uart, tail_uart + 1);
	}
}

bool log_pending(void)
{
	uint64_t h = LOAD(head);

	return LOAD(tail_e9) != h || (LOAD(log_serial) && LOAD(tail_uart) != h);
}

/* log_drain with the lock held. */
static void log_drain_locked(size_t max)
{
	while (line_tail < line_head && max) {
		uint64_t end = lines[line_tail % LOG_LINES].end;
		uint8_t owner = lines[line_tail % LOG_LINES].owner;
		int charged = owner == LOG_HV ? -1 : owner;
		uint64_t to = tail_e9 + MIN(end - tail_e9, max);   /* max may be LOG_DRAIN_ALL */

		if (charge_hook)
			charge_hook(charged, true);
		log_out_e9(tail_e9, to);
		max -= to - tail_e9;
		if (owner < LOG_MAX_OWNERS)
			STORE(pending[owner], pending[owner] - (uint32_t)(to - tail_e9));
		STORE(tail_e9, to);
		if (charge_hook)
			charge_hook(charged, false);
		if (to != end)
			continue;
		STORE(line_tail, line_tail + 1);
		if (owner < LOG_MAX_OWNERS)
			STORE(pending_lines[owner], pending_lines[owner] - 1);
	}
	log_drain_uart(true);
}

/*
 * True if log_drain has nothing to do now: every line is out on 0xE9 and
 * the UART takes no byte (busy, or nothing for it). Read without the lock,
 * so that the exit path, which calls log_drain while the UART is behind,
 * takes no lock for nothing; a line another CPU adds meanwhile goes at the
 * next drain.
 */
static bool log_drain_idle(void)
{
	uint16_t port = LOAD(log_serial);

	if (LOAD(line_tail) != LOAD(line_head))
		return false;
	return !port || LOAD(tail_uart) == LOAD(head) || !log_uart_due();
}

void log_drain(size_t max)
{
	unsigned cpu;

	if (log_drain_idle())
		return;
	cpu = log_cpu();
	if (max != LOG_DRAIN_ALL && LOAD(panic_holder) != cpu + 1) {
		/*
		 * The exit path's chunk: if another CPU holds the lock it is
		 * draining (or writing) now; this CPU's guest does not wait for
		 * it, and what is left goes at the next drain.
		 */
		if (!spin_trylock(&log_lock))
			return;
		STORE(lock_holder, cpu + 1);
	} else {
		log_lock_take(cpu);
	}
	log_drain_locked(max);
	log_lock_give(cpu);
}

/* Copies n bytes into the ring at head (no bound checks: the caller made room). */
static void log_ring_put(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ring[(head + i) % LOG_RING] = s[i];
	STORE(head, head + n);
}

/* Appends one line of owner, written by cpu, to the ring, tagged when several CPUs run. Lock held. */
static void log_append(unsigned cpu, uint8_t owner, const char *s, size_t n)
{
	char tag[LOG_TAG_MAX];
	size_t t = log_tag(cpu, tag);

	if (n > LOG_RING / 2)
		n = LOG_RING / 2;
	if (head + t + n - tail_e9 > LOG_RING || line_head - line_tail == LOG_LINES)
		log_drain_locked(LOG_DRAIN_ALL);   /* make room */
	log_ring_put(tag, t);
	log_ring_put(s, n);
	lines[line_head % LOG_LINES].end = head;
	lines[line_head % LOG_LINES].owner = owner;
	STORE(line_head, line_head + 1);
	if (owner < LOG_MAX_OWNERS) {
		STORE(pending[owner], pending[owner] + (uint32_t)(t + n));
		STORE(pending_lines[owner], pending_lines[owner] + 1);
	}
}

size_t log_guest_room(unsigned owner)
{
	if (owner >= LOG_MAX_OWNERS)
		return 0;
	uint32_t bytes = LOAD(pending[owner]);   /* only a drain (any CPU) lowers them meanwhile */
	if (bytes >= LOG_GUEST_QUOTA || LOAD(pending_lines[owner]) >= LOG_GUEST_LINES)
		return 0;
	return LOG_GUEST_QUOTA - bytes;
}

bool log_guest_line(unsigned owner, const char *s, size_t n)
{
	unsigned cpu = log_cpu();
	bool ok;

	if (owner >= LOG_MAX_OWNERS)
		return false;
	log_lock_take(cpu);
	/* The tag's bytes count in pending (they wait in the ring) but not against this line. */
	ok = pending[owner] + n <= LOG_GUEST_QUOTA && pending_lines[owner] < LOG_GUEST_LINES;
	if (ok)
		log_append(cpu, (uint8_t)owner, s, n);
	log_lock_give(cpu);
	return ok;
}

/* Sends cpu's finished hv line to the ring, and a chunk of the ring out. */
static void log_commit(unsigned cpu)
{
	struct log_partial *p = &partial[cpu];

	log_lock_take(cpu);
	log_append(cpu, LOG_HV, p->text, p->len);
	log_drain_locked(LOG_DRAIN_CHUNK);
	log_lock_give(cpu);
	p->len = 0;
}

void log_write(const char *s, size_t n)
{
	unsigned cpu = log_cpu();
	struct log_partial *p = &partial[cpu];

	for (size_t i = 0; i < n; i++) {
		p->text[p->len++] = s[i];
		if (s[i] == '\n') {
			log_commit(cpu);
		} else if (p->len == LOG_LINE_MAX - 1) {
			p->text[p->len++] = '\n';   /* too long to stay whole: it goes on in a line of its own */
			log_commit(cpu);
		}
	}
}

void log_debugcon_take(void)
{
	unsigned cpu = log_cpu();

	log_lock_take(cpu);
	log_drain_locked(LOG_DRAIN_ALL);   /* keep 0xE9 in order: the ring's lines first */
}

void log_debugcon_write(const char *s, size_t n)
{
	cpu_outsb(0xe9, s, n);
}

void log_debugcon_give(void)
{
	log_lock_give(log_cpu());
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

/* log_flush with the lock held. */
static void log_flush_locked(unsigned cpu)
{
	log_drain_locked(LOG_DRAIN_ALL);
	while (log_serial && tail_uart < head) {
		log_uart_wait();
		log_drain_uart(false);
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

void log_flush(void)
{
	unsigned cpu = log_cpu();

	if (partial[cpu].len)                   /* a line without its '\n' yet: out as it is */
		log_commit(cpu);
	log_lock_take(cpu);
	log_flush_locked(cpu);
	log_lock_give(cpu);
}

/*
 * Takes the log's lock for good, for a panic on cpu: at once if this CPU
 * holds it already (a panic inside the log's own work), after a bounded
 * wait if another CPU does (it may never give it back: stopped, or
 * panicking itself), and then by force.
 */
static void log_panic_lock(unsigned cpu)
{
	if (LOAD(lock_holder) != cpu + 1)
		for (unsigned spin = 0; spin < LOG_PANIC_SPINS; spin++) {
			if (!__atomic_exchange_n(&log_lock.locked, 1, __ATOMIC_ACQUIRE))
				break;
			cpu_pause();
		}
	STORE(lock_holder, cpu + 1);
	STORE(panic_holder, cpu + 1);
}

void panic(const char *fmt, ...)
{
	unsigned cpu = log_cpu();
	va_list ap;

	smp_panic_begin();                      /* the other CPUs stop (NMI); a second panic halts here */
	log_panic_lock(cpu);
	if (partial[cpu].len)                   /* the message starts a line of its own */
		log_write("\n", 1);
	log_write("hv: PANIC: ", 11);
	va_start(ap, fmt);
	fmt_vwrite(log_write, fmt, ap);
	va_end(ap);
	log_write("\nhv: halted\n", 12);
	log_flush();
	cpu_halt_forever();
}
