/*
 * The response encoder (see kwriter.h).
 */
#include "kwriter.h"

#include <string.h>

#include <event2/buffer.h>

#include "common/bytes.h"

void kw_raw(struct kwriter *w, const void *p, size_t len)
{
	if (len)
		evbuffer_add(w->buf, p, len);
}

void kw_i8(struct kwriter *w, int8_t v)
{
	kw_raw(w, &v, 1);
}

void kw_i16(struct kwriter *w, int16_t v)
{
	uint8_t b[2];
	be16_put(b, (uint16_t)v);
	kw_raw(w, b, 2);
}

void kw_i32(struct kwriter *w, int32_t v)
{
	uint8_t b[4];
	be32_put(b, (uint32_t)v);
	kw_raw(w, b, 4);
}

void kw_i64(struct kwriter *w, int64_t v)
{
	uint8_t b[8];
	be64_put(b, (uint64_t)v);
	kw_raw(w, b, 8);
}

void kw_bool(struct kwriter *w, int v)
{
	kw_i8(w, v ? 1 : 0);
}

void kw_uvarint(struct kwriter *w, uint32_t v)
{
	uint8_t b[5];
	size_t n = 0;
	while (v >= 0x80) {
		b[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (uint8_t)v;
	kw_raw(w, b, n);
}

void kw_uuid(struct kwriter *w, const uint8_t id[16])
{
	kw_raw(w, id, 16);
}

/* Length prefix: compact N+1 when flexible, else 16- or 32-bit signed. */
static void kw_length(struct kwriter *w, int32_t len, int wide)
{
	if (w->flexible)
		kw_uvarint(w, (uint32_t)(len + 1));
	else if (wide)
		kw_i32(w, len);
	else
		kw_i16(w, (int16_t)len);
}

void kw_string_len(struct kwriter *w, const void *p, int32_t len)
{
	kw_length(w, len < 0 ? -1 : len, 0);
	if (len > 0)
		kw_raw(w, p, (size_t)len);
}

void kw_string(struct kwriter *w, const char *s)
{
	kw_string_len(w, s, s ? (int32_t)strlen(s) : -1);
}

void kw_bytes(struct kwriter *w, const void *p, int32_t len)
{
	kw_length(w, len < 0 ? -1 : len, 1);
	if (len > 0)
		kw_raw(w, p, (size_t)len);
}

void kw_bytes_len(struct kwriter *w, int32_t len)
{
	kw_length(w, len, 1);
}

void kw_array(struct kwriter *w, int32_t count)
{
	kw_length(w, count < 0 ? -1 : count, 1);
}

void kw_tags(struct kwriter *w)
{
	if (w->flexible)
		kw_uvarint(w, 0);
}
