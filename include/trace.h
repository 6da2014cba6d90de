/*
 * VM-exit trace: record format and wire format, shared by the hv (writer)
 * and tools/hvtrace (decoder).
 *
 * Every exit appends one struct trace_record to its CPU's ring in hv
 * memory; a ring never blocks the exit path (a full ring drops the record
 * and counts it). The hv drains the rings, merged in TSC order, to its
 * debug port (0xE9) as text lines, so they travel with the hv log and
 * survive any terminal:
 *
 *   @T <kind> <base64 payload>
 *
 * kind H: one struct trace_header (at start-up)
 *      N: one struct trace_name (a guest name, and every exit-reason name)
 *      R: one or more struct trace_record, back to back (up to 8)
 *      L: one struct trace_lost per CPU (its totals so far: after a drain
 *         that follows new drops, and at shutdown)
 *      E: one struct trace_end per CPU (at shutdown: its totals and the
 *         tracer's own cost on it)
 *
 * All integers little-endian; structures packed; base64 is RFC 4648 with
 * padding. A decoder needs nothing but this header: names come in N lines.
 *
 * Version 2 (several CPUs) against version 1 (one CPU): a record grew from
 * 48 to 56 bytes, its first 48 unchanged, with its CPU's sequence number
 * and the CPU; the header gained ncpus; L and E lines carry their CPU.
 * Within one CPU, records leave in sequence order; across CPUs, each drain
 * merges the rings in TSC order (records of separate drains may interleave).
 */
#ifndef TRACE_H
#define TRACE_H

#include <stdint.h>

#define TRACE_MAGIC        0x45435254u     /* "TRCE" */
#define TRACE_VERSION      2u
#define TRACE_LINE_PREFIX  "@T "

struct trace_header {
	uint32_t magic;
	uint16_t version;
	uint16_t record_size;           /* sizeof(struct trace_record) */
	uint64_t tsc_hz;
	uint64_t start_tsc;             /* TSC when tracing began */
	uint32_t nguests;
	uint32_t ring_records;          /* capacity of each CPU's ring */
	uint32_t ncpus;                 /* CPUs 0..ncpus-1: each has an L and an E line at the end */
	uint32_t reserved;              /* 0 */
} __attribute__((packed));

enum trace_name_kind {
	TRACE_NAME_GUEST = 1,           /* id = guest index */
	TRACE_NAME_REASON = 2,          /* id = basic exit reason */
};

struct trace_name {
	uint16_t kind;                  /* enum trace_name_kind */
	uint16_t id;
	char name[28];                  /* NUL-padded */
} __attribute__((packed));

/* What the detail word holds, by exit reason. */
enum trace_detail {
	TRACE_DETAIL_NONE = 0,
	TRACE_DETAIL_PORT = 1,          /* io: port | size << 16 | in << 24 */
	TRACE_DETAIL_MSR = 2,           /* rdmsr/wrmsr: MSR index */
	TRACE_DETAIL_LEAF = 3,          /* cpuid: leaf | subleaf << 32 */
	TRACE_DETAIL_GPA = 4,           /* ept-violation/misconfig: guest-physical address */
	TRACE_DETAIL_HCALL = 5,         /* vmcall: hypercall number */
	TRACE_DETAIL_VECTOR = 6,        /* external-interrupt: vector */
};

struct trace_record {
	uint64_t tsc_exit;              /* TSC taken first thing in the exit stub */
	uint64_t tsc_resume;            /* TSC just before this guest's next VM entry */
	uint64_t qual;                  /* exit qualification */
	uint64_t rip;                   /* guest RIP at the exit */
	uint64_t detail;                /* see enum trace_detail */
	uint32_t reason;                /* full exit-reason field: basic reason in 15:0, flags above */
	uint8_t guest;                  /* guest index */
	uint8_t vcpu;                   /* vCPU index within the guest */
	uint8_t detail_kind;            /* enum trace_detail */
	uint8_t resume_kind;            /* enum trace_resume_kind: why tsc_resume may be 0 */
	uint32_t seq;                   /* its CPU's record number (low 32 bits): 0, 1, 2, ... */
	uint16_t cpu;                   /* the CPU that took the exit (hv.cfg cpu = N) */
	uint16_t reserved;              /* 0 */
} __attribute__((packed));

enum trace_resume_kind {
	TRACE_RESUMED = 0,              /* tsc_resume is the TSC before the next VM entry */
	TRACE_NOT_RESUMED = 1,          /* the guest stopped or ended: it never resumed */
	TRACE_DRAINED_EARLY = 2,        /* the ring was half full: sent before the guest resumed */
};

struct trace_lost {                     /* note: lost first, unlike trace_end */
	uint64_t lost;                  /* records cpu's ring dropped because it was full, in total */
	uint64_t written;               /* records appended to it, in total */
	uint32_t cpu;
	uint32_t reserved;              /* 0 */
} __attribute__((packed));

struct trace_end {                      /* one per CPU: sum them for the machine */
	uint64_t written;
	uint64_t lost;
	uint64_t cost_tsc_sum;          /* TSC cpu's exit path spent recording written records (trace_exit) */
	uint64_t cost_tsc_max;
	uint64_t end_tsc;
	uint32_t cpu;
	uint32_t reserved;              /* 0 */
} __attribute__((packed));

_Static_assert(sizeof(struct trace_record) == 56, "trace_record is 56 bytes on the wire");
_Static_assert(sizeof(struct trace_header) == 40, "trace_header is 40 bytes on the wire");
_Static_assert(sizeof(struct trace_name) == 32, "trace_name is 32 bytes on the wire");
_Static_assert(sizeof(struct trace_lost) == 24, "trace_lost is 24 bytes on the wire");
_Static_assert(sizeof(struct trace_end) == 48, "trace_end is 48 bytes on the wire");

#endif
