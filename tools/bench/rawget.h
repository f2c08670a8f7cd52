/*
 * Raw GET throughput: every object under a prefix of the object store,
 * read through common/objstore.h (the client brokerd uses) with a fixed
 * number of GETs in flight, whole or in ranges.  It is the ceiling that
 * the catch-up read from S3 is compared with.
 */
#ifndef SLUICE_BENCH_RAWGET_H
#define SLUICE_BENCH_RAWGET_H

#include <stddef.h>
#include <stdint.h>

#include "common/objstore.h"

struct rawget_result {
	int ok;                  /* every GET returned the bytes asked for */
	char error[512];
	int parallel;            /* GETs in flight */
	uint64_t range;          /* bytes per GET; 0: whole objects */
	uint64_t objects;        /* objects listed */
	uint64_t object_bytes;   /* their total size */
	uint64_t gets;           /* GET operations */
	uint64_t bytes;          /* bytes received */
	uint64_t requests;       /* HTTP requests, retries included (objstore stats) */
	uint64_t retries;
	double secs;             /* first GET started to last one finished */
	double mbps;             /* bytes / secs, MB/s */
};

/*
 * Lists every key under prefix (relative to the store's prefix) and GETs
 * all of them, parallel at a time: whole objects when range is 0, else
 * ranges of range bytes.  Returns 0 when res->ok, else SL_EIO / SL_EINVAL /
 * SL_ENOMEM with res->error saying why (an empty listing is an error).
 */
int rawget_run(const struct objstore_options *oo, const char *prefix, uint64_t range,
	       int parallel, struct rawget_result *res);

#endif
