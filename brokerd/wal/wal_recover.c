/*
 * WAL recovery: replays the valid records from the trim offset, then makes
 * the device safe to append to again.
 *
 * The scan reads the ring in WAL_SCAN_CHUNK pieces and follows records back
 * to back: header magic and CRC, the body's logical offset (bytes of an
 * earlier lap never match it), type, length, body CRC.  Fewer than 32 bytes
 * before the physical end are implicit padding; fewer than 32 before a 4 KiB
 * boundary are implicit padding only when no valid record starts there
 * (records inside a block may straddle a boundary).  The first invalid
 * record ends the log.
 *
 * After the scan the new head is the next 4 KiB boundary.  When the log
 * ends inside a page, that page is rewritten with padding up to the
 * boundary, so the next recovery can step over the gap.  Then the window of
 * WAL_ROUND_BYTES after the head is zeroed: the I/O thread never writes
 * further than that past its last sync, so any torn but valid-looking
 * records of the crashed run lie inside it and cannot be revived once new
 * blocks end in front of them.
 *
 * Threading: loop thread, before wal_start.  Durable on return: the padding
 * page and the zeroed window (synced).
 */
#include "autoconfig.h"

#include "brokerd/wal/wal_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"

/* A window of the ring held in memory while scanning. */
struct wal_scan {
	struct wal *wal;
	uint8_t *buf;
	size_t cap;
	uint64_t start; /* logical offset of buf[0] */
	size_t len;
};

/* Returns n bytes at logical pos, reading ahead up to bound (which does not
 * pass the physical end; pos + n <= bound).  NULL after logging an error. */
static const uint8_t *wal_scan_get(struct wal_scan *s, uint64_t pos, size_t n,
				   uint64_t bound)
{
	if (pos >= s->start && pos + n <= s->start + s->len)
		return s->buf + (pos - s->start);
	if (n > s->cap) {
		free(s->buf);
		s->cap = (size_t)wal_align_up(n);
		s->buf = wal_device_alloc(s->cap);
		if (!s->buf) {
			log_error("wal: recovery: out of memory for %zu bytes", n);
			s->cap = s->len = 0;
			return NULL;
		}
	}
	size_t len = bound - pos < s->cap ? (size_t)(bound - pos) : s->cap;
	int err = wal_device_pread(s->wal, s->buf, len,
				   wal_phys(s->wal, pos));
	if (err) {
		log_error("wal: %s: recovery read at %llu: %s", s->wal->path,
			  (unsigned long long)pos, strerror(err));
		s->len = 0;
		return NULL;
	}
	s->start = pos;
	s->len = len;
	return s->buf;
}

/* Rewrites the page holding pos with padding from pos to the boundary. */
static int wal_recover_pad(struct wal *wal, uint64_t pos)
{
	uint64_t page = pos & ~(uint64_t)(WAL_ALIGN - 1);
	uint8_t *buf = wal_device_alloc(WAL_ALIGN);
	if (!buf)
		return SL_ENOMEM;
	int err = wal_device_pread(wal, buf, WAL_ALIGN, wal_phys(wal, page));
	if (!err) {
		wal_format_padding_put(buf + (pos - page), pos,
				       (size_t)(wal_align_up(pos) - pos));
		err = wal_device_pwrite(wal, buf, WAL_ALIGN, wal_phys(wal, page));
	}
	if (!err)
		err = wal_device_sync(wal);
	free(buf);
	if (err) {
		log_error("wal: %s: recovery: pad page at %llu: %s", wal->path,
			  (unsigned long long)page, strerror(err));
		return SL_EIO;
	}
	return 0;
}

/* Zeroes [from, to) (aligned, at most one ring); counts the non-zero bytes
 * found and the pages that start with a header of the current lap. */
static int wal_recover_scrub(struct wal *wal, uint64_t from, uint64_t to,
			     uint64_t *nonzero, uint64_t *live)
{
	*nonzero = *live = 0;
	if (from >= to)
		return 0;
	uint8_t *buf = wal_device_alloc(WAL_SCAN_CHUNK);
	uint8_t *zero = wal_device_alloc(WAL_SCAN_CHUNK);
	if (!buf || !zero) {
		free(buf);
		free(zero);
		return SL_ENOMEM;
	}
	memset(zero, 0, WAL_SCAN_CHUNK);
	int err = 0, wrote = 0;
	for (uint64_t pos = from; pos < to && !err;) {
		uint64_t lap_end = wal_lap_end(wal, pos);
		uint64_t end = to < lap_end ? to : lap_end;
		size_t n = end - pos < WAL_SCAN_CHUNK ? (size_t)(end - pos)
						      : WAL_SCAN_CHUNK;
		err = wal_device_pread(wal, buf, n, wal_phys(wal, pos));
		if (err)
			break;
		uint64_t nz = 0;
		for (size_t k = 0; k < n; k += WAL_ALIGN) {
			if (!memcmp(buf + k, zero, WAL_ALIGN))
				continue;
			for (size_t i = 0; i < WAL_ALIGN; i++)
				nz += buf[k + i] != 0;
			struct wal_rec rec;
			enum wal_check c = wal_format_record_check(
				buf + k, pos + k, lap_end, &rec);
			if (c == WAL_CHECK_OK || c == WAL_CHECK_TYPE ||
			    c == WAL_CHECK_LENGTH)
				(*live)++;
		}
		if (nz) {
			*nonzero += nz;
			err = wal_device_pwrite(wal, zero, n, wal_phys(wal, pos));
			wrote = 1;
		}
		pos += n;
	}
	if (!err && wrote)
		err = wal_device_sync(wal);
	free(buf);
	free(zero);
	if (err) {
		log_error("wal: %s: recovery: zero [%llu, %llu): %s", wal->path,
			  (unsigned long long)from, (unsigned long long)to,
			  strerror(err));
		return SL_EIO;
	}
	return 0;
}

int wal_recover(struct wal *wal, wal_replay_fn fn, void *arg)
{
	SL_ASSERT(!wal->recovered && !wal->base);
	struct wal_scan scan = { .wal = wal };
	uint64_t pos = wal->trim, limit = wal->trim + wal->ring;
	uint64_t batches = 0;
	enum wal_check why = WAL_CHECK_OK;
	while (pos < limit) {
		uint64_t lap_end = wal_lap_end(wal, pos);
		uint64_t bound = lap_end < limit ? lap_end : limit;
		if (bound - pos < WAL_RECORD_HEADER_BYTES) {
			pos = bound; /* implicit padding before the end */
			continue;
		}
		const uint8_t *p = wal_scan_get(&scan, pos,
						WAL_RECORD_HEADER_BYTES, bound);
		if (!p)
			goto fail;
		struct wal_rec rec;
		why = wal_format_record_check(p, pos, bound, &rec);
		const uint8_t *body = NULL;
		if (why == WAL_CHECK_OK) {
			body = wal_scan_get(&scan, rec.body_pos, rec.body_len,
					    bound);
			if (!body)
				goto fail;
			why = wal_format_body_check(&rec, body);
		}
		if (why != WAL_CHECK_OK) {
			uint64_t next = wal_align_up(pos);
			if (next - pos > 0 && next - pos < WAL_RECORD_HEADER_BYTES) {
				pos = next; /* implicit padding: block ended */
				continue;
			}
			break;
		}
		if (rec.type == WAL_REC_BATCH) {
			struct wal_batch b;
			wal_format_batch_get(&rec, body, &b);
			if (fn)
				fn(arg, &b);
			batches++;
		}
		pos = rec.body_pos + rec.body_len;
	}
	free(scan.buf);
	scan.buf = NULL;

	uint64_t stop = pos;
	int rc = 0;
	if (stop % WAL_ALIGN)
		rc = wal_recover_pad(wal, stop);
	if (rc)
		return rc;
	wal->head = wal->durable = wal_align_up(stop);
	uint64_t window = wal->head + WAL_ROUND_BYTES < limit
				  ? wal->head + WAL_ROUND_BYTES
				  : limit;
	uint64_t nonzero, live;
	rc = wal_recover_scrub(wal, wal->head, window, &nonzero, &live);
	if (rc)
		return rc;
	wal->recovered = 1;

	int at_end = stop >= limit;
	/* Zeros, an earlier lap or foreign bytes at a boundary are how a
	 * cleanly written log ends; anything else is a torn or damaged write. */
	int clean = at_end || (stop % WAL_ALIGN == 0 && live == 0 &&
			       (why == WAL_CHECK_ZERO || why == WAL_CHECK_MAGIC ||
				why == WAL_CHECK_OLD_LAP));
	(clean ? log_info : log_warn)(
		"wal: %s: recovered %llu batches in [%llu, %llu); stopped at "
		"%llu: %s; dropped %llu non-zero bytes in the next %llu "
		"(%llu pages with a record header of this lap), zeroed",
		wal->path, (unsigned long long)batches,
		(unsigned long long)wal->trim, (unsigned long long)stop,
		(unsigned long long)stop,
		at_end ? "end of ring" : wal_format_check_name(why),
		(unsigned long long)nonzero,
		(unsigned long long)(window - wal->head),
		(unsigned long long)live);
	return 0;
fail:
	free(scan.buf);
	return SL_EIO;
}
