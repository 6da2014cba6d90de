/*
 * The hv's log: a small printf into a ring drained to port 0xE9 (debug
 * console) and to a 16550 serial port the hv owns (COM1 unless a guest
 * owns it), in bounded chunks (hv/log.c). Safe on several CPUs at once:
 * lines enter the ring whole, tagged "cpuN: " while more than one CPU runs.
 */
#ifndef HV_LOG_H
#define HV_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fmt.h"

#define LOG_DRAIN_CHUNK  512u            /* bytes to 0xE9 after each exit, at most */
#define LOG_DRAIN_ALL    ((size_t)-1)
#define LOG_GUEST_QUOTA  8192u           /* a guest's bytes waiting in the ring, at most */
#define LOG_GUEST_LINES  128u            /* and its lines (LOG_LINES / CFG_MAX_GUESTS) */
#define LOG_LINE_MAX     512u            /* an hv line longer than this - 1 goes on in a new line */

/* Chooses the serial port (0 = none) and programs it to 115200 8N1. */
void log_init(uint16_t serial_base);

/* The TSC's rate: the UART is then asked for room at most once a character time (115200 baud). */
void log_uart_pace(uint64_t tsc_hz);

/* Formats like printf (the conversions of fmt.h) to the log channels. */
void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Formats into buf: the hv's names for fmt_vsnprintf and fmt_snprintf. */
#define log_vsnprintf fmt_vsnprintf
#define log_snprintf  fmt_snprintf

/*
 * Port 0xE9 for the trace, which shares it: log_debugcon_take takes the
 * log's lock and sends every line waiting in the ring first;
 * log_debugcon_write then writes raw bytes (whole lines) to 0xE9 only;
 * log_debugcon_give releases the lock. In between the caller may neither
 * print nor take another lock.
 */
void log_debugcon_take(void);
void log_debugcon_write(const char *s, size_t n);
void log_debugcon_give(void);

/*
 * Appends bytes of hv lines to the log: each line enters the ring when its
 * '\n' comes (until then it waits in this CPU's buffer), whole.
 */
void log_write(const char *s, size_t n);

/* Returns how many more bytes of lines guest owner may have waiting in the ring now. */
size_t log_guest_room(unsigned owner);

/*
 * Appends a line of guest owner (its console). Returns false, appending
 * nothing, if the line would take the guest beyond LOG_GUEST_QUOTA bytes
 * or LOG_GUEST_LINES lines waiting.
 */
bool log_guest_line(unsigned owner, const char *s, size_t n);

/* Returns true if bytes wait in the ring for a channel. */
bool log_pending(void);

/* Sends up to max bytes of the ring to 0xE9, and what the UART's FIFO takes. */
void log_drain(size_t max);

/* Sends everything (this CPU's unfinished line too), waiting for the UART: at the end, and in a panic. */
void log_flush(void);

/*
 * Charging hook: called with start = true before a line of owner goes out,
 * and with start = false after. owner is the guest index for a guest's line
 * (whichever CPU wrote or drains it), -1 for the hv's lines. It runs with
 * the log's lock held: it may not print.
 */
typedef void (*log_charge_fn)(int owner, bool start);
void log_set_charge_hook(log_charge_fn fn);

/* A rate limit for lines a guest can cause: at most per_window lines per window of TSC ticks. */
struct log_limit {
	uint64_t window_start;       /* TSC at which the current window began */
	uint32_t in_window;          /* lines printed in it */
	uint32_t suppressed;         /* lines not printed since the last one printed */
	uint64_t total_suppressed;
};

/* Returns true if a line may be printed now; else counts it as suppressed. */
bool log_limit_allow(struct log_limit *l, uint64_t now, uint64_t window, unsigned per_window);

/*
 * Breaks an hv invariant: prints the message (tagged with this CPU when
 * several run) and stops this CPU, even if another CPU holds the log's lock.
 */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
