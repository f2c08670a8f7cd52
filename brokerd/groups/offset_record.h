/*
 * Records of the committed-offsets store: the frame and bodies shared by
 * offsets.journal and offsets.snapshot.  All integers big-endian.
 *
 * Frame (OFFSET_RECORD_HEADER_BYTES), the layout of the catalog's records
 * with its own magic:
 *   magic u32, format version u16, type u16, body length u32,
 *   body CRC-32C u32, header CRC-32C u32 (over the 16 bytes before it)
 * Every body starts with the record's sequence number (u64); a snapshot
 * says which sequence number it covers, so replaying the journal after it
 * skips what the snapshot holds.  Strings are u16 length + bytes.
 *   COMMIT        seq, group, topic count u32, then per topic: name,
 *                 topic id [16], partition count u32, then per partition:
 *                 partition i32, offset i64, leader epoch i32, commit time
 *                 i64 (ms), expire time i64 (ms, -1: by retention),
 *                 metadata (u32 length, bytes)
 *   DELETE        seq, group, topic count u32, then per topic: name,
 *                 topic id [16], partition count u32 (0: every partition
 *                 of the topic), partition i32 each
 *   GROUP_DELETE  seq, group
 *   STATE         seq (the last one the snapshot covers), group count u32;
 *                 the first record of a snapshot, followed by one COMMIT
 *                 per group holding all of its offsets, then one
 *                 TXN_COMMIT per group and producer with offsets pending
 *   TXN_COMMIT    seq, group, producer id i64, then the topics of a
 *                 COMMIT: offsets a transaction commits (TxnOffsetCommit),
 *                 pending until the transaction ends
 *   TXN_END       seq, group, producer id i64, result u8 (1 commit, 0
 *                 abort): the producer's pending offsets in the group
 *                 become committed offsets, or are dropped; a repeat finds
 *                 nothing pending and changes nothing
 *
 * offsets.snapshot is a header (OFFSET_SNAPSHOT_HEADER_BYTES) then those
 * records: magic u32, format version u16, reserved u16 (0), content
 * length u64, content CRC-32C u32, header CRC-32C u32 (over the 20 bytes
 * before it), so a damaged or partial file is told from a valid one.
 */
#ifndef SLUICE_OFFSET_RECORD_H
#define SLUICE_OFFSET_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "common/byte_buf.h"

#define OFFSET_RECORD_MAGIC 0x534c4f46u /* "SLOF" */
#define OFFSET_RECORD_VERSION 1u
#define OFFSET_RECORD_HEADER_BYTES 20u
/* A record holds one request's offsets or one group of a snapshot. */
#define OFFSET_RECORD_MAX_BODY (64u << 20)

#define OFFSET_SNAPSHOT_MAGIC 0x534c4f53u /* "SLOS" */
#define OFFSET_SNAPSHOT_VERSION 1u
#define OFFSET_SNAPSHOT_HEADER_BYTES 24u

enum offset_record_type {
	OFFSET_RECORD_COMMIT = 1,
	OFFSET_RECORD_DELETE = 2,
	OFFSET_RECORD_GROUP_DELETE = 3,
	OFFSET_RECORD_STATE = 4,
	OFFSET_RECORD_TXN_COMMIT = 5,
	OFFSET_RECORD_TXN_END = 6,
};

/* A growable buffer that records are encoded into.  An encoding error
 * (out of memory, a field too long) is sticky and reported by
 * offset_record_end. */
struct offset_buf {
	struct byte_buf bytes;
	size_t rec;        /* offset of the open record's frame */
	size_t topic_count_at, part_count_at;
	uint32_t topics, parts;
};

/* One partition's committed offset, as encoded and as parsed (metadata
 * then points into the record). */
struct offset_part {
	int32_t partition;
	int64_t offset;
	int32_t leader_epoch;
	int64_t commit_ms;
	int64_t expire_ms;
	const char *metadata;
	uint32_t metadata_len;
};

/* A parsed record; the pointers are into the bytes parsed. */
struct offset_record {
	enum offset_record_type type;
	uint64_t seq;
	const char *group; /* not NUL-terminated */
	uint16_t group_len;
	uint32_t group_count; /* STATE */
	int64_t producer_id;  /* TXN_COMMIT, TXN_END */
	int committed;        /* TXN_END */
	uint32_t topic_count; /* COMMIT, DELETE, TXN_COMMIT */
	const uint8_t *body_rest, *body_end; /* the topic array */
};

/* One topic of a parsed COMMIT or DELETE record. */
struct offset_record_topic {
	const char *name; /* not NUL-terminated */
	uint16_t name_len;
	uint8_t id[16];
	uint32_t part_count;
};

/* Walks a parsed record's topics and partitions (which parsing checked). */
struct offset_record_iter {
	const uint8_t *p;
	enum offset_record_type type;
};

/* What offset_record_parse found. */
enum offset_record_status {
	OFFSET_RECORD_OK,
	OFFSET_RECORD_TORN, /* frame invalid: a torn write or garbage */
	OFFSET_RECORD_BAD,  /* frame valid, content unusable: corruption */
};

/* Starts a COMMIT, DELETE or GROUP_DELETE record in buf. */
void offset_record_begin(struct offset_buf *buf, enum offset_record_type type,
			 uint64_t seq, const char *group, size_t group_len);
/* Starts a TXN_COMMIT record for producer_id's pending offsets. */
void offset_record_begin_txn(struct offset_buf *buf, uint64_t seq,
			     const char *group, size_t group_len,
			     int64_t producer_id);
/* Appends a whole TXN_END record. */
int offset_record_txn_end(struct offset_buf *buf, uint64_t seq,
			  const char *group, size_t group_len,
			  int64_t producer_id, int committed);
/* Adds a topic to the open COMMIT, DELETE or TXN_COMMIT record. */
void offset_record_topic(struct offset_buf *buf, const char *name,
			 size_t name_len, const uint8_t id[16]);
/* Adds a partition to the open record's last topic: a whole offset for a
 * COMMIT or TXN_COMMIT, only part->partition for a DELETE. */
void offset_record_part(struct offset_buf *buf, const struct offset_part *part);
/* Closes the open record (counts, length, CRCs).  Returns 0, or the first
 * error since the buffer was last reset: SL_ENOMEM, or SL_EINVAL for a
 * field too long for its encoding. */
int offset_record_end(struct offset_buf *buf);
/* Appends a whole STATE record. */
int offset_record_state(struct offset_buf *buf, uint64_t seq,
			uint32_t group_count);

/* Releases buf's bytes and leaves it empty. */
void offset_buf_free(struct offset_buf *buf);

/* Fills the snapshot header at the start of image (len bytes, the content
 * after the header room). */
void offset_snapshot_seal(uint8_t *image, size_t len);

/* Why a snapshot image does not check, or NULL when it does. */
const char *offset_snapshot_check(const uint8_t *image, size_t len);

/* Parses the record at data (avail bytes).  On OFFSET_RECORD_OK fills rec
 * and *used (the frame's length); otherwise sets *why. */
enum offset_record_status offset_record_parse(const uint8_t *data,
					      size_t avail,
					      struct offset_record *rec,
					      size_t *used, const char **why);

/* Starts walking rec's topics. */
void offset_record_iter_init(struct offset_record_iter *it,
			     const struct offset_record *rec);
/* The next topic; call offset_record_next_part part_count times after. */
void offset_record_next_topic(struct offset_record_iter *it,
			      struct offset_record_topic *topic);
/* The next partition of the current topic (only .partition for DELETE). */
/* Whether records of this type carry whole offsets (COMMIT, TXN_COMMIT). */
int offset_record_has_offsets(enum offset_record_type type);

void offset_record_next_part(struct offset_record_iter *it,
			     struct offset_part *part);

#endif
