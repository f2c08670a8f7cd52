/*
 * The WAL's on-disk encodings: header slots and record headers (layout in
 * wal.h and ARCHITECTURE.md section 4).  Pure functions over byte buffers,
 * so recovery, the writer, uploaderd's region reader and the unit tests
 * share one definition.
 */
#ifndef SLUICE_WAL_FORMAT_H
#define SLUICE_WAL_FORMAT_H

#include <stddef.h>
#include <stdint.h>


#define WAL_HEADER_SLOT_BYTES 4096u
#define WAL_DATA_START 8192u
#define WAL_ALIGN 4096u
#define WAL_RECORD_HEADER_BYTES 32u
/* Body prefix before the RecordBatch bytes: stream id u64, Kafka base
 * offset i64, record count u32. */
#define WAL_BODY_PREFIX_BYTES 20u

/* One batch record as recovery or a reader sees it. */
struct wal_batch {
	uint64_t stream_id;
	int64_t base_offset;   /* Kafka offset of the first record */
	uint32_t record_count;
	uint64_t batch_pos;    /* logical WAL offset of the RecordBatch bytes */
	uint32_t batch_len;    /* length of the RecordBatch bytes */
	const uint8_t *bytes;  /* the RecordBatch bytes (valid during the callback) */
};

#define WAL_HEADER_MAGIC 0x534c5748u /* "SLWH" */
#define WAL_RECORD_MAGIC 0x534c5752u /* "SLWR" */
#define WAL_FORMAT_VERSION 1u

/* Header slot fields (big-endian), then zeros to the end of the slot. */
#define WAL_HDR_OFF_MAGIC 0
#define WAL_HDR_OFF_VERSION 4
#define WAL_HDR_OFF_CAPACITY 8
#define WAL_HDR_OFF_TRIM 16
#define WAL_HDR_OFF_SEQ 24
#define WAL_HDR_OFF_NODE_ID 32
#define WAL_HDR_OFF_EPOCH 40
#define WAL_HDR_OFF_CRC 48 /* CRC-32C of bytes [0, 48) */

/* Record header fields (big-endian). */
#define WAL_REC_OFF_MAGIC 0
#define WAL_REC_OFF_TYPE 4
#define WAL_REC_OFF_FLAGS 6
#define WAL_REC_OFF_BODY_LEN 8
#define WAL_REC_OFF_BODY_POS 12 /* logical offset of the body */
#define WAL_REC_OFF_BODY_CRC 20
#define WAL_REC_OFF_RESERVED 24
#define WAL_REC_OFF_HEADER_CRC 28 /* CRC-32C of bytes [0, 28) */

#define WAL_REC_BATCH 1
#define WAL_REC_PADDING 2

struct wal_header {
	uint64_t capacity;
	uint64_t trim;
	uint64_t seq;      /* slot seq % 2 holds it; higher wins */
	uint32_t node_id;
	uint64_t epoch;
};

struct wal_rec {
	uint16_t type;
	uint32_t body_len;
	uint64_t body_pos;
	uint32_t body_crc;
};

/* Why a record did (not) validate; recovery logs the name. */
enum wal_check {
	WAL_CHECK_OK,
	WAL_CHECK_ZERO,       /* all-zero header: never written, or scrubbed */
	WAL_CHECK_MAGIC,
	WAL_CHECK_HEADER_CRC,
	WAL_CHECK_OLD_LAP,    /* a valid header left by an earlier lap */
	WAL_CHECK_OFFSET,     /* a valid header naming another position */
	WAL_CHECK_TYPE,
	WAL_CHECK_LENGTH,
	WAL_CHECK_BODY_CRC,
};

/* Fills a whole WAL_HEADER_SLOT_BYTES slot from h. */
void wal_format_header_put(uint8_t *slot, const struct wal_header *h);

/* Decodes a slot; returns 0, or -1 with *why set when it is not valid. */
int wal_format_header_get(const uint8_t *slot, struct wal_header *h,
			  const char **why);

/* Writes a batch record at p (logical position pos): header, body prefix
 * and the RecordBatch bytes; it occupies WAL_RECORD_HEADER_BYTES +
 * WAL_BODY_PREFIX_BYTES + len bytes. */
void wal_format_batch_put(uint8_t *p, uint64_t pos, uint64_t stream_id,
			  int64_t base_offset, uint32_t record_count,
			  const uint8_t *batch, uint32_t len);

/* wal_format_batch_put for a caller that already holds crc_tail, the
 * CRC-32C of batch[crc_from, len) (crc_from <= len; len and 0 when it
 * holds none): only the bytes before crc_from are hashed again.  A wrong
 * crc_tail writes a record that recovery rejects. */
void wal_format_batch_put_crc(uint8_t *p, uint64_t pos, uint64_t stream_id,
			      int64_t base_offset, uint32_t record_count,
			      const uint8_t *batch, uint32_t len,
			      uint32_t crc_from, uint32_t crc_tail);

/* Accounts for gap bytes at p (position pos): a padding record with a zero
 * body when gap >= WAL_RECORD_HEADER_BYTES, else zeros (implicit padding). */
void wal_format_padding_put(uint8_t *p, uint64_t pos, size_t gap);

/* Checks the 32-byte record header at p, expected at logical position pos
 * and ending at or before bound.  Fills rec when it returns WAL_CHECK_OK. */
enum wal_check wal_format_record_check(const uint8_t *p, uint64_t pos,
				       uint64_t bound, struct wal_rec *rec);

/* Checks a body against its header's CRC. */
enum wal_check wal_format_body_check(const struct wal_rec *rec,
				     const uint8_t *body);

/* Decodes a checked batch body into b (bytes point into body). */
void wal_format_batch_get(const struct wal_rec *rec, const uint8_t *body,
			  struct wal_batch *b);

/* Name of a check result, for logs. */
const char *wal_format_check_name(enum wal_check c);

#endif
