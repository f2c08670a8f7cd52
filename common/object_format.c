/*
 * Object format: builder, parser, verifier and key naming (layout in
 * object_format.h).  No I/O and no shared state: uploaderd and compactd
 * build objects in memory and upload the buffer, brokerd parses tails and
 * verifies blocks it fetched, sluice-object checks whole objects.  Durable
 * meaning lives entirely in the bytes: every part (footer, index, each
 * block, each batch) carries its own CRC-32C so it can be checked when it
 * is the only part a reader fetched.
 */
#include "autoconfig.h"

#include "common/object_format.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/errors.h"

/*
 * RecordBatch v2 header fields the format needs.  common/ cannot include
 * brokerd's record_batch.h; the offsets are Kafka's and never change.
 */
#define BATCH_OFF_BASE_OFFSET 0
#define BATCH_OFF_LENGTH 8
#define BATCH_OFF_MAGIC 16
#define BATCH_OFF_CRC 17
#define BATCH_OFF_ATTRIBUTES 21 /* the CRC covers from here to the end */
#define BATCH_OFF_LAST_OFFSET_DELTA 23
#define BATCH_OFF_BASE_TIMESTAMP 27
#define BATCH_OFF_MAX_TIMESTAMP 35
#define BATCH_OFF_RECORD_COUNT 57
#define BATCH_HEADER_BYTES 61
#define BATCH_LENGTH_FIELD_END 12 /* BatchLength counts bytes after it */

struct object_builder {
	uint64_t object_id;
	uint16_t flags;
	size_t block_target;
	uint8_t *data; /* data section, then index and footer at finish */
	size_t len, cap;
	struct object_index_entry *entries; /* the last one is the open block */
	size_t n, entries_cap;
	size_t batches;
	int finished;
	int cut_next; /* object_builder_cut: the next batch opens a block */
};

/* snprintf into err when the caller gave room for a reason. */
static void object_why(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void object_why(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Decodes the batch header at p (avail bytes left in the block) and checks
 * what the index relies on; returns NULL or why the bytes are not a batch.
 * The CRC is left to the caller: readers of a verified block skip it. */
static const char *object_batch_decode(const uint8_t *p, size_t avail,
				       struct object_batch *b)
{
	if (avail < BATCH_HEADER_BYTES)
		return "truncated batch header";
	int32_t bl = (int32_t)be32_get(p + BATCH_OFF_LENGTH);
	if (bl < BATCH_HEADER_BYTES - BATCH_LENGTH_FIELD_END)
		return "batch length too small";
	size_t size = (size_t)bl + BATCH_LENGTH_FIELD_END;
	if (size > avail)
		return "batch length runs past the end";
	if (p[BATCH_OFF_MAGIC] != 2)
		return "batch magic is not 2";
	b->data = p;
	b->len = size;
	b->base_offset = (int64_t)be64_get(p + BATCH_OFF_BASE_OFFSET);
	b->last_offset_delta = (int32_t)be32_get(p + BATCH_OFF_LAST_OFFSET_DELTA);
	b->record_count = (int32_t)be32_get(p + BATCH_OFF_RECORD_COUNT);
	b->base_timestamp = (int64_t)be64_get(p + BATCH_OFF_BASE_TIMESTAMP);
	b->max_timestamp = (int64_t)be64_get(p + BATCH_OFF_MAX_TIMESTAMP);
	b->attributes = be16_get(p + BATCH_OFF_ATTRIBUTES);
	b->crc = be32_get(p + BATCH_OFF_CRC);
	if (b->base_offset < 0)
		return "negative base offset";
	if (b->last_offset_delta < 0)
		return "negative last offset delta";
	/* Compaction may leave fewer records than offsets, never more. */
	if (b->record_count < 0 ||
	    (int64_t)b->record_count > (int64_t)b->last_offset_delta + 1)
		return "record count exceeds the offset span";
	if (b->base_offset > INT64_MAX - b->last_offset_delta - 1)
		return "offsets overflow";
	return NULL;
}

/* Exclusive end offset of a decoded batch. */
static int64_t object_batch_end(const struct object_batch *b)
{
	return b->base_offset + b->last_offset_delta + 1;
}

int object_batch_crc_ok(const struct object_batch *b)
{
	return b->crc == crc32c(b->data + BATCH_OFF_ATTRIBUTES,
				b->len - BATCH_OFF_ATTRIBUTES);
}

void object_batch_iter_init(struct object_batch_iter *it, const uint8_t *block,
			    size_t len)
{
	it->p = block;
	it->end = block + len;
}

int object_batch_iter_next(struct object_batch_iter *it, struct object_batch *b)
{
	if (it->p == it->end)
		return 0;
	if (object_batch_decode(it->p, (size_t)(it->end - it->p), b))
		return SL_ECORRUPT;
	it->p += b->len;
	return 1;
}

struct object_builder *object_builder_new(uint64_t object_id, uint16_t flags,
					  size_t block_target)
{
	if (flags & ~OBJECT_FLAGS_KNOWN)
		return NULL;
	if (block_target == 0)
		block_target = OBJECT_BLOCK_TARGET_DEFAULT;
	if (block_target > OBJECT_BLOCK_TARGET_MAX)
		return NULL;
	struct object_builder *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->object_id = object_id;
	b->flags = flags;
	b->block_target = block_target;
	return b;
}

/* Grows a buffer to hold at least need elements of elem bytes. */
static int object_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return SL_ENOMEM;
		ncap *= 2;
	}
	void *p = realloc(*buf, ncap * elem);
	if (!p)
		return SL_ENOMEM;
	*buf = p;
	*cap = ncap;
	return 0;
}

int object_builder_add(struct object_builder *b, uint64_t stream_id,
		       const uint8_t *batch, size_t len)
{
	if (b->finished)
		return SL_EINVAL;
	struct object_batch hdr;
	if (object_batch_decode(batch, len, &hdr) || hdr.len != len)
		return SL_ECORRUPT;
	/* Uploads come from the shm cache or the WAL: a batch damaged there
	 * must not become the system of record. */
	if (!object_batch_crc_ok(&hdr))
		return SL_ECORRUPT;

	struct object_index_entry *last = b->n ? &b->entries[b->n - 1] : NULL;
	if (last) {
		if (stream_id < last->stream_id)
			return SL_EINVAL;
		if (stream_id == last->stream_id &&
		    hdr.base_offset < last->end_offset)
			return SL_EINVAL;
		if (stream_id != last->stream_id &&
		    !(b->flags & OBJECT_FLAG_STREAM_SET))
			return SL_EINVAL;
	}
	/* Cut before the target is exceeded so ranged GETs stay near the
	 * target; a batch larger than the target gets a block of its own. */
	int cut = !last || stream_id != last->stream_id || b->cut_next ||
		  (size_t)last->size + len > b->block_target ||
		  (uint64_t)last->record_count + (uint32_t)hdr.record_count >
			  UINT32_MAX;
	if (cut && (b->n + 1) > UINT32_MAX / OBJECT_INDEX_ENTRY_BYTES)
		return SL_EINVAL; /* the index size would overflow its u32 */
	if (b->len > SIZE_MAX - len - OBJECT_FOOTER_BYTES)
		return SL_ENOMEM;
	if (object_grow((void **)&b->data, &b->cap, b->len + len, 1) ||
	    (cut && object_grow((void **)&b->entries, &b->entries_cap, b->n + 1,
				sizeof *b->entries)))
		return SL_ENOMEM;

	if (cut) {
		last = &b->entries[b->n++];
		*last = (struct object_index_entry){
			.stream_id = stream_id,
			.start_offset = hdr.base_offset,
			.max_timestamp = hdr.max_timestamp,
			.position = b->len,
		};
	}
	memcpy(b->data + b->len, batch, len);
	b->len += len;
	last->end_offset = object_batch_end(&hdr);
	if (hdr.max_timestamp > last->max_timestamp)
		last->max_timestamp = hdr.max_timestamp;
	last->size += (uint32_t)len;
	last->record_count += (uint32_t)hdr.record_count;
	last->batch_count++;
	last->block_crc = crc32c_extend(last->block_crc, batch, len);
	b->batches++;
	b->cut_next = 0;
	return 0;
}

void object_builder_cut(struct object_builder *b)
{
	b->cut_next = 1;
}

size_t object_builder_size(const struct object_builder *b)
{
	return b->len + b->n * OBJECT_INDEX_ENTRY_BYTES + OBJECT_FOOTER_BYTES;
}

size_t object_builder_batch_count(const struct object_builder *b)
{
	return b->batches;
}

/* Encodes one index entry at p. */
static void object_entry_put(uint8_t *p, const struct object_index_entry *e)
{
	be64_put(p + OBJECT_IDX_OFF_STREAM_ID, e->stream_id);
	be64_put(p + OBJECT_IDX_OFF_START_OFFSET, (uint64_t)e->start_offset);
	be64_put(p + OBJECT_IDX_OFF_END_OFFSET, (uint64_t)e->end_offset);
	be64_put(p + OBJECT_IDX_OFF_MAX_TIMESTAMP, (uint64_t)e->max_timestamp);
	be64_put(p + OBJECT_IDX_OFF_POSITION, e->position);
	be32_put(p + OBJECT_IDX_OFF_SIZE, e->size);
	be32_put(p + OBJECT_IDX_OFF_RECORD_COUNT, e->record_count);
	be32_put(p + OBJECT_IDX_OFF_BATCH_COUNT, e->batch_count);
	be32_put(p + OBJECT_IDX_OFF_BLOCK_CRC, e->block_crc);
}

/* Decodes one index entry at p. */
static void object_entry_get(const uint8_t *p, struct object_index_entry *e)
{
	e->stream_id = be64_get(p + OBJECT_IDX_OFF_STREAM_ID);
	e->start_offset = (int64_t)be64_get(p + OBJECT_IDX_OFF_START_OFFSET);
	e->end_offset = (int64_t)be64_get(p + OBJECT_IDX_OFF_END_OFFSET);
	e->max_timestamp = (int64_t)be64_get(p + OBJECT_IDX_OFF_MAX_TIMESTAMP);
	e->position = be64_get(p + OBJECT_IDX_OFF_POSITION);
	e->size = be32_get(p + OBJECT_IDX_OFF_SIZE);
	e->record_count = be32_get(p + OBJECT_IDX_OFF_RECORD_COUNT);
	e->batch_count = be32_get(p + OBJECT_IDX_OFF_BATCH_COUNT);
	e->block_crc = be32_get(p + OBJECT_IDX_OFF_BLOCK_CRC);
}

int object_builder_finish(struct object_builder *b, uint8_t **out, size_t *len)
{
	if (b->finished)
		return SL_EINVAL;
	size_t index_size = b->n * OBJECT_INDEX_ENTRY_BYTES;
	size_t total = b->len + index_size + OBJECT_FOOTER_BYTES;
	if (object_grow((void **)&b->data, &b->cap, total, 1))
		return SL_ENOMEM;
	uint8_t *index = b->data + b->len;
	for (size_t i = 0; i < b->n; i++)
		object_entry_put(index + i * OBJECT_INDEX_ENTRY_BYTES,
				 &b->entries[i]);
	uint8_t *f = index + index_size;
	be64_put(f + OBJECT_FTR_OFF_INDEX_POS, b->len);
	be32_put(f + OBJECT_FTR_OFF_INDEX_SIZE, (uint32_t)index_size);
	be32_put(f + OBJECT_FTR_OFF_ENTRY_COUNT, (uint32_t)b->n);
	be64_put(f + OBJECT_FTR_OFF_OBJECT_ID, b->object_id);
	be32_put(f + OBJECT_FTR_OFF_INDEX_CRC, crc32c(index, index_size));
	be32_put(f + OBJECT_FTR_OFF_OBJECT_CRC, crc32c(b->data, b->len + index_size));
	be16_put(f + OBJECT_FTR_OFF_VERSION, OBJECT_FORMAT_VERSION);
	be16_put(f + OBJECT_FTR_OFF_FLAGS, b->flags);
	be32_put(f + OBJECT_FTR_OFF_FOOTER_CRC, crc32c(f, OBJECT_FTR_OFF_FOOTER_CRC));
	be64_put(f + OBJECT_FTR_OFF_MAGIC, OBJECT_MAGIC);

	/* Trim the doubling slack: the object may sit in memory until its
	 * upload completes. */
	uint8_t *obj = realloc(b->data, total);
	*out = obj ? obj : b->data;
	*len = total;
	b->data = NULL;
	b->len = b->cap = 0;
	b->finished = 1;
	return 0;
}

void object_builder_free(struct object_builder *b)
{
	if (!b)
		return;
	free(b->data);
	free(b->entries);
	free(b);
}

int object_footer_parse(const uint8_t *tail, size_t tail_len,
			uint64_t object_size, struct object_footer *f, char *err,
			size_t errlen)
{
	if (tail_len < OBJECT_FOOTER_BYTES || tail_len > object_size) {
		object_why(err, errlen, "tail of %zu bytes cannot hold the "
			   "footer of a %" PRIu64 "-byte object", tail_len,
			   object_size);
		return SL_EINVAL;
	}
	const uint8_t *p = tail + tail_len - OBJECT_FOOTER_BYTES;
	const char *why = NULL;
	f->index_pos = be64_get(p + OBJECT_FTR_OFF_INDEX_POS);
	f->index_size = be32_get(p + OBJECT_FTR_OFF_INDEX_SIZE);
	f->entry_count = be32_get(p + OBJECT_FTR_OFF_ENTRY_COUNT);
	f->object_id = be64_get(p + OBJECT_FTR_OFF_OBJECT_ID);
	f->index_crc = be32_get(p + OBJECT_FTR_OFF_INDEX_CRC);
	f->object_crc = be32_get(p + OBJECT_FTR_OFF_OBJECT_CRC);
	f->version = be16_get(p + OBJECT_FTR_OFF_VERSION);
	f->flags = be16_get(p + OBJECT_FTR_OFF_FLAGS);
	if (be64_get(p + OBJECT_FTR_OFF_MAGIC) != OBJECT_MAGIC)
		why = "bad magic (not an object, or truncated)";
	else if (be32_get(p + OBJECT_FTR_OFF_FOOTER_CRC) !=
		 crc32c(p, OBJECT_FTR_OFF_FOOTER_CRC))
		why = "footer CRC mismatch";
	else if (f->version != OBJECT_FORMAT_VERSION)
		why = "unsupported format version";
	else if (f->flags & ~OBJECT_FLAGS_KNOWN)
		why = "unknown flags";
	else if ((uint64_t)f->entry_count * OBJECT_INDEX_ENTRY_BYTES !=
		 f->index_size)
		why = "index size does not match the entry count";
	/* The object is exactly data, index, footer: a size that disagrees
	 * means the caller has a truncated or appended-to object. */
	else if (f->index_pos > object_size ||
		 object_size - f->index_pos !=
			 (uint64_t)f->index_size + OBJECT_FOOTER_BYTES)
		why = "index position and size do not fit the object size";
	if (why) {
		object_why(err, errlen, "footer: %s", why);
		return SL_ECORRUPT;
	}
	return 0;
}

const uint8_t *object_footer_index_in_tail(const struct object_footer *f,
					   const uint8_t *tail, size_t tail_len)
{
	size_t need = (size_t)f->index_size + OBJECT_FOOTER_BYTES;
	if (tail_len < need)
		return NULL;
	return tail + tail_len - need;
}

/* Checks one decoded entry against its predecessor and the data section;
 * returns NULL or why the index is wrong. */
static const char *object_entry_check(const struct object_index_entry *e,
				      const struct object_index_entry *prev,
				      const struct object_footer *f)
{
	uint64_t expect_pos = prev ? prev->position + prev->size : 0;
	if (e->position != expect_pos)
		return "blocks do not follow each other";
	if (e->size < BATCH_HEADER_BYTES || e->position > f->index_pos ||
	    e->size > f->index_pos - e->position)
		return "block size out of range";
	if (e->batch_count == 0 ||
	    e->batch_count > e->size / BATCH_HEADER_BYTES)
		return "batch count out of range";
	if (e->start_offset < 0 || e->end_offset <= e->start_offset)
		return "offset range empty or negative";
	if ((uint64_t)e->record_count >
	    (uint64_t)e->end_offset - (uint64_t)e->start_offset)
		return "record count exceeds the offset range";
	if (prev && e->stream_id < prev->stream_id)
		return "streams out of order";
	if (prev && e->stream_id == prev->stream_id &&
	    e->start_offset < prev->end_offset)
		return "offsets out of order or overlapping";
	if (prev && e->stream_id != prev->stream_id &&
	    !(f->flags & OBJECT_FLAG_STREAM_SET))
		return "second stream in a per-stream object";
	return NULL;
}

int object_index_parse(const uint8_t *index, size_t len,
		       const struct object_footer *f,
		       struct object_index_entry **entries, size_t *n,
		       char *err, size_t errlen)
{
	*entries = NULL;
	*n = 0;
	if (len != f->index_size ||
	    len != (size_t)f->entry_count * OBJECT_INDEX_ENTRY_BYTES) {
		object_why(err, errlen, "index is %zu bytes, footer says %" PRIu32,
			   len, f->index_size);
		return SL_ECORRUPT;
	}
	if (crc32c(index, len) != f->index_crc) {
		object_why(err, errlen, "index CRC mismatch");
		return SL_ECORRUPT;
	}
	if (f->entry_count == 0) {
		if (f->index_pos != 0) {
			object_why(err, errlen, "data without index entries");
			return SL_ECORRUPT;
		}
		return 0;
	}
	struct object_index_entry *e = malloc(f->entry_count * sizeof *e);
	if (!e)
		return SL_ENOMEM;
	for (uint32_t i = 0; i < f->entry_count; i++) {
		object_entry_get(index + (size_t)i * OBJECT_INDEX_ENTRY_BYTES,
				 &e[i]);
		const char *why = object_entry_check(&e[i], i ? &e[i - 1] : NULL, f);
		if (why) {
			object_why(err, errlen, "index entry %" PRIu32 ": %s", i,
				   why);
			free(e);
			return SL_ECORRUPT;
		}
	}
	const struct object_index_entry *last = &e[f->entry_count - 1];
	if (last->position + last->size != f->index_pos) {
		object_why(err, errlen, "blocks end at %" PRIu64
			   ", index starts at %" PRIu64,
			   last->position + last->size, f->index_pos);
		free(e);
		return SL_ECORRUPT;
	}
	*entries = e;
	*n = f->entry_count;
	return 0;
}

/* Index of the first entry ordered at or after (stream_id, end > offset). */
static size_t object_index_lower(const struct object_index_entry *entries,
				 size_t n, uint64_t stream_id, int64_t offset)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct object_index_entry *e = &entries[mid];
		if (e->stream_id < stream_id ||
		    (e->stream_id == stream_id && e->end_offset <= offset))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct object_index_entry *
object_index_find(const struct object_index_entry *entries, size_t n,
		  uint64_t stream_id, int64_t offset)
{
	size_t i = object_index_lower(entries, n, stream_id, offset);
	if (i < n && entries[i].stream_id == stream_id)
		return &entries[i];
	return NULL;
}

const struct object_index_entry *
object_index_find_time(const struct object_index_entry *entries, size_t n,
		       uint64_t stream_id, int64_t timestamp)
{
	/* Timestamps need not grow with offsets, so after finding the
	 * stream the blocks are scanned in offset order. */
	for (size_t i = object_index_lower(entries, n, stream_id, INT64_MIN);
	     i < n && entries[i].stream_id == stream_id; i++)
		if (entries[i].max_timestamp >= timestamp)
			return &entries[i];
	return NULL;
}

int object_block_verify(const struct object_index_entry *e,
			const uint8_t *block, size_t len, char *err,
			size_t errlen)
{
	if (len != e->size) {
		object_why(err, errlen, "block is %zu bytes, index says %" PRIu32,
			   len, e->size);
		return SL_ECORRUPT;
	}
	if (crc32c(block, len) != e->block_crc) {
		object_why(err, errlen, "block CRC mismatch");
		return SL_ECORRUPT;
	}
	struct object_batch_iter it;
	struct object_batch b;
	uint64_t records = 0;
	uint32_t batches = 0;
	int64_t next = e->start_offset, max_ts = INT64_MIN;
	object_batch_iter_init(&it, block, len);
	while (it.p != it.end) {
		size_t at = (size_t)(it.p - block);
		const char *why = object_batch_decode(it.p, (size_t)(it.end - it.p), &b);
		if (!why && !object_batch_crc_ok(&b))
			why = "batch CRC mismatch";
		if (!why && batches == 0 && b.base_offset != e->start_offset)
			why = "first batch does not start the block";
		if (!why && b.base_offset < next)
			why = "batch offsets out of order";
		if (why) {
			object_why(err, errlen, "batch %" PRIu32 " at +%zu: %s",
				   batches, at, why);
			return SL_ECORRUPT;
		}
		it.p += b.len;
		next = object_batch_end(&b);
		records += (uint32_t)b.record_count;
		if (b.max_timestamp > max_ts)
			max_ts = b.max_timestamp;
		batches++;
	}
	if (next != e->end_offset) {
		object_why(err, errlen, "batches end at offset %" PRId64
			   ", index says %" PRId64, next, e->end_offset);
		return SL_ECORRUPT;
	}
	if (batches != e->batch_count || records != e->record_count) {
		object_why(err, errlen, "%" PRIu32 " batches and %" PRIu64
			   " records, index says %" PRIu32 " and %" PRIu32,
			   batches, records, e->batch_count, e->record_count);
		return SL_ECORRUPT;
	}
	if (max_ts != e->max_timestamp) {
		object_why(err, errlen, "max timestamp %" PRId64
			   ", index says %" PRId64, max_ts, e->max_timestamp);
		return SL_ECORRUPT;
	}
	return 0;
}

int object_verify(const uint8_t *obj, size_t len, char *err, size_t errlen)
{
	struct object_footer f;
	char why[256];
	if (len < OBJECT_FOOTER_BYTES) {
		object_why(err, errlen, "%zu bytes is shorter than a footer", len);
		return SL_ECORRUPT;
	}
	int rc = object_footer_parse(obj, len, len, &f, err, errlen);
	if (rc)
		return rc;
	struct object_index_entry *entries;
	size_t n;
	rc = object_index_parse(obj + f.index_pos, f.index_size, &f, &entries,
				&n, err, errlen);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct object_index_entry *e = &entries[i];
		rc = object_block_verify(e, obj + e->position, e->size, why,
					 sizeof why);
		if (rc)
			object_why(err, errlen, "block %zu (stream %" PRIu64
				   ", offsets %" PRId64 "..%" PRId64 "): %s",
				   i, e->stream_id, e->start_offset,
				   e->end_offset, why);
	}
	free(entries);
	if (rc)
		return rc;
	/* Redundant with the block and index CRCs unless the code that
	 * checks them is wrong; cheap, and it is the checksum the writer
	 * computed over exactly what it uploaded. */
	if (crc32c(obj, len - OBJECT_FOOTER_BYTES) != f.object_crc) {
		object_why(err, errlen, "object CRC mismatch");
		return SL_ECORRUPT;
	}
	return 0;
}

/* The key's hash byte: splitmix64's finaliser spreads sequential ids. */
static unsigned object_key_hash(uint64_t id)
{
	uint64_t h = id;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return (unsigned)(h & 0xff);
}

int object_key(uint64_t id, char *buf, size_t size)
{
	if (size < OBJECT_KEY_MAX)
		return SL_EINVAL;
	return snprintf(buf, size, "o/%02x/%016" PRIx64, object_key_hash(id), id);
}

/* Value of a lowercase hex digit, or -1. */
static int object_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int object_key_parse(const char *key, uint64_t *id)
{
	if (strlen(key) != OBJECT_KEY_MAX - 1 || key[0] != 'o' ||
	    key[1] != '/' || key[4] != '/')
		return SL_EINVAL;
	uint64_t v = 0;
	for (int i = 5; i < OBJECT_KEY_MAX - 1; i++) {
		int d = object_hex(key[i]);
		if (d < 0)
			return SL_EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	int h1 = object_hex(key[2]), h0 = object_hex(key[3]);
	if (h1 < 0 || h0 < 0 || (unsigned)(h1 << 4 | h0) != object_key_hash(v))
		return SL_EINVAL;
	*id = v;
	return 0;
}
