/*
 * The bounds-checked request reader (see kreader.h).
 */
#include "kreader.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"

/* Returns a pointer to the next len bytes and consumes them, or NULL after
 * failing the reader. */
static const uint8_t *kr_take(struct kreader *r, size_t len)
{
	if (r->failed || (size_t)(r->end - r->p) < len) {
		kreader_fail(r);
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += len;
	return p;
}

int8_t kr_i8(struct kreader *r)
{
	const uint8_t *p = kr_take(r, 1);
	return p ? (int8_t)p[0] : 0;
}

int16_t kr_i16(struct kreader *r)
{
	const uint8_t *p = kr_take(r, 2);
	return p ? (int16_t)be16_get(p) : 0;
}

int32_t kr_i32(struct kreader *r)
{
	const uint8_t *p = kr_take(r, 4);
	return p ? (int32_t)be32_get(p) : 0;
}

int64_t kr_i64(struct kreader *r)
{
	const uint8_t *p = kr_take(r, 8);
	return p ? (int64_t)be64_get(p) : 0;
}

int kr_bool(struct kreader *r)
{
	return kr_i8(r) != 0;
}

const uint8_t *kr_raw(struct kreader *r, size_t len)
{
	return kr_take(r, len);
}

void kr_uuid(struct kreader *r, uint8_t out[16])
{
	const uint8_t *p = kr_take(r, 16);
	if (p)
		memcpy(out, p, 16);
	else
		memset(out, 0, 16);
}

/* Unsigned LEB128 of at most max_bytes bytes. */
static uint64_t kr_uleb(struct kreader *r, int max_bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < max_bytes; i++) {
		const uint8_t *p = kr_take(r, 1);
		if (!p)
			return 0;
		v |= (uint64_t)(p[0] & 0x7f) << (7 * i);
		if (!(p[0] & 0x80))
			return v;
	}
	kreader_fail(r);
	return 0;
}

uint32_t kr_uvarint(struct kreader *r)
{
	uint64_t v = kr_uleb(r, 5);
	if (v > UINT32_MAX) {
		kreader_fail(r);
		return 0;
	}
	return (uint32_t)v;
}

int32_t kr_varint(struct kreader *r)
{
	uint32_t v = kr_uvarint(r);
	return (int32_t)((v >> 1) ^ (~(v & 1) + 1));
}

int64_t kr_varlong(struct kreader *r)
{
	uint64_t v = kr_uleb(r, 10);
	return (int64_t)((v >> 1) ^ (~(v & 1) + 1));
}

/* Reads a length prefix: compact (uvarint N+1, 0 = null) when flexible,
 * otherwise a 16- or 32-bit signed length (-1 = null). */
static int64_t kr_length(struct kreader *r, int wide)
{
	if (r->flexible)
		return (int64_t)kr_uvarint(r) - 1;
	return wide ? kr_i32(r) : kr_i16(r);
}

/* Reads a length-prefixed slice, allowing null only when nullable. */
static struct kslice kr_slice(struct kreader *r, int64_t len, int nullable)
{
	struct kslice s = {NULL, -1};
	if (r->failed)
		return s;
	if (len < 0) {
		if (len != -1 || !nullable)
			kreader_fail(r);
		return s;
	}
	if (len > INT32_MAX) {
		kreader_fail(r);
		return s;
	}
	s.p = kr_take(r, (size_t)len);
	s.len = s.p ? (int32_t)len : -1;
	return s;
}

struct kslice kr_string(struct kreader *r)
{
	return kr_slice(r, kr_length(r, 0), 0);
}

struct kslice kr_nullable_string(struct kreader *r)
{
	return kr_slice(r, kr_length(r, 0), 1);
}

struct kslice kr_legacy_nullable_string(struct kreader *r)
{
	return kr_slice(r, kr_i16(r), 1);
}

struct kslice kr_bytes(struct kreader *r)
{
	return kr_slice(r, kr_length(r, 1), 0);
}

struct kslice kr_nullable_bytes(struct kreader *r)
{
	return kr_slice(r, kr_length(r, 1), 1);
}

int32_t kr_array(struct kreader *r, int32_t max, size_t min_elem)
{
	int64_t n = r->flexible ? (int64_t)kr_uvarint(r) - 1 : kr_i32(r);
	if (r->failed)
		return 0;
	if (n == -1)
		return -1;
	if (n < -1 || n > max ||
	    (min_elem && (uint64_t)n * min_elem > kreader_left(r))) {
		kreader_fail(r);
		return 0;
	}
	return (int32_t)n;
}

void *kr_array_calloc(struct kreader *r, int32_t max, size_t min_elem,
		      size_t size, int32_t *count)
{
	*count = kr_array(r, max, min_elem);
	if (*count < 0) {
		kreader_fail(r);
		*count = 0;
	}
	if (*count == 0)
		return NULL;
	void *elems = calloc((size_t)*count, size);
	if (!elems) {
		kreader_fail(r);
		*count = 0;
	}
	return elems;
}

void kr_tags(struct kreader *r)
{
	if (!r->flexible)
		return;
	uint32_t n = kr_uvarint(r);
	for (uint32_t i = 0; i < n && !r->failed; i++) {
		(void)kr_uvarint(r); /* tag */
		uint32_t size = kr_uvarint(r);
		kr_take(r, size);
	}
}

void kr_slice_to_cstr(struct kreader *r, struct kslice s, char *buf, size_t size)
{
	if (s.len < 0 || (size_t)s.len >= size) {
		kreader_fail(r);
		buf[0] = '\0';
		return;
	}
	memcpy(buf, s.p, (size_t)s.len);
	buf[s.len] = '\0';
}
