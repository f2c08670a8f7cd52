/*
 * The four compression codecs a Kafka RecordBatch may carry, numbered as in
 * the batch's Attributes: 1 gzip, 2 snappy, 3 lz4, 4 zstd.  brokerd reads
 * records inside compressed batches (validation, ListOffsets by timestamp);
 * compactd will rewrite them.  Both directions work on whole buffers.
 */
#ifndef SLUICE_CODEC_H
#define SLUICE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define CODEC_NONE 0
#define CODEC_GZIP 1
#define CODEC_SNAPPY 2
#define CODEC_LZ4 3
#define CODEC_ZSTD 4

/* Decompresses in[0..in_len) written with codec.  gzip: one or more gzip
 * members; snappy: the xerial framing ("\x82SNAPPY\0", version, compat,
 * length-prefixed blocks) that Kafka's Java client and kafka-python write,
 * or a raw snappy block as librdkafka writes it, told apart by the magic;
 * lz4: one or more LZ4 frames (KIP-57); zstd: one or more zstd frames.
 * Returns 0 with *out (malloc'd, never NULL, the caller frees it) and
 * *out_len set; SL_EINVAL for an unknown codec; SL_ECORRUPT when the input
 * is not valid or truncated, or when it would decompress to more than
 * max_out bytes (decompression bombs are stopped there); SL_ENOMEM. */
int codec_decompress(int codec, const uint8_t *in, size_t in_len,
		     uint8_t **out, size_t *out_len, size_t max_out);

/* Compresses in[0..len) with codec the way Kafka's Java producer does:
 * gzip at the default level, snappy in xerial framing with 32 KiB blocks,
 * lz4 as one frame of independent 64 KiB blocks without checksums or
 * content size, zstd at level 3.  Returns 0 with *out (malloc'd, never
 * NULL) and *out_len set, SL_EINVAL for an unknown codec, or SL_ENOMEM. */
int codec_compress(int codec, const uint8_t *in, size_t len,
		   uint8_t **out, size_t *out_len);

#endif
