/*
 * RecordBatch v2 validation and in-place patching (see record_batch.h).
 * The broker never re-encodes a batch: compressed batches are stored and
 * served byte for byte; only BaseOffset (outside the CRC) is rewritten, and
 * for LogAppendTime topics the timestamp fields (with a new CRC).  To read
 * the records of a compressed batch (validation, timestamp lookup) a copy
 * of them is decompressed and dropped afterwards, as Kafka does on produce.
 */
#include "record_batch.h"

#include <stdlib.h>

#include "common/bytes.h"
#include "common/codec.h"
#include "common/crc32c.h"
#include "common/errors.h"

int64_t record_batch_size(const uint8_t *p, size_t avail)
{
	if (avail < RB_LENGTH_FIELD_END)
		return -1;
	int32_t bl = (int32_t)be32_get(p + RB_OFF_BATCH_LENGTH);
	if (bl < 0)
		return -1;
	return (int64_t)bl + RB_LENGTH_FIELD_END;
}

/* Walks count records laid out in recs[0..len) (the bytes after the batch
 * header, decompressed if need be) with common/record_batch.h's iterator;
 * on each record calls fn (may be NULL), which stops the walk by returning
 * nonzero.  strict also requires offset deltas 0, 1, 2... (a produced
 * batch); without it they only ascend (a batch compactd compacted).
 * Returns 0, or -1 when the records do not parse or their count or offset
 * deltas are inconsistent. */
static int record_batch_walk(const uint8_t *recs, size_t len, int32_t count,
			     int strict,
			     int (*fn)(void *arg, int64_t ts_delta,
				       int32_t offset_delta),
			     void *arg)
{
	struct record_batch_iter it;
	struct record_batch_record rec;
	int rc;
	record_batch_iter_init(&it, recs, len, count);
	while ((rc = record_batch_iter_next(&it, &rec)) == 1) {
		if (strict && rec.offset_delta != it.index - 1)
			return -1;
		if (fn && fn(arg, rec.timestamp_delta, rec.offset_delta))
			return 0;
	}
	return rc;
}

int record_batch_validate(const uint8_t *p, size_t len, struct record_batch_info *info)
{
	if (len < RB_HEADER_BYTES)
		return KERR_CORRUPT_MESSAGE;
	if (record_batch_size(p, len) != (int64_t)len)
		return KERR_CORRUPT_MESSAGE;
	if (p[RB_OFF_MAGIC] != 2)
		return KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT;
	if (be32_get(p + RB_OFF_CRC) !=
	    crc32c(p + RB_OFF_ATTRIBUTES, len - RB_OFF_ATTRIBUTES))
		return KERR_CORRUPT_MESSAGE;
	info->batch_length = (int32_t)(len - RB_LENGTH_FIELD_END);
	info->attributes = be16_get(p + RB_OFF_ATTRIBUTES);
	info->last_offset_delta = (int32_t)be32_get(p + RB_OFF_LAST_OFFSET_DELTA);
	info->base_timestamp = (int64_t)be64_get(p + RB_OFF_BASE_TIMESTAMP);
	info->max_timestamp = (int64_t)be64_get(p + RB_OFF_MAX_TIMESTAMP);
	info->producer_id = (int64_t)be64_get(p + RB_OFF_PRODUCER_ID);
	info->producer_epoch = (int16_t)be16_get(p + RB_OFF_PRODUCER_EPOCH);
	info->base_sequence = (int32_t)be32_get(p + RB_OFF_BASE_SEQUENCE);
	info->record_count = (int32_t)be32_get(p + RB_OFF_RECORD_COUNT);
	if (info->record_count <= 0 ||
	    info->last_offset_delta != info->record_count - 1)
		return KERR_INVALID_RECORD;
	int codec = info->attributes & RB_ATTR_CODEC_MASK;
	if (codec > 4)
		return KERR_UNSUPPORTED_COMPRESSION_TYPE;
	const uint8_t *recs;
	size_t recs_len;
	uint8_t *owned;
	int rc = record_batch_records(p, len, &recs, &recs_len, &owned);
	if (rc == SL_ENOMEM)
		return KERR_KAFKA_STORAGE_ERROR; /* retriable: memory comes back */
	if (rc == 0 && record_batch_walk(recs, recs_len, info->record_count, 1,
					 NULL, NULL) < 0)
		rc = SL_ECORRUPT;
	free(owned);
	return rc ? KERR_CORRUPT_MESSAGE : 0;
}

void record_batch_set_base_offset(uint8_t *p, int64_t base_offset)
{
	be64_put(p + RB_OFF_BASE_OFFSET, (uint64_t)base_offset);
}

void record_batch_set_log_append_time(uint8_t *p, size_t len, int64_t now_ms)
{
	uint16_t attr = be16_get(p + RB_OFF_ATTRIBUTES) | RB_ATTR_LOG_APPEND_TIME;
	be16_put(p + RB_OFF_ATTRIBUTES, attr);
	be64_put(p + RB_OFF_MAX_TIMESTAMP, (uint64_t)now_ms);
	be32_put(p + RB_OFF_CRC,
		 crc32c(p + RB_OFF_ATTRIBUTES, len - RB_OFF_ATTRIBUTES));
}

struct ts_search {
	int64_t base_ts, target, found_ts;
	int32_t found_delta;
	int found;
};

/* Stops the walk at the first record at or after the target timestamp. */
static int ts_search_visit(void *arg, int64_t ts_delta, int32_t offset_delta)
{
	struct ts_search *s = arg;
	if (s->base_ts + ts_delta >= s->target) {
		s->found = 1;
		s->found_ts = s->base_ts + ts_delta;
		s->found_delta = offset_delta;
		return 1;
	}
	return 0;
}

int record_batch_find_timestamp(const uint8_t *p, size_t len, int64_t ts,
				int64_t *offset, int64_t *timestamp)
{
	if (len < RB_HEADER_BYTES)
		return -1;
	uint16_t attr = be16_get(p + RB_OFF_ATTRIBUTES);
	int64_t base_offset = (int64_t)be64_get(p + RB_OFF_BASE_OFFSET);
	if (attr & RB_ATTR_LOG_APPEND_TIME) {
		/* every record carries the batch's MaxTimestamp */
		int64_t max_ts = (int64_t)be64_get(p + RB_OFF_MAX_TIMESTAMP);
		if (max_ts < ts)
			return 0;
		*offset = base_offset;
		*timestamp = max_ts;
		return 1;
	}
	struct ts_search s = {
		.base_ts = (int64_t)be64_get(p + RB_OFF_BASE_TIMESTAMP),
		.target = ts,
	};
	int32_t count = (int32_t)be32_get(p + RB_OFF_RECORD_COUNT);
	const uint8_t *recs;
	size_t recs_len;
	uint8_t *owned;
	int rc = record_batch_records(p, len, &recs, &recs_len, &owned);
	if (rc == 0)
		rc = record_batch_walk(recs, recs_len, count, 0, ts_search_visit, &s);
	free(owned);
	if (rc < 0)
		return -1;
	if (!s.found)
		return 0;
	*offset = base_offset + s.found_delta;
	*timestamp = s.found_ts;
	return 1;
}
