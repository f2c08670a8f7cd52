/*
 * The cold-read block cache (see block_cache.h): a hash of entries by
 * (object id, position) with an LRU list of loaded ones.  Loads in flight
 * are entries without bytes; a failed load is remembered for a short
 * back-off so a broken S3 is not hammered by every fetch.  A load that
 * finds its object deleted because compaction replaced it is not a
 * failure: the entry goes and the waiting fetches re-plan against the
 * catalog, which already points at the replacement (compactd deletes
 * inputs only after the replace is committed).
 */
#include "block_cache.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "common/counters.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/object_format.h"
#include "common/objstore.h"

#define BLOCK_CACHE_BUCKETS 4096u
#define BLOCK_RETRY_MS 1000

struct cache_entry {
	LIST_ENTRY(cache_entry) hash_link;
	TAILQ_ENTRY(cache_entry) lru_link; /* loaded entries only */
	struct cold_block blk;
	uint32_t crc;
	uint8_t *bytes;
	int loading;
	int64_t failed_at_ms;
};

static LIST_HEAD(, cache_entry) cache_buckets[BLOCK_CACHE_BUCKETS];
static TAILQ_HEAD(, cache_entry) cache_lru = TAILQ_HEAD_INITIALIZER(cache_lru);
static struct objstore *cache_os;
static uint64_t cache_capacity, cache_used;
static void (*cache_wake)(void);

/* Monotonic milliseconds. */
static int64_t cache_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bucket of a block key. */
static size_t cache_bucket(uint64_t id, uint64_t pos)
{
	uint64_t h = (id ^ (pos * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
	return (size_t)(h >> 40) % BLOCK_CACHE_BUCKETS;
}

/* Finds an entry. */
static struct cache_entry *cache_find(uint64_t id, uint64_t pos)
{
	struct cache_entry *e;
	LIST_FOREACH(e, &cache_buckets[cache_bucket(id, pos)], hash_link)
		if (e->blk.object_id == id && e->blk.position == pos)
			return e;
	return NULL;
}

/* Evicts least recently used blocks until need more bytes fit. */
static void cache_make_room(uint64_t need)
{
	while (cache_used + need > cache_capacity && !TAILQ_EMPTY(&cache_lru)) {
		struct cache_entry *e = TAILQ_FIRST(&cache_lru);
		TAILQ_REMOVE(&cache_lru, e, lru_link);
		LIST_REMOVE(e, hash_link);
		cache_used -= e->blk.size;
		free(e->bytes);
		free(e);
	}
}

/* Whether a GET that found no object means compactd deleted it after the
 * catalog moved on (the object is retired or forgotten): then the blocks
 * are elsewhere now, and a re-plan against the catalog finds them. */
static int cache_object_replaced(const struct objstore_result *res, uint64_t id)
{
	return res->status == SL_ENOENT &&
	       catalog_object_is_retired(broker.catalog, id, NULL) != 0;
}

/* Object store callback: a block arrived (or did not). */
static void cache_on_loaded(void *arg, const struct objstore_result *res)
{
	struct cache_entry *e = arg;
	e->loading = 0;
	if (!cache_os) { /* shutting down */
		free(e);
		return;
	}
	if (cache_object_replaced(res, e->blk.object_id)) {
		/* not a failure: forget the entry (nothing will ask for this
		 * key again) and let the waiting fetches re-plan */
		log_info("cold read: object %016" PRIx64 " was compacted away; "
			 "reading its replacement", e->blk.object_id);
		LIST_REMOVE(e, hash_link);
		free(e);
		if (cache_wake)
			cache_wake();
		return;
	}
	int ok = res->status == 0 && res->len == e->blk.size &&
		 crc32c(res->data, res->len) == e->crc;
	if (ok) {
		e->bytes = malloc(res->len);
		ok = e->bytes != NULL;
	}
	if (!ok) {
		log_warn("cold read: object %016" PRIx64 " block at %" PRIu64 " (%u bytes): %s",
			 e->blk.object_id, e->blk.position, e->blk.size,
			 res->status ? res->error : "size or CRC mismatch");
		e->failed_at_ms = cache_now_ms();
		COUNTER_ADD(cold_read_errors, 1);
	} else {
		memcpy(e->bytes, res->data, res->len);
		e->blk.bytes = e->bytes;
		cache_make_room(e->blk.size);
		cache_used += e->blk.size;
		TAILQ_INSERT_TAIL(&cache_lru, e, lru_link);
		COUNTER_ADD(cold_read_bytes, res->len);
	}
	if (cache_wake)
		cache_wake();
}

/* Starts a ranged GET for an entry. */
static void cache_load(struct cache_entry *e)
{
	char key[64];
	object_key(e->blk.object_id, key, sizeof key);
	e->loading = 1;
	COUNTER_ADD(cold_read_gets, 1);
	objstore_get(cache_os, key, e->blk.position, e->blk.size, cache_on_loaded, e);
}

const struct cold_block *block_cache_get(const struct catalog_block *b, int *failed)
{
	*failed = 0;
	struct cache_entry *e = cache_find(b->object_id, b->position);
	if (e && e->bytes) {
		TAILQ_REMOVE(&cache_lru, e, lru_link); /* most recently used */
		TAILQ_INSERT_TAIL(&cache_lru, e, lru_link);
		COUNTER_ADD(cold_cache_hits, 1);
		return &e->blk;
	}
	if (e && e->loading)
		return NULL;
	if (e && e->failed_at_ms) {
		if (cache_now_ms() - e->failed_at_ms < BLOCK_RETRY_MS) {
			*failed = 1;
			return NULL;
		}
		e->failed_at_ms = 0;
		cache_load(e);
		return NULL;
	}
	e = calloc(1, sizeof *e);
	if (!e) {
		*failed = 1;
		return NULL;
	}
	e->blk.object_id = b->object_id;
	e->blk.position = b->position;
	e->blk.size = b->size;
	e->crc = b->crc;
	LIST_INSERT_HEAD(&cache_buckets[cache_bucket(b->object_id, b->position)], e, hash_link);
	cache_load(e);
	return NULL;
}

void block_cache_prefetch(const struct catalog_block *b)
{
	int failed;
	if (!cache_find(b->object_id, b->position))
		(void)block_cache_get(b, &failed);
}

int block_cache_start(struct objstore *os, uint64_t capacity, void (*wake)(void))
{
	cache_os = os;
	cache_capacity = capacity;
	cache_wake = wake;
	return 0;
}

void block_cache_stop(void)
{
	for (size_t i = 0; i < BLOCK_CACHE_BUCKETS; i++)
		while (!LIST_EMPTY(&cache_buckets[i])) {
			struct cache_entry *e = LIST_FIRST(&cache_buckets[i]);
			LIST_REMOVE(e, hash_link);
			if (e->bytes)
				TAILQ_REMOVE(&cache_lru, e, lru_link);
			free(e->bytes);
			if (!e->loading)
				free(e);
			/* a loading entry is freed by its callback */
		}
	cache_os = NULL;
	cache_used = 0;
}
