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
 *                 i32, name (u16 length, bytes), config count u32, then per
 *                 config key (u16 length, bytes) and value (u32 length, bytes)
 *   TOPIC_DELETE  seq, topic id [16], name (u16 length, bytes)
 *   STATE         seq (last applied), generation u64, next stream id u64,
 *                 topic count u32 (first record of a snapshot only)
 */
#ifndef SLUICE_CATALOG_RECORD_H
#define SLUICE_CATALOG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd/catalog/catalog.h"

#define CATALOG_RECORD_MAGIC 0x534c434au /* "SLCJ" */
#define CATALOG_RECORD_VERSION 1u
#define CATALOG_RECORD_HEADER_BYTES 20u
#define CATALOG_RECORD_MAX_BODY (16u << 20)

enum catalog_record_type {
	CATALOG_RECORD_GENERATION = 1,
	CATALOG_RECORD_TOPIC_CREATE = 2,
	CATALOG_RECORD_TOPIC_DELETE = 3,
	CATALOG_RECORD_STATE = 4,
};

struct catalog_record {
	enum catalog_record_type type;
	uint64_t seq;
	uint64_t generation;     /* GENERATION, STATE */
	uint64_t next_stream_id; /* STATE */
	uint32_t topic_count;    /* STATE */
	/* TOPIC_CREATE: the whole topic; TOPIC_DELETE: id and name only.
	 * catalog_record_parse allocates it; the parser's caller owns it. */
	struct topic *topic;
};

/* What catalog_record_parse found. */
enum catalog_record_status {
	CATALOG_RECORD_OK,
	CATALOG_RECORD_TORN, /* frame invalid: a torn write or garbage */
	CATALOG_RECORD_BAD,  /* frame valid, content unusable: corruption */
};

/* A growable byte buffer records are encoded into. */
struct catalog_record_buf {
	uint8_t *data;
	size_t len, cap;
};

/* Appends rec's frame and body to buf.  Returns 0, SL_ENOMEM, or SL_EINVAL
 * if a field does not fit its encoding. */
int catalog_record_encode(struct catalog_record_buf *buf,
			  const struct catalog_record *rec);

/* Parses the record at the start of avail bytes.  On CATALOG_RECORD_OK
 * fills rec and sets *used to the frame's length; otherwise sets *why. */
enum catalog_record_status catalog_record_parse(const uint8_t *data,
						size_t avail,
						struct catalog_record *rec,
						size_t *used,
						const char **why);

/* Frees what a parsed record still owns. */
void catalog_record_clear(struct catalog_record *rec);

/* Frees a topic with its configs (NULL is fine). */
void catalog_record_topic_free(struct topic *topic);

void catalog_record_buf_free(struct catalog_record_buf *buf);

#endif
