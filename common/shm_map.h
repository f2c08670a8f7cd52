/*
 * Read-only view of brokerd's shared-memory segment for the other processes
 * (uploaderd, sluicestat, sluicectl).  They never write to it, never lock,
 * and check the generation to notice a brokerd restart.
 */
#ifndef SLUICE_SHM_MAP_H
#define SLUICE_SHM_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/shm_layout.h"

struct shm_map {
	const uint8_t *base;
	size_t size;
	const struct shm_header *hdr;
	const struct shm_region_ring *ring;
	const uint64_t *counters;
	const uint8_t *cache;
};

/* Maps segment name and checks its header; read-only unless writable
 * (uploaderd writes its own cursor words in the region ring).  Returns 0, SL_ENOENT
 * (no segment: brokerd is not running), or SL_ECORRUPT (not a Sluice
 * segment of this layout version), with err explaining. */
int shm_map_open(const char *name, int writable, struct shm_map *m, char *err,
		 size_t errlen);
void shm_map_close(struct shm_map *m);

/* Copies [pos, pos + len) of WAL bytes out of the cache.  Returns 0, or
 * SL_ENOENT when they are not (or were overwritten while copying). */
int shm_map_cache_copy(const struct shm_map *m, uint64_t pos, void *dst, size_t len);

#endif
