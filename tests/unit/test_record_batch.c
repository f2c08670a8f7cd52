/*
 * RecordBatch v2 validation, patching and timestamp lookup, table-driven
 * over batches built byte by byte here (independently of the broker's own
 * code, apart from CRC-32C which has its own vector test).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/partition/record_batch.h"
#include "common/bytes.h"
#include "common/codec.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "tests/unit/unit_main.h"

struct builder {
	uint8_t buf[4096];
	size_t len;
};

static void put_varint(struct builder *b, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	while (z >= 0x80) {
		b->buf[b->len++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	b->buf[b->len++] = (uint8_t)z;
}

static void put_bytes(struct builder *b, const void *p, size_t n)
{
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

/* One record: key may be NULL (null key); one header "h" = "v". */
static void put_record(struct builder *b, int64_t ts_delta, int32_t offset_delta,
		       const char *key, const char *value)
{
	struct builder r = {.len = 0};
	r.buf[r.len++] = 0; /* attributes */
	put_varint(&r, ts_delta);
	put_varint(&r, offset_delta);
	if (key) {
		put_varint(&r, (int64_t)strlen(key));
		put_bytes(&r, key, strlen(key));
	} else {
		put_varint(&r, -1);
	}
	put_varint(&r, (int64_t)strlen(value));
	put_bytes(&r, value, strlen(value));
	put_varint(&r, 1);
	put_varint(&r, 1);
	put_bytes(&r, "h", 1);
	put_varint(&r, 1);
	put_bytes(&r, "v", 1);
	put_varint(b, (int64_t)r.len);
	put_bytes(b, r.buf, r.len);
}

/* A batch of n records with timestamps base_ts + 10*i; codec in attrs. */
static void build_batch(struct builder *b, int n, int64_t base_ts, uint16_t attrs)
{
	memset(b, 0, sizeof *b);
	b->len = RB_HEADER_BYTES;
	for (int i = 0; i < n; i++)
		put_record(b, 10 * i, i, i % 3 ? "key" : NULL, i % 5 ? "value" : "");
	uint8_t *p = b->buf;
	be64_put(p + RB_OFF_BASE_OFFSET, 0);
	be32_put(p + RB_OFF_BATCH_LENGTH, (uint32_t)(b->len - RB_LENGTH_FIELD_END));
	be32_put(p + RB_OFF_LEADER_EPOCH, 0);
	p[RB_OFF_MAGIC] = 2;
	be16_put(p + RB_OFF_ATTRIBUTES, attrs);
	be32_put(p + RB_OFF_LAST_OFFSET_DELTA, (uint32_t)(n - 1));
	be64_put(p + RB_OFF_BASE_TIMESTAMP, (uint64_t)base_ts);
	be64_put(p + RB_OFF_MAX_TIMESTAMP, (uint64_t)(base_ts + 10 * (n - 1)));
	be64_put(p + RB_OFF_PRODUCER_ID, (uint64_t)-1);
	be16_put(p + RB_OFF_PRODUCER_EPOCH, (uint16_t)-1);
	be32_put(p + RB_OFF_BASE_SEQUENCE, (uint32_t)-1);
	be32_put(p + RB_OFF_RECORD_COUNT, (uint32_t)n);
}

static void fix_crc(struct builder *b)
{
	be32_put(b->buf + RB_OFF_CRC,
		 crc32c(b->buf + RB_OFF_ATTRIBUTES, b->len - RB_OFF_ATTRIBUTES));
}

/* Mutations applied to a good batch, and the error each must give. */
enum mutation {
	M_NONE,
	M_FLIP_BODY_BYTE,   /* CRC no longer matches */
	M_TRUNCATE,         /* fewer bytes than BatchLength says */
	M_LENGTH_TOO_BIG,   /* BatchLength larger than the data (CRC fixed) */
	M_LENGTH_TOO_SMALL, /* BatchLength smaller than the data */
	M_MAGIC_1,
	M_COUNT_MISMATCH,   /* RecordCount != LastOffsetDelta + 1 */
	M_ZERO_RECORDS,
	M_RECORD_LEN_LIES,  /* first record's length varint too big */
	M_OFFSET_DELTA_GAP, /* second record's offset delta wrong */
	M_CODEC_7,
	M_SHORT_HEADER,
};

struct validate_case {
	const char *name;
	enum mutation m;
	uint16_t attrs;
	int want;
};

static const struct validate_case validate_cases[] = {
	{"good uncompressed", M_NONE, 0, 0},
	{"gzip flag on plain records", M_NONE, 1, KERR_CORRUPT_MESSAGE},
	{"zstd flag on plain records", M_NONE, 4, KERR_CORRUPT_MESSAGE},
	{"bad CRC", M_FLIP_BODY_BYTE, 0, KERR_CORRUPT_MESSAGE},
	{"truncated", M_TRUNCATE, 0, KERR_CORRUPT_MESSAGE},
	{"length too big", M_LENGTH_TOO_BIG, 0, KERR_CORRUPT_MESSAGE},
	{"length too small", M_LENGTH_TOO_SMALL, 0, KERR_CORRUPT_MESSAGE},
	{"magic 1", M_MAGIC_1, 0, KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT},
	{"count mismatch", M_COUNT_MISMATCH, 0, KERR_INVALID_RECORD},
	{"zero records", M_ZERO_RECORDS, 0, KERR_INVALID_RECORD},
	{"record length lies", M_RECORD_LEN_LIES, 0, KERR_CORRUPT_MESSAGE},
	{"offset delta gap", M_OFFSET_DELTA_GAP, 0, KERR_CORRUPT_MESSAGE},
	{"codec 7", M_CODEC_7, 7, KERR_UNSUPPORTED_COMPRESSION_TYPE},
	{"shorter than a header", M_SHORT_HEADER, 0, KERR_CORRUPT_MESSAGE},
};

START_TEST(test_validate_table)
{
	const struct validate_case *c = &validate_cases[_i];
	struct builder b;
	build_batch(&b, 5, 1700000000000, c->attrs);
	size_t len = b.len;
	switch (c->m) {
	case M_NONE:
	case M_CODEC_7:
		fix_crc(&b);
		break;
	case M_FLIP_BODY_BYTE:
		fix_crc(&b);
		b.buf[b.len - 3] ^= 0x40;
		break;
	case M_TRUNCATE:
		fix_crc(&b);
		len -= 7;
		break;
	case M_LENGTH_TOO_BIG:
		be32_put(b.buf + RB_OFF_BATCH_LENGTH, (uint32_t)(b.len - RB_LENGTH_FIELD_END + 9));
		fix_crc(&b);
		break;
	case M_LENGTH_TOO_SMALL:
		be32_put(b.buf + RB_OFF_BATCH_LENGTH, (uint32_t)(b.len - RB_LENGTH_FIELD_END - 9));
		fix_crc(&b);
		break;
	case M_MAGIC_1:
		b.buf[RB_OFF_MAGIC] = 1;
		fix_crc(&b);
		break;
	case M_COUNT_MISMATCH:
		be32_put(b.buf + RB_OFF_RECORD_COUNT, 6);
		fix_crc(&b);
		break;
	case M_ZERO_RECORDS:
		be32_put(b.buf + RB_OFF_RECORD_COUNT, 0);
		be32_put(b.buf + RB_OFF_LAST_OFFSET_DELTA, (uint32_t)-1);
		fix_crc(&b);
		break;
	case M_RECORD_LEN_LIES:
		b.buf[RB_HEADER_BYTES] = 0x7e; /* zigzag 63: longer than the record */
		fix_crc(&b);
		break;
	case M_OFFSET_DELTA_GAP: {
		/* record 0 length byte, then attributes, ts delta (0), offset delta */
		size_t rec0 = RB_HEADER_BYTES;
		size_t rec0_len = b.buf[rec0] >> 1;
		size_t rec1 = rec0 + 1 + rec0_len;
		/* rec1: len, attr, ts delta (10 -> zigzag 20, one byte), offset delta */
		b.buf[rec1 + 3] = 2 * 3; /* offset delta 3 instead of 1 */
		fix_crc(&b);
		break;
	}
	case M_SHORT_HEADER:
		fix_crc(&b);
		len = RB_HEADER_BYTES - 1;
		break;
	}
	struct record_batch_info info;
	int got = record_batch_validate(b.buf, len, &info);
	ck_assert_msg(got == c->want, "%s: got %d want %d", c->name, got, c->want);
	if (c->want == 0) {
		ck_assert_int_eq(info.record_count, 5);
		ck_assert_int_eq(info.last_offset_delta, 4);
		ck_assert_int_eq(info.max_timestamp, 1700000000040);
	}
}
END_TEST

START_TEST(test_patch_base_offset_keeps_crc)
{
	struct builder b;
	struct record_batch_info info;
	build_batch(&b, 3, 1000, 0);
	fix_crc(&b);
	record_batch_set_base_offset(b.buf, 123456789);
	ck_assert_int_eq(record_batch_validate(b.buf, b.len, &info), 0);
	ck_assert_uint_eq(be64_get(b.buf), 123456789);
}
END_TEST

START_TEST(test_log_append_time)
{
	struct builder b;
	struct record_batch_info info;
	build_batch(&b, 3, 1000, 0);
	fix_crc(&b);
	record_batch_set_log_append_time(b.buf, b.len, 5555);
	ck_assert_int_eq(record_batch_validate(b.buf, b.len, &info), 0);
	ck_assert(info.attributes & RB_ATTR_LOG_APPEND_TIME);
	ck_assert_int_eq(info.max_timestamp, 5555);
	int64_t off, ts;
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 5000, &off, &ts), 1);
	ck_assert_int_eq(ts, 5555);
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 6000, &off, &ts), 0);
}
END_TEST

START_TEST(test_find_timestamp)
{
	struct builder b;
	build_batch(&b, 5, 1000, 0); /* timestamps 1000, 1010, ... 1040 */
	fix_crc(&b);
	record_batch_set_base_offset(b.buf, 100);
	int64_t off, ts;
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 0, &off, &ts), 1);
	ck_assert_int_eq(off, 100);
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 1011, &off, &ts), 1);
	ck_assert_int_eq(off, 102);
	ck_assert_int_eq(ts, 1020);
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 1040, &off, &ts), 1);
	ck_assert_int_eq(off, 104);
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 1041, &off, &ts), 0);
	build_batch(&b, 5, 1000, 2); /* snappy flag, records not snappy */
	fix_crc(&b);
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 0, &off, &ts), -1);
}
END_TEST

START_TEST(test_batch_size)
{
	uint8_t p[12] = {0};
	be32_put(p + 8, 100);
	ck_assert_int_eq(record_batch_size(p, 12), 112);
	ck_assert_int_eq(record_batch_size(p, 11), -1);
	be32_put(p + 8, (uint32_t)-5);
	ck_assert_int_eq(record_batch_size(p, 12), -1);
}
END_TEST

/* ---- compressed batches ---- */

/* Replaces the records of the uncompressed batch in b by their compression
 * with codec, and sets the codec, BatchLength and CRC to match. */
static void compress_batch(struct builder *b, int codec)
{
	uint8_t *z;
	size_t z_len;
	ck_assert_int_eq(codec_compress(codec, b->buf + RB_HEADER_BYTES,
					b->len - RB_HEADER_BYTES, &z, &z_len), 0);
	ck_assert_uint_le(RB_HEADER_BYTES + z_len, sizeof b->buf);
	memcpy(b->buf + RB_HEADER_BYTES, z, z_len);
	free(z);
	b->len = RB_HEADER_BYTES + z_len;
	be32_put(b->buf + RB_OFF_BATCH_LENGTH, (uint32_t)(b->len - RB_LENGTH_FIELD_END));
	uint16_t attrs = be16_get(b->buf + RB_OFF_ATTRIBUTES);
	be16_put(b->buf + RB_OFF_ATTRIBUTES,
		 (uint16_t)((attrs & ~RB_ATTR_CODEC_MASK) | codec));
	fix_crc(b);
}

START_TEST(test_compressed_validate)
{
	int codec = CODEC_GZIP + _i;
	struct builder b;
	struct record_batch_info info;
	build_batch(&b, 5, 1700000000000, 0);
	compress_batch(&b, codec);
	ck_assert_int_eq(record_batch_validate(b.buf, b.len, &info), 0);
	ck_assert_int_eq(info.attributes & RB_ATTR_CODEC_MASK, codec);
	ck_assert_int_eq(info.record_count, 5);
	ck_assert_int_eq(info.max_timestamp, 1700000000040);
}
END_TEST

/* Damage inside the compressed records, each of which must be rejected. */
enum inner_mutation {
	IM_RECORD_LEN_LIES,  /* first record's length varint too big */
	IM_OFFSET_DELTA_GAP, /* second record's offset delta 3 instead of 1 */
	IM_MORE_COUNTED,     /* header counts 6 records, 5 inside */
	IM_FEWER_COUNTED,    /* header counts 4 records, 5 inside */
	IM_TRAILING_BYTE,    /* a byte after the last record */
	IM_STREAM_TRUNCATED, /* the compressed stream loses its end */
	IM_COUNT
};

START_TEST(test_compressed_bad_records)
{
	int codec = CODEC_GZIP + _i / IM_COUNT;
	enum inner_mutation m = (enum inner_mutation)(_i % IM_COUNT);
	struct builder b;
	struct record_batch_info info;
	build_batch(&b, 5, 1000, 0);
	size_t rec0 = RB_HEADER_BYTES, rec1 = rec0 + 1 + (b.buf[rec0] >> 1);
	switch (m) {
	case IM_RECORD_LEN_LIES:
		b.buf[rec0] = 0x7e;
		break;
	case IM_OFFSET_DELTA_GAP:
		b.buf[rec1 + 3] = 2 * 3;
		break;
	case IM_MORE_COUNTED:
	case IM_FEWER_COUNTED: {
		uint32_t n = m == IM_MORE_COUNTED ? 6 : 4;
		be32_put(b.buf + RB_OFF_RECORD_COUNT, n);
		be32_put(b.buf + RB_OFF_LAST_OFFSET_DELTA, n - 1);
		break;
	}
	case IM_TRAILING_BYTE:
		b.buf[b.len++] = 0;
		break;
	case IM_STREAM_TRUNCATED:
	case IM_COUNT:
		break;
	}
	compress_batch(&b, codec);
	if (m == IM_STREAM_TRUNCATED) {
		b.len -= 4;
		be32_put(b.buf + RB_OFF_BATCH_LENGTH,
			 (uint32_t)(b.len - RB_LENGTH_FIELD_END));
		fix_crc(&b);
	}
	ck_assert_msg(record_batch_validate(b.buf, b.len, &info) == KERR_CORRUPT_MESSAGE,
		      "codec %d mutation %d accepted", codec, (int)m);
}
END_TEST

START_TEST(test_compressed_find_timestamp)
{
	int codec = CODEC_GZIP + _i;
	struct builder b;
	build_batch(&b, 5, 1000, 0); /* timestamps 1000, 1010, ... 1040 */
	compress_batch(&b, codec);
	record_batch_set_base_offset(b.buf, 100);
	int64_t off, ts;
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 0, &off, &ts), 1);
	ck_assert_int_eq(off, 100);
	ck_assert_int_eq(ts, 1000);
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 1011, &off, &ts), 1);
	ck_assert_int_eq(off, 102);
	ck_assert_int_eq(ts, 1020);
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 1040, &off, &ts), 1);
	ck_assert_int_eq(off, 104);
	ck_assert_int_eq(ts, 1040);
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 1041, &off, &ts), 0);
	/* records that do not decompress: no answer, the caller falls back */
	b.buf[b.len - 1] ^= 0xff;
	b.len -= 2;
	ck_assert_int_eq(record_batch_find_timestamp(b.buf, b.len, 0, &off, &ts), -1);
}
END_TEST

/* A zstd batch of n records with 1 MiB zero values each, ~n MiB once
 * decompressed; *len is its size.  The caller frees it. */
static uint8_t *big_zstd_batch(int n, size_t *len)
{
	const size_t value = (size_t)1 << 20;
	size_t rec_cap = (size_t)n * (value + 16);
	uint8_t *recs = calloc(1, rec_cap);
	struct builder hdr; /* varints only */
	size_t pos = 0;
	for (int i = 0; i < n; i++) {
		hdr.len = 0;
		hdr.buf[hdr.len++] = 0;          /* attributes */
		put_varint(&hdr, 0);             /* timestampDelta */
		put_varint(&hdr, i);             /* offsetDelta */
		put_varint(&hdr, -1);            /* key null */
		put_varint(&hdr, (int64_t)value); /* value length */
		size_t body = hdr.len + value + 1; /* + headers count 0 */
		struct builder lenb = {.len = 0};
		put_varint(&lenb, (int64_t)body);
		memcpy(recs + pos, lenb.buf, lenb.len);
		pos += lenb.len;
		memcpy(recs + pos, hdr.buf, hdr.len);
		pos += hdr.len + value; /* the value is zeros already */
		recs[pos++] = 0;         /* headers: 0 (zigzag) */
	}
	uint8_t *z;
	size_t z_len;
	ck_assert_int_eq(codec_compress(CODEC_ZSTD, recs, pos, &z, &z_len), 0);
	free(recs);
	uint8_t *p = calloc(1, RB_HEADER_BYTES + z_len);
	memcpy(p + RB_HEADER_BYTES, z, z_len);
	free(z);
	*len = RB_HEADER_BYTES + z_len;
	be32_put(p + RB_OFF_BATCH_LENGTH, (uint32_t)(*len - RB_LENGTH_FIELD_END));
	p[RB_OFF_MAGIC] = 2;
	be16_put(p + RB_OFF_ATTRIBUTES, CODEC_ZSTD);
	be32_put(p + RB_OFF_LAST_OFFSET_DELTA, (uint32_t)(n - 1));
	be64_put(p + RB_OFF_PRODUCER_ID, (uint64_t)-1);
	be32_put(p + RB_OFF_RECORD_COUNT, (uint32_t)n);
	be32_put(p + RB_OFF_CRC, crc32c(p + RB_OFF_ATTRIBUTES, *len - RB_OFF_ATTRIBUTES));
	return p;
}

/* Records that decompress beyond RB_RECORDS_MAX_BYTES are refused; just
 * below it they are fine. */
START_TEST(test_compressed_bomb)
{
	struct record_batch_info info;
	int mib = (int)(RB_RECORDS_MAX_BYTES >> 20);
	size_t len;
	uint8_t *p = big_zstd_batch(mib - 1, &len);
	ck_assert_int_eq(record_batch_validate(p, len, &info), 0);
	free(p);
	p = big_zstd_batch(mib, &len); /* 64 MiB of values plus framing */
	ck_assert_int_eq(record_batch_validate(p, len, &info), KERR_CORRUPT_MESSAGE);
	free(p);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("record_batch");
	TCase *tc = tcase_create("validate");
	tcase_add_loop_test(tc, test_validate_table, 0,
			    sizeof validate_cases / sizeof validate_cases[0]);
	tcase_add_test(tc, test_patch_base_offset_keeps_crc);
	tcase_add_test(tc, test_log_append_time);
	tcase_add_test(tc, test_find_timestamp);
	tcase_add_test(tc, test_batch_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("compressed");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_compressed_validate, 0, 4);
	tcase_add_loop_test(tc, test_compressed_bad_records, 0, 4 * IM_COUNT);
	tcase_add_loop_test(tc, test_compressed_find_timestamp, 0, 4);
	tcase_add_test(tc, test_compressed_bomb);
	suite_add_tcase(s, tc);
	return s;
}
