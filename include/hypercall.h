/*
 * Hypercall ABI (VMCALL), shared by the hv and its guests.
 *
 * A guest executes VMCALL with the call number in RAX and arguments in RBX,
 * RCX, RDX (in that order). The result comes back in RAX; a negative value
 * (as int64_t) is an error HC_E*. Other registers are preserved. Addresses are
 * guest-physical; a buffer must lie wholly inside the guest's RAM.
 *
 * Only CPL 0 may call: from CPL 1-3 every call returns HC_EPERM and does
 * nothing else (the guest's kernel decides what its processes may ask the
 * hv; a process must not make the hv write into its kernel). Outside
 * 64-bit mode (a 32-bit guest, or compatibility mode) only EAX, EBX and
 * ECX count: the upper halves of RAX, RBX, RCX are ignored.
 *
 * The hv also identifies itself through CPUID: leaf 0x40000000 returns the
 * highest hypervisor leaf in EAX and the signature HV_CPUID_SIGNATURE in
 * EBX:ECX:EDX; leaf 0x40000001 returns HC_ABI_VERSION in EAX.
 */
#ifndef HYPERCALL_H
#define HYPERCALL_H

#include <stdint.h>
#include "exit_reasons.h"

#define HV_CPUID_LEAF_BASE    0x40000000u
#define HV_CPUID_LEAF_VERSION 0x40000001u
#define HV_CPUID_SIGNATURE    "NanoKernelHV"   /* 12 bytes: EBX, ECX, EDX */

#define HC_ABI_VERSION        0x00010001u      /* major 1, minor 1 (HC_GUEST_CTL) */

enum hypercall {
	HC_VERSION      = 0,   /* () -> HC_ABI_VERSION */
	HC_YIELD        = 1,   /* () -> 0: give the CPU to another guest */
	HC_CONSOLE      = 2,   /* (gpa, len <= HC_CONSOLE_MAX) -> bytes that went to the console */
	HC_EXIT_STATS   = 3,   /* (gpa, size) -> bytes written: struct hc_exit_stats */
	HC_GUEST_INFO   = 4,   /* (gpa, size) -> bytes written: struct hc_guest_info */
	HC_GUEST_CTL    = 5,   /* (op, gpa of a guest's name) -> see below */
	HC_MAX
};

#define HC_EPERM    (-1)   /* called from CPL > 0 */
#define HC_ENOENT   (-2)   /* HC_GUEST_CTL: no guest of that name */
#define HC_EACCES   (-13)  /* HC_GUEST_CTL: hv.cfg does not let this guest manage that one */
#define HC_EINVAL   (-22)  /* bad argument: buffer outside RAM, bad length */
#define HC_ENOSYS   (-38)  /* unknown call number */

/*
 * HC_GUEST_CTL: a guest manages the guests hv.cfg names in its `manages`
 * key, wherever they run. The name is NUL-terminated within 16 bytes
 * (struct hc_guest_info's name). Every op needs the right, the status too.
 *
 * HC_CTL_STOP and HC_CTL_RESTART are requests: the call returns 0 at once
 * and the target's own CPU carries them out at its next scheduling point
 * (another CPU is interrupted for it by an IPI: within microseconds). A
 * stop is final (no restart = yes); a restart stops the guest if it runs
 * and boots it again from its pristine image, whatever state it was in
 * (it does not count against restart = yes's limit). HC_CTL_STATUS
 * returns HC_CTL_STATE(boots, state) of the target as it is now.
 */
enum hc_ctl_op {
	HC_CTL_STATUS   = 0,
	HC_CTL_STOP     = 1,
	HC_CTL_RESTART  = 2,
};

enum hc_guest_state {
	HC_GS_RUNNING   = 1,   /* runnable or running */
	HC_GS_HALTED    = 2,   /* waits for an interrupt */
	HC_GS_STOPPED   = 3,   /* stopped by the hv (a fault, a time limit, a manager) */
	HC_GS_EXITED    = 4,   /* ended itself (port 0xF4) */
	HC_GS_ENDED     = 5,   /* halted with nothing to wake it */
};

/* HC_CTL_STATUS's result: the boot number (1 = first boot) and the state. */
#define HC_CTL_STATE(boots, state) (((int64_t)(boots) << 8) | (state))
#define HC_CTL_BOOTS(r)            ((uint32_t)((r) >> 8))
#define HC_CTL_GSTATE(r)           ((unsigned)((r) & 0xff))

/*
 * HC_CONSOLE: a guest's console output waits in the hv's log ring, at most
 * 8 KiB of it at a time; what does not fit is dropped and counted (the
 * console then says how much), and the call returns how many bytes went.
 */
#define HC_CONSOLE_MAX 4096u

/* This guest's own exit statistics, per basic exit reason. */
struct hc_exit_stats {
	uint32_t nreasons;                    /* EXIT_REASON_MAX */
	uint32_t reserved;
	uint64_t total_exits;
	uint64_t count[EXIT_REASON_MAX];
	uint64_t tsc_sum[EXIT_REASON_MAX];    /* TSC ticks from exit to resume */
	uint64_t tsc_max[EXIT_REASON_MAX];
};

struct hc_guest_info {
	char name[16];
	uint32_t id;                          /* index in hv.cfg, from 0 */
	uint32_t nguests;
	uint64_t ram_bytes;
	uint64_t tsc_hz;
};

/* The layouts are the same for 32-bit and 64-bit guests. */
_Static_assert(sizeof(struct hc_guest_info) == 40, "hc_guest_info layout");
_Static_assert(__builtin_offsetof(struct hc_guest_info, ram_bytes) == 24, "hc_guest_info layout");
_Static_assert(__builtin_offsetof(struct hc_exit_stats, count) == 16, "hc_exit_stats layout");
_Static_assert(sizeof(struct hc_exit_stats) == 16 + 24 * EXIT_REASON_MAX, "hc_exit_stats layout");

#endif
