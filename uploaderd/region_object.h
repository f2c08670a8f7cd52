/*
 * Where an object is built: a sealed WAL region's bytes (from brokerd's shm
 * cache, or the WAL device when the cache has moved on) are split by stream
 * and written as one stream-set object (common/object_format.h), together
 * with the index entries brokerd commits to its catalog.
 */
#ifndef SLUICE_REGION_OBJECT_H
#define SLUICE_REGION_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct shm_map;

struct region_object {
	uint64_t id;
	uint8_t *bytes;   /* the object (free() it) */
	size_t len;
	json_t *blocks;   /* [[stream,start,end,max_ts,records,pos,size,crc],...] */
	size_t batches;
	int from_cache;   /* 1 when the region came from the shm cache */
};

/* Reads WAL [start, end) from the cache in m or, failing that, with pread
 * of wal_fd (ring_bytes: the WAL's ring size).  Returns 0 with *buf
 * (free() it) or SL_EIO / SL_ENOMEM after logging. */
int region_read(const struct shm_map *m, int wal_fd, uint64_t ring_bytes,
		uint64_t start, uint64_t end, uint8_t **buf, int *from_cache);

/* Parses the WAL records in buf (logical [start, end)) and builds object
 * id from their batches.  Returns 0, or SL_ECORRUPT (a record that does
 * not validate: the region is not uploaded) / SL_ENOMEM. */
int region_build(const uint8_t *buf, uint64_t start, uint64_t end,
		 uint64_t ring_bytes, uint64_t id, struct region_object *out);

void region_object_free(struct region_object *o);

#endif
