/*
 * common/byte_reader.c: every read of golden big-endian bytes, a round
 * trip through byte_buf, a record cut at every offset (the reads before
 * the cut return their values, the rest 0 or NULL, and SL_ECORRUPT
 * sticks), and the sticky error itself.  The journal and snapshot records
 * of four modules are decoded with it, so a wrong byte here is a record
 * misread on restart.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/byte_buf.h"
#include "common/byte_reader.h"
#include "common/errors.h"
#include "tests/unit/unit_main.h"

static const uint8_t golden[] = {
	0xa5,                                           /* u8 */
	0x01, 0x02,                                     /* be16 */
	0x03, 0x04, 0x05, 0x06,                         /* be32 */
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, /* be64 */
	0x00, 0x05, 'k', 'a', 'f', 'k', 'a',            /* str16 */
	0xff, 0xfe,                                     /* 2 bytes */
	'a', 0, 'b',                                    /* 3 bytes to copy */
};

START_TEST(test_byte_reader_golden)
{
	struct byte_reader r;
	byte_reader_init(&r, golden, sizeof golden);
	ck_assert_uint_eq(byte_reader_left(&r), sizeof golden);
	ck_assert_uint_eq(byte_reader_u8(&r), 0xa5);
	ck_assert_uint_eq(byte_reader_be16(&r), 0x0102);
	ck_assert_uint_eq(byte_reader_be32(&r), 0x03040506u);
	ck_assert_uint_eq(byte_reader_be64(&r), 0x0708090a0b0c0d0eull);
	uint16_t len;
	const uint8_t *s = byte_reader_str16(&r, &len);
	ck_assert_uint_eq(len, 5);
	ck_assert_ptr_eq(s, golden + 17); /* points into the bytes */
	const uint8_t *two = byte_reader_take(&r, 2);
	ck_assert_ptr_eq(two, golden + 22);
	char *copy = byte_reader_strdup(&r, 3);
	ck_assert_ptr_nonnull(copy);
	ck_assert_mem_eq(copy, "a\0b\0", 4); /* a NUL inside is kept */
	free(copy);
	ck_assert_uint_eq(byte_reader_left(&r), 0);
	ck_assert_ptr_eq(r.p, r.end);
	ck_assert_int_eq(r.err, 0);
	/* nothing is left, yet an empty read is no error */
	ck_assert_ptr_eq(byte_reader_take(&r, 0), golden + sizeof golden);
	copy = byte_reader_strdup(&r, 0);
	ck_assert_str_eq(copy, "");
	free(copy);
	ck_assert_int_eq(r.err, 0);
}
END_TEST

/* The high bit of each width survives (no sign extension). */
START_TEST(test_byte_reader_byte_buf_roundtrip)
{
	static const uint64_t values[] = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000,
					  0xffff, 0x80000000u, 0xffffffffu,
					  0x8000000000000000ull, UINT64_MAX};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		uint64_t v = values[i];
		struct byte_buf b = {0};
		byte_buf_put_u8(&b, (uint8_t)v);
		byte_buf_put_be16(&b, (uint16_t)v);
		byte_buf_put_be32(&b, (uint32_t)v);
		byte_buf_put_be64(&b, v);
		byte_buf_put_str16(&b, "sluice", 6);
		ck_assert_int_eq(b.err, 0);

		struct byte_reader r;
		byte_reader_init(&r, b.data, b.len);
		ck_assert_uint_eq(byte_reader_u8(&r), (uint8_t)v);
		ck_assert_uint_eq(byte_reader_be16(&r), (uint16_t)v);
		ck_assert_uint_eq(byte_reader_be32(&r), (uint32_t)v);
		ck_assert_uint_eq(byte_reader_be64(&r), v);
		uint16_t len;
		const uint8_t *s = byte_reader_str16(&r, &len);
		ck_assert_uint_eq(len, 6);
		ck_assert_mem_eq(s, "sluice", 6);
		ck_assert_int_eq(r.err, 0);
		ck_assert_uint_eq(byte_reader_left(&r), 0);
		byte_buf_free(&b);
	}
}
END_TEST

/* The reads of the golden record, in order, with their widths. */
enum field_kind { F_U8, F_BE16, F_BE32, F_BE64, F_STR16, F_TAKE2, F_STRDUP3 };
static const struct field {
	enum field_kind kind;
	size_t at, bytes;
} fields[] = {
	{F_U8, 0, 1},     {F_BE16, 1, 2},  {F_BE32, 3, 4},    {F_BE64, 7, 8},
	{F_STR16, 15, 7}, {F_TAKE2, 22, 2}, {F_STRDUP3, 24, 3},
};

/* Reads field f; returns whether it gave its golden value (1) or the
 * value of a failed read (0). */
static int read_field(struct byte_reader *r, const struct field *f)
{
	uint16_t len = 0xdead;
	const uint8_t *p;
	char *s;
	switch (f->kind) {
	case F_U8:
		return byte_reader_u8(r) == 0xa5;
	case F_BE16:
		return byte_reader_be16(r) == 0x0102;
	case F_BE32:
		return byte_reader_be32(r) == 0x03040506u;
	case F_BE64:
		return byte_reader_be64(r) == 0x0708090a0b0c0d0eull;
	case F_STR16:
		p = byte_reader_str16(r, &len);
		if (p)
			return len == 5 && !memcmp(p, "kafka", 5);
		return 0;
	case F_TAKE2:
		p = byte_reader_take(r, 2);
		return p && p[0] == 0xff && p[1] == 0xfe;
	case F_STRDUP3:
		s = byte_reader_strdup(r, 3);
		if (!s)
			return 0;
		int ok = !memcmp(s, "a\0b\0", 4);
		free(s);
		return ok;
	}
	return -1;
}

/* Cut anywhere, the fields wholly before the cut read right; the one it
 * splits and every later one read as 0 or NULL, consume nothing, and
 * leave SL_ECORRUPT. */
START_TEST(test_byte_reader_truncated_everywhere)
{
	for (size_t cut = 0; cut < sizeof golden; cut++) {
		uint8_t *bytes = malloc(cut ? cut : 1); /* exact, for ASan */
		memcpy(bytes, golden, cut);
		struct byte_reader r;
		byte_reader_init(&r, bytes, cut);
		size_t stopped_at = SIZE_MAX;
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
			const struct field *f = &fields[i];
			int whole = f->at + f->bytes <= cut;
			if (!whole && stopped_at == SIZE_MAX)
				stopped_at = (size_t)(r.p - bytes);
			ck_assert_msg(read_field(&r, f) == whole,
				      "cut %zu field %zu", cut, i);
			ck_assert_int_eq(r.err, whole ? 0 : SL_ECORRUPT);
		}
		ck_assert_uint_ne(stopped_at, SIZE_MAX);
		/* a str16 whose length fits but whose bytes do not consumes
		 * its length: the cursor is where the first short read was */
		size_t want = stopped_at;
		if (stopped_at == 15 && cut >= 17)
			want = 17;
		ck_assert_uint_eq((size_t)(r.p - bytes), want);
		free(bytes);
	}
}
END_TEST

/* str16 reports the length it read even when the bytes run short, and 0
 * when the length itself does. */
START_TEST(test_byte_reader_str16_short)
{
	static const uint8_t bytes[] = {0x00, 0x09, 'a', 'b'};
	struct byte_reader r;
	uint16_t len;
	byte_reader_init(&r, bytes, sizeof bytes);
	ck_assert_ptr_null(byte_reader_str16(&r, &len));
	ck_assert_uint_eq(len, 9);
	ck_assert_int_eq(r.err, SL_ECORRUPT);
	byte_reader_init(&r, bytes, 1);
	ck_assert_ptr_null(byte_reader_str16(&r, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(r.err, SL_ECORRUPT);
}
END_TEST

/* After an error nothing reads, not even what would fit, and the first
 * error is the one that stays. */
START_TEST(test_byte_reader_sticky)
{
	struct byte_reader r;
	byte_reader_init(&r, golden, sizeof golden);
	ck_assert_ptr_null(byte_reader_take(&r, sizeof golden + 1));
	ck_assert_int_eq(r.err, SL_ECORRUPT);
	ck_assert_uint_eq(byte_reader_left(&r), sizeof golden);
	ck_assert_uint_eq(byte_reader_u8(&r), 0);
	ck_assert_ptr_null(byte_reader_take(&r, 0));
	ck_assert_ptr_null(byte_reader_strdup(&r, 0));
	ck_assert_uint_eq(byte_reader_left(&r), sizeof golden);
	byte_reader_fail(&r, SL_ENOMEM);
	ck_assert_int_eq(r.err, SL_ECORRUPT);

	/* a decoder's own verdict sticks the same way */
	byte_reader_init(&r, golden, sizeof golden);
	byte_reader_fail(&r, SL_ENOMEM);
	ck_assert_int_eq(r.err, SL_ENOMEM);
	ck_assert_uint_eq(byte_reader_be16(&r), 0);
	ck_assert_int_eq(r.err, SL_ENOMEM);
	ck_assert_uint_eq(byte_reader_left(&r), sizeof golden);

	/* an empty buffer */
	byte_reader_init(&r, NULL, 0);
	ck_assert_uint_eq(byte_reader_left(&r), 0);
	ck_assert_uint_eq(byte_reader_be64(&r), 0);
	ck_assert_int_eq(r.err, SL_ECORRUPT);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("byte_reader");
	TCase *tc = tcase_create("byte_reader");
	tcase_add_test(tc, test_byte_reader_golden);
	tcase_add_test(tc, test_byte_reader_byte_buf_roundtrip);
	tcase_add_test(tc, test_byte_reader_truncated_everywhere);
	tcase_add_test(tc, test_byte_reader_str16_short);
	tcase_add_test(tc, test_byte_reader_sticky);
	suite_add_tcase(s, tc);
	return s;
}
