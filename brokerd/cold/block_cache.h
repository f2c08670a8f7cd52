/*
 * Cold reads: blocks of objects in S3, fetched with ranged GETs through the
 * object store (libcurl multi on the event loop) and kept in an in-memory
 * LRU cache of block.cache.bytes.  A block is identified by (object id,
 * position); its CRC-32C from the catalog is checked on arrival.
 * Event-loop thread only.
 */
#ifndef SLUICE_BLOCK_CACHE_H
#define SLUICE_BLOCK_CACHE_H

#include <stddef.h>
#include <stdint.h>

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

/* The block's bytes if cached.  Otherwise starts loading it (once) and
 * returns NULL; *failed is set when the last load failed recently (the
 * caller answers with a retriable error). */
const struct cold_block *block_cache_get(const struct catalog_block *b, int *failed);

/* Starts loading a block the caller will probably want soon (read-ahead). */
void block_cache_prefetch(const struct catalog_block *b);

#endif
