/*
 * Unit tests of the control operations compactd uses
 * (brokerd/compaction/compaction_ops.c) and of cold reads of objects that
 * compaction replaced (brokerd/cold/block_cache.c).  Everything is real:
 * brokerd's control socket on a libevent loop with clients connected to
 * it, a catalog in a temporary directory, topics and partitions made by
 * the topic lifecycle, and a local object store holding the catalog's
 * copy and the objects.  The loop runs while a test waits for an answer.
 *
 * Covered: streams (every field, deleted streams, order), objects (paging
 * in id order, blocks exactly as committed, retired objects), replace
 * (answered after its journal record is in the bucket and in request
 * order, idempotent repeat, each refusal, data below the log start),
 * forget, the "compaction" events (compact_now, DeleteTopics, retention)
 * reaching subscribers only, and a GET that finds a replaced object
 * deleted being no error.
 */
#define _GNU_SOURCE
#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/cold/block_cache.h"
#include "brokerd/compaction/object_index.h"
#include "brokerd/compaction/retention.h"
#include "brokerd/control/control.h"
#include "brokerd/partition/partition.h"
#include "brokerd/topics.h"
#include "brokerd/upload/catalog_mirror.h"
#include "common/counters.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/object_format.h"
#include "common/objstore.h"
#include "tests/unit/scratch_dir.h"
#include "tests/unit/unit_main.h"

/* ---- fixture ---- */

static char tmp_root[256];
static char sock_path[300];
static char store_dir[300];
static struct broker_config cfg;
static uint64_t counters[BC__COUNT];
static struct event_base *base;
static struct objstore *store;
static int wakes;

/* Block cache wake-up: counts arrivals and failures. */
static void on_wake(void)
{
	wakes++;
}

static void setup(void)
{
	scratch_dir_make(tmp_root, sizeof tmp_root, "compops");
	char dir[320];
	snprintf(dir, sizeof dir, "%s/catalog", tmp_root);
	ck_assert_int_eq(catalog_open(dir, &broker.catalog), 0);
	memset(&cfg, 0, sizeof cfg);
	cfg.num_partitions = 1;
	cfg.retention_check_interval_ms = 30000;
	broker.cfg = &cfg;
	memset(counters, 0, sizeof counters);
	broker.counters = counters;
	broker.partitions = partition_table_new();
	ck_assert_ptr_nonnull(broker.partitions);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	broker.base = base;

	snprintf(store_dir, sizeof store_dir, "%s/objects", tmp_root);
	char url[320], err[256];
	snprintf(url, sizeof url, "file://%s", store_dir);
	struct objstore_options opt = {.url = url};
	ck_assert_msg(objstore_open(base, &opt, &store, err, sizeof err) == 0, "%s", err);
	broker.objstore = store;
	ck_assert_int_eq(catalog_mirror_start(store, broker.catalog), 0);
	snprintf(sock_path, sizeof sock_path, "%s/control.sock", tmp_root);
	ck_assert_int_eq(control_start(base, sock_path), 0);
	wakes = 0;
	block_cache_start(store, 1 << 20, on_wake);
}

static void teardown(void)
{
	control_stop();
	block_cache_stop();
	catalog_mirror_stop();
	objstore_close(store);
	store = NULL;
	broker.objstore = NULL;
	event_base_free(base);
	base = NULL;
	broker.base = NULL;
	partition_table_free(broker.partitions);
	broker.partitions = NULL;
	object_index_drop();
	catalog_close(broker.catalog);
	broker.catalog = NULL;
	scratch_dir_remove(tmp_root);
}

/* Runs the loop once without blocking. */
static void pump(void)
{
	event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Runs the loop until *flag is non-zero (at most 10 s). */
static void pump_until(const int *flag)
{
	for (int i = 0; i < 10000 && !*flag; i++) {
		pump();
		if (!*flag)
			usleep(1000);
	}
	ck_assert_msg(*flag, "timed out waiting for the loop");
}

/* ---- control clients ---- */

struct client {
	int fd;
	char *buf;
	size_t len, cap;
	json_t *events; /* event lines seen while waiting for replies */
};

static void client_open(struct client *c)
{
	memset(c, 0, sizeof *c);
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(c->fd, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	ck_assert_uint_lt(strlen(sock_path), sizeof sun.sun_path);
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	ck_assert_int_eq(connect(c->fd, (struct sockaddr *)&sun, sizeof sun), 0);
	c->cap = 1 << 16;
	c->buf = malloc(c->cap);
	c->events = json_array();
	pump(); /* brokerd accepts */
}

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->buf);
	json_decref(c->events);
	pump(); /* brokerd sees the EOF */
}

/* The next line from brokerd, parsed (at most 10 s). */
static json_t *client_line(struct client *c)
{
	for (int i = 0; i < 10000; i++) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			json_error_t jerr;
			json_t *v = json_loadb(c->buf, (size_t)(nl - c->buf), 0, &jerr);
			ck_assert_msg(v != NULL, "bad line from brokerd: %s", jerr.text);
			c->len -= (size_t)(nl + 1 - c->buf);
			memmove(c->buf, nl + 1, c->len);
			return v;
		}
		pump();
		if (c->cap - c->len < 4096)
			c->buf = realloc(c->buf, c->cap *= 2);
		ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (r > 0)
			c->len += (size_t)r;
		else
			usleep(1000);
	}
	ck_abort_msg("no line from brokerd in 10 s");
	return NULL;
}

/* The next reply, keeping events seen on the way. */
static json_t *client_reply(struct client *c)
{
	for (;;) {
		json_t *v = client_line(c);
		if (!json_object_get(v, "event"))
			return v;
		json_array_append_new(c->events, v);
	}
}

static void client_send(struct client *c, const char *text)
{
	size_t n = strlen(text);
	ck_assert_int_eq(write(c->fd, text, n), (ssize_t)n);
	ck_assert_int_eq(write(c->fd, "\n", 1), 1);
}

/* Sends one request (JSON text) and returns its reply. */
static json_t *client_call(struct client *c, const char *text)
{
	client_send(c, text);
	return client_reply(c);
}

/* Sends a request built with printf-style formatting. */
static json_t *client_callf(struct client *c, const char *fmt, ...)
{
	char text[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	return client_call(c, text);
}

static int reply_ok(json_t *r)
{
	return json_is_true(json_object_get(r, "ok"));
}

static const char *reply_error(json_t *r)
{
	const char *e = json_string_value(json_object_get(r, "error"));
	return e ? e : "";
}

/* ---- building catalog state ---- */

/* Creates a topic with up to two explicit configs. */
static const struct topic *make_topic(const char *name, int32_t partitions,
				      const char *k1, const char *v1,
				      const char *k2, const char *v2)
{
	struct topic_config_entry c[2] = {{(char *)k1, (char *)v1},
					  {(char *)k2, (char *)v2}};
	size_t n = k2 ? 2 : k1 ? 1 : 0;
	char err[256];
	const struct topic *t;
	int rc = topics_create(name, partitions, c, n, 0, err, sizeof err, &t);
	ck_assert_msg(rc == 0, "create %s: %d %s", name, rc, err);
	return t;
}

/* A block: stream, offsets, max timestamp, size (position and CRC are
 * filled in by upload). */
struct blk {
	uint64_t stream;
	int64_t start, end, max_ts;
	uint32_t size;
};

/* Commits uploaded object id with blocks b (laid out back to back, CRC of
 * data if given, else of nothing); returns the object size. */
static uint64_t upload(uint64_t id, const struct blk *b, size_t n,
		       const uint8_t *data, struct catalog_block *out)
{
	struct catalog_block cb[16];
	uint64_t pos = 0;
	ck_assert_uint_le(n, 16);
	for (size_t i = 0; i < n; i++) {
		cb[i] = (struct catalog_block){
			.stream_id = b[i].stream,
			.start_offset = b[i].start,
			.end_offset = b[i].end,
			.max_timestamp = b[i].max_ts,
			.record_count = (uint64_t)(b[i].end - b[i].start),
			.object_id = id,
			.position = pos,
			.size = b[i].size,
			.crc = data ? crc32c(data + pos, b[i].size) : (uint32_t)(0x100 + i),
		};
		pos += b[i].size;
	}
	uint64_t wal = catalog_uploaded_end(broker.catalog);
	struct catalog_object o = {
		.id = id,
		.size = pos,
		.wal_start = wal,
		.wal_end = wal + pos,
		.created_ms = 1700000000000LL + (int64_t)id,
		.flags = 0,
		.block_count = (uint32_t)n,
	};
	ck_assert_int_eq(catalog_commit_upload(broker.catalog, &o, cb, n, NULL), 0);
	if (out)
		memcpy(out, cb, n * sizeof *cb);
	return pos;
}

/* Whether the bucket holds the catalog's journal record seq. */
static int bucket_has_journal(uint64_t seq)
{
	char path[400];
	struct stat st;
	snprintf(path, sizeof path, "%s/catalog/journal/%016" PRIx64, store_dir, seq);
	return stat(path, &st) == 0;
}

/* Checks a JSON block array against expected values. */
static void expect_block(json_t *a, uint64_t stream, int64_t start, int64_t end,
			 int64_t max_ts, int64_t records, int64_t pos,
			 int64_t size, int64_t crc)
{
	const int64_t want[8] = {(int64_t)stream, start, end, max_ts, records, pos, size, crc};
	ck_assert_msg(json_is_array(a) && json_array_size(a) == 8, "block is not an array of 8");
	for (size_t k = 0; k < 8; k++)
		ck_assert_msg(json_integer_value(json_array_get(a, k)) == want[k],
			      "block field %zu: %lld, want %lld", k,
			      (long long)json_integer_value(json_array_get(a, k)),
			      (long long)want[k]);
}

/* Orders blocks by stream and offset, as an object's index is. */
static int blk_cmp(const void *a, const void *b)
{
	const struct blk *x = a, *y = b;
	if (x->stream != y->stream)
		return (x->stream > y->stream) - (x->stream < y->stream);
	return (x->start > y->start) - (x->start < y->start);
}

/* ---- streams ---- */

/* The "streams" entry of stream id, or NULL. */
static json_t *stream_entry(json_t *reply, uint64_t id)
{
	json_t *arr = json_object_get(reply, "streams"), *e;
	size_t i;
	json_array_foreach(arr, i, e)
		if (json_integer_value(json_object_get(e, "stream")) == (json_int_t)id)
			return e;
	return NULL;
}

/* Checks one "streams" entry field by field. */
static void expect_stream(json_t *reply, uint64_t id, const char *topic,
			  int partition, int64_t log_start, int64_t end,
			  const char *policy, int64_t retention_ms,
			  int64_t retention_bytes, int64_t delete_retention_ms,
			  int64_t lag_ms)
{
	json_t *e = stream_entry(reply, id);
	ck_assert_msg(e != NULL, "no entry for stream %" PRIu64, id);
	json_t *t = json_object_get(e, "topic");
	if (topic)
		ck_assert_str_eq(json_string_value(t), topic);
	else
		ck_assert(json_is_null(t));
	ck_assert_int_eq(json_integer_value(json_object_get(e, "partition")), partition);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "log_start")), log_start);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "end")), end);
	ck_assert(json_is_boolean(json_object_get(e, "deleted")));
	ck_assert_int_eq(json_is_true(json_object_get(e, "deleted")), topic == NULL);
	ck_assert_str_eq(json_string_value(json_object_get(e, "cleanup_policy")), policy);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "retention_ms")), retention_ms);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "retention_bytes")),
			 retention_bytes);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "delete_retention_ms")),
			 delete_retention_ms);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "min_compaction_lag_ms")),
			 lag_ms);
}

START_TEST(test_streams)
{
	const struct topic *alpha = make_topic("alpha", 2, NULL, NULL, NULL, NULL);
	const struct topic *kv = make_topic("kv", 1, "cleanup.policy", "compact",
					    "delete.retention.ms", "1000");
	const struct topic *both = make_topic("both", 1, "cleanup.policy", "delete,compact",
					      "min.compaction.lag.ms", "5");
	const struct topic *gone = make_topic("gone", 1, NULL, NULL, NULL, NULL);
	const struct topic *sized = make_topic("sized", 1, "retention.bytes", "4096",
					       "retention.ms", "-1");
	uint64_t a0 = topic_stream_id(alpha, 0), a1 = topic_stream_id(alpha, 1);
	uint64_t skv = topic_stream_id(kv, 0), sboth = topic_stream_id(both, 0);
	uint64_t sgone = topic_stream_id(gone, 0), ssized = topic_stream_id(sized, 0);
	struct blk b[] = {
		{a0, 0, 10, 1000, 100}, {a1, 0, 5, 1001, 50},
		{skv, 0, 4, 1002, 40}, {sgone, 0, 3, 1003, 30},
	};
	qsort(b, 4, sizeof b[0], blk_cmp);
	upload(0x10, b, 4, NULL, NULL);
	ck_assert_int_eq(retention_set_log_start(
				 partition_by_stream(broker.partitions, a0), 4), 0);
	ck_assert_int_eq(topics_delete(gone), 0);

	struct client c;
	client_open(&c);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	json_t *r = client_call(&c, "{\"op\":\"streams\"}");
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	int64_t now = json_integer_value(json_object_get(r, "now_ms"));
	ck_assert(now >= before && now < before + 10000);
	json_t *arr = json_object_get(r, "streams");
	/* five live partitions and the deleted stream with blocks, by id */
	ck_assert_uint_eq(json_array_size(arr), 6);
	for (size_t i = 1; i < json_array_size(arr); i++)
		ck_assert(json_integer_value(json_object_get(json_array_get(arr, i - 1), "stream")) <
			  json_integer_value(json_object_get(json_array_get(arr, i), "stream")));
	const int64_t week = 604800000, day = 86400000;
	expect_stream(r, a0, "alpha", 0, 4, 10, "delete", week, -1, day, 0);
	expect_stream(r, a1, "alpha", 1, 0, 5, "delete", week, -1, day, 0);
	expect_stream(r, skv, "kv", 0, 0, 4, "compact", week, -1, 1000, 0);
	expect_stream(r, sboth, "both", 0, 0, 0, "compact,delete", week, -1, day, 5);
	expect_stream(r, ssized, "sized", 0, 0, 0, "delete", -1, 4096, day, 0);
	expect_stream(r, sgone, NULL, -1, 0, 3, "delete", week, -1, day, 0);
	json_decref(r);
	client_close(&c);
}
END_TEST

/* ---- objects ---- */

/* The ids of an "objects" page, as numbers. */
static size_t page_ids(json_t *r, uint64_t *ids, size_t max)
{
	json_t *arr = json_object_get(r, "objects"), *o;
	size_t i;
	ck_assert(json_is_array(arr));
	ck_assert_uint_le(json_array_size(arr), max);
	json_array_foreach(arr, i, o)
		ids[i] = strtoull(json_string_value(json_object_get(o, "id")), NULL, 16);
	return json_array_size(arr);
}

/* The page entry of object id, or NULL. */
static json_t *page_object(json_t *r, uint64_t id)
{
	char hex[17];
	snprintf(hex, sizeof hex, "%016" PRIx64, id);
	json_t *arr = json_object_get(r, "objects"), *o;
	size_t i;
	json_array_foreach(arr, i, o)
		if (!strcmp(json_string_value(json_object_get(o, "id")), hex))
			return o;
	return NULL;
}

START_TEST(test_objects)
{
	const struct topic *t = make_topic("alpha", 2, NULL, NULL, NULL, NULL);
	uint64_t s0 = topic_stream_id(t, 0), s1 = topic_stream_id(t, 1);
	/* five uploads in WAL order (130 bytes each), ids out of order;
	 * upload k holds s0 [10k, 10k+10) and s1 [3k, 3k+3) */
	static const uint64_t order[] = {0x50, 0x10, 0x30, 0x20, 0x40};
	for (int k = 0; k < 5; k++) {
		struct blk b[] = {{s0, 10 * k, 10 * k + 10, 5000 + k, 100},
				  {s1, 3 * k, 3 * k + 3, 6000 + k, 30}};
		upload(order[k], b, 2, NULL, NULL);
	}
	/* 0x30 (upload 2) is rewritten as 0x31, its s1 block first */
	struct catalog_object out = {.id = 0x31, .size = 130, .created_ms = 42,
				     .flags = 1, .block_count = 2};
	struct catalog_block ob[2] = {
		{s0, 20, 30, 5002, 10, 0x31, 30, 100, 0xabc},
		{s1, 6, 9, 6002, 3, 0x31, 0, 30, 0xdef},
	};
	uint64_t in = 0x30;
	ck_assert_int_eq(catalog_replace_objects(broker.catalog, &in, 1, &out, 1, ob, 2), 0);

	struct client c;
	client_open(&c);
	uint64_t ids[8];
	json_t *r = client_call(&c, "{\"op\":\"objects\",\"after\":null,\"limit\":2}");
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	ck_assert_uint_eq(page_ids(r, ids, 2), 2);
	ck_assert(ids[0] == 0x10 && ids[1] == 0x20);
	ck_assert_str_eq(json_string_value(json_object_get(r, "next")), "0000000000000020");
	/* 0x10 (upload 1) exactly as committed */
	json_t *o = page_object(r, 0x10);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "size")), 130);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "flags")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "created_ms")),
			 1700000000000LL + 0x10);
	ck_assert(json_is_null(json_object_get(o, "retired_ms")));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "wal_start")), 130);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "wal_end")), 260);
	json_t *blocks = json_object_get(o, "blocks");
	ck_assert_uint_eq(json_array_size(blocks), 2);
	expect_block(json_array_get(blocks, 0), s0, 10, 20, 5001, 10, 0, 100, 0x100);
	expect_block(json_array_get(blocks, 1), s1, 3, 6, 6001, 3, 100, 30, 0x101);
	json_decref(r);

	r = client_call(&c, "{\"op\":\"objects\",\"after\":\"0000000000000020\",\"limit\":2}");
	ck_assert_uint_eq(page_ids(r, ids, 2), 2);
	ck_assert(ids[0] == 0x30 && ids[1] == 0x31);
	ck_assert_str_eq(json_string_value(json_object_get(r, "next")), "0000000000000031");
	o = page_object(r, 0x30);
	ck_assert(json_is_integer(json_object_get(o, "retired_ms")));
	ck_assert_int_gt(json_integer_value(json_object_get(o, "retired_ms")), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(o, "blocks")), 0);
	/* the output: live, no WAL range, blocks by stream and offset */
	o = page_object(r, 0x31);
	ck_assert(json_is_null(json_object_get(o, "retired_ms")));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "flags")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "created_ms")), 42);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "wal_end")), 0);
	blocks = json_object_get(o, "blocks");
	ck_assert_uint_eq(json_array_size(blocks), 2);
	expect_block(json_array_get(blocks, 0), s0, 20, 30, 5002, 10, 30, 100, 0xabc);
	expect_block(json_array_get(blocks, 1), s1, 6, 9, 6002, 3, 0, 30, 0xdef);
	json_decref(r);

	r = client_call(&c, "{\"op\":\"objects\",\"after\":\"0000000000000031\",\"limit\":2}");
	ck_assert_uint_eq(page_ids(r, ids, 2), 2);
	ck_assert(ids[0] == 0x40 && ids[1] == 0x50);
	ck_assert(json_is_null(json_object_get(r, "next")));
	json_decref(r);

	/* no limit: one page of everything; past the end: empty */
	r = client_call(&c, "{\"op\":\"objects\"}");
	ck_assert_uint_eq(page_ids(r, ids, 8), 6);
	ck_assert(json_is_null(json_object_get(r, "next")));
	json_decref(r);
	r = client_call(&c, "{\"op\":\"objects\",\"after\":\"ffffffffffffffff\",\"limit\":5}");
	ck_assert_uint_eq(page_ids(r, ids, 8), 0);
	ck_assert(json_is_null(json_object_get(r, "next")));
	json_decref(r);

	static const char *const bad[] = {
		"{\"op\":\"objects\",\"after\":\"20\",\"limit\":2}",
		"{\"op\":\"objects\",\"after\":\"000000000000002g\",\"limit\":2}",
		"{\"op\":\"objects\",\"after\":32,\"limit\":2}",
		"{\"op\":\"objects\",\"after\":null,\"limit\":0}",
		"{\"op\":\"objects\",\"after\":null,\"limit\":\"2\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = client_call(&c, bad[i]);
		ck_assert_msg(!reply_ok(r) && *reply_error(r), "accepted %s", bad[i]);
		json_decref(r);
	}
	client_close(&c);
}
END_TEST

/* Commits uploaded object id holding one 10-byte block of each of the first
 * n partitions of t, continuing each partition's offsets. */
static void upload_wide(uint64_t id, const struct topic *t, int32_t n)
{
	struct catalog_block *cb = calloc((size_t)n, sizeof *cb);
	ck_assert_ptr_nonnull(cb);
	for (int32_t p = 0; p < n; p++) {
		uint64_t stream = topic_stream_id(t, p);
		int64_t end = catalog_stream_end(broker.catalog, stream);
		cb[p] = (struct catalog_block){stream, end, end + 1, 1000, 1, id,
					       (uint64_t)p * 10, 10, 0};
	}
	uint64_t wal = catalog_uploaded_end(broker.catalog);
	struct catalog_object o = {.id = id, .size = (uint64_t)n * 10,
				   .wal_start = wal, .wal_end = wal + (uint64_t)n * 10,
				   .created_ms = 1700000000000LL,
				   .block_count = (uint32_t)n};
	ck_assert_int_eq(catalog_commit_upload(broker.catalog, &o, cb, (size_t)n, NULL), 0);
	free(cb);
}

/* A page also ends at 1024 blocks (a single bigger object is a page of its
 * own), so one page costs the event loop about a millisecond. */
START_TEST(test_objects_page_blocks)
{
	const struct topic *t = make_topic("wide", 1100, NULL, NULL, NULL, NULL);
	static const struct { uint64_t id; int32_t blocks; } ups[] = {
		{0x10, 600}, {0x20, 300}, {0x30, 300}, {0x40, 1100}, {0x50, 10}};
	for (size_t i = 0; i < 5; i++)
		upload_wide(ups[i].id, t, ups[i].blocks);
	/* pages: 600 + 300; 300 (with the next: 1400); 1100 alone; 10 */
	static const uint64_t pages[][2] = {{0x10, 0x20}, {0x30, 0}, {0x40, 0}, {0x50, 0}};
	struct client c;
	client_open(&c);
	char req[128] = "{\"op\":\"objects\",\"after\":null,\"limit\":100}";
	for (size_t p = 0; p < 4; p++) {
		json_t *r = client_call(&c, req);
		ck_assert_msg(reply_ok(r), "%s", reply_error(r));
		uint64_t ids[4];
		size_t n = page_ids(r, ids, 4);
		ck_assert_uint_eq(n, pages[p][1] ? 2 : 1);
		for (size_t k = 0; k < n; k++) {
			ck_assert_uint_eq(ids[k], pages[p][k]);
			size_t want = 0;
			for (size_t i = 0; i < 5; i++)
				if (ups[i].id == ids[k])
					want = (size_t)ups[i].blocks;
			ck_assert_uint_eq(json_array_size(json_object_get(
				page_object(r, ids[k]), "blocks")), want);
		}
		json_t *next = json_object_get(r, "next");
		if (p == 3) {
			ck_assert(json_is_null(next));
		} else {
			char last[17];
			snprintf(last, sizeof last, "%016" PRIx64, ids[n - 1]);
			ck_assert_str_eq(json_string_value(next), last);
			snprintf(req, sizeof req,
				 "{\"op\":\"objects\",\"after\":\"%s\",\"limit\":100}",
				 json_string_value(next));
		}
		json_decref(r);
	}
	client_close(&c);
}
END_TEST

/* Checks that object id of page r holds n blocks: one per partition
 * 0..n-1 of t in stream order, each at position 10 * partition. */
static void check_wide_blocks(json_t *r, uint64_t id, const struct topic *t,
			      int32_t n)
{
	json_t *blocks = json_object_get(page_object(r, id), "blocks");
	ck_assert_uint_eq(json_array_size(blocks), (size_t)n);
	for (int32_t p = 0; p < n; p++) {
		json_t *b = json_array_get(blocks, (size_t)p);
		ck_assert_uint_eq((uint64_t)json_integer_value(json_array_get(b, 0)),
				  topic_stream_id(t, p));
		ck_assert_int_eq(json_integer_value(json_array_get(b, 5)), p * 10);
	}
}

/* The pages of one listing come from an index kept while the catalog does
 * not change; an upload committed between two pages shows in the next. */
START_TEST(test_objects_pages_across_changes)
{
	const struct topic *t = make_topic("wide", 700, NULL, NULL, NULL, NULL);
	upload_wide(0x10, t, 600);
	upload_wide(0x20, t, 600);
	struct client c;
	client_open(&c);
	json_t *r = client_call(&c, "{\"op\":\"objects\",\"after\":null}");
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	uint64_t ids[4];
	ck_assert_uint_eq(page_ids(r, ids, 4), 1);
	ck_assert_uint_eq(ids[0], 0x10);
	check_wide_blocks(r, 0x10, t, 600);
	json_decref(r);

	upload_wide(0x30, t, 5);
	r = client_call(&c, "{\"op\":\"objects\",\"after\":\"0000000000000010\"}");
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	ck_assert_uint_eq(page_ids(r, ids, 4), 2);
	ck_assert_uint_eq(ids[0], 0x20);
	ck_assert_uint_eq(ids[1], 0x30);
	check_wide_blocks(r, 0x20, t, 600);
	check_wide_blocks(r, 0x30, t, 5);
	ck_assert(json_is_null(json_object_get(r, "next")));
	json_decref(r);

	/* after the last id: an empty page */
	r = client_call(&c, "{\"op\":\"objects\",\"after\":\"0000000000000030\"}");
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	ck_assert_uint_eq(page_ids(r, ids, 4), 0);
	ck_assert(json_is_null(json_object_get(r, "next")));
	json_decref(r);
	client_close(&c);
}
END_TEST

/* ---- replace_objects and forget_objects ---- */

START_TEST(test_replace_and_forget)
{
	const struct topic *t = make_topic("alpha", 2, NULL, NULL, NULL, NULL);
	uint64_t s0 = topic_stream_id(t, 0), s1 = topic_stream_id(t, 1);
	struct blk b1[] = {{s0, 0, 10, 100, 100}, {s1, 0, 5, 101, 50}};
	struct blk b2[] = {{s0, 10, 20, 102, 100}};
	struct blk b3[] = {{s0, 20, 30, 103, 100}};
	upload(0x10, b1, 2, NULL, NULL);
	upload(0x20, b2, 1, NULL, NULL);
	upload(0x30, b3, 1, NULL, NULL);

	struct client c;
	client_open(&c);
	char req[2048];
	snprintf(req, sizeof req,
		 "{\"op\":\"replace_objects\","
		 "\"inputs\":[\"0000000000000010\",\"0000000000000020\"],"
		 "\"outputs\":["
		 "{\"id\":\"0000000000000100\",\"size\":200,\"flags\":1,\"created_ms\":7,"
		 "\"blocks\":[[%" PRIu64 ",0,20,102,20,0,200,12345]]},"
		 "{\"id\":\"0000000000000101\",\"size\":50,\"flags\":1,\"created_ms\":7,"
		 "\"blocks\":[[%" PRIu64 ",0,5,101,5,0,50,678]]}]}",
		 s0, s1);
	/* a streams request right behind it is answered after it: replies
	 * keep request order although the replace's waits for the bucket */
	client_send(&c, req);
	client_send(&c, "{\"op\":\"streams\"}");
	json_t *r = client_reply(&c);
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	ck_assert_ptr_null(json_object_get(r, "streams"));
	/* answered only once the change is in the bucket's catalog copy */
	ck_assert(bucket_has_journal(catalog_seq(broker.catalog)));
	json_decref(r);
	r = client_reply(&c);
	ck_assert_ptr_nonnull(json_object_get(r, "streams"));
	json_decref(r);

	ck_assert_int_eq(catalog_object_is_retired(broker.catalog, 0x10, NULL), 1);
	ck_assert_int_eq(catalog_object_is_retired(broker.catalog, 0x20, NULL), 1);
	ck_assert_int_eq(catalog_object_is_retired(broker.catalog, 0x100, NULL), 0);
	const struct catalog_block *fb = catalog_stream_find(broker.catalog, s0, 12);
	ck_assert(fb && fb->object_id == 0x100 && fb->crc == 12345 && fb->end_offset == 20);
	fb = catalog_stream_find(broker.catalog, s1, 0);
	ck_assert(fb && fb->object_id == 0x101);
	const struct catalog_object *co = catalog_object_by_id(broker.catalog, 0x100);
	ck_assert(co && co->size == 200 && co->flags == 1 && co->created_ms == 7 &&
		  co->block_count == 1 && co->wal_start == 0 && co->wal_end == 0);

	/* the same proposal again (its answer lost): applied, nothing new */
	uint64_t seq = catalog_seq(broker.catalog);
	r = client_call(&c, req);
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	ck_assert_uint_eq(catalog_seq(broker.catalog), seq);
	json_decref(r);

	/* an input no longer live, with new outputs: refused */
	r = client_callf(&c,
		 "{\"op\":\"replace_objects\",\"inputs\":[\"0000000000000010\"],"
		 "\"outputs\":[{\"id\":\"0000000000000200\",\"size\":100,\"flags\":1,"
		 "\"created_ms\":7,\"blocks\":[[%" PRIu64 ",0,10,100,10,0,100,1]]}]}", s0);
	ck_assert(!reply_ok(r));
	ck_assert_msg(!strncmp(reply_error(r), "refused: ", 9), "%s", reply_error(r));
	json_decref(r);
	ck_assert_ptr_null(catalog_object_by_id(broker.catalog, 0x200));

	/* outputs that leave out offsets at or above the log start: refused */
	r = client_callf(&c,
		 "{\"op\":\"replace_objects\",\"inputs\":[\"0000000000000030\"],"
		 "\"outputs\":[{\"id\":\"0000000000000300\",\"size\":100,\"flags\":1,"
		 "\"created_ms\":7,\"blocks\":[[%" PRIu64 ",20,25,103,5,0,50,1]]}]}", s0);
	ck_assert(!reply_ok(r));
	ck_assert_msg(!strncmp(reply_error(r), "refused: ", 9), "%s", reply_error(r));
	json_decref(r);
	ck_assert_int_eq(catalog_object_is_retired(broker.catalog, 0x30, NULL), 0);
	/* ... unless they lie below it: the same rewrite after DeleteRecords */
	ck_assert_int_eq(retention_set_log_start(partition_by_stream(broker.partitions, s0), 25), 0);
	r = client_callf(&c,
		 "{\"op\":\"replace_objects\",\"inputs\":[\"0000000000000030\"],"
		 "\"outputs\":[{\"id\":\"0000000000000300\",\"size\":100,\"flags\":1,"
		 "\"created_ms\":7,\"blocks\":[[%" PRIu64 ",25,30,103,5,0,50,1]]}]}", s0);
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	json_decref(r);
	ck_assert_int_eq(catalog_object_is_retired(broker.catalog, 0x30, NULL), 1);

	/* malformed proposals are not refusals and change nothing */
	static const char *const bad[] = {
		"{\"op\":\"replace_objects\",\"inputs\":[],\"outputs\":[]}",
		"{\"op\":\"replace_objects\",\"inputs\":[\"30\"],\"outputs\":[]}",
		"{\"op\":\"replace_objects\",\"inputs\":[\"0000000000000300\"]}",
		"{\"op\":\"replace_objects\",\"inputs\":[\"0000000000000300\"],"
		"\"outputs\":[{\"id\":\"0000000000000400\",\"size\":0,\"flags\":0,"
		"\"created_ms\":1,\"blocks\":[]}]}",
		"{\"op\":\"replace_objects\",\"inputs\":[\"0000000000000300\"],"
		"\"outputs\":[{\"id\":\"0000000000000400\",\"size\":10,\"flags\":0,"
		"\"created_ms\":1,\"blocks\":[[1,5,5,0,1,0,10,0]]}]}",
		"{\"op\":\"replace_objects\",\"inputs\":[\"0000000000000300\"],"
		"\"outputs\":[{\"size\":10,\"flags\":0,\"created_ms\":1,\"blocks\":[]}]}",
	};
	seq = catalog_seq(broker.catalog);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = client_call(&c, bad[i]);
		ck_assert_msg(!reply_ok(r), "accepted %s", bad[i]);
		ck_assert_msg(*reply_error(r) && strncmp(reply_error(r), "refused: ", 9),
			      "%s: %s", bad[i], reply_error(r));
		json_decref(r);
	}
	ck_assert_uint_eq(catalog_seq(broker.catalog), seq);

	/* forget: a live object is refused; retired ones go; a repeat is ok */
	r = client_call(&c, "{\"op\":\"forget_objects\",\"ids\":[\"0000000000000100\"]}");
	ck_assert(!reply_ok(r));
	ck_assert_msg(!strncmp(reply_error(r), "refused: ", 9), "%s", reply_error(r));
	json_decref(r);
	ck_assert_ptr_nonnull(catalog_object_by_id(broker.catalog, 0x10));
	const char *forget = "{\"op\":\"forget_objects\",\"ids\":"
			     "[\"0000000000000010\",\"0000000000000020\"]}";
	r = client_call(&c, forget);
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	json_decref(r);
	ck_assert_ptr_null(catalog_object_by_id(broker.catalog, 0x10));
	ck_assert_ptr_null(catalog_object_by_id(broker.catalog, 0x20));
	ck_assert_ptr_nonnull(catalog_object_by_id(broker.catalog, 0x30));
	seq = catalog_seq(broker.catalog);
	r = client_call(&c, forget);
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	json_decref(r);
	ck_assert_uint_eq(catalog_seq(broker.catalog), seq);
	r = client_call(&c, "{\"op\":\"forget_objects\",\"ids\":[]}");
	ck_assert(!reply_ok(r));
	json_decref(r);
	client_close(&c);
}
END_TEST

/* ---- events ---- */

/* Waits for the next event on a subscribed client; returns its reason. */
static const char *next_event(struct client *c, char *buf, size_t len)
{
	json_t *e;
	if (json_array_size(c->events) > 0) {
		e = json_incref(json_array_get(c->events, 0));
		json_array_remove(c->events, 0);
	} else {
		e = client_line(c);
	}
	ck_assert_str_eq(json_string_value(json_object_get(e, "event")), "compact");
	snprintf(buf, len, "%s", json_string_value(json_object_get(e, "reason")));
	json_decref(e);
	return buf;
}

START_TEST(test_events)
{
	struct client sub, other;
	client_open(&sub);
	client_open(&other);
	json_t *r = client_call(&sub, "{\"op\":\"subscribe\",\"topic\":\"compaction\"}");
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	json_decref(r);
	r = client_call(&other, "{\"op\":\"subscribe\",\"topic\":\"compactions\"}");
	ck_assert(!reply_ok(r));
	json_decref(r);

	char why[64];
	r = client_call(&other, "{\"op\":\"compact_now\"}");
	ck_assert_msg(reply_ok(r), "%s", reply_error(r));
	json_decref(r);
	ck_assert_str_eq(next_event(&sub, why, sizeof why), "compact_now");

	/* DeleteTopics asks for the deleted topic's data to go */
	const struct topic *t = make_topic("doomed", 1, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(topics_delete(t), 0);
	ck_assert_str_eq(next_event(&sub, why, sizeof why), "delete_topics");

	/* retention: an event when a log start moved, none when nothing did */
	const struct topic *timed = make_topic("timed", 1, "retention.ms", "1000", NULL, NULL);
	struct blk b[] = {{topic_stream_id(timed, 0), 0, 10, 1000, 100}};
	upload(0x10, b, 1, NULL, NULL);
	ck_assert_int_eq(retention_run(1500), 0);
	ck_assert_int_eq(retention_run(5000), 1);
	ck_assert_str_eq(next_event(&sub, why, sizeof why), "retention");

	/* the unsubscribed client saw none of it: its next line is a reply */
	r = client_call(&other, "{\"op\":\"compact_now\"}");
	ck_assert(reply_ok(r));
	json_decref(r);
	ck_assert_uint_eq(json_array_size(other.events), 0);
	ck_assert_str_eq(next_event(&sub, why, sizeof why), "compact_now");
	/* and the subscriber got exactly those: a reply comes next */
	r = client_call(&sub, "{\"op\":\"streams\"}");
	ck_assert(reply_ok(r));
	json_decref(r);
	ck_assert_uint_eq(json_array_size(sub.events), 0);
	client_close(&other);
	client_close(&sub);
}
END_TEST

/* ---- cold reads of replaced objects ---- */

/* Object store callback: sets the int it is given. */
static void store_done(void *arg, const struct objstore_result *res)
{
	ck_assert_msg(res->status == 0, "store: %s", res->error);
	*(int *)arg = 1;
}

/* PUTs object id's bytes into the bucket. */
static void store_put(uint64_t id, const uint8_t *data, size_t len)
{
	char key[OBJECT_KEY_MAX];
	object_key(id, key, sizeof key);
	int done = 0;
	objstore_put(store, key, data, len, store_done, &done);
	pump_until(&done);
}

/* DELETEs object id from the bucket. */
static void store_delete(uint64_t id)
{
	char key[OBJECT_KEY_MAX];
	object_key(id, key, sizeof key);
	const char *keys[1] = {key};
	int done = 0;
	objstore_delete(store, keys, 1, store_done, &done);
	pump_until(&done);
}

/* Asks the block cache for b until it has it or reports a failure;
 * returns the block or NULL with *failed set. */
static const struct cold_block *cache_read(const struct catalog_block *b, int *failed)
{
	const struct cold_block *cb = block_cache_get(b, failed);
	if (cb || *failed)
		return cb;
	int w = wakes;
	for (int i = 0; i < 10000 && wakes == w; i++) {
		pump();
		usleep(1000);
	}
	ck_assert_msg(wakes > w, "no wake-up from the block cache");
	return block_cache_get(b, failed);
}

START_TEST(test_cold_read_of_replaced_object)
{
	const struct topic *t = make_topic("alpha", 1, NULL, NULL, NULL, NULL);
	uint64_t s = topic_stream_id(t, 0);
	uint8_t data[200];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	struct blk b[] = {{s, 0, 10, 100, 100}, {s, 10, 20, 101, 100}};
	struct catalog_block old[2];
	upload(0xa, b, 2, data, old);
	store_put(0xa, data, sizeof data);
	int failed;
	const struct cold_block *cb = cache_read(&old[0], &failed);
	ck_assert_msg(cb && !failed, "first read of object a failed");
	ck_assert(memcmp(cb->bytes, data, 100) == 0);

	/* compactd: writes b, replaces a by b, and (after its grace period)
	 * deletes a while a read of a's second block is in flight */
	store_put(0xb, data, sizeof data);
	struct catalog_object out = {.id = 0xb, .size = 200, .created_ms = 1, .block_count = 2};
	struct catalog_block nb[2] = {old[0], old[1]};
	nb[0].object_id = nb[1].object_id = 0xb;
	uint64_t in = 0xa;
	ck_assert_int_eq(catalog_replace_objects(broker.catalog, &in, 1, &out, 1, nb, 2), 0);
	store_delete(0xa);
	/* a fetch that looked a's block up before the replace reads it now */
	ck_assert(block_cache_get(&old[1], &failed) == NULL && !failed);
	int w = wakes;
	for (int i = 0; i < 10000 && wakes == w; i++) {
		pump();
		usleep(1000);
	}
	ck_assert_int_gt(wakes, w); /* the fetches waiting on it re-plan */
	/* not a failure: no error counted, no back-off for the old key (a
	 * get starts a new load, which ends the same way) ... */
	ck_assert_uint_eq(counters[BC_cold_read_errors], 0);
	cb = block_cache_get(&old[1], &failed);
	ck_assert(cb == NULL && !failed);
	w = wakes;
	for (int i = 0; i < 10000 && wakes == w; i++) {
		pump();
		usleep(1000);
	}
	ck_assert_uint_eq(counters[BC_cold_read_errors], 0);
	/* ... and the re-plan finds the block in b */
	const struct catalog_block *now = catalog_stream_find(broker.catalog, s, 10);
	ck_assert(now && now->object_id == 0xb);
	struct catalog_block copy = *now;
	cb = cache_read(&copy, &failed);
	ck_assert_msg(cb && !failed, "read of the replacement failed");
	ck_assert(memcmp(cb->bytes, data + 100, 100) == 0);

	/* a live object missing from the bucket is still an error */
	struct blk cblk[] = {{s, 20, 30, 102, 100}};
	struct catalog_block live[1];
	upload(0xc, cblk, 1, data, live);
	cb = cache_read(&live[0], &failed);
	ck_assert(cb == NULL);
	cb = block_cache_get(&live[0], &failed);
	ck_assert(cb == NULL && failed);
	ck_assert_uint_eq(counters[BC_cold_read_errors], 1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("compaction_ops");
	TCase *tc = tcase_create("ops");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_streams);
	tcase_add_test(tc, test_objects);
	tcase_add_test(tc, test_objects_page_blocks);
	tcase_add_test(tc, test_objects_pages_across_changes);
	tcase_add_test(tc, test_replace_and_forget);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_cold_read_of_replaced_object);
	suite_add_tcase(s, tc);
	return s;
}
