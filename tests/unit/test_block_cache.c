/*
 * Unit tests of the cold-read block cache (brokerd/cold/block_cache.c)
 * over a real local object store on a libevent loop: one ranged GET covers
 * a run of consecutive blocks of one object (and stops at a gap, another
 * object, a block already cached, or BLOCK_CACHE_GET_BYTES), each block of
 * a run is checked against its own CRC, and read-ahead loads a window of
 * blocks in runs while the bytes in flight stay under a quarter of the
 * cache.  The GET count is brokerd's cold_read_gets counter.
 */
#define _GNU_SOURCE
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/cold/block_cache.h"
#include "common/counters.h"
#include "common/crc32c.h"
#include "common/object_format.h"
#include "common/objstore.h"
#include "tests/unit/unit_main.h"

#define MIB (1u << 20)

static char tmp_root[256];
static uint64_t counters[BC__COUNT];
static struct event_base *base;
static struct objstore *store;
static int wakes;

/* Block cache wake-up: counts arrivals and failures. */
static void on_wake(void)
{
	wakes++;
}

/* Opens a catalog (the cache asks it about objects that went missing) and
 * a local store, and starts the cache with capacity bytes. */
static void fixture_start(uint64_t capacity)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(tmp_root, sizeof tmp_root, "%s/sluice-bcache-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp_root));
	char dir[320], url[330], err[256];
	snprintf(dir, sizeof dir, "%s/catalog", tmp_root);
	ck_assert_int_eq(catalog_open(dir, &broker.catalog), 0);
	memset(counters, 0, sizeof counters);
	broker.counters = counters;
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	broker.base = base;
	snprintf(url, sizeof url, "file://%s/objects", tmp_root);
	struct objstore_options opt = {.url = url};
	ck_assert_msg(objstore_open(base, &opt, &store, err, sizeof err) == 0, "%s", err);
	wakes = 0;
	block_cache_start(store, capacity, on_wake);
}

static void setup(void)
{
	fixture_start(256u * MIB);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	block_cache_stop();
	objstore_close(store);
	store = NULL;
	event_base_free(base);
	catalog_close(broker.catalog);
	broker.catalog = NULL;
	nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs the loop until no load is in flight (at most 10 s). */
static void drain(void)
{
	for (int i = 0; i < 10000 && block_cache_inflight(); i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (block_cache_inflight())
			usleep(1000);
	}
	ck_assert_msg(block_cache_inflight() == 0, "loads still in flight after 10 s");
}

/* Object store callback: marks a PUT done. */
static void put_done(void *arg, const struct objstore_result *res)
{
	ck_assert_msg(res->status == 0, "%s", res->error);
	*(int *)arg = 1;
}

/* Stores len bytes (a pattern seeded by id) as object id; returns them
 * (the caller frees). */
static uint8_t *object_make(uint64_t id, size_t len)
{
	uint8_t *data = malloc(len);
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 131 + id * 7 + (i >> 12));
	char key[OBJECT_KEY_MAX];
	object_key(id, key, sizeof key);
	int done = 0;
	objstore_put(store, key, data, len, put_done, &done);
	for (int i = 0; i < 10000 && !done; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (!done)
			usleep(1000);
	}
	ck_assert(done);
	return data;
}

/* Describes block i of object id at position pos, size bytes, with the
 * CRC of data at that position. */
static struct catalog_block block_of(uint64_t id, uint64_t pos, uint32_t size,
				     const uint8_t *data, int64_t first)
{
	return (struct catalog_block){.stream_id = 1, .start_offset = first,
				      .end_offset = first + 10, .object_id = id,
				      .position = pos, .size = size,
				      .crc = crc32c(data + pos, size)};
}

/* Asserts block b is cached with the bytes of data at its position. */
static void assert_cached(const struct catalog_block *b, const uint8_t *data)
{
	int failed;
	const struct cold_block *cb = block_cache_get(b, &failed);
	ck_assert_msg(cb != NULL, "block at %llu is not cached",
		      (unsigned long long)b->position);
	ck_assert(!failed);
	ck_assert_uint_eq(cb->size, b->size);
	ck_assert(memcmp(cb->bytes, data + b->position, b->size) == 0);
}

START_TEST(test_run_is_one_get)
{
	uint8_t *data = object_make(0x10, 5000);
	struct catalog_block b[5];
	for (int i = 0; i < 5; i++)
		b[i] = block_of(0x10, (uint64_t)i * 1000, 1000, data, i * 10);
	int failed;
	ck_assert(block_cache_get_run(b, 5, &failed) == NULL && !failed);
	ck_assert_uint_eq(block_cache_inflight(), 5000);
	/* asking again while it loads starts nothing */
	ck_assert(block_cache_get_run(&b[2], 3, &failed) == NULL && !failed);
	ck_assert_uint_eq(counters[BC_cold_read_gets], 1);
	drain();
	ck_assert_int_gt(wakes, 0);
	for (int i = 0; i < 5; i++)
		assert_cached(&b[i], data);
	ck_assert_uint_eq(counters[BC_cold_read_gets], 1);
	ck_assert_uint_eq(counters[BC_cold_read_bytes], 5000);
	ck_assert_uint_eq(counters[BC_cold_cache_hits], 5);
	free(data);
}
END_TEST

START_TEST(test_run_boundaries)
{
	uint8_t *a = object_make(0x20, 4000);
	uint8_t *o = object_make(0x21, 1000);
	/* a gap between b[1] and b[2]; b[4] in another object; b[3] cached */
	struct catalog_block b[5] = {
		block_of(0x20, 0, 1000, a, 0),    block_of(0x20, 1000, 500, a, 10),
		block_of(0x20, 2000, 1000, a, 20), block_of(0x20, 3000, 1000, a, 30),
		block_of(0x21, 0, 1000, o, 40),
	};
	int failed;
	ck_assert(block_cache_get(&b[3], &failed) == NULL);
	drain();
	assert_cached(&b[3], a);
	ck_assert(block_cache_get_run(b, 5, &failed) == NULL);
	drain();
	ck_assert_uint_eq(counters[BC_cold_read_gets], 2);
	ck_assert_uint_eq(counters[BC_cold_read_bytes], 1000 + 1500);
	assert_cached(&b[0], a);
	assert_cached(&b[1], a);
	/* the run stopped at the gap: b[2] loads on its own, stopping at the
	 * cached b[3] */
	ck_assert(block_cache_get_run(&b[2], 3, &failed) == NULL);
	drain();
	ck_assert_uint_eq(counters[BC_cold_read_gets], 3);
	ck_assert_uint_eq(counters[BC_cold_read_bytes], 3500);
	assert_cached(&b[2], a);
	/* and another object is another GET */
	ck_assert(block_cache_get_run(&b[4], 1, &failed) == NULL);
	drain();
	ck_assert_uint_eq(counters[BC_cold_read_gets], 4);
	assert_cached(&b[4], o);
	free(a);
	free(o);
}
END_TEST

START_TEST(test_run_size_limit)
{
	uint32_t sz = 3 * MIB;
	uint8_t *data = object_make(0x30, 4 * (size_t)sz);
	struct catalog_block b[4];
	for (int i = 0; i < 4; i++)
		b[i] = block_of(0x30, (uint64_t)i * sz, sz, data, i * 10);
	int failed;
	ck_assert(block_cache_get_run(b, 4, &failed) == NULL);
	/* two 3 MiB blocks fit in BLOCK_CACHE_GET_BYTES, three do not */
	ck_assert_uint_eq(block_cache_inflight(), 2 * (uint64_t)sz);
	drain();
	ck_assert_uint_eq(counters[BC_cold_read_gets], 1);
	assert_cached(&b[0], data);
	assert_cached(&b[1], data);
	/* a block larger than the limit is still read, alone */
	uint8_t *bigdata = object_make(0x31, 9 * (size_t)MIB);
	struct catalog_block big[2] = {block_of(0x31, 0, 9 * MIB - 10, bigdata, 0),
				       block_of(0x31, 9 * MIB - 10, 10, bigdata, 10)};
	ck_assert(block_cache_get_run(big, 2, &failed) == NULL);
	ck_assert_uint_eq(block_cache_inflight(), 9 * (uint64_t)MIB - 10);
	drain();
	assert_cached(&big[0], bigdata);
	ck_assert_uint_eq(counters[BC_cold_read_gets], 2);
	free(data);
	free(bigdata);
}
END_TEST

START_TEST(test_run_bad_crc_fails_one_block)
{
	uint8_t *data = object_make(0x40, 3000);
	struct catalog_block b[3];
	for (int i = 0; i < 3; i++)
		b[i] = block_of(0x40, (uint64_t)i * 1000, 1000, data, i * 10);
	b[1].crc ^= 1;
	int failed;
	ck_assert(block_cache_get_run(b, 3, &failed) == NULL);
	drain();
	ck_assert_uint_eq(counters[BC_cold_read_gets], 1);
	assert_cached(&b[0], data);
	assert_cached(&b[2], data);
	ck_assert(block_cache_get(&b[1], &failed) == NULL);
	ck_assert_msg(failed, "a block whose CRC does not match is served");
	ck_assert_uint_eq(counters[BC_cold_read_errors], 1);
	ck_assert_uint_eq(counters[BC_cold_read_bytes], 2000);
	free(data);
}
END_TEST

START_TEST(test_read_ahead_window)
{
	uint8_t *data = object_make(0x50, 20 * (size_t)MIB);
	struct catalog_block b[20];
	for (int i = 0; i < 20; i++)
		b[i] = block_of(0x50, (uint64_t)i * MIB, MIB, data, i * 10);
	/* 10 MiB of window: runs start at blocks 0 and 8 (each up to 8 MiB) */
	block_cache_read_ahead(b, 20, 10 * (uint64_t)MIB);
	ck_assert_uint_eq(counters[BC_cold_read_gets], 2);
	ck_assert_uint_eq(block_cache_inflight(), 16 * (uint64_t)MIB);
	/* nothing new while those are loading */
	block_cache_read_ahead(b, 20, 10 * (uint64_t)MIB);
	ck_assert_uint_eq(counters[BC_cold_read_gets], 2);
	drain();
	for (int i = 0; i < 16; i++)
		assert_cached(&b[i], data);
	/* the window moved past the loaded blocks: one more run */
	block_cache_read_ahead(&b[10], 10, 8 * (uint64_t)MIB);
	ck_assert_uint_eq(counters[BC_cold_read_gets], 3);
	ck_assert_uint_eq(block_cache_inflight(), 4 * (uint64_t)MIB);
	drain();
	for (int i = 16; i < 20; i++)
		assert_cached(&b[i], data);
	free(data);
}
END_TEST

START_TEST(test_read_ahead_bounded_by_cache)
{
	teardown();
	fixture_start(32u * MIB); /* a quarter: 8 MiB in flight */
	uint8_t *data = object_make(0x60, 20 * (size_t)MIB);
	struct catalog_block b[20];
	for (int i = 0; i < 20; i++)
		b[i] = block_of(0x60, (uint64_t)i * MIB, MIB, data, i * 10);
	block_cache_read_ahead(b, 20, 20 * (uint64_t)MIB);
	ck_assert_uint_eq(counters[BC_cold_read_gets], 1);
	ck_assert_uint_eq(block_cache_inflight(), 8 * (uint64_t)MIB);
	/* a fetch's own block is loaded whatever is in flight */
	int failed;
	ck_assert(block_cache_get_run(&b[12], 8, &failed) == NULL && !failed);
	ck_assert_uint_eq(counters[BC_cold_read_gets], 2);
	drain();
	assert_cached(&b[0], data);
	assert_cached(&b[19], data);
	free(data);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("block_cache");
	TCase *tc = tcase_create("runs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_run_is_one_get);
	tcase_add_test(tc, test_run_boundaries);
	tcase_add_test(tc, test_run_size_limit);
	tcase_add_test(tc, test_run_bad_crc_fails_one_block);
	tcase_add_test(tc, test_read_ahead_window);
	tcase_add_test(tc, test_read_ahead_bounded_by_cache);
	suite_add_tcase(s, tc);
	return s;
}
