/*
 * Cold reads: blocks of objects in S3, fetched with ranged GETs through the
 * object store (libcurl multi on the event loop) and kept in an in-memory
 * LRU cache of block.cache.bytes.  A block is identified by (object id,
 * position); its CRC-32C from the catalog is checked on arrival.
 *
 * One GET per block is slow against S3: a request costs about as much as a
 * few MiB of transfer, so throughput grows with the request size up to
 * several MiB.  A load therefore covers a run of a stream's consecutive
 * blocks that lie back to back in one object, up to BLOCK_CACHE_GET_BYTES,
 * and is cut into per-block cache entries (each checked against its own
 * CRC) when it arrives.  Event-loop thread only.
 */
#ifndef SLUICE_BLOCK_CACHE_H
#define SLUICE_BLOCK_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* The most one ranged GET reads (S3 GETs reach full speed from about
 * 4 MiB; more only adds latency before the first block is usable). */
#define BLOCK_CACHE_GET_BYTES (8u << 20)

struct objstore;
struct catalog_block;

struct cold_block {
	uint64_t object_id;
	uint64_t position;
	uint32_t size;
	const uint8_t *bytes; /* NULL until loaded */
};

/* Sets up the cache over an object store; wake is called whenever a block
 * arrives or fails (waiting fetches re-plan). */
int block_cache_start(struct objstore *os, uint64_t capacity, void (*wake)(void));
void block_cache_stop(void);

/* The block's bytes if cached.  Otherwise starts loading it alone (once)
 * and returns NULL; *failed is set when the last load failed recently (the
 * caller answers with a retriable error). */
const struct cold_block *block_cache_get(const struct catalog_block *b, int *failed);

/* block_cache_get for b[0] of a stream's block list b[0..n) (the catalog's,
 * in offset order): a load it starts also reads the blocks after b[0] that
 * follow it directly in the same object and are not cached or loading, up
 * to BLOCK_CACHE_GET_BYTES in one GET. */
const struct cold_block *block_cache_get_run(const struct catalog_block *b, size_t n,
					     int *failed);

/* Read-ahead for a sequential consumer: starts loads (in runs, as
 * block_cache_get_run does) for the blocks of b[0..n) that start within
 * the first `bytes` and are neither cached nor loading.  Loads for
 * read-ahead stop while a quarter of the cache's capacity is in flight, so
 * many consumers cannot push out what they are about to read. */
void block_cache_read_ahead(const struct catalog_block *b, size_t n, uint64_t bytes);

/* Bytes of the loads in flight (what bounds read-ahead). */
uint64_t block_cache_inflight(void);

#endif
