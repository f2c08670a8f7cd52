/*
 * The bounds-checked decoding cursor (see byte_reader.h).  Ownership: the
 * reader points into bytes it does not own; strings it copies belong to
 * the caller.  Threading: no state of its own.
 */
#include "common/byte_reader.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/errors.h"

void byte_reader_init(struct byte_reader *r, const void *data, size_t len)
{
	r->p = data;
	r->end = r->p + len;
	r->err = 0;
}

void byte_reader_fail(struct byte_reader *r, int err)
{
	if (!r->err)
		r->err = err;
}

size_t byte_reader_left(const struct byte_reader *r)
{
	return (size_t)(r->end - r->p);
}

const uint8_t *byte_reader_take(struct byte_reader *r, size_t n)
{
	if (r->err)
		return NULL;
	if (byte_reader_left(r) < n) {
		r->err = SL_ECORRUPT;
		return NULL;
	}
	const uint8_t *at = r->p;
	r->p += n;
	return at;
}

uint8_t byte_reader_u8(struct byte_reader *r)
{
	const uint8_t *p = byte_reader_take(r, 1);
	return p ? *p : 0;
}

uint16_t byte_reader_be16(struct byte_reader *r)
{
	const uint8_t *p = byte_reader_take(r, 2);
	return p ? be16_get(p) : 0;
}

uint32_t byte_reader_be32(struct byte_reader *r)
{
	const uint8_t *p = byte_reader_take(r, 4);
	return p ? be32_get(p) : 0;
}

uint64_t byte_reader_be64(struct byte_reader *r)
{
	const uint8_t *p = byte_reader_take(r, 8);
	return p ? be64_get(p) : 0;
}

const uint8_t *byte_reader_str16(struct byte_reader *r, uint16_t *len)
{
	*len = byte_reader_be16(r);
	return byte_reader_take(r, *len);
}

char *byte_reader_strdup(struct byte_reader *r, size_t len)
{
	const uint8_t *p = byte_reader_take(r, len);
	if (!p)
		return NULL;
	char *s = malloc(len + 1);
	if (!s) {
		byte_reader_fail(r, SL_ENOMEM);
		return NULL;
	}
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}
