/*
 * Region bytes to an object (see region_object.h).  Records are parsed with
 * the same rules as WAL recovery (common/wal_format.h): padding records,
 * implicit padding of fewer than 32 bytes before a 4 KiB boundary or the
 * physical end of the ring.  Batches are grouped by stream with a stable
 * sort, so each stream's batches stay in offset order.
 */
#include "region_object.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/object_format.h"
#include "common/object_json.h"
#include "common/shm_map.h"
#include "common/wal_format.h"

struct region_batch {
	uint64_t stream_id;
	size_t seq; /* position in the region, for a stable sort */
	const uint8_t *bytes;
	uint32_t len;
};

int region_read(const struct shm_map *m, int wal_fd, uint64_t ring_bytes,
		uint64_t start, uint64_t end, uint8_t **buf, int *from_cache)
{
	size_t len = (size_t)(end - start);
	uint8_t *b = malloc(len ? len : 1);
	if (!b)
		return SL_ENOMEM;
	if (m && shm_map_cache_copy(m, start, b, len) == 0) {
		*buf = b;
		*from_cache = 1;
		return 0;
	}
	*from_cache = 0;
	for (uint64_t pos = start; pos < end;) {
		uint64_t lap_end = pos - pos % ring_bytes + ring_bytes;
		uint64_t stop = end < lap_end ? end : lap_end;
		off_t phys = (off_t)(WAL_DATA_START + pos % ring_bytes);
		ssize_t n = pread(wal_fd, b + (pos - start), (size_t)(stop - pos), phys);
		if (n <= 0) {
			log_error("region: pread of WAL [%" PRIu64 ", %" PRIu64 "): %s", pos,
				  stop, n < 0 ? strerror(errno) : "short read");
			free(b);
			return SL_EIO;
		}
		pos += (uint64_t)n;
	}
	*buf = b;
	return 0;
}

/* Orders batches by stream, keeping region order within a stream. */
static int region_batch_cmp(const void *a, const void *b)
{
	const struct region_batch *x = a, *y = b;
	if (x->stream_id != y->stream_id)
		return x->stream_id < y->stream_id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Collects the region's batch records; returns the count or -1. */
static ssize_t region_parse(const uint8_t *buf, uint64_t start, uint64_t end,
			    uint64_t ring_bytes, struct region_batch **out)
{
	size_t n = 0, cap = 256;
	struct region_batch *v = malloc(cap * sizeof *v);
	if (!v)
		return -1;
	uint64_t pos = start;
	while (pos < end) {
		uint64_t lap_end = pos - pos % ring_bytes + ring_bytes;
		uint64_t bound = end < lap_end ? end : lap_end;
		if (bound - pos < WAL_RECORD_HEADER_BYTES) {
			pos = bound;
			continue;
		}
		const uint8_t *p = buf + (pos - start);
		struct wal_rec rec;
		enum wal_check why = wal_format_record_check(p, pos, bound, &rec);
		if (why == WAL_CHECK_OK)
			why = wal_format_body_check(&rec, buf + (rec.body_pos - start));
		if (why != WAL_CHECK_OK) {
			uint64_t next = (pos + WAL_ALIGN - 1) & ~(uint64_t)(WAL_ALIGN - 1);
			if (next > pos && next - pos < WAL_RECORD_HEADER_BYTES) {
				pos = next;
				continue;
			}
			log_error("region: record at %" PRIu64 " in [%" PRIu64 ", %" PRIu64 "): %s",
				  pos, start, end, wal_format_check_name(why));
			free(v);
			return -1;
		}
		if (rec.type == WAL_REC_BATCH) {
			struct wal_batch b;
			wal_format_batch_get(&rec, buf + (rec.body_pos - start), &b);
			if (n == cap) {
				struct region_batch *nv = realloc(v, 2 * cap * sizeof *v);
				if (!nv) {
					free(v);
					return -1;
				}
				v = nv;
				cap *= 2;
			}
			v[n] = (struct region_batch){b.stream_id, n, b.bytes, b.batch_len};
			n++;
		}
		pos = rec.body_pos + rec.body_len;
	}
	*out = v;
	return (ssize_t)n;
}

int region_build(const uint8_t *buf, uint64_t start, uint64_t end,
		 uint64_t ring_bytes, uint64_t id, struct region_object *out)
{
	memset(out, 0, sizeof *out);
	struct region_batch *v = NULL;
	ssize_t n = region_parse(buf, start, end, ring_bytes, &v);
	if (n < 0)
		return SL_ECORRUPT;
	qsort(v, (size_t)n, sizeof *v, region_batch_cmp);
	struct object_builder *b = object_builder_new(id, OBJECT_FLAG_STREAM_SET, 0);
	int rc = b ? 0 : SL_ENOMEM;
	for (ssize_t i = 0; i < n && !rc; i++) {
		rc = object_builder_add(b, v[i].stream_id, v[i].bytes, v[i].len);
		if (rc)
			log_error("region: batch %zd of stream %" PRIu64 " in [%" PRIu64 ", %" PRIu64 "): %s",
				  i, v[i].stream_id, start, end, sl_error_name(rc));
	}
	free(v);
	if (!rc)
		rc = object_builder_finish(b, &out->bytes, &out->len);
	object_builder_free(b);
	if (rc)
		return rc;
	char err[256];
	out->blocks = object_json_blocks(out->bytes, out->len, err, sizeof err);
	if (!out->blocks) {
		log_error("region: built an object that does not parse: %s", err);
		free(out->bytes);
		out->bytes = NULL;
		return SL_ECORRUPT;
	}
	out->id = id;
	out->batches = (size_t)n;
	return 0;
}

void region_object_free(struct region_object *o)
{
	free(o->bytes);
	json_decref(o->blocks);
	memset(o, 0, sizeof *o);
}
