/*
 * Test helpers shared by the compactd unit tests: RecordBatch v2 bytes
 * written field by field here (not with compactd's code), and a reader
 * that lists a batch's records through common/record_batch.h.
 */
#ifndef SLUICE_TEST_COMPACTD_BATCHES_H
#define SLUICE_TEST_COMPACTD_BATCHES_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/codec.h"
#include "common/crc32c.h"
#include "common/record_batch.h"

/* One record to write: key/value NULL for null. */
struct tb_rec {
	int32_t offset_delta;
	int64_t ts_delta;
	const char *key;
	const char *value;
};

struct tb_buf {
	uint8_t *p;
	size_t len, cap;
};

static inline void tb_put(struct tb_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static inline void tb_varint(struct tb_buf *b, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	uint8_t c;
	while (z >= 0x80) {
		c = (uint8_t)(z | 0x80);
		tb_put(b, &c, 1);
		z >>= 7;
	}
	c = (uint8_t)z;
	tb_put(b, &c, 1);
}

/* A nullable string field: length varint and bytes. */
static inline void tb_field(struct tb_buf *b, const char *s)
{
	if (!s) {
		tb_varint(b, -1);
		return;
	}
	tb_varint(b, (int64_t)strlen(s));
	tb_put(b, s, strlen(s));
}

/* A batch at base_offset with n records; last_delta is LastOffsetDelta
 * (>= the last record's offset delta); attrs carries the codec and flags.
 * Returns malloc'd bytes, *len set. */
static inline uint8_t *tb_batch(int64_t base_offset, int64_t base_ts, uint16_t attrs,
			 int32_t last_delta, const struct tb_rec *recs, int n,
			 size_t *len)
{
	struct tb_buf body = {0};
	int64_t max_ts = base_ts;
	for (int i = 0; i < n; i++) {
		struct tb_buf r = {0};
		uint8_t zero = 0;
		tb_put(&r, &zero, 1);
		tb_varint(&r, recs[i].ts_delta);
		tb_varint(&r, recs[i].offset_delta);
		tb_field(&r, recs[i].key);
		tb_field(&r, recs[i].value);
		tb_varint(&r, 1);
		tb_field(&r, "h");
		tb_field(&r, "v");
		tb_varint(&body, (int64_t)r.len);
		tb_put(&body, r.p, r.len);
		free(r.p);
		if (base_ts + recs[i].ts_delta > max_ts)
			max_ts = base_ts + recs[i].ts_delta;
	}
	uint8_t *packed = NULL;
	size_t packed_len = body.len;
	int codec = attrs & RB_ATTR_CODEC_MASK;
	if (codec) {
		ck_assert_int_eq(codec_compress(codec, body.p, body.len, &packed,
						&packed_len), 0);
	}
	size_t total = RB_HEADER_BYTES + packed_len;
	uint8_t *p = calloc(1, total);
	ck_assert_ptr_nonnull(p);
	memcpy(p + RB_HEADER_BYTES, codec ? packed : body.p, packed_len);
	be64_put(p + RB_OFF_BASE_OFFSET, (uint64_t)base_offset);
	be32_put(p + RB_OFF_BATCH_LENGTH, (uint32_t)(total - RB_LENGTH_FIELD_END));
	p[RB_OFF_MAGIC] = 2;
	be16_put(p + RB_OFF_ATTRIBUTES, attrs);
	be32_put(p + RB_OFF_LAST_OFFSET_DELTA, (uint32_t)last_delta);
	be64_put(p + RB_OFF_BASE_TIMESTAMP, (uint64_t)base_ts);
	be64_put(p + RB_OFF_MAX_TIMESTAMP, (uint64_t)max_ts);
	be64_put(p + RB_OFF_PRODUCER_ID, (uint64_t)-1);
	be16_put(p + RB_OFF_PRODUCER_EPOCH, (uint16_t)-1);
	be32_put(p + RB_OFF_BASE_SEQUENCE, (uint32_t)-1);
	be32_put(p + RB_OFF_RECORD_COUNT, (uint32_t)n);
	be32_put(p + RB_OFF_CRC, crc32c(p + RB_OFF_ATTRIBUTES, total - RB_OFF_ATTRIBUTES));
	free(body.p);
	free(packed);
	*len = total;
	return p;
}

/* A plain batch of n records with keys "k<base+i>", values "v<base+i>",
 * consecutive offsets and timestamps ts + i. */
static inline uint8_t *tb_simple(int64_t base_offset, int64_t ts, int n, size_t *len)
{
	struct tb_rec *r = calloc((size_t)n, sizeof *r);
	char (*kv)[2][32] = calloc((size_t)n, sizeof *kv);
	ck_assert(r && kv);
	for (int i = 0; i < n; i++) {
		snprintf(kv[i][0], 32, "k%lld", (long long)(base_offset + i));
		snprintf(kv[i][1], 32, "v%lld", (long long)(base_offset + i));
		r[i] = (struct tb_rec){i, i, kv[i][0], kv[i][1]};
	}
	uint8_t *b = tb_batch(base_offset, ts, 0, n - 1, r, n, len);
	free(r);
	free(kv);
	return b;
}

/* A record as read back: offset, key and value ("" for null: -1 length). */
struct tb_got {
	int64_t offset;
	int64_t ts;
	char key[32], value[32];
	int key_null, value_null;
};

/* Reads the records of batch[0..len) into got (at most max); checks the
 * CRC and the header against what a compacted batch must keep.  Returns
 * the count. */
static inline int tb_read(const uint8_t *batch, size_t len, struct tb_got *got, int max)
{
	ck_assert_uint_ge(len, RB_HEADER_BYTES);
	ck_assert_uint_eq(be32_get(batch + RB_OFF_CRC),
			  crc32c(batch + RB_OFF_ATTRIBUTES, len - RB_OFF_ATTRIBUTES));
	ck_assert_uint_eq(be32_get(batch + RB_OFF_BATCH_LENGTH), len - RB_LENGTH_FIELD_END);
	int64_t base = (int64_t)be64_get(batch + RB_OFF_BASE_OFFSET);
	int64_t base_ts = (int64_t)be64_get(batch + RB_OFF_BASE_TIMESTAMP);
	int32_t count = (int32_t)be32_get(batch + RB_OFF_RECORD_COUNT);
	const uint8_t *recs;
	size_t recs_len;
	uint8_t *owned;
	ck_assert_int_eq(record_batch_records(batch, len, &recs, &recs_len, &owned), 0);
	struct record_batch_iter it;
	struct record_batch_record r;
	int n = 0, rc;
	record_batch_iter_init(&it, recs, recs_len, count);
	while ((rc = record_batch_iter_next(&it, &r)) == 1) {
		ck_assert_int_lt(n, max);
		struct tb_got *g = &got[n++];
		memset(g, 0, sizeof *g);
		g->offset = base + r.offset_delta;
		g->ts = base_ts + r.timestamp_delta;
		g->key_null = r.key_len < 0;
		g->value_null = r.value_len < 0;
		if (r.key_len > 0)
			memcpy(g->key, r.key, (size_t)r.key_len < 31 ? (size_t)r.key_len : 31);
		if (r.value_len > 0)
			memcpy(g->value, r.value,
			       (size_t)r.value_len < 31 ? (size_t)r.value_len : 31);
	}
	ck_assert_int_eq(rc, 0);
	free(owned);
	return n;
}

#endif
