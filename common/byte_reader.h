/*
 * A bounds-checked cursor over bytes that records are decoded from, the
 * reading side of byte_buf.h: big-endian integers (byte order comes from
 * bytes.h) and u16-length strings.  The first error sticks: once a read
 * would run past the end, it and every later read return 0 (or NULL) and
 * consume nothing, so a decoder reads a whole record and checks err once.
 */
#ifndef SLUICE_BYTE_READER_H
#define SLUICE_BYTE_READER_H

#include <stddef.h>
#include <stdint.h>

/* Points into the caller's bytes, which must outlive it. */
struct byte_reader {
	const uint8_t *p, *end; /* the next byte, and one past the last */
	int err; /* 0, or the first error (SL_ECORRUPT: ran past the end) */
};

/* Starts reading the len bytes at data. */
void byte_reader_init(struct byte_reader *r, const void *data, size_t len);

/* Makes err sticky unless an earlier error already is (a decoder's own
 * verdict on what it read, or SL_ENOMEM). */
void byte_reader_fail(struct byte_reader *r, int err);

/* Bytes not read yet. */
size_t byte_reader_left(const struct byte_reader *r);

/* Skips the next n bytes.  Returns a pointer to them, or NULL once err is
 * set (SL_ECORRUPT here if fewer than n are left). */
const uint8_t *byte_reader_take(struct byte_reader *r, size_t n);

/* Reads an integer, big-endian; 0 once err is set. */
uint8_t byte_reader_u8(struct byte_reader *r);
uint16_t byte_reader_be16(struct byte_reader *r);
uint32_t byte_reader_be32(struct byte_reader *r);
uint64_t byte_reader_be64(struct byte_reader *r);

/* Reads a big-endian u16 length into *len, then that many bytes.  Returns
 * a pointer to them (not NUL-terminated), or NULL once err is set; *len
 * is the length read even when the bytes then run short (0 if it did). */
const uint8_t *byte_reader_str16(struct byte_reader *r, uint16_t *len);

/* Reads len bytes as a new NUL-terminated string (caller frees; a NUL
 * among them is kept).  Returns NULL once err is set (SL_ENOMEM here if
 * the copy cannot be allocated). */
char *byte_reader_strdup(struct byte_reader *r, size_t len);

#endif
