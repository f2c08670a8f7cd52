/*
 * compactd's planner (compactd/plan.c) and catalog view
 * (compactd/catalog_view.c): expiry, the split and merge thresholds, the
 * tiers of per-stream merges, compacted-stream cleaning, pacing caps, and a
 * simulation of a long trickle of small uploads over many partitions that
 * checks the bound on objects per partition stated in plan.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/object_format.h"
#include "compactd/catalog_view.h"
#include "compactd/plan.h"
#include "tests/unit/unit_main.h"

#define K 1024ull
#define M (1024ull * 1024)
#define SSO OBJECT_FLAG_STREAM_SET
/* Out of memory in a helper: Check's assertions are too slow for the
 * simulation's inner loops (each one writes to the runner). */
#define NN(p)                                                                  \
	do {                                                                   \
		if (!(p))                                                      \
			abort();                                               \
	} while (0)

static const struct plan_params default_params = {
	.target_bytes = 64 * M,
	.split_bytes = 8 * M,
	.small_bytes = 16 * M,
	.budget_bytes = 1ull << 40,
	.max_objects = 1000,
};

/* A catalog view assembled by hand. */
static struct catalog_view tv;

static void tv_reset(int64_t now_ms)
{
	catalog_view_free(&tv);
	tv.now_ms = now_ms;
}

/* Adds a stream (ids must come in ascending order). */
static struct cv_stream *tv_stream(uint64_t id, int64_t log_start, int deleted,
				   int policy)
{
	tv.streams = realloc(tv.streams, (tv.stream_count + 1) * sizeof *tv.streams);
	NN(tv.streams);
	struct cv_stream *s = &tv.streams[tv.stream_count++];
	*s = (struct cv_stream){.id = id, .log_start = log_start, .deleted = deleted,
				.policy = policy, .delete_retention_ms = 1000,
				.min_compaction_lag_ms = 0, .partition = deleted ? -1 : 0};
	return s;
}

/* Adds an object; returns its position (pointers move as objects grow). */
static size_t tv_object(uint64_t id, uint16_t flags, int64_t created_ms,
			uint64_t size)
{
	if (tv.object_count == tv.object_cap) {
		tv.object_cap = tv.object_cap ? 2 * tv.object_cap : 64;
		tv.objects = realloc(tv.objects, tv.object_cap * sizeof *tv.objects);
		NN(tv.objects);
	}
	tv.objects[tv.object_count] = (struct cv_object){
		.id = id, .size = size, .flags = flags, .created_ms = created_ms,
		.retired_ms = -1};
	return tv.object_count++;
}

/* Adds a block [start, end) of size bytes to object at position o. */
static void tv_block(size_t o, uint64_t stream, int64_t start, int64_t end,
		     uint64_t size, int64_t max_ts)
{
	struct cv_object *obj = &tv.objects[o];
	obj->blocks = realloc(obj->blocks, (obj->block_count + 1) * sizeof *obj->blocks);
	NN(obj->blocks);
	obj->blocks[obj->block_count++] = (struct cv_block){
		.stream_id = stream, .start = start, .end = end, .max_timestamp = max_ts,
		.records = 1, .position = 0, .size = (uint32_t)size};
}

static void tv_finish(void)
{
	char err[256];
	ck_assert_msg(catalog_view_finish(&tv, err, sizeof err) == 0, "%s", err);
}

static void plan_check(const struct plan_params *p, struct plan *out)
{
	ck_assert_int_eq(plan_build(&tv, p, out), 0);
}

/* Whether the rewrite's inputs are exactly ids[0..n) in this order. */
static int inputs_are(const struct rewrite *r, const uint64_t *ids, size_t n)
{
	if (r->input_count != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (r->inputs[i] != ids[i])
			return 0;
	return 1;
}

START_TEST(test_expire)
{
	tv_reset(1000000);
	tv_stream(1, 100, 0, CV_POLICY_DELETE);
	tv_stream(2, 0, 1, CV_POLICY_DELETE);
	tv_stream(3, 0, 0, CV_POLICY_DELETE);
	size_t o;
	o = tv_object(0x10, 0, 1, 2 * M); /* wholly below the log start */
	tv_block(o, 1, 0, 50, M, 0);
	tv_block(o, 1, 50, 100, M, 0);
	o = tv_object(0x11, 0, 2, 2 * M); /* straddles it: stays */
	tv_block(o, 1, 100, 120, M, 0);
	tv_block(o, 1, 120, 150, M, 0);
	o = tv_object(0x12, SSO, 3, 64 * M); /* a deleted stream only */
	tv_block(o, 2, 0, 10, 64 * M, 0);
	o = tv_object(0x13, SSO, 4, 40 * M); /* deleted and live streams */
	tv_block(o, 2, 10, 20, 20 * M, 0);
	tv_block(o, 3, 0, 10, 20 * M, 0);
	o = tv_object(0x14, SSO, 5, 40 * M); /* retired: not the planner's */
	tv.objects[o].retired_ms = 10;
	o = tv_object(0x15, SSO, 6, 48); /* an empty object */
	tv_finish();
	struct plan p;
	plan_check(&default_params, &p);
	ck_assert_uint_ge(p.count, 2);
	ck_assert_int_eq(p.rewrites[0].kind, REWRITE_EXPIRE);
	static const uint64_t dead[] = {0x10, 0x12, 0x15};
	ck_assert(inputs_are(&p.rewrites[0], dead, 3));
	/* half of 0x13 is dead: rewritten alone to reclaim it */
	ck_assert_int_eq(p.rewrites[1].kind, REWRITE_STREAM_SET);
	static const uint64_t half[] = {0x13};
	ck_assert(inputs_are(&p.rewrites[1], half, 1));
	ck_assert_uint_eq(p.rewrites[1].input_bytes, 20 * M);
	ck_assert_uint_eq(p.count, 2);
	plan_free(&p);
}
END_TEST

/* Split thresholds: stream 1's share of each of n large stream-set
 * objects (stream 2 has 1K in each), and the streams split out. */
static const struct {
	const char *name;
	uint64_t share;
	int objects;
	size_t nsplit; /* streams split: none, 1, or 1 and 2 */
} split_cases[] = {
	{"below split.bytes in few objects", 2 * M, 3, 0},
	{"exactly split.bytes", 2 * M, 4, 1},
	{"above split.bytes", 5 * M, 2, 1},
	{"tiny shares in PLAN_SPLIT_OBJECTS objects", 1 * K, PLAN_SPLIT_OBJECTS, 0},
	{"tiny shares in one object more", 1 * K, PLAN_SPLIT_OBJECTS + 1, 2},
};

START_TEST(test_split_threshold)
{
	tv_reset(1000000);
	tv_stream(1, 0, 0, CV_POLICY_DELETE);
	tv_stream(2, 0, 0, CV_POLICY_DELETE);
	uint64_t ids[16];
	for (int i = 0; i < split_cases[_i].objects; i++) {
		ids[i] = 0x100 + (uint64_t)i;
		/* large objects: their size alone makes no reason */
		size_t o = tv_object(ids[i], SSO, 10 + i, 40 * M);
		tv_block(o, 1, 100 * i, 100 * i + 100, split_cases[_i].share, 0);
		tv_block(o, 2, 100 * i, 100 * i + 100, 1 * K, 0);
	}
	tv_finish();
	struct plan p;
	plan_check(&default_params, &p);
	size_t nsplit = split_cases[_i].nsplit;
	if (!nsplit) {
		ck_assert_msg(p.count == 0, "%s", split_cases[_i].name);
	} else {
		/* one rewrite of every object holding the streams, oldest first */
		ck_assert_msg(p.count == 1, "%s", split_cases[_i].name);
		const struct rewrite *rw = &p.rewrites[0];
		ck_assert_int_eq(rw->kind, REWRITE_STREAM_SET);
		ck_assert_uint_eq(rw->split_count, nsplit);
		ck_assert_uint_eq(rw->split[0], 1);
		ck_assert(plan_rewrite_splits(rw, 1));
		ck_assert_int_eq(plan_rewrite_splits(rw, 2), nsplit == 2);
		ck_assert(inputs_are(rw, ids, (size_t)split_cases[_i].objects));
	}
	plan_free(&p);
}
END_TEST

START_TEST(test_small_merge)
{
	tv_reset(1000000);
	for (uint64_t s = 1; s <= 3; s++)
		tv_stream(s, 0, 0, CV_POLICY_DELETE);
	/* created out of id order: the rewrite takes them oldest first */
	static const uint64_t small_ids[] = {0x205, 0x201, 0x204, 0x202, 0x203};
	for (int i = 0; i < 5; i++) {
		size_t o = tv_object(small_ids[i], SSO, 100 + i, 300 * K);
		for (uint64_t s = 1; s <= 3; s++)
			tv_block(o, s, 10 * i, 10 * i + 10, 100 * K, 0);
	}
	/* large, five streams of 4M: left alone */
	size_t o = tv_object(0x300, SSO, 1, 20 * M);
	for (uint64_t s = 10; s < 15; s++)
		tv_block(o, s, 0, 10, 4 * M, 0);
	tv_finish();
	struct plan p;
	plan_check(&default_params, &p);
	ck_assert_uint_eq(p.count, 1);
	ck_assert_int_eq(p.rewrites[0].kind, REWRITE_STREAM_SET);
	ck_assert(inputs_are(&p.rewrites[0], small_ids, 5));
	ck_assert_uint_eq(p.rewrites[0].split_count, 0);
	ck_assert_uint_eq(p.rewrites[0].input_bytes, 5 * 300 * K);
	plan_free(&p);

	/* one small object alone has nothing to merge with */
	tv_reset(1000000);
	tv_stream(1, 0, 0, CV_POLICY_DELETE);
	o = tv_object(0x201, SSO, 100, 300 * K);
	tv_block(o, 1, 0, 10, 300 * K, 0);
	o = tv_object(0x300, SSO, 1, 20 * M);
	for (uint64_t s = 10; s < 15; s++)
		tv_block(o, s, 0, 10, 4 * M, 0);
	tv_finish();
	plan_check(&default_params, &p);
	ck_assert_uint_eq(p.count, 0);
	plan_free(&p);

	/* more small objects than PLAN_SPLIT_OBJECTS: they merge, and their
	 * streams stay in the merged object while they have less than a
	 * piece (1M at target 64M) in them (split out of small uploads, a
	 * stream would get a piece of each run's few uploads); stream 1, with
	 * a piece's worth, is split out at once */
	tv_reset(1000000);
	for (uint64_t s = 1; s <= 3; s++)
		tv_stream(s, 0, 0, CV_POLICY_DELETE);
	uint64_t many[PLAN_SPLIT_OBJECTS + 4];
	for (int i = 0; i < PLAN_SPLIT_OBJECTS + 4; i++) {
		many[i] = 0x400 + (uint64_t)i;
		o = tv_object(many[i], SSO, 100 + i, 300 * K);
		for (uint64_t s = 1; s <= 3; s++)
			tv_block(o, s, 10 * i, 10 * i + 10,
				 s == 1 ? plan_piece_bytes(&default_params) / 12 + 1 : 80 * K, 0);
	}
	tv_finish();
	plan_check(&default_params, &p);
	ck_assert_uint_eq(p.count, 1);
	ck_assert(inputs_are(&p.rewrites[0], many, PLAN_SPLIT_OBJECTS + 4));
	ck_assert_uint_eq(p.rewrites[0].split_count, 1);
	ck_assert(plan_rewrite_splits(&p.rewrites[0], 1));
	ck_assert(!plan_rewrite_splits(&p.rewrites[0], 2));
	plan_free(&p);
}
END_TEST

START_TEST(test_pacing_caps)
{
	tv_reset(1000000);
	tv_stream(1, 0, 0, CV_POLICY_DELETE);
	uint64_t ids[8];
	for (int i = 0; i < 8; i++) {
		ids[i] = 0x400 + (uint64_t)i;
		/* 7.2M of the stream in all: not split */
		size_t o = tv_object(ids[i], SSO, i, 900 * K);
		tv_block(o, 1, 10 * i, 10 * i + 10, 900 * K, 0);
	}
	tv_finish();
	struct plan_params pp = default_params;
	pp.max_objects = 3;
	struct plan p;
	plan_check(&pp, &p);
	ck_assert_uint_eq(p.count, 1);
	ck_assert(inputs_are(&p.rewrites[0], ids, 3));
	plan_free(&p);

	pp = default_params;
	pp.budget_bytes = 5 * M;
	plan_check(&pp, &p);
	ck_assert_uint_eq(p.count, 1);
	ck_assert(inputs_are(&p.rewrites[0], ids, 5));
	plan_free(&p);

	/* the first object of a run is taken even over the budget */
	pp.budget_bytes = 1;
	plan_check(&pp, &p);
	ck_assert_uint_eq(p.count, 0); /* alone and only small: dropped */
	plan_free(&p);

	/* one rewrite reads at most 2 * target.bytes: the rest is a second */
	pp = default_params;
	pp.target_bytes = 2 * M;
	plan_check(&pp, &p);
	ck_assert_uint_eq(p.count, 2);
	ck_assert(inputs_are(&p.rewrites[0], ids, 4));
	ck_assert(inputs_are(&p.rewrites[1], ids + 4, 4));
	plan_free(&p);
}
END_TEST

/* Per-stream merges (target 64M: full from 32M; pieces from 1M, which
 * fill; tier 0 from 256K, tier 1 from 64K, tier 2 from 16K, tier 3
 * below). */
static const struct {
	const char *name;
	uint64_t sizes[48];
	size_t n;
	size_t first, count; /* the merge expected, count 0 for none */
} tier_cases[] = {
	{"four of tier 0 after a full one", {40 * M, 300 * K, 300 * K, 300 * K, 300 * K}, 5, 1, 4},
	{"three of a tier: nothing", {40 * M, 300 * K, 300 * K, 300 * K}, 4, 0, 0},
	{"runs broken by other tiers",
	 {100 * K, 300 * K, 300 * K, 100 * K, 300 * K, 300 * K, 100 * K}, 7, 0, 0},
	{"a full object breaks a run", {300 * K, 300 * K, 40 * M, 300 * K, 300 * K}, 5, 0, 0},
	{"tier 3 run of five", {40 * M, 10 * K, 10 * K, 10 * K, 10 * K, 10 * K}, 6, 1, 5},
	{"pieces below full size: nothing", {40 * M, 8 * M, 8 * M, 8 * M, 3 * M}, 5, 0, 0},
	{"pieces fill to full size", {40 * M, 8 * M, 8 * M, 8 * M, 8 * M, 2 * M}, 6, 1, 4},
	{"a fill ends at full size", {2 * M, 20 * M, 12 * M, 5 * M, 300 * K}, 5, 0, 3},
	{"a full object breaks a fill", {20 * M, 40 * M, 20 * M}, 3, 0, 0},
	{"a tier-0 object breaks a fill", {20 * M, 300 * K, 20 * M}, 3, 0, 0},
	{"PLAN_FILL_MAX pieces of the smallest size are full",
	 {1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M,
	  1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M,
	  1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M, 1 * M,
	  1 * M, 1 * M, 1 * M},
	 33, 0, PLAN_FILL_MAX},
	/* 44 objects, none in a run of its class */
	{"fallback: more than PLAN_NONFULL_MAX non-full objects",
	 {2 * M, 300 * K, 2 * M, 300 * K, 2 * M, 300 * K, 2 * M, 300 * K,
	  2 * M, 300 * K, 2 * M, 300 * K, 2 * M, 300 * K, 2 * M, 300 * K,
	  2 * M, 300 * K, 2 * M, 300 * K, 2 * M, 300 * K, 2 * M, 300 * K,
	  2 * M, 300 * K, 2 * M, 300 * K, 2 * M, 300 * K, 2 * M, 300 * K,
	  2 * M, 300 * K, 2 * M, 300 * K, 2 * M, 300 * K, 2 * M, 300 * K,
	  2 * M, 300 * K, 2 * M, 300 * K},
	 44, 0, 4},
};

START_TEST(test_tiers)
{
	tv_reset(1000000);
	tv_stream(1, 0, 0, CV_POLICY_DELETE);
	int64_t off = 0;
	for (size_t i = 0; i < tier_cases[_i].n; i++) {
		size_t o = tv_object(0x500 + i, 0, (int64_t)i, tier_cases[_i].sizes[i]);
		tv_block(o, 1, off, off + 100, tier_cases[_i].sizes[i], 0);
		off += 100;
	}
	tv_finish();
	struct plan p;
	plan_check(&default_params, &p);
	if (!tier_cases[_i].count) {
		ck_assert_msg(p.count == 0, "%s", tier_cases[_i].name);
	} else {
		ck_assert_msg(p.count == 1, "%s: %zu rewrites", tier_cases[_i].name, p.count);
		ck_assert_int_eq(p.rewrites[0].kind, REWRITE_MERGE);
		ck_assert_uint_eq(p.rewrites[0].stream_id, 1);
		uint64_t want[48];
		for (size_t k = 0; k < tier_cases[_i].count; k++)
			want[k] = 0x500 + tier_cases[_i].first + k;
		ck_assert_msg(inputs_are(&p.rewrites[0], want, tier_cases[_i].count), "%s",
			      tier_cases[_i].name);
	}
	plan_free(&p);
}
END_TEST

/* A fill takes all its pieces or none: with the run's budget spent on
 * stream 1's fill, stream 2's waits for the next run instead of merging
 * two of its four pieces into a piece that the next fill rewrites.  And
 * fills take at most a share of the run's budget. */
START_TEST(test_fill_whole)
{
	tv_reset(1000000);
	for (uint64_t s = 1; s <= 2; s++) {
		tv_stream(s, 0, 0, CV_POLICY_DELETE);
		for (int i = 0; i < 4; i++) {
			size_t o = tv_object(0x700 + 0x10 * s + (uint64_t)i, 0, i, 8 * M);
			tv_block(o, s, 100 * i, 100 * i + 100, 8 * M, 0);
		}
	}
	tv_finish();
	struct plan_params pp = default_params;
	pp.budget_bytes = 50 * M;
	struct plan p;
	plan_check(&pp, &p);
	ck_assert_uint_eq(p.count, 1);
	ck_assert_uint_eq(p.rewrites[0].stream_id, 1);
	ck_assert_uint_eq(p.rewrites[0].input_count, 4);
	plan_free(&p);

	/* the budget holds both, a quarter of it one: fills of one run
	 * read at most budget / PLAN_FILL_SHARE */
	pp.budget_bytes = PLAN_FILL_SHARE * 40 * M;
	plan_check(&pp, &p);
	ck_assert_uint_eq(p.count, 1);
	ck_assert_uint_eq(p.rewrites[0].stream_id, 1);
	plan_free(&p);
	pp.budget_bytes = PLAN_FILL_SHARE * 64 * M;
	plan_check(&pp, &p);
	ck_assert_uint_eq(p.count, 2);
	plan_free(&p);
}
END_TEST

/* Per-stream objects that interleave (each has a gap the other fills):
 * a merge names each input once, or the rewrite reads blocks twice. */
START_TEST(test_interleaved_merge)
{
	tv_reset(1000000);
	tv_stream(1, 0, 0, CV_POLICY_DELETE);
	static const uint64_t ids[] = {0x601, 0x602, 0x603, 0x604};
	for (int i = 0; i < 4; i++) {
		/* object i holds [100 i, 100 i + 50) and [400 + 100 i, +50) */
		size_t o = tv_object(ids[i], 0, i, 256 * K);
		tv_block(o, 1, 100 * i, 100 * i + 50, 128 * K, 0);
		tv_block(o, 1, 400 + 100 * i, 400 + 100 * i + 50, 128 * K, 0);
	}
	tv_finish();
	struct plan p;
	plan_check(&default_params, &p);
	ck_assert_uint_eq(p.count, 1);
	ck_assert_int_eq(p.rewrites[0].kind, REWRITE_MERGE);
	ck_assert(inputs_are(&p.rewrites[0], ids, 4));
	ck_assert_uint_eq(p.rewrites[0].input_bytes, 1 * M);
	plan_free(&p);
}
END_TEST

START_TEST(test_reclaim)
{
	tv_reset(1000000);
	tv_stream(1, 150, 0, CV_POLICY_DELETE);
	size_t o = tv_object(0x600, 0, 1, 40 * M); /* full, 40% below the start */
	tv_block(o, 1, 0, 100, 16 * M, 0);
	tv_block(o, 1, 100, 200, 24 * M, 0);
	o = tv_object(0x601, 0, 2, 40 * M);
	tv_block(o, 1, 200, 300, 40 * M, 0);
	tv_finish();
	struct plan p;
	plan_check(&default_params, &p);
	ck_assert_uint_eq(p.count, 1);
	ck_assert_int_eq(p.rewrites[0].kind, REWRITE_MERGE);
	static const uint64_t want[] = {0x600};
	ck_assert(inputs_are(&p.rewrites[0], want, 1));
	ck_assert_uint_eq(p.rewrites[0].input_bytes, 24 * M);
	plan_free(&p);
}
END_TEST

/* Cleaning a compacted stream: object sizes, creation time, outcome. */
static const struct {
	const char *name;
	uint64_t sizes[3];
	size_t n;
	int64_t created_ms, max_ts;
	int clean;
} clean_cases[] = {
	{"newer objects hold half the first", {100 * K, 30 * K, 20 * K}, 3, 900000, 1000, 1},
	{"newer objects hold little", {100 * K, 10 * K}, 2, 900000, 1000, 0},
	{"one object, tombstones due since", {100 * K}, 1, 1500, 1000, 1},
	{"one object, written after its horizon", {100 * K}, 1, 900000, 1000, 0},
	{"one object, horizon still ahead", {100 * K}, 1, 1500, 999500, 0},
};

START_TEST(test_clean)
{
	tv_reset(1000000);
	struct cv_stream *s = tv_stream(7, 0, 0, CV_POLICY_COMPACT);
	s->delete_retention_ms = 1000;
	s->min_compaction_lag_ms = 10;
	for (size_t i = 0; i < clean_cases[_i].n; i++) {
		size_t o = tv_object(0x700 + i, 0, clean_cases[_i].created_ms,
				     clean_cases[_i].sizes[i]);
		tv_block(o, 7, 100 * (int64_t)i, 100 * (int64_t)i + 100,
			 clean_cases[_i].sizes[i], clean_cases[_i].max_ts);
	}
	tv_finish();
	struct plan p;
	plan_check(&default_params, &p);
	if (!clean_cases[_i].clean) {
		ck_assert_msg(p.count == 0, "%s", clean_cases[_i].name);
	} else {
		ck_assert_msg(p.count == 1, "%s", clean_cases[_i].name);
		ck_assert_int_eq(p.rewrites[0].kind, REWRITE_CLEAN);
		ck_assert_uint_eq(p.rewrites[0].input_count, clean_cases[_i].n);
		ck_assert(plan_rewrite_splits(&p.rewrites[0], 7));
	}
	plan_free(&p);
}
END_TEST

START_TEST(test_clean_all_or_none)
{
	tv_reset(1000000);
	tv_stream(1, 0, 0, CV_POLICY_DELETE);
	tv_stream(7, 0, 0, CV_POLICY_COMPACT);
	/* two small stream-set objects (planned first) and three per-stream
	 * objects of the compacted stream, 3M in all */
	for (int i = 0; i < 2; i++) {
		size_t o = tv_object(0x800 + i, SSO, i, M);
		tv_block(o, 1, 10 * i, 10 * i + 10, M, 0);
	}
	for (int i = 0; i < 3; i++) {
		size_t o = tv_object(0x900 + i, 0, 900000, M);
		tv_block(o, 7, 10 * i, 10 * i + 10, M, 0);
	}
	tv_finish();
	/* a target whose per-rewrite cap (2M) is below the clean's 3M */
	struct plan_params pp = default_params;
	pp.target_bytes = 1 * M;
	pp.small_bytes = 1 * M + 1;
	struct plan p;
	plan_check(&pp, &p);
	ck_assert_uint_eq(p.count, 2);
	ck_assert_int_eq(p.rewrites[1].kind, REWRITE_CLEAN);
	ck_assert_uint_eq(p.rewrites[1].input_count, 3);
	plan_free(&p);
	/* a budget that leaves room for two of the three: no clean at all */
	pp.budget_bytes = 4 * M;
	plan_check(&pp, &p);
	ck_assert_uint_eq(p.count, 1);
	ck_assert_int_eq(p.rewrites[0].kind, REWRITE_STREAM_SET);
	plan_free(&p);
}
END_TEST

START_TEST(test_view_json)
{
	struct catalog_view v = {0};
	char err[256];
	json_t *streams = json_pack(
		"{s:b, s:I, s:[{s:I, s:s, s:i, s:I, s:I, s:b, s:s, s:I, s:I, s:I, s:I},"
		"{s:I, s:n, s:i, s:I, s:I, s:b, s:s}]}",
		"ok", 1, "now_ms", (json_int_t)5000, "streams",
		"stream", (json_int_t)9, "topic", "t", "partition", 2, "log_start",
		(json_int_t)10, "end", (json_int_t)90, "deleted", 0, "cleanup_policy",
		"compact,delete", "retention_ms", (json_int_t)-1, "retention_bytes",
		(json_int_t)-1, "delete_retention_ms", (json_int_t)77,
		"min_compaction_lag_ms", (json_int_t)5,
		"stream", (json_int_t)4, "topic", "partition", -1, "log_start",
		(json_int_t)0, "end", (json_int_t)10, "deleted", 1, "cleanup_policy",
		"delete");
	ck_assert_int_eq(catalog_view_set_streams(&v, streams, err, sizeof err), 0);
	ck_assert_int_eq(v.now_ms, 5000);
	const struct cv_stream *s = catalog_view_stream(&v, 9);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->policy, CV_POLICY_COMPACT | CV_POLICY_DELETE);
	ck_assert_int_eq(s->delete_retention_ms, 77);
	ck_assert_int_eq(s->min_compaction_lag_ms, 5);
	ck_assert_str_eq(s->topic, "t");
	ck_assert(catalog_view_stream(&v, 4)->deleted);
	ck_assert_ptr_null(catalog_view_stream(&v, 5));

	json_t *page1 = json_pack(
		"{s:b, s:[{s:s, s:I, s:i, s:I, s:n, s:I, s:I, s:[[I,I,I,I,I,I,I,I]]}],"
		" s:s}",
		"ok", 1, "objects", "id", "00000000000000a1", "size", (json_int_t)500,
		"flags", 1, "created_ms", (json_int_t)4000, "retired_ms", "wal_start",
		(json_int_t)0, "wal_end", (json_int_t)100, "blocks", (json_int_t)9,
		(json_int_t)10, (json_int_t)90, (json_int_t)4500, (json_int_t)80,
		(json_int_t)0, (json_int_t)400, (json_int_t)123, "next",
		"00000000000000a1");
	json_t *page2 = json_pack(
		"{s:b, s:[{s:s, s:I, s:i, s:I, s:I, s:[]}], s:n}", "ok", 1, "objects",
		"id", "00000000000000A0", "size", (json_int_t)300, "flags", 0,
		"created_ms", (json_int_t)100, "retired_ms", (json_int_t)3000, "blocks",
		"next");
	uint64_t next = 0;
	int more = 0;
	ck_assert_int_eq(catalog_view_add_objects(&v, page1, &next, &more, err, sizeof err), 0);
	ck_assert_int_eq(more, 1);
	ck_assert_uint_eq(next, 0xa1);
	ck_assert_int_eq(catalog_view_add_objects(&v, page2, &next, &more, err, sizeof err), 0);
	ck_assert_int_eq(more, 0);
	ck_assert_int_eq(catalog_view_finish(&v, err, sizeof err), 0);
	ck_assert_uint_eq(v.objects[0].id, 0xa0); /* sorted */
	const struct cv_object *o = catalog_view_object(&v, 0xa1);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->retired_ms, -1);
	ck_assert_uint_eq(o->block_count, 1);
	ck_assert_uint_eq(o->blocks[0].size, 400);
	ck_assert_int_eq(o->blocks[0].max_timestamp, 4500);
	ck_assert_int_eq(catalog_view_object(&v, 0xa0)->retired_ms, 3000);
	size_t n;
	ck_assert_ptr_nonnull(catalog_view_stream_blocks(&v, 9, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_null(catalog_view_stream_blocks(&v, 8, &n));
	ck_assert(!catalog_view_block_dead(&v, &o->blocks[0]));
	catalog_view_free(&v);
	json_decref(streams);
	json_decref(page1);
	json_decref(page2);

	/* malformed answers are refused with a reason */
	json_t *bad = json_pack("{s:b, s:[{s:s}]}", "ok", 1, "objects", "id", "xyz");
	ck_assert_int_eq(catalog_view_add_objects(&v, bad, &next, &more, err, sizeof err),
			 SL_EINVAL);
	ck_assert(strstr(err, "bad id"));
	catalog_view_free(&v);
	json_decref(bad);
	bad = json_pack("{s:b, s:[{s:s, s:I, s:[[I,I,I,I,I,I,I,I]]}], s:n}", "ok", 1,
			"objects", "id", "0000000000000001", "size", (json_int_t)100,
			"blocks", (json_int_t)1, (json_int_t)0, (json_int_t)5,
			(json_int_t)0, (json_int_t)1, (json_int_t)50, (json_int_t)60,
			(json_int_t)0, "next");
	ck_assert_int_eq(catalog_view_add_objects(&v, bad, &next, &more, err, sizeof err),
			 SL_EINVAL);
	ck_assert(strstr(err, "outside"));
	catalog_view_free(&v);
	json_decref(bad);
	bad = json_pack("{s:b, s:[]}", "ok", 1, "streams");
	ck_assert_int_eq(catalog_view_set_streams(&v, bad, err, sizeof err), SL_EINVAL);
	catalog_view_free(&v);
	json_decref(bad);
}
END_TEST

/*
 * The trickle simulation.  Offsets double as bytes (a block [a, b) holds
 * b - a bytes), uploads put one block of every stream into a stream-set
 * object, and each run applies its plan the way rewrite.c would: per
 * stream, inputs' data in offset order, split streams into per-stream
 * objects and the rest into stream-set objects, cut at target.bytes.
 */
struct sim_block {
	uint64_t stream;
	int64_t start, end;
};

struct sim_obj {
	uint64_t id;
	uint16_t flags;
	int64_t created;
	struct sim_block *b;
	size_t n;
	int dead; /* replaced */
};

struct sim {
	struct sim_obj *o;
	size_t n, cap;
	uint64_t next_id;
	int64_t *stream_end;
	size_t streams;
	uint64_t written, ingested;
	size_t puts, inputs; /* objects rewrites wrote, and read */
};

static struct sim_obj *sim_new(struct sim *s, uint16_t flags, int64_t now)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->o = realloc(s->o, s->cap * sizeof *s->o);
		NN(s->o);
	}
	struct sim_obj *o = &s->o[s->n++];
	*o = (struct sim_obj){.id = ++s->next_id, .flags = flags, .created = now};
	return o;
}

static void sim_add(struct sim_obj *o, uint64_t stream, int64_t a, int64_t b)
{
	o->b = realloc(o->b, (o->n + 1) * sizeof *o->b);
	NN(o->b);
	o->b[o->n++] = (struct sim_block){stream, a, b};
}

static uint64_t sim_size(const struct sim_obj *o)
{
	uint64_t n = 0;
	for (size_t i = 0; i < o->n; i++)
		n += (uint64_t)(o->b[i].end - o->b[i].start);
	return n;
}

/* The view of the live simulated objects. */
static void sim_view(struct sim *s, int64_t now)
{
	tv_reset(now);
	for (size_t i = 0; i < s->streams; i++)
		tv_stream(i + 1, 0, 0, CV_POLICY_DELETE);
	for (size_t i = 0; i < s->n; i++) {
		if (s->o[i].dead)
			continue;
		size_t o = tv_object(s->o[i].id, s->o[i].flags, s->o[i].created,
				     sim_size(&s->o[i]));
		for (size_t k = 0; k < s->o[i].n; k++)
			tv_block(o, s->o[i].b[k].stream, s->o[i].b[k].start,
				 s->o[i].b[k].end,
				 (uint64_t)(s->o[i].b[k].end - s->o[i].b[k].start), 0);
	}
	tv_finish();
}

static struct sim_obj *sim_find(struct sim *s, uint64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->o[i].id == id && !s->o[i].dead)
			return &s->o[i];
	abort(); /* the plan named an object that is not live */
}

/* Applies one rewrite (outputs cut at target). */
static void sim_apply(struct sim *s, const struct rewrite *r, uint64_t target,
		      int64_t now)
{
	struct sim_block *all = NULL;
	size_t n = 0;
	for (size_t i = 0; i < r->input_count; i++) {
		struct sim_obj *o = sim_find(s, r->inputs[i]);
		all = realloc(all, (n + o->n) * sizeof *all);
		memcpy(all + n, o->b, o->n * sizeof *all);
		n += o->n;
		o->dead = 1;
		s->inputs++;
	}
	/* positions of the open outputs (sim_new moves the array) */
	size_t sso = SIZE_MAX, ps = SIZE_MAX;
	uint64_t fill_sso = 0, fill_ps = 0;
	for (uint64_t st = 1; st <= s->streams; st++) {
		int split = plan_rewrite_splits(r, st);
		ps = SIZE_MAX;
		/* inputs are taken oldest first, so a stream's blocks come in
		 * offset order */
		for (size_t i = 0; i < n; i++) {
			if (all[i].stream != st)
				continue;
			int64_t a = all[i].start;
			while (a < all[i].end) {
				size_t *at = split ? &ps : &sso;
				uint64_t *fill = split ? &fill_ps : &fill_sso;
				if (*at == SIZE_MAX || *fill >= target) {
					sim_new(s, split ? 0 : SSO, now);
					s->puts++;
					*at = s->n - 1;
					*fill = 0;
				}
				int64_t b = all[i].end;
				if ((uint64_t)(b - a) > target - *fill)
					b = a + (int64_t)(target - *fill);
				sim_add(&s->o[*at], st, a, b);
				*fill += (uint64_t)(b - a);
				s->written += (uint64_t)(b - a);
				a = b;
			}
		}
	}
	free(all);
}

/* Objects holding stream st: all, and full per-stream ones. */
static void sim_count(const struct sim *s, uint64_t st, uint64_t target,
		      size_t *objects, size_t *full)
{
	*objects = *full = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct sim_obj *o = &s->o[i];
		int has = 0;
		for (size_t k = 0; k < o->n && !o->dead && !has; k++)
			has = o->b[k].stream == st;
		if (!has)
			continue;
		(*objects)++;
		if (!(o->flags & SSO) && sim_size(o) >= target / 2)
			(*full)++;
	}
}

/* What a simulated trickle measured. */
struct sim_result {
	size_t worst;         /* objects per stream beyond its full ones */
	size_t full_max;      /* full per-stream objects of one stream */
	double amplification; /* bytes written per byte ingested */
	double puts_per_gb;   /* objects written per GB ingested */
	double reads_per_gb;  /* objects read per GB ingested */
};

/* Runs the trickle: `runs` runs of `uploads` uploads each; every upload
 * holds share[st] bytes of each stream.  Fills res. */
static void sim_trickle(const struct plan_params *pp, size_t streams,
			const uint64_t *share, int uploads, int runs,
			struct sim_result *res)
{
	struct sim s = {.streams = streams};
	s.stream_end = calloc(streams + 1, sizeof *s.stream_end);
	*res = (struct sim_result){0};
	int64_t now = 1000;
	for (int run = 0; run < runs; run++) {
		for (int u = 0; u < uploads; u++) {
			struct sim_obj *o = sim_new(&s, SSO, now++);
			for (size_t st = 1; st <= streams; st++) {
				sim_add(o, st, s.stream_end[st], s.stream_end[st] + (int64_t)share[st - 1]);
				s.stream_end[st] += (int64_t)share[st - 1];
				s.ingested += share[st - 1];
			}
		}
		/* the worst moment: just before a run */
		for (size_t st = 1; st <= streams; st++) {
			size_t objects, full;
			sim_count(&s, st, pp->target_bytes, &objects, &full);
			if (objects - full > res->worst)
				res->worst = objects - full;
			if (full > res->full_max)
				res->full_max = full;
		}
		sim_view(&s, now);
		struct plan p;
		if (plan_build(&tv, pp, &p))
			abort();
		for (size_t i = 0; i < p.count; i++)
			sim_apply(&s, &p.rewrites[i], pp->target_bytes, now);
		plan_free(&p);
		/* forget replaced objects */
		size_t live = 0;
		for (size_t i = 0; i < s.n; i++) {
			if (s.o[i].dead)
				free(s.o[i].b);
			else
				s.o[live++] = s.o[i];
		}
		s.n = live;
		now += 1000;
	}
	res->amplification = (double)s.written / (double)s.ingested;
	res->puts_per_gb = (double)s.puts * 1e9 / (double)s.ingested;
	res->reads_per_gb = (double)s.inputs * 1e9 / (double)s.ingested;
	for (size_t i = 0; i < s.n; i++)
		free(s.o[i].b);
	free(s.o);
	free(s.stream_end);
}

/* The bound of plan.h: uploads since the last run, plus at most two
 * stream-set objects being merged, PLAN_SPLIT_OBJECTS large ones, and
 * PLAN_NONFULL_MAX per-stream objects below full size. */
#define SIM_BOUND(uploads) \
	((size_t)(uploads) + 2 + PLAN_SPLIT_OBJECTS + PLAN_NONFULL_MAX)

/* Prints what a simulated trickle measured. */
static void sim_print(const char *name, const struct sim_result *r, size_t bound)
{
	printf("trickle, %s: worst %zu objects per stream beyond %zu full ones "
	       "(bound %zu), write amplification %.2f, %.0f objects written and "
	       "%.0f read per GB\n", name, r->worst, r->full_max, bound,
	       r->amplification, r->puts_per_gb, r->reads_per_gb);
	fflush(stdout); /* a failed check ends the forked test without it */
}

START_TEST(test_trickle_bound)
{
	struct plan_params pp = {.target_bytes = 1 * M, .split_bytes = 128 * K,
				 .small_bytes = 256 * K, .budget_bytes = 1ull << 40,
				 .max_objects = 1000};
	uint64_t share[50];
	for (int i = 0; i < 50; i++)
		share[i] = 2 * K;
	struct sim_result r;
	sim_trickle(&pp, 50, share, 10, 200, &r);
	sim_print("50 even streams", &r, SIM_BOUND(10));
	ck_assert_uint_le(r.worst, SIM_BOUND(10));
	/* full objects hold at least target / 2 each */
	ck_assert_uint_le(r.full_max, 200 * 10 * 2 * K / (pp.target_bytes / 2) + 1);
	ck_assert(r.amplification < 8.0);

	/* skewed: one stream gets a byte per upload, the others a lot */
	for (int i = 0; i < 50; i++)
		share[i] = i == 0 ? 1 : 8 * K;
	sim_trickle(&pp, 50, share, 10, 150, &r);
	sim_print("skewed streams", &r, SIM_BOUND(10));
	ck_assert_uint_le(r.worst, SIM_BOUND(10));
}
END_TEST

/* A trickle over 64 streams of equal shares at the default thresholds
 * (target 64M, split 8M, small 16M), the run's budget and input cap
 * given; checks the bound and fills r. */
static void sim_even_64(uint64_t budget, size_t max_objects, uint64_t share_each,
			int uploads, int runs, const char *name, struct sim_result *r)
{
	struct plan_params pp = {.target_bytes = 64 * M, .split_bytes = 8 * M,
				 .small_bytes = 16 * M, .budget_bytes = budget,
				 .max_objects = max_objects};
	uint64_t share[64];
	for (int i = 0; i < 64; i++)
		share[i] = share_each;
	sim_trickle(&pp, 64, share, uploads, runs, r);
	sim_print(name, r, SIM_BOUND(uploads));
	ck_assert_uint_le(r->worst, SIM_BOUND(uploads));
}

/* The shape of BENCHMARKS.md's compaction runs at the default thresholds:
 * 64 partitions, ten uploads of 2.4 MB (8 MiB WAL regions of small
 * batches) between runs of a 320 MiB budget (5 s at 64 MiB/s). */
START_TEST(test_trickle_bench_shape)
{
	struct sim_result r;
	sim_even_64(320 * M, 100, 37 * K + 512, 10, 200,
		    "64 streams of 2.4 MB uploads", &r);
	/* Uploads merge before their partitions are split out, in pieces of
	 * about 2 MiB (a 128 MiB rewrite over 64 partitions) that then fill
	 * 32 MiB objects: 2.83 and 585 objects written per GB.  With the
	 * pieces merged by tiers of four (2 to 8 to 32 MiB, before
	 * 2026-11-27) it was 3.60 and 704.  Split straight from the uploads
	 * (when small objects counted towards PLAN_SPLIT_OBJECTS) the pieces
	 * were 0.4 MB: 3.67 and 3379, with 36 objects per stream. */
	ck_assert(r.amplification < 3.0);
	ck_assert(r.puts_per_gb < 650.0);
}
END_TEST

/* The default settings (compaction.interval.ms 30000, so a run's budget is
 * 30 s at 64 MiB/s, and max.objects.per.run 1000) over 64 partitions at
 * 5 MB/s with 64 MiB regions: eight uploads of 19 MB between runs.  A run
 * must take about two pieces per partition per split; with
 * max.objects.per.run 100 (the default until 2026-11-27) partitions were
 * left in 103 objects. */
START_TEST(test_trickle_defaults)
{
	struct sim_result r;
	sim_even_64(1920 * M, 1000, 300 * K, 8, 60,
		    "64 streams of 19 MB uploads, defaults", &r);
	/* each run splits 2.4 MB pieces straight out of its uploads, which
	 * then fill: 1.94 (2.73 when the pieces merged by tiers first) */
	ck_assert(r.amplification < 2.2);
}
END_TEST

/* Unchecked teardown: frees the view the tests built when CK_FORK=no. */
static void tv_free(void)
{
	catalog_view_free(&tv);
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("compactd_plan");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, NULL, tv_free);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_expire);
	tcase_add_loop_test(tc, test_split_threshold, 0,
			    sizeof split_cases / sizeof split_cases[0]);
	tcase_add_test(tc, test_small_merge);
	tcase_add_test(tc, test_pacing_caps);
	tcase_add_loop_test(tc, test_tiers, 0, sizeof tier_cases / sizeof tier_cases[0]);
	tcase_add_test(tc, test_fill_whole);
	tcase_add_test(tc, test_interleaved_merge);
	tcase_add_test(tc, test_reclaim);
	tcase_add_loop_test(tc, test_clean, 0, sizeof clean_cases / sizeof clean_cases[0]);
	tcase_add_test(tc, test_clean_all_or_none);
	tcase_add_test(tc, test_view_json);
	tcase_add_test(tc, test_trickle_bound);
	tcase_add_test(tc, test_trickle_bench_shape);
	tcase_add_test(tc, test_trickle_defaults);
	suite_add_tcase(s, tc);
	return s;
}
