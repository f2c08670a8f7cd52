/*
 * Response encoder: appends Kafka primitive types to an evbuffer, choosing
 * the compact encodings when `flexible` is set, so a handler writes its
 * fields in spec order with one call per field in every version.
 */
#ifndef SLUICE_KWRITER_H
#define SLUICE_KWRITER_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

struct kwriter {
	struct evbuffer *buf;
	int flexible;
};

void kw_i8(struct kwriter *w, int8_t v);
void kw_i16(struct kwriter *w, int16_t v);
void kw_i32(struct kwriter *w, int32_t v);
void kw_i64(struct kwriter *w, int64_t v);
void kw_bool(struct kwriter *w, int v);
void kw_uvarint(struct kwriter *w, uint32_t v);
void kw_uuid(struct kwriter *w, const uint8_t id[16]);
void kw_raw(struct kwriter *w, const void *p, size_t len);

/* STRING / NULLABLE_STRING (s NULL = null) with a compact length when
 * flexible. */
void kw_string(struct kwriter *w, const char *s);
void kw_string_len(struct kwriter *w, const void *p, int32_t len);
/* BYTES / NULLABLE_BYTES (len -1 = null). */
void kw_bytes(struct kwriter *w, const void *p, int32_t len);
/* Writes only the length prefix of a BYTES / RECORDS field whose len bytes
 * the caller appends next. */
void kw_bytes_len(struct kwriter *w, int32_t len);
/* An array count (-1 = null array). */
void kw_array(struct kwriter *w, int32_t count);
/* An empty tagged-field section when flexible (no-op otherwise). */
void kw_tags(struct kwriter *w);

#endif
