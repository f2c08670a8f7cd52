/*
 * A growable byte buffer that records are encoded into, with appends of
 * big-endian integers (byte order comes from bytes.h) and u16-length
 * strings.  The first error sticks: after it (out of memory, or one a
 * caller reports with byte_buf_fail) every append is a no-op, so an
 * encoder appends a whole record and checks err once at the end.
 */
#ifndef SLUICE_BYTE_BUF_H
#define SLUICE_BYTE_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Zero-initialise ({0}) to start empty; byte_buf_free releases it. */
struct byte_buf {
	uint8_t *data;
	size_t len, cap;
	int err; /* 0, or the first error (SL_ENOMEM, SL_EINVAL, ...) */
};

/* Appends n bytes for the caller to fill.  Returns a pointer to them, or
 * NULL once err is set (SL_ENOMEM here if they cannot be allocated). */
uint8_t *byte_buf_grow(struct byte_buf *b, size_t n);

/* Makes err sticky unless an earlier error already is. */
void byte_buf_fail(struct byte_buf *b, int err);

/* Appends n bytes copied from src, or n zero bytes. */
void byte_buf_put(struct byte_buf *b, const void *src, size_t n);
void byte_buf_put_zeros(struct byte_buf *b, size_t n);

/* Appends an integer, big-endian. */
void byte_buf_put_u8(struct byte_buf *b, uint8_t v);
void byte_buf_put_be16(struct byte_buf *b, uint16_t v);
void byte_buf_put_be32(struct byte_buf *b, uint32_t v);
void byte_buf_put_be64(struct byte_buf *b, uint64_t v);

/* Appends len as a big-endian u16, then the len bytes of s; a len over
 * UINT16_MAX appends nothing and makes SL_EINVAL sticky. */
void byte_buf_put_str16(struct byte_buf *b, const char *s, size_t len);

/* Releases the bytes and leaves the buffer empty. */
void byte_buf_free(struct byte_buf *b);

#endif
