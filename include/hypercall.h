/*
 * Hypercall ABI (VMCALL), shared by the hv and its guests.
 *
 * A guest executes VMCALL with the call number in RAX and arguments in RBX,
 * RCX, RDX (in that order). The result comes back in RAX; a negative value
 * (as int64_t) is an error HC_E*. Other registers are preserved. Addresses are
 * guest-physical; a buffer must lie wholly inside the guest's RAM.
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

#define HC_ABI_VERSION        0x00010000u      /* major 1, minor 0 */

enum hypercall {
	HC_VERSION      = 0,   /* () -> HC_ABI_VERSION */
	HC_YIELD        = 1,   /* () -> 0: give the CPU to another guest */
	HC_CONSOLE      = 2,   /* (gpa, len) -> bytes written to this guest's console */
	HC_EXIT_STATS   = 3,   /* (gpa, size) -> bytes written: struct hc_exit_stats */
	HC_GUEST_INFO   = 4,   /* (gpa, size) -> bytes written: struct hc_guest_info */
	HC_MAX
};

#define HC_EINVAL   (-22)  /* bad argument: buffer outside RAM, bad length */
#define HC_ENOSYS   (-38)  /* unknown call number */

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

#endif
