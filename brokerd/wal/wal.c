/*
 * The WAL seen from the event loop: open, append into the open group-commit
 * block, seal blocks and hand them to the I/O thread (wal_io.c), trim, read,
 * close.  Recovery is in wal_recover.c, the device in wal_device.c, the
 * encodings in wal_format.c.
 *
 * Ownership: the open block (wal->cur) and spare blocks belong to the loop;
 * a sealed block belongs to the I/O thread until its completion is
 * delivered.  A block's buffer is its own, or lent by wal_set_memory's
 * callback (brokerd lends the shm cache at the block's own offset, so a
 * durable block is already where readers look for it).  Durable: a block
 * once its completion is delivered; the trim offset once wal_set_trim
 * returns 0 (it rewrites a header slot and syncs).
 *
 * Space rule: bytes at or above trim + ring are never written, counting the
 * padding an append implies up to the next 4 KiB boundary, so data not yet
 * trimmed is never overwritten.  A full WAL stays full until trimmed.
 */
#include "autoconfig.h"

#include "brokerd/wal/wal_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"

#define WAL_SPARE_MAX 8

/* Allocates an aligned buffer or aborts: running out of memory here leaves
 * nothing safe to do, and the WAL on disk is consistent. */
static uint8_t *wal_buf_alloc(size_t len)
{
	uint8_t *p = wal_device_alloc(len);
	if (!p)
		log_panic("wal: out of memory for a %zu-byte block", len);
	return p;
}

/* Asks the lender for cap bytes at start; NULL when none or declined.
 * Every block in flight lies in [durable, start), so those bytes are
 * kept. */
static uint8_t *wal_block_borrow(struct wal *wal, uint64_t start, size_t cap)
{
	if (!wal->memory_fn)
		return NULL;
	uint8_t *p = wal->memory_fn(wal->memory_arg, start, cap, wal->durable);
	SL_ASSERT(((uintptr_t)p & (WAL_ALIGN - 1)) == 0);
	return p;
}

/* Points blk at its own buffer, allocating it (cap bytes) if need be. */
static void wal_block_use_own(struct wal_block *blk, size_t cap)
{
	if (blk->own && blk->own_cap < cap) {
		free(blk->own);
		blk->own = NULL;
	}
	if (!blk->own) {
		blk->own = wal_buf_alloc(cap);
		blk->own_cap = cap;
	}
	blk->buf = blk->own;
	blk->cap = blk->own_cap;
}

/* Returns a block starting at start, in lent memory when the lender has
 * it, reusing a spare block when possible. */
static struct wal_block *wal_block_get(struct wal *wal, uint64_t start)
{
	struct wal_block *blk = wal->spare;
	if (blk) {
		wal->spare = blk->next;
	} else {
		blk = calloc(1, sizeof *blk);
		if (!blk)
			log_panic("wal: out of memory for a block");
	}
	size_t cap = wal->max_block + WAL_ALIGN;
	uint8_t *lent = wal_block_borrow(wal, start, cap);
	if (lent) {
		blk->buf = lent;
		blk->cap = cap;
	} else {
		wal_block_use_own(blk, cap);
	}
	blk->next = NULL;
	blk->start = start;
	blk->end = 0;
	blk->err = 0;
	return blk;
}

/* Grows blk's buffer to hold len bytes, keeping the first used ones. */
static void wal_block_reserve(struct wal *wal, struct wal_block *blk,
			      size_t used, size_t len)
{
	if (len <= blk->cap)
		return;
	size_t cap = blk->cap * 2 > len ? blk->cap * 2 : len;
	cap = (size_t)wal_align_up(cap);
	if (blk->buf != blk->own) {
		/* lent memory: the lender places it by offset, so a larger
		 * loan at the same start holds the same bytes */
		uint8_t *lent = wal_block_borrow(wal, blk->start, cap);
		if (lent) {
			SL_ASSERT(lent == blk->buf);
			blk->cap = cap;
			return;
		}
	}
	uint8_t *buf = wal_buf_alloc(cap);
	memcpy(buf, blk->buf, used);
	free(blk->own);
	blk->own = blk->buf = buf;
	blk->own_cap = blk->cap = cap;
}

void wal_block_release(struct wal *wal, struct wal_block *blk)
{
	unsigned n = 0;
	for (struct wal_block *b = wal->spare; b; b = b->next)
		n++;
	blk->buf = NULL;
	/* Buffers grown for one huge record are not worth keeping. */
	if (n >= WAL_SPARE_MAX || blk->own_cap > wal->max_block + WAL_ALIGN) {
		free(blk->own);
		free(blk);
		return;
	}
	blk->next = wal->spare;
	wal->spare = blk;
}

/* Ends the open block at the 4 KiB boundary `to` (>= head): the gap is a
 * padding record, or implicit when under 32 bytes; the block goes to the
 * I/O thread and head moves to `to`.  With no open block and to > head, a
 * padding-only block is written so the gap is still accounted for. */
void wal_block_seal(struct wal *wal, uint64_t to)
{
	SL_ASSERT(to >= wal->head && to % WAL_ALIGN == 0 &&
		  to - wal->head < wal->ring);
	if (to == wal->head && !wal->cur)
		return;
	if (!wal->cur)
		wal->cur = wal_block_get(wal, wal->head);
	struct wal_block *blk = wal->cur;
	size_t used = (size_t)(wal->head - blk->start);
	wal_block_reserve(wal, blk, used, (size_t)(to - blk->start));
	wal_format_padding_put(blk->buf + used, wal->head,
			       (size_t)(to - wal->head));
	blk->end = to;
	wal->head = to;
	wal->cur = NULL;
	wal_io_queue(wal, blk);
}

/* Checks the options and the chosen header against the device. */
static int wal_open_check(const struct wal_options *opt,
			  const struct wal_header *h, uint64_t size)
{
	if (h->capacity % WAL_ALIGN || h->capacity < WAL_MIN_CAPACITY ||
	    h->capacity > size) {
		log_error("wal: %s: header capacity %llu does not fit the "
			  "device (%llu bytes)", opt->path,
			  (unsigned long long)h->capacity,
			  (unsigned long long)size);
		return SL_ECORRUPT;
	}
	if (h->trim % WAL_ALIGN) {
		log_error("wal: %s: header trim %llu is not aligned", opt->path,
			  (unsigned long long)h->trim);
		return SL_ECORRUPT;
	}
	if (h->node_id != opt->node_id) {
		log_error("wal: %s: belongs to node %u, this is node %u",
			  opt->path, h->node_id, opt->node_id);
		return SL_EINVAL;
	}
	return 0;
}

/* Reads both header slots and picks the valid one with the higher sequence
 * number; a block device whose slots are all zeros is initialised. */
static int wal_open_header(struct wal *wal, const struct wal_options *opt,
			   uint64_t size, int is_blk, struct wal_header *out)
{
	if (size < WAL_DATA_START) {
		log_error("wal: %s: %llu bytes is too small", wal->path,
			  (unsigned long long)size);
		return SL_ECORRUPT;
	}
	uint8_t slots[WAL_DATA_START];
	int err = wal_device_pread(wal, slots, sizeof slots, 0);
	if (err) {
		log_error("wal: %s: read header: %s", wal->path, strerror(err));
		return SL_EIO;
	}
	struct wal_header h[2];
	int ok[2];
	const char *why[2];
	for (int i = 0; i < 2; i++) {
		ok[i] = !wal_format_header_get(slots + i * WAL_HEADER_SLOT_BYTES,
					       &h[i], &why[i]);
		if (ok[i] && h[i].seq % 2 != (uint64_t)i) {
			ok[i] = 0;
			why[i] = "sequence number of the other slot";
		}
	}
	if (ok[0] && ok[1]) {
		*out = h[0].seq > h[1].seq ? h[0] : h[1];
		return 0;
	}
	if (ok[0] || ok[1]) {
		int bad = ok[0];
		log_warn("wal: %s: header slot %d invalid (%s); using slot %d "
			 "(seq %llu)", wal->path, bad, why[bad], !bad,
			 (unsigned long long)h[!bad].seq);
		*out = h[!bad];
		return 0;
	}
	static const uint8_t zero[WAL_DATA_START];
	if (is_blk && !memcmp(slots, zero, sizeof zero)) {
		wal->capacity = size & ~(uint64_t)(WAL_ALIGN - 1);
		if (wal->capacity < WAL_MIN_CAPACITY) {
			log_error("wal: %s: device too small", wal->path);
			return SL_EINVAL;
		}
		wal->node_id = opt->node_id;
		wal->epoch = opt->epoch;
		if (wal_device_header_write(wal, 0, 0) ||
		    wal_device_header_write(wal, 1, 0))
			return SL_EIO;
		log_info("wal: initialised block device %s, %llu bytes",
			 wal->path, (unsigned long long)wal->capacity);
		*out = (struct wal_header){ .capacity = wal->capacity,
					    .seq = 1, .node_id = opt->node_id,
					    .epoch = opt->epoch };
		return 0;
	}
	log_error("wal: %s: neither header slot is valid (%s; %s); not a WAL "
		  "or damaged", wal->path, why[0], why[1]);
	return SL_ECORRUPT;
}

/* Sets the block size and the largest accepted batch so that every block
 * stays under WAL_ROUND_BYTES and any record fits a fully trimmed ring. */
static void wal_open_limits(struct wal *wal, size_t max_block_bytes)
{
	uint64_t block = max_block_bytes ? max_block_bytes
					 : WAL_DEFAULT_BLOCK_BYTES;
	uint64_t cap = wal->ring / 4 < WAL_ROUND_BYTES / 4 ? wal->ring / 4
							   : WAL_ROUND_BYTES / 4;
	block = wal_align_up(block);
	if (block > cap)
		block = cap & ~(uint64_t)(WAL_ALIGN - 1);
	wal->max_block = (size_t)block;
	uint64_t need = (wal->ring - WAL_DATA_START) / 2;
	if (need > WAL_ROUND_BYTES / 4)
		need = WAL_ROUND_BYTES / 4;
	wal->max_batch = (uint32_t)(need - WAL_RECORD_HEADER_BYTES -
				    WAL_BODY_PREFIX_BYTES);
}

int wal_open(const struct wal_options *opt, struct wal **out)
{
	*out = NULL;
	if (!opt->path || !*opt->path) {
		log_error("wal: no path given");
		return SL_EINVAL;
	}
	struct stat st;
	int create = 0;
	if (stat(opt->path, &st)) {
		if (errno != ENOENT) {
			log_error("wal: stat %s: %s", opt->path, strerror(errno));
			return SL_EIO;
		}
		create = 1;
	} else if (S_ISREG(st.st_mode) && st.st_size == 0) {
		create = 1;
	}
	if (create) {
		uint64_t cap = opt->capacity & ~(uint64_t)(WAL_ALIGN - 1);
		if (cap < WAL_MIN_CAPACITY) {
			log_error("wal: %s: capacity %llu below the minimum %u",
				  opt->path, (unsigned long long)opt->capacity,
				  WAL_MIN_CAPACITY);
			return SL_EINVAL;
		}
		int rc = wal_device_create(opt->path, cap, opt->node_id,
					   opt->epoch,
					   opt->initial_trim & ~(uint64_t)(WAL_ALIGN - 1));
		if (rc)
			return rc;
	}

	struct wal *wal = calloc(1, sizeof *wal);
	if (!wal)
		return SL_ENOMEM;
	wal->fd_write = wal->fd_read = wal->efd = -1;
	wal->pending_tail = &wal->pending;
	wal->done_tail = &wal->done;
	wal->flight_tail = &wal->flight;
	pthread_mutex_init(&wal->mu, NULL);
	pthread_cond_init(&wal->cond, NULL);
	wal->path = strdup(opt->path);
	if (!wal->path) {
		wal_close(wal);
		return SL_ENOMEM;
	}
	uint64_t size;
	int is_blk;
	struct wal_header h;
	int rc = wal_device_open(wal, &size, &is_blk);
	if (!rc)
		rc = wal_open_header(wal, opt, size, is_blk, &h);
	if (!rc)
		rc = wal_open_check(opt, &h, size);
	if (rc) {
		wal_close(wal);
		return rc;
	}
	if (!create && !is_blk && opt->capacity &&
	    (opt->capacity & ~(uint64_t)(WAL_ALIGN - 1)) != h.capacity)
		log_info("wal: %s: keeping its capacity %llu (option says %llu)",
			 wal->path, (unsigned long long)h.capacity,
			 (unsigned long long)opt->capacity);
	wal->capacity = h.capacity;
	wal->ring = h.capacity - WAL_DATA_START;
	wal->node_id = h.node_id;
	wal->epoch = opt->epoch;
	wal->seq = h.seq;
	wal->trim = wal->head = wal->durable = h.trim;
	wal_open_limits(wal, opt->max_block_bytes);
	if (h.epoch != opt->epoch) {
		/* Record the new generation; trim and capacity are unchanged. */
		rc = wal_device_header_write(wal, wal->seq + 1, wal->trim);
		if (rc) {
			wal_close(wal);
			return rc;
		}
		wal->seq++;
	}
	*out = wal;
	return 0;
}

int wal_start(struct wal *wal, struct event_base *base, wal_durable_fn fn,
	      void *arg)
{
	SL_ASSERT(wal->recovered && !wal->base);
	wal->base = base;
	wal->durable_fn = fn;
	wal->durable_arg = arg;
	int rc = wal_io_start(wal);
	if (rc)
		wal->base = NULL;
	return rc;
}

void wal_set_memory(struct wal *wal, wal_memory_fn fn, void *arg)
{
	wal->memory_fn = fn;
	wal->memory_arg = arg;
}

int wal_append(struct wal *wal, uint64_t stream_id, int64_t base_offset,
	       uint32_t record_count, const uint8_t *batch, uint32_t len,
	       uint64_t *batch_pos)
{
	return wal_append_crc(wal, stream_id, base_offset, record_count, batch,
			      len, len, 0, batch_pos);
}

int wal_append_crc(struct wal *wal, uint64_t stream_id, int64_t base_offset,
		   uint32_t record_count, const uint8_t *batch, uint32_t len,
		   uint32_t crc_from, uint32_t crc_tail, uint64_t *batch_pos)
{
	SL_ASSERT(wal->base && crc_from <= len);
	if (len > wal->max_batch)
		return SL_EINVAL;
	uint64_t need = (uint64_t)WAL_RECORD_HEADER_BYTES +
			WAL_BODY_PREFIX_BYTES + len;
	uint64_t pos = wal->head;
	int split = 0;
	if (wal->cur && pos - wal->cur->start + need > wal->max_block) {
		/* The open block is full: it ends at the next boundary. */
		split = 1;
		pos = wal_align_up(pos);
	}
	uint64_t lap_end = wal_lap_end(wal, pos);
	if (pos + need > lap_end)
		pos = lap_end; /* records never wrap: pad to the physical end */
	if (wal_align_up(pos + need) > wal->trim + wal->ring)
		return SL_EFULL;
	/* A block never spans the physical end, even when the previous
	 * record ended exactly on it. */
	if (split || pos != wal->head || (wal->cur && pos % wal->ring == 0))
		wal_block_seal(wal, pos);
	if (!wal->cur)
		wal->cur = wal_block_get(wal, pos);
	struct wal_block *blk = wal->cur;
	size_t used = (size_t)(pos - blk->start);
	wal_block_reserve(wal, blk, used, used + (size_t)need);
	wal_format_batch_put_crc(blk->buf + used, pos, stream_id, base_offset,
				 record_count, batch, len, crc_from, crc_tail);
	wal->head = pos + need;
	*batch_pos = pos + WAL_RECORD_HEADER_BYTES + WAL_BODY_PREFIX_BYTES;
	return 0;
}

void wal_flush(struct wal *wal)
{
	if (!wal->cur)
		return;
	if (wal->inflight == 0 || wal->head - wal->cur->start >= wal->max_block)
		wal_block_seal(wal, wal_align_up(wal->head));
}

/* Copies the part of [*pos, *pos + *len) that blk holds below end. */
static void wal_read_block(const struct wal_block *blk, uint64_t end,
			   uint64_t *pos, uint8_t **p, size_t *len)
{
	if (!*len || *pos < blk->start || *pos >= end)
		return;
	size_t n = end - *pos < *len ? (size_t)(end - *pos) : *len;
	memcpy(*p, blk->buf + (*pos - blk->start), n);
	*pos += n;
	*p += n;
	*len -= n;
}

int wal_read(struct wal *wal, uint64_t pos, void *buf, size_t len)
{
	if (pos < wal->trim || pos > wal->head || len > wal->head - pos)
		return SL_EINVAL;
	uint8_t *p = buf;
	while (len && pos < wal->durable) {
		uint64_t room = wal_lap_end(wal, pos) - pos;
		if (wal->durable - pos < room)
			room = wal->durable - pos;
		size_t n = len < room ? len : (size_t)room;
		int err = wal_device_pread(wal, p, n, wal_phys(wal, pos));
		if (err) {
			log_error("wal: %s: read %zu bytes at %llu: %s", wal->path,
				  n, (unsigned long long)pos, strerror(err));
			return SL_EIO;
		}
		p += n;
		pos += n;
		len -= n;
	}
	/* Bytes not yet durable are only in memory: blocks in flight (their
	 * buffers are read-only while the I/O thread has them), then the open
	 * block. */
	for (const struct wal_block *blk = wal->flight; blk; blk = blk->lnext)
		wal_read_block(blk, blk->end, &pos, &p, &len);
	if (wal->cur)
		wal_read_block(wal->cur, wal->head, &pos, &p, &len);
	SL_ASSERT(len == 0);
	return 0;
}

int wal_set_trim(struct wal *wal, uint64_t trim)
{
	if (trim == wal->trim)
		return 0;
	if (trim < wal->trim || trim > wal->durable || trim % WAL_ALIGN) {
		log_error("wal: %s: trim %llu is not a block boundary in "
			  "[%llu, %llu]", wal->path, (unsigned long long)trim,
			  (unsigned long long)wal->trim,
			  (unsigned long long)wal->durable);
		return SL_EINVAL;
	}
	/* The new trim frees ring space only once it is durable. */
	int rc = wal_device_header_write(wal, wal->seq + 1, trim);
	if (rc)
		return rc;
	wal->seq++;
	wal->trim = trim;
	return 0;
}

uint64_t wal_head(const struct wal *wal)
{
	return wal->head;
}

uint64_t wal_durable(const struct wal *wal)
{
	return wal->durable;
}

uint64_t wal_trim(const struct wal *wal)
{
	return wal->trim;
}

uint64_t wal_ring_bytes(const struct wal *wal)
{
	return wal->ring;
}

uint32_t wal_max_batch_bytes(const struct wal *wal)
{
	return wal->max_batch;
}

void wal_close(struct wal *wal)
{
	if (!wal)
		return;
	if (wal->base) {
		if (wal->cur)
			wal_block_seal(wal, wal_align_up(wal->head));
		wal_io_stop(wal);
	}
	SL_ASSERT(!wal->cur);
	while (wal->spare) {
		struct wal_block *blk = wal->spare;
		wal->spare = blk->next;
		free(blk->own);
		free(blk);
	}
	if (wal->fd_write >= 0)
		close(wal->fd_write);
	if (wal->fd_read >= 0)
		close(wal->fd_read);
	pthread_cond_destroy(&wal->cond);
	pthread_mutex_destroy(&wal->mu);
	free(wal->path);
	free(wal);
}
