/*
 * Resident memory of another process (brokerd), read from /proc.
 */
#ifndef SLUICE_BENCH_PROCMEM_H
#define SLUICE_BENCH_PROCMEM_H

#include <stdint.h>
#include <sys/types.h>

struct procmem {
	uint64_t rss_bytes;   /* VmRSS: resident now */
	uint64_t hwm_bytes;   /* VmHWM: the peak resident size */
};

/*
 * Reads VmRSS and VmHWM from a status file in /proc/PID/status format.
 * Returns 0, SL_ENOENT if the file cannot be opened (the process is gone)
 * or SL_ECORRUPT if a field is missing.
 */
int procmem_read_file(const char *path, struct procmem *mem);
/* Same for process pid. */
int procmem_read(pid_t pid, struct procmem *mem);
/* Reads a pid from the first line of a pidfile; returns 0, SL_ENOENT or SL_EINVAL. */
int procmem_pidfile(const char *path, pid_t *pid);

#endif
