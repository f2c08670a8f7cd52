/*
 * The growable encoding buffer (see byte_buf.h).  Ownership: the buffer
 * owns data; a caller may take it (and must then forget the buffer).
 * Threading: no state of its own.
 */
#include "common/byte_buf.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/errors.h"

/* Small enough for a single record, doubled as records pile up. */
#define BYTE_BUF_FIRST_CAP 256

uint8_t *byte_buf_grow(struct byte_buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (b->cap - b->len < n) {
		if (n > SIZE_MAX - b->len) {
			b->err = SL_ENOMEM;
			return NULL;
		}
		size_t cap = b->cap ? b->cap : BYTE_BUF_FIRST_CAP;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2) {
				b->err = SL_ENOMEM;
				return NULL;
			}
			cap *= 2;
		}
		uint8_t *data = realloc(b->data, cap);
		if (!data) {
			b->err = SL_ENOMEM;
			return NULL;
		}
		b->data = data;
		b->cap = cap;
	}
	uint8_t *at = b->data + b->len;
	b->len += n;
	return at;
}

void byte_buf_fail(struct byte_buf *b, int err)
{
	if (!b->err)
		b->err = err;
}

void byte_buf_put(struct byte_buf *b, const void *src, size_t n)
{
	uint8_t *p = byte_buf_grow(b, n);
	if (p && n)
		memcpy(p, src, n);
}

void byte_buf_put_zeros(struct byte_buf *b, size_t n)
{
	uint8_t *p = byte_buf_grow(b, n);
	if (p && n)
		memset(p, 0, n);
}

void byte_buf_put_u8(struct byte_buf *b, uint8_t v)
{
	uint8_t *p = byte_buf_grow(b, 1);
	if (p)
		*p = v;
}

void byte_buf_put_be16(struct byte_buf *b, uint16_t v)
{
	uint8_t *p = byte_buf_grow(b, 2);
	if (p)
		be16_put(p, v);
}

void byte_buf_put_be32(struct byte_buf *b, uint32_t v)
{
	uint8_t *p = byte_buf_grow(b, 4);
	if (p)
		be32_put(p, v);
}

void byte_buf_put_be64(struct byte_buf *b, uint64_t v)
{
	uint8_t *p = byte_buf_grow(b, 8);
	if (p)
		be64_put(p, v);
}

void byte_buf_put_str16(struct byte_buf *b, const char *s, size_t len)
{
	if (len > UINT16_MAX) {
		byte_buf_fail(b, SL_EINVAL);
		return;
	}
	uint8_t *p = byte_buf_grow(b, 2 + len);
	if (!p)
		return;
	be16_put(p, (uint16_t)len);
	if (len)
		memcpy(p + 2, s, len);
}

void byte_buf_free(struct byte_buf *b)
{
	free(b->data);
	*b = (struct byte_buf){0};
}
