/*
 * Disk probe: what the filesystem under the WAL can do, measured the way the
 * WAL writes (aligned O_DIRECT pwrite, then fdatasync).
 */
#ifndef SLUICE_BENCH_DISK_H
#define SLUICE_BENCH_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "tools/bench/hist.h"

#define DISK_WRITE_SIZE (1024u * 1024u)

/* Latency of pwrite+fdatasync for one write size. */
struct disk_sync {
	size_t size;
	struct hist lat;   /* nanoseconds per pwrite+fdatasync */
};

struct disk_result {
	char fs[16];            /* filesystem type of the directory */
	uint64_t bytes;         /* written by each bandwidth pass */
	double fresh_mbps;      /* first pass: blocks allocated as written */
	double overwrite_mbps;  /* second pass over the same blocks: a WAL lap */
	int iters;
	struct disk_sync sync[2];   /* 4 KiB and 64 KiB */
	char error[256];        /* why the probe failed, "" when it did not */
};

/*
 * Runs the probe in a temporary file under dir (removed afterwards): two
 * sequential passes of `bytes` in 1 MiB writes, then `iters` pwrite+fdatasync
 * of 4 KiB and of 64 KiB at advancing offsets.  Returns 0, or SL_EIO /
 * SL_EINVAL with out->error set (e.g. when the filesystem refuses O_DIRECT).
 */
int disk_probe(const char *dir, uint64_t bytes, int iters, struct disk_result *out);

#endif
