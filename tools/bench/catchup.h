/*
 * Catch-up consumer: reads every partition of a topic from its log start
 * to the high watermark found at the start, as fast as the client can, and
 * checks each record against the benchmark's record format.  The figure is
 * record value bytes per second from the first fetch to the last record.
 */
#ifndef SLUICE_BENCH_CATCHUP_H
#define SLUICE_BENCH_CATCHUP_H

#include <stddef.h>
#include <stdint.h>

struct catchup_result {
	int ok;                  /* every record in range read back intact, once */
	char error[512];         /* the first thing that went wrong */
	int partitions;
	uint64_t expected;       /* records between log start and high watermark */
	uint64_t consumed;       /* distinct offsets read back */
	uint64_t duplicates;     /* offsets delivered again */
	uint64_t gaps;           /* offsets skipped inside the range */
	uint64_t corrupt;        /* a benchmark record with other bytes */
	uint64_t foreign;        /* not a benchmark record of record_size */
	uint64_t errors;         /* consumer errors (fetch failures) */
	uint64_t value_bytes;    /* value bytes of the distinct records */
	double secs;             /* first fetch started to last record */
	double mbps;             /* value_bytes / secs, MB/s */
	double rps;              /* records per second */
};

/*
 * The consumer's settings beyond librdkafka's defaults, as a
 * NULL-terminated key/value list (printed in the JSON report).
 */
extern const char *const catchup_conf[];

/*
 * Reads topic (partitions found in the cluster's metadata) at bootstrap
 * from each partition's low to its high watermark.  Records must be
 * record_size bytes in the format of record.h with the fixed body of seed
 * 0x5EED (any run id).  A missing or empty topic is an error.  Gives up
 * when no record arrives for stall_s seconds.  Returns 0 when res->ok, SL_EIO or SL_ENOMEM otherwise with
 * res->error saying why; the figures measured so far stay in res.
 */
int catchup_run(const char *bootstrap, const char *topic, size_t record_size, double stall_s,
		struct catchup_result *res);

#endif
