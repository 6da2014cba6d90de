/*
 * The TSC frequency, as a pure choice over CPUID values the boot stage
 * read (host unit tests in tests/unit/test_tscfreq.c). The boot stage
 * always calibrates too (a 50 ms firmware stall); the calibration is the
 * answer only when the CPU and the hypervisor below say nothing usable.
 */
#ifndef UEFI_TSCFREQ_H
#define UEFI_TSCFREQ_H

#include <stdint.h>

#define TSCFREQ_HV_LEAF     0x40000010u
#define TSCFREQ_MIN_HZ      100000000ull        /* an enumerated value outside is not believed */
#define TSCFREQ_MAX_HZ      20000000000ull
#define TSCFREQ_CALIBRATED  "50 ms stall calibration"

/* The CPUID values the choice reads; leaves the CPU does not have are 0. */
struct tscfreq_cpuid {
	uint32_t max_basic;                  /* CPUID.0:EAX */
	uint32_t leaf1_eax, leaf1_ecx;       /* family/model; ECX[31]: a hypervisor is present */
	uint32_t l15_eax, l15_ebx, l15_ecx;  /* TSC/crystal ratio EBX/EAX, crystal Hz in ECX */
	uint32_t l16_eax;                    /* processor base frequency, MHz in [15:0] */
	uint32_t hv_max;                     /* CPUID.40000000H:EAX when ECX[31] is set */
	uint32_t hv_tsc_khz;                 /* CPUID.40000010H:EAX (KVM, VMware: TSC kHz) */
};

/*
 * Returns the TSC frequency in Hz and sets *source to how it was found, in
 * this order: the hypervisor's timing leaf 0x40000010 (when CPUID.1:ECX[31]
 * says a hypervisor is present and 0x40000000 lists the leaf: a nested
 * hypervisor's TSC may be scaled, and leaf 0x15 then describes the host);
 * CPUID leaf 0x15 (crystal * EBX / EAX; a crystal leaf 0x15 does not give
 * comes from the SDM's table of nominal crystal frequencies, else from
 * the base frequency of leaf 0x16); otherwise calibrated_hz.
 */
uint64_t tscfreq_choose(const struct tscfreq_cpuid *c, uint64_t calibrated_hz,
			const char **source);

#endif
