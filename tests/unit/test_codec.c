/*
 * common/codec.c: round trips of every codec over empty, tiny, random and
 * compressible inputs; decoding of vectors written by independent
 * implementations; the Kafka-compatible shape of what it writes; corrupt
 * and truncated inputs; decompression bombs held to max_out.
 */
#include <check.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "common/bytes.h"
#include "common/codec.h"
#include "common/errors.h"
#include "tests/unit/unit_main.h"

#define MIB ((size_t)1 << 20)

/* Vectors made with Debian's python3 modules (kafka-python 2.0.2's
 * snappy_encode for xerial with 128-byte blocks, python-snappy, python-lz4
 * with block and content checksums and the content size, gzip with mtime
 * 0, python-zstandard with a checksum and no content size), all over
 * vector_text() below:
 *   text = b"".join(b"record %03d: the quick brown fox jumps over the lazy dog\n" % i
 *                   for i in range(8))
 *   kafka.codec.snappy_encode(text, xerial_compatible=True, xerial_blocksize=128)
 *   snappy.compress(text)
 *   lz4.frame.compress(text, block_size=lz4.frame.BLOCKSIZE_MAX64KB,
 *       block_linked=False, content_checksum=True, store_size=True,
 *       block_checksum=True)
 *   gzip.compress(text, mtime=0)
 *   zstandard.ZstdCompressor(level=3, write_checksum=True,
 *       write_content_size=False).compress(text) */
static const uint8_t vec_xerial[304] = {
	0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x49, 0x80, 0x01, 0xa8, 0x72,
	0x65, 0x63, 0x6f, 0x72, 0x64, 0x20, 0x30, 0x30, 0x30, 0x3a, 0x20, 0x74,
	0x68, 0x65, 0x20, 0x71, 0x75, 0x69, 0x63, 0x6b, 0x20, 0x62, 0x72, 0x6f,
	0x77, 0x6e, 0x20, 0x66, 0x6f, 0x78, 0x20, 0x6a, 0x75, 0x6d, 0x70, 0x73,
	0x20, 0x6f, 0x76, 0x65, 0x72, 0x20, 0x01, 0x1f, 0x20, 0x6c, 0x61, 0x7a,
	0x79, 0x20, 0x64, 0x6f, 0x67, 0x0a, 0x15, 0x38, 0x00, 0x31, 0xda, 0x38,
	0x00, 0x18, 0x32, 0x3a, 0x20, 0x74, 0x68, 0x65, 0x20, 0x00, 0x00, 0x00,
	0x41, 0x80, 0x01, 0xc8, 0x71, 0x75, 0x69, 0x63, 0x6b, 0x20, 0x62, 0x72,
	0x6f, 0x77, 0x6e, 0x20, 0x66, 0x6f, 0x78, 0x20, 0x6a, 0x75, 0x6d, 0x70,
	0x73, 0x20, 0x6f, 0x76, 0x65, 0x72, 0x20, 0x74, 0x68, 0x65, 0x20, 0x6c,
	0x61, 0x7a, 0x79, 0x20, 0x64, 0x6f, 0x67, 0x0a, 0x72, 0x65, 0x63, 0x6f,
	0x72, 0x64, 0x20, 0x30, 0x30, 0x33, 0x3a, 0x05, 0x19, 0xc2, 0x38, 0x00,
	0x04, 0x34, 0x3a, 0x52, 0x38, 0x00, 0x00, 0x00, 0x00, 0x43, 0x80, 0x01,
	0x88, 0x6a, 0x75, 0x6d, 0x70, 0x73, 0x20, 0x6f, 0x76, 0x65, 0x72, 0x20,
	0x74, 0x68, 0x65, 0x20, 0x6c, 0x61, 0x7a, 0x79, 0x20, 0x64, 0x6f, 0x67,
	0x0a, 0x72, 0x65, 0x63, 0x6f, 0x72, 0x64, 0x20, 0x30, 0x30, 0x35, 0x3a,
	0x05, 0x19, 0x40, 0x71, 0x75, 0x69, 0x63, 0x6b, 0x20, 0x62, 0x72, 0x6f,
	0x77, 0x6e, 0x20, 0x66, 0x6f, 0x78, 0x20, 0x6a, 0x7e, 0x38, 0x00, 0x04,
	0x36, 0x3a, 0x92, 0x38, 0x00, 0x00, 0x00, 0x00, 0x43, 0x40, 0xf0, 0x3f,
	0x61, 0x7a, 0x79, 0x20, 0x64, 0x6f, 0x67, 0x0a, 0x72, 0x65, 0x63, 0x6f,
	0x72, 0x64, 0x20, 0x30, 0x30, 0x37, 0x3a, 0x20, 0x74, 0x68, 0x65, 0x20,
	0x71, 0x75, 0x69, 0x63, 0x6b, 0x20, 0x62, 0x72, 0x6f, 0x77, 0x6e, 0x20,
	0x66, 0x6f, 0x78, 0x20, 0x6a, 0x75, 0x6d, 0x70, 0x73, 0x20, 0x6f, 0x76,
	0x65, 0x72, 0x20, 0x74, 0x68, 0x65, 0x20, 0x6c, 0x61, 0x7a, 0x79, 0x20,
	0x64, 0x6f, 0x67, 0x0a,
};
static const uint8_t vec_raw_snappy[95] = {
	0xc0, 0x03, 0xa8, 0x72, 0x65, 0x63, 0x6f, 0x72, 0x64, 0x20, 0x30, 0x30,
	0x30, 0x3a, 0x20, 0x74, 0x68, 0x65, 0x20, 0x71, 0x75, 0x69, 0x63, 0x6b,
	0x20, 0x62, 0x72, 0x6f, 0x77, 0x6e, 0x20, 0x66, 0x6f, 0x78, 0x20, 0x6a,
	0x75, 0x6d, 0x70, 0x73, 0x20, 0x6f, 0x76, 0x65, 0x72, 0x20, 0x01, 0x1f,
	0x20, 0x6c, 0x61, 0x7a, 0x79, 0x20, 0x64, 0x6f, 0x67, 0x0a, 0x15, 0x38,
	0x00, 0x31, 0xda, 0x38, 0x00, 0x00, 0x32, 0xda, 0x38, 0x00, 0x00, 0x33,
	0xda, 0x38, 0x00, 0x00, 0x34, 0xda, 0x38, 0x00, 0x00, 0x35, 0xda, 0x38,
	0x00, 0x00, 0x36, 0xda, 0x38, 0x00, 0x00, 0x37, 0xb6, 0x38, 0x00,
};
static const uint8_t vec_lz4[130] = {
	0x04, 0x22, 0x4d, 0x18, 0x7c, 0x40, 0xc0, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x69, 0x63, 0x00, 0x00, 0x00, 0xf1, 0x1b, 0x72, 0x65, 0x63,
	0x6f, 0x72, 0x64, 0x20, 0x30, 0x30, 0x30, 0x3a, 0x20, 0x74, 0x68, 0x65,
	0x20, 0x71, 0x75, 0x69, 0x63, 0x6b, 0x20, 0x62, 0x72, 0x6f, 0x77, 0x6e,
	0x20, 0x66, 0x6f, 0x78, 0x20, 0x6a, 0x75, 0x6d, 0x70, 0x73, 0x20, 0x6f,
	0x76, 0x65, 0x72, 0x1f, 0x00, 0x95, 0x6c, 0x61, 0x7a, 0x79, 0x20, 0x64,
	0x6f, 0x67, 0x0a, 0x38, 0x00, 0x1f, 0x31, 0x38, 0x00, 0x24, 0x1f, 0x32,
	0x38, 0x00, 0x24, 0x1f, 0x33, 0x38, 0x00, 0x24, 0x1f, 0x34, 0x38, 0x00,
	0x24, 0x1f, 0x35, 0x38, 0x00, 0x24, 0x1f, 0x36, 0x38, 0x00, 0x24, 0x1f,
	0x37, 0x38, 0x00, 0x16, 0x50, 0x20, 0x64, 0x6f, 0x67, 0x0a, 0x05, 0x9c,
	0xc9, 0x14, 0x00, 0x00, 0x00, 0x00, 0xd5, 0x4c, 0xe2, 0x26,
};
static const uint8_t vec_gzip[99] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x2b, 0x4a,
	0x4d, 0xce, 0x2f, 0x4a, 0x51, 0x30, 0x30, 0x30, 0xb0, 0x52, 0x28, 0xc9,
	0x48, 0x55, 0x28, 0x2c, 0xcd, 0x4c, 0xce, 0x56, 0x48, 0x2a, 0xca, 0x2f,
	0xcf, 0x53, 0x48, 0xcb, 0xaf, 0x50, 0xc8, 0x2a, 0xcd, 0x2d, 0x28, 0x56,
	0xc8, 0x2f, 0x4b, 0x2d, 0x02, 0x4b, 0xe7, 0x24, 0x56, 0x55, 0x2a, 0xa4,
	0xe4, 0xa7, 0x73, 0x15, 0xc1, 0xf4, 0x19, 0x92, 0xa9, 0xcf, 0x88, 0x4c,
	0x7d, 0xc6, 0x64, 0xea, 0x33, 0x21, 0x53, 0x9f, 0x29, 0x99, 0xfa, 0xcc,
	0xc8, 0xd4, 0x67, 0x4e, 0x9a, 0x3e, 0x00, 0x7a, 0x1a, 0x8b, 0xe0, 0xc0,
	0x01, 0x00, 0x00,
};
static const uint8_t vec_zstd[97] = {
	0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00, 0xa5, 0x02, 0x00, 0xa4, 0x03, 0x72,
	0x65, 0x63, 0x6f, 0x72, 0x64, 0x20, 0x30, 0x30, 0x30, 0x3a, 0x20, 0x74,
	0x68, 0x65, 0x20, 0x71, 0x75, 0x69, 0x63, 0x6b, 0x20, 0x62, 0x72, 0x6f,
	0x77, 0x6e, 0x20, 0x66, 0x6f, 0x78, 0x20, 0x6a, 0x75, 0x6d, 0x70, 0x73,
	0x20, 0x6f, 0x76, 0x65, 0x72, 0x6c, 0x61, 0x7a, 0x79, 0x20, 0x64, 0x6f,
	0x67, 0x0a, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x09, 0x00, 0x03,
	0x53, 0x08, 0xce, 0x23, 0x38, 0x19, 0xc1, 0x29, 0x04, 0xe7, 0x11, 0x9c,
	0x8c, 0xe0, 0x88, 0xad, 0xf4, 0x48, 0xb4, 0xaa, 0x0c, 0x01, 0xaf, 0xb7,
	0x70,
};

#define VECTOR_TEXT_LEN 448

/* The plaintext every vector decodes to. */
static size_t vector_text(char *buf)
{
	size_t n = 0;
	for (int i = 0; i < 8; i++)
		n += (size_t)sprintf(buf + n,
				     "record %03d: the quick brown fox jumps over the lazy dog\n",
				     i);
	return n;
}

struct vector {
	const char *name;
	int codec;
	const uint8_t *bytes;
	size_t len;
	size_t corrupt_at; /* changing the byte (xerial: the i32) here must be detected */
	size_t xerial_block; /* 0, or cuts at this many output bytes decode */
};

static const struct vector vectors[] = {
	/* the first block's length field: far beyond the input */
	{"xerial snappy", CODEC_SNAPPY, vec_xerial, sizeof vec_xerial, 16, 128},
	/* the declared length varint: 449 instead of 448 */
	{"raw snappy", CODEC_SNAPPY, vec_raw_snappy, sizeof vec_raw_snappy, 0, 0},
	/* the content checksum */
	{"lz4 frame", CODEC_LZ4, vec_lz4, sizeof vec_lz4, sizeof vec_lz4 - 1, 0},
	/* the CRC-32 in the trailer */
	{"gzip member", CODEC_GZIP, vec_gzip, sizeof vec_gzip, sizeof vec_gzip - 8, 0},
	/* the content checksum */
	{"zstd frame", CODEC_ZSTD, vec_zstd, sizeof vec_zstd, sizeof vec_zstd - 1, 0},
};

START_TEST(test_vector_decodes)
{
	const struct vector *v = &vectors[_i];
	char text[VECTOR_TEXT_LEN + 64];
	size_t text_len = vector_text(text);
	ck_assert_uint_eq(text_len, VECTOR_TEXT_LEN);
	uint8_t *out = NULL;
	size_t out_len = 0;
	int rc = codec_decompress(v->codec, v->bytes, v->len, &out, &out_len, MIB);
	ck_assert_msg(rc == 0, "%s: %d", v->name, rc);
	ck_assert_uint_eq(out_len, text_len);
	ck_assert_mem_eq(out, text, text_len);
	free(out);
	/* the exact size is enough room; one byte less is not */
	ck_assert_int_eq(codec_decompress(v->codec, v->bytes, v->len, &out,
					  &out_len, text_len), 0);
	free(out);
	ck_assert_int_eq(codec_decompress(v->codec, v->bytes, v->len, &out,
					  &out_len, text_len - 1), SL_ECORRUPT);
}
END_TEST

START_TEST(test_vector_corrupt)
{
	const struct vector *v = &vectors[_i];
	uint8_t *copy = malloc(v->len);
	memcpy(copy, v->bytes, v->len);
	if (v->xerial_block)
		be32_put(copy + v->corrupt_at, 0x7fffffff);
	else
		copy[v->corrupt_at] ^= 0x01;
	uint8_t *out = NULL;
	size_t out_len;
	ck_assert_msg(codec_decompress(v->codec, copy, v->len, &out, &out_len, MIB) ==
			      SL_ECORRUPT,
		      "%s: corruption at %zu not detected", v->name, v->corrupt_at);
	ck_assert_ptr_null(out);
	free(copy);
}
END_TEST

/* Every prefix of a vector fails, except (xerial framing has no end mark)
 * cuts between blocks, which must give exactly the blocks before the cut. */
START_TEST(test_vector_truncated)
{
	const struct vector *v = &vectors[_i];
	char text[VECTOR_TEXT_LEN + 64];
	vector_text(text);
	for (size_t cut = 0; cut < v->len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, v->bytes, cut);
		uint8_t *out = NULL;
		size_t out_len;
		int rc = codec_decompress(v->codec, copy, cut, &out, &out_len, MIB);
		if (rc == 0) {
			ck_assert_msg(v->xerial_block, "%s: cut at %zu decoded",
				      v->name, cut);
			ck_assert_uint_eq(out_len % v->xerial_block, 0);
			ck_assert_uint_lt(out_len, VECTOR_TEXT_LEN);
			ck_assert_mem_eq(out, text, out_len);
			free(out);
		} else {
			ck_assert_msg(rc == SL_ECORRUPT, "%s: cut at %zu: %d",
				      v->name, cut, rc);
		}
		free(copy);
	}
}
END_TEST

/* gzip members and lz4 and zstd frames may follow one another. */
START_TEST(test_vector_concatenated)
{
	const struct vector *v = &vectors[_i];
	if (v->codec == CODEC_SNAPPY)
		return; /* neither snappy form concatenates */
	char text[VECTOR_TEXT_LEN + 64];
	size_t text_len = vector_text(text);
	uint8_t *two = malloc(2 * v->len);
	memcpy(two, v->bytes, v->len);
	memcpy(two + v->len, v->bytes, v->len);
	uint8_t *out;
	size_t out_len;
	ck_assert_int_eq(codec_decompress(v->codec, two, 2 * v->len, &out, &out_len, MIB), 0);
	ck_assert_uint_eq(out_len, 2 * text_len);
	ck_assert_mem_eq(out, text, text_len);
	ck_assert_mem_eq(out + text_len, text, text_len);
	free(out);
	/* trailing garbage after a complete frame is not ignored */
	two[v->len] ^= 0xff;
	ck_assert_int_eq(codec_decompress(v->codec, two, 2 * v->len, &out, &out_len, MIB),
			 SL_ECORRUPT);
	free(two);
}
END_TEST

enum input_kind { IN_EMPTY, IN_ONE_BYTE, IN_RANDOM, IN_TEXT };

struct round_trip_case {
	int codec;
	enum input_kind kind;
};

static const struct round_trip_case round_trip_cases[] = {
	{CODEC_GZIP, IN_EMPTY}, {CODEC_GZIP, IN_ONE_BYTE},
	{CODEC_GZIP, IN_RANDOM}, {CODEC_GZIP, IN_TEXT},
	{CODEC_SNAPPY, IN_EMPTY}, {CODEC_SNAPPY, IN_ONE_BYTE},
	{CODEC_SNAPPY, IN_RANDOM}, {CODEC_SNAPPY, IN_TEXT},
	{CODEC_LZ4, IN_EMPTY}, {CODEC_LZ4, IN_ONE_BYTE},
	{CODEC_LZ4, IN_RANDOM}, {CODEC_LZ4, IN_TEXT},
	{CODEC_ZSTD, IN_EMPTY}, {CODEC_ZSTD, IN_ONE_BYTE},
	{CODEC_ZSTD, IN_RANDOM}, {CODEC_ZSTD, IN_TEXT},
};

/* An input of the given kind (1 MiB for random and text); caller frees. */
static uint8_t *make_input(enum input_kind kind, size_t *len)
{
	uint8_t *p = malloc(MIB);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	*len = 0;
	switch (kind) {
	case IN_EMPTY:
		break;
	case IN_ONE_BYTE:
		p[0] = 0xa5;
		*len = 1;
		break;
	case IN_RANDOM:
		for (size_t i = 0; i < MIB; i++) {
			x ^= x << 13; /* xorshift64 */
			x ^= x >> 7;
			x ^= x << 17;
			p[i] = (uint8_t)(x >> 24);
		}
		*len = MIB;
		break;
	case IN_TEXT: {
		/* records-like text: repeated words, a counter that changes */
		size_t n = 0;
		char line[96];
		for (unsigned i = 0; n < MIB; i++) {
			int k = snprintf(line, sizeof line,
					 "{\"id\":%u,\"user\":\"u%u\",\"event\":\"click\"}\n",
					 i, i % 977);
			size_t take = MIB - n < (size_t)k ? MIB - n : (size_t)k;
			memcpy(p + n, line, take);
			n += take;
		}
		*len = MIB;
		break;
	}
	}
	return p;
}

/* What codec_compress writes has the shape Kafka's clients expect. */
static void check_encoding(int codec, const uint8_t *in, size_t len,
			   const uint8_t *c, size_t c_len)
{
	static const uint8_t lz4_magic[4] = {0x04, 0x22, 0x4d, 0x18};
	static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
	static const uint8_t gzip_magic[3] = {0x1f, 0x8b, 0x08};
	switch (codec) {
	case CODEC_GZIP:
		ck_assert_uint_ge(c_len, 18);
		ck_assert_mem_eq(c, gzip_magic, 3);
		break;
	case CODEC_LZ4:
		ck_assert_uint_ge(c_len, 7);
		ck_assert_mem_eq(c, lz4_magic, 4);
		ck_assert_uint_eq(c[4], 0x60); /* version 1, independent blocks */
		ck_assert_uint_eq(c[5], 0x40); /* 64 KiB blocks */
		break;
	case CODEC_ZSTD:
		ck_assert_uint_ge(c_len, 4);
		ck_assert_mem_eq(c, zstd_magic, 4);
		break;
	case CODEC_SNAPPY: {
		/* xerial header, then 32 KiB blocks, each a snappy block */
		ck_assert_uint_ge(c_len, 16);
		ck_assert_mem_eq(c, "\x82SNAPPY\0", 8);
		ck_assert_uint_eq(be32_get(c + 8), 1);
		ck_assert_uint_eq(be32_get(c + 12), 1);
		size_t pos = 16, raw_total = 0;
		while (pos < c_len) {
			size_t n = be32_get(c + pos), raw;
			pos += 4;
			ck_assert_uint_le(n, c_len - pos);
			ck_assert_int_eq(snappy_uncompressed_length((const char *)c + pos,
								    n, &raw), SNAPPY_OK);
			ck_assert_uint_eq(raw, len - raw_total < 32768 ? len - raw_total
								       : 32768);
			raw_total += raw;
			pos += n;
		}
		ck_assert_uint_eq(raw_total, len);
		break;
	}
	}
	(void)in;
}

START_TEST(test_round_trip)
{
	const struct round_trip_case *c = &round_trip_cases[_i];
	size_t len;
	uint8_t *in = make_input(c->kind, &len);
	uint8_t *z = NULL, *out = NULL;
	size_t z_len, out_len;
	ck_assert_int_eq(codec_compress(c->codec, in, len, &z, &z_len), 0);
	ck_assert_ptr_nonnull(z);
	check_encoding(c->codec, in, len, z, z_len);
	if (c->kind == IN_TEXT)
		ck_assert_msg(z_len < len / 4, "codec %d: %zu bytes for 1 MiB of text",
			      c->codec, z_len);
	ck_assert_int_eq(codec_decompress(c->codec, z, z_len, &out, &out_len, len), 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(out_len, len);
	if (len)
		ck_assert_mem_eq(out, in, len);
	free(out);
	if (len) {
		/* one byte short of room is refused */
		out = NULL;
		ck_assert_int_eq(codec_decompress(c->codec, z, z_len, &out, &out_len,
						  len - 1), SL_ECORRUPT);
		ck_assert_ptr_null(out);
	}
	free(z);
	free(in);
}
END_TEST

START_TEST(test_unknown_codec)
{
	uint8_t *out = NULL;
	size_t out_len;
	static const int bad[] = {CODEC_NONE, 5, 7, -1};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(codec_compress(bad[i], (const uint8_t *)"x", 1,
						&out, &out_len), SL_EINVAL);
		ck_assert_int_eq(codec_decompress(bad[i], (const uint8_t *)"x", 1,
						  &out, &out_len, MIB), SL_EINVAL);
	}
	ck_assert_ptr_null(out);
}
END_TEST

/* Inputs that are no stream of any codec. */
START_TEST(test_garbage)
{
	static const char text[] = "this is not compressed data, only plain text.";
	uint8_t ff[64];
	memset(ff, 0xff, sizeof ff);
	for (int codec = CODEC_GZIP; codec <= CODEC_ZSTD; codec++) {
		uint8_t *out = NULL;
		size_t out_len;
		ck_assert_int_eq(codec_decompress(codec, ff, sizeof ff, &out, &out_len, MIB),
				 SL_ECORRUPT);
		ck_assert_int_eq(codec_decompress(codec, (const uint8_t *)text,
						  strlen(text), &out, &out_len, MIB),
				 SL_ECORRUPT);
		ck_assert_int_eq(codec_decompress(codec, ff, 0, &out, &out_len, MIB),
				 SL_ECORRUPT);
		ck_assert_ptr_null(out);
	}
}
END_TEST

/* 32 MiB of zeros squeeze into at most 1/16 of that (snappy's best
 * ratio is about 21:1, the others do far better); decompressing them with a 1 MiB
 * allowance must stop at the allowance. */
START_TEST(test_bomb)
{
	int codec = CODEC_GZIP + _i;
	size_t len = 32 * MIB;
	uint8_t *zeros = calloc(1, len);
	uint8_t *z, *out = NULL;
	size_t z_len, out_len;
	ck_assert_int_eq(codec_compress(codec, zeros, len, &z, &z_len), 0);
	ck_assert_uint_lt(z_len, len / 16);
	ck_assert_int_eq(codec_decompress(codec, z, z_len, &out, &out_len, MIB),
			 SL_ECORRUPT);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(codec_decompress(codec, z, z_len, &out, &out_len, len - 1),
			 SL_ECORRUPT);
	ck_assert_int_eq(codec_decompress(codec, z, z_len, &out, &out_len, len), 0);
	ck_assert_uint_eq(out_len, len);
	ck_assert_mem_eq(out, zeros, len);
	free(out);
	free(z);
	free(zeros);
}
END_TEST

/* A zstd frame that does not declare its size is stopped while it is being
 * decompressed, not by its header. */
START_TEST(test_bomb_zstd_undeclared)
{
	size_t len = 32 * MIB;
	uint8_t *zeros = calloc(1, len);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	ck_assert_ptr_nonnull(cctx);
	ck_assert(!ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)));
	size_t cap = ZSTD_compressBound(len);
	uint8_t *z = malloc(cap);
	ZSTD_outBuffer zout = {z, cap, 0};
	ZSTD_inBuffer zin = {zeros, len, 0};
	ck_assert_uint_eq(ZSTD_compressStream2(cctx, &zout, &zin, ZSTD_e_end), 0);
	ZSTD_freeCCtx(cctx);
	ck_assert_uint_eq(ZSTD_getFrameContentSize(z, zout.pos), ZSTD_CONTENTSIZE_UNKNOWN);
	uint8_t *out = NULL;
	size_t out_len;
	ck_assert_int_eq(codec_decompress(CODEC_ZSTD, z, zout.pos, &out, &out_len, MIB),
			 SL_ECORRUPT);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(codec_decompress(CODEC_ZSTD, z, zout.pos, &out, &out_len, len), 0);
	ck_assert_uint_eq(out_len, len);
	free(out);
	free(z);
	free(zeros);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("vectors");
	size_t nvec = sizeof vectors / sizeof vectors[0];
	tcase_add_loop_test(tc, test_vector_decodes, 0, (int)nvec);
	tcase_add_loop_test(tc, test_vector_corrupt, 0, (int)nvec);
	tcase_add_loop_test(tc, test_vector_truncated, 0, (int)nvec);
	tcase_add_loop_test(tc, test_vector_concatenated, 0, (int)nvec);
	tcase_add_test(tc, test_unknown_codec);
	tcase_add_test(tc, test_garbage);
	suite_add_tcase(s, tc);

	tc = tcase_create("round_trip");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_round_trip, 0,
			    sizeof round_trip_cases / sizeof round_trip_cases[0]);
	tcase_add_loop_test(tc, test_bomb, 0, 4);
	tcase_add_test(tc, test_bomb_zstd_undeclared);
	suite_add_tcase(s, tc);
	return s;
}
