/*
 * Kafka RecordBatch v2 as opaque bytes: fields are peeked at named offsets,
 * validated, and BaseOffset is patched in place.  Records inside are parsed
 * (after decompressing a copy of them) only to validate a produced batch and
 * to look up a timestamp.
 *
 * The layout (RB_OFF_*), the records section and the record iterator are
 * in common/record_batch.h, which compactd shares.
 */
#ifndef SLUICE_RECORD_BATCH_H
#define SLUICE_RECORD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/record_batch.h"

struct record_batch_info {
	int32_t batch_length;
	uint16_t attributes;
	int32_t last_offset_delta;
	int64_t base_timestamp;
	int64_t max_timestamp;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	int32_t record_count;
};

/* Validates the batch at p that claims to be len bytes long (exactly one
 * batch).  Checks magic 2, lengths, CRC-32C, the record count against
 * LastOffsetDelta, and that the records (decompressed if the batch is
 * compressed) parse and their count matches.  Returns 0 and fills info, or
 * KERR_CORRUPT_MESSAGE (bad CRC, lengths that lie, truncation, records that
 * do not parse or decompress, or decompress beyond RB_RECORDS_MAX_BYTES),
 * KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT (magic != 2),
 * KERR_UNSUPPORTED_COMPRESSION_TYPE (codec > 4), KERR_INVALID_RECORD
 * (RecordCount and LastOffsetDelta disagree), or KERR_KAFKA_STORAGE_ERROR
 * (no memory to decompress). */
int record_batch_validate(const uint8_t *p, size_t len, struct record_batch_info *info);

/* Total size of the batch starting at p according to its BatchLength, or -1
 * if fewer than 12 bytes are available or the length is negative. */
int64_t record_batch_size(const uint8_t *p, size_t avail);

/* Patches BaseOffset (not covered by the CRC). */
void record_batch_set_base_offset(uint8_t *p, int64_t base_offset);

/* For LogAppendTime topics: sets the timestamp-type bit and MaxTimestamp to
 * now_ms and recomputes the CRC. */
void record_batch_set_log_append_time(uint8_t *p, size_t len, int64_t now_ms);

/* Finds the first record with timestamp >= ts, decompressing the records
 * of a compressed batch.  Returns 1 with *offset and *timestamp set, 0 if
 * none, or -1 when the records do not decompress (or memory runs out) or
 * do not parse (callers fall back to batch granularity). */
int record_batch_find_timestamp(const uint8_t *p, size_t len, int64_t ts,
				int64_t *offset, int64_t *timestamp);

#endif
