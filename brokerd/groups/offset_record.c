/*
 * Encoding and parsing of committed-offset records (format in
 * offset_record.h).  Like the catalog's records, parsing tells a torn or
 * garbage frame (the journal is cut there) from a frame whose CRCs hold but
 * whose content makes no sense (corruption or a newer format: refuse to
 * guess).  Parsing checks the whole body once, so walking a parsed record
 * with the iterator cannot fail.
 *
 * Ownership: a buffer owns its bytes; a parsed record points into the bytes
 * it was parsed from.  Threading: no state.  Durable: this is the on-disk
 * format of offsets.journal and offsets.snapshot.
 */
#include "brokerd/groups/offset_record.h"

#include <string.h>

#include "common/byte_reader.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/errors.h"

void offset_buf_free(struct offset_buf *buf)
{
	byte_buf_free(&buf->bytes);
	memset(buf, 0, sizeof *buf);
}

/* Opens a frame: header space, then seq. */
static void offset_record_open(struct offset_buf *buf,
			       enum offset_record_type type, uint64_t seq)
{
	struct byte_buf *b = &buf->bytes;
	buf->rec = b->len;
	buf->topics = buf->parts = 0;
	buf->topic_count_at = buf->part_count_at = 0;
	uint8_t *hdr = byte_buf_grow(b, OFFSET_RECORD_HEADER_BYTES);
	if (hdr)
		be16_put(hdr + 6, (uint16_t)type); /* the rest at the end */
	byte_buf_put_be64(b, seq);
}

void offset_record_begin(struct offset_buf *buf, enum offset_record_type type,
			 uint64_t seq, const char *group, size_t group_len)
{
	offset_record_open(buf, type, seq);
	byte_buf_put_str16(&buf->bytes, group, group_len);
	if (type == OFFSET_RECORD_GROUP_DELETE)
		return;
	buf->topic_count_at = buf->bytes.len;
	byte_buf_put_be32(&buf->bytes, 0);
}

void offset_record_begin_txn(struct offset_buf *buf, uint64_t seq,
			     const char *group, size_t group_len,
			     int64_t producer_id)
{
	offset_record_open(buf, OFFSET_RECORD_TXN_COMMIT, seq);
	byte_buf_put_str16(&buf->bytes, group, group_len);
	byte_buf_put_be64(&buf->bytes, (uint64_t)producer_id);
	buf->topic_count_at = buf->bytes.len;
	byte_buf_put_be32(&buf->bytes, 0);
}

int offset_record_has_offsets(enum offset_record_type type)
{
	return type == OFFSET_RECORD_COMMIT || type == OFFSET_RECORD_TXN_COMMIT;
}

/* Writes the partition count of the topic being filled, if any. */
static void offset_record_close_topic(struct offset_buf *buf)
{
	if (buf->part_count_at && !buf->bytes.err)
		be32_put(buf->bytes.data + buf->part_count_at, buf->parts);
	buf->part_count_at = 0;
	buf->parts = 0;
}

void offset_record_topic(struct offset_buf *buf, const char *name,
			 size_t name_len, const uint8_t id[16])
{
	struct byte_buf *b = &buf->bytes;
	offset_record_close_topic(buf);
	byte_buf_put_str16(b, name, name_len);
	byte_buf_put(b, id, 16);
	buf->part_count_at = b->len;
	byte_buf_put_be32(b, 0);
	buf->topics++;
}

void offset_record_part(struct offset_buf *buf, const struct offset_part *part)
{
	struct byte_buf *b = &buf->bytes;
	enum offset_record_type type = b->err ? 0 : be16_get(b->data + buf->rec + 6);
	byte_buf_put_be32(b, (uint32_t)part->partition);
	if (offset_record_has_offsets(type)) {
		byte_buf_put_be64(b, (uint64_t)part->offset);
		byte_buf_put_be32(b, (uint32_t)part->leader_epoch);
		byte_buf_put_be64(b, (uint64_t)part->commit_ms);
		byte_buf_put_be64(b, (uint64_t)part->expire_ms);
		byte_buf_put_be32(b, part->metadata_len);
		byte_buf_put(b, part->metadata, part->metadata_len);
	}
	buf->parts++;
}

/* Fills the open frame's header once its body is complete. */
static int offset_record_seal(struct offset_buf *buf)
{
	struct byte_buf *b = &buf->bytes;
	if (b->err)
		return b->err;
	size_t body_len = b->len - buf->rec - OFFSET_RECORD_HEADER_BYTES;
	if (body_len > OFFSET_RECORD_MAX_BODY) {
		byte_buf_fail(b, SL_EINVAL);
		return b->err;
	}
	uint8_t *hdr = b->data + buf->rec;
	be32_put(hdr, OFFSET_RECORD_MAGIC);
	be16_put(hdr + 4, OFFSET_RECORD_VERSION);
	be32_put(hdr + 8, (uint32_t)body_len);
	be32_put(hdr + 12, crc32c(hdr + OFFSET_RECORD_HEADER_BYTES, body_len));
	be32_put(hdr + 16, crc32c(hdr, 16));
	return 0;
}

int offset_record_end(struct offset_buf *buf)
{
	offset_record_close_topic(buf);
	if (buf->topic_count_at && !buf->bytes.err)
		be32_put(buf->bytes.data + buf->topic_count_at, buf->topics);
	buf->topic_count_at = 0;
	return offset_record_seal(buf);
}

int offset_record_state(struct offset_buf *buf, uint64_t seq,
			uint32_t group_count)
{
	offset_record_open(buf, OFFSET_RECORD_STATE, seq);
	byte_buf_put_be32(&buf->bytes, group_count);
	return offset_record_seal(buf);
}

int offset_record_txn_end(struct offset_buf *buf, uint64_t seq,
			  const char *group, size_t group_len,
			  int64_t producer_id, int committed)
{
	offset_record_open(buf, OFFSET_RECORD_TXN_END, seq);
	byte_buf_put_str16(&buf->bytes, group, group_len);
	byte_buf_put_be64(&buf->bytes, (uint64_t)producer_id);
	byte_buf_put_u8(&buf->bytes, committed ? 1 : 0);
	return offset_record_seal(buf);
}

void offset_snapshot_seal(uint8_t *image, size_t len)
{
	size_t content = len - OFFSET_SNAPSHOT_HEADER_BYTES;
	be32_put(image, OFFSET_SNAPSHOT_MAGIC);
	be16_put(image + 4, OFFSET_SNAPSHOT_VERSION);
	be16_put(image + 6, 0);
	be64_put(image + 8, content);
	be32_put(image + 16, crc32c(image + OFFSET_SNAPSHOT_HEADER_BYTES, content));
	be32_put(image + 20, crc32c(image, 20));
}

const char *offset_snapshot_check(const uint8_t *image, size_t len)
{
	if (len < OFFSET_SNAPSHOT_HEADER_BYTES)
		return "shorter than its header";
	if (be32_get(image) != OFFSET_SNAPSHOT_MAGIC)
		return "bad magic";
	if (be32_get(image + 20) != crc32c(image, 20))
		return "bad header CRC";
	if (be16_get(image + 4) != OFFSET_SNAPSHOT_VERSION)
		return "unsupported format version";
	if (be64_get(image + 8) != len - OFFSET_SNAPSHOT_HEADER_BYTES)
		return "length does not match the file size";
	if (be32_get(image + 16) != crc32c(image + OFFSET_SNAPSHOT_HEADER_BYTES,
					   len - OFFSET_SNAPSHOT_HEADER_BYTES))
		return "bad content CRC";
	return NULL;
}

/* ---- parsing ---- */

/* Checks the topic array of a COMMIT or DELETE body. */
static void offset_record_check_topics(struct byte_reader *r,
				       enum offset_record_type type,
				       uint32_t topics)
{
	for (uint32_t i = 0; i < topics && !r->err; i++) {
		uint16_t name_len;
		byte_reader_str16(r, &name_len);
		byte_reader_take(r, 16);
		if (name_len == 0)
			byte_reader_fail(r, SL_ECORRUPT);
		uint32_t parts = byte_reader_be32(r);
		for (uint32_t k = 0; k < parts && !r->err; k++) {
			byte_reader_take(r, 4); /* partition */
			if (!offset_record_has_offsets(type))
				continue;
			byte_reader_take(r, 8 + 4 + 8 + 8);
			byte_reader_take(r, byte_reader_be32(r)); /* metadata */
		}
	}
}

enum offset_record_status offset_record_parse(const uint8_t *data,
					      size_t avail,
					      struct offset_record *rec,
					      size_t *used, const char **why)
{
	memset(rec, 0, sizeof *rec);
	if (avail < OFFSET_RECORD_HEADER_BYTES) {
		*why = "short header";
		return OFFSET_RECORD_TORN;
	}
	if (be32_get(data) != OFFSET_RECORD_MAGIC) {
		*why = "bad magic";
		return OFFSET_RECORD_TORN;
	}
	if (be32_get(data + 16) != crc32c(data, 16)) {
		*why = "bad header CRC";
		return OFFSET_RECORD_TORN;
	}
	/* From here the header is what a writer meant to write. */
	uint16_t version = be16_get(data + 4);
	uint16_t type = be16_get(data + 6);
	uint32_t body_len = be32_get(data + 8);
	if (version != OFFSET_RECORD_VERSION) {
		*why = "unsupported format version";
		return OFFSET_RECORD_BAD;
	}
	if (body_len > OFFSET_RECORD_MAX_BODY) {
		*why = "body length over the limit";
		return OFFSET_RECORD_BAD;
	}
	if (body_len > avail - OFFSET_RECORD_HEADER_BYTES) {
		*why = "body runs past the end";
		return OFFSET_RECORD_TORN;
	}
	const uint8_t *body = data + OFFSET_RECORD_HEADER_BYTES;
	if (be32_get(data + 12) != crc32c(body, body_len)) {
		*why = "bad body CRC";
		return OFFSET_RECORD_TORN;
	}

	struct byte_reader r;
	byte_reader_init(&r, body, body_len);
	rec->type = type;
	rec->seq = byte_reader_be64(&r);
	switch (type) {
	case OFFSET_RECORD_STATE:
		rec->group_count = byte_reader_be32(&r);
		break;
	case OFFSET_RECORD_COMMIT:
	case OFFSET_RECORD_DELETE:
	case OFFSET_RECORD_GROUP_DELETE:
		rec->group = (const char *)byte_reader_str16(&r, &rec->group_len);
		if (type == OFFSET_RECORD_GROUP_DELETE)
			break;
		rec->topic_count = byte_reader_be32(&r);
		rec->body_rest = r.p;
		offset_record_check_topics(&r, type, rec->topic_count);
		break;
	case OFFSET_RECORD_TXN_COMMIT:
	case OFFSET_RECORD_TXN_END: {
		rec->group = (const char *)byte_reader_str16(&r, &rec->group_len);
		rec->producer_id = (int64_t)byte_reader_be64(&r);
		if (r.err)
			rec->producer_id = -1; /* no producer, not producer 0 */
		if (type == OFFSET_RECORD_TXN_END) {
			uint8_t committed = byte_reader_u8(&r);
			if (committed > 1)
				byte_reader_fail(&r, SL_ECORRUPT);
			rec->committed = committed == 1;
			break;
		}
		rec->topic_count = byte_reader_be32(&r);
		rec->body_rest = r.p;
		offset_record_check_topics(&r, type, rec->topic_count);
		break;
	}
	default:
		*why = "unknown record type";
		return OFFSET_RECORD_BAD;
	}
	if (r.err || byte_reader_left(&r)) {
		*why = "body does not decode";
		return OFFSET_RECORD_BAD;
	}
	rec->body_end = r.end;
	*used = OFFSET_RECORD_HEADER_BYTES + body_len;
	return OFFSET_RECORD_OK;
}

void offset_record_iter_init(struct offset_record_iter *it,
			     const struct offset_record *rec)
{
	it->p = rec->body_rest;
	it->type = rec->type;
}

void offset_record_next_topic(struct offset_record_iter *it,
			      struct offset_record_topic *topic)
{
	topic->name_len = be16_get(it->p);
	topic->name = (const char *)it->p + 2;
	it->p += 2 + topic->name_len;
	memcpy(topic->id, it->p, 16);
	topic->part_count = be32_get(it->p + 16);
	it->p += 20;
}

void offset_record_next_part(struct offset_record_iter *it,
			     struct offset_part *part)
{
	memset(part, 0, sizeof *part);
	part->partition = (int32_t)be32_get(it->p);
	it->p += 4;
	if (!offset_record_has_offsets(it->type))
		return;
	part->offset = (int64_t)be64_get(it->p);
	part->leader_epoch = (int32_t)be32_get(it->p + 8);
	part->commit_ms = (int64_t)be64_get(it->p + 12);
	part->expire_ms = (int64_t)be64_get(it->p + 20);
	part->metadata_len = be32_get(it->p + 28);
	part->metadata = (const char *)it->p + 32;
	it->p += 32 + part->metadata_len;
}
