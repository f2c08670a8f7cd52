/*
 * Encoding and parsing of catalog records (format in catalog_record.h).
 * Parsing tells a torn or garbage frame (cut the journal there) from a frame
 * whose CRCs hold but whose content makes no sense (corruption or a newer
 * format: refuse to guess).
 *
 * Ownership: a parsed TOPIC_CREATE or TOPIC_DELETE record owns a heap topic
 * until the caller takes it or calls catalog_record_clear.  Threading: no
 * state.  Durable: this is the on-disk format of the journal and snapshot.
 */
#include "brokerd/catalog/catalog_record.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/log.h"

/* A bounds-checked reader over a body; a short read sets a sticky error. */
struct catalog_reader {
	const uint8_t *p;
	size_t left;
	int err;
};

/* Returns a pointer to the next n bytes and skips them, or NULL. */
static const uint8_t *catalog_reader_take(struct catalog_reader *r, size_t n)
{
	if (r->err || r->left < n) {
		r->err = 1;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

/* Big-endian integers of each width; 0 after a short read. */
static uint16_t catalog_reader_u16(struct catalog_reader *r)
{
	const uint8_t *p = catalog_reader_take(r, 2);
	return p ? be16_get(p) : 0;
}

static uint32_t catalog_reader_u32(struct catalog_reader *r)
{
	const uint8_t *p = catalog_reader_take(r, 4);
	return p ? be32_get(p) : 0;
}

static uint64_t catalog_reader_u64(struct catalog_reader *r)
{
	const uint8_t *p = catalog_reader_take(r, 8);
	return p ? be64_get(p) : 0;
}

/* Reads len bytes as a new NUL-terminated string; NULL (sticky error) if
 * they run past the body or hold a NUL, which no C string we wrote has. */
static char *catalog_reader_str(struct catalog_reader *r, size_t len)
{
	const uint8_t *p = catalog_reader_take(r, len);
	if (!p || memchr(p, 0, len)) {
		r->err = 1;
		return NULL;
	}
	char *s = malloc(len + 1);
	if (!s) {
		r->err = 1;
		return NULL;
	}
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/* Makes room for n more bytes; returns 0 or SL_ENOMEM. */
static int catalog_record_buf_reserve(struct catalog_record_buf *buf,
				      size_t n)
{
	if (buf->cap - buf->len >= n)
		return 0;
	size_t cap = buf->cap ? buf->cap : 256;
	while (cap - buf->len < n)
		cap *= 2;
	uint8_t *data = realloc(buf->data, cap);
	if (!data)
		return SL_ENOMEM;
	buf->data = data;
	buf->cap = cap;
	return 0;
}

void catalog_record_buf_free(struct catalog_record_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
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
	free(topic);
}

void catalog_record_clear(struct catalog_record *rec)
{
	catalog_record_topic_free(rec->topic);
	rec->topic = NULL;
}

/* Body length of rec, or 0 if a field does not fit its encoding. */
static size_t catalog_record_body_len(const struct catalog_record *rec)
{
	const struct topic *t = rec->topic;
	size_t n;

	switch (rec->type) {
	case CATALOG_RECORD_GENERATION:
		return 16;
	case CATALOG_RECORD_STATE:
		return 28;
	case CATALOG_RECORD_TOPIC_DELETE:
		return 8 + 16 + 2 + strlen(t->name);
	case CATALOG_RECORD_TOPIC_CREATE:
		n = 8 + 16 + 8 + 4 + 2 + strlen(t->name) + 4;
		for (size_t i = 0; i < t->config_count; i++) {
			size_t klen = strlen(t->configs[i].name);
			size_t vlen = strlen(t->configs[i].value);
			if (klen > UINT16_MAX || vlen > CATALOG_RECORD_MAX_BODY)
				return 0;
			n += 2 + klen + 4 + vlen;
		}
		return n;
	}
	return 0;
}

/* Stores a u16-length-prefixed string at p; returns the byte after it. */
static uint8_t *catalog_record_put_str16(uint8_t *p, const char *s)
{
	size_t len = strlen(s);
	be16_put(p, (uint16_t)len);
	memcpy(p + 2, s, len);
	return p + 2 + len;
}

int catalog_record_encode(struct catalog_record_buf *buf,
			  const struct catalog_record *rec)
{
	size_t body_len = catalog_record_body_len(rec);
	if (body_len == 0 || body_len > CATALOG_RECORD_MAX_BODY)
		return SL_EINVAL;
	int rc = catalog_record_buf_reserve(
		buf, CATALOG_RECORD_HEADER_BYTES + body_len);
	if (rc)
		return rc;

	uint8_t *hdr = buf->data + buf->len;
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
		p += 20;
		break;
	case CATALOG_RECORD_TOPIC_DELETE:
		memcpy(p, t->id, 16);
		p = catalog_record_put_str16(p + 16, t->name);
		break;
	case CATALOG_RECORD_TOPIC_CREATE:
		memcpy(p, t->id, 16);
		be64_put(p + 16, t->first_stream_id);
		be32_put(p + 24, (uint32_t)t->partition_count);
		p = catalog_record_put_str16(p + 28, t->name);
		be32_put(p, (uint32_t)t->config_count);
		p += 4;
		for (size_t i = 0; i < t->config_count; i++) {
			p = catalog_record_put_str16(p, t->configs[i].name);
			size_t vlen = strlen(t->configs[i].value);
			be32_put(p, (uint32_t)vlen);
			memcpy(p + 4, t->configs[i].value, vlen);
			p += 4 + vlen;
		}
		break;
	}
	SL_ASSERT((size_t)(p - body) == body_len);

	be32_put(hdr, CATALOG_RECORD_MAGIC);
	be16_put(hdr + 4, CATALOG_RECORD_VERSION);
	be16_put(hdr + 6, (uint16_t)rec->type);
	be32_put(hdr + 8, (uint32_t)body_len);
	be32_put(hdr + 12, crc32c(body, body_len));
	be32_put(hdr + 16, crc32c(hdr, 16));
	buf->len += CATALOG_RECORD_HEADER_BYTES + body_len;
	return 0;
}

/* Decodes the body of a TOPIC_CREATE or TOPIC_DELETE record after its seq
 * into a new topic; returns NULL if the content is inconsistent. */
static struct topic *catalog_record_parse_topic(struct catalog_reader *r,
						enum catalog_record_type type)
{
	struct topic *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	const uint8_t *id = catalog_reader_take(r, 16);
	if (id)
		memcpy(t->id, id, 16);
	if (type == CATALOG_RECORD_TOPIC_CREATE) {
		t->first_stream_id = catalog_reader_u64(r);
		t->partition_count = (int32_t)catalog_reader_u32(r);
	}
	size_t name_len = catalog_reader_u16(r);
	const uint8_t *name = catalog_reader_take(r, name_len);
	if (!name || name_len == 0 || name_len > TOPIC_NAME_MAX ||
	    memchr(name, 0, name_len))
		goto bad;
	memcpy(t->name, name, name_len);
	if (type == CATALOG_RECORD_TOPIC_DELETE)
		return t;

	if (t->partition_count < 1 || t->first_stream_id == 0 ||
	    t->first_stream_id > UINT64_MAX - (uint64_t)t->partition_count)
		goto bad;
	uint32_t count = catalog_reader_u32(r);
	/* Each config takes at least 6 bytes: bounds the allocation. */
	if (r->err || count > r->left / 6)
		goto bad;
	if (count) {
		t->configs = calloc(count, sizeof *t->configs);
		if (!t->configs)
			goto bad;
	}
	for (uint32_t i = 0; i < count; i++) {
		t->configs[i].name = catalog_reader_str(r,
							catalog_reader_u16(r));
		t->config_count = i + 1;
		t->configs[i].value = catalog_reader_str(r,
							 catalog_reader_u32(r));
		if (r->err || !t->configs[i].name[0])
			goto bad;
	}
	return t;
bad:
	catalog_record_topic_free(t);
	return NULL;
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
	if (version != CATALOG_RECORD_VERSION) {
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

	struct catalog_reader r = { body, body_len, 0 };
	rec->type = type;
	rec->seq = catalog_reader_u64(&r);
	switch (type) {
	case CATALOG_RECORD_GENERATION:
		rec->generation = catalog_reader_u64(&r);
		break;
	case CATALOG_RECORD_STATE:
		rec->generation = catalog_reader_u64(&r);
		rec->next_stream_id = catalog_reader_u64(&r);
		rec->topic_count = catalog_reader_u32(&r);
		break;
	case CATALOG_RECORD_TOPIC_CREATE:
	case CATALOG_RECORD_TOPIC_DELETE:
		if (r.err)
			break;
		rec->topic = catalog_record_parse_topic(&r, type);
		if (!rec->topic)
			r.err = 1;
		break;
	default:
		*why = "unknown record type";
		return CATALOG_RECORD_BAD;
	}
	if (r.err || r.left != 0) {
		catalog_record_clear(rec);
		*why = "body does not decode";
		return CATALOG_RECORD_BAD;
	}
	*used = CATALOG_RECORD_HEADER_BYTES + body_len;
	return CATALOG_RECORD_OK;
}
