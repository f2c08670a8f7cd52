/*
 * What every part of sluice-bench shares (see bench.h): the record of a
 * part's first error.  Any thread may call it for a result it owns.
 */
#include "autoconfig.h"

#include "tools/bench/bench.h"

#include <stdarg.h>
#include <stdio.h>

/* Marks the part failed; keeps only the first message. */
void bench_fail(int *ok, char *error, size_t size, const char *fmt, ...)
{
	*ok = 0;
	if (error[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(error, size, fmt, ap);
	va_end(ap);
}
