/*
 * Kafka RecordBatch v2: the byte layout, the records section (decompressed
 * when the batch is compressed) and an iterator over the records, shared by
 * brokerd (validation, timestamp lookup: brokerd/partition/record_batch.h)
 * and compactd (keeping the latest record per key).
 *
 * Layout: BaseOffset i64 | BatchLength i32 | PartitionLeaderEpoch i32 |
 * Magic i8 | CRC u32 (CRC-32C of Attributes..end) | Attributes i16 |
 * LastOffsetDelta i32 | BaseTimestamp i64 | MaxTimestamp i64 |
 * ProducerId i64 | ProducerEpoch i16 | BaseSequence i32 | Records count i32
 * | records...
 *
 * Record: Length varint | Attributes i8 | TimestampDelta varlong |
 * OffsetDelta varint | KeyLength varint | Key | ValueLength varint | Value |
 * HeaderCount varint | headers (key length, key, value length, value).
 * Pure functions over caller-owned bytes.
 */
#ifndef SLUICE_COMMON_RECORD_BATCH_H
#define SLUICE_COMMON_RECORD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#define RB_OFF_BASE_OFFSET 0
#define RB_OFF_BATCH_LENGTH 8
#define RB_OFF_LEADER_EPOCH 12
#define RB_OFF_MAGIC 16
#define RB_OFF_CRC 17
#define RB_OFF_ATTRIBUTES 21
#define RB_OFF_LAST_OFFSET_DELTA 23
#define RB_OFF_BASE_TIMESTAMP 27
#define RB_OFF_MAX_TIMESTAMP 35
#define RB_OFF_PRODUCER_ID 43
#define RB_OFF_PRODUCER_EPOCH 51
#define RB_OFF_BASE_SEQUENCE 53
#define RB_OFF_RECORD_COUNT 57
#define RB_HEADER_BYTES 61
/* BatchLength counts the bytes after the BatchLength field. */
#define RB_LENGTH_FIELD_END 12

#define RB_ATTR_CODEC_MASK 0x07
#define RB_ATTR_LOG_APPEND_TIME 0x08
#define RB_ATTR_TRANSACTIONAL 0x10
#define RB_ATTR_CONTROL 0x20

/* Most bytes the records of one compressed batch may decompress to: 64
 * times the default message.max.bytes, far above what a client's
 * batch.size produces, low enough that a decompression bomb costs little. */
#define RB_RECORDS_MAX_BYTES ((size_t)64 << 20)

/* One record, pointing into the records section it was read from. */
struct record_batch_record {
	const uint8_t *raw;      /* the whole record, its Length varint included */
	size_t raw_len;
	int64_t timestamp_delta;
	int32_t offset_delta;
	const uint8_t *key;      /* NULL when key_len is -1 (null key) */
	int32_t key_len;
	const uint8_t *value;    /* NULL when value_len is -1 (a tombstone) */
	int32_t value_len;
	int32_t header_count;
};

/* Walks the records of a records section. */
struct record_batch_iter {
	const uint8_t *p, *end;
	int32_t left;        /* records still to read */
	int32_t index;       /* of the next record */
	int64_t last_delta;  /* offset delta of the record before, -1 first */
};

/* The records section of the batch p[0..len) (len >= RB_HEADER_BYTES):
 * the bytes themselves (*owned NULL), or a decompressed copy in *owned
 * that the caller frees.  Returns 0, SL_ECORRUPT (does not decompress, or
 * to more than RB_RECORDS_MAX_BYTES), SL_EINVAL (unknown codec) or
 * SL_ENOMEM. */
int record_batch_records(const uint8_t *p, size_t len, const uint8_t **recs,
			 size_t *recs_len, uint8_t **owned);

/* Starts a walk over count records in recs[0..len). */
void record_batch_iter_init(struct record_batch_iter *it, const uint8_t *recs,
			    size_t len, int32_t count);

/* Next record: 1 with rec filled; 0 after the last one when the section
 * holds exactly count records; -1 when a record does not parse, offset
 * deltas do not ascend (a compacted batch has gaps, never repeats), or
 * bytes are left over after the count. */
int record_batch_iter_next(struct record_batch_iter *it,
			   struct record_batch_record *rec);

#endif
