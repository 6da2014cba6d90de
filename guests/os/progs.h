/* progs.h: the table of built-in user programs (embedded by progs.asm). */
#ifndef OS_PROGS_H
#define OS_PROGS_H

#include <stdint.h>

struct prog {
	const char *name;
	const uint8_t *start, *end;
	const char *help;
};

/* Returns the program called name, or NULL. */
const struct prog *progs_find(const char *name);
/* Returns program i (0-based), or NULL past the end. */
const struct prog *progs_get(unsigned i);

#endif
