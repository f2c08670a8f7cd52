/*
 * WAL on-disk encodings (see wal_format.h).  No state, no I/O: callers own
 * the buffers.  A record's header names the logical offset of its body, so
 * bytes left by an earlier lap of the ring never validate at a new position.
 */
#include "autoconfig.h"

#include "common/wal_format.h"

#include <string.h>

#include "common/bytes.h"
#include "common/copy_stream.h"
#include "common/crc32c.h"

void wal_format_header_put(uint8_t *slot, const struct wal_header *h)
{
	memset(slot, 0, WAL_HEADER_SLOT_BYTES);
	be32_put(slot + WAL_HDR_OFF_MAGIC, WAL_HEADER_MAGIC);
	be32_put(slot + WAL_HDR_OFF_VERSION, WAL_FORMAT_VERSION);
	be64_put(slot + WAL_HDR_OFF_CAPACITY, h->capacity);
	be64_put(slot + WAL_HDR_OFF_TRIM, h->trim);
	be64_put(slot + WAL_HDR_OFF_SEQ, h->seq);
	be32_put(slot + WAL_HDR_OFF_NODE_ID, h->node_id);
	be64_put(slot + WAL_HDR_OFF_EPOCH, h->epoch);
	be32_put(slot + WAL_HDR_OFF_CRC, crc32c(slot, WAL_HDR_OFF_CRC));
}

int wal_format_header_get(const uint8_t *slot, struct wal_header *h,
			  const char **why)
{
	if (be32_get(slot + WAL_HDR_OFF_MAGIC) != WAL_HEADER_MAGIC) {
		*why = "bad magic";
		return -1;
	}
	if (be32_get(slot + WAL_HDR_OFF_CRC) != crc32c(slot, WAL_HDR_OFF_CRC)) {
		*why = "bad CRC";
		return -1;
	}
	if (be32_get(slot + WAL_HDR_OFF_VERSION) != WAL_FORMAT_VERSION) {
		*why = "unsupported format version";
		return -1;
	}
	h->capacity = be64_get(slot + WAL_HDR_OFF_CAPACITY);
	h->trim = be64_get(slot + WAL_HDR_OFF_TRIM);
	h->seq = be64_get(slot + WAL_HDR_OFF_SEQ);
	h->node_id = be32_get(slot + WAL_HDR_OFF_NODE_ID);
	h->epoch = be64_get(slot + WAL_HDR_OFF_EPOCH);
	*why = NULL;
	return 0;
}

/* Writes the header of a record whose body (body_len bytes, CRC-32C
 * body_crc) is already in place at p + 32. */
static void wal_format_record_seal(uint8_t *p, uint64_t pos, uint16_t type,
				   uint32_t body_len, uint32_t body_crc)
{
	be32_put(p + WAL_REC_OFF_MAGIC, WAL_RECORD_MAGIC);
	be16_put(p + WAL_REC_OFF_TYPE, type);
	be16_put(p + WAL_REC_OFF_FLAGS, 0);
	be32_put(p + WAL_REC_OFF_BODY_LEN, body_len);
	be64_put(p + WAL_REC_OFF_BODY_POS, pos + WAL_RECORD_HEADER_BYTES);
	be32_put(p + WAL_REC_OFF_BODY_CRC, body_crc);
	be32_put(p + WAL_REC_OFF_RESERVED, 0);
	be32_put(p + WAL_REC_OFF_HEADER_CRC, crc32c(p, WAL_REC_OFF_HEADER_CRC));
}

void wal_format_batch_put(uint8_t *p, uint64_t pos, uint64_t stream_id,
			  int64_t base_offset, uint32_t record_count,
			  const uint8_t *batch, uint32_t len)
{
	wal_format_batch_put_crc(p, pos, stream_id, base_offset, record_count,
				 batch, len, len, 0);
}

void wal_format_batch_put_crc(uint8_t *p, uint64_t pos, uint64_t stream_id,
			      int64_t base_offset, uint32_t record_count,
			      const uint8_t *batch, uint32_t len,
			      uint32_t crc_from, uint32_t crc_tail)
{
	uint8_t *body = p + WAL_RECORD_HEADER_BYTES;
	be64_put(body, stream_id);
	be64_put(body + 8, (uint64_t)base_offset);
	be32_put(body + 16, record_count);
	/* the block goes to disk, not to this CPU's cache */
	copy_stream(body + WAL_BODY_PREFIX_BYTES, batch, len);
	/* Only the prefix and the bytes before crc_from are hashed; the tail's
	 * CRC is joined on instead of reading those bytes a second time. */
	uint32_t crc = crc32c(body, WAL_BODY_PREFIX_BYTES + crc_from);
	crc = crc32c_combine(crc, crc_tail, len - crc_from);
	wal_format_record_seal(p, pos, WAL_REC_BATCH, WAL_BODY_PREFIX_BYTES + len,
			       crc);
}

void wal_format_padding_put(uint8_t *p, uint64_t pos, size_t gap)
{
	if (gap < WAL_RECORD_HEADER_BYTES) {
		memset(p, 0, gap);
		return;
	}
	uint32_t body_len = (uint32_t)(gap - WAL_RECORD_HEADER_BYTES);
	memset(p + WAL_RECORD_HEADER_BYTES, 0, body_len);
	wal_format_record_seal(p, pos, WAL_REC_PADDING, body_len,
			       crc32c(p + WAL_RECORD_HEADER_BYTES, body_len));
}

enum wal_check wal_format_record_check(const uint8_t *p, uint64_t pos,
				       uint64_t bound, struct wal_rec *rec)
{
	static const uint8_t zero[WAL_RECORD_HEADER_BYTES];
	if (be32_get(p + WAL_REC_OFF_MAGIC) != WAL_RECORD_MAGIC)
		return memcmp(p, zero, sizeof zero) ? WAL_CHECK_MAGIC
						    : WAL_CHECK_ZERO;
	if (be32_get(p + WAL_REC_OFF_HEADER_CRC) !=
	    crc32c(p, WAL_REC_OFF_HEADER_CRC))
		return WAL_CHECK_HEADER_CRC;
	uint64_t body_pos = be64_get(p + WAL_REC_OFF_BODY_POS);
	uint64_t want = pos + WAL_RECORD_HEADER_BYTES;
	if (body_pos < want)
		return WAL_CHECK_OLD_LAP;
	if (body_pos != want)
		return WAL_CHECK_OFFSET;
	uint16_t type = be16_get(p + WAL_REC_OFF_TYPE);
	if ((type != WAL_REC_BATCH && type != WAL_REC_PADDING) ||
	    be16_get(p + WAL_REC_OFF_FLAGS) != 0 ||
	    be32_get(p + WAL_REC_OFF_RESERVED) != 0)
		return WAL_CHECK_TYPE;
	uint32_t body_len = be32_get(p + WAL_REC_OFF_BODY_LEN);
	if (want > bound || body_len > bound - want ||
	    (type == WAL_REC_BATCH && body_len < WAL_BODY_PREFIX_BYTES))
		return WAL_CHECK_LENGTH;
	rec->type = type;
	rec->body_len = body_len;
	rec->body_pos = body_pos;
	rec->body_crc = be32_get(p + WAL_REC_OFF_BODY_CRC);
	return WAL_CHECK_OK;
}

enum wal_check wal_format_body_check(const struct wal_rec *rec,
				     const uint8_t *body)
{
	return crc32c(body, rec->body_len) == rec->body_crc ? WAL_CHECK_OK
							    : WAL_CHECK_BODY_CRC;
}

void wal_format_batch_get(const struct wal_rec *rec, const uint8_t *body,
			  struct wal_batch *b)
{
	b->stream_id = be64_get(body);
	b->base_offset = (int64_t)be64_get(body + 8);
	b->record_count = be32_get(body + 16);
	b->batch_pos = rec->body_pos + WAL_BODY_PREFIX_BYTES;
	b->batch_len = rec->body_len - WAL_BODY_PREFIX_BYTES;
	b->bytes = body + WAL_BODY_PREFIX_BYTES;
}

const char *wal_format_check_name(enum wal_check c)
{
	switch (c) {
	case WAL_CHECK_OK:
		return "valid";
	case WAL_CHECK_ZERO:
		return "zero header (end of written data)";
	case WAL_CHECK_MAGIC:
		return "bad record magic";
	case WAL_CHECK_HEADER_CRC:
		return "bad header CRC";
	case WAL_CHECK_OLD_LAP:
		return "record from an earlier lap";
	case WAL_CHECK_OFFSET:
		return "header names another position";
	case WAL_CHECK_TYPE:
		return "bad record type or flags";
	case WAL_CHECK_LENGTH:
		return "body length out of bounds";
	case WAL_CHECK_BODY_CRC:
		return "bad body CRC";
	}
	return "?";
}
