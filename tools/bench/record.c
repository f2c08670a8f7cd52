/*
 * Record value layout (see record.h).  Pure functions; nothing durable.
 * Big-endian like every other Sluice format, so a record dumped from the WAL
 * or an object reads the same on any host.
 */
#include "autoconfig.h"

#include "tools/bench/record.h"
#include "common/bytes.h"

#include <string.h>

void record_fill(uint8_t *buf, size_t size, uint64_t seed)
{
	uint64_t x = seed ? seed : 0x2545F4914F6CDD1Du;
	for (size_t i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)(x >> 24);
	}
}

void record_stamp(uint8_t *buf, uint32_t run, uint64_t seq, uint64_t send_ns)
{
	be32_put(buf, RECORD_MAGIC);
	be32_put(buf + 4, run);
	be64_put(buf + 8, seq);
	be64_put(buf + 16, send_ns);
}

void record_header(const uint8_t *buf, uint32_t *run, uint64_t *seq, uint64_t *send_ns)
{
	*run = be32_get(buf + 4);
	*seq = be64_get(buf + 8);
	*send_ns = be64_get(buf + 16);
}

enum record_verdict record_check(const uint8_t *value, size_t len, uint32_t run,
				 const uint8_t *pattern, size_t size,
				 uint64_t *seq, uint64_t *send_ns)
{
	if (value == NULL || len < RECORD_HEADER || be32_get(value) != RECORD_MAGIC ||
	    be32_get(value + 4) != run)
		return RECORD_FOREIGN;
	if (len != size ||
	    memcmp(value + RECORD_HEADER, pattern + RECORD_HEADER, size - RECORD_HEADER) != 0)
		return RECORD_CORRUPT;
	uint32_t same_run;
	record_header(value, &same_run, seq, send_ns);
	return RECORD_OK;
}
