/*
 * Catalog records: the frame and bodies shared by catalog.journal and
 * catalog.snapshot.  All integers big-endian.
 *
 * Frame (CATALOG_RECORD_HEADER_BYTES):
 *   magic u32, format version u16, type u16, body length u32,
 *   body CRC-32C u32, header CRC-32C u32 (over the 16 bytes before it)
 * Bodies start with the record's sequence number (u64), which makes replay
 * idempotent: a record whose seq the snapshot already covers is skipped.
 *   GENERATION    seq, generation u64
 *   TOPIC_CREATE  seq, topic id [16], first stream id u64, partition count
 *                 i32, name (u16 length, bytes), configs (versions 1, 2;
 *                 partition p has stream id first + p); from version 3:
 *                 seq, topic id [16], partition count i32, name, configs,
 *                 then each partition's stream id u64 (ascending)
 *   configs       count u32, then per config key (u16 length, bytes) and
 *                 value (u32 length, bytes)
 *   TOPIC_DELETE  seq, topic id [16], name (u16 length, bytes)
 *   STATE         seq (last applied), generation u64, next stream id u64,
 *                 topic count u32 (first record of a snapshot only); from
 *                 version 2 also uploaded end u64 and the snapshot's object,
 *                 stream and block counts (u64 each)
 * Version 2 adds object storage:
 *   UPLOAD        seq, object, its block_count blocks (object id implied)
 *   REPLACE       seq, retire time i64 (ms), input count u32, input ids
 *                 u64..., output count u32, outputs, then each output's
 *                 block_count blocks in output order (object id implied)
 *   FORGET        seq, count u32, object ids u64...
 *   LOG_START     seq, stream id u64, log start offset i64
 *   OBJECTS       seq, count u32, per object: object, retire time i64
 *                 (CATALOG_LIVE while live)  (snapshots only)
 *   STREAM        seq, stream id u64, log start i64, end i64, count u32,
 *                 blocks with object id (stream id implied); a stream with
 *                 many blocks spans several consecutive records (snapshots
 *                 only)
 *   object (48 bytes): id u64, size u64, wal start u64, wal end u64,
 *     created i64 (ms), block count u32, flags u32
 *   block (56 bytes): stream id or object id u64, start offset i64, end
 *     offset i64, max timestamp i64, record count u64, position u64,
 *     size u32, CRC-32C u32
 * Version 3 gives partitions their own stream ids (CreatePartitions adds
 * partitions whose ids are not next to the first ones) and adds:
 *   TOPIC_CONFIG  seq, topic id [16], name, configs: the topic's whole
 *                 explicit config set after an AlterConfigs
 *   PARTITIONS    seq, topic id [16], name, partition count before i32,
 *                 after i32, stream id of the first new partition u64 (the
 *                 new ones get consecutive fresh ids)
 *   BROKER_CONFIG seq, configs: the whole set of broker config overrides
 *                 (journal, and snapshots when it is not empty)
 * Version 1 and 2 files still load; records are written as 3.
 */
#ifndef SLUICE_CATALOG_RECORD_H
#define SLUICE_CATALOG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd/catalog/catalog.h"
#include "common/byte_buf.h"

#define CATALOG_RECORD_MAGIC 0x534c434au /* "SLCJ" */
#define CATALOG_RECORD_VERSION 3u      /* written; 1 and 2 are still read */
#define CATALOG_RECORD_HEADER_BYTES 20u
#define CATALOG_RECORD_MAX_BODY (16u << 20)

enum catalog_record_type {
	CATALOG_RECORD_GENERATION = 1,
	CATALOG_RECORD_TOPIC_CREATE = 2,
	CATALOG_RECORD_TOPIC_DELETE = 3,
	CATALOG_RECORD_STATE = 4,
	/* from version 2 */
	CATALOG_RECORD_UPLOAD = 5,
	CATALOG_RECORD_REPLACE = 6,
	CATALOG_RECORD_FORGET = 7,
	CATALOG_RECORD_LOG_START = 8,
	CATALOG_RECORD_OBJECTS = 9,
	CATALOG_RECORD_STREAM = 10,
	/* from version 3 */
	CATALOG_RECORD_TOPIC_CONFIG = 11,
	CATALOG_RECORD_PARTITIONS = 12,
	CATALOG_RECORD_BROKER_CONFIG = 13,
};

#define CATALOG_RECORD_OBJECT_BYTES 48u
#define CATALOG_RECORD_BLOCK_BYTES 56u
/* The retire time of a live object. */
#define CATALOG_LIVE INT64_MIN

struct catalog_record {
	enum catalog_record_type type;
	uint16_t version;        /* parsed: the frame's format version */
	uint64_t seq;
	uint64_t generation;     /* GENERATION, STATE */
	uint64_t next_stream_id; /* STATE */
	uint32_t topic_count;    /* STATE */
	/* STATE from version 2: uploaded end and what the snapshot holds */
	uint64_t uploaded_end, object_total, stream_total, block_total;
	/* TOPIC_CREATE: the whole topic; TOPIC_DELETE: id and name only;
	 * TOPIC_CONFIG: id, name and the new configs; PARTITIONS: id, name,
	 * the new partition count, and (built by the committer, NULL when
	 * parsed) the whole new stream id array.  catalog_record_parse
	 * allocates it; the parser's caller owns it. */
	struct topic *topic;
	int32_t partitions_before;  /* PARTITIONS */
	uint64_t first_new_stream;  /* PARTITIONS */
	/* BROKER_CONFIG: the overrides (heap copies when parsed, freed by
	 * catalog_record_clear; the caller's array otherwise) */
	struct topic_config_entry *entries;
	size_t entry_count;
	/* UPLOAD: the object; REPLACE: the outputs; OBJECTS: a chunk of the
	 * snapshot's objects with retired_ms beside them */
	const struct catalog_object *objects;
	const int64_t *retired_ms;
	size_t object_count;
	/* UPLOAD, REPLACE: the objects' blocks; STREAM: a chunk of one
	 * stream's blocks.  Parsing fills in the implied id. */
	const struct catalog_block *blocks;
	size_t block_count;
	/* REPLACE: the inputs; FORGET: the objects to forget */
	const uint64_t *ids;
	size_t id_count;
	int64_t retire_ms;       /* REPLACE */
	uint64_t stream_id;      /* LOG_START, STREAM */
	int64_t log_start;       /* LOG_START, STREAM */
	int64_t stream_end;      /* STREAM */
	/* Set by catalog_record_parse: the arrays above are heap copies that
	 * catalog_record_clear frees.  Records built by callers point at the
	 * callers' arrays instead. */
	int owns_arrays;
};

/* What catalog_record_parse found. */
enum catalog_record_status {
	CATALOG_RECORD_OK,
	CATALOG_RECORD_TORN, /* frame invalid: a torn write or garbage */
	CATALOG_RECORD_BAD,  /* frame valid, content unusable: corruption */
};

/* Appends rec's frame and body to buf.  Returns 0, SL_ENOMEM (sticky in
 * buf), or SL_EINVAL if a field does not fit its encoding (buf unchanged). */
int catalog_record_encode(struct byte_buf *buf,
			  const struct catalog_record *rec);

/* Parses the record at the start of avail bytes.  On CATALOG_RECORD_OK
 * fills rec and sets *used to the frame's length; otherwise sets *why. */
enum catalog_record_status catalog_record_parse(const uint8_t *data,
						size_t avail,
						struct catalog_record *rec,
						size_t *used,
						const char **why);

/* Frees what a parsed record still owns (topic, and arrays and entries if
 * owned). */
void catalog_record_clear(struct catalog_record *rec);

/* Frees a topic with its configs and stream ids (NULL is fine). */
void catalog_record_topic_free(struct topic *topic);

#endif
