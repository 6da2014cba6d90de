/*
 * The little of libc the hv uses: lib/strmem.h (in the EFI image
 * memset/memcpy/memmove come from gnu-efi's libefi, the rest from lib/; on
 * the host from the C library), and a few macros.
 */
#ifndef HV_LIB_H
#define HV_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "strmem.h"

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)  (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))

#endif
