/*
 * common/byte_buf.c: golden bytes of every append (the journal and
 * snapshot records of four modules are written with them, so a changed
 * byte is a changed on-disk format), growth far past the first
 * allocation, and the sticky error.  Allocation failure is reached without
 * a hook: a request whose size cannot be represented fails the way a
 * refused realloc does.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/byte_buf.h"
#include "common/errors.h"
#include "tests/unit/unit_main.h"

/* Asserts that b holds exactly the len bytes of want. */
static void assert_bytes(const struct byte_buf *b, const uint8_t *want,
			 size_t len)
{
	ck_assert_int_eq(b->err, 0);
	ck_assert_uint_eq(b->len, len);
	ck_assert_mem_eq(b->data, want, len);
}

START_TEST(test_byte_buf_golden)
{
	struct byte_buf b = {0};
	byte_buf_put_u8(&b, 0xa5);
	byte_buf_put_be16(&b, 0x0102);
	byte_buf_put_be32(&b, 0x03040506u);
	byte_buf_put_be64(&b, 0x0708090a0b0c0d0eull);
	byte_buf_put_str16(&b, "kafka", 5);
	byte_buf_put_str16(&b, NULL, 0);
	byte_buf_put(&b, "\xff\xfe", 2);
	byte_buf_put(&b, NULL, 0);
	byte_buf_put_zeros(&b, 3);
	static const uint8_t want[] = {
		0xa5,
		0x01, 0x02,
		0x03, 0x04, 0x05, 0x06,
		0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
		0x00, 0x05, 'k', 'a', 'f', 'k', 'a',
		0x00, 0x00,
		0xff, 0xfe,
		0x00, 0x00, 0x00,
	};
	assert_bytes(&b, want, sizeof want);
	byte_buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

/* Negative and all-ones values as the encoders cast them. */
START_TEST(test_byte_buf_signed_casts)
{
	struct byte_buf b = {0};
	byte_buf_put_be16(&b, (uint16_t)(int16_t)-2);
	byte_buf_put_be32(&b, (uint32_t)(int32_t)-1);
	byte_buf_put_be64(&b, (uint64_t)(int64_t)-3);
	static const uint8_t want[] = {
		0xff, 0xfe,
		0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd,
	};
	assert_bytes(&b, want, sizeof want);
	byte_buf_free(&b);
}
END_TEST

/* A pointer from grow stays the caller's to fill, and earlier bytes
 * survive every reallocation on the way to many times the first size. */
START_TEST(test_byte_buf_growth)
{
	struct byte_buf b = {0};
	const uint32_t count = 100000; /* 400 KB: many doublings */
	for (uint32_t i = 0; i < count; i++) {
		byte_buf_put_be32(&b, i);
		ck_assert_uint_le(b.len, b.cap);
	}
	uint8_t *tail = byte_buf_grow(&b, 5000); /* one step over a doubling */
	ck_assert_ptr_nonnull(tail);
	memset(tail, 0x5a, 5000);
	ck_assert_int_eq(b.err, 0);
	ck_assert_uint_eq(b.len, (size_t)count * 4 + 5000);
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *p = b.data + (size_t)i * 4;
		uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			     (uint32_t)p[2] << 8 | p[3];
		ck_assert_uint_eq(v, i);
	}
	for (size_t i = 0; i < 5000; i++)
		ck_assert_uint_eq(b.data[(size_t)count * 4 + i], 0x5a);
	byte_buf_free(&b);
}
END_TEST

/* After an allocation failure every append is a no-op and SL_ENOMEM
 * stays, so a caller checking once after a whole record sees it. */
START_TEST(test_byte_buf_enomem_sticks)
{
	struct byte_buf b = {0};
	byte_buf_put_be32(&b, 0x01020304u);
	ck_assert_ptr_null(byte_buf_grow(&b, SIZE_MAX - 2));
	ck_assert_int_eq(b.err, SL_ENOMEM);
	ck_assert_uint_eq(b.len, 4);

	byte_buf_put_u8(&b, 1);
	byte_buf_put_be16(&b, 2);
	byte_buf_put_be32(&b, 3);
	byte_buf_put_be64(&b, 4);
	byte_buf_put_str16(&b, "x", 1);
	byte_buf_put(&b, "y", 1);
	byte_buf_put_zeros(&b, 1);
	ck_assert_ptr_null(byte_buf_grow(&b, 1));
	byte_buf_fail(&b, SL_EINVAL); /* the first error is the one kept */
	ck_assert_int_eq(b.err, SL_ENOMEM);
	ck_assert_uint_eq(b.len, 4);
	static const uint8_t want[] = {0x01, 0x02, 0x03, 0x04};
	ck_assert_mem_eq(b.data, want, sizeof want);
	byte_buf_free(&b);
}
END_TEST

/* A doubling that would overflow size_t fails the same way. */
START_TEST(test_byte_buf_enomem_on_first_grow)
{
	struct byte_buf b = {0};
	ck_assert_ptr_null(byte_buf_grow(&b, SIZE_MAX / 2 + 2));
	ck_assert_int_eq(b.err, SL_ENOMEM);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_null(b.data);
	byte_buf_free(&b);
}
END_TEST

/* A string too long for its u16 length appends nothing and makes
 * SL_EINVAL sticky. */
START_TEST(test_byte_buf_str16_too_long)
{
	struct byte_buf b = {0};
	size_t len = (size_t)UINT16_MAX + 1;
	char *s = malloc(len);
	ck_assert_ptr_nonnull(s);
	memset(s, 'a', len);
	byte_buf_put_str16(&b, s, len - 1); /* the longest that fits */
	ck_assert_int_eq(b.err, 0);
	ck_assert_uint_eq(b.len, 2 + len - 1);
	ck_assert_uint_eq(b.data[0], 0xff);
	ck_assert_uint_eq(b.data[1], 0xff);
	byte_buf_put_str16(&b, s, len);
	ck_assert_int_eq(b.err, SL_EINVAL);
	ck_assert_uint_eq(b.len, 2 + len - 1);
	byte_buf_put_be32(&b, 7);
	ck_assert_uint_eq(b.len, 2 + len - 1);
	free(s);
	byte_buf_free(&b);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("byte_buf");
	TCase *tc = tcase_create("byte_buf");
	tcase_add_test(tc, test_byte_buf_golden);
	tcase_add_test(tc, test_byte_buf_signed_casts);
	tcase_add_test(tc, test_byte_buf_growth);
	tcase_add_test(tc, test_byte_buf_enomem_sticks);
	tcase_add_test(tc, test_byte_buf_enomem_on_first_grow);
	tcase_add_test(tc, test_byte_buf_str16_too_long);
	suite_add_tcase(s, tc);
	return s;
}
