/*
 * Keeping the latest record per key in the batches of a compacted stream
 * (rules in compacted.h).  Works on one batch at a time; a rebuilt batch
 * is a new buffer the caller owns.  Pure: the time comes in the params.
 */
#include "compactd/compacted.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/codec.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/record_batch.h"
#include "compactd/keymap.h"

/* The batch's fields the selection needs. */
struct compacted_batch {
	int64_t base_offset;
	int64_t base_timestamp;
	int64_t max_timestamp;
	int64_t end;             /* last offset + 1 */
	uint16_t attributes;
	int32_t record_count;
};

/* Reads the header of batch[0..len); -1 when too short to be one. */
static int compacted_header(const uint8_t *batch, size_t len,
			    struct compacted_batch *b)
{
	if (len < RB_HEADER_BYTES)
		return -1;
	b->base_offset = (int64_t)be64_get(batch + RB_OFF_BASE_OFFSET);
	b->base_timestamp = (int64_t)be64_get(batch + RB_OFF_BASE_TIMESTAMP);
	b->max_timestamp = (int64_t)be64_get(batch + RB_OFF_MAX_TIMESTAMP);
	b->attributes = be16_get(batch + RB_OFF_ATTRIBUTES);
	b->record_count = (int32_t)be32_get(batch + RB_OFF_RECORD_COUNT);
	b->end = b->base_offset +
		 (int32_t)be32_get(batch + RB_OFF_LAST_OFFSET_DELTA) + 1;
	return 0;
}

/* Whether the batch is left whole whatever its records are. */
static int compacted_untouchable(const struct compacted_batch *b,
				 const struct compacted_params *p)
{
	return (b->attributes & (RB_ATTR_CONTROL | RB_ATTR_TRANSACTIONAL)) ||
	       b->end == p->last_batch_end;
}

/* A record's timestamp: its own, or the batch's under LogAppendTime. */
static int64_t compacted_ts(const struct compacted_batch *b,
			    const struct record_batch_record *r)
{
	if (b->attributes & RB_ATTR_LOG_APPEND_TIME)
		return b->max_timestamp;
	return b->base_timestamp + r->timestamp_delta;
}

/* Whether a record is too young to be touched (min.compaction.lag.ms). */
static int compacted_young(const struct compacted_params *p, int64_t ts)
{
	return p->now_ms - ts < p->min_compaction_lag_ms;
}

int compacted_scan(struct keymap *m, const uint8_t *batch, size_t len)
{
	struct compacted_batch b;
	if (compacted_header(batch, len, &b) < 0)
		return SL_ECORRUPT;
	if (b.attributes & (RB_ATTR_CONTROL | RB_ATTR_TRANSACTIONAL))
		return 0;
	const uint8_t *recs;
	size_t recs_len;
	uint8_t *owned;
	int rc = record_batch_records(batch, len, &recs, &recs_len, &owned);
	if (rc)
		return rc == SL_ENOMEM ? rc : SL_ECORRUPT;
	struct record_batch_iter it;
	struct record_batch_record r;
	record_batch_iter_init(&it, recs, recs_len, b.record_count);
	while ((rc = record_batch_iter_next(&it, &r)) == 1) {
		if (r.key_len < 0)
			continue;
		rc = keymap_put(m, r.key, (size_t)r.key_len, b.base_offset + r.offset_delta);
		if (rc)
			break;
	}
	free(owned);
	return rc < 0 ? SL_ECORRUPT : rc;
}

/* Whether record r (at offset) stays. */
static int compacted_keep(const struct keymap *m, const struct compacted_params *p,
			  const struct compacted_batch *b,
			  const struct record_batch_record *r,
			  struct compacted_stats *st)
{
	int64_t offset = b->base_offset + r->offset_delta;
	int64_t ts = compacted_ts(b, r);
	int64_t latest;
	if (r->key_len < 0 || compacted_young(p, ts) ||
	    !keymap_get(m, r->key, (size_t)r->key_len, &latest))
		return 1;
	if (latest > offset)
		return 0;
	if (r->value_len < 0 && offset < p->prefix_end &&
	    p->now_ms - ts >= p->delete_retention_ms) {
		st->tombstones_dropped++;
		return 0;
	}
	return 1;
}

/* Builds the batch of the kept records recs[0..len) (count of them, the
 * largest timestamp max_ts) under the header of the original. */
static int compacted_rebuild(const uint8_t *batch, const struct compacted_batch *b,
			     const uint8_t *kept, size_t kept_len, int32_t count,
			     int64_t max_ts, uint8_t **out, size_t *out_len)
{
	int codec = b->attributes & RB_ATTR_CODEC_MASK;
	uint8_t *packed = NULL;
	const uint8_t *body = kept;
	size_t body_len = kept_len;
	if (codec != CODEC_NONE) {
		int rc = codec_compress(codec, kept, kept_len, &packed, &body_len);
		if (rc)
			return rc == SL_ENOMEM ? rc : SL_ECORRUPT;
		body = packed;
	}
	size_t len = RB_HEADER_BYTES + body_len;
	uint8_t *p = len - RB_LENGTH_FIELD_END <= INT32_MAX ? malloc(len) : NULL;
	if (!p) {
		free(packed);
		return SL_ENOMEM;
	}
	memcpy(p, batch, RB_HEADER_BYTES);
	memcpy(p + RB_HEADER_BYTES, body, body_len);
	free(packed);
	be32_put(p + RB_OFF_BATCH_LENGTH, (uint32_t)(len - RB_LENGTH_FIELD_END));
	be32_put(p + RB_OFF_RECORD_COUNT, (uint32_t)count);
	if (!(b->attributes & RB_ATTR_LOG_APPEND_TIME))
		be64_put(p + RB_OFF_MAX_TIMESTAMP, (uint64_t)max_ts);
	be32_put(p + RB_OFF_CRC, crc32c(p + RB_OFF_ATTRIBUTES, len - RB_OFF_ATTRIBUTES));
	*out = p;
	*out_len = len;
	return 0;
}

int compacted_filter(const struct keymap *m, const struct compacted_params *p,
		     const uint8_t *batch, size_t len, const uint8_t **out,
		     size_t *out_len, uint8_t **owned, struct compacted_stats *st)
{
	struct compacted_batch b;
	*owned = NULL;
	if (compacted_header(batch, len, &b) < 0)
		return SL_ECORRUPT;
	if (compacted_untouchable(&b, p)) {
		*out = batch;
		*out_len = len;
		st->records_in += (uint64_t)b.record_count;
		st->records_kept += (uint64_t)b.record_count;
		return 0;
	}
	const uint8_t *recs;
	size_t recs_len;
	uint8_t *dec;
	int rc = record_batch_records(batch, len, &recs, &recs_len, &dec);
	if (rc) {
		free(dec);
		return rc == SL_ENOMEM ? rc : SL_ECORRUPT;
	}
	/* kept records, copied whole: their deltas stay valid because the
	 * batch keeps its BaseOffset and BaseTimestamp */
	uint8_t *kept = malloc(recs_len ? recs_len : 1);
	size_t kept_len = 0;
	int32_t count = 0, total = 0;
	int64_t max_ts = INT64_MIN;
	struct record_batch_iter it;
	struct record_batch_record r;
	if (!kept) {
		free(dec);
		return SL_ENOMEM;
	}
	record_batch_iter_init(&it, recs, recs_len, b.record_count);
	while ((rc = record_batch_iter_next(&it, &r)) == 1) {
		total++;
		if (!compacted_keep(m, p, &b, &r, st))
			continue;
		memcpy(kept + kept_len, r.raw, r.raw_len);
		kept_len += r.raw_len;
		count++;
		int64_t ts = compacted_ts(&b, &r);
		if (ts > max_ts)
			max_ts = ts;
	}
	if (rc < 0) {
		free(dec);
		free(kept);
		return SL_ECORRUPT;
	}
	st->records_in += (uint64_t)total;
	st->records_kept += (uint64_t)count;
	rc = 0;
	if (count == total) {
		*out = batch;
		*out_len = len;
	} else if (count == 0) {
		*out = NULL;
		*out_len = 0;
		st->batches_dropped++;
	} else {
		rc = compacted_rebuild(batch, &b, kept, kept_len, count, max_ts,
				       owned, out_len);
		*out = rc ? NULL : *owned;
		if (!rc)
			st->batches_rebuilt++;
	}
	free(dec);
	free(kept);
	return rc;
}
