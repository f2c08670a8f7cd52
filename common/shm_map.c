/*
 * Read-only mapping of brokerd's segment (see shm_map.h).
 */
#include "shm_map.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"

int shm_map_open(const char *name, int writable, struct shm_map *m, char *err,
		 size_t errlen)
{
	memset(m, 0, sizeof *m);
	int fd = shm_open(name, writable ? O_RDWR : O_RDONLY, 0);
	if (fd < 0) {
		snprintf(err, errlen, "no shared memory segment at %s: %s", name,
			 strerror(errno));
		return errno == ENOENT ? SL_ENOENT : SL_EIO;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(struct shm_header)) {
		close(fd);
		snprintf(err, errlen, "shared memory segment %s is too small", name);
		return SL_ECORRUPT;
	}
	void *base = mmap(NULL, (size_t)st.st_size,
			  writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		snprintf(err, errlen, "mmap %s: %s", name, strerror(errno));
		return SL_EIO;
	}
	const struct shm_header *h = base;
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != SHM_MAGIC ||
	    h->layout_version != SHM_LAYOUT_VERSION ||
	    h->segment_size != (uint64_t)st.st_size ||
	    h->cache_off + h->cache_size > h->segment_size ||
	    h->regions_off + sizeof(struct shm_region_ring) > h->segment_size) {
		munmap(base, (size_t)st.st_size);
		snprintf(err, errlen, "%s is not a Sluice segment of layout %u", name,
			 SHM_LAYOUT_VERSION);
		return SL_ECORRUPT;
	}
	m->base = base;
	m->size = (size_t)st.st_size;
	m->hdr = h;
	m->ring = (const struct shm_region_ring *)(m->base + h->regions_off);
	m->counters = (const uint64_t *)(m->base + h->counters_off);
	m->cache = m->base + h->cache_off;
	return 0;
}

void shm_map_close(struct shm_map *m)
{
	if (m->base)
		munmap((void *)m->base, m->size);
	memset(m, 0, sizeof *m);
}

int shm_map_cache_copy(const struct shm_map *m, uint64_t pos, void *dst, size_t len)
{
	const struct shm_header *h = m->hdr;
	uint64_t low = __atomic_load_n(&h->cache_low, __ATOMIC_ACQUIRE);
	uint64_t high = __atomic_load_n(&h->cache_high, __ATOMIC_ACQUIRE);
	if (pos < low || pos + len > high || len > h->cache_size)
		return SL_ENOENT;
	uint64_t at = pos % h->cache_size;
	size_t first = len < h->cache_size - at ? len : (size_t)(h->cache_size - at);
	memcpy(dst, m->cache + at, first);
	memcpy((uint8_t *)dst + first, m->cache, len - first);
	/* brokerd raises cache_low before overwriting: if it passed pos while
	 * we copied, the copy may be torn */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&h->cache_low, __ATOMIC_ACQUIRE) > pos)
		return SL_ENOENT;
	return 0;
}
