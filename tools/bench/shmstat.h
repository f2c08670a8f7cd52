/*
 * brokerd's counters and upload progress as the benchmark samples them
 * from the shared-memory segment (common/shm_map.h, read-only): the
 * figures behind S3 requests per GB and the check that a catch-up read
 * really came from S3.
 */
#ifndef SLUICE_BENCH_SHMSTAT_H
#define SLUICE_BENCH_SHMSTAT_H

#include <stdint.h>

#include "common/shm_map.h"

/* One sample; the counters reset when brokerd restarts (new generation). */
struct shmstat_sample {
	uint64_t generation;
	uint64_t produce_bytes;       /* record batch bytes appended */
	uint64_t fetch_bytes;         /* record batch bytes sent by Fetch */
	uint64_t fetch_cache_hits;    /* batches served from the shm cache */
	uint64_t fetch_wal_reads;     /* batches read from the WAL */
	uint64_t cold_read_gets;      /* ranged GETs for fetches */
	uint64_t cold_read_bytes;
	uint64_t cold_read_errors;
	uint64_t cold_cache_hits;     /* fetches served from the block cache */
	uint64_t uploads_committed;   /* objects committed */
	uint64_t wal_durable;         /* WAL logical durable offset */
	uint64_t uploaded_end;        /* WAL offset committed to objects */
	uint64_t uploader_objects;    /* uploaderd's cursor words */
	uint64_t uploader_bytes;
	uint64_t uploader_errors;
};

#define SHMSTAT_COUNTERS 10   /* the counters above, found by name */

struct shmstat {
	struct shm_map map;
	uint32_t index[SHMSTAT_COUNTERS];   /* each one's slot in the segment */
};

/* Maps segment name read-only and finds the counters by name in its JSON
 * description (so a brokerd built with another counter list still reads
 * right); returns 0, or what shm_map_open returns (SL_ENOENT, SL_ECORRUPT,
 * SL_EIO) with err filled, or SL_ECORRUPT when the description is not JSON
 * or lacks a counter. */
int shmstat_open(struct shmstat *s, const char *name, char *err, size_t errlen);
void shmstat_close(struct shmstat *s);
/* Reads the counters and the region ring's progress words. */
void shmstat_sample(const struct shmstat *s, struct shmstat_sample *out);
/* Returns 1 when every durable WAL byte is in committed objects. */
int shmstat_drained(const struct shmstat_sample *x);
/* Waits up to timeout_s for shmstat_drained, sampling every 50 ms; returns
 * 0 (out holds the drained sample) or SL_EIO on timeout (out: the last). */
int shmstat_wait_drained(const struct shmstat *s, double timeout_s, struct shmstat_sample *out);

#endif
