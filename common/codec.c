/*
 * Kafka's compression codecs over whole buffers (see codec.h), on Debian's
 * zlib, snappy, lz4 and zstd libraries.  Every input is untrusted: sizes
 * declared inside a stream are only hints, and output beyond the caller's
 * max_out is refused as soon as it is produced, so a small batch that
 * inflates without bound costs at most max_out + 1 bytes of memory.
 *
 * Stateless and thread-safe: each call makes and frees its own library
 * context.  Nothing here is durable.
 */
#include "codec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "common/bytes.h"
#include "common/errors.h"

/* snappy-java's stream header: magic, then version and oldest compatible
 * version (both 1), then blocks each preceded by a big-endian i32 length. */
static const uint8_t codec_xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
#define CODEC_XERIAL_HEADER 16
#define CODEC_XERIAL_VERSION 1
#define CODEC_XERIAL_BLOCK (32 * 1024) /* snappy-java's default block */

/* The first guess at an output size when the stream does not say. */
#define CODEC_RATIO_GUESS 4
#define CODEC_MIN_ALLOC 4096

/* A growing output buffer that never exceeds limit (= max_out + 1, so
 * filling it proves the output is too large). */
struct codec_buf {
	uint8_t *p;
	size_t len, cap, limit;
};

/* Allocates the first buffer: hint bytes, bounded by limit. */
static int codec_buf_init(struct codec_buf *b, size_t max_out, size_t hint)
{
	b->limit = max_out == SIZE_MAX ? SIZE_MAX : max_out + 1;
	if (hint < CODEC_MIN_ALLOC)
		hint = CODEC_MIN_ALLOC;
	b->cap = hint < b->limit ? hint : b->limit;
	b->len = 0;
	b->p = malloc(b->cap);
	return b->p ? 0 : SL_ENOMEM;
}

/* Doubles the buffer; SL_ECORRUPT once it is full at the limit (more than
 * max_out bytes came out). */
static int codec_buf_grow(struct codec_buf *b)
{
	if (b->cap >= b->limit)
		return SL_ECORRUPT;
	size_t cap = b->cap > b->limit / 2 ? b->limit : b->cap * 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		return SL_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Hands the buffer to the caller if it holds at most max_out bytes. */
static int codec_buf_finish(struct codec_buf *b, size_t max_out, uint8_t **out,
			    size_t *out_len)
{
	if (b->len > max_out) {
		free(b->p);
		return SL_ECORRUPT;
	}
	*out = b->p;
	*out_len = b->len;
	return 0;
}

/* A first output size for a stream that does not declare one. */
static size_t codec_guess(size_t in_len)
{
	return in_len < SIZE_MAX / CODEC_RATIO_GUESS ? in_len * CODEC_RATIO_GUESS
						     : SIZE_MAX;
}

/* Output size hint: the trailer of a gzip member holds ISIZE, its length
 * mod 2^32; deflate cannot expand beyond about 1032:1, so larger is a lie. */
static size_t codec_gzip_hint(const uint8_t *in, size_t in_len)
{
	if (in_len < 18)
		return 0;
	size_t isize = in[in_len - 4] | (size_t)in[in_len - 3] << 8 |
		       (size_t)in[in_len - 2] << 16 | (size_t)in[in_len - 1] << 24;
	/* + 1: a buffer that is exactly full makes inflate stop short of the
	 * trailer and the buffer grow */
	return isize / 1032 <= in_len ? isize + 1 : 0;
}

/* gzip: zlib with the gzip wrapper only, members back to back. */
static int codec_gzip_decompress(const uint8_t *in, size_t in_len,
				 uint8_t **out, size_t *out_len, size_t max_out)
{
	struct codec_buf b;
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return SL_ENOMEM;
	int rc = codec_buf_init(&b, max_out, codec_gzip_hint(in, in_len));
	size_t in_left = in_len;
	zs.next_in = (Bytef *)in;
	while (rc == 0) {
		if (zs.avail_in == 0 && in_left > 0) {
			zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
			in_left -= zs.avail_in;
		}
		if (b.len == b.cap && (rc = codec_buf_grow(&b)) != 0)
			break;
		size_t room = b.cap - b.len;
		zs.next_out = b.p + b.len;
		zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
		uInt before = zs.avail_out;
		int zr = inflate(&zs, Z_NO_FLUSH);
		b.len += before - zs.avail_out;
		if (zr == Z_STREAM_END) {
			if (zs.avail_in == 0 && in_left == 0)
				break;
			/* another member follows (Java's GZIPInputStream reads on) */
			if (inflateReset(&zs) != Z_OK)
				rc = SL_ECORRUPT;
		} else if (zr == Z_MEM_ERROR) {
			rc = SL_ENOMEM;
		} else if (zr == Z_BUF_ERROR) {
			/* no progress: with room left, the input ran out early */
			if (zs.avail_out != 0)
				rc = SL_ECORRUPT;
		} else if (zr != Z_OK) {
			rc = SL_ECORRUPT;
		}
	}
	inflateEnd(&zs);
	if (rc) {
		free(b.p);
		return rc;
	}
	return codec_buf_finish(&b, max_out, out, out_len);
}

/* gzip at zlib's default level, one member. */
static int codec_gzip_compress(const uint8_t *in, size_t len, uint8_t **out,
			       size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return SL_ENOMEM;
	size_t cap = deflateBound(&zs, len);
	uint8_t *p = malloc(cap);
	if (!p) {
		deflateEnd(&zs);
		return SL_ENOMEM;
	}
	size_t in_left = len, done = 0;
	int zr = Z_OK;
	zs.next_in = (Bytef *)in;
	while (zr == Z_OK) {
		if (zs.avail_in == 0 && in_left > 0) {
			zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
			in_left -= zs.avail_in;
		}
		size_t room = cap - done;
		zs.next_out = p + done;
		zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
		uInt before = zs.avail_out;
		zr = deflate(&zs, in_left ? Z_NO_FLUSH : Z_FINISH);
		done += before - zs.avail_out;
	}
	deflateEnd(&zs);
	if (zr != Z_STREAM_END) {
		/* deflateBound is a bound: only a broken zlib gets here */
		free(p);
		return SL_ENOMEM;
	}
	*out = p;
	*out_len = done;
	return 0;
}

/* Decompresses one raw snappy block into dst, which has exactly the
 * length the block declares. */
static int codec_snappy_block(const uint8_t *in, size_t in_len, uint8_t *dst,
			      size_t dst_len)
{
	size_t n = dst_len;
	if (snappy_uncompress((const char *)in, in_len, (char *)dst, &n) != SNAPPY_OK ||
	    n != dst_len)
		return SL_ECORRUPT;
	return 0;
}

/* Walks xerial blocks after the header: checks their bounds and adds up
 * their declared lengths (fill == NULL), or decompresses them into fill. */
static int codec_xerial_walk(const uint8_t *in, size_t in_len, size_t max_out,
			     size_t *total, uint8_t *fill)
{
	size_t pos = CODEC_XERIAL_HEADER, sum = 0;
	while (pos < in_len) {
		if (in_len - pos < 4)
			return SL_ECORRUPT;
		size_t n = be32_get(in + pos);
		pos += 4;
		if (n > in_len - pos)
			return SL_ECORRUPT;
		size_t raw;
		if (snappy_uncompressed_length((const char *)in + pos, n, &raw) !=
			    SNAPPY_OK ||
		    raw > max_out - sum)
			return SL_ECORRUPT;
		if (fill && codec_snappy_block(in + pos, n, fill + sum, raw))
			return SL_ECORRUPT;
		sum += raw;
		pos += n;
	}
	*total = sum;
	return 0;
}

/* snappy: xerial framing when the magic is there, else one raw block.
 * Block headers declare their lengths, so the output is sized (and checked
 * against max_out) before anything is decompressed. */
static int codec_snappy_decompress(const uint8_t *in, size_t in_len,
				   uint8_t **out, size_t *out_len, size_t max_out)
{
	int xerial = in_len >= CODEC_XERIAL_HEADER &&
		     memcmp(in, codec_xerial_magic, sizeof codec_xerial_magic) == 0;
	size_t total;
	if (xerial) {
		if (codec_xerial_walk(in, in_len, max_out, &total, NULL))
			return SL_ECORRUPT;
	} else if (snappy_uncompressed_length((const char *)in, in_len, &total) !=
			   SNAPPY_OK ||
		   total > max_out) {
		return SL_ECORRUPT;
	}
	uint8_t *p = malloc(total ? total : 1);
	if (!p)
		return SL_ENOMEM;
	int rc = xerial ? codec_xerial_walk(in, in_len, max_out, &total, p)
			: codec_snappy_block(in, in_len, p, total);
	if (rc) {
		free(p);
		return rc;
	}
	*out = p;
	*out_len = total;
	return 0;
}

/* snappy in xerial framing, 32 KiB blocks, as snappy-java writes it. */
static int codec_snappy_compress(const uint8_t *in, size_t len, uint8_t **out,
				 size_t *out_len)
{
	size_t blocks = (len + CODEC_XERIAL_BLOCK - 1) / CODEC_XERIAL_BLOCK;
	size_t cap = CODEC_XERIAL_HEADER +
		     blocks * (4 + snappy_max_compressed_length(CODEC_XERIAL_BLOCK));
	uint8_t *p = malloc(cap);
	if (!p)
		return SL_ENOMEM;
	memcpy(p, codec_xerial_magic, sizeof codec_xerial_magic);
	be32_put(p + 8, CODEC_XERIAL_VERSION);
	be32_put(p + 12, CODEC_XERIAL_VERSION);
	size_t pos = CODEC_XERIAL_HEADER;
	for (size_t off = 0; off < len; off += CODEC_XERIAL_BLOCK) {
		size_t n = len - off < CODEC_XERIAL_BLOCK ? len - off : CODEC_XERIAL_BLOCK;
		size_t clen = cap - pos - 4;
		if (snappy_compress((const char *)in + off, n, (char *)p + pos + 4,
				    &clen) != SNAPPY_OK) {
			/* the buffer was sized by snappy's own bound */
			free(p);
			return SL_ENOMEM;
		}
		be32_put(p + pos, (uint32_t)clen);
		pos += 4 + clen;
	}
	*out = p;
	*out_len = pos;
	return 0;
}

/* lz4: LZ4 frames back to back; checksums in the frame are verified. */
static int codec_lz4_decompress(const uint8_t *in, size_t in_len,
				uint8_t **out, size_t *out_len, size_t max_out)
{
	LZ4F_dctx *dctx;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
		return SL_ENOMEM;
	struct codec_buf b;
	size_t guess = codec_guess(in_len);
	int rc = codec_buf_init(&b, max_out, guess);
	size_t pos = 0;
	while (rc == 0) {
		if (b.len == b.cap && (rc = codec_buf_grow(&b)) != 0)
			break;
		size_t dst = b.cap - b.len, src = in_len - pos;
		size_t hint = LZ4F_decompress(dctx, b.p + b.len, &dst, in + pos,
					      &src, NULL);
		if (LZ4F_isError(hint)) {
			rc = SL_ECORRUPT;
			break;
		}
		pos += src;
		b.len += dst;
		if (pos == in_len && hint == 0)
			break; /* the last frame ended with the input */
		if (pos == in_len && b.len < b.cap)
			rc = SL_ECORRUPT; /* room to write but no input: truncated */
	}
	LZ4F_freeDecompressionContext(dctx);
	if (rc) {
		free(b.p);
		return rc;
	}
	return codec_buf_finish(&b, max_out, out, out_len);
}

/* lz4 as one frame with Kafka's settings (KafkaLZ4BlockOutputStream):
 * independent 64 KiB blocks, no checksums, no content size. */
static int codec_lz4_compress(const uint8_t *in, size_t len, uint8_t **out,
			      size_t *out_len)
{
	LZ4F_preferences_t prefs;
	memset(&prefs, 0, sizeof prefs);
	prefs.frameInfo.blockSizeID = LZ4F_max64KB;
	prefs.frameInfo.blockMode = LZ4F_blockIndependent;
	size_t cap = LZ4F_compressFrameBound(len, &prefs);
	uint8_t *p = malloc(cap);
	if (!p)
		return SL_ENOMEM;
	size_t n = LZ4F_compressFrame(p, cap, in, len, &prefs);
	if (LZ4F_isError(n)) {
		/* the buffer was sized by lz4's own bound */
		free(p);
		return SL_ENOMEM;
	}
	*out = p;
	*out_len = n;
	return 0;
}

/* zstd: frames back to back (skippable frames included). */
static int codec_zstd_decompress(const uint8_t *in, size_t in_len,
				 uint8_t **out, size_t *out_len, size_t max_out)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	if (!dctx)
		return SL_ENOMEM;
	/* the first frame usually says how long it is */
	unsigned long long declared = ZSTD_getFrameContentSize(in, in_len);
	size_t guess = codec_guess(in_len);
	if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
		if (declared > max_out) {
			ZSTD_freeDCtx(dctx);
			return SL_ECORRUPT;
		}
		guess = (size_t)declared + 1; /* + 1: no grow just to see the end */
	}
	struct codec_buf b;
	int rc = codec_buf_init(&b, max_out, guess);
	ZSTD_inBuffer zin = {in, in_len, 0};
	while (rc == 0) {
		if (b.len == b.cap && (rc = codec_buf_grow(&b)) != 0)
			break;
		ZSTD_outBuffer zout = {b.p, b.cap, b.len};
		size_t hint = ZSTD_decompressStream(dctx, &zout, &zin);
		if (ZSTD_isError(hint)) {
			rc = ZSTD_getErrorCode(hint) == ZSTD_error_memory_allocation
				     ? SL_ENOMEM : SL_ECORRUPT;
			break;
		}
		b.len = zout.pos;
		if (zin.pos == in_len && hint == 0)
			break; /* the last frame ended with the input */
		if (zin.pos == in_len && b.len < b.cap)
			rc = SL_ECORRUPT; /* room to write but no input: truncated */
	}
	ZSTD_freeDCtx(dctx);
	if (rc) {
		free(b.p);
		return rc;
	}
	return codec_buf_finish(&b, max_out, out, out_len);
}

/* zstd at its default level (3), as Kafka's producer uses. */
static int codec_zstd_compress(const uint8_t *in, size_t len, uint8_t **out,
			       size_t *out_len)
{
	size_t cap = ZSTD_compressBound(len);
	uint8_t *p = malloc(cap);
	if (!p)
		return SL_ENOMEM;
	size_t n = ZSTD_compress(p, cap, in, len, ZSTD_CLEVEL_DEFAULT);
	if (ZSTD_isError(n)) {
		/* sized by zstd's own bound: only memory can run out */
		free(p);
		return SL_ENOMEM;
	}
	*out = p;
	*out_len = n;
	return 0;
}

int codec_decompress(int codec, const uint8_t *in, size_t in_len,
		     uint8_t **out, size_t *out_len, size_t max_out)
{
	switch (codec) {
	case CODEC_GZIP:
		return codec_gzip_decompress(in, in_len, out, out_len, max_out);
	case CODEC_SNAPPY:
		return codec_snappy_decompress(in, in_len, out, out_len, max_out);
	case CODEC_LZ4:
		return codec_lz4_decompress(in, in_len, out, out_len, max_out);
	case CODEC_ZSTD:
		return codec_zstd_decompress(in, in_len, out, out_len, max_out);
	}
	return SL_EINVAL;
}

int codec_compress(int codec, const uint8_t *in, size_t len, uint8_t **out,
		   size_t *out_len)
{
	switch (codec) {
	case CODEC_GZIP:
		return codec_gzip_compress(in, len, out, out_len);
	case CODEC_SNAPPY:
		return codec_snappy_compress(in, len, out, out_len);
	case CODEC_LZ4:
		return codec_lz4_compress(in, len, out, out_len);
	case CODEC_ZSTD:
		return codec_zstd_compress(in, len, out, out_len);
	}
	return SL_EINVAL;
}
