/*
 * The benchmark's record value: a 24-byte header (magic, run id, sequence
 * number, send time) then fixed pseudo-random bytes, so a consumer can tell
 * this run's records from others, measure end-to-end latency and notice a
 * broker that returns different bytes than it acknowledged.
 */
#ifndef SLUICE_BENCH_RECORD_H
#define SLUICE_BENCH_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define RECORD_HEADER 24
#define RECORD_MAGIC 0x534C424Eu   /* "SLBN" */

enum record_verdict {
	RECORD_OK,
	RECORD_FOREIGN,   /* not one of this run's records */
	RECORD_CORRUPT,   /* this run's header, but the bytes differ */
};

/* Fills buf with size pseudo-random bytes derived from seed (the fixed body). */
void record_fill(uint8_t *buf, size_t size, uint64_t seed);
/* Writes the header into buf (at least RECORD_HEADER bytes). */
void record_stamp(uint8_t *buf, uint32_t run, uint64_t seq, uint64_t send_ns);
/* Reads run, seq and send_ns from a header of at least RECORD_HEADER bytes. */
void record_header(const uint8_t *buf, uint32_t *run, uint64_t *seq, uint64_t *send_ns);
/*
 * Checks a consumed value against the run and the fixed body (pattern of
 * size bytes, whose header part is ignored).  Returns a verdict; on
 * RECORD_OK sets *seq and *send_ns.
 */
enum record_verdict record_check(const uint8_t *value, size_t len, uint32_t run,
				 const uint8_t *pattern, size_t size,
				 uint64_t *seq, uint64_t *send_ns);

#endif
