/*
 * The byte format of a Sluice object in S3 (ARCHITECTURE.md section 4), its
 * builder, parser and verifier.  Pure functions over caller-owned buffers;
 * no I/O, no global state, safe from any thread on distinct objects.
 *
 * An object, all integers big-endian:
 *
 *   data     blocks back to back from position 0.  A block holds Kafka
 *            RecordBatch v2 bytes (as stored, BaseOffset assigned) of one
 *            stream in offset order.  Blocks are the unit of a ranged GET.
 *   index    entry_count entries of OBJECT_INDEX_ENTRY_BYTES, one per block,
 *            in block order, which is also (stream id, start offset) order.
 *   footer   OBJECT_FOOTER_BYTES at the very end.
 *
 * Index entry (56 bytes):
 *    0 stream id u64          8 start offset i64 (first batch's BaseOffset)
 *   16 end offset i64 (exclusive: last BaseOffset + LastOffsetDelta + 1)
 *   24 max timestamp i64 (max of the batches' MaxTimestamp)
 *   32 position u64          40 size u32        44 record count u32
 *   48 batch count u32       52 block CRC-32C u32
 *
 * Footer (48 bytes):
 *    0 index position u64     8 index size u32   12 entry count u32
 *   16 object id u64         24 index CRC-32C u32
 *   28 object CRC-32C u32 (over bytes [0, footer), i.e. data + index)
 *   32 format version u16    34 flags u16
 *   36 footer CRC-32C u32 (over footer bytes [0, 36))
 *   40 magic "SLUOBJ01"
 *
 * A reader GETs the tail (footer plus a guess of the index size), parses
 * the footer, and trusts the index through its own CRC without reading the
 * data; each block then verifies alone through its CRC in the index.  The
 * object CRC serves whole-object checks (after upload, before compaction
 * deletes inputs, sluice-object verify).  The object id makes a copy found
 * anywhere (a stray file, an orphan in the bucket) name itself.
 *
 * Record count is u32 although a batch's count is i32: a block is cut
 * before its count would pass UINT32_MAX (which no 1 MiB block reaches;
 * compressed batches of empty records are the only way to get close), so
 * entries stay 56 bytes with every 8-byte field aligned.  Blocks may have
 * offset gaps between them (compacted or retired data), never overlaps.
 */
#ifndef SLUICE_OBJECT_FORMAT_H
#define SLUICE_OBJECT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define OBJECT_MAGIC 0x534c554f424a3031ull /* "SLUOBJ01" */
#define OBJECT_FORMAT_VERSION 1u
#define OBJECT_FOOTER_BYTES 48
#define OBJECT_INDEX_ENTRY_BYTES 56

/* Footer fields. */
#define OBJECT_FTR_OFF_INDEX_POS 0
#define OBJECT_FTR_OFF_INDEX_SIZE 8
#define OBJECT_FTR_OFF_ENTRY_COUNT 12
#define OBJECT_FTR_OFF_OBJECT_ID 16
#define OBJECT_FTR_OFF_INDEX_CRC 24
#define OBJECT_FTR_OFF_OBJECT_CRC 28
#define OBJECT_FTR_OFF_VERSION 32
#define OBJECT_FTR_OFF_FLAGS 34
#define OBJECT_FTR_OFF_FOOTER_CRC 36
#define OBJECT_FTR_OFF_MAGIC 40

/* Index entry fields. */
#define OBJECT_IDX_OFF_STREAM_ID 0
#define OBJECT_IDX_OFF_START_OFFSET 8
#define OBJECT_IDX_OFF_END_OFFSET 16
#define OBJECT_IDX_OFF_MAX_TIMESTAMP 24
#define OBJECT_IDX_OFF_POSITION 32
#define OBJECT_IDX_OFF_SIZE 40
#define OBJECT_IDX_OFF_RECORD_COUNT 44
#define OBJECT_IDX_OFF_BATCH_COUNT 48
#define OBJECT_IDX_OFF_BLOCK_CRC 52

/* Footer flags.  Without STREAM_SET the object holds exactly one stream
 * (compactd's per-stream objects); with it, any number (uploads). */
#define OBJECT_FLAG_STREAM_SET 0x0001u
#define OBJECT_FLAGS_KNOWN OBJECT_FLAG_STREAM_SET

#define OBJECT_BLOCK_TARGET_DEFAULT ((size_t)1 << 20)
/* Block sizes are u32 and one batch is below 2 GiB, so a block never
 * exceeds max(target, one batch) when the target stays at or below 1 GiB. */
#define OBJECT_BLOCK_TARGET_MAX ((size_t)1 << 30)

/* Longest key object_key writes, with its NUL: "o/xx/" + 16 hex. */
#define OBJECT_KEY_MAX 22

struct object_footer {
	uint64_t index_pos;   /* == size of the data section */
	uint32_t index_size;
	uint32_t entry_count;
	uint64_t object_id;
	uint32_t index_crc;
	uint32_t object_crc;
	uint16_t version;
	uint16_t flags;
};

struct object_index_entry {
	uint64_t stream_id;
	int64_t start_offset;
	int64_t end_offset; /* exclusive */
	int64_t max_timestamp;
	uint64_t position;
	uint32_t size;
	uint32_t record_count;
	uint32_t batch_count;
	uint32_t block_crc;
};

/* One RecordBatch as a block holds it; data points into the block. */
struct object_batch {
	const uint8_t *data;
	size_t len;
	int64_t base_offset;
	int32_t last_offset_delta;
	int32_t record_count;
	int64_t base_timestamp;
	int64_t max_timestamp;
	uint16_t attributes; /* codec in the low 3 bits */
	uint32_t crc;        /* the batch's stored CRC-32C */
};

/* Walks the batches of one block buffer. */
struct object_batch_iter {
	const uint8_t *p, *end;
};

struct object_builder;

/* Starts an object.  flags is OBJECT_FLAG_STREAM_SET or 0 (one stream);
 * block_target 0 means OBJECT_BLOCK_TARGET_DEFAULT.  Returns NULL when out
 * of memory or when flags or block_target are out of range. */
struct object_builder *object_builder_new(uint64_t object_id, uint16_t flags,
					  size_t block_target);

/* Appends one RecordBatch of stream_id, copying it.  Batches must come in
 * (stream id, offset) order without overlapping.  Returns 0; SL_ECORRUPT
 * when the bytes are not one valid RecordBatch v2 (length, magic, offsets,
 * record count, CRC-32C); SL_EINVAL when out of order, a second stream in a
 * per-stream object, or after finish; SL_ENOMEM.  On failure the builder is
 * unchanged. */
int object_builder_add(struct object_builder *b, uint64_t stream_id,
		       const uint8_t *batch, size_t len);

/* Makes the next batch added open a new block even when it would fit the
 * open one: compactd keeps a block from spanning an offset range that
 * another object holds (blocks must stay inside what their inputs cover). */
void object_builder_cut(struct object_builder *b);

/* Bytes the object would have if finished now (data + index + footer), so
 * a caller can cut objects at a size. */
size_t object_builder_size(const struct object_builder *b);

/* Number of batches added so far. */
size_t object_builder_batch_count(const struct object_builder *b);

/* Closes the last block, appends index and footer, and hands the whole
 * object to the caller (*out, free() it).  Returns 0, SL_EINVAL when called
 * twice, or SL_ENOMEM.  An object without batches is valid (index empty). */
int object_builder_finish(struct object_builder *b, uint8_t **out, size_t *len);

/* Frees the builder and anything it still holds. */
void object_builder_free(struct object_builder *b);

/*
 * The parsers and verifiers below write the reason of a failure into
 * err[errlen] (err may be NULL), naming what failed: "index entry 3:
 * offsets out of order or overlapping".
 */

/* Parses the footer at the end of tail, the last tail_len bytes of an
 * object of object_size bytes.  Returns 0 with f filled; SL_EINVAL when
 * tail_len < OBJECT_FOOTER_BYTES or tail_len > object_size; SL_ECORRUPT
 * for a bad magic, footer CRC, version, flags or index geometry.  The index
 * is bytes [f->index_pos, f->index_pos + f->index_size) of the object;
 * object_footer_index_in_tail says whether the tail already holds them. */
int object_footer_parse(const uint8_t *tail, size_t tail_len,
			uint64_t object_size, struct object_footer *f,
			char *err, size_t errlen);

/* The index inside a tail that object_footer_parse accepted, or NULL when
 * the tail is too short: then GET [f->index_pos, +f->index_size). */
const uint8_t *object_footer_index_in_tail(const struct object_footer *f,
					   const uint8_t *tail, size_t tail_len);

/* Decodes and checks the index bytes against the footer: its CRC, that
 * blocks tile the data section in order, that entries are sorted by
 * (stream id, start offset) without overlap, and per-entry sanity.
 * Returns 0 with *entries (malloc'd, NULL when n is 0; free() it) and *n;
 * SL_ECORRUPT; SL_ENOMEM. */
int object_index_parse(const uint8_t *index, size_t len,
		       const struct object_footer *f,
		       struct object_index_entry **entries, size_t *n,
		       char *err, size_t errlen);

/* The block of stream_id that contains offset, else the stream's first
 * block after offset, else NULL.  entries sorted as the index is. */
const struct object_index_entry *
object_index_find(const struct object_index_entry *entries, size_t n,
		  uint64_t stream_id, int64_t offset);

/* The first block of stream_id whose max timestamp is >= timestamp (where
 * the first record at or after that time is, for ListOffsets), or NULL. */
const struct object_index_entry *
object_index_find_time(const struct object_index_entry *entries, size_t n,
		       uint64_t stream_id, int64_t timestamp);

/* Verifies one block fetched alone (len bytes) against its index entry:
 * block CRC, every batch's length, magic and Kafka CRC-32C, offsets in
 * order, and that offsets, counts and max timestamp match the entry.
 * Returns 0 or SL_ECORRUPT. */
int object_block_verify(const struct object_index_entry *e,
			const uint8_t *block, size_t len, char *err,
			size_t errlen);

/* Verifies a whole object: footer, index (object_index_parse), every
 * block (object_block_verify), object CRC.  Returns 0, SL_ECORRUPT, or
 * SL_ENOMEM. */
int object_verify(const uint8_t *obj, size_t len, char *err, size_t errlen);

/* Starts a walk over the batches of a block. */
void object_batch_iter_init(struct object_batch_iter *it, const uint8_t *block,
			    size_t len);

/* Next batch: returns 1 with b filled, 0 at the end of the block, or
 * SL_ECORRUPT when the remaining bytes do not start with a whole batch
 * (length, magic 2, sane offsets and record count).  The Kafka CRC is not
 * checked here (object_block_verify or object_batch_crc_ok do), so readers
 * of a block whose block CRC matched pay for one CRC pass, not two. */
int object_batch_iter_next(struct object_batch_iter *it, struct object_batch *b);

/* Whether a batch's stored CRC-32C matches its bytes: 1 or 0. */
int object_batch_crc_ok(const struct object_batch *b);

/* Writes the key of object id ("o/<2 hex of hash>/<16 hex id>", relative
 * to the store's prefix) into buf.  The hash byte is the low byte of the
 * splitmix64 finaliser of id, so consecutive ids spread over 256 prefixes
 * (S3 partitions request rates by key prefix).  Returns the key length, or
 * SL_EINVAL when size < OBJECT_KEY_MAX. */
int object_key(uint64_t id, char *buf, size_t size);

/* Parses a key written by object_key (its hash byte must match).  Returns
 * 0 with *id set, or SL_EINVAL. */
int object_key_parse(const char *key, uint64_t *id);

#endif
