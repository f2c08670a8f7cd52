/*
 * /proc/PID/status reader (see procmem.h).  Reads are not atomic with
 * respect to the process, which is fine for a sample taken once at the end.
 */
#include "autoconfig.h"

#include "tools/bench/procmem.h"
#include "common/errors.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int procmem_read_file(const char *path, struct procmem *mem)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return SL_ENOENT;
	char line[256];
	int found = 0;
	memset(mem, 0, sizeof *mem);
	while (fgets(line, sizeof line, f) != NULL) {
		uint64_t kb;
		/* The kernel prints these in kB (KiB) whatever the unit says. */
		if (sscanf(line, "VmRSS: %" SCNu64 " kB", &kb) == 1) {
			mem->rss_bytes = kb * 1024;
			found |= 1;
		} else if (sscanf(line, "VmHWM: %" SCNu64 " kB", &kb) == 1) {
			mem->hwm_bytes = kb * 1024;
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : SL_ECORRUPT;
}

int procmem_read(pid_t pid, struct procmem *mem)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	return procmem_read_file(path, mem);
}

int procmem_pidfile(const char *path, pid_t *pid)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return SL_ENOENT;
	char line[64];
	char *end = NULL;
	long v = 0;
	if (fgets(line, sizeof line, f) != NULL)
		v = strtol(line, &end, 10);
	fclose(f);
	if (end == NULL || end == line || v <= 0 || (*end != '\n' && *end != '\0'))
		return SL_EINVAL;
	*pid = (pid_t)v;
	return 0;
}
