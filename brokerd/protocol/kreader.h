/*
 * Bounds-checked reader over the bytes of one Kafka request.  Every read
 * checks the remaining length; the first failure sets a sticky error and
 * all later reads return zero values, so a handler reads its fields in spec
 * order and checks kreader_failed() once.  `flexible` selects the compact
 * encodings (uvarint lengths, tagged fields) of flexible versions, so a
 * handler calls the same function in every version.
 */
#ifndef SLUICE_KREADER_H
#define SLUICE_KREADER_H

#include <stddef.h>
#include <stdint.h>

struct kreader {
	const uint8_t *p;
	const uint8_t *end;
	int flexible;
	int failed;
};

/* A string or bytes field pointing into the request; len -1 means null. */
struct kslice {
	const uint8_t *p;
	int32_t len;
};

static inline void kreader_init(struct kreader *r, const uint8_t *p, size_t len,
				int flexible)
{
	r->p = p;
	r->end = p + len;
	r->flexible = flexible;
	r->failed = 0;
}

static inline int kreader_failed(const struct kreader *r)
{
	return r->failed;
}

static inline size_t kreader_left(const struct kreader *r)
{
	return (size_t)(r->end - r->p);
}

int8_t kr_i8(struct kreader *r);
int16_t kr_i16(struct kreader *r);
int32_t kr_i32(struct kreader *r);
int64_t kr_i64(struct kreader *r);
int kr_bool(struct kreader *r);
uint32_t kr_uvarint(struct kreader *r);
int32_t kr_varint(struct kreader *r);
int64_t kr_varlong(struct kreader *r);
void kr_uuid(struct kreader *r, uint8_t out[16]);
/* Fixed-size raw bytes; NULL on failure. */
const uint8_t *kr_raw(struct kreader *r, size_t len);

/* STRING / COMPACT_STRING; a null fails (the field is not nullable). */
struct kslice kr_string(struct kreader *r);
/* NULLABLE_STRING / COMPACT_NULLABLE_STRING (len -1 for null). */
struct kslice kr_nullable_string(struct kreader *r);
/* The request header's client id: always a non-compact nullable string. */
struct kslice kr_legacy_nullable_string(struct kreader *r);
/* BYTES / COMPACT_BYTES and the NULLABLE variants (len -1 for null). */
struct kslice kr_bytes(struct kreader *r);
struct kslice kr_nullable_bytes(struct kreader *r);

/* An array's element count: -1 for a null array, otherwise 0..max.  A count
 * above max, or larger than the bytes left could hold (at least min_elem
 * bytes each), fails the reader. */
int32_t kr_array(struct kreader *r, int32_t max, size_t min_elem);

/* A non-nullable array (kr_array's max and min_elem) whose elements the
 * handler keeps: returns count zeroed elements of size bytes each (NULL
 * when there are none), with *count set.  A null array or no memory fails
 * the reader and gives *count 0. */
void *kr_array_calloc(struct kreader *r, int32_t max, size_t min_elem,
		      size_t size, int32_t *count);

/* Skips a tagged-field section in flexible versions (no-op otherwise). */
void kr_tags(struct kreader *r);

/* Copies a string slice into a NUL-terminated buffer; fails the reader if it
 * does not fit or is null. */
void kr_slice_to_cstr(struct kreader *r, struct kslice s, char *buf, size_t size);

/* Fails the reader (for handler-level checks). */
static inline void kreader_fail(struct kreader *r)
{
	r->failed = 1;
	r->p = r->end;
}

#endif
