/*
 * Unit tests of retention (brokerd/compaction/retention.c): the rule
 * table-driven over one block layout (retention.ms by block max_timestamp,
 * oldest first and stopping at the first block still young; retention.bytes
 * over the blocks at or above the log start; both together; a log start in
 * the middle of a block), then whole passes over a real catalog in a
 * temporary directory with real topics and partitions: which log starts
 * move and exactly where, in the catalog and in memory, that compacted and
 * unlimited topics stay untouched, that the moves survive reopening the
 * catalog, that a failed move leaves the partition alone, and that the
 * timer runs passes at retention.check.interval.ms.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/compaction/retention.h"
#include "brokerd/partition/partition.h"
#include "brokerd/topics.h"
#include "common/counters.h"
#include "common/errors.h"
#include "tests/unit/scratch_dir.h"
#include "tests/unit/unit_main.h"

#define DAY_MS 86400000LL
/* "now" of the passes that do not use the clock. */
#define NOW 1700000000000LL

/* ---- fixture: a catalog, a partition table, broker globals ---- */

static char tmp_root[256];
static char cat_dir[300];
static struct broker_config cfg;
static uint64_t counters[BC__COUNT];

static void setup(void)
{
	scratch_dir_make(tmp_root, sizeof tmp_root, "retention");
	snprintf(cat_dir, sizeof cat_dir, "%s/catalog", tmp_root);
	ck_assert_int_eq(catalog_open(cat_dir, &broker.catalog), 0);
	memset(&cfg, 0, sizeof cfg);
	cfg.num_partitions = 1;
	cfg.retention_check_interval_ms = 30000;
	broker.cfg = &cfg;
	broker.counters = counters;
	broker.partitions = partition_table_new();
	ck_assert_ptr_nonnull(broker.partitions);
}

static void teardown(void)
{
	partition_table_free(broker.partitions);
	broker.partitions = NULL;
	if (broker.catalog)
		catalog_close(broker.catalog);
	broker.catalog = NULL;
	scratch_dir_remove(tmp_root);
}

/* ---- building state ---- */

/* Creates a topic with up to two explicit configs (NULL: none). */
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

/* A block as the tests describe it. */
struct blk {
	int64_t start, end, max_ts;
	uint32_t size;
};

/* The layout every test uses: four blocks of 100 bytes with timestamps
 * NOW-5000, NOW-4000, NOW+1000 (young) and NOW-3000. */
static const struct blk layout[] = {
	{0, 10, NOW - 5000, 100},
	{10, 20, NOW - 4000, 100},
	{20, 30, NOW + 1000, 100},
	{30, 40, NOW - 3000, 100},
};
#define LAYOUT_N (sizeof layout / sizeof layout[0])

/* Commits one uploaded object holding blocks n of stream, shifted in time
 * by age_ms (subtracted from every max_timestamp). */
static void upload(uint64_t object_id, uint64_t stream, const struct blk *b,
		   size_t n, int64_t age_ms)
{
	struct catalog_block cb[8];
	uint64_t pos = 0;
	ck_assert_uint_le(n, 8);
	for (size_t i = 0; i < n; i++) {
		cb[i] = (struct catalog_block){
			.stream_id = stream,
			.start_offset = b[i].start,
			.end_offset = b[i].end,
			.max_timestamp = b[i].max_ts - age_ms,
			.record_count = (uint64_t)(b[i].end - b[i].start),
			.object_id = object_id,
			.position = pos,
			.size = b[i].size,
			.crc = 0x1234,
		};
		pos += b[i].size;
	}
	uint64_t wal = catalog_uploaded_end(broker.catalog);
	struct catalog_object o = {
		.id = object_id,
		.size = pos,
		.wal_start = wal,
		.wal_end = wal + pos,
		.created_ms = NOW,
		.block_count = (uint32_t)n,
	};
	ck_assert_int_eq(catalog_commit_upload(broker.catalog, &o, cb, n, NULL), 0);
}

/* The in-memory partition, checked to agree with the catalog's log start,
 * which it returns. */
static int64_t log_start_of(const char *topic, int32_t index)
{
	struct partition *p = partition_by_name(broker.partitions, topic, index);
	ck_assert_ptr_nonnull(p);
	int64_t cat = catalog_stream_log_start(broker.catalog, p->stream_id);
	ck_assert_msg(cat == p->log_start, "%s-%d: catalog %lld, memory %lld",
		      topic, index, (long long)cat, (long long)p->log_start);
	return cat;
}

/* ---- the rule ---- */

struct rule_case {
	int64_t log_start, now, ms, bytes;
	int64_t want;
	const char *why;
};

static const struct rule_case rule_cases[] = {
	{0, NOW, -1, -1, 0, "no limits"},
	{0, NOW, 1000, -1, 20, "two old blocks go; the young third stops it"},
	{0, NOW + 2001, 1000, -1, 40, "all old"},
	{0, NOW, 5000, -1, 0, "max_timestamp equal to the cutoff stays"},
	{0, NOW, 4999, -1, 10, "one millisecond older goes"},
	{0, NOW, -1, 250, 20, "400 bytes to at most 250"},
	{0, NOW, -1, 300, 10, "exactly retention.bytes left is enough"},
	{0, NOW, -1, 400, 0, "not over"},
	{0, NOW, -1, 0, 40, "retention.bytes 0 drops every block"},
	{15, NOW, -1, 250, 20, "a block straddling the log start counts"},
	{25, NOW, -1, 150, 30, "counting starts at the log start's block"},
	{35, NOW, 1000, -1, 40, "time from the log start's block on"},
	{45, NOW + 9000, 0, 0, 45, "never below the current log start"},
	{0, NOW, 1000, 150, 30, "both limits: the later start wins"},
	{0, NOW + 2001, 1000, 1000, 40, "both, time decides"},
};

START_TEST(test_retention_rule)
{
	const struct rule_case *c = &rule_cases[_i];
	struct catalog_block b[LAYOUT_N];
	for (size_t i = 0; i < LAYOUT_N; i++)
		b[i] = (struct catalog_block){
			.start_offset = layout[i].start,
			.end_offset = layout[i].end,
			.max_timestamp = layout[i].max_ts,
			.size = layout[i].size,
		};
	int64_t got = retention_log_start(b, LAYOUT_N, c->log_start, c->now,
					  c->ms, c->bytes);
	ck_assert_msg(got == c->want, "case %d (%s): got %lld, want %lld", _i,
		      c->why, (long long)got, (long long)c->want);
	ck_assert_int_eq(retention_log_start(NULL, 0, 7, NOW, 0, 0), 7);
}
END_TEST

/* ---- whole passes ---- */

START_TEST(test_retention_run)
{
	const struct topic *timed = make_topic("timed", 1, "retention.ms", "1000", NULL, NULL);
	const struct topic *sized = make_topic("sized", 2, "retention.bytes", "250",
					       "retention.ms", "-1");
	const struct topic *compacted = make_topic("compacted", 1, "cleanup.policy",
						   "compact", "retention.ms", "1000");
	const struct topic *both = make_topic("both", 1, "cleanup.policy",
					      "compact,delete", "retention.ms", "1000");
	const struct topic *forever = make_topic("forever", 1, "retention.ms", "-1",
						 NULL, NULL);
	const struct topic *defaults = make_topic("defaults", 1, NULL, NULL, NULL, NULL);
	const struct topic *young = make_topic("young", 1, NULL, NULL, NULL, NULL);
	upload(1, topic_stream_id(timed, 0), layout, LAYOUT_N, 0);
	upload(2, topic_stream_id(sized, 0), layout, LAYOUT_N, 0);
	upload(3, topic_stream_id(compacted, 0), layout, LAYOUT_N, 0);
	upload(4, topic_stream_id(both, 0), layout, LAYOUT_N, 0);
	upload(5, topic_stream_id(forever, 0), layout, LAYOUT_N, 10 * DAY_MS);
	/* broker default retention.ms: 7 days */
	upload(6, topic_stream_id(defaults, 0), layout, LAYOUT_N, 7 * DAY_MS - 4500);
	upload(7, topic_stream_id(young, 0), layout, LAYOUT_N, 6 * DAY_MS);

	ck_assert_int_eq(retention_run(NOW), 4);
	ck_assert_int_eq(log_start_of("timed", 0), 20);
	ck_assert_int_eq(log_start_of("sized", 0), 20);
	ck_assert_int_eq(log_start_of("sized", 1), 0);  /* no blocks */
	ck_assert_int_eq(log_start_of("compacted", 0), 0);
	ck_assert_int_eq(log_start_of("both", 0), 20);
	ck_assert_int_eq(log_start_of("forever", 0), 0);
	/* ages 7d+500 and 7d-500 from NOW-5000/NOW-4000: only the first */
	ck_assert_int_eq(log_start_of("defaults", 0), 10);
	ck_assert_int_eq(log_start_of("young", 0), 0);
	/* blocks stay in the catalog until compactd rewrites them */
	size_t n;
	ck_assert_ptr_nonnull(catalog_stream_blocks(broker.catalog,
						    topic_stream_id(timed, 0), &n));
	ck_assert_uint_eq(n, LAYOUT_N);

	/* nothing more is due at the same time; later the rest is */
	ck_assert_int_eq(retention_run(NOW), 0);
	ck_assert_int_eq(retention_run(NOW + 2001), 3);
	ck_assert_int_eq(log_start_of("timed", 0), 40);
	ck_assert_int_eq(log_start_of("both", 0), 40);
	ck_assert_int_eq(log_start_of("defaults", 0), 20); /* stops at NOW+1000 */
	ck_assert_int_eq(log_start_of("sized", 0), 20);

	/* the moves were journaled: a reopened catalog has them */
	uint64_t s_timed = topic_stream_id(timed, 0), s_sized = topic_stream_id(sized, 0);
	uint64_t s_def = topic_stream_id(defaults, 0), s_comp = topic_stream_id(compacted, 0);
	partition_table_free(broker.partitions);
	broker.partitions = NULL;
	catalog_close(broker.catalog);
	broker.catalog = NULL;
	struct catalog *cat;
	ck_assert_int_eq(catalog_open(cat_dir, &cat), 0);
	ck_assert_int_eq(catalog_stream_log_start(cat, s_timed), 40);
	ck_assert_int_eq(catalog_stream_log_start(cat, s_sized), 20);
	ck_assert_int_eq(catalog_stream_log_start(cat, s_def), 20);
	ck_assert_int_eq(catalog_stream_log_start(cat, s_comp), 0);
	catalog_close(cat);
	broker.partitions = partition_table_new();
}
END_TEST

START_TEST(test_retention_after_delete_records)
{
	const struct topic *t = make_topic("sized", 1, "retention.bytes", "250", NULL, NULL);
	upload(1, topic_stream_id(t, 0), layout, LAYOUT_N, 0);
	struct partition *p = partition_by_name(broker.partitions, "sized", 0);
	/* DeleteRecords' way: to the middle of a block */
	ck_assert_int_eq(retention_set_log_start(p, 15), 0);
	ck_assert_int_eq(log_start_of("sized", 0), 15);
	/* backwards is no move and no error */
	ck_assert_int_eq(retention_set_log_start(p, 12), 0);
	ck_assert_int_eq(log_start_of("sized", 0), 15);
	/* 300 bytes at or above 15 (the straddling block counts) */
	ck_assert_int_eq(retention_run(NOW), 1);
	ck_assert_int_eq(log_start_of("sized", 0), 20);
	/* the log start may pass the data in objects (the rest is in the WAL) */
	ck_assert_int_eq(retention_set_log_start(p, 55), 0);
	ck_assert_int_eq(log_start_of("sized", 0), 55);
	ck_assert_int_eq(retention_run(NOW), 0);

	/* a move the catalog refuses leaves the partition as it was */
	struct partition ghost = {.stream_id = topic_stream_id(t, 0) + 1000, .log_start = 3};
	ck_assert_int_eq(retention_set_log_start(&ghost, 9), SL_ENOENT);
	ck_assert_int_eq(ghost.log_start, 3);
}
END_TEST

/* libevent: ends the loop of the timer test. */
static void stop_loop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

START_TEST(test_retention_timer)
{
	const struct topic *t = make_topic("timed", 1, "retention.ms", "1000", NULL, NULL);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	/* the layout as of now: two old blocks, then a young one */
	upload(1, topic_stream_id(t, 0), layout, LAYOUT_N, NOW - now);
	struct event_base *base = event_base_new();
	ck_assert_ptr_nonnull(base);
	broker.base = base;
	cfg.retention_check_interval_ms = 100;
	ck_assert_int_eq(retention_start(base), 0);
	struct timeval tv = {0, 50000};
	event_base_once(base, -1, EV_TIMEOUT, stop_loop, base, &tv);
	event_base_dispatch(base);
	ck_assert_int_eq(log_start_of("timed", 0), 0); /* not yet: 50 ms */
	tv.tv_usec = 200000;
	event_base_once(base, -1, EV_TIMEOUT, stop_loop, base, &tv);
	event_base_dispatch(base);
	ck_assert_int_eq(log_start_of("timed", 0), 20);
	retention_stop();
	event_base_free(base);
	broker.base = NULL;
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("retention");
	TCase *tc = tcase_create("rule");
	tcase_add_loop_test(tc, test_retention_rule, 0,
			    sizeof rule_cases / sizeof rule_cases[0]);
	suite_add_tcase(s, tc);
	tc = tcase_create("passes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_retention_run);
	tcase_add_test(tc, test_retention_after_delete_records);
	tcase_add_test(tc, test_retention_timer);
	suite_add_tcase(s, tc);
	return s;
}
