/*
 * compactd's record selection for cleanup.policy=compact streams
 * (compactd/compacted.c) and its key map (compactd/keymap.c): which
 * records stay, that offsets, timestamps and codecs are kept, that rebuilt
 * batches carry valid lengths, counts and CRCs, and what is never touched.
 * Batches are written field by field by compactd_batches.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "compactd/compacted.h"
#include "compactd/keymap.h"
#include "tests/unit/compactd_batches.h"
#include "tests/unit/unit_main.h"

#define NOW 1000000

/* Runs both passes over batches[0..n) as one stream; out[i] receives what
 * stays of batch i (NULL: dropped) and owned[i] a rebuilt copy. */
static void run_compaction(const struct compacted_params *p, uint8_t **batches,
			   const size_t *lens, int n, const uint8_t **out,
			   size_t *out_len, uint8_t **owned, struct compacted_stats *st)
{
	struct keymap *m = keymap_new();
	ck_assert_ptr_nonnull(m);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(compacted_scan(m, batches[i], lens[i]), 0);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(compacted_filter(m, p, batches[i], lens[i], &out[i],
						  &out_len[i], &owned[i], st), 0);
	keymap_free(m);
}

/* The first test batch: keys with an older duplicate, a null key, a
 * tombstone; the second supersedes k2. */
static const struct tb_rec batch_a[] = {
	{0, 0, "k1", "a"}, {1, 1, "k2", "b"}, {2, 2, "k1", "c"},
	{3, 3, NULL, "x"}, {4, 4, "k3", NULL},
};
static const struct tb_rec batch_b[] = {{0, 0, "k2", "d"}, {1, 1, "k4", "e"}};

START_TEST(test_latest_per_key_every_codec)
{
	int codec = _i; /* 0 none .. 4 zstd */
	size_t lens[2];
	uint8_t *b[2] = {
		tb_batch(100, 1000, (uint16_t)codec, 4, batch_a, 5, &lens[0]),
		tb_batch(105, 2000, (uint16_t)codec, 1, batch_b, 2, &lens[1]),
	};
	struct compacted_params p = {.now_ms = NOW, .min_compaction_lag_ms = 0,
				     .delete_retention_ms = 1000,
				     .prefix_end = 200, .last_batch_end = 500};
	const uint8_t *out[2];
	size_t out_len[2];
	uint8_t *owned[2];
	struct compacted_stats st = {0};
	run_compaction(&p, b, lens, 2, out, out_len, owned, &st);

	/* batch A: k1=c and the keyless record stay, at their offsets */
	ck_assert_ptr_nonnull(owned[0]);
	ck_assert_ptr_eq(out[0], owned[0]);
	struct tb_got got[8];
	int n = tb_read(out[0], out_len[0], got, 8);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(got[0].offset, 102);
	ck_assert_str_eq(got[0].key, "k1");
	ck_assert_str_eq(got[0].value, "c");
	ck_assert_int_eq(got[0].ts, 1002);
	ck_assert_int_eq(got[1].offset, 103);
	ck_assert(got[1].key_null);
	ck_assert_str_eq(got[1].value, "x");
	/* header: offsets and codec unchanged, count and max timestamp new */
	ck_assert_int_eq((int64_t)be64_get(out[0] + RB_OFF_BASE_OFFSET), 100);
	ck_assert_int_eq(be32_get(out[0] + RB_OFF_LAST_OFFSET_DELTA), 4);
	ck_assert_int_eq(be32_get(out[0] + RB_OFF_RECORD_COUNT), 2);
	ck_assert_int_eq(be16_get(out[0] + RB_OFF_ATTRIBUTES), codec);
	ck_assert_int_eq((int64_t)be64_get(out[0] + RB_OFF_BASE_TIMESTAMP), 1000);
	ck_assert_int_eq((int64_t)be64_get(out[0] + RB_OFF_MAX_TIMESTAMP), 1003);
	/* batch B holds only latest values: kept byte for byte, not copied */
	ck_assert_ptr_eq(out[1], b[1]);
	ck_assert_ptr_null(owned[1]);
	ck_assert_uint_eq(out_len[1], lens[1]);
	ck_assert_uint_eq(st.records_in, 7);
	ck_assert_uint_eq(st.records_kept, 4);
	ck_assert_uint_eq(st.tombstones_dropped, 1);
	ck_assert_uint_eq(st.batches_rebuilt, 1);
	for (int i = 0; i < 2; i++) {
		free(owned[i]);
		free(b[i]);
	}
}
END_TEST

/* When a tombstone stays: table of settings and the expected outcome. */
static const struct {
	const char *name;
	int64_t prefix_end, delete_retention_ms, lag_ms;
	int tombstone_kept;
} tombstone_cases[] = {
	{"old, all older data in the rewrite", 105, 1000, 0, 0},
	{"older data of the stream elsewhere", 104, 1000, 0, 1},
	{"younger than delete.retention.ms", 200, NOW, 0, 1},
	{"younger than min.compaction.lag.ms", 200, 1000, NOW, 1},
	{"retention exactly reached", 200, NOW - 1004, 0, 0},
};

START_TEST(test_tombstones)
{
	size_t len;
	uint8_t *b = tb_batch(100, 1000, 0, 4, batch_a, 5, &len);
	struct compacted_params p = {
		.now_ms = NOW,
		.min_compaction_lag_ms = tombstone_cases[_i].lag_ms,
		.delete_retention_ms = tombstone_cases[_i].delete_retention_ms,
		.prefix_end = tombstone_cases[_i].prefix_end,
		.last_batch_end = 500,
	};
	const uint8_t *out;
	size_t out_len;
	uint8_t *owned;
	struct compacted_stats st = {0};
	run_compaction(&p, &b, &len, 1, &out, &out_len, &owned, &st);
	ck_assert_ptr_nonnull(out);
	struct tb_got got[8];
	int n = tb_read(out, out_len, got, 8);
	int found = 0;
	for (int i = 0; i < n; i++)
		found |= got[i].offset == 104 && got[i].value_null &&
			 !strcmp(got[i].key, "k3");
	ck_assert_msg(found == tombstone_cases[_i].tombstone_kept, "%s",
		      tombstone_cases[_i].name);
	free(owned);
	free(b);
}
END_TEST

START_TEST(test_young_records_stay)
{
	/* superseded, but newer than the lag: the batch stays as it is */
	size_t lens[2];
	uint8_t *b[2] = {
		tb_batch(100, NOW - 10, 0, 4, batch_a, 5, &lens[0]),
		tb_batch(105, NOW - 5, 0, 1, batch_b, 2, &lens[1]),
	};
	struct compacted_params p = {.now_ms = NOW, .min_compaction_lag_ms = 60000,
				     .delete_retention_ms = 0, .prefix_end = 200,
				     .last_batch_end = 500};
	const uint8_t *out[2];
	size_t out_len[2];
	uint8_t *owned[2];
	struct compacted_stats st = {0};
	run_compaction(&p, b, lens, 2, out, out_len, owned, &st);
	ck_assert_ptr_eq(out[0], b[0]);
	ck_assert_ptr_eq(out[1], b[1]);
	ck_assert_uint_eq(st.records_kept, 7);
	for (int i = 0; i < 2; i++)
		free(b[i]);
}
END_TEST

START_TEST(test_superseded_batch_dropped)
{
	static const struct tb_rec old[] = {{0, 0, "k1", "a"}, {1, 1, "k2", "b"}};
	static const struct tb_rec newer[] = {{0, 0, "k2", "c"}, {1, 1, "k1", "d"}};
	size_t lens[2];
	uint8_t *b[2] = {tb_batch(10, 1000, 3, 1, old, 2, &lens[0]),
			 tb_batch(12, 1001, 3, 1, newer, 2, &lens[1])};
	struct compacted_params p = {.now_ms = NOW, .delete_retention_ms = 0,
				     .prefix_end = 14, .last_batch_end = 500};
	const uint8_t *out[2];
	size_t out_len[2];
	uint8_t *owned[2];
	struct compacted_stats st = {0};
	run_compaction(&p, b, lens, 2, out, out_len, owned, &st);
	ck_assert_ptr_null(out[0]);
	ck_assert_ptr_null(owned[0]);
	ck_assert_ptr_eq(out[1], b[1]);
	ck_assert_uint_eq(st.batches_dropped, 1);
	for (int i = 0; i < 2; i++)
		free(b[i]);
}
END_TEST

/* Batches compaction leaves whole: transactional, control, the last. */
START_TEST(test_untouchable_batches)
{
	static const struct tb_rec dup[] = {{0, 0, "k1", "a"}, {1, 1, "k1", "b"}};
	static const struct {
		uint16_t attrs;
		int64_t last_batch_end;
	} cases[] = {
		{RB_ATTR_TRANSACTIONAL, 500},
		{RB_ATTR_CONTROL | RB_ATTR_TRANSACTIONAL, 500},
		{0, 12}, /* the stream's last batch [10, 12) */
	};
	size_t len;
	uint8_t *b = tb_batch(10, 1000, cases[_i].attrs, 1, dup, 2, &len);
	struct compacted_params p = {.now_ms = NOW, .delete_retention_ms = 0,
				     .prefix_end = 12,
				     .last_batch_end = cases[_i].last_batch_end};
	const uint8_t *out;
	size_t out_len;
	uint8_t *owned;
	struct compacted_stats st = {0};
	run_compaction(&p, &b, &len, 1, &out, &out_len, &owned, &st);
	ck_assert_ptr_eq(out, b);
	ck_assert_uint_eq(out_len, len);
	free(b);

	/* the same batch as an ordinary one loses its first record */
	b = tb_batch(10, 1000, 0, 1, dup, 2, &len);
	p.last_batch_end = 500;
	memset(&st, 0, sizeof st);
	run_compaction(&p, &b, &len, 1, &out, &out_len, &owned, &st);
	struct tb_got got[4];
	ck_assert_int_eq(tb_read(out, out_len, got, 4), 1);
	ck_assert_int_eq(got[0].offset, 11);
	free(owned);
	free(b);
}
END_TEST

START_TEST(test_log_append_time)
{
	static const struct tb_rec dup[] = {{0, 0, "k1", "a"}, {1, 0, "k1", "b"},
					    {2, 0, "k2", "c"}};
	size_t len;
	uint8_t *b = tb_batch(0, 5000, RB_ATTR_LOG_APPEND_TIME, 2, dup, 3, &len);
	be64_put(b + RB_OFF_MAX_TIMESTAMP, 7777);
	be32_put(b + RB_OFF_CRC, crc32c(b + RB_OFF_ATTRIBUTES, len - RB_OFF_ATTRIBUTES));
	struct compacted_params p = {.now_ms = NOW, .delete_retention_ms = 0,
				     .prefix_end = 3, .last_batch_end = 500};
	const uint8_t *out;
	size_t out_len;
	uint8_t *owned;
	struct compacted_stats st = {0};
	run_compaction(&p, &b, &len, 1, &out, &out_len, &owned, &st);
	struct tb_got got[4];
	ck_assert_int_eq(tb_read(out, out_len, got, 4), 2);
	ck_assert_int_eq((int64_t)be64_get(out + RB_OFF_MAX_TIMESTAMP), 7777);
	ck_assert_int_eq(be16_get(out + RB_OFF_ATTRIBUTES), RB_ATTR_LOG_APPEND_TIME);

	/* under LogAppendTime the batch's time decides the lag */
	p.min_compaction_lag_ms = NOW - 7777 + 1;
	free(owned);
	run_compaction(&p, &b, &len, 1, &out, &out_len, &owned, &st);
	ck_assert_ptr_eq(out, b);
	free(b);
}
END_TEST

START_TEST(test_corrupt_records)
{
	size_t len;
	uint8_t *b = tb_batch(0, 1000, 0, 4, batch_a, 5, &len);
	be32_put(b + RB_OFF_RECORD_COUNT, 6); /* one more than there is */
	struct keymap *m = keymap_new();
	ck_assert_int_eq(compacted_scan(m, b, len), SL_ECORRUPT);
	struct compacted_params p = {.now_ms = NOW, .prefix_end = 5,
				     .last_batch_end = 500};
	const uint8_t *out;
	size_t out_len;
	uint8_t *owned;
	struct compacted_stats st = {0};
	ck_assert_int_eq(compacted_filter(m, &p, b, len, &out, &out_len, &owned, &st),
			 SL_ECORRUPT);
	/* a gzip flag on plain records does not decompress */
	free(b);
	b = tb_batch(0, 1000, 0, 4, batch_a, 5, &len);
	be16_put(b + RB_OFF_ATTRIBUTES, 1);
	ck_assert_int_eq(compacted_scan(m, b, len), SL_ECORRUPT);
	keymap_free(m);
	free(b);
}
END_TEST

START_TEST(test_keymap)
{
	struct keymap *m = keymap_new();
	char key[32];
	int64_t off;
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "key-%d", i % 5000);
		ck_assert_int_eq(keymap_put(m, (const uint8_t *)key, strlen(key), i), 0);
	}
	ck_assert_uint_eq(keymap_count(m), 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "key-%d", i);
		ck_assert_int_eq(keymap_get(m, (const uint8_t *)key, strlen(key), &off), 1);
		ck_assert_int_eq(off, 15000 + i);
	}
	/* a smaller offset never replaces a larger one */
	ck_assert_int_eq(keymap_put(m, (const uint8_t *)"key-1", 5, 3), 0);
	ck_assert_int_eq(keymap_get(m, (const uint8_t *)"key-1", 5, &off), 1);
	ck_assert_int_eq(off, 15001);
	/* the empty key is a key; a prefix is another key */
	ck_assert_int_eq(keymap_get(m, (const uint8_t *)"", 0, &off), 0);
	ck_assert_int_eq(keymap_put(m, (const uint8_t *)"", 0, 7), 0);
	ck_assert_int_eq(keymap_get(m, (const uint8_t *)"", 0, &off), 1);
	ck_assert_int_eq(off, 7);
	ck_assert_int_eq(keymap_get(m, (const uint8_t *)"key-", 4, &off), 0);
	keymap_free(m);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("compactd_compacted");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_latest_per_key_every_codec, 0, 5);
	tcase_add_loop_test(tc, test_tombstones, 0,
			    sizeof tombstone_cases / sizeof tombstone_cases[0]);
	tcase_add_test(tc, test_young_records_stay);
	tcase_add_test(tc, test_superseded_batch_dropped);
	tcase_add_loop_test(tc, test_untouchable_batches, 0, 3);
	tcase_add_test(tc, test_log_append_time);
	tcase_add_test(tc, test_corrupt_records);
	tcase_add_test(tc, test_keymap);
	suite_add_tcase(s, tc);
	return s;
}
