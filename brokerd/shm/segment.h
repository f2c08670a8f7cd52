/*
 * brokerd's shared-memory segment: header, counters and the cache of recent
 * WAL bytes (layout in common/shm_layout.h).  brokerd creates it at start
 * (replacing any old segment of the same name) and is its only writer.
 *
 * Threading: event-loop thread only.
 */
#ifndef SLUICE_SEGMENT_H
#define SLUICE_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/counters.h"
#include "common/shm_layout.h"

struct shm_segment;

/* Creates the segment name with room for cache_bytes of cache (rounded up to
 * a page), writes the header with generation and node id, and maps it.
 * Returns 0 or SL_EIO after logging. */
int shm_segment_create(const char *name, uint32_t node_id, uint64_t generation,
		       uint64_t cache_bytes, struct shm_segment **out);

/* Unmaps and unlinks the segment. */
void shm_segment_destroy(struct shm_segment *seg);

/* Lowest WAL offset still in the cache (0 before anything was put). */
uint64_t shm_cache_low(const struct shm_segment *seg);

/* The region ring (brokerd writes its words, uploaderd its cursor). */
struct shm_region_ring *shm_regions(struct shm_segment *seg);

/* The counter array (index with enum broker_counter). */
uint64_t *shm_counters(struct shm_segment *seg);

/* Copies len bytes that start at WAL logical offset pos into the cache ring,
 * advancing cache_high to pos + len (pos must equal cache_high, except for
 * the first put) and cache_low so that the ring holds at most cache_size. */
void shm_cache_put(struct shm_segment *seg, uint64_t pos, const uint8_t *bytes,
		   size_t len);

/* Lends the WAL the cache memory of [pos, pos + len) to build a block in
 * before it is durable (wal_memory_fn): raises cache_low so that readers
 * stop trusting those bytes first.  Returns NULL when the range would
 * wrap around the ring's end or reach back to keep (bytes still needed,
 * which lie below pos).  shm_cache_put of the same bytes later only
 * publishes them. */
uint8_t *shm_cache_lend(struct shm_segment *seg, uint64_t pos, size_t len,
			uint64_t keep);

/* Copies [pos, pos + len) out of the cache.  Returns 0, or SL_ENOENT when
 * any of it is not (or no longer) in the cache. */
int shm_cache_get(const struct shm_segment *seg, uint64_t pos, void *dst,
		  size_t len);

/* Points iov at the (one or two) cache pieces holding [pos, pos + len);
 * returns the number of pieces, or 0 when not all of it is cached. */
int shm_cache_iov(const struct shm_segment *seg, uint64_t pos, size_t len,
		  const uint8_t *ptr[2], size_t piece_len[2]);

#endif
