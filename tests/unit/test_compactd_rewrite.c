/*
 * compactd's rewrite builder (compactd/rewrite.c): input objects are built
 * with the object format's own builder, their blocks handed to
 * rewrite_build, and the outputs parsed back: which data stays and where
 * (per-stream or stream-set objects), that a batch straddling the log
 * start stays whole, that deleted streams go, that output blocks never
 * span a gap the inputs do not hold, cutting near the target, and a
 * compacted stream's clean rewrite.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/object_format.h"
#include "compactd/catalog_view.h"
#include "compactd/plan.h"
#include "compactd/rewrite.h"
#include "tests/unit/compactd_batches.h"
#include "tests/unit/unit_main.h"

#define NOW 1000000

static struct catalog_view tv;

/* An input object: bytes and its own index. */
struct tobj {
	uint64_t id;
	uint8_t *bytes;
	size_t len;
	struct object_index_entry *e;
	size_t n;
};

/* A batch placed in an input object. */
struct tput {
	uint64_t stream;
	int64_t base;
	int records;
};

static struct tobj tobj_make(uint64_t id, uint16_t flags, const struct tput *in,
			     size_t n, size_t block_target)
{
	struct tobj o = {.id = id};
	struct object_builder *b = object_builder_new(id, flags, block_target);
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		uint8_t *batch = tb_simple(in[i].base, 1000 + in[i].base, in[i].records, &len);
		ck_assert_int_eq(object_builder_add(b, in[i].stream, batch, len), 0);
		free(batch);
	}
	ck_assert_int_eq(object_builder_finish(b, &o.bytes, &o.len), 0);
	object_builder_free(b);
	struct object_footer f;
	ck_assert_int_eq(object_footer_parse(o.bytes, o.len, o.len, &f, NULL, 0), 0);
	ck_assert_int_eq(object_index_parse(o.bytes + f.index_pos, f.index_size, &f, &o.e,
					    &o.n, NULL, 0), 0);
	return o;
}

/* Lists object o in the view with its blocks. */
static void tv_add(const struct tobj *o, uint16_t flags)
{
	if (tv.object_count == tv.object_cap) {
		tv.object_cap = tv.object_cap ? 2 * tv.object_cap : 16;
		tv.objects = realloc(tv.objects, tv.object_cap * sizeof *tv.objects);
	}
	struct cv_object *c = &tv.objects[tv.object_count++];
	*c = (struct cv_object){.id = o->id, .size = o->len, .flags = flags,
				.created_ms = 1, .retired_ms = -1};
	c->blocks = calloc(o->n ? o->n : 1, sizeof *c->blocks);
	for (size_t i = 0; i < o->n; i++)
		c->blocks[i] = (struct cv_block){o->e[i].stream_id, o->e[i].start_offset,
						 o->e[i].end_offset, o->e[i].max_timestamp,
						 o->e[i].record_count, o->e[i].position,
						 o->e[i].size, o->e[i].block_crc};
	c->block_count = o->n;
}

static void tv_stream(uint64_t id, int64_t log_start, int deleted, int policy)
{
	tv.streams = realloc(tv.streams, (tv.stream_count + 1) * sizeof *tv.streams);
	tv.streams[tv.stream_count++] = (struct cv_stream){
		.id = id, .log_start = log_start, .deleted = deleted, .policy = policy,
		.delete_retention_ms = 0, .min_compaction_lag_ms = 0};
}

/* Appends the blocks of o (all of them) to the rewrite's block list. */
static size_t blocks_of(const struct tobj *o, struct rewrite_block *b, size_t n)
{
	for (size_t i = 0; i < o->n; i++)
		b[n++] = (struct rewrite_block){o->id, o->e[i], o->bytes + o->e[i].position};
	return n;
}

static uint64_t next_id;
static uint64_t test_new_id(void *arg)
{
	return ++next_id;
}

/* Parses an output's index (checking the blocks JSON against it). */
static struct object_index_entry *out_index(const struct rewrite_output *o, size_t *n)
{
	struct object_footer f;
	struct object_index_entry *e;
	ck_assert_int_eq(object_verify(o->bytes, o->len, NULL, 0), 0);
	ck_assert_int_eq(object_footer_parse(o->bytes, o->len, o->len, &f, NULL, 0), 0);
	ck_assert_uint_eq(f.flags, o->flags);
	ck_assert_uint_eq(f.object_id, o->id);
	ck_assert_int_eq(object_index_parse(o->bytes + f.index_pos, f.index_size, &f, &e,
					    n, NULL, 0), 0);
	ck_assert_uint_eq(json_array_size(o->blocks), *n);
	for (size_t i = 0; i < *n; i++) {
		json_t *b = json_array_get(o->blocks, i);
		ck_assert_int_eq(json_integer_value(json_array_get(b, 0)), (json_int_t)e[i].stream_id);
		ck_assert_int_eq(json_integer_value(json_array_get(b, 1)), e[i].start_offset);
		ck_assert_int_eq(json_integer_value(json_array_get(b, 2)), e[i].end_offset);
		ck_assert_int_eq(json_integer_value(json_array_get(b, 6)), e[i].size);
	}
	return e;
}

static void tobj_free(struct tobj *o)
{
	free(o->bytes);
	free(o->e);
}

START_TEST(test_stream_set_split)
{
	catalog_view_free(&tv);
	tv.now_ms = NOW;
	tv_stream(1, 0, 0, CV_POLICY_DELETE);
	tv_stream(2, 0, 1, CV_POLICY_DELETE);
	tv_stream(3, 15, 0, CV_POLICY_DELETE); /* log start inside [10, 20) */
	static const struct tput a_in[] = {
		{1, 0, 10}, {2, 0, 5}, {3, 0, 10}, {3, 10, 10},
	};
	static const struct tput b_in[] = {
		{1, 10, 10}, {2, 5, 5}, {3, 20, 10},
	};
	/* tiny blocks: each batch is its own block */
	struct tobj a = tobj_make(0xa, OBJECT_FLAG_STREAM_SET, a_in, 4, 64);
	struct tobj b = tobj_make(0xb, OBJECT_FLAG_STREAM_SET, b_in, 3, 64);
	tv_add(&a, OBJECT_FLAG_STREAM_SET);
	tv_add(&b, OBJECT_FLAG_STREAM_SET);
	char err[256];
	ck_assert_int_eq(catalog_view_finish(&tv, err, sizeof err), 0);

	uint64_t inputs[] = {0xa, 0xb}, split[] = {1};
	struct rewrite r = {.kind = REWRITE_STREAM_SET, .inputs = inputs, .input_count = 2,
			    .split = split, .split_count = 1};
	struct rewrite_block blocks[16];
	size_t n = blocks_of(&a, blocks, 0);
	n = blocks_of(&b, blocks, n);
	struct rewrite_params p = {.now_ms = NOW, .target_bytes = 64 << 20,
				   .new_id = test_new_id};
	struct rewrite_result res;
	ck_assert_msg(rewrite_build(&tv, &r, &p, blocks, n, &res, err, sizeof err) == 0,
		      "%s", err);
	ck_assert_uint_eq(res.count, 2);
	/* stream 1 alone in a per-stream object, all of it in one block */
	const struct rewrite_output *ps = &res.outputs[0], *ss = &res.outputs[1];
	ck_assert_uint_eq(ps->flags, 0);
	size_t ne;
	struct object_index_entry *e = out_index(ps, &ne);
	ck_assert_uint_eq(ne, 1);
	ck_assert_uint_eq(e[0].stream_id, 1);
	ck_assert_int_eq(e[0].start_offset, 0);
	ck_assert_int_eq(e[0].end_offset, 20);
	ck_assert_uint_eq(e[0].record_count, 20);
	free(e);
	/* stream 3 from the batch straddling its log start; stream 2 gone */
	ck_assert_uint_eq(ss->flags, OBJECT_FLAG_STREAM_SET);
	e = out_index(ss, &ne);
	ck_assert_uint_eq(ne, 1);
	ck_assert_uint_eq(e[0].stream_id, 3);
	ck_assert_int_eq(e[0].start_offset, 10);
	ck_assert_int_eq(e[0].end_offset, 30);
	ck_assert_uint_eq(e[0].batch_count, 2);
	free(e);
	ck_assert_uint_eq(res.batches_in, 4);
	ck_assert_uint_eq(res.batches_out, 4);
	ck_assert_uint_eq(res.batches_expired, 3); /* two of stream 2, one of 3 */
	rewrite_result_free(&res);

	/* the same without splitting: one stream-set object, two streams */
	r.split_count = 0;
	n = blocks_of(&a, blocks, 0);
	n = blocks_of(&b, blocks, n);
	ck_assert_int_eq(rewrite_build(&tv, &r, &p, blocks, n, &res, err, sizeof err), 0);
	ck_assert_uint_eq(res.count, 1);
	e = out_index(&res.outputs[0], &ne);
	ck_assert_uint_eq(ne, 2);
	ck_assert_uint_eq(e[0].stream_id, 1);
	ck_assert_uint_eq(e[1].stream_id, 3);
	free(e);
	rewrite_result_free(&res);

	/* a rewrite whose data is all dead has no outputs */
	uint64_t only_a[] = {0xa};
	struct rewrite dead = {.kind = REWRITE_STREAM_SET, .inputs = only_a,
			       .input_count = 1};
	struct rewrite_block db[4];
	size_t dn = 0;
	for (size_t i = 0; i < a.n; i++)
		if (a.e[i].stream_id == 2 || (a.e[i].stream_id == 3 && a.e[i].end_offset <= 10))
			db[dn++] = (struct rewrite_block){a.id, a.e[i], a.bytes + a.e[i].position};
	ck_assert_int_eq(rewrite_build(&tv, &dead, &p, db, dn, &res, err, sizeof err), 0);
	ck_assert_uint_eq(res.count, 0);
	rewrite_result_free(&res);
	tobj_free(&a);
	tobj_free(&b);
}
END_TEST

START_TEST(test_gap_and_cut)
{
	catalog_view_free(&tv);
	tv.now_ms = NOW;
	tv_stream(1, 0, 0, CV_POLICY_DELETE);
	/* three per-stream objects; the middle one is not in the rewrite */
	static const struct tput a_in[] = {{1, 0, 10}, {1, 10, 10}};
	static const struct tput b_in[] = {{1, 20, 10}};
	static const struct tput c_in[] = {{1, 30, 10}, {1, 40, 10}, {1, 50, 10},
					   {1, 60, 10}};
	struct tobj a = tobj_make(0xa, 0, a_in, 2, 0);
	struct tobj b = tobj_make(0xb, 0, b_in, 1, 0);
	struct tobj c = tobj_make(0xc, 0, c_in, 4, 0);
	tv_add(&a, 0);
	tv_add(&b, 0);
	tv_add(&c, 0);
	char err[256];
	ck_assert_int_eq(catalog_view_finish(&tv, err, sizeof err), 0);
	uint64_t inputs[] = {0xa, 0xc};
	struct rewrite r = {.kind = REWRITE_MERGE, .inputs = inputs, .input_count = 2,
			    .stream_id = 1};
	struct rewrite_block blocks[8];
	size_t n = blocks_of(&c, blocks, 0); /* any order */
	n = blocks_of(&a, blocks, n);
	struct rewrite_params p = {.now_ms = NOW, .target_bytes = 64 << 20,
				   .new_id = test_new_id};
	struct rewrite_result res;
	ck_assert_int_eq(rewrite_build(&tv, &r, &p, blocks, n, &res, err, sizeof err), 0);
	ck_assert_uint_eq(res.count, 1);
	size_t ne;
	struct object_index_entry *e = out_index(&res.outputs[0], &ne);
	ck_assert_uint_eq(ne, 2);
	ck_assert_int_eq(e[0].start_offset, 0);
	ck_assert_int_eq(e[0].end_offset, 20);
	ck_assert_int_eq(e[1].start_offset, 30);
	ck_assert_int_eq(e[1].end_offset, 70);
	free(e);
	size_t one_batch = res.outputs[0].len;
	rewrite_result_free(&res);

	/* a small target cuts the output into several objects that, in
	 * offset order, hold every batch once */
	p.target_bytes = one_batch / 3;
	n = blocks_of(&a, blocks, 0);
	n = blocks_of(&c, blocks, n);
	ck_assert_int_eq(rewrite_build(&tv, &r, &p, blocks, n, &res, err, sizeof err), 0);
	ck_assert_uint_ge(res.count, 3);
	int64_t next = 0;
	size_t batches = 0;
	for (size_t i = 0; i < res.count; i++) {
		ck_assert_uint_eq(res.outputs[i].flags, 0);
		e = out_index(&res.outputs[i], &ne);
		for (size_t k = 0; k < ne; k++) {
			if (next == 20)
				next = 30;
			ck_assert_int_eq(e[k].start_offset, next);
			next = e[k].end_offset;
			batches += e[k].batch_count;
		}
		free(e);
	}
	ck_assert_int_eq(next, 70);
	ck_assert_uint_eq(batches, 6);
	rewrite_result_free(&res);

	/* a block whose bytes are damaged is refused */
	n = blocks_of(&a, blocks, 0);
	uint8_t *copy = malloc(a.len);
	memcpy(copy, a.bytes, a.len);
	blocks[0].data = copy + blocks[0].entry.position;
	be32_put(copy + blocks[0].entry.position + RB_OFF_BATCH_LENGTH, 5);
	ck_assert_int_eq(rewrite_build(&tv, &r, &p, blocks, n, &res, err, sizeof err),
			 SL_ECORRUPT);
	ck_assert_uint_eq(res.count, 0);
	free(copy);
	tobj_free(&a);
	tobj_free(&b);
	tobj_free(&c);
}
END_TEST

START_TEST(test_clean_compacted)
{
	catalog_view_free(&tv);
	tv.now_ms = NOW;
	tv_stream(5, 0, 0, CV_POLICY_COMPACT);
	/* keys k<offset> are unique; a later batch rewrites keys k0..k4 */
	static const struct tput a_in[] = {{5, 0, 10}};
	struct tobj a = tobj_make(0xa, 0, a_in, 1, 0);
	struct tb_rec upd[5];
	char keys[5][8];
	for (int i = 0; i < 5; i++) {
		snprintf(keys[i], sizeof keys[i], "k%d", i);
		upd[i] = (struct tb_rec){i, 0, keys[i], i == 4 ? NULL : "new"};
	}
	size_t len;
	uint8_t *ub = tb_batch(10, 2000, 2 /* snappy */, 4, upd, 5, &len);
	struct object_builder *ob = object_builder_new(0xb, 0, 0);
	ck_assert_int_eq(object_builder_add(ob, 5, ub, len), 0);
	size_t last_len;
	uint8_t *last = tb_simple(15, 3000, 1, &last_len);
	ck_assert_int_eq(object_builder_add(ob, 5, last, last_len), 0);
	struct tobj b = {.id = 0xb};
	ck_assert_int_eq(object_builder_finish(ob, &b.bytes, &b.len), 0);
	object_builder_free(ob);
	struct object_footer f;
	ck_assert_int_eq(object_footer_parse(b.bytes, b.len, b.len, &f, NULL, 0), 0);
	ck_assert_int_eq(object_index_parse(b.bytes + f.index_pos, f.index_size, &f,
					    &b.e, &b.n, NULL, 0), 0);
	tv_add(&a, 0);
	tv_add(&b, 0);
	char err[256];
	ck_assert_int_eq(catalog_view_finish(&tv, err, sizeof err), 0);
	uint64_t inputs[] = {0xa, 0xb};
	struct rewrite r = {.kind = REWRITE_CLEAN, .inputs = inputs, .input_count = 2,
			    .stream_id = 5};
	struct rewrite_block blocks[8];
	size_t n = blocks_of(&a, blocks, 0);
	n = blocks_of(&b, blocks, n);
	/* a target far below the data: a clean rewrite still makes one */
	struct rewrite_params p = {.now_ms = NOW, .target_bytes = 100,
				   .new_id = test_new_id};
	struct rewrite_result res;
	ck_assert_msg(rewrite_build(&tv, &r, &p, blocks, n, &res, err, sizeof err) == 0,
		      "%s", err);
	ck_assert_uint_eq(res.count, 1);
	/* read every record back */
	struct tb_got all[32];
	int got = 0;
	struct object_batch_iter it;
	struct object_batch bt;
	size_t ne;
	struct object_index_entry *e = out_index(&res.outputs[0], &ne);
	for (size_t k = 0; k < ne; k++) {
		object_batch_iter_init(&it, res.outputs[0].bytes + e[k].position, e[k].size);
		while (object_batch_iter_next(&it, &bt) == 1)
			got += tb_read(bt.data, bt.len, all + got, 32 - got);
	}
	free(e);
	/* k5..k9 of the first batch, k0..k3 new, tombstone k4 gone (all
	 * older data is in the rewrite), the last batch [15, 16) */
	ck_assert_int_eq(got, 10);
	static const int64_t want[] = {5, 6, 7, 8, 9, 10, 11, 12, 13, 15};
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(all[i].offset, want[i]);
	ck_assert_str_eq(all[5].value, "new");
	ck_assert_uint_eq(res.compacted.tombstones_dropped, 1);
	rewrite_result_free(&res);
	free(ub);
	free(last);
	tobj_free(&a);
	tobj_free(&b);
}
END_TEST

/* Unchecked teardown: frees the view the tests built when CK_FORK=no. */
static void tv_free(void)
{
	catalog_view_free(&tv);
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("compactd_rewrite");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, NULL, tv_free);
	tcase_add_test(tc, test_stream_set_split);
	tcase_add_test(tc, test_gap_and_cut);
	tcase_add_test(tc, test_clean_compacted);
	suite_add_tcase(s, tc);
	return s;
}
