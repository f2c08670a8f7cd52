/*
 * Encoding and parsing of catalog records (format in catalog_record.h).
 * Parsing tells a torn or garbage frame (cut the journal there) from a frame
 * whose CRCs hold but whose content makes no sense (corruption or a newer
 * format: refuse to guess).
 *
 * Ownership: a parsed TOPIC_CREATE or TOPIC_DELETE record owns a heap topic
 * until the caller takes it or calls catalog_record_clear; a parsed object
 * record owns its arrays until catalog_record_clear.  Threading: no state.
 * Durable: this is the on-disk format of the journal and snapshot.
 */
#include "brokerd/catalog/catalog_record.h"

#include <stdlib.h>
#include <string.h>

#include "common/byte_reader.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/log.h"

/* Reads len bytes as a new NUL-terminated string; NULL (sticky error) if
 * they run past the body or hold a NUL, which no C string we wrote has. */
static char *catalog_reader_str(struct byte_reader *r, size_t len)
{
	char *s = byte_reader_strdup(r, len);
	if (s && strlen(s) != len) {
		free(s);
		byte_reader_fail(r, SL_ECORRUPT);
		return NULL;
	}
	return s;
}

void catalog_record_topic_free(struct topic *topic)
{
	if (!topic)
		return;
	for (size_t i = 0; i < topic->config_count; i++) {
		free(topic->configs[i].name);
		free(topic->configs[i].value);
	}
	free(topic->configs);
	free(topic->stream_ids);
	free(topic);
}

/* Frees n config entries and their array. */
static void catalog_record_entries_free(struct topic_config_entry *e,
					size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].value);
	}
	free(e);
}

void catalog_record_clear(struct catalog_record *rec)
{
	catalog_record_topic_free(rec->topic);
	rec->topic = NULL;
	if (rec->owns_arrays) {
		free((void *)rec->objects);
		free((void *)rec->retired_ms);
		free((void *)rec->blocks);
		free((void *)rec->ids);
		catalog_record_entries_free(rec->entries, rec->entry_count);
	}
	rec->entries = NULL;
	rec->entry_count = 0;
	rec->objects = NULL;
	rec->retired_ms = NULL;
	rec->blocks = NULL;
	rec->ids = NULL;
	rec->owns_arrays = 0;
}

/* Bytes taken by count items of unit bytes each, or 0 when that passes the
 * body limit (so a caller's huge count cannot overflow the sum). */
static size_t catalog_record_items(size_t count, size_t unit)
{
	if (count > CATALOG_RECORD_MAX_BODY / unit)
		return 0;
	return count * unit;
}

/* Sum of the objects' block counts, which must equal the record's block
 * count for UPLOAD and REPLACE; 0 on mismatch is caught by the caller. */
static int catalog_record_blocks_match(const struct catalog_record *rec)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < rec->object_count; i++)
		sum += rec->objects[i].block_count;
	return sum == rec->block_count;
}

/* Body length of an object-storage record, or 0 if it does not fit. */
static size_t catalog_record_object_body_len(const struct catalog_record *rec)
{
	size_t objs = catalog_record_items(rec->object_count,
					   CATALOG_RECORD_OBJECT_BYTES);
	size_t blocks = catalog_record_items(rec->block_count,
					     CATALOG_RECORD_BLOCK_BYTES);
	size_t ids = catalog_record_items(rec->id_count, 8);
	int too_big = (rec->object_count && !objs) ||
		      (rec->block_count && !blocks) || (rec->id_count && !ids);
	if (too_big)
		return 0;

	switch (rec->type) {
	case CATALOG_RECORD_UPLOAD:
		if (rec->object_count != 1 || !catalog_record_blocks_match(rec))
			return 0;
		return 8 + objs + blocks;
	case CATALOG_RECORD_REPLACE:
		if (!catalog_record_blocks_match(rec))
			return 0;
		return 8 + 8 + 4 + ids + 4 + objs + blocks;
	case CATALOG_RECORD_FORGET:
		return 8 + 4 + ids;
	case CATALOG_RECORD_LOG_START:
		return 8 + 8 + 8;
	case CATALOG_RECORD_OBJECTS:
		return 8 + 4 + objs +
		       catalog_record_items(rec->object_count, 8);
	case CATALOG_RECORD_STREAM:
		return 8 + 8 + 8 + 8 + 4 + blocks;
	default:
		return 0;
	}
}

/* Encoded length of a configs list (count, then the entries), or 0 if an
 * entry does not fit its length fields or the list the body limit. */
static size_t catalog_record_configs_len(const struct topic_config_entry *c,
					 size_t n)
{
	size_t len = 4;
	if (n > CATALOG_RECORD_MAX_BODY / 6)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t klen = strlen(c[i].name);
		size_t vlen = strlen(c[i].value);
		if (klen > UINT16_MAX || vlen > CATALOG_RECORD_MAX_BODY)
			return 0;
		len += 2 + klen + 4 + vlen;
		if (len > CATALOG_RECORD_MAX_BODY)
			return 0;
	}
	return len;
}

/* Body length of rec, or 0 if a field does not fit its encoding. */
static size_t catalog_record_body_len(const struct catalog_record *rec)
{
	const struct topic *t = rec->topic;
	size_t n, configs;

	switch (rec->type) {
	case CATALOG_RECORD_GENERATION:
		return 16;
	case CATALOG_RECORD_STATE:
		return 60;
	case CATALOG_RECORD_TOPIC_DELETE:
		return 8 + 16 + 2 + strlen(t->name);
	case CATALOG_RECORD_TOPIC_CREATE:
	case CATALOG_RECORD_TOPIC_CONFIG:
		configs = catalog_record_configs_len(t->configs,
						     t->config_count);
		if (!configs)
			return 0;
		n = 8 + 16 + 2 + strlen(t->name) + configs;
		if (rec->type == CATALOG_RECORD_TOPIC_CONFIG)
			return n;
		if (t->partition_count < 1 ||
		    (uint64_t)t->partition_count > CATALOG_RECORD_MAX_BODY / 8)
			return 0;
		return n + 4 + 8 * (size_t)t->partition_count;
	case CATALOG_RECORD_PARTITIONS:
		return 8 + 16 + 2 + strlen(t->name) + 4 + 4 + 8;
	case CATALOG_RECORD_BROKER_CONFIG:
		configs = catalog_record_configs_len(rec->entries,
						     rec->entry_count);
		return configs ? 8 + configs : 0;
	default:
		return catalog_record_object_body_len(rec);
	}
}

/* Stores a u16-length-prefixed string at p; returns the byte after it. */
static uint8_t *catalog_record_put_str16(uint8_t *p, const char *s)
{
	size_t len = strlen(s);
	be16_put(p, (uint16_t)len);
	memcpy(p + 2, s, len);
	return p + 2 + len;
}

/* Stores a configs list (count, entries) at p; returns the byte after. */
static uint8_t *catalog_record_put_configs(uint8_t *p,
					   const struct topic_config_entry *c,
					   size_t n)
{
	be32_put(p, (uint32_t)n);
	p += 4;
	for (size_t i = 0; i < n; i++) {
		p = catalog_record_put_str16(p, c[i].name);
		size_t vlen = strlen(c[i].value);
		be32_put(p, (uint32_t)vlen);
		memcpy(p + 4, c[i].value, vlen);
		p += 4 + vlen;
	}
	return p;
}

/* Stores an object's 48 bytes at p; returns the byte after them. */
static uint8_t *catalog_record_put_object(uint8_t *p,
					  const struct catalog_object *o)
{
	be64_put(p, o->id);
	be64_put(p + 8, o->size);
	be64_put(p + 16, o->wal_start);
	be64_put(p + 24, o->wal_end);
	be64_put(p + 32, (uint64_t)o->created_ms);
	be32_put(p + 40, o->block_count);
	be32_put(p + 44, o->flags);
	return p + CATALOG_RECORD_OBJECT_BYTES;
}

/* Stores a block's 56 bytes at p, led by id (its stream's or its
 * object's, whichever the record does not imply); returns the byte after. */
static uint8_t *catalog_record_put_block(uint8_t *p, uint64_t id,
					 const struct catalog_block *b)
{
	be64_put(p, id);
	be64_put(p + 8, (uint64_t)b->start_offset);
	be64_put(p + 16, (uint64_t)b->end_offset);
	be64_put(p + 24, (uint64_t)b->max_timestamp);
	be64_put(p + 32, b->record_count);
	be64_put(p + 40, b->position);
	be32_put(p + 48, b->size);
	be32_put(p + 52, b->crc);
	return p + CATALOG_RECORD_BLOCK_BYTES;
}

/* Stores a u32 count and count u64 ids at p; returns the byte after. */
static uint8_t *catalog_record_put_ids(uint8_t *p, const uint64_t *ids,
				       size_t count)
{
	be32_put(p, (uint32_t)count);
	p += 4;
	for (size_t i = 0; i < count; i++, p += 8)
		be64_put(p, ids[i]);
	return p;
}

/* Encodes the body of an object-storage record after its seq at p;
 * returns the byte after it. */
static uint8_t *catalog_record_put_object_body(uint8_t *p,
					       const struct catalog_record *rec)
{
	switch (rec->type) {
	case CATALOG_RECORD_UPLOAD:
	case CATALOG_RECORD_REPLACE:
		if (rec->type == CATALOG_RECORD_REPLACE) {
			be64_put(p, (uint64_t)rec->retire_ms);
			p = catalog_record_put_ids(p + 8, rec->ids,
						   rec->id_count);
			be32_put(p, (uint32_t)rec->object_count);
			p += 4;
		}
		for (size_t i = 0; i < rec->object_count; i++)
			p = catalog_record_put_object(p, &rec->objects[i]);
		for (size_t i = 0; i < rec->block_count; i++)
			p = catalog_record_put_block(p,
						     rec->blocks[i].stream_id,
						     &rec->blocks[i]);
		break;
	case CATALOG_RECORD_FORGET:
		p = catalog_record_put_ids(p, rec->ids, rec->id_count);
		break;
	case CATALOG_RECORD_LOG_START:
		be64_put(p, rec->stream_id);
		be64_put(p + 8, (uint64_t)rec->log_start);
		p += 16;
		break;
	case CATALOG_RECORD_OBJECTS:
		be32_put(p, (uint32_t)rec->object_count);
		p += 4;
		for (size_t i = 0; i < rec->object_count; i++) {
			p = catalog_record_put_object(p, &rec->objects[i]);
			be64_put(p, (uint64_t)rec->retired_ms[i]);
			p += 8;
		}
		break;
	case CATALOG_RECORD_STREAM:
		be64_put(p, rec->stream_id);
		be64_put(p + 8, (uint64_t)rec->log_start);
		be64_put(p + 16, (uint64_t)rec->stream_end);
		be32_put(p + 24, (uint32_t)rec->block_count);
		p += 28;
		for (size_t i = 0; i < rec->block_count; i++)
			p = catalog_record_put_block(p,
						     rec->blocks[i].object_id,
						     &rec->blocks[i]);
		break;
	default:
		break;
	}
	return p;
}

int catalog_record_encode(struct byte_buf *buf,
			  const struct catalog_record *rec)
{
	size_t body_len = catalog_record_body_len(rec);
	if (body_len == 0 || body_len > CATALOG_RECORD_MAX_BODY)
		return SL_EINVAL;
	uint8_t *hdr = byte_buf_grow(buf, CATALOG_RECORD_HEADER_BYTES + body_len);
	if (!hdr)
		return buf->err;

	uint8_t *body = hdr + CATALOG_RECORD_HEADER_BYTES;
	uint8_t *p = body;
	const struct topic *t = rec->topic;

	be64_put(p, rec->seq);
	p += 8;
	switch (rec->type) {
	case CATALOG_RECORD_GENERATION:
		be64_put(p, rec->generation);
		p += 8;
		break;
	case CATALOG_RECORD_STATE:
		be64_put(p, rec->generation);
		be64_put(p + 8, rec->next_stream_id);
		be32_put(p + 16, rec->topic_count);
		be64_put(p + 20, rec->uploaded_end);
		be64_put(p + 28, rec->object_total);
		be64_put(p + 36, rec->stream_total);
		be64_put(p + 44, rec->block_total);
		p += 52;
		break;
	case CATALOG_RECORD_TOPIC_DELETE:
		memcpy(p, t->id, 16);
		p = catalog_record_put_str16(p + 16, t->name);
		break;
	case CATALOG_RECORD_TOPIC_CREATE:
		memcpy(p, t->id, 16);
		be32_put(p + 16, (uint32_t)t->partition_count);
		p = catalog_record_put_str16(p + 20, t->name);
		p = catalog_record_put_configs(p, t->configs, t->config_count);
		for (int32_t i = 0; i < t->partition_count; i++, p += 8)
			be64_put(p, t->stream_ids[i]);
		break;
	case CATALOG_RECORD_TOPIC_CONFIG:
		memcpy(p, t->id, 16);
		p = catalog_record_put_str16(p + 16, t->name);
		p = catalog_record_put_configs(p, t->configs, t->config_count);
		break;
	case CATALOG_RECORD_PARTITIONS:
		memcpy(p, t->id, 16);
		p = catalog_record_put_str16(p + 16, t->name);
		be32_put(p, (uint32_t)rec->partitions_before);
		be32_put(p + 4, (uint32_t)t->partition_count);
		be64_put(p + 8, rec->first_new_stream);
		p += 16;
		break;
	case CATALOG_RECORD_BROKER_CONFIG:
		p = catalog_record_put_configs(p, rec->entries,
					       rec->entry_count);
		break;
	default:
		p = catalog_record_put_object_body(p, rec);
		break;
	}
	SL_ASSERT((size_t)(p - body) == body_len);

	be32_put(hdr, CATALOG_RECORD_MAGIC);
	be16_put(hdr + 4, CATALOG_RECORD_VERSION);
	be16_put(hdr + 6, (uint16_t)rec->type);
	be32_put(hdr + 8, (uint32_t)body_len);
	be32_put(hdr + 12, crc32c(body, body_len));
	be32_put(hdr + 16, crc32c(hdr, 16));
	return 0;
}

/* Reads a configs list into a new array (*out, *n); a short read, a NUL
 * or an empty key sets the sticky error (what was read stays in *out for
 * the caller to free). */
static void catalog_reader_configs(struct byte_reader *r,
				   struct topic_config_entry **out, size_t *n)
{
	uint32_t count = byte_reader_be32(r);
	/* Each config takes at least 6 bytes: bounds the allocation. */
	if (r->err || count > byte_reader_left(r) / 6) {
		byte_reader_fail(r, SL_ECORRUPT);
		return;
	}
	if (!count)
		return;
	struct topic_config_entry *c = calloc(count, sizeof *c);
	if (!c) {
		byte_reader_fail(r, SL_ENOMEM);
		return;
	}
	*out = c;
	for (uint32_t i = 0; i < count; i++) {
		c[i].name = catalog_reader_str(r, byte_reader_be16(r));
		*n = i + 1;
		c[i].value = catalog_reader_str(r, byte_reader_be32(r));
		if (r->err || !c[i].name[0]) {
			byte_reader_fail(r, SL_ECORRUPT);
			return;
		}
	}
}

/* Reads a TOPIC_CREATE's stream ids: version 3 lists them (ascending,
 * never 0); versions 1 and 2 give the first, the rest follow it.  Returns
 * 0, or -1 if they are inconsistent. */
static int catalog_reader_stream_ids(struct byte_reader *r,
				     struct topic *t, uint16_t version,
				     uint64_t first)
{
	uint64_t count = (uint64_t)t->partition_count;
	if (t->partition_count < 1 || count > CATALOG_RECORD_MAX_BODY / 8)
		return -1;
	if (version >= 3 && (r->err || count > byte_reader_left(r) / 8))
		return -1;
	if (version < 3 && (first == 0 || first > UINT64_MAX - count))
		return -1;
	t->stream_ids = malloc((size_t)count * sizeof *t->stream_ids);
	if (!t->stream_ids)
		return -1;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t id = version >= 3 ? byte_reader_be64(r) : first + i;
		if (id == 0 || (i > 0 && id <= t->stream_ids[i - 1]))
			return -1;
		t->stream_ids[i] = id;
	}
	return 0;
}

/* Decodes the body of a topic record (TOPIC_CREATE, TOPIC_DELETE,
 * TOPIC_CONFIG, PARTITIONS) after its seq into a new topic; returns NULL if
 * the content is inconsistent. */
static struct topic *catalog_record_parse_topic(struct byte_reader *r,
						struct catalog_record *rec)
{
	enum catalog_record_type type = rec->type;
	struct topic *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	const uint8_t *id = byte_reader_take(r, 16);
	if (id)
		memcpy(t->id, id, 16);
	uint64_t first = 0;
	if (type == CATALOG_RECORD_TOPIC_CREATE) {
		if (rec->version < 3)
			first = byte_reader_be64(r);
		t->partition_count = (int32_t)byte_reader_be32(r);
	}
	size_t name_len = byte_reader_be16(r);
	const uint8_t *name = byte_reader_take(r, name_len);
	if (!name || name_len == 0 || name_len > TOPIC_NAME_MAX ||
	    memchr(name, 0, name_len))
		goto bad;
	memcpy(t->name, name, name_len);

	switch (type) {
	case CATALOG_RECORD_TOPIC_DELETE:
		return t;
	case CATALOG_RECORD_PARTITIONS: {
		rec->partitions_before = (int32_t)byte_reader_be32(r);
		t->partition_count = (int32_t)byte_reader_be32(r);
		rec->first_new_stream = byte_reader_be64(r);
		uint64_t added = (uint64_t)t->partition_count -
				 (uint64_t)rec->partitions_before;
		if (r->err || rec->partitions_before < 1 ||
		    t->partition_count <= rec->partitions_before ||
		    rec->first_new_stream == 0 ||
		    rec->first_new_stream > UINT64_MAX - added)
			goto bad;
		return t;
	}
	default:
		break;
	}
	catalog_reader_configs(r, &t->configs, &t->config_count);
	if (r->err)
		goto bad;
	if (type == CATALOG_RECORD_TOPIC_CREATE &&
	    catalog_reader_stream_ids(r, t, rec->version, first) < 0)
		goto bad;
	return t;
bad:
	catalog_record_topic_free(t);
	return NULL;
}

/* Reads an object's 48 bytes into o. */
static void catalog_reader_object(struct byte_reader *r,
				  struct catalog_object *o)
{
	o->id = byte_reader_be64(r);
	o->size = byte_reader_be64(r);
	o->wal_start = byte_reader_be64(r);
	o->wal_end = byte_reader_be64(r);
	o->created_ms = (int64_t)byte_reader_be64(r);
	o->block_count = byte_reader_be32(r);
	o->flags = byte_reader_be32(r);
}

/* Reads a block's 56 bytes into b; the leading id is its stream's when
 * stream_led, else its object's. */
static void catalog_reader_block(struct byte_reader *r,
				 struct catalog_block *b, int stream_led)
{
	uint64_t id = byte_reader_be64(r);
	if (stream_led)
		b->stream_id = id;
	else
		b->object_id = id;
	b->start_offset = (int64_t)byte_reader_be64(r);
	b->end_offset = (int64_t)byte_reader_be64(r);
	b->max_timestamp = (int64_t)byte_reader_be64(r);
	b->record_count = byte_reader_be64(r);
	b->position = byte_reader_be64(r);
	b->size = byte_reader_be32(r);
	b->crc = byte_reader_be32(r);
}

/* Allocates count items of unit bytes for an array the body says follows,
 * refusing a count the remaining bytes cannot hold (bounds the allocation
 * by the body length).  Returns NULL with the sticky error set on failure,
 * or a non-NULL pointer (also for count 0). */
static void *catalog_reader_array(struct byte_reader *r, uint64_t count,
				  size_t unit, size_t elem)
{
	if (r->err || count > byte_reader_left(r) / unit) {
		byte_reader_fail(r, SL_ECORRUPT);
		return NULL;
	}
	void *a = calloc(count ? (size_t)count : 1, elem);
	if (!a)
		byte_reader_fail(r, SL_ENOMEM);
	return a;
}

/* Reads a u32 count and that many u64 ids into the record. */
static void catalog_reader_ids(struct byte_reader *r,
			       struct catalog_record *rec)
{
	uint32_t count = byte_reader_be32(r);
	uint64_t *ids = catalog_reader_array(r, count, 8, sizeof *ids);
	rec->ids = ids;
	if (!ids)
		return;
	rec->id_count = count;
	for (uint32_t i = 0; i < count; i++)
		ids[i] = byte_reader_be64(r);
}

/* Reads objects, then the blocks their block counts announce, with each
 * block's object id filled in from the object it belongs to. */
static void catalog_reader_objects_blocks(struct byte_reader *r,
					  struct catalog_record *rec,
					  uint32_t object_count)
{
	struct catalog_object *objs = catalog_reader_array(
		r, object_count, CATALOG_RECORD_OBJECT_BYTES, sizeof *objs);
	rec->objects = objs;
	if (!objs)
		return;
	rec->object_count = object_count;
	uint64_t total = 0;
	for (uint32_t i = 0; i < object_count; i++) {
		catalog_reader_object(r, &objs[i]);
		total += objs[i].block_count;
	}
	struct catalog_block *blocks = catalog_reader_array(
		r, total, CATALOG_RECORD_BLOCK_BYTES, sizeof *blocks);
	rec->blocks = blocks;
	if (!blocks)
		return;
	rec->block_count = (size_t)total;
	size_t b = 0;
	for (uint32_t i = 0; i < object_count; i++)
		for (uint32_t k = 0; k < objs[i].block_count; k++, b++) {
			catalog_reader_block(r, &blocks[b], 1);
			blocks[b].object_id = objs[i].id;
		}
}

/* Decodes the body of a version 2 object-storage record after its seq. */
static void catalog_record_parse_object_body(struct byte_reader *r,
					     struct catalog_record *rec)
{
	rec->owns_arrays = 1;
	switch (rec->type) {
	case CATALOG_RECORD_UPLOAD:
		catalog_reader_objects_blocks(r, rec, 1);
		break;
	case CATALOG_RECORD_REPLACE:
		rec->retire_ms = (int64_t)byte_reader_be64(r);
		catalog_reader_ids(r, rec);
		catalog_reader_objects_blocks(r, rec, byte_reader_be32(r));
		break;
	case CATALOG_RECORD_FORGET:
		catalog_reader_ids(r, rec);
		break;
	case CATALOG_RECORD_LOG_START:
		rec->stream_id = byte_reader_be64(r);
		rec->log_start = (int64_t)byte_reader_be64(r);
		break;
	case CATALOG_RECORD_OBJECTS: {
		uint32_t count = byte_reader_be32(r);
		size_t unit = CATALOG_RECORD_OBJECT_BYTES + 8;
		struct catalog_object *objs =
			catalog_reader_array(r, count, unit, sizeof *objs);
		int64_t *retired =
			catalog_reader_array(r, count, unit, sizeof *retired);
		rec->objects = objs;
		rec->retired_ms = retired;
		if (!objs || !retired)
			break;
		rec->object_count = count;
		for (uint32_t i = 0; i < count; i++) {
			catalog_reader_object(r, &objs[i]);
			retired[i] = (int64_t)byte_reader_be64(r);
		}
		break;
	}
	case CATALOG_RECORD_STREAM: {
		rec->stream_id = byte_reader_be64(r);
		rec->log_start = (int64_t)byte_reader_be64(r);
		rec->stream_end = (int64_t)byte_reader_be64(r);
		uint32_t count = byte_reader_be32(r);
		struct catalog_block *blocks = catalog_reader_array(
			r, count, CATALOG_RECORD_BLOCK_BYTES, sizeof *blocks);
		rec->blocks = blocks;
		if (!blocks)
			break;
		rec->block_count = count;
		for (uint32_t i = 0; i < count; i++) {
			catalog_reader_block(r, &blocks[i], 0);
			blocks[i].stream_id = rec->stream_id;
		}
		break;
	}
	default:
		byte_reader_fail(r, SL_ECORRUPT);
		break;
	}
}

enum catalog_record_status catalog_record_parse(const uint8_t *data,
						size_t avail,
						struct catalog_record *rec,
						size_t *used,
						const char **why)
{
	memset(rec, 0, sizeof *rec);
	if (avail < CATALOG_RECORD_HEADER_BYTES) {
		*why = "short header";
		return CATALOG_RECORD_TORN;
	}
	if (be32_get(data) != CATALOG_RECORD_MAGIC) {
		*why = "bad magic";
		return CATALOG_RECORD_TORN;
	}
	if (be32_get(data + 16) != crc32c(data, 16)) {
		*why = "bad header CRC";
		return CATALOG_RECORD_TORN;
	}
	/* From here the header is what a writer meant to write. */
	uint16_t version = be16_get(data + 4);
	uint16_t type = be16_get(data + 6);
	uint32_t body_len = be32_get(data + 8);
	if (version < 1 || version > CATALOG_RECORD_VERSION) {
		*why = "unsupported format version";
		return CATALOG_RECORD_BAD;
	}
	if (body_len > CATALOG_RECORD_MAX_BODY) {
		*why = "body length over the limit";
		return CATALOG_RECORD_BAD;
	}
	if (body_len > avail - CATALOG_RECORD_HEADER_BYTES) {
		*why = "body runs past the end";
		return CATALOG_RECORD_TORN;
	}
	const uint8_t *body = data + CATALOG_RECORD_HEADER_BYTES;
	if (be32_get(data + 12) != crc32c(body, body_len)) {
		*why = "bad body CRC";
		return CATALOG_RECORD_TORN;
	}

	struct byte_reader r;
	byte_reader_init(&r, body, body_len);
	rec->type = type;
	rec->version = version;
	rec->seq = byte_reader_be64(&r);
	switch (type) {
	case CATALOG_RECORD_GENERATION:
		rec->generation = byte_reader_be64(&r);
		break;
	case CATALOG_RECORD_STATE:
		rec->generation = byte_reader_be64(&r);
		rec->next_stream_id = byte_reader_be64(&r);
		rec->topic_count = byte_reader_be32(&r);
		if (version < 2)
			break;
		rec->uploaded_end = byte_reader_be64(&r);
		rec->object_total = byte_reader_be64(&r);
		rec->stream_total = byte_reader_be64(&r);
		rec->block_total = byte_reader_be64(&r);
		break;
	case CATALOG_RECORD_TOPIC_CONFIG:
	case CATALOG_RECORD_PARTITIONS:
		if (version < 3) {
			*why = "record type not in format versions 1 and 2";
			return CATALOG_RECORD_BAD;
		}
		/* fall through */
	case CATALOG_RECORD_TOPIC_CREATE:
	case CATALOG_RECORD_TOPIC_DELETE:
		if (r.err)
			break;
		rec->topic = catalog_record_parse_topic(&r, rec);
		if (!rec->topic)
			byte_reader_fail(&r, SL_ECORRUPT);
		break;
	case CATALOG_RECORD_BROKER_CONFIG:
		if (version < 3) {
			*why = "record type not in format versions 1 and 2";
			return CATALOG_RECORD_BAD;
		}
		rec->owns_arrays = 1;
		catalog_reader_configs(&r, &rec->entries, &rec->entry_count);
		break;
	case CATALOG_RECORD_UPLOAD:
	case CATALOG_RECORD_REPLACE:
	case CATALOG_RECORD_FORGET:
	case CATALOG_RECORD_LOG_START:
	case CATALOG_RECORD_OBJECTS:
	case CATALOG_RECORD_STREAM:
		if (version < 2) {
			*why = "record type not in format version 1";
			return CATALOG_RECORD_BAD;
		}
		catalog_record_parse_object_body(&r, rec);
		break;
	default:
		*why = "unknown record type";
		return CATALOG_RECORD_BAD;
	}
	if (r.err || byte_reader_left(&r)) {
		catalog_record_clear(rec);
		*why = "body does not decode";
		return CATALOG_RECORD_BAD;
	}
	*used = CATALOG_RECORD_HEADER_BYTES + body_len;
	return CATALOG_RECORD_OK;
}
