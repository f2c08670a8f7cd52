/*
 * The object format (common/object_format.c): a golden object written byte
 * by byte from the layout in object_format.h (CRCs computed independently,
 * with a bitwise CRC-32C), builder/parser round trips over random input,
 * block cutting, every single-bit flip and every truncation caught by
 * object_verify, structurally wrong but well-checksummed objects caught by
 * their own checks, short tail reads, index lookups and object keys.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/object_format.h"
#include "tests/unit/unit_main.h"

/* ---- the golden object ------------------------------------------------ */

/* Stream 5, batch A: BaseOffset 0, two records ("a", "b"), ts 1000..1001. */
static const uint8_t batch_a[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* BaseOffset 0 */
	0x00, 0x00, 0x00, 0x41,                         /* BatchLength 65 */
	0x00, 0x00, 0x00, 0x00,                         /* LeaderEpoch */
	0x02,                                           /* Magic */
	0x54, 0x1f, 0x3f, 0x80,                         /* CRC-32C */
	0x00, 0x00,                                     /* Attributes */
	0x00, 0x00, 0x00, 0x01,                         /* LastOffsetDelta 1 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8, /* BaseTimestamp */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe9, /* MaxTimestamp */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* ProducerId -1 */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff,             /* Epoch, Sequence */
	0x00, 0x00, 0x00, 0x02,                         /* Records 2 */
	0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 0x61, 0x00, /* "a" */
	0x0e, 0x00, 0x02, 0x02, 0x01, 0x02, 0x62, 0x00, /* "b" */
};

/* Stream 5, batch B: BaseOffset 2, one record "c", ts 1005. */
static const uint8_t batch_b[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x39,
	0x00, 0x00, 0x00, 0x00,
	0x02,
	0x49, 0x40, 0xd8, 0xdb,
	0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xed,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xed,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x00, 0x00, 0x00, 0x01,
	0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 0x63, 0x00,
};

/* Stream 9, batch C: BaseOffset 100, one record "d", ts 2000. */
static const uint8_t batch_c[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64,
	0x00, 0x00, 0x00, 0x39,
	0x00, 0x00, 0x00, 0x00,
	0x02,
	0x24, 0x72, 0x8e, 0xf1,
	0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0xd0,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0xd0,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x00, 0x00, 0x00, 0x01,
	0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 0x64, 0x00,
};

/* Index (two entries) and footer of object 42 holding A B | C. */
static const uint8_t golden_tail[] = {
	/* entry 0: stream 5, offsets [0, 3), block A B */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /* stream id */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* start offset */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, /* end offset */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xed, /* max ts 1005 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* position 0 */
	0x00, 0x00, 0x00, 0x92,                         /* size 146 */
	0x00, 0x00, 0x00, 0x03,                         /* records */
	0x00, 0x00, 0x00, 0x02,                         /* batches */
	0xd5, 0xc7, 0xe4, 0xf4,                         /* block CRC */
	/* entry 1: stream 9, offsets [100, 101), block C */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x65,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0xd0,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x92, /* position 146 */
	0x00, 0x00, 0x00, 0x45,                         /* size 69 */
	0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x01,
	0x6c, 0x4c, 0xea, 0xbe,
	/* footer */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd7, /* index pos 215 */
	0x00, 0x00, 0x00, 0x70,                         /* index size 112 */
	0x00, 0x00, 0x00, 0x02,                         /* entries */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, /* object id 42 */
	0x24, 0x69, 0xd0, 0xd3,                         /* index CRC */
	0x9b, 0x44, 0x92, 0xce,                         /* object CRC */
	0x00, 0x01,                                     /* version 1 */
	0x00, 0x01,                                     /* flags: stream set */
	0x15, 0x0f, 0x00, 0xe3,                         /* footer CRC */
	'S', 'L', 'U', 'O', 'B', 'J', '0', '1',         /* magic */
};

/* The golden object assembled: data section then index and footer. */
static size_t golden_object(uint8_t *out)
{
	size_t n = 0;
	memcpy(out + n, batch_a, sizeof batch_a);
	n += sizeof batch_a;
	memcpy(out + n, batch_b, sizeof batch_b);
	n += sizeof batch_b;
	memcpy(out + n, batch_c, sizeof batch_c);
	n += sizeof batch_c;
	memcpy(out + n, golden_tail, sizeof golden_tail);
	return n + sizeof golden_tail;
}

START_TEST(test_golden_build)
{
	uint8_t expect[512];
	size_t expect_len = golden_object(expect);
	ck_assert_uint_eq(expect_len, 375);

	struct object_builder *b =
		object_builder_new(42, OBJECT_FLAG_STREAM_SET, 0);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(object_builder_add(b, 5, batch_a, sizeof batch_a), 0);
	ck_assert_int_eq(object_builder_add(b, 5, batch_b, sizeof batch_b), 0);
	ck_assert_int_eq(object_builder_add(b, 9, batch_c, sizeof batch_c), 0);
	ck_assert_uint_eq(object_builder_size(b), expect_len);
	ck_assert_uint_eq(object_builder_batch_count(b), 3);
	uint8_t *obj;
	size_t len;
	ck_assert_int_eq(object_builder_finish(b, &obj, &len), 0);
	ck_assert_uint_eq(len, expect_len);
	for (size_t i = 0; i < len; i++)
		if (obj[i] != expect[i])
			ck_abort_msg("byte %zu: got 0x%02x, want 0x%02x", i,
				     obj[i], expect[i]);
	ck_assert_int_eq(object_builder_finish(b, &obj, &len), SL_EINVAL);
	ck_assert_int_eq(object_builder_add(b, 9, batch_c, sizeof batch_c),
			 SL_EINVAL);
	object_builder_free(b);
	free(obj);
}
END_TEST

START_TEST(test_golden_parse)
{
	uint8_t obj[512];
	size_t len = golden_object(obj);
	char err[256] = "";
	ck_assert_msg(object_verify(obj, len, err, sizeof err) == 0, "%s", err);

	struct object_footer f;
	ck_assert_int_eq(object_footer_parse(obj, len, len, &f, err, sizeof err), 0);
	ck_assert_uint_eq(f.index_pos, 215);
	ck_assert_uint_eq(f.index_size, 112);
	ck_assert_uint_eq(f.entry_count, 2);
	ck_assert_uint_eq(f.object_id, 42);
	ck_assert_uint_eq(f.version, 1);
	ck_assert_uint_eq(f.flags, OBJECT_FLAG_STREAM_SET);
	ck_assert_uint_eq(f.index_crc, 0x2469d0d3);
	ck_assert_uint_eq(f.object_crc, 0x9b4492ce);

	struct object_index_entry *e;
	size_t n;
	ck_assert_int_eq(object_index_parse(obj + f.index_pos, f.index_size, &f,
					    &e, &n, err, sizeof err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(e[0].stream_id, 5);
	ck_assert_int_eq(e[0].start_offset, 0);
	ck_assert_int_eq(e[0].end_offset, 3);
	ck_assert_int_eq(e[0].max_timestamp, 1005);
	ck_assert_uint_eq(e[0].position, 0);
	ck_assert_uint_eq(e[0].size, 146);
	ck_assert_uint_eq(e[0].record_count, 3);
	ck_assert_uint_eq(e[0].batch_count, 2);
	ck_assert_uint_eq(e[0].block_crc, 0xd5c7e4f4);
	ck_assert_uint_eq(e[1].stream_id, 9);
	ck_assert_int_eq(e[1].start_offset, 100);
	ck_assert_int_eq(e[1].end_offset, 101);
	ck_assert_uint_eq(e[1].position, 146);
	ck_assert_uint_eq(e[1].size, 69);

	/* The batch iterator returns the stored batches unchanged. */
	struct object_batch_iter it;
	struct object_batch bt;
	object_batch_iter_init(&it, obj + e[0].position, e[0].size);
	ck_assert_int_eq(object_batch_iter_next(&it, &bt), 1);
	ck_assert_uint_eq(bt.len, sizeof batch_a);
	ck_assert_int_eq(memcmp(bt.data, batch_a, bt.len), 0);
	ck_assert_int_eq(bt.base_offset, 0);
	ck_assert_int_eq(bt.last_offset_delta, 1);
	ck_assert_int_eq(bt.record_count, 2);
	ck_assert_int_eq(bt.base_timestamp, 1000);
	ck_assert_int_eq(bt.max_timestamp, 1001);
	ck_assert_uint_eq(bt.crc, 0x541f3f80);
	ck_assert_int_eq(object_batch_crc_ok(&bt), 1);
	ck_assert_int_eq(object_batch_iter_next(&it, &bt), 1);
	ck_assert_int_eq(memcmp(bt.data, batch_b, bt.len), 0);
	ck_assert_int_eq(object_batch_iter_next(&it, &bt), 0);
	/* A block cut short stops the iterator with an error. */
	object_batch_iter_init(&it, obj, sizeof batch_a + 30);
	ck_assert_int_eq(object_batch_iter_next(&it, &bt), 1);
	ck_assert_int_eq(object_batch_iter_next(&it, &bt), SL_ECORRUPT);
	free(e);
}
END_TEST

/* ---- batches built for the other tests --------------------------------- */

/* Writes a RecordBatch of len bytes (>= 61) at p: count records claimed
 * over span offsets from base, filler bytes after the header, valid CRC. */
static void make_batch(uint8_t *p, size_t len, int64_t base, int32_t span,
		       int32_t count, int64_t max_ts, uint32_t seed)
{
	memset(p, 0, 61);
	be64_put(p, (uint64_t)base);
	be32_put(p + 8, (uint32_t)(len - 12));
	p[16] = 2;
	be16_put(p + 21, (uint16_t)(seed % 5)); /* codec */
	be32_put(p + 23, (uint32_t)(span - 1));
	be64_put(p + 27, (uint64_t)(max_ts - 3));
	be64_put(p + 35, (uint64_t)max_ts);
	be64_put(p + 43, (uint64_t)-1);
	be32_put(p + 57, (uint32_t)count);
	for (size_t i = 61; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7);
	be32_put(p + 17, crc32c(p + 21, len - 21));
}

/* A small deterministic generator, so failures reproduce. */
static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}

struct in_batch {
	uint64_t stream;
	int64_t base;
	int32_t span, count;
	int64_t max_ts;
	size_t len;
	uint8_t *bytes;
};

/* Builds an object from batches; returns it (caller frees). */
static uint8_t *build(const struct in_batch *in, size_t n, uint64_t id,
		      uint16_t flags, size_t target, size_t *len)
{
	struct object_builder *b = object_builder_new(id, flags, target);
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(object_builder_add(b, in[i].stream,
						    in[i].bytes, in[i].len), 0);
	uint8_t *obj;
	ck_assert_int_eq(object_builder_finish(b, &obj, len), 0);
	object_builder_free(b);
	return obj;
}

/* Random batches over nstreams streams in (stream, offset) order. */
static struct in_batch *random_batches(size_t n, unsigned nstreams,
				       size_t max_len)
{
	struct in_batch *in = calloc(n, sizeof *in);
	uint64_t stream = rng() % 1000;
	int64_t next = rng() % 100000;
	for (size_t i = 0; i < n; i++) {
		if (i && rng() % (n / nstreams + 1) == 0) {
			stream += 1 + rng() % 1000;
			next = rng() % 100000;
		}
		struct in_batch *b = &in[i];
		b->stream = stream;
		b->base = next + (rng() % 4 == 0 ? rng() % 50 : 0); /* gaps */
		b->span = 1 + (int32_t)(rng() % 200);
		b->count = b->span - (int32_t)(rng() % 3 == 0 ? rng() % b->span : 0);
		b->max_ts = 1700000000000 + (int64_t)(rng() % 100000);
		b->len = 61 + rng() % (max_len - 60);
		b->bytes = malloc(b->len);
		make_batch(b->bytes, b->len, b->base, b->span, b->count,
			   b->max_ts, (uint32_t)i);
		next = b->base + b->span;
	}
	return in;
}

static void free_batches(struct in_batch *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(in[i].bytes);
	free(in);
}

/* Parses obj as a reader would, from the tail; returns the entries. */
static struct object_index_entry *parse(const uint8_t *obj, size_t len,
					struct object_footer *f, size_t *n)
{
	char err[256] = "";
	ck_assert_msg(object_footer_parse(obj, len, len, f, err, sizeof err) == 0,
		      "%s", err);
	const uint8_t *index = object_footer_index_in_tail(f, obj, len);
	ck_assert_ptr_eq(index, obj + f->index_pos);
	struct object_index_entry *e;
	ck_assert_msg(object_index_parse(index, f->index_size, f, &e, n, err,
					 sizeof err) == 0, "%s", err);
	return e;
}

/* ---- round trip and block cutting --------------------------------------- */

START_TEST(test_round_trip_random)
{
	rng_state = 0x5eed0000u + (unsigned)_i;
	size_t nb = 1 + rng() % 400;
	size_t target = 200 + rng() % 8000;
	struct in_batch *in = random_batches(nb, 1 + rng() % 20, 1500);
	size_t len;
	uint8_t *obj = build(in, nb, 1000 + (uint64_t)_i,
			     OBJECT_FLAG_STREAM_SET, target, &len);
	char err[256] = "";
	ck_assert_msg(object_verify(obj, len, err, sizeof err) == 0, "%s", err);

	struct object_footer f;
	size_t n;
	struct object_index_entry *e = parse(obj, len, &f, &n);
	ck_assert_uint_eq(f.object_id, 1000 + (uint64_t)_i);

	/* Walking every block in index order gives back the input batches,
	 * byte for byte, and each entry summarises its own block. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct object_batch_iter it;
		struct object_batch bt;
		uint64_t records = 0;
		int64_t max_ts = INT64_MIN;
		uint32_t batches = 0;
		ck_assert_msg(object_block_verify(&e[i], obj + e[i].position,
						  e[i].size, err, sizeof err) == 0,
			      "%s", err);
		object_batch_iter_init(&it, obj + e[i].position, e[i].size);
		while (object_batch_iter_next(&it, &bt) == 1) {
			ck_assert_uint_lt(k, nb);
			ck_assert_uint_eq(in[k].stream, e[i].stream_id);
			ck_assert_uint_eq(bt.len, in[k].len);
			ck_assert_int_eq(memcmp(bt.data, in[k].bytes, bt.len), 0);
			if (batches == 0)
				ck_assert_int_eq(e[i].start_offset, in[k].base);
			records += (uint64_t)in[k].count;
			if (in[k].max_ts > max_ts)
				max_ts = in[k].max_ts;
			batches++;
			k++;
		}
		ck_assert_int_eq(e[i].end_offset, in[k - 1].base + in[k - 1].span);
		ck_assert_uint_eq(e[i].record_count, records);
		ck_assert_uint_eq(e[i].batch_count, batches);
		ck_assert_int_eq(e[i].max_timestamp, max_ts);
		/* cut rules: within target unless a lone batch; a block
		 * ends only at a stream change or when the next batch
		 * would not fit */
		ck_assert(e[i].size <= target || batches == 1);
		if (i + 1 < n && e[i + 1].stream_id == e[i].stream_id)
			ck_assert_uint_gt(e[i].size + in[k].len, target);
		/* every batch of the block is found by object_index_find */
		ck_assert_ptr_eq(object_index_find(e, n, e[i].stream_id,
						   e[i].end_offset - 1), &e[i]);
	}
	ck_assert_uint_eq(k, nb);
	free(e);
	free(obj);
	free_batches(in, nb);
}
END_TEST

START_TEST(test_block_cutting)
{
	/* 300-byte batches, target 900: three per block, the fourth opens a
	 * new block; a 2000-byte batch gets a block alone; a stream change
	 * cuts even a small block. */
	static const struct {
		uint64_t stream;
		size_t len;
	} plan[] = {
		{1, 300}, {1, 300}, {1, 300}, {1, 300}, {1, 2000}, {1, 300},
		{1, 300}, {2, 100}, {2, 100}, {3, 100},
	};
	const size_t np = sizeof plan / sizeof plan[0];
	static const struct {
		uint64_t stream;
		uint32_t size, batches;
	} want[] = {
		{1, 900, 3}, {1, 300, 1}, {1, 2000, 1}, {1, 600, 2},
		{2, 200, 2}, {3, 100, 1},
	};
	struct in_batch in[10];
	int64_t next = 0;
	for (size_t i = 0; i < np; i++) {
		if (i && plan[i].stream != plan[i - 1].stream)
			next = 0;
		in[i] = (struct in_batch){.stream = plan[i].stream, .base = next,
					  .span = 2, .count = 2, .max_ts = 7,
					  .len = plan[i].len};
		in[i].bytes = malloc(in[i].len);
		make_batch(in[i].bytes, in[i].len, next, 2, 2, 7, (uint32_t)i);
		next += 2;
	}
	size_t len, n;
	uint8_t *obj = build(in, np, 1, OBJECT_FLAG_STREAM_SET, 900, &len);
	struct object_footer f;
	struct object_index_entry *e = parse(obj, len, &f, &n);
	ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(e[i].stream_id, want[i].stream);
		ck_assert_uint_eq(e[i].size, want[i].size);
		ck_assert_uint_eq(e[i].batch_count, want[i].batches);
	}
	free(e);
	free(obj);
	for (size_t i = 0; i < np; i++)
		free(in[i].bytes);

	/* The default target is 1 MiB: 64 KiB batches make 16 per block. */
	struct object_builder *b = object_builder_new(2, 0, 0);
	uint8_t *big = malloc(64 << 10);
	for (int i = 0; i < 40; i++) {
		make_batch(big, 64 << 10, i, 1, 1, 0, 3);
		ck_assert_int_eq(object_builder_add(b, 8, big, 64 << 10), 0);
	}
	ck_assert_int_eq(object_builder_finish(b, &obj, &len), 0);
	object_builder_free(b);
	free(big);
	e = parse(obj, len, &f, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(e[0].size, 1 << 20);
	ck_assert_uint_eq(e[1].size, 1 << 20);
	ck_assert_uint_eq(e[2].batch_count, 8);
	free(e);
	free(obj);
}
END_TEST

START_TEST(test_empty_object)
{
	struct object_builder *b = object_builder_new(7, 0, 0);
	uint8_t *obj;
	size_t len, n;
	ck_assert_int_eq(object_builder_finish(b, &obj, &len), 0);
	object_builder_free(b);
	ck_assert_uint_eq(len, OBJECT_FOOTER_BYTES);
	ck_assert_int_eq(object_verify(obj, len, NULL, 0), 0);
	struct object_footer f;
	struct object_index_entry *e = parse(obj, len, &f, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(e);
	ck_assert_ptr_null(object_index_find(e, n, 1, 0));
	free(obj);
}
END_TEST

/* ---- what the builder refuses ------------------------------------------- */

START_TEST(test_builder_rejects)
{
	uint8_t good[100], bad[100];
	ck_assert_ptr_null(object_builder_new(1, 0x8000, 0));
	ck_assert_ptr_null(object_builder_new(1, 0, OBJECT_BLOCK_TARGET_MAX + 1));

	struct object_builder *b = object_builder_new(1, OBJECT_FLAG_STREAM_SET, 0);
	make_batch(good, sizeof good, 10, 5, 5, 0, 1);
	ck_assert_int_eq(object_builder_add(b, 4, good, sizeof good), 0);

	/* malformed batches: SL_ECORRUPT */
	ck_assert_int_eq(object_builder_add(b, 4, good, 60), SL_ECORRUPT);
	make_batch(bad, sizeof bad, 20, 5, 5, 0, 1);
	ck_assert_int_eq(object_builder_add(b, 4, bad, sizeof bad - 1), SL_ECORRUPT);
	bad[16] = 1; /* magic */
	ck_assert_int_eq(object_builder_add(b, 4, bad, sizeof bad), SL_ECORRUPT);
	make_batch(bad, sizeof bad, 20, 5, 5, 0, 1);
	bad[80] ^= 1; /* payload, so the CRC no longer matches */
	ck_assert_int_eq(object_builder_add(b, 4, bad, sizeof bad), SL_ECORRUPT);
	make_batch(bad, sizeof bad, 20, 5, 6, 0, 1); /* 6 records in 5 offsets */
	ck_assert_int_eq(object_builder_add(b, 4, bad, sizeof bad), SL_ECORRUPT);
	make_batch(bad, sizeof bad, -1, 5, 5, 0, 1);
	ck_assert_int_eq(object_builder_add(b, 5, bad, sizeof bad), SL_ECORRUPT);
	make_batch(bad, sizeof bad, INT64_MAX - 3, 5, 5, 0, 1);
	ck_assert_int_eq(object_builder_add(b, 5, bad, sizeof bad), SL_ECORRUPT);

	/* order: SL_EINVAL (the last good batch covers offsets 10..14) */
	make_batch(bad, sizeof bad, 14, 1, 1, 0, 1); /* overlaps */
	ck_assert_int_eq(object_builder_add(b, 4, bad, sizeof bad), SL_EINVAL);
	make_batch(bad, sizeof bad, 0, 1, 1, 0, 1); /* goes back */
	ck_assert_int_eq(object_builder_add(b, 4, bad, sizeof bad), SL_EINVAL);
	ck_assert_int_eq(object_builder_add(b, 3, bad, sizeof bad), SL_EINVAL);

	/* none of that changed the builder: it equals one with one batch */
	uint8_t *obj, *ref;
	size_t len, ref_len;
	ck_assert_int_eq(object_builder_finish(b, &obj, &len), 0);
	object_builder_free(b);
	b = object_builder_new(1, OBJECT_FLAG_STREAM_SET, 0);
	ck_assert_int_eq(object_builder_add(b, 4, good, sizeof good), 0);
	ck_assert_int_eq(object_builder_finish(b, &ref, &ref_len), 0);
	object_builder_free(b);
	ck_assert_uint_eq(len, ref_len);
	ck_assert_int_eq(memcmp(obj, ref, len), 0);
	free(obj);
	free(ref);

	/* a per-stream object takes one stream only */
	b = object_builder_new(1, 0, 0);
	ck_assert_int_eq(object_builder_add(b, 4, good, sizeof good), 0);
	make_batch(bad, sizeof bad, 0, 1, 1, 0, 1);
	ck_assert_int_eq(object_builder_add(b, 5, bad, sizeof bad), SL_EINVAL);
	object_builder_free(b);

	/* the next offset right after a batch, and gaps, are accepted */
	b = object_builder_new(1, 0, 0);
	ck_assert_int_eq(object_builder_add(b, 4, good, sizeof good), 0);
	make_batch(bad, sizeof bad, 15, 1, 1, 0, 1);
	ck_assert_int_eq(object_builder_add(b, 4, bad, sizeof bad), 0);
	make_batch(bad, sizeof bad, 99, 1, 0, 0, 1); /* compacted: 0 records */
	ck_assert_int_eq(object_builder_add(b, 4, bad, sizeof bad), 0);
	object_builder_free(b);
}
END_TEST

/* ---- corruption --------------------------------------------------------- */

/* A two-stream object of several blocks for the corruption tests. */
static uint8_t *corruption_subject(size_t *len)
{
	rng_state = 77;
	struct in_batch *in = random_batches(12, 2, 120);
	uint8_t *obj = build(in, 12, 9, OBJECT_FLAG_STREAM_SET, 300, len);
	free_batches(in, 12);
	return obj;
}

START_TEST(test_every_bit_flip_detected)
{
	size_t len;
	uint8_t *obj = corruption_subject(&len);
	char err[256];
	ck_assert_int_eq(object_verify(obj, len, err, sizeof err), 0);
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			obj[i] ^= (uint8_t)(1 << bit);
			err[0] = '\0';
			if (object_verify(obj, len, err, sizeof err) != SL_ECORRUPT)
				ck_abort_msg("flip of byte %zu bit %d not seen", i,
					     bit);
			ck_assert(err[0] != '\0');
			obj[i] ^= (uint8_t)(1 << bit);
		}
	free(obj);
}
END_TEST

START_TEST(test_every_truncation_detected)
{
	size_t len;
	uint8_t *obj = corruption_subject(&len);
	for (size_t l = 0; l < len; l++) {
		/* a copy of exactly l bytes, so ASan sees any overread */
		uint8_t *t = malloc(l ? l : 1);
		memcpy(t, obj, l);
		ck_assert_int_eq(object_verify(t, l, NULL, 0), SL_ECORRUPT);
		free(t);
	}
	free(obj);
}
END_TEST

/* Recomputes index, object and footer CRCs after a deliberate edit, so only
 * the structural checks can catch it. */
static void reseal(uint8_t *obj, size_t len)
{
	uint8_t *ftr = obj + len - OBJECT_FOOTER_BYTES;
	uint64_t ipos = be64_get(ftr + OBJECT_FTR_OFF_INDEX_POS);
	uint32_t isize = be32_get(ftr + OBJECT_FTR_OFF_INDEX_SIZE);
	be32_put(ftr + OBJECT_FTR_OFF_INDEX_CRC, crc32c(obj + ipos, isize));
	be32_put(ftr + OBJECT_FTR_OFF_OBJECT_CRC,
		 crc32c(obj, len - OBJECT_FOOTER_BYTES));
	be32_put(ftr + OBJECT_FTR_OFF_FOOTER_CRC,
		 crc32c(ftr, OBJECT_FTR_OFF_FOOTER_CRC));
}

/* Entry i's bytes in a golden object buffer. */
static uint8_t *golden_entry(uint8_t *obj, int i)
{
	return obj + 215 + (size_t)i * OBJECT_INDEX_ENTRY_BYTES;
}

/* Asserts that verify fails on obj with a message containing what. */
static void expect_corrupt(const uint8_t *obj, size_t len, const char *what)
{
	char err[256] = "";
	ck_assert_int_eq(object_verify(obj, len, err, sizeof err), SL_ECORRUPT);
	ck_assert_msg(strstr(err, what) != NULL, "'%s' does not say '%s'", err,
		      what);
}

START_TEST(test_structural_corruption)
{
	uint8_t obj[512];
	size_t len;

	/* index entries swapped: out of order, blocks not in sequence */
	len = golden_object(obj);
	uint8_t tmp[OBJECT_INDEX_ENTRY_BYTES];
	memcpy(tmp, golden_entry(obj, 0), sizeof tmp);
	memcpy(golden_entry(obj, 0), golden_entry(obj, 1), sizeof tmp);
	memcpy(golden_entry(obj, 1), tmp, sizeof tmp);
	reseal(obj, len);
	expect_corrupt(obj, len, "index entry 0");

	/* second entry claims stream 5 as well, overlapping the first */
	len = golden_object(obj);
	be64_put(golden_entry(obj, 1) + OBJECT_IDX_OFF_STREAM_ID, 5);
	be64_put(golden_entry(obj, 1) + OBJECT_IDX_OFF_START_OFFSET, 2);
	reseal(obj, len);
	expect_corrupt(obj, len, "overlapping");

	/* stream ids going down */
	len = golden_object(obj);
	be64_put(golden_entry(obj, 1) + OBJECT_IDX_OFF_STREAM_ID, 4);
	reseal(obj, len);
	expect_corrupt(obj, len, "streams out of order");

	/* a per-stream object with two streams */
	len = golden_object(obj);
	be16_put(obj + len - OBJECT_FOOTER_BYTES + OBJECT_FTR_OFF_FLAGS, 0);
	reseal(obj, len);
	expect_corrupt(obj, len, "per-stream");

	/* wrong block CRC in the index */
	len = golden_object(obj);
	be32_put(golden_entry(obj, 1) + OBJECT_IDX_OFF_BLOCK_CRC, 0x12345678);
	reseal(obj, len);
	expect_corrupt(obj, len, "block CRC mismatch");

	/* a batch's own CRC wrong, block CRC made to match */
	len = golden_object(obj);
	obj[sizeof batch_a + 67] ^= 0x40; /* batch B's value "c" */
	be32_put(golden_entry(obj, 0) + OBJECT_IDX_OFF_BLOCK_CRC,
		 crc32c(obj, sizeof batch_a + sizeof batch_b));
	reseal(obj, len);
	expect_corrupt(obj, len, "batch 1 at +77: batch CRC mismatch");

	/* the index lies about the block's end offset, count, time */
	len = golden_object(obj);
	be64_put(golden_entry(obj, 0) + OBJECT_IDX_OFF_END_OFFSET, 4);
	reseal(obj, len);
	expect_corrupt(obj, len, "batches end at offset 3");
	len = golden_object(obj);
	be32_put(golden_entry(obj, 0) + OBJECT_IDX_OFF_RECORD_COUNT, 2);
	reseal(obj, len);
	expect_corrupt(obj, len, "records");
	len = golden_object(obj);
	be64_put(golden_entry(obj, 0) + OBJECT_IDX_OFF_MAX_TIMESTAMP, 1001);
	reseal(obj, len);
	expect_corrupt(obj, len, "max timestamp");
	len = golden_object(obj);
	be64_put(golden_entry(obj, 1) + OBJECT_IDX_OFF_START_OFFSET, 99);
	reseal(obj, len);
	expect_corrupt(obj, len, "first batch does not start the block");

	/* batch B rewritten to overlap batch A inside the block */
	len = golden_object(obj);
	be64_put(obj + sizeof batch_a, 1);
	be32_put(golden_entry(obj, 0) + OBJECT_IDX_OFF_BLOCK_CRC,
		 crc32c(obj, sizeof batch_a + sizeof batch_b));
	reseal(obj, len);
	expect_corrupt(obj, len, "batch offsets out of order");

	/* a block size that leaves a gap before the next block */
	len = golden_object(obj);
	be32_put(golden_entry(obj, 0) + OBJECT_IDX_OFF_SIZE, 145);
	reseal(obj, len);
	expect_corrupt(obj, len, "index entry 1: blocks do not follow");

	/* object CRC alone wrong: caught even though all else matches */
	len = golden_object(obj);
	be32_put(obj + len - OBJECT_FOOTER_BYTES + OBJECT_FTR_OFF_OBJECT_CRC, 1);
	be32_put(obj + len - OBJECT_FOOTER_BYTES + OBJECT_FTR_OFF_FOOTER_CRC,
		 crc32c(obj + len - OBJECT_FOOTER_BYTES, OBJECT_FTR_OFF_FOOTER_CRC));
	expect_corrupt(obj, len, "object CRC mismatch");

	/* unknown version and flags */
	len = golden_object(obj);
	be16_put(obj + len - OBJECT_FOOTER_BYTES + OBJECT_FTR_OFF_VERSION, 2);
	reseal(obj, len);
	expect_corrupt(obj, len, "unsupported format version");
	len = golden_object(obj);
	be16_put(obj + len - OBJECT_FOOTER_BYTES + OBJECT_FTR_OFF_FLAGS, 3);
	reseal(obj, len);
	expect_corrupt(obj, len, "unknown flags");

	/* bytes appended after the footer: no footer at the end any more */
	len = golden_object(obj);
	obj[len] = 0;
	expect_corrupt(obj, len + 1, "bad magic");
	/* a footer copied onto a longer object: geometry disagrees */
	len = golden_object(obj);
	memmove(obj + len - OBJECT_FOOTER_BYTES + 1, obj + len - OBJECT_FOOTER_BYTES,
		OBJECT_FOOTER_BYTES);
	expect_corrupt(obj, len + 1, "do not fit the object size");
}
END_TEST

/* ---- tail reads ---------------------------------------------------------- */

START_TEST(test_short_tail_guess)
{
	rng_state = 99;
	struct in_batch *in = random_batches(200, 30, 400);
	size_t len;
	uint8_t *obj = build(in, 200, 3, OBJECT_FLAG_STREAM_SET, 1000, &len);
	free_batches(in, 200);
	struct object_footer f;
	char err[256];
	ck_assert_int_eq(object_footer_parse(obj, len, len, &f, err, sizeof err), 0);
	size_t need = f.index_size + OBJECT_FOOTER_BYTES;
	ck_assert_uint_gt(f.entry_count, 20);

	size_t guesses[] = {OBJECT_FOOTER_BYTES, 100, need - 1, need, need + 1,
			    len};
	for (size_t g = 0; g < sizeof guesses / sizeof guesses[0]; g++) {
		size_t tl = guesses[g];
		/* the tail in a buffer of its own, as a ranged GET gives it */
		uint8_t *tail = malloc(tl);
		memcpy(tail, obj + len - tl, tl);
		struct object_footer tf;
		ck_assert_int_eq(object_footer_parse(tail, tl, len, &tf, err,
						     sizeof err), 0);
		ck_assert_uint_eq(tf.index_pos, f.index_pos);
		ck_assert_uint_eq(tf.index_size, f.index_size);
		ck_assert_uint_eq(tf.entry_count, f.entry_count);
		ck_assert_uint_eq(tf.object_id, 3);
		ck_assert_uint_eq(tf.index_crc, f.index_crc);
		ck_assert_uint_eq(tf.object_crc, f.object_crc);
		const uint8_t *index = object_footer_index_in_tail(&tf, tail, tl);
		if (tl < need) {
			ck_assert_ptr_null(index);
			index = obj + tf.index_pos; /* the second GET */
		} else {
			ck_assert_ptr_eq(index, tail + tl - need);
		}
		struct object_index_entry *e;
		size_t n;
		ck_assert_int_eq(object_index_parse(index, tf.index_size, &tf,
						    &e, &n, err, sizeof err), 0);
		ck_assert_uint_eq(n, f.entry_count);
		free(e);
		free(tail);
	}
	/* too short for a footer; longer than the object; wrong size */
	ck_assert_int_eq(object_footer_parse(obj, 47, len, &f, NULL, 0), SL_EINVAL);
	ck_assert_int_eq(object_footer_parse(obj, len, len - 1, &f, NULL, 0),
			 SL_EINVAL);
	ck_assert_int_eq(object_footer_parse(obj + 1, len - 1, len - 1, &f, err,
					     sizeof err), SL_ECORRUPT);
	ck_assert_int_eq(object_footer_parse(obj, len, len + 1, &f, err,
					     sizeof err), SL_ECORRUPT);
	/* an index of the wrong length, or with a flipped bit */
	ck_assert_int_eq(object_footer_parse(obj, len, len, &f, NULL, 0), 0);
	struct object_index_entry *e;
	size_t n;
	ck_assert_int_eq(object_index_parse(obj + f.index_pos, f.index_size - 1,
					    &f, &e, &n, NULL, 0), SL_ECORRUPT);
	obj[f.index_pos + 3] ^= 4;
	ck_assert_int_eq(object_index_parse(obj + f.index_pos, f.index_size, &f,
					    &e, &n, err, sizeof err), SL_ECORRUPT);
	ck_assert_str_eq(err, "index CRC mismatch");
	free(obj);
}
END_TEST

/* ---- lookups --------------------------------------------------------------- */

START_TEST(test_index_find)
{
	static const struct object_index_entry e[] = {
		{.stream_id = 1, .start_offset = 0, .end_offset = 10, .max_timestamp = 50},
		{.stream_id = 1, .start_offset = 10, .end_offset = 20, .max_timestamp = 40},
		{.stream_id = 1, .start_offset = 25, .end_offset = 30, .max_timestamp = 90},
		{.stream_id = 3, .start_offset = 5, .end_offset = 6, .max_timestamp = 10},
	};
	static const struct {
		uint64_t stream;
		int64_t offset;
		int want; /* index into e, -1 for NULL */
	} cases[] = {
		{1, INT64_MIN, 0}, {1, -1, 0}, {1, 0, 0}, {1, 9, 0}, {1, 10, 1},
		{1, 19, 1}, {1, 20, 2}, {1, 24, 2}, {1, 25, 2}, {1, 29, 2},
		{1, 30, -1}, {1, INT64_MAX, -1}, {0, 0, -1}, {0, INT64_MAX, -1},
		{2, 0, -1}, {3, 0, 3}, {3, 5, 3}, {3, 6, -1}, {4, 0, -1},
		{UINT64_MAX, 0, -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct object_index_entry *got =
			object_index_find(e, 4, cases[i].stream, cases[i].offset);
		const struct object_index_entry *want =
			cases[i].want < 0 ? NULL : &e[cases[i].want];
		ck_assert_msg(got == want, "case %zu: stream %" PRIu64
			      " offset %" PRId64, i, cases[i].stream,
			      cases[i].offset);
	}
	ck_assert_ptr_null(object_index_find(NULL, 0, 1, 0));
	ck_assert_ptr_eq(object_index_find(e, 1, 1, 5), &e[0]);
	ck_assert_ptr_null(object_index_find(e, 1, 1, 10));

	/* by time: the first block of the stream reaching the timestamp,
	 * even when a later block's maximum is lower */
	ck_assert_ptr_eq(object_index_find_time(e, 4, 1, 0), &e[0]);
	ck_assert_ptr_eq(object_index_find_time(e, 4, 1, 45), &e[0]);
	ck_assert_ptr_eq(object_index_find_time(e, 4, 1, 50), &e[0]);
	ck_assert_ptr_eq(object_index_find_time(e, 4, 1, 51), &e[2]);
	ck_assert_ptr_null(object_index_find_time(e, 4, 1, 91));
	ck_assert_ptr_eq(object_index_find_time(e, 4, 3, 10), &e[3]);
	ck_assert_ptr_null(object_index_find_time(e, 4, 3, 11));
	ck_assert_ptr_null(object_index_find_time(e, 4, 2, 0));
	ck_assert_ptr_null(object_index_find_time(e, 4, 4, 0));
}
END_TEST

START_TEST(test_object_key)
{
	/* hash bytes computed independently from the documented mix */
	static const struct {
		uint64_t id;
		const char *key;
	} cases[] = {
		{0, "o/00/0000000000000000"},
		{1, "o/e5/0000000000000001"},
		{2, "o/8a/0000000000000002"},
		{42, "o/22/000000000000002a"},
		{UINT64_MAX, "o/7b/ffffffffffffffff"},
	};
	char buf[OBJECT_KEY_MAX];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(object_key(cases[i].id, buf, sizeof buf), 21);
		ck_assert_str_eq(buf, cases[i].key);
		uint64_t id = 7;
		ck_assert_int_eq(object_key_parse(cases[i].key, &id), 0);
		ck_assert_uint_eq(id, cases[i].id);
	}
	ck_assert_int_eq(object_key(1, buf, OBJECT_KEY_MAX - 1), SL_EINVAL);
	static const char *bad[] = {
		"o/e4/0000000000000001", /* wrong hash */
		"o/E5/0000000000000001", /* uppercase */
		"o/e5/000000000000001",  /* short */
		"o/e5/00000000000000001", "x/e5/0000000000000001",
		"o/e5-0000000000000001", "o/e5/000000000000000g", "",
	};
	uint64_t id;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(object_key_parse(bad[i], &id) == SL_EINVAL, "%s",
			      bad[i]);

	/* ids in sequence spread over the prefixes */
	int seen[256] = {0}, used = 0;
	for (uint64_t i = 1; i <= 1024; i++) {
		object_key(i, buf, sizeof buf);
		unsigned h = (unsigned)strtoul(buf + 2, NULL, 16);
		used += !seen[h];
		seen[h] = 1;
	}
	ck_assert_int_gt(used, 240);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("object_format");
	TCase *tc = tcase_create("format");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_golden_build);
	tcase_add_test(tc, test_golden_parse);
	tcase_add_loop_test(tc, test_round_trip_random, 0, 50);
	tcase_add_test(tc, test_block_cutting);
	tcase_add_test(tc, test_empty_object);
	tcase_add_test(tc, test_builder_rejects);
	tcase_add_test(tc, test_every_bit_flip_detected);
	tcase_add_test(tc, test_every_truncation_detected);
	tcase_add_test(tc, test_structural_corruption);
	tcase_add_test(tc, test_short_tail_guess);
	tcase_add_test(tc, test_index_find);
	tcase_add_test(tc, test_object_key);
	suite_add_tcase(s, tc);
	return s;
}
