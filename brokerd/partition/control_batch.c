/*
 * Transaction markers (see control_batch.h): building the one shape brokerd
 * writes, and reading the type back from any well-formed control batch.
 * No state; the bytes are the caller's.
 */
#include "brokerd/partition/control_batch.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/record_batch.h"

/* The record: Length 16 (zigzag 0x20), Attributes 0, TimestampDelta 0,
 * OffsetDelta 0, KeyLength 4 (0x08), key, ValueLength 6 (0x0c), value,
 * HeaderCount 0. */
#define CONTROL_RECORD_BYTES 17

void control_batch_build(uint8_t *out, int64_t producer_id, int16_t epoch,
			 int type, int32_t coordinator_epoch, int64_t now_ms)
{
	memset(out, 0, CONTROL_BATCH_BYTES);
	be64_put(out + RB_OFF_BASE_OFFSET, 0);
	be32_put(out + RB_OFF_BATCH_LENGTH, CONTROL_BATCH_BYTES - RB_LENGTH_FIELD_END);
	be32_put(out + RB_OFF_LEADER_EPOCH, 0);
	out[RB_OFF_MAGIC] = 2;
	be16_put(out + RB_OFF_ATTRIBUTES, RB_ATTR_TRANSACTIONAL | RB_ATTR_CONTROL);
	be32_put(out + RB_OFF_LAST_OFFSET_DELTA, 0);
	be64_put(out + RB_OFF_BASE_TIMESTAMP, (uint64_t)now_ms);
	be64_put(out + RB_OFF_MAX_TIMESTAMP, (uint64_t)now_ms);
	be64_put(out + RB_OFF_PRODUCER_ID, (uint64_t)producer_id);
	be16_put(out + RB_OFF_PRODUCER_EPOCH, (uint16_t)epoch);
	be32_put(out + RB_OFF_BASE_SEQUENCE, UINT32_MAX); /* -1: no sequence */
	be32_put(out + RB_OFF_RECORD_COUNT, 1);
	uint8_t *r = out + RB_HEADER_BYTES;
	r[0] = 0x20;                 /* Length 16 */
	r[1] = 0;                    /* Attributes */
	r[2] = 0;                    /* TimestampDelta */
	r[3] = 0;                    /* OffsetDelta */
	r[4] = 0x08;                 /* KeyLength 4 */
	be16_put(r + 5, 0);          /* key: version */
	be16_put(r + 7, (uint16_t)type);
	r[9] = 0x0c;                 /* ValueLength 6 */
	be16_put(r + 10, 0);         /* value: version */
	be32_put(r + 12, (uint32_t)coordinator_epoch);
	r[16] = 0;                   /* HeaderCount */
	be32_put(out + RB_OFF_CRC, crc32c(out + RB_OFF_ATTRIBUTES,
					  CONTROL_BATCH_BYTES - RB_OFF_ATTRIBUTES));
}

int control_batch_type(const uint8_t *p, size_t len)
{
	if (len < RB_HEADER_BYTES)
		return -1;
	const uint8_t *recs;
	size_t recs_len;
	uint8_t *owned;
	if (record_batch_records(p, len, &recs, &recs_len, &owned))
		return -1;
	struct record_batch_iter it;
	struct record_batch_record rec;
	int type = -1;
	record_batch_iter_init(&it, recs, recs_len,
			       (int32_t)be32_get(p + RB_OFF_RECORD_COUNT));
	/* a marker's key is its version (0) and its type */
	if (record_batch_iter_next(&it, &rec) == 1 && rec.key && rec.key_len >= 4 &&
	    be16_get(rec.key) == 0) {
		int t = (int16_t)be16_get(rec.key + 2);
		if (t == CONTROL_TYPE_ABORT || t == CONTROL_TYPE_COMMIT)
			type = t;
	}
	free(owned);
	return type;
}
