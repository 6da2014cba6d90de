/* strlen for freestanding code (one file per need: see strmem.h). */
#include "strmem.h"

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
