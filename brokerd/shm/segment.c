/*
 * brokerd's shared-memory segment (layout in common/shm_layout.h).  brokerd
 * is the only writer; tools and helper daemons map it read-only and never
 * lock.  The cache is a byte ring indexed by WAL logical offset: a reader
 * copies, then rereads cache_low (acquire) to check its copy was not
 * overwritten meanwhile.  Event-loop thread only.
 */
#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/shm_layout.h"

struct shm_segment {
	char *name;
	uint8_t *base;
	size_t size;
	struct shm_header *hdr;
	uint8_t *cache;
	int cache_started;
};

/* The JSON description of the counters, from the table. */
static const char counter_json[] =
	"["
#define COUNTER_JSON(name, kind, desc)                                         \
	"{\"name\":\"" #name "\",\"kind\":\"" #kind "\",\"description\":\"" desc "\"},"
	BROKER_COUNTERS(COUNTER_JSON)
#undef COUNTER_JSON
	"{}]";

/* Rounds up to a multiple of a power-of-two alignment. */
static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

int shm_segment_create(const char *name, uint32_t node_id, uint64_t generation,
		       uint64_t cache_bytes, struct shm_segment **out)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t counters_off = page;
	uint64_t json_off = counters_off + BC__COUNT * sizeof(uint64_t);
	uint64_t regions_off = round_up(json_off + sizeof counter_json, 64);
	uint64_t cache_off = round_up(regions_off + sizeof(struct shm_region_ring), page);
	uint64_t cache_size = round_up(cache_bytes, page);
	uint64_t size = cache_off + cache_size;

	/* A previous brokerd's segment (maybe still mapped by a reader) is
	 * replaced, not reused: readers notice the new generation. */
	shm_unlink(name);
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		log_error("shm %s: shm_open: %s", name, strerror(errno));
		return SL_EIO;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		log_error("shm %s: ftruncate %llu: %s", name,
			  (unsigned long long)size, strerror(errno));
		close(fd);
		shm_unlink(name);
		return SL_EIO;
	}
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		log_error("shm %s: mmap %llu: %s", name,
			  (unsigned long long)size, strerror(errno));
		shm_unlink(name);
		return SL_EIO;
	}
	struct shm_segment *seg = calloc(1, sizeof *seg);
	if (!seg || !(seg->name = strdup(name))) {
		free(seg);
		munmap(base, size);
		shm_unlink(name);
		return SL_ENOMEM;
	}
	seg->base = base;
	seg->size = size;
	seg->hdr = base;
	seg->cache = (uint8_t *)base + cache_off;
	memcpy(seg->base + json_off, counter_json, sizeof counter_json);

	struct shm_header *h = seg->hdr;
	h->layout_version = SHM_LAYOUT_VERSION;
	h->header_size = sizeof *h;
	h->segment_size = size;
	h->brokerd_pid = getpid();
	h->generation = generation;
	h->node_id = node_id;
	h->counter_count = BC__COUNT;
	h->counters_off = counters_off;
	h->counter_json_off = json_off;
	h->counter_json_len = sizeof counter_json - 1;
	h->regions_off = regions_off;
	h->cache_off = cache_off;
	h->cache_size = cache_size;
	/* the magic goes last: a reader that sees it sees a whole header */
	__atomic_store_n(&h->magic, SHM_MAGIC, __ATOMIC_RELEASE);
	*out = seg;
	log_info("shm %s: %llu bytes (cache %llu), generation %llu", name,
		 (unsigned long long)size, (unsigned long long)cache_size,
		 (unsigned long long)generation);
	return 0;
}

void shm_segment_destroy(struct shm_segment *seg)
{
	if (!seg)
		return;
	munmap(seg->base, seg->size);
	shm_unlink(seg->name);
	free(seg->name);
	free(seg);
}

uint64_t shm_cache_low(const struct shm_segment *seg)
{
	return seg->cache_started ? seg->hdr->cache_low : 0;
}

struct shm_region_ring *shm_regions(struct shm_segment *seg)
{
	return (struct shm_region_ring *)(seg->base + seg->hdr->regions_off);
}

uint64_t *shm_counters(struct shm_segment *seg)
{
	return (uint64_t *)(seg->base + seg->hdr->counters_off);
}

void shm_cache_put(struct shm_segment *seg, uint64_t pos, const uint8_t *bytes,
		   size_t len)
{
	struct shm_header *h = seg->hdr;
	uint64_t size = h->cache_size;
	if (!seg->cache_started || pos != h->cache_high) {
		/* first put, or a gap: the cache restarts at pos */
		__atomic_store_n(&h->cache_low, pos, __ATOMIC_RELEASE);
		__atomic_store_n(&h->cache_high, pos, __ATOMIC_RELEASE);
		seg->cache_started = 1;
	}
	if (len > size) { /* only the tail fits */
		bytes += len - size;
		pos += len - size;
		len = size;
		__atomic_store_n(&h->cache_low, pos, __ATOMIC_RELEASE);
		__atomic_store_n(&h->cache_high, pos, __ATOMIC_RELEASE);
	}
	uint64_t end = pos + len;
	/* raise cache_low before overwriting, so readers can detect it */
	if (end - h->cache_low > size)
		__atomic_store_n(&h->cache_low, end - size, __ATOMIC_RELEASE);
	uint64_t at = pos % size;
	size_t first = len < size - at ? len : (size_t)(size - at);
	if (bytes != seg->cache + at) { /* else built in place (lent) */
		memcpy(seg->cache + at, bytes, first);
		memcpy(seg->cache, bytes + first, len - first);
	}
	__atomic_store_n(&h->cache_high, end, __ATOMIC_RELEASE);
}

uint8_t *shm_cache_lend(struct shm_segment *seg, uint64_t pos, size_t len,
			uint64_t keep)
{
	struct shm_header *h = seg->hdr;
	uint64_t size = h->cache_size, at = pos % size;
	if (keep > pos || len > size - at || pos + len - keep > size)
		return NULL;
	if (seg->cache_started && pos + len - h->cache_low > size) {
		__atomic_store_n(&h->cache_low, pos + len - size, __ATOMIC_RELEASE);
		/* the lender's writes must not be seen before the new low */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	return seg->cache + at;
}

int shm_cache_iov(const struct shm_segment *seg, uint64_t pos, size_t len,
		  const uint8_t *ptr[2], size_t piece_len[2])
{
	const struct shm_header *h = seg->hdr;
	if (!seg->cache_started || pos < h->cache_low || pos + len > h->cache_high)
		return 0;
	uint64_t size = h->cache_size, at = pos % size;
	size_t first = len < size - at ? len : (size_t)(size - at);
	ptr[0] = seg->cache + at;
	piece_len[0] = first;
	if (first == len)
		return 1;
	ptr[1] = seg->cache;
	piece_len[1] = len - first;
	return 2;
}

int shm_cache_get(const struct shm_segment *seg, uint64_t pos, void *dst, size_t len)
{
	const uint8_t *ptr[2];
	size_t plen[2];
	int n = shm_cache_iov(seg, pos, len, ptr, plen);
	if (n == 0)
		return SL_ENOENT;
	memcpy(dst, ptr[0], plen[0]);
	if (n == 2)
		memcpy((uint8_t *)dst + plen[0], ptr[1], plen[1]);
	return 0;
}
