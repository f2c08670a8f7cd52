/*
 * The cold-read block cache (see block_cache.h): a hash of entries by
 * (object id, position) with an LRU list of loaded ones.  Loads in flight
 * are entries without bytes, each named by the cache_load (one ranged GET)
 * that will fill it; a failed load is remembered per block for a short
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

/* The most blocks one GET fills (bounds a run of tiny blocks). */
#define BLOCK_RUN_MAX 256

struct cache_entry {
	LIST_ENTRY(cache_entry) hash_link;
	TAILQ_ENTRY(cache_entry) lru_link; /* loaded entries only */
	struct cold_block blk;
	uint32_t crc;
	uint8_t *bytes;
	int loading;
	int64_t failed_at_ms;
};

/* One ranged GET: bytes [position, position + len) of an object, which
 * are the blocks of entries[] back to back. */
struct cache_load {
	uint64_t object_id, position, len;
	size_t count;
	struct cache_entry *entries[];
};

static LIST_HEAD(, cache_entry) cache_buckets[BLOCK_CACHE_BUCKETS];
static TAILQ_HEAD(, cache_entry) cache_lru = TAILQ_HEAD_INITIALIZER(cache_lru);
static struct objstore *cache_os;
static uint64_t cache_capacity, cache_used;
static uint64_t cache_inflight; /* bytes of loads in flight */
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

/* Fills one entry of an arrived load from its slice of the GET's body;
 * returns 1 when the block is usable. */
static int cache_fill(struct cache_entry *e, const struct objstore_result *res,
		      const struct cache_load *ld)
{
	uint64_t off = e->blk.position - ld->position;
	const char *why = res->status ? res->error : "size or CRC mismatch";
	int ok = res->status == 0 && res->len == ld->len &&
		 crc32c(res->data + off, e->blk.size) == e->crc;
	if (ok) {
		e->bytes = malloc(e->blk.size);
		ok = e->bytes != NULL;
		why = "out of memory";
	}
	if (!ok) {
		log_warn("cold read: object %016" PRIx64 " block at %" PRIu64 " (%u bytes): %s",
			 e->blk.object_id, e->blk.position, e->blk.size, why);
		e->failed_at_ms = cache_now_ms();
		COUNTER_ADD(cold_read_errors, 1);
		return 0;
	}
	memcpy(e->bytes, res->data + off, e->blk.size);
	e->blk.bytes = e->bytes;
	cache_make_room(e->blk.size);
	cache_used += e->blk.size;
	TAILQ_INSERT_TAIL(&cache_lru, e, lru_link);
	return 1;
}

/* Object store callback: a run of blocks arrived (or did not). */
static void cache_on_loaded(void *arg, const struct objstore_result *res)
{
	struct cache_load *ld = arg;
	if (!cache_os) { /* shutting down: the entries left the hash already */
		for (size_t i = 0; i < ld->count; i++)
			free(ld->entries[i]);
		free(ld);
		return;
	}
	cache_inflight -= ld->len;
	if (cache_object_replaced(res, ld->object_id)) {
		/* not a failure: forget the entries (nothing will ask for
		 * these keys again) and let the waiting fetches re-plan */
		log_info("cold read: object %016" PRIx64 " was compacted away; "
			 "reading its replacement", ld->object_id);
		for (size_t i = 0; i < ld->count; i++) {
			LIST_REMOVE(ld->entries[i], hash_link);
			free(ld->entries[i]);
		}
	} else {
		uint64_t good = 0;
		for (size_t i = 0; i < ld->count; i++) {
			ld->entries[i]->loading = 0;
			if (cache_fill(ld->entries[i], res, ld))
				good += ld->entries[i]->blk.size;
		}
		COUNTER_ADD(cold_read_bytes, good);
	}
	free(ld);
	if (cache_wake)
		cache_wake();
}

/* A new entry for block b in the hash, not yet loading; NULL when out of
 * memory. */
static struct cache_entry *cache_entry_new(const struct catalog_block *b)
{
	struct cache_entry *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->blk.object_id = b->object_id;
	e->blk.position = b->position;
	e->blk.size = b->size;
	e->crc = b->crc;
	LIST_INSERT_HEAD(&cache_buckets[cache_bucket(b->object_id, b->position)], e, hash_link);
	return e;
}

/* How many of b[0..n) one GET starting at b[0] reads: b[0], then each next
 * block that lies right behind the previous one in the same object, is
 * not in the cache at all, and keeps the GET within BLOCK_CACHE_GET_BYTES. */
static size_t cache_run_length(const struct catalog_block *b, size_t n)
{
	uint64_t end = b[0].position + b[0].size;
	size_t k = 1;
	while (k < n && k < BLOCK_RUN_MAX && b[k].object_id == b[0].object_id &&
	       b[k].position == end &&
	       end + b[k].size - b[0].position <= BLOCK_CACHE_GET_BYTES &&
	       !cache_find(b[k].object_id, b[k].position)) {
		end += b[k].size;
		k++;
	}
	return k;
}

/* Starts one ranged GET for b[0] (whose entry is first, new or failed
 * before) and the blocks after it that cache_run_length allows. */
static void cache_load_run(const struct catalog_block *b, size_t n, struct cache_entry *first)
{
	size_t k = cache_run_length(b, n);
	struct cache_load *ld = malloc(sizeof *ld + k * sizeof ld->entries[0]);
	if (!ld) {
		first->failed_at_ms = cache_now_ms();
		return;
	}
	ld->object_id = b[0].object_id;
	ld->position = b[0].position;
	ld->entries[0] = first;
	ld->count = 1;
	for (size_t i = 1; i < k; i++) {
		struct cache_entry *e = cache_entry_new(&b[i]);
		if (!e)
			break; /* a shorter run is still a run */
		ld->entries[ld->count++] = e;
	}
	ld->len = 0;
	for (size_t i = 0; i < ld->count; i++) {
		ld->entries[i]->loading = 1;
		ld->len += ld->entries[i]->blk.size;
	}
	char key[64];
	object_key(ld->object_id, key, sizeof key);
	cache_inflight += ld->len;
	COUNTER_ADD(cold_read_gets, 1);
	objstore_get(cache_os, key, ld->position, ld->len, cache_on_loaded, ld);
}

const struct cold_block *block_cache_get_run(const struct catalog_block *b, size_t n,
					     int *failed)
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
	} else {
		e = cache_entry_new(b);
		if (!e) {
			*failed = 1;
			return NULL;
		}
	}
	cache_load_run(b, n, e);
	return NULL;
}

const struct cold_block *block_cache_get(const struct catalog_block *b, int *failed)
{
	return block_cache_get_run(b, 1, failed);
}

void block_cache_read_ahead(const struct catalog_block *b, size_t n, uint64_t bytes)
{
	uint64_t seen = 0;
	for (size_t i = 0; i < n && seen < bytes; seen += b[i].size, i++) {
		if (cache_find(b[i].object_id, b[i].position))
			continue; /* cached, loading, or failed (a fetch retries) */
		if (cache_inflight >= cache_capacity / 4)
			return;
		struct cache_entry *e = cache_entry_new(&b[i]);
		if (!e)
			return;
		cache_load_run(b + i, n - i, e);
	}
}

uint64_t block_cache_inflight(void)
{
	return cache_inflight;
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
	cache_inflight = 0;
}
