/*
 * Layout of brokerd's shared-memory segment (ARCHITECTURE.md section 4),
 * shared by brokerd (the only writer) and the read-only tools and helper
 * daemons.  All fields are native-endian: the segment never leaves the host.
 *
 *   [0, 4096)            struct shm_header
 *   counters_off         u64[counter_count], then the JSON description
 *                        (counter_json_off, counter_json_len)
 *   cache_off            the cache: a byte ring of cache_size bytes holding
 *                        WAL logical offsets [cache_low, cache_high); byte
 *                        at logical offset L is at cache_off + L % cache_size
 *
 * Every word has one writer (brokerd).  Readers never lock: they read
 * cache_low after copying and discard the copy if it was overwritten.
 */
#ifndef SLUICE_SHM_LAYOUT_H
#define SLUICE_SHM_LAYOUT_H

#include <stdint.h>

#define SHM_MAGIC 0x534c5553484d3031ull /* "SLUSHM01" */
#define SHM_LAYOUT_VERSION 1u

struct shm_header {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t header_size;
	uint64_t segment_size;
	int64_t brokerd_pid;
	uint64_t generation;     /* bumped on every brokerd start */
	uint32_t node_id;
	uint32_t counter_count;
	uint64_t counters_off;
	uint64_t counter_json_off;
	uint64_t counter_json_len;
	uint64_t cache_off;
	uint64_t cache_size;
	/* written by brokerd with release stores, read with acquire loads */
	uint64_t cache_low;
	uint64_t cache_high;
};

/* Default name: "/sluice-<node.id>" unless shm.name is set. */
#define SHM_NAME_FORMAT "/sluice-%u"

#endif
