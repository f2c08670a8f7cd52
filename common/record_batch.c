/*
 * The records inside a RecordBatch v2 (see record_batch.h): decompressing
 * the records section and walking its records with every length checked
 * against the bytes that are there.  No state, no allocation except the
 * decompressed copy the caller owns; safe from any thread.
 */
#include "common/record_batch.h"

#include "common/bytes.h"
#include "common/codec.h"
#include "common/errors.h"

/* A bounds-checked cursor over one record; failed is sticky. */
struct rb_cursor {
	const uint8_t *p, *end;
	int failed;
};

/* Unsigned LEB128 of at most max_bytes bytes (0 after a failure). */
static uint64_t rb_uleb(struct rb_cursor *c, int max_bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < max_bytes && !c->failed; i++) {
		if (c->p >= c->end)
			break;
		uint8_t b = *c->p++;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return v;
	}
	c->failed = 1;
	return 0;
}

/* A zigzag varint that fits 32 bits, as Kafka writes lengths and deltas. */
static int32_t rb_varint(struct rb_cursor *c)
{
	uint64_t v = rb_uleb(c, 5);
	if (v > UINT32_MAX) {
		c->failed = 1;
		return 0;
	}
	uint32_t u = (uint32_t)v;
	return (int32_t)((u >> 1) ^ (~(u & 1) + 1));
}

/* A zigzag varlong (the timestamp delta). */
static int64_t rb_varlong(struct rb_cursor *c)
{
	uint64_t v = rb_uleb(c, 10);
	return (int64_t)((v >> 1) ^ (~(v & 1) + 1));
}

/* Skips len bytes (-1 allowed when nullable); returns where they start. */
static const uint8_t *rb_skip(struct rb_cursor *c, int32_t len, int nullable)
{
	if (c->failed || len < -1 || (len == -1 && !nullable) ||
	    (len > 0 && (size_t)(c->end - c->p) < (size_t)len)) {
		c->failed = 1;
		return NULL;
	}
	if (len < 0)
		return NULL;
	const uint8_t *at = c->p;
	c->p += len;
	return at;
}

int record_batch_records(const uint8_t *p, size_t len, const uint8_t **recs,
			 size_t *recs_len, uint8_t **owned)
{
	int codec = be16_get(p + RB_OFF_ATTRIBUTES) & RB_ATTR_CODEC_MASK;
	*owned = NULL;
	if (codec == CODEC_NONE) {
		*recs = p + RB_HEADER_BYTES;
		*recs_len = len - RB_HEADER_BYTES;
		return 0;
	}
	int rc = codec_decompress(codec, p + RB_HEADER_BYTES, len - RB_HEADER_BYTES,
				  owned, recs_len, RB_RECORDS_MAX_BYTES);
	*recs = *owned;
	return rc;
}

void record_batch_iter_init(struct record_batch_iter *it, const uint8_t *recs,
			    size_t len, int32_t count)
{
	it->p = recs;
	it->end = recs + len;
	it->left = count;
	it->index = 0;
	it->last_delta = -1;
}

int record_batch_iter_next(struct record_batch_iter *it,
			   struct record_batch_record *rec)
{
	if (it->left <= 0)
		return it->left == 0 && it->p == it->end ? 0 : -1;
	struct rb_cursor c = {it->p, it->end, 0};
	int32_t rec_len = rb_varint(&c);
	if (c.failed || rec_len < 0 || (size_t)(c.end - c.p) < (size_t)rec_len)
		return -1;
	const uint8_t *rec_end = c.p + rec_len;
	c.end = rec_end;
	rec->raw = it->p;
	rec->raw_len = (size_t)(rec_end - it->p);
	(void)rb_skip(&c, 1, 0); /* attributes */
	rec->timestamp_delta = rb_varlong(&c);
	rec->offset_delta = rb_varint(&c);
	rec->key_len = rb_varint(&c);
	rec->key = rb_skip(&c, rec->key_len, 1);
	rec->value_len = rb_varint(&c);
	rec->value = rb_skip(&c, rec->value_len, 1);
	rec->header_count = rb_varint(&c);
	if (rec->header_count < 0)
		return -1;
	for (int32_t h = 0; h < rec->header_count && !c.failed; h++) {
		(void)rb_skip(&c, rb_varint(&c), 0);
		(void)rb_skip(&c, rb_varint(&c), 1);
	}
	if (c.failed || c.p != rec_end || rec->offset_delta <= it->last_delta)
		return -1;
	it->last_delta = rec->offset_delta;
	it->p = rec_end;
	it->left--;
	it->index++;
	return 1;
}
