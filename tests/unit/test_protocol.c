/*
 * Golden-vector tests of the Kafka protocol code: the request reader and
 * response writer primitive by primitive, the topic lifecycle, and the
 * ApiVersions, Metadata, CreateTopics, DeleteTopics, ListOffsets and
 * DeleteRecords handlers.  Requests go through dispatch_request as a
 * client would send them; every request and expected response is written
 * out here by hand from the Kafka 3.8 message definitions, field by field
 * with the field names in comments.  Handlers run against a real catalog in a temporary
 * directory, a real partition table and a real shared-memory segment
 * (whose cache holds the record batches ListOffsets reads).
 *
 * Vector notation, fixture and request helpers: handler_harness.h.
 *
 * The ApiVersions and CreateTopics v5+ vectors list brokerd's API table and
 * the topic config table; they change when those tables do.
 */
#define _GNU_SOURCE
#include <check.h>
#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/topic_config.h"
#include "brokerd/partition/partition.h"
#include "brokerd/partition/record_batch.h"
#include "brokerd/protocol/api_table.h"
#include "brokerd/protocol/kreader.h"
#include "brokerd/protocol/kwriter.h"
#include "brokerd/server/dispatch.h"
#include "brokerd/server/request.h"
#include "brokerd/shm/segment.h"
#include "brokerd/topics.h"
#include "common/bytes.h"
#include "common/codec.h"
#include "common/counters.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "tests/unit/handler_harness.h"
#include "tests/unit/unit_main.h"

/* ---- kreader ---- */

/* A reader over the bytes of a vector text. */
struct rd {
	struct vec v;
	struct kreader r;
};

static void rd_init(struct rd *rd, const char *text, int flexible)
{
	memset(rd, 0, sizeof *rd);
	vec_add(&rd->v, text);
	kreader_init(&rd->r, rd->v.b, rd->v.len, flexible);
}

START_TEST(test_kreader_fixed)
{
	struct rd rd;
	rd_init(&rd, "7f 80 ff"              /* i8 */
		     "7fff 8000 ffff"        /* i16 */
		     "7fffffff 80000000 fffffffe" /* i32 */
		     "7fffffffffffffff 8000000000000000 0000000100000002" /* i64 */
		     "00 01 02"              /* bool */
		     "000102030405060708090a0b0c0d0e0f" /* uuid */
		     "aabb",                 /* raw */
		0);
	struct kreader *r = &rd.r;
	ck_assert_int_eq(kr_i8(r), 127);
	ck_assert_int_eq(kr_i8(r), -128);
	ck_assert_int_eq(kr_i8(r), -1);
	ck_assert_int_eq(kr_i16(r), 32767);
	ck_assert_int_eq(kr_i16(r), -32768);
	ck_assert_int_eq(kr_i16(r), -1);
	ck_assert_int_eq(kr_i32(r), INT32_MAX);
	ck_assert_int_eq(kr_i32(r), INT32_MIN);
	ck_assert_int_eq(kr_i32(r), -2);
	ck_assert(kr_i64(r) == INT64_MAX);
	ck_assert(kr_i64(r) == INT64_MIN);
	ck_assert(kr_i64(r) == 0x100000002LL);
	ck_assert_int_eq(kr_bool(r), 0);
	ck_assert_int_eq(kr_bool(r), 1);
	ck_assert_int_eq(kr_bool(r), 1);
	uint8_t id[16];
	kr_uuid(r, id);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(id[i], i);
	const uint8_t *raw = kr_raw(r, 2);
	ck_assert_ptr_nonnull(raw);
	ck_assert_int_eq(raw[0], 0xaa);
	ck_assert_int_eq(raw[1], 0xbb);
	ck_assert_uint_eq(kreader_left(r), 0);
	ck_assert(!kreader_failed(r));
	/* one byte more fails, and stays failed */
	ck_assert_int_eq(kr_i8(r), 0);
	ck_assert(kreader_failed(r));
	vec_free(&rd.v);
}
END_TEST

struct varint_case {
	const char *bytes;
	int ok;
	int64_t value;
};

static const struct varint_case uvarint_cases[] = {
	{"00", 1, 0},
	{"01", 1, 1},
	{"7f", 1, 127},
	{"8001", 1, 128},
	{"ff7f", 1, 16383},
	{"808001", 1, 16384},
	{"ffffffff0f", 1, 4294967295LL},
	{"8080808010", 0, 0},   /* 2^32: does not fit 32 bits */
	{"808080808001", 0, 0}, /* six bytes */
	{"80", 0, 0},           /* truncated */
	{"", 0, 0},
};

START_TEST(test_kreader_uvarint)
{
	const struct varint_case *c = &uvarint_cases[_i];
	struct rd rd;
	rd_init(&rd, c->bytes, 1);
	uint32_t v = kr_uvarint(&rd.r);
	ck_assert_msg(kreader_failed(&rd.r) == !c->ok, "case %s", c->bytes);
	ck_assert_msg((int64_t)v == c->value, "case %s: %u", c->bytes, v);
	if (c->ok)
		ck_assert_uint_eq(kreader_left(&rd.r), 0);
	vec_free(&rd.v);
}
END_TEST

static const struct varint_case varint_cases[] = {
	{"00", 1, 0},
	{"01", 1, -1},
	{"02", 1, 1},
	{"03", 1, -2},
	{"7f", 1, -64},
	{"8001", 1, 64},
	{"feffffff0f", 1, INT32_MAX},
	{"ffffffff0f", 1, INT32_MIN},
	{"ff", 0, 0},
};

START_TEST(test_kreader_varint)
{
	const struct varint_case *c = &varint_cases[_i];
	struct rd rd;
	rd_init(&rd, c->bytes, 0);
	int32_t v = kr_varint(&rd.r);
	ck_assert_msg(kreader_failed(&rd.r) == !c->ok, "case %s", c->bytes);
	ck_assert_msg(v == c->value, "case %s: %d", c->bytes, v);
	vec_free(&rd.v);
}
END_TEST

static const struct varint_case varlong_cases[] = {
	{"00", 1, 0},
	{"01", 1, -1},
	{"02", 1, 1},
	{"d00f", 1, 1000},
	{"feffffffffffffffff01", 1, INT64_MAX},
	{"ffffffffffffffffff01", 1, INT64_MIN},
	{"8080808080808080808001", 0, 0}, /* eleven bytes */
	{"8080", 0, 0},
};

START_TEST(test_kreader_varlong)
{
	const struct varint_case *c = &varlong_cases[_i];
	struct rd rd;
	rd_init(&rd, c->bytes, 0);
	int64_t v = kr_varlong(&rd.r);
	ck_assert_msg(kreader_failed(&rd.r) == !c->ok, "case %s", c->bytes);
	ck_assert_msg(v == c->value, "case %s: %lld", c->bytes, (long long)v);
	vec_free(&rd.v);
}
END_TEST

/* What a string or bytes read does with some input. */
enum slice_kind { SK_STRING, SK_NULLABLE_STRING, SK_BYTES, SK_NULLABLE_BYTES,
		  SK_LEGACY };

struct slice_case {
	enum slice_kind kind;
	int flexible;
	const char *bytes;
	int ok;
	int32_t len;      /* -1: null */
	const char *text; /* expected content */
};

static const struct slice_case slice_cases[] = {
	/* classic STRING: int16 length */
	{SK_STRING, 0, "0003 `abc`", 1, 3, "abc"},
	{SK_STRING, 0, "0000", 1, 0, ""},
	{SK_STRING, 0, "ffff", 0, -1, NULL},           /* null, not nullable */
	{SK_STRING, 0, "0005 `abc`", 0, -1, NULL},     /* truncated */
	{SK_STRING, 0, "00", 0, -1, NULL},
	{SK_NULLABLE_STRING, 0, "ffff", 1, -1, NULL},
	{SK_NULLABLE_STRING, 0, "fffe", 0, -1, NULL},  /* -2 */
	{SK_NULLABLE_STRING, 0, "8000", 0, -1, NULL},  /* -32768 */
	{SK_NULLABLE_STRING, 0, "0002 `hi`", 1, 2, "hi"},
	/* compact STRING: uvarint length + 1, 0 = null */
	{SK_STRING, 1, "04 `abc`", 1, 3, "abc"},
	{SK_STRING, 1, "01", 1, 0, ""},
	{SK_STRING, 1, "00", 0, -1, NULL},
	{SK_STRING, 1, "06 `abc`", 0, -1, NULL},
	{SK_STRING, 1, "ffffffff0f", 0, -1, NULL},     /* length 2^32-2 */
	{SK_NULLABLE_STRING, 1, "00", 1, -1, NULL},
	{SK_NULLABLE_STRING, 1, "03 `hi`", 1, 2, "hi"},
	/* classic BYTES: int32 length */
	{SK_BYTES, 0, "00000002 0102", 1, 2, "\x01\x02"},
	{SK_BYTES, 0, "ffffffff", 0, -1, NULL},
	{SK_BYTES, 0, "00000003 0102", 0, -1, NULL},
	{SK_NULLABLE_BYTES, 0, "ffffffff", 1, -1, NULL},
	{SK_NULLABLE_BYTES, 0, "fffffffb", 0, -1, NULL}, /* -5 */
	{SK_NULLABLE_BYTES, 0, "80000000", 0, -1, NULL},
	/* compact BYTES */
	{SK_BYTES, 1, "03 0102", 1, 2, "\x01\x02"},
	{SK_BYTES, 1, "00", 0, -1, NULL},
	{SK_NULLABLE_BYTES, 1, "00", 1, -1, NULL},
	{SK_NULLABLE_BYTES, 1, "01", 1, 0, ""},
	/* the header's ClientId is classic even in flexible requests */
	{SK_LEGACY, 1, "0003 `cli`", 1, 3, "cli"},
	{SK_LEGACY, 1, "ffff", 1, -1, NULL},
	{SK_LEGACY, 0, "fffe", 0, -1, NULL},
};

START_TEST(test_kreader_slices)
{
	const struct slice_case *c = &slice_cases[_i];
	struct rd rd;
	rd_init(&rd, c->bytes, c->flexible);
	struct kslice s = {NULL, 0};
	switch (c->kind) {
	case SK_STRING: s = kr_string(&rd.r); break;
	case SK_NULLABLE_STRING: s = kr_nullable_string(&rd.r); break;
	case SK_BYTES: s = kr_bytes(&rd.r); break;
	case SK_NULLABLE_BYTES: s = kr_nullable_bytes(&rd.r); break;
	case SK_LEGACY: s = kr_legacy_nullable_string(&rd.r); break;
	}
	ck_assert_msg(kreader_failed(&rd.r) == !c->ok, "case %d (%s)", _i, c->bytes);
	ck_assert_msg(s.len == c->len, "case %d: len %d", _i, s.len);
	if (c->text)
		ck_assert(memcmp(s.p, c->text, (size_t)c->len) == 0);
	if (c->ok)
		ck_assert_uint_eq(kreader_left(&rd.r), 0);
	vec_free(&rd.v);
}
END_TEST

struct array_case {
	int flexible;
	const char *bytes;
	int32_t max;
	size_t min_elem;
	int ok;
	int32_t count;
};

static const struct array_case array_cases[] = {
	{0, "00000002 aabb", 5, 1, 1, 2},
	{0, "00000000", 5, 4, 1, 0},
	{0, "ffffffff", 5, 4, 1, -1},            /* null */
	{0, "fffffffe", 5, 4, 0, 0},             /* -2 */
	{0, "80000000", 5, 4, 0, 0},
	{0, "00000006 000000000000", 5, 1, 0, 0}, /* above max */
	{0, "00000005 0000000000", 5, 1, 1, 5},   /* max itself */
	{0, "00000003 0000000000000000", 5, 4, 0, 0}, /* 3*4 > 8 left */
	{0, "00000003 000000000000000000000000", 5, 4, 1, 3},
	{0, "7fffffff", INT32_MAX, 1, 0, 0},     /* more than the bytes left */
	{0, "000000", 5, 1, 0, 0},               /* truncated count */
	{1, "03 aabb", 5, 1, 1, 2},
	{1, "01", 5, 1, 1, 0},
	{1, "00", 5, 1, 1, -1},
	{1, "07 000000000000", 5, 1, 0, 0},
	{1, "ffffffff0f", 5, 0, 0, 0},
	{1, "04 0000", 5, 1, 0, 0},
};

START_TEST(test_kreader_array)
{
	const struct array_case *c = &array_cases[_i];
	struct rd rd;
	rd_init(&rd, c->bytes, c->flexible);
	int32_t n = kr_array(&rd.r, c->max, c->min_elem);
	ck_assert_msg(kreader_failed(&rd.r) == !c->ok, "case %d (%s)", _i, c->bytes);
	ck_assert_msg(n == c->count, "case %d: count %d", _i, n);
	vec_free(&rd.v);
}
END_TEST

/* The same cases for a non-nullable array with its elements: a null one
 * fails too, and a failed read gives no elements. */
START_TEST(test_kreader_array_calloc)
{
	const struct array_case *c = &array_cases[_i];
	int ok = c->ok && c->count >= 0;
	struct rd rd;
	rd_init(&rd, c->bytes, c->flexible);
	int32_t n = -2;
	int64_t *elems = kr_array_calloc(&rd.r, c->max, c->min_elem,
					 sizeof *elems, &n);
	ck_assert_msg(kreader_failed(&rd.r) == !ok, "case %d (%s)", _i, c->bytes);
	ck_assert_msg(n == (ok ? c->count : 0), "case %d: count %d", _i, n);
	ck_assert_msg(!elems == !n, "case %d: elements", _i);
	for (int32_t i = 0; i < n; i++)
		ck_assert(elems[i] == 0);
	free(elems);
	vec_free(&rd.v);
}
END_TEST

START_TEST(test_kreader_tags_and_sticky)
{
	/* two tagged fields: tag 0 with 1 byte, tag 5 with 2 bytes */
	struct rd rd;
	rd_init(&rd, "02 00 01 78 05 02 6162 2a", 1);
	kr_tags(&rd.r);
	ck_assert(!kreader_failed(&rd.r));
	ck_assert_int_eq(kr_i8(&rd.r), 0x2a);
	vec_free(&rd.v);

	/* not flexible: no tag section is read */
	rd_init(&rd, "2a", 0);
	kr_tags(&rd.r);
	ck_assert_int_eq(kr_i8(&rd.r), 0x2a);
	vec_free(&rd.v);

	/* a tag that claims more bytes than there are */
	rd_init(&rd, "01 00 05 6162", 1);
	kr_tags(&rd.r);
	ck_assert(kreader_failed(&rd.r));
	vec_free(&rd.v);

	/* a failure is sticky: later reads return zero values even where
	 * bytes would be left */
	rd_init(&rd, "0001 0003 `abc` 00000007", 0);
	ck_assert_int_eq(kr_i32(&rd.r), 0x00010003);
	struct kslice s = kr_string(&rd.r); /* length 0x6162: fails */
	ck_assert_int_eq(s.len, -1);
	ck_assert(kreader_failed(&rd.r));
	ck_assert_int_eq(kr_i32(&rd.r), 0);
	ck_assert_int_eq(kr_i8(&rd.r), 0);
	ck_assert_int_eq(kr_array(&rd.r, 10, 0), 0);
	ck_assert_uint_eq(kreader_left(&rd.r), 0);
	ck_assert(kreader_failed(&rd.r));
	vec_free(&rd.v);

	/* kr_slice_to_cstr */
	rd_init(&rd, "0003 `abc` 0003 `abc` ffff", 0);
	char buf[4];
	kr_slice_to_cstr(&rd.r, kr_string(&rd.r), buf, sizeof buf);
	ck_assert_str_eq(buf, "abc");
	ck_assert(!kreader_failed(&rd.r));
	char small[3];
	kr_slice_to_cstr(&rd.r, kr_string(&rd.r), small, sizeof small);
	ck_assert(kreader_failed(&rd.r));
	ck_assert_str_eq(small, "");
	vec_free(&rd.v);
	rd_init(&rd, "ffff", 0);
	kr_slice_to_cstr(&rd.r, kr_nullable_string(&rd.r), buf, sizeof buf);
	ck_assert(kreader_failed(&rd.r));
	vec_free(&rd.v);
}
END_TEST

/* ---- kwriter ---- */

static struct kwriter kw;

static void kw_begin(int flexible)
{
	kw.buf = evbuffer_new();
	ck_assert_ptr_nonnull(kw.buf);
	kw.flexible = flexible;
}

/* Compares what was written since kw_begin with text, then clears it. */
static void kw_expect(const char *what, const char *text)
{
	struct vec want = {0};
	vec_add(&want, text);
	size_t n = evbuffer_get_length(kw.buf);
	const uint8_t *p = evbuffer_pullup(kw.buf, -1);
	expect_bytes(what, p, n, &want);
	evbuffer_drain(kw.buf, n);
	vec_free(&want);
}

static void kw_end(void)
{
	evbuffer_free(kw.buf);
}

START_TEST(test_kwriter_fixed)
{
	kw_begin(0);
	kw_i8(&kw, -1);
	kw_i8(&kw, 127);
	kw_expect("i8", "ff 7f");
	kw_i16(&kw, -2);
	kw_i16(&kw, 0x1234);
	kw_expect("i16", "fffe 1234");
	kw_i32(&kw, INT32_MIN);
	kw_i32(&kw, 0x01020304);
	kw_expect("i32", "80000000 01020304");
	kw_i64(&kw, -1);
	kw_i64(&kw, 0x0102030405060708LL);
	kw_expect("i64", "ffffffffffffffff 0102030405060708");
	kw_bool(&kw, 0);
	kw_bool(&kw, 7);
	kw_expect("bool", "00 01");
	static const uint8_t id[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4,
				       5, 6, 7, 8, 9, 10, 11, 12};
	kw_uuid(&kw, id);
	kw_expect("uuid", "deadbeef 0102030405060708090a0b0c");
	kw_raw(&kw, "xy", 2);
	kw_raw(&kw, "", 0);
	kw_expect("raw", "7879");
	kw_end();
}
END_TEST

START_TEST(test_kwriter_uvarint)
{
	static const struct {
		uint32_t v;
		const char *bytes;
	} cases[] = {
		{0, "00"}, {1, "01"}, {127, "7f"}, {128, "8001"},
		{300, "ac02"}, {16383, "ff7f"}, {16384, "808001"},
		{UINT32_MAX, "ffffffff0f"},
	};
	kw_begin(1);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		kw_uvarint(&kw, cases[i].v);
		kw_expect(cases[i].bytes, cases[i].bytes);
	}
	kw_end();
}
END_TEST

START_TEST(test_kwriter_classic)
{
	kw_begin(0);
	kw_string(&kw, "abc");
	kw_expect("string", "0003 `abc`");
	kw_string(&kw, "");
	kw_expect("empty string", "0000");
	kw_string(&kw, NULL);
	kw_expect("null string", "ffff");
	kw_string_len(&kw, "abcdef", 2);
	kw_expect("string_len", "0002 `ab`");
	kw_string_len(&kw, NULL, -1);
	kw_expect("null string_len", "ffff");
	kw_bytes(&kw, "\x01\x02\x03", 3);
	kw_expect("bytes", "00000003 010203");
	kw_bytes(&kw, NULL, -1);
	kw_expect("null bytes", "ffffffff");
	kw_bytes_len(&kw, 70000);
	kw_expect("bytes_len", "00011170");
	kw_array(&kw, 3);
	kw_array(&kw, 0);
	kw_array(&kw, -1);
	kw_expect("arrays", "00000003 00000000 ffffffff");
	kw_tags(&kw);
	kw_expect("no tags when not flexible", "");
	kw_end();
}
END_TEST

START_TEST(test_kwriter_compact)
{
	kw_begin(1);
	kw_string(&kw, "abc");
	kw_expect("string", "04 `abc`");
	kw_string(&kw, "");
	kw_expect("empty string", "01");
	kw_string(&kw, NULL);
	kw_expect("null string", "00");
	char long_name[200];
	memset(long_name, 'x', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	kw_string(&kw, long_name); /* 199 chars: length+1 = 200 = c8 01 */
	struct vec want = {0};
	vec_add(&want, "c801");
	vec_put(&want, long_name, 199);
	size_t n = evbuffer_get_length(kw.buf);
	expect_bytes("long compact string", evbuffer_pullup(kw.buf, -1), n, &want);
	evbuffer_drain(kw.buf, n);
	vec_free(&want);
	kw_bytes(&kw, "\x01\x02", 2);
	kw_expect("bytes", "03 0102");
	kw_bytes(&kw, NULL, -1);
	kw_expect("null bytes", "00");
	kw_bytes_len(&kw, 127);
	kw_expect("bytes_len", "8001");
	kw_array(&kw, 2);
	kw_array(&kw, 0);
	kw_array(&kw, -1);
	kw_expect("arrays", "03 01 00");
	kw_tags(&kw);
	kw_expect("empty tags", "00");
	kw_i32(&kw, 5); /* fixed widths do not change */
	kw_expect("i32", "00000005");
	kw_end();
}
END_TEST

/* ---- fixture: the shared harness, plus the cache position ---- */

/* Where add_batch puts the next batch in the shm cache. */
static uint64_t cache_pos;

static void setup(void)
{
	harness_setup();
	cache_pos = 4096;
}

/* ---- ApiVersions ---- */

/* The API table as ApiKeys array entries (ApiKey, MinVersion,
 * MaxVersion), in the v0-v2 layout and in the flexible v3 one (with an
 * empty tag section each), and their number. */
#define API_KEYS(E)                                                            \
	E("0000 0003 0009")  /* Produce 3-9 */                                 \
	E("0001 0004 000c")  /* Fetch 4-12 */                                  \
	E("0002 0001 0007")  /* ListOffsets 1-7 */                             \
	E("0003 0000 000c")  /* Metadata 0-12 */                               \
	E("0008 0000 0008")  /* OffsetCommit 0-8 */                            \
	E("0009 0000 0008")  /* OffsetFetch 0-8 */                             \
	E("000a 0000 0004")  /* FindCoordinator 0-4 */                         \
	E("000b 0000 0009")  /* JoinGroup 0-9 */                               \
	E("000c 0000 0004")  /* Heartbeat 0-4 */                               \
	E("000d 0000 0005")  /* LeaveGroup 0-5 */                              \
	E("000e 0000 0005")  /* SyncGroup 0-5 */                               \
	E("000f 0000 0005")  /* DescribeGroups 0-5 */                          \
	E("0010 0000 0004")  /* ListGroups 0-4 */                              \
	E("0012 0000 0003")  /* ApiVersions 0-3 */                             \
	E("0013 0000 0007")  /* CreateTopics 0-7 */                            \
	E("0014 0000 0006")  /* DeleteTopics 0-6 */                            \
	E("0015 0000 0002")  /* DeleteRecords 0-2 */                           \
	E("0016 0000 0005")  /* InitProducerId 0-5 */                          \
	E("0018 0000 0005")  /* AddPartitionsToTxn 0-5 */                      \
	E("0019 0000 0004")  /* AddOffsetsToTxn 0-4 */                         \
	E("001a 0000 0004")  /* EndTxn 0-4 */                                  \
	E("001c 0000 0004")  /* TxnOffsetCommit 0-4 */                         \
	E("0020 0000 0004")  /* DescribeConfigs 0-4 */                         \
	E("0021 0000 0002")  /* AlterConfigs 0-2 */                            \
	E("0023 0000 0004")  /* DescribeLogDirs 0-4 */                         \
	E("0025 0000 0003")  /* CreatePartitions 0-3 */                        \
	E("002a 0000 0002")  /* DeleteGroups 0-2 */                            \
	E("002c 0000 0001")  /* IncrementalAlterConfigs 0-1 */                 \
	E("002f 0000 0000")  /* OffsetDelete 0 */                              \
	E("003c 0000 0001")  /* DescribeCluster 0-1 */                         \
	E("0041 0000 0000")  /* DescribeTransactions 0 */                      \
	E("0042 0000 0001")  /* ListTransactions 0-1 */
#define API_KEY_CLASSIC(entry) entry
#define API_KEY_FLEX(entry) entry " 00"
#define API_KEYS_CLASSIC "00000020" API_KEYS(API_KEY_CLASSIC)
#define API_KEYS_FLEX "21" API_KEYS(API_KEY_FLEX)

START_TEST(test_api_versions)
{
	call_expect(API_ApiVersions, 0, 0, "",
		    "0000"                       /* ErrorCode */
		    API_KEYS_CLASSIC);           /* ApiKeys */
	call_expect(API_ApiVersions, 1, 0, "",
		    "0000"
		    API_KEYS_CLASSIC
		    "00000000");                 /* ThrottleTimeMs */
	call_expect(API_ApiVersions, 3, 1,
		    "c`sluice-unit` c`0.1.0` 00", /* ClientSoftwareName, Version, tags */
		    "0000"                        /* ErrorCode */
		    API_KEYS_FLEX                 /* ApiKeys */
		    "00000000"                    /* ThrottleTimeMs */
		    "00");                        /* tags */
	/* KIP-511: above the highest version, UNSUPPORTED_VERSION in the v0
	 * layout, whatever the body holds */
	call_expect(API_ApiVersions, 4, 0, "c`sluice-unit` c`9` 00 ff",
		    "0023" API_KEYS_CLASSIC);
	/* a v3 body that does not parse: INVALID_REQUEST, still answered */
	call_expect(API_ApiVersions, 3, 1, "05 `ab`",
		    "002a" API_KEYS_FLEX "00000000" "00");
}
END_TEST

/* ---- topics ---- */

START_TEST(test_topics_names)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
		{"a", 1}, {"A-b_c.9", 1}, {"__consumer_offsets", 1},
		{"...", 1}, {"", 0}, {".", 0}, {"..", 0}, {"a b", 0},
		{"a/b", 0}, {"a\xc3\xbc", 0}, {"a:b", 0}, {"a\tb", 0},
	};
	char err[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *n = cases[i].name;
		err[0] = '\0';
		int rc = topics_name_validate(n, strlen(n), err, sizeof err);
		ck_assert_msg(rc == (cases[i].ok ? 0 : KERR_INVALID_TOPIC_EXCEPTION),
			      "name '%s': %d", n, rc);
		if (!cases[i].ok)
			ck_assert_msg(err[0] != '\0', "no message for '%s'", n);
	}
	/* a NUL byte inside the given length */
	ck_assert_int_eq(topics_name_validate("ab\0c", 4, err, sizeof err),
			 KERR_INVALID_TOPIC_EXCEPTION);
	char name[TOPIC_NAME_MAX + 2];
	memset(name, 'n', sizeof name);
	ck_assert_int_eq(topics_name_validate(name, TOPIC_NAME_MAX, err, sizeof err), 0);
	ck_assert_int_eq(topics_name_validate(name, TOPIC_NAME_MAX + 1, err, sizeof err),
			 KERR_INVALID_TOPIC_EXCEPTION);
}
END_TEST

START_TEST(test_topics_lifecycle)
{
	char err[256];
	const struct topic *t;
	struct topic_config_entry good[] = {{"retention.ms", "1000"},
					    {"cleanup.policy", "compact"}};
	struct topic_config_entry bad_value[] = {{"retention.ms", "soon"}};
	struct topic_config_entry unknown[] = {{"no.such.key", "1"}};
	struct topic_config_entry null_value[] = {{"retention.ms", NULL}};
	struct topic_config_entry twice[] = {{"retention.ms", "1"},
					     {"retention.ms", "2"}};

	harness_cfg.num_partitions = 4;
	ck_assert_int_eq(topics_create("orders", -1, good, 2, 0, err, sizeof err, &t), 0);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->partition_count, 4);
	ck_assert_str_eq(topic_config_get(t, "retention.ms"), "1000");
	ck_assert_ptr_nonnull(partition_by_name(broker.partitions, "orders", 3));
	ck_assert_ptr_null(partition_by_name(broker.partitions, "orders", 4));
	ck_assert_uint_eq(broker.counters[BC_topics], 1);
	ck_assert_uint_eq(broker.counters[BC_partitions], 4);

	ck_assert_int_eq(topics_create("orders", 1, NULL, 0, 0, err, sizeof err, &t),
			 KERR_TOPIC_ALREADY_EXISTS);
	ck_assert_str_eq(err, "Topic 'orders' already exists.");
	ck_assert_ptr_null(t);
	ck_assert_int_eq(topics_create("bad name", 1, NULL, 0, 0, err, sizeof err, &t),
			 KERR_INVALID_TOPIC_EXCEPTION);
	ck_assert_int_eq(topics_create("zero", 0, NULL, 0, 0, err, sizeof err, &t),
			 KERR_INVALID_PARTITIONS);
	ck_assert_int_eq(topics_create("minus", -2, NULL, 0, 0, err, sizeof err, &t),
			 KERR_INVALID_PARTITIONS);
	ck_assert_int_eq(topics_create("huge", TOPICS_PARTITIONS_MAX + 1, NULL, 0,
				       0, err, sizeof err, &t),
			 KERR_INVALID_PARTITIONS);
	ck_assert_int_eq(topics_create("c1", 1, bad_value, 1, 0, err, sizeof err, &t),
			 KERR_INVALID_CONFIG);
	ck_assert_int_eq(topics_create("c2", 1, unknown, 1, 0, err, sizeof err, &t),
			 KERR_INVALID_CONFIG);
	ck_assert_int_eq(topics_create("c3", 1, null_value, 1, 0, err, sizeof err, &t),
			 KERR_INVALID_CONFIG);
	ck_assert_int_eq(topics_create("c4", 1, twice, 2, 0, err, sizeof err, &t),
			 KERR_INVALID_CONFIG);
	/* validate only: all checks, no topic */
	ck_assert_int_eq(topics_create("dry", 2, good, 2, 1, err, sizeof err, &t), 0);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(topics_create("dry", 2, bad_value, 1, 1, err, sizeof err, &t),
			 KERR_INVALID_CONFIG);

	/* '.' and '_' collide */
	make_topic("a.b", 1);
	ck_assert_int_eq(topics_create("a_b", 1, NULL, 0, 0, err, sizeof err, &t),
			 KERR_INVALID_TOPIC_EXCEPTION);
	ck_assert_int_eq(topics_create("a_c", 1, NULL, 0, 0, err, sizeof err, &t), 0);

	for (const char *n = "bad name\0zero\0minus\0huge\0c1\0c2\0c3\0c4\0dry\0a_b\0";
	     *n; n += strlen(n) + 1)
		ck_assert_msg(catalog_topic_by_name(broker.catalog, n) == NULL,
			      "%s was created", n);
	ck_assert_uint_eq(catalog_topic_count(broker.catalog), 3);
	ck_assert_uint_eq(broker.counters[BC_topics], 3);
	ck_assert_uint_eq(broker.counters[BC_partitions], 6);

	t = catalog_topic_by_name(broker.catalog, "orders");
	uint64_t first_stream = topic_stream_id(t, 0);
	ck_assert_int_eq(topics_delete(t), 0);
	ck_assert_ptr_null(catalog_topic_by_name(broker.catalog, "orders"));
	ck_assert_ptr_null(partition_by_stream(broker.partitions, first_stream));
	ck_assert_ptr_null(partition_by_stream(broker.partitions, first_stream + 3));
	ck_assert_uint_eq(broker.counters[BC_topics], 2);
	ck_assert_uint_eq(broker.counters[BC_partitions], 2);
	/* and the name is free again, with new streams */
	t = make_topic("orders", 1);
	ck_assert(topic_stream_id(t, 0) > first_stream + 3);
	ck_assert_ptr_nonnull(partition_by_stream(broker.partitions, topic_stream_id(t, 0)));
}
END_TEST

/* ---- Metadata ---- */

/* One partition of a v0-v4 response on node 1: ErrorCode, PartitionIndex,
 * LeaderId, ReplicaNodes [1], IsrNodes [1]. */
#define MD_PART_V1(idx) "0000 " idx " 00000001 00000001 00000001 00000001 00000001"

START_TEST(test_metadata_v0_all)
{
	make_topic("beta", 1);
	make_topic("alpha", 2);
	call_expect(API_Metadata, 0, 0,
		    "00000000",                       /* Topics: empty = all in v0 */
		    "00000001"                        /* Brokers */
		    "  00000001 s`127.0.0.1` 00002384" /* NodeId Host Port */
		    "00000002"                        /* Topics */
		    "  0000 s`alpha` 00000002"        /* ErrorCode Name Partitions */
		    MD_PART_V1("00000000") MD_PART_V1("00000001")
		    "  0000 s`beta` 00000001"
		    MD_PART_V1("00000000"));
	/* null is not allowed in v0 */
	call_malformed(API_Metadata, 0, 0, "ffffffff");
}
END_TEST

START_TEST(test_metadata_v1)
{
	make_topic("alpha", 2);
	call_expect(API_Metadata, 1, 0,
		    "00000003 s`alpha` s`new.topic` s`bad/name`", /* Topics */
		    "00000001"                               /* Brokers */
		    "  00000001 s`127.0.0.1` 00002384 ffff"  /* NodeId Host Port Rack */
		    "00000001"                               /* ControllerId */
		    "00000003"                               /* Topics */
		    "  0000 s`alpha` 00 00000002"            /* ErrorCode Name IsInternal */
		    MD_PART_V1("00000000") MD_PART_V1("00000001")
		    "  0000 s`new.topic` 00 00000001"        /* auto-created */
		    MD_PART_V1("00000000")
		    "  0011 s`bad/name` 00 00000000");       /* INVALID_TOPIC_EXCEPTION */
	const struct topic *t = catalog_topic_by_name(broker.catalog, "new.topic");
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(partition_by_name(broker.partitions, "new.topic", 0));
	ck_assert_uint_eq(broker.counters[BC_topics], 2);

	/* v1: empty means no topics, null means all */
	call_expect(API_Metadata, 1, 0, "00000000",
		    "00000001 00000001 s`127.0.0.1` 00002384 ffff"
		    "00000001"
		    "00000000");
	call_expect(API_Metadata, 1, 0, "ffffffff",
		    "00000001 00000001 s`127.0.0.1` 00002384 ffff"
		    "00000001"
		    "00000002"
		    "  0000 s`alpha` 00 00000002"
		    MD_PART_V1("00000000") MD_PART_V1("00000001")
		    "  0000 s`new.topic` 00 00000001"
		    MD_PART_V1("00000000"));

	/* with auto.create.topics.enable off: UNKNOWN_TOPIC_OR_PARTITION */
	harness_cfg.auto_create_topics_enable = 0;
	call_expect(API_Metadata, 1, 0, "00000001 s`other`",
		    "00000001 00000001 s`127.0.0.1` 00002384 ffff"
		    "00000001"
		    "00000001  0003 s`other` 00 00000000");
	ck_assert_ptr_null(catalog_topic_by_name(broker.catalog, "other"));

	/* truncated, and a count above what the bytes can hold */
	call_malformed(API_Metadata, 1, 0, "00000001 0005 `alp`");
	call_malformed(API_Metadata, 1, 0, "00000003 s`alpha`");
}
END_TEST

/* One partition of a v9+ response on node 1: ErrorCode, PartitionIndex,
 * LeaderId, LeaderEpoch, ReplicaNodes [1], IsrNodes [1], OfflineReplicas
 * [], tags. */
#define MD_PART_V12(idx) \
	"0000 " idx " 00000001 00000000 02 00000001 02 00000001 01 00"

START_TEST(test_metadata_v12)
{
	make_topic("alpha", 2);
	make_topic("events", 1);
	call_expect(API_Metadata, 12, 1,
		    "05"                                       /* Topics (4) */
		    "  00000000000000000000000000000000 c`alpha` 00" /* TopicId Name tags */
		    "  {events} 00 00"                         /* by id: Name null */
		    "  0123456789abcdef0123456789abcdef 00 00" /* unknown id */
		    "  00000000000000000000000000000000 c`missing` 00"
		    "00"                                       /* AllowAutoTopicCreation */
		    "01"                                       /* IncludeTopicAuthorizedOperations */
		    "00",                                      /* tags */
		    "00000000"                                 /* ThrottleTimeMs */
		    "02"                                       /* Brokers (1) */
		    "  00000001 c`127.0.0.1` 00002384 00 00"   /* NodeId Host Port Rack tags */
		    "c`test-cluster`"                          /* ClusterId */
		    "00000001"                                 /* ControllerId */
		    "05"                                       /* Topics (4) */
		    "  0000 c`alpha` {alpha} 00 03"            /* ErrorCode Name TopicId IsInternal Partitions */
		    MD_PART_V12("00000000") MD_PART_V12("00000001")
		    "  80000000 00"                            /* TopicAuthorizedOperations tags */
		    "  0000 c`events` {events} 00 02"
		    MD_PART_V12("00000000")
		    "  80000000 00"
		    "  0064 00 0123456789abcdef0123456789abcdef 00 01 80000000 00" /* UNKNOWN_TOPIC_ID */
		    "  0003 c`missing` 00000000000000000000000000000000 00 01 80000000 00"
		    "00");                                     /* tags */
	ck_assert_ptr_null(catalog_topic_by_name(broker.catalog, "missing"));
}
END_TEST

START_TEST(test_metadata_v7_to_v10)
{
	make_topic("alpha", 1);
	/* v10: by id with a null name; unknown ids get an empty name
	 * (Name is not nullable before v12) */
	call_expect(API_Metadata, 10, 1,
		    "03 {alpha} 00 00 ffffffffffffffffffffffffffffffff 00 00"
		    "01 00 00 00",      /* AllowAuto, IncludeCluster.., IncludeTopic.., tags */
		    "00000000 02 00000001 c`127.0.0.1` 00002384 00 00"
		    "c`test-cluster` 00000001"
		    "03"
		    "  0000 c`alpha` {alpha} 00 02" MD_PART_V12("00000000") "80000000 00"
		    "  0064 01 ffffffffffffffffffffffffffffffff 00 01 80000000 00"
		    "80000000"          /* ClusterAuthorizedOperations (v8-v10) */
		    "00");
	/* v9: the first flexible version, no TopicId yet */
	call_expect(API_Metadata, 9, 1,
		    "02 c`alpha` 00 01 00 00 00",
		    "00000000 02 00000001 c`127.0.0.1` 00002384 00 00"
		    "c`test-cluster` 00000001"
		    "02"
		    "  0000 c`alpha` 00 02" MD_PART_V12("00000000") "80000000 00"
		    "80000000"
		    "00");
	/* v7: LeaderEpoch and OfflineReplicas, no authorized operations */
	call_expect(API_Metadata, 7, 0,
		    "00000001 s`alpha` 01",
		    "00000000"
		    "00000001 00000001 s`127.0.0.1` 00002384 ffff"
		    "s`test-cluster`"
		    "00000001"
		    "00000001"
		    "  0000 s`alpha` 00 00000001"
		    "    0000 00000000 00000001 00000000 00000001 00000001"
		    "    00000001 00000001 00000000");
	/* v8: classic encoding, LeaderEpoch and OfflineReplicas, both
	 * authorized-operation fields */
	call_expect(API_Metadata, 8, 0,
		    "00000001 s`alpha` 01 00 00",
		    "00000000"
		    "00000001 00000001 s`127.0.0.1` 00002384 ffff"
		    "s`test-cluster`"             /* ClusterId */
		    "00000001"
		    "00000001"
		    "  0000 s`alpha` 00 00000001"
		    "    0000 00000000 00000001 00000000 00000001 00000001"
		    "    00000001 00000001 00000000"
		    "  80000000"
		    "80000000");
}
END_TEST

/* ---- CreateTopics ---- */

START_TEST(test_create_topics_v0)
{
	make_topic("orders", 1);
	call_expect(API_CreateTopics, 0, 0,
		    "0000000e"                                      /* Topics */
		    /* Name NumPartitions ReplicationFactor Assignments Configs */
		    "  s`t0` 00000002 0001 00000000"
		    "    00000001 s`retention.ms` s`1000`"
		    "  s`orders` 00000001 0001 00000000 00000000"    /* exists */
		    "  s`t-rf` 00000001 0003 00000000 00000000"      /* RF 3 */
		    "  s`t-rf0` 00000001 0000 00000000 00000000"     /* RF 0 */
		    "  s`t-cfg` 00000001 ffff 00000000"              /* bad value */
		    "    00000001 s`retention.ms` s`soon`"
		    "  s`dup` 00000001 0001 00000000 00000000"
		    "  s`dup` 00000001 0001 00000000 00000000"
		    "  s`t-zero` 00000000 0001 00000000 00000000"    /* 0 partitions */
		    "  s`t-asg` ffffffff ffff 00000002"              /* assignments */
		    "    00000001 00000001 00000001"                 /* p1 on [1] */
		    "    00000000 00000001 00000001"                 /* p0 on [1] */
		    "    00000000"
		    "  s`t-asg2` ffffffff ffff 00000001"
		    "    00000000 00000001 00000002 00000000"        /* broker 2 */
		    "  s`t-asg3` 00000001 ffff 00000001"             /* both set */
		    "    00000000 00000001 00000001 00000000"
		    "  s`t-asg4` ffffffff ffff 00000001"
		    "    00000000 00000002 00000001 00000001 00000000" /* [1, 1] */
		    "  s`t-asg5` ffffffff ffff 00000001"
		    "    00000001 00000001 00000001 00000000"        /* no partition 0 */
		    "  s`t-asg6` ffffffff ffff 00000002"
		    "    00000000 00000001 00000001"
		    "    00000000 00000001 00000001 00000000"        /* partition 0 twice */
		    "00007530",                                     /* timeoutMs */
		    "0000000e"                                      /* Topics: Name ErrorCode */
		    "  s`t0` 0000"
		    "  s`orders` 0024"     /* TOPIC_ALREADY_EXISTS */
		    "  s`t-rf` 0026"       /* INVALID_REPLICATION_FACTOR */
		    "  s`t-rf0` 0026"
		    "  s`t-cfg` 0028"      /* INVALID_CONFIG */
		    "  s`dup` 002a"        /* INVALID_REQUEST */
		    "  s`dup` 002a"
		    "  s`t-zero` 0025"     /* INVALID_PARTITIONS */
		    "  s`t-asg` 0000"
		    "  s`t-asg2` 0027"     /* INVALID_REPLICA_ASSIGNMENT */
		    "  s`t-asg3` 002a"
		    "  s`t-asg4` 0027"
		    "  s`t-asg5` 0027"
		    "  s`t-asg6` 0027");
	const struct topic *t = catalog_topic_by_name(broker.catalog, "t0");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->partition_count, 2);
	ck_assert_str_eq(topic_config_get(t, "retention.ms"), "1000");
	ck_assert_ptr_nonnull(partition_by_name(broker.partitions, "t0", 1));
	t = catalog_topic_by_name(broker.catalog, "t-asg");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->partition_count, 2);
	for (const char *n = "t-rf\0t-rf0\0t-cfg\0dup\0t-zero\0t-asg2\0t-asg3\0t-asg4\0t-asg5\0t-asg6\0";
	     *n; n += strlen(n) + 1)
		ck_assert_msg(catalog_topic_by_name(broker.catalog, n) == NULL,
			      "%s was created", n);
	ck_assert_uint_eq(broker.counters[BC_topics], 3);
	ck_assert_uint_eq(broker.counters[BC_partitions], 5);

	/* a request that does not parse creates nothing */
	call_malformed(API_CreateTopics, 0, 0,
		       "00000002 s`p1` 00000001 0001 00000000 00000000"
		       "s`p2` 00000001 0001 00000000"); /* no Configs, timeoutMs */
	ck_assert_ptr_null(catalog_topic_by_name(broker.catalog, "p1"));
	call_malformed(API_CreateTopics, 0, 0, "00002711 00007530"); /* 10001 */
	call_malformed(API_CreateTopics, 0, 0, "ffffffff 00007530"); /* null */
}
END_TEST

/* The v5+ Configs array of a topic: every key of the topic config table in
 * name order with its Kafka default (ConfigSource 5 DEFAULT_CONFIG), or
 * with the value set at creation (ConfigSource 1 TOPIC_CONFIG).  Entry:
 * Name Value ReadOnly ConfigSource IsSensitive tags. */
static void vec_configs(struct vec *v, const char *set_name, const char *set_value)
{
	static const char *const defaults[][2] = {
		{"cleanup.policy", "delete"},
		{"compression.type", "producer"},
		{"delete.retention.ms", "86400000"},
		{"file.delete.delay.ms", "60000"},
		{"flush.messages", "9223372036854775807"},
		{"flush.ms", "9223372036854775807"},
		{"index.interval.bytes", "4096"},
		{"local.retention.bytes", "-2"},
		{"local.retention.ms", "-2"},
		{"max.compaction.lag.ms", "9223372036854775807"},
		{"max.message.bytes", "1048588"},
		{"message.downconversion.enable", "true"},
		{"message.timestamp.after.max.ms", "9223372036854775807"},
		{"message.timestamp.before.max.ms", "9223372036854775807"},
		{"message.timestamp.difference.max.ms", "9223372036854775807"},
		{"message.timestamp.type", "CreateTime"},
		{"min.cleanable.dirty.ratio", "0.5"},
		{"min.compaction.lag.ms", "0"},
		{"min.insync.replicas", "1"},
		{"preallocate", "false"},
		{"remote.storage.enable", "false"},
		{"retention.bytes", "-1"},
		{"retention.ms", "604800000"},
		{"segment.bytes", "1073741824"},
		{"segment.index.bytes", "10485760"},
		{"segment.jitter.ms", "0"},
		{"segment.ms", "604800000"},
		{"unclean.leader.election.enable", "false"},
	};
	size_t n = sizeof defaults / sizeof defaults[0];
	vec_uvarint(v, n + 1);
	char text[512];
	for (size_t i = 0; i < n; i++) {
		int set = set_name && !strcmp(set_name, defaults[i][0]);
		snprintf(text, sizeof text, "c`%s` c`%s` 00 %s 00 00",
			 defaults[i][0], set ? set_value : defaults[i][1],
			 set ? "01" : "05");
		vec_add(v, text);
	}
}

START_TEST(test_create_topics_v5)
{
	make_topic("orders", 1);
	harness_cfg.num_partitions = 3;
	struct vec want = {0};
	vec_add(&want, "00000000"                      /* ThrottleTimeMs */
		       "03"                            /* Topics (2) */
		       "  c`t5` 0000 00"               /* Name ErrorCode ErrorMessage */
		       "  00000003 0001");             /* NumPartitions ReplicationFactor */
	vec_configs(&want, "cleanup.policy", "compact"); /* Configs */
	vec_add(&want, "  00"                          /* tags */
		       "  c`orders` 0024 c`Topic 'orders' already exists.`"
		       "  ffffffff ffff 01 00"         /* -1, -1, Configs [], tags */
		       "00");
	struct call c;
	call_run(&c, API_CreateTopics, 5, 1,
		 "03"                                  /* Topics (2) */
		 "  c`t5` ffffffff ffff 01"            /* Name NumPartitions RF Assignments */
		 "    02 c`cleanup.policy` c`compact` 00 00" /* Configs, tags */
		 "  c`orders` 00000001 0002 01 01 00"  /* exists, whatever the RF */
		 "00007530 00 00");                    /* timeoutMs validateOnly tags */
	ck_assert_int_eq(c.state, REQ_DONE);
	ck_assert(c.req.flexible_response_header);
	expect_bytes("CreateTopics v5", c.resp, c.resp_len, &want);
	call_free(&c);
	vec_free(&want);
	const struct topic *t = catalog_topic_by_name(broker.catalog, "t5");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->partition_count, 3);
	ck_assert_str_eq(topic_config_get(t, "cleanup.policy"), "compact");
}
END_TEST

START_TEST(test_create_topics_v7_validate_only)
{
	struct vec want = {0};
	vec_add(&want, "00000000 03"
		       "  c`v7` 00000000000000000000000000000000 0000 00" /* TopicId zero */
		       "  00000004 0001");
	vec_configs(&want, "retention.ms", "1000");
	vec_add(&want, "  00"
		       "  c`v7-rf` 00000000000000000000000000000000 0026"
		       "  c`Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered.`"
		       "  ffffffff ffff 01 00"
		       "00");
	struct call c;
	call_run(&c, API_CreateTopics, 7, 1,
		 "03"
		 "  c`v7` 00000004 0001 01 02 c`retention.ms` c`1000` 00 00"
		 "  c`v7-rf` 00000001 0002 01 01 00"
		 "00007530 01 00");                    /* validateOnly */
	ck_assert_int_eq(c.state, REQ_DONE);
	expect_bytes("CreateTopics v7", c.resp, c.resp_len, &want);
	call_free(&c);
	ck_assert_ptr_null(catalog_topic_by_name(broker.catalog, "v7"));

	/* the same topic for real: its TopicId is the catalog's */
	vec_free(&want);
	call_run(&c, API_CreateTopics, 7, 1,
		 "02 c`v7` 00000004 0001 01 02 c`retention.ms` c`1000` 00 00"
		 "00007530 00 00");
	ck_assert_int_eq(c.state, REQ_DONE);
	vec_add(&want, "00000000 02 c`v7` {v7} 0000 00 00000004 0001");
	vec_configs(&want, "retention.ms", "1000");
	vec_add(&want, "00 00");
	expect_bytes("CreateTopics v7 created", c.resp, c.resp_len, &want);
	call_free(&c);
	vec_free(&want);
}
END_TEST

/* ---- DeleteTopics ---- */

START_TEST(test_delete_topics_v1)
{
	const struct topic *t = make_topic("orders", 2);
	uint64_t orders_stream = topic_stream_id(t, 0);
	make_topic("dup", 1);
	make_topic("keep", 1);
	ck_assert_uint_eq(broker.counters[BC_partitions], 4);
	call_expect(API_DeleteTopics, 1, 0,
		    "00000004 s`orders` s`missing` s`dup` s`dup`" /* TopicNames */
		    "00007530",                                  /* TimeoutMs */
		    "00000000"                                   /* ThrottleTimeMs */
		    "00000004"                                   /* Responses: Name ErrorCode */
		    "  s`orders` 0000"
		    "  s`missing` 0003"   /* UNKNOWN_TOPIC_OR_PARTITION */
		    "  s`dup` 002a"       /* INVALID_REQUEST */
		    "  s`dup` 002a");
	ck_assert_ptr_null(catalog_topic_by_name(broker.catalog, "orders"));
	ck_assert_ptr_null(partition_by_stream(broker.partitions, orders_stream));
	ck_assert_ptr_null(partition_by_stream(broker.partitions, orders_stream + 1));
	ck_assert_ptr_nonnull(catalog_topic_by_name(broker.catalog, "dup"));
	ck_assert_uint_eq(broker.counters[BC_topics], 2);
	ck_assert_uint_eq(broker.counters[BC_partitions], 2);

	/* a request that does not parse deletes nothing */
	call_malformed(API_DeleteTopics, 1, 0, "00000002 s`keep` 0005 `du`");
	call_malformed(API_DeleteTopics, 1, 0, "00000001 s`keep`"); /* no TimeoutMs */
	ck_assert_ptr_nonnull(catalog_topic_by_name(broker.catalog, "keep"));
	/* v0: no ThrottleTimeMs */
	call_expect(API_DeleteTopics, 0, 0, "00000001 s`keep` 00007530",
		    "00000001 s`keep` 0000");
	ck_assert_ptr_null(catalog_topic_by_name(broker.catalog, "keep"));
}
END_TEST

START_TEST(test_delete_topics_v6)
{
	make_topic("events", 1);
	make_topic("orders", 3);
	make_topic("keep", 1);
	call_expect(API_DeleteTopics, 6, 1,
		    "05"                                          /* Topics (4) */
		    "  00 {events} 00"                            /* Name null, TopicId, tags */
		    "  c`orders` 00000000000000000000000000000000 00"
		    "  00 0123456789abcdef0123456789abcdef 00"    /* unknown id */
		    "  c`keep` {keep} 00"                         /* both given */
		    "00007530"                                    /* TimeoutMs */
		    "00",
		    "00000000"                                    /* ThrottleTimeMs */
		    "05"                                          /* Responses */
		    /* Name TopicId ErrorCode ErrorMessage tags */
		    "  c`events` {events} 0000 00 00"
		    "  c`orders` {orders} 0000 00 00"
		    "  00 0123456789abcdef0123456789abcdef 0064"
		    "    c`This server does not host this topic ID.` 00"
		    "  c`keep` {keep} 002a"
		    "    c`You may not specify both topic name and topic id.` 00"
		    "00");
	ck_assert_ptr_null(catalog_topic_by_name(broker.catalog, "events"));
	ck_assert_ptr_null(catalog_topic_by_name(broker.catalog, "orders"));
	ck_assert_ptr_nonnull(catalog_topic_by_name(broker.catalog, "keep"));
	ck_assert_uint_eq(broker.counters[BC_topics], 1);
	ck_assert_uint_eq(broker.counters[BC_partitions], 1);

	/* v5 (flexible, TopicNames): ErrorMessage for an unknown name */
	call_expect(API_DeleteTopics, 5, 1, "03 c`keep` c`gone` 00007530 00",
		    "00000000 03"
		    "  c`keep` 0000 00 00"
		    "  c`gone` 0003 c`This server does not host this topic-partition.` 00"
		    "00");
}
END_TEST

/* ---- ListOffsets ---- */

/* Appends to partition p a batch of n records with timestamps ts[] at
 * base offset p->next_offset; a compressed batch (codec in attrs) has its
 * records compressed with that codec.  The bytes go into the shm cache,
 * where batch_read finds them. */
static void add_batch(struct partition *p, int n, const int64_t *ts,
		      uint16_t attrs)
{
	struct vec b = {0};
	uint8_t hdr[RB_HEADER_BYTES] = {0};
	vec_put(&b, hdr, sizeof hdr);
	int64_t max_ts = ts[0];
	for (int i = 0; i < n; i++) {
		struct vec r = {0};
		vec_u8(&r, 0);                               /* attributes */
		vec_uvarint(&r, (uint64_t)(ts[i] - ts[0]) << 1); /* timestampDelta */
		vec_uvarint(&r, (uint64_t)i << 1);            /* offsetDelta */
		vec_add(&r, "01 02 `v` 00");   /* key null, value "v", no headers */
		vec_uvarint(&b, (uint64_t)r.len << 1);
		vec_put(&b, r.b, r.len);
		vec_free(&r);
		if (ts[i] > max_ts)
			max_ts = ts[i];
	}
	if (attrs & RB_ATTR_CODEC_MASK) {
		uint8_t *z;
		size_t z_len;
		ck_assert_int_eq(codec_compress(attrs & RB_ATTR_CODEC_MASK,
						b.b + RB_HEADER_BYTES,
						b.len - RB_HEADER_BYTES, &z, &z_len), 0);
		b.len = RB_HEADER_BYTES;
		vec_put(&b, z, z_len);
		free(z);
	}
	uint8_t *h = b.b;
	be64_put(h + RB_OFF_BASE_OFFSET, (uint64_t)p->next_offset);
	be32_put(h + RB_OFF_BATCH_LENGTH, (uint32_t)(b.len - RB_LENGTH_FIELD_END));
	h[RB_OFF_MAGIC] = 2;
	be16_put(h + RB_OFF_ATTRIBUTES, attrs);
	be32_put(h + RB_OFF_LAST_OFFSET_DELTA, (uint32_t)(n - 1));
	be64_put(h + RB_OFF_BASE_TIMESTAMP, (uint64_t)ts[0]);
	be64_put(h + RB_OFF_MAX_TIMESTAMP, (uint64_t)max_ts);
	be64_put(h + RB_OFF_PRODUCER_ID, (uint64_t)-1);
	be16_put(h + RB_OFF_PRODUCER_EPOCH, 0xffff);
	be32_put(h + RB_OFF_BASE_SEQUENCE, 0xffffffff);
	be32_put(h + RB_OFF_RECORD_COUNT, (uint32_t)n);
	be32_put(h + RB_OFF_CRC, crc32c(h + RB_OFF_ATTRIBUTES, b.len - RB_OFF_ATTRIBUTES));

	struct batch_entry e = {
		.base_offset = p->next_offset,
		.last_offset = p->next_offset + n - 1,
		.max_timestamp = max_ts,
		.wal_pos = cache_pos,
		.len = (uint32_t)b.len,
		.attributes = attrs,
	};
	shm_cache_put(harness_seg, cache_pos, b.b, b.len);
	cache_pos += b.len;
	ck_assert_int_eq(partition_append(p, &e), 0);
	vec_free(&b);
}

/* Partition 0 of "orders" (2 partitions): offsets 0-2 uncompressed at
 * 1000/1010/1020, 3-4 gzip with MaxTimestamp 2000, 5-6 uncompressed at
 * 3000/3010 above the high watermark 5. */
static struct partition *list_offsets_setup(void)
{
	make_topic("orders", 2);
	struct partition *p = partition_by_name(broker.partitions, "orders", 0);
	ck_assert_ptr_nonnull(p);
	static const int64_t a[] = {1000, 1010, 1020};
	static const int64_t b[] = {1900, 2000};
	static const int64_t c[] = {3000, 3010};
	add_batch(p, 3, a, 0);
	add_batch(p, 2, b, 1 /* gzip */);
	add_batch(p, 2, c, 0);
	p->high_watermark = 5;
	ck_assert_int_eq(p->next_offset, 7);
	return p;
}

START_TEST(test_list_offsets_v1)
{
	list_offsets_setup();
	call_expect(API_ListOffsets, 1, 0,
		    "ffffffff"                                /* ReplicaId */
		    "00000002"                                /* Topics */
		    "  s`orders` 00000008"                    /* Name Partitions */
		    "    00000000 fffffffffffffffe"           /* PartitionIndex Timestamp: EARLIEST */
		    "    00000000 ffffffffffffffff"           /* LATEST */
		    "    00000000 00000000000003ed"           /* 1005 */
		    "    00000000 00000000000005dc"           /* 1500 */
		    "    00000000 000000000000079e"           /* 1950 */
		    "    00000000 00000000000009c4"           /* 2500 */
		    "    00000001 ffffffffffffffff"
		    "    00000007 ffffffffffffffff"
		    "  s`nope` 00000001"
		    "    00000000 ffffffffffffffff",
		    "00000002"                                /* Topics */
		    "  s`orders` 00000008"
		    /* PartitionIndex ErrorCode Timestamp Offset */
		    "    00000000 0000 ffffffffffffffff 0000000000000000"
		    "    00000000 0000 ffffffffffffffff 0000000000000005"
		    "    00000000 0000 00000000000003f2 0000000000000001" /* record 1 at 1010 */
		    "    00000000 0000 000000000000076c 0000000000000003" /* gzip: record 3 at 1900 */
		    "    00000000 0000 00000000000007d0 0000000000000004" /* gzip: record 4 at 2000 */
		    "    00000000 0000 ffffffffffffffff ffffffffffffffff" /* 3000 is not visible */
		    "    00000001 0000 ffffffffffffffff 0000000000000000"
		    "    00000007 0003 ffffffffffffffff ffffffffffffffff"
		    "  s`nope` 00000001"
		    "    00000000 0003 ffffffffffffffff ffffffffffffffff");
	call_malformed(API_ListOffsets, 1, 0, "ffffffff ffffffff"); /* null Topics */
	call_malformed(API_ListOffsets, 1, 0,
		       "ffffffff 00000001 s`orders` 00000002 00000000 ffffffffffffffff");
}
END_TEST

START_TEST(test_list_offsets_v7)
{
	struct partition *p = list_offsets_setup();
	const char *req =
		"ffffffff"                                      /* ReplicaId */
		"01"                                            /* IsolationLevel READ_COMMITTED */
		"02"                                            /* Topics (1) */
		"  c`orders` 05"                                /* Name Partitions (4) */
		/* PartitionIndex CurrentLeaderEpoch Timestamp tags */
		"    00000000 00000000 fffffffffffffffd 00"     /* MAX_TIMESTAMP */
		"    00000000 ffffffff 00000000000003fc 00"     /* 1020 */
		"    00000000 ffffffff 00000000000009c4 00"     /* 2500 */
		"    00000001 ffffffff fffffffffffffffd 00"
		"  00"
		"00";
	call_expect(API_ListOffsets, 7, 1, req,
		    "00000000"                                  /* ThrottleTimeMs */
		    "02"
		    "  c`orders` 05"
		    /* PartitionIndex ErrorCode Timestamp Offset LeaderEpoch tags */
		    "    00000000 0000 00000000000007d0 0000000000000004 00000000 00"
		    "    00000000 0000 00000000000003fc 0000000000000002 00000000 00"
		    "    00000000 0000 ffffffffffffffff ffffffffffffffff ffffffff 00"
		    "    00000001 0000 ffffffffffffffff ffffffffffffffff ffffffff 00"
		    "  00"
		    "00");
	/* once offsets 5-6 are durable they count */
	p->high_watermark = 7;
	call_expect(API_ListOffsets, 7, 1, req,
		    "00000000 02 c`orders` 05"
		    "    00000000 0000 0000000000000bc2 0000000000000006 00000000 00"
		    "    00000000 0000 00000000000003fc 0000000000000002 00000000 00"
		    "    00000000 0000 0000000000000bb8 0000000000000005 00000000 00"
		    "    00000001 0000 ffffffffffffffff ffffffffffffffff ffffffff 00"
		    "  00 00");
	/* before v7, -3 is an ordinary timestamp: the first record */
	call_expect(API_ListOffsets, 4, 0,
		    "ffffffff 00 00000001 s`orders` 00000001"
		    "  00000000 ffffffff fffffffffffffffd",
		    "00000000 00000001 s`orders` 00000001"
		    "  00000000 0000 00000000000003e8 0000000000000000 00000000");
	/* records below the log start do not count: the answer is raised to
	 * the log start (keeping the found record's timestamp) */
	p->log_start = 2;
	call_expect(API_ListOffsets, 4, 0,
		    "ffffffff 00 00000001 s`orders` 00000002"
		    "  00000000 ffffffff 00000000000003e8"
		    "  00000000 ffffffff fffffffffffffffe",
		    "00000000 00000001 s`orders` 00000002"
		    "  00000000 0000 00000000000003e8 0000000000000002 00000000"
		    "  00000000 0000 ffffffffffffffff 0000000000000002 00000000");
}
END_TEST

/* ---- DeleteRecords ---- */

/* "logs" (2 partitions): partition 0 holds offsets 0-9 in two batches, of
 * which 0-7 are durable (high watermark 8); partition 1 is empty.  "kv"
 * (1 partition) is compacted only.  Returns partition 0. */
static struct partition *delete_records_setup(void)
{
	make_topic("logs", 2);
	struct partition *p = partition_by_name(broker.partitions, "logs", 0);
	ck_assert_ptr_nonnull(p);
	static const int64_t ts[] = {1000, 1001, 1002, 1003, 1004};
	add_batch(p, 5, ts, 0);
	add_batch(p, 5, ts, 0);
	p->high_watermark = 8;
	char err[256];
	const struct topic *t;
	struct topic_config_entry compact = {"cleanup.policy", "compact"};
	ck_assert_int_eq(topics_create("kv", 1, &compact, 1, 0, err, sizeof err, &t), 0);
	return p;
}

/* A Fetch v5 of logs-0 at offset from (MaxWaitMs 0) must answer exactly
 * want_partition (PartitionIndex ... Records of the one partition). */
static void delete_records_fetch(int64_t from, const char *want_partition)
{
	char body[512], want[512];
	snprintf(body, sizeof body,
		 "ffffffff 00000000 00000001 00100000 00" /* ReplicaId MaxWaitMs MinBytes MaxBytes IsolationLevel */
		 "00000001 s`logs` 00000001"              /* Topics: Topic Partitions */
		 "  00000000 %016llx ffffffffffffffff 00100000", /* Partition FetchOffset LogStartOffset PartitionMaxBytes */
		 (unsigned long long)from);
	snprintf(want, sizeof want,
		 "00000000"                               /* ThrottleTimeMs */
		 "00000001 s`logs` 00000001 %s",          /* Responses: Topic Partitions */
		 want_partition);
	struct vec w = {0};
	vec_add(&w, want);
	struct call c;
	call_run(&c, API_Fetch, 5, 0, body);
	ck_assert_int_eq(c.state, REQ_DONE);
	expect_bytes("Fetch v5 response", c.resp, c.resp_len, &w);
	if (c.req.ctx && c.req.ctx_free)
		c.req.ctx_free(c.req.ctx);
	call_free(&c);
	vec_free(&w);
}

START_TEST(test_delete_records_v0)
{
	struct partition *p = delete_records_setup();
	const struct topic *logs = catalog_topic_by_name(broker.catalog, "logs");
	call_expect(API_DeleteRecords, 0, 0,
		    "00000003"                                /* Topics */
		    "  s`logs` 00000005"                      /* Name Partitions */
		    "    00000000 0000000000000003"           /* PartitionIndex Offset */
		    "    00000000 0000000000000002"           /* below the log start now */
		    "    00000001 ffffffffffffffff"           /* -1: the high watermark (0) */
		    "    00000000 0000000000000009"           /* above the high watermark */
		    "    00000002 0000000000000000"           /* no such partition */
		    "  s`kv` 00000001"
		    "    00000000 0000000000000000"
		    "  s`nope` 00000001"
		    "    00000000 0000000000000000"
		    "000003e8",                               /* TimeoutMs */
		    "00000000"                                /* ThrottleTimeMs */
		    "00000003"                                /* Topics */
		    "  s`logs` 00000005"
		    /* PartitionIndex LowWatermark ErrorCode */
		    "    00000000 0000000000000003 0000"
		    "    00000000 0000000000000003 0000"
		    "    00000001 0000000000000000 0000"
		    "    00000000 ffffffffffffffff 0001"      /* OFFSET_OUT_OF_RANGE */
		    "    00000002 ffffffffffffffff 0003"      /* UNKNOWN_TOPIC_OR_PARTITION */
		    "  s`kv` 00000001"
		    "    00000000 ffffffffffffffff 002c"      /* POLICY_VIOLATION */
		    "  s`nope` 00000001"
		    "    00000000 ffffffffffffffff 0003");
	/* journaled in the catalog, and the partition follows */
	ck_assert_int_eq(catalog_stream_log_start(broker.catalog, topic_stream_id(logs, 0)), 3);
	ck_assert_int_eq(p->log_start, 3);
	ck_assert_int_eq(catalog_stream_log_start(broker.catalog, topic_stream_id(logs, 1)), 0);
	/* ListOffsets EARLIEST answers the new log start */
	call_expect(API_ListOffsets, 1, 0,
		    "ffffffff 00000001 s`logs` 00000001 00000000 fffffffffffffffe",
		    "00000001 s`logs` 00000001 00000000 0000 ffffffffffffffff 0000000000000003");
	/* Fetch below it is out of range and reports it as LogStartOffset */
	delete_records_fetch(2,
			     "00000000 0001"                      /* PartitionIndex ErrorCode */
			     "0000000000000008 0000000000000008"  /* HighWatermark LastStableOffset */
			     "0000000000000003"                   /* LogStartOffset */
			     "ffffffff 00000000");                /* AbortedTransactions Records */
	/* v1 is v0 */
	call_expect(API_DeleteRecords, 1, 0,
		    "00000001 s`logs` 00000001 00000000 0000000000000004 00000000",
		    "00000000 00000001 s`logs` 00000001 00000000 0000000000000004 0000");
	ck_assert_int_eq(p->log_start, 4);
	/* a null Topics array, and a Partitions count past the bytes */
	call_malformed(API_DeleteRecords, 0, 0, "ffffffff 000003e8");
	call_malformed(API_DeleteRecords, 0, 0, "00000001 s`logs` 00000002 00000000 0000000000000005");
	ck_assert_int_eq(p->log_start, 4);
}
END_TEST

START_TEST(test_delete_records_v2)
{
	struct partition *p = delete_records_setup();
	const struct topic *logs = catalog_topic_by_name(broker.catalog, "logs");
	/* a request that stops parsing in its second topic moves nothing,
	 * although its first topic alone would have */
	call_malformed(API_DeleteRecords, 2, 1,
		       "03"                                   /* Topics (2) */
		       "  c`logs` 02 00000000 0000000000000005 00 00"
		       "  c`logs` 02 00000000");              /* cut short */
	ck_assert_int_eq(p->log_start, 0);
	ck_assert_int_eq(catalog_stream_log_start(broker.catalog, topic_stream_id(logs, 0)), 0);
	call_expect(API_DeleteRecords, 2, 1,
		    "02"                                      /* Topics (1) */
		    "  c`logs` 03"                            /* Name Partitions (2) */
		    "    00000000 ffffffffffffffff 00"        /* PartitionIndex Offset (-1: HW) tags */
		    "    00000001 fffffffffffffffe 00"        /* -2: out of range */
		    "  00"                                    /* tags */
		    "000003e8"                                /* TimeoutMs */
		    "00",                                     /* tags */
		    "00000000"                                /* ThrottleTimeMs */
		    "02"
		    "  c`logs` 03"
		    /* PartitionIndex LowWatermark ErrorCode tags */
		    "    00000000 0000000000000008 0000 00"
		    "    00000001 ffffffffffffffff 0001 00"
		    "  00"
		    "00");
	ck_assert_int_eq(catalog_stream_log_start(broker.catalog, topic_stream_id(logs, 0)), 8);
	ck_assert_int_eq(p->log_start, 8);
	/* the log start may reach the high watermark: a fetch there is in
	 * range and empty, one below is not */
	delete_records_fetch(8,
			     "00000000 0000 0000000000000008 0000000000000008"
			     "0000000000000008 ffffffff 00000000");
	delete_records_fetch(7,
			     "00000000 0001 0000000000000008 0000000000000008"
			     "0000000000000008 ffffffff 00000000");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("protocol");
	TCase *tc = tcase_create("kreader");
	tcase_add_test(tc, test_kreader_fixed);
	tcase_add_loop_test(tc, test_kreader_uvarint, 0,
			    sizeof uvarint_cases / sizeof uvarint_cases[0]);
	tcase_add_loop_test(tc, test_kreader_varint, 0,
			    sizeof varint_cases / sizeof varint_cases[0]);
	tcase_add_loop_test(tc, test_kreader_varlong, 0,
			    sizeof varlong_cases / sizeof varlong_cases[0]);
	tcase_add_loop_test(tc, test_kreader_slices, 0,
			    sizeof slice_cases / sizeof slice_cases[0]);
	tcase_add_loop_test(tc, test_kreader_array, 0,
			    sizeof array_cases / sizeof array_cases[0]);
	tcase_add_loop_test(tc, test_kreader_array_calloc, 0,
			    sizeof array_cases / sizeof array_cases[0]);
	tcase_add_test(tc, test_kreader_tags_and_sticky);
	suite_add_tcase(s, tc);

	tc = tcase_create("kwriter");
	tcase_add_test(tc, test_kwriter_fixed);
	tcase_add_test(tc, test_kwriter_uvarint);
	tcase_add_test(tc, test_kwriter_classic);
	tcase_add_test(tc, test_kwriter_compact);
	suite_add_tcase(s, tc);

	tc = tcase_create("handlers");
	tcase_add_checked_fixture(tc, setup, harness_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_api_versions);
	tcase_add_test(tc, test_topics_names);
	tcase_add_test(tc, test_topics_lifecycle);
	tcase_add_test(tc, test_metadata_v0_all);
	tcase_add_test(tc, test_metadata_v1);
	tcase_add_test(tc, test_metadata_v12);
	tcase_add_test(tc, test_metadata_v7_to_v10);
	tcase_add_test(tc, test_create_topics_v0);
	tcase_add_test(tc, test_create_topics_v5);
	tcase_add_test(tc, test_create_topics_v7_validate_only);
	tcase_add_test(tc, test_delete_topics_v1);
	tcase_add_test(tc, test_delete_topics_v6);
	tcase_add_test(tc, test_list_offsets_v1);
	tcase_add_test(tc, test_list_offsets_v7);
	tcase_add_test(tc, test_delete_records_v0);
	tcase_add_test(tc, test_delete_records_v2);
	suite_add_tcase(s, tc);
	return s;
}
