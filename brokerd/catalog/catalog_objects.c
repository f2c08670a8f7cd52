/*
 * The catalog's object storage state: which objects hold which offsets of
 * which stream, what is retired, how far the WAL is uploaded, each stream's
 * log start offset.  S3 is the system of record, so this is the map to the
 * data itself: a change that would lose or duplicate offsets is refused
 * (fenced) before anything is journaled.
 *
 * Fencing.  An upload must continue the WAL exactly where the last one
 * ended and each stream exactly where its last block ended.  A replace
 * (compaction) must name live inputs and new outputs whose blocks stay
 * inside the offset ranges the inputs cover and, unless the topic is
 * compacted or deleted, leave out nothing at or above the stream's log
 * start (the catalog knows each topic's effective cleanup.policy, so it can
 * tell dropping records on purpose from losing them).  Proposals are
 * idempotent: the caller may repeat one whose answer it lost and is told
 * it already holds.
 *
 * Layout and the prepare/apply split: catalog_objects.h.  Journaling and
 * snapshots are catalog.c's; this file only checks, applies, encodes and
 * loads.  Ownership: the state owns every array; pointers handed out stay
 * valid until the next change.  Threading: event-loop thread only.
 */
#include "brokerd/catalog/catalog_objects.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brokerd/catalog/topic_config.h"
#include "common/errors.h"
#include "common/log.h"

/* Objects and blocks per snapshot record: keeps records far below the body
 * limit however large the catalog grows. */
#define CATALOG_OBJECTS_CHUNK 4096u
#define CATALOG_BLOCKS_CHUNK 65536u

enum catalog_stream_kind { STREAM_UNKNOWN, STREAM_LIVE, STREAM_DELETED };

/* ---- lookups ---- */

/* Whether id belongs to a live topic, a deleted one, or was never handed
 * out. */
static enum catalog_stream_kind catalog_objects_kind(const struct catalog *cat,
						     uint64_t id)
{
	if (catalog_topic_by_stream(cat, id))
		return STREAM_LIVE;
	if (id >= 1 && id < catalog_next_stream_id(cat))
		return STREAM_DELETED;
	return STREAM_UNKNOWN;
}

/* Position of stream id in co->streams, or where it would go. */
static size_t catalog_objects_stream_pos(const struct catalog_objects *co,
					 uint64_t id, int *found)
{
	size_t lo = 0, hi = co->stream_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (co->streams[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < co->stream_count && co->streams[lo].id == id;
	return lo;
}

/* The stream's entry, or NULL. */
static struct catalog_stream *
catalog_objects_stream(const struct catalog_objects *co, uint64_t id)
{
	int found;
	size_t pos = catalog_objects_stream_pos(co, id, &found);
	return found ? &co->streams[pos] : NULL;
}

/* A 64-bit mix (murmur3's finalizer): object ids may be sequential. */
static size_t catalog_objects_hash(uint64_t id, size_t mask)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (size_t)id & mask;
}

/* The hash slot holding id, or the empty slot where it would go. */
static size_t catalog_objects_slot(const struct catalog_objects *co,
				   uint64_t id)
{
	size_t mask = co->slot_count - 1;
	for (size_t i = catalog_objects_hash(id, mask);; i = (i + 1) & mask) {
		uint32_t s = co->slots[i];
		if (s == 0 || co->objs[s - 1].obj.id == id)
			return i;
	}
}

/* The object with this id, or NULL. */
static struct catalog_obj *
catalog_objects_find(const struct catalog_objects *co, uint64_t id)
{
	if (co->slot_count == 0)
		return NULL;
	uint32_t s = co->slots[catalog_objects_slot(co, id)];
	return s ? &co->objs[s - 1] : NULL;
}

/* Whether the object with this id exists and is live. */
static int catalog_objects_live(const struct catalog_objects *co, uint64_t id)
{
	const struct catalog_obj *e = catalog_objects_find(co, id);
	return e && e->retired_ms == CATALOG_LIVE;
}

/* ---- memory reservation ---- */

/* Rebuilds the hash with slot_count slots; returns 0 or SL_ENOMEM. */
static int catalog_objects_rehash(struct catalog_objects *co,
				  size_t slot_count)
{
	uint32_t *slots = calloc(slot_count, sizeof *slots);
	if (!slots)
		return SL_ENOMEM;
	free(co->slots);
	co->slots = slots;
	co->slot_count = slot_count;
	for (size_t i = 0; i < co->obj_count; i++)
		co->slots[catalog_objects_slot(co, co->objs[i].obj.id)] =
			(uint32_t)(i + 1);
	return 0;
}

/* Makes room for extra more objects in the array and the hash (kept at
 * most half full).  Returns 0 or SL_ENOMEM. */
static int catalog_objects_reserve(struct catalog_objects *co, size_t extra)
{
	if (extra > UINT32_MAX / 4 - co->obj_count)
		return SL_ENOMEM;
	size_t need = co->obj_count + extra;
	if (need > co->obj_cap) {
		size_t cap = co->obj_cap + co->obj_cap / 2;
		if (cap < need)
			cap = need < 16 ? 16 : need;
		struct catalog_obj *objs =
			realloc(co->objs, cap * sizeof *objs);
		if (!objs)
			return SL_ENOMEM;
		co->objs = objs;
		co->obj_cap = cap;
	}
	if (need * 2 > co->slot_count) {
		size_t n = 64;
		while (n < need * 2)
			n *= 2;
		return catalog_objects_rehash(co, n);
	}
	return 0;
}

/* Makes room for extra more blocks in a stream (growing by half, so
 * appends stay amortised without doubling the memory).  Returns 0 or
 * SL_ENOMEM. */
static int catalog_objects_stream_reserve(struct catalog_stream *st,
					  size_t extra)
{
	if (extra > UINT32_MAX - st->count)
		return SL_ENOMEM;
	size_t need = st->count + extra;
	if (need <= st->cap)
		return 0;
	size_t cap = (size_t)st->cap + st->cap / 2;
	if (cap < need)
		cap = need < 4 ? 4 : need;
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	struct catalog_block *b = realloc(st->blocks, cap * sizeof *b);
	if (!b)
		return SL_ENOMEM;
	st->blocks = b;
	st->cap = (uint32_t)cap;
	return 0;
}

/* The stream's entry, made (empty) if missing; NULL when out of memory.
 * An empty entry means the same as none, so making one changes nothing. */
static struct catalog_stream *catalog_objects_stream_add(
	struct catalog_objects *co, uint64_t id)
{
	int found;
	size_t pos = catalog_objects_stream_pos(co, id, &found);
	if (found)
		return &co->streams[pos];
	if (co->stream_count == co->stream_cap) {
		size_t cap = co->stream_cap ? co->stream_cap * 2 : 64;
		struct catalog_stream *s =
			realloc(co->streams, cap * sizeof *s);
		if (!s)
			return NULL;
		co->streams = s;
		co->stream_cap = cap;
	}
	memmove(co->streams + pos + 1, co->streams + pos,
		(co->stream_count - pos) * sizeof *co->streams);
	co->streams[pos] = (struct catalog_stream){ .id = id };
	co->stream_count++;
	return &co->streams[pos];
}

/* Removes the stream entry at pos and frees its blocks. */
static void catalog_objects_stream_remove(struct catalog_objects *co,
					  size_t pos)
{
	free(co->streams[pos].blocks);
	memmove(co->streams + pos, co->streams + pos + 1,
		(co->stream_count - pos - 1) * sizeof *co->streams);
	co->stream_count--;
}

/* Frees stream lists prepared for a record that was never applied. */
static void catalog_objects_pending_clear(struct catalog_objects *co)
{
	for (size_t i = 0; i < co->pending_count; i++)
		free(co->pending[i]);
	co->pending_count = 0;
}

/* Prepares, for each object of rec, the ascending ids of the streams its
 * blocks are in (blocks are grouped by object, sorted by stream).  Returns
 * 0 or SL_ENOMEM. */
static int catalog_objects_pending_prepare(struct catalog_objects *co,
					   const struct catalog_record *rec)
{
	catalog_objects_pending_clear(co);
	size_t n = rec->object_count ? rec->object_count : 1;
	uint64_t **lists = realloc(co->pending, n * sizeof *lists);
	if (!lists)
		return SL_ENOMEM;
	co->pending = lists;
	uint32_t *counts = realloc(co->pending_counts, n * sizeof *counts);
	if (!counts)
		return SL_ENOMEM;
	co->pending_counts = counts;

	const struct catalog_block *b = rec->blocks;
	for (size_t i = 0; i < rec->object_count; i++) {
		uint32_t nb = rec->objects[i].block_count;
		uint32_t distinct = 0;
		for (uint32_t k = 0; k < nb; k++)
			distinct += k == 0 ||
				    b[k].stream_id != b[k - 1].stream_id;
		uint64_t *list =
			malloc((distinct ? distinct : 1) * sizeof *list);
		if (!list)
			return SL_ENOMEM;
		co->pending[co->pending_count] = list;
		co->pending_counts[co->pending_count++] = distinct;
		distinct = 0;
		for (uint32_t k = 0; k < nb; k++)
			if (k == 0 || b[k].stream_id != b[k - 1].stream_id)
				list[distinct++] = b[k].stream_id;
		b += nb;
	}
	return 0;
}

/* Adds an object (room reserved), taking its stream list. */
static void catalog_objects_add(struct catalog_objects *co,
				const struct catalog_object *o,
				int64_t retired_ms, uint64_t *streams,
				uint32_t stream_count)
{
	SL_ASSERT(co->obj_count < co->obj_cap &&
		  (co->obj_count + 1) * 2 <= co->slot_count);
	co->objs[co->obj_count] = (struct catalog_obj){
		.obj = *o,
		.retired_ms = retired_ms,
		.streams = streams,
		.stream_count = stream_count,
	};
	size_t slot = catalog_objects_slot(co, o->id);
	SL_ASSERT(co->slots[slot] == 0);
	co->slots[slot] = (uint32_t)(++co->obj_count);
}

/* Removes an object: backward-shift deletion in the hash (linear probing
 * needs no tombstones then), and the last object moves into its place. */
static void catalog_objects_remove(struct catalog_objects *co,
				   struct catalog_obj *e)
{
	size_t mask = co->slot_count - 1;
	size_t i = catalog_objects_slot(co, e->obj.id);
	SL_ASSERT(co->slots[i] != 0);
	co->slots[i] = 0;
	for (size_t j = (i + 1) & mask; co->slots[j]; j = (j + 1) & mask) {
		size_t home = catalog_objects_hash(
			co->objs[co->slots[j] - 1].obj.id, mask);
		/* Move it back unless its home lies cyclically in (i, j]. */
		int stays = i <= j ? (home > i && home <= j)
				   : (home > i || home <= j);
		if (!stays) {
			co->slots[i] = co->slots[j];
			co->slots[j] = 0;
			i = j;
		}
	}
	size_t pos = (size_t)(e - co->objs), last = co->obj_count - 1;
	free(e->streams);
	if (pos != last) {
		co->objs[pos] = co->objs[last];
		co->slots[catalog_objects_slot(co, co->objs[pos].obj.id)] =
			(uint32_t)(pos + 1);
	}
	co->obj_count--;
}

/* ---- checks ---- */

/* Sets *why to a formatted reason kept in co and returns err. */
static int catalog_objects_refuse(struct catalog_objects *co,
				  const char **why, int err, const char *fmt,
				  ...) __attribute__((format(printf, 4, 5)));

static int catalog_objects_refuse(struct catalog_objects *co,
				  const char **why, int err, const char *fmt,
				  ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(co->why, sizeof co->why, fmt, ap);
	va_end(ap);
	*why = co->why;
	return err;
}

/* Checks one object's blocks: its own, inside it, sorted by stream and
 * offset without overlap, of streams that were handed out.  Returns 0 or
 * SL_EINVAL with *why set. */
static int catalog_objects_check_blocks(struct catalog_objects *co,
					const struct catalog *cat,
					const struct catalog_object *o,
					const struct catalog_block *b,
					const char **why)
{
	if (o->id == 0)
		return catalog_objects_refuse(co, why, SL_EINVAL,
					      "object id 0");
	for (uint32_t i = 0; i < o->block_count; i++) {
		const struct catalog_block *x = &b[i];
		const char *bad = NULL;
		if (x->object_id != o->id)
			bad = "names another object";
		else if (x->start_offset < 0 ||
			 x->end_offset <= x->start_offset)
			bad = "has an empty or negative offset range";
		else if (x->record_count == 0 ||
			 x->record_count > (uint64_t)(x->end_offset -
						      x->start_offset))
			bad = "has a record count its range cannot hold";
		else if (x->position > o->size ||
			 x->size > o->size - x->position)
			bad = "lies outside the object";
		else if (i > 0 && (x->stream_id < b[i - 1].stream_id ||
				   (x->stream_id == b[i - 1].stream_id &&
				    x->start_offset < b[i - 1].end_offset)))
			bad = "is out of order or overlaps the one before";
		else if ((i == 0 || x->stream_id != b[i - 1].stream_id) &&
			 catalog_objects_kind(cat, x->stream_id) ==
				 STREAM_UNKNOWN)
			bad = "is of a stream id never handed out";
		if (bad)
			return catalog_objects_refuse(
				co, why, SL_EINVAL,
				"object %016" PRIx64 " block %" PRIu32
				" (stream %" PRIu64 ") %s",
				o->id, i, x->stream_id, bad);
	}
	return 0;
}

/* Checks an UPLOAD record and reserves room for it. */
static int catalog_objects_prepare_upload(struct catalog_objects *co,
					  const struct catalog *cat,
					  const struct catalog_record *rec,
					  const char **why)
{
	const struct catalog_object *o = &rec->objects[0];
	const struct catalog_block *b = rec->blocks;
	size_t n = rec->block_count;

	if (rec->object_count != 1 || o->block_count != n)
		return catalog_objects_refuse(co, why, SL_EINVAL,
					      "block count does not match");
	if (o->wal_end <= o->wal_start)
		return catalog_objects_refuse(co, why, SL_EINVAL,
					      "empty WAL range");
	if (catalog_objects_find(co, o->id))
		return catalog_objects_refuse(
			co, why, SL_ESTALE,
			"object %016" PRIx64 " is already in the catalog",
			o->id);
	if (o->wal_start != co->uploaded_end)
		return catalog_objects_refuse(
			co, why, SL_ESTALE,
			"WAL range starts at %" PRIu64
			", the uploaded end is %" PRIu64,
			o->wal_start, co->uploaded_end);
	int rc = catalog_objects_check_blocks(co, cat, o, b, why);
	if (rc)
		return rc;

	/* Each stream continues exactly from its end. */
	for (size_t i = 0; i < n; i++) {
		int64_t expect;
		if (i > 0 && b[i].stream_id == b[i - 1].stream_id) {
			expect = b[i - 1].end_offset;
		} else {
			const struct catalog_stream *st =
				catalog_objects_stream(co, b[i].stream_id);
			expect = st ? st->end : 0;
			/* A deleted topic's stream that compactd emptied
			 * (and dropped) may still have data in the WAL. */
			if ((!st || st->count == 0) &&
			    catalog_objects_kind(cat, b[i].stream_id) ==
				    STREAM_DELETED)
				expect = b[i].start_offset;
		}
		if (b[i].start_offset != expect)
			return catalog_objects_refuse(
				co, why, SL_ESTALE,
				"block of stream %" PRIu64 " starts at %" PRId64
				", the stream ends at %" PRId64,
				b[i].stream_id, b[i].start_offset, expect);
	}

	rc = catalog_objects_reserve(co, 1);
	for (size_t i = 0, j; i < n && !rc; i = j) {
		for (j = i + 1; j < n && b[j].stream_id == b[i].stream_id; j++)
			;
		struct catalog_stream *st =
			catalog_objects_stream_add(co, b[i].stream_id);
		rc = st ? catalog_objects_stream_reserve(st, j - i) : SL_ENOMEM;
	}
	return rc ? rc : catalog_objects_pending_prepare(co, rec);
}

/* Orders u64s for qsort and bsearch. */
static int catalog_objects_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Orders block pointers by stream, then start offset. */
static int catalog_objects_cmp_block_ptr(const void *a, const void *b)
{
	const struct catalog_block *x = *(const struct catalog_block *const *)a;
	const struct catalog_block *y = *(const struct catalog_block *const *)b;
	if (x->stream_id != y->stream_id)
		return (x->stream_id > y->stream_id) -
		       (x->stream_id < y->stream_id);
	return (x->start_offset > y->start_offset) -
	       (x->start_offset < y->start_offset);
}

/* Orders blocks of one stream by start offset. */
static int catalog_objects_cmp_block(const void *a, const void *b)
{
	const struct catalog_block *x = a, *y = b;
	return (x->start_offset > y->start_offset) -
	       (x->start_offset < y->start_offset);
}

/* The next range [*a, *b) of st covered by blocks of the sorted inputs,
 * from block *j on, adjacent blocks merged.  Returns 0 when none is left. */
static int catalog_objects_next_cover(const struct catalog_stream *st,
				      size_t *j, const uint64_t *in,
				      size_t n_in, int64_t *a, int64_t *b)
{
	while (*j < st->count &&
	       !bsearch(&st->blocks[*j].object_id, in, n_in, sizeof *in,
			catalog_objects_cmp_u64))
		(*j)++;
	if (*j >= st->count)
		return 0;
	*a = st->blocks[*j].start_offset;
	*b = st->blocks[*j].end_offset;
	for ((*j)++; *j < st->count && st->blocks[*j].start_offset == *b &&
		     bsearch(&st->blocks[*j].object_id, in, n_in, sizeof *in,
			     catalog_objects_cmp_u64);
	     (*j)++)
		*b = st->blocks[*j].end_offset;
	return 1;
}

/* Checks one stream's output blocks ob[0..n) (sorted by offset) against
 * what the inputs cover in st: no overlap, nothing outside; with exact,
 * also nothing left out at or above the log start.  Returns 0, SL_ESTALE
 * or SL_EINVAL with *why set. */
static int catalog_objects_check_stream(struct catalog_objects *co,
					const struct catalog_stream *st,
					const struct catalog_block **ob,
					size_t n, const uint64_t *in,
					size_t n_in, int exact,
					const char **why)
{
	size_t j = 0;
	int64_t a = 0, b = 0, prev_end = INT64_MIN;
	int have = 0;
	for (size_t k = 0; k < n; k++) {
		const struct catalog_block *x = ob[k];
		if (x->start_offset < prev_end)
			return catalog_objects_refuse(
				co, why, SL_EINVAL,
				"output blocks of stream %" PRIu64
				" overlap at offset %" PRId64,
				st->id, x->start_offset);
		prev_end = x->end_offset;
		while (!have || b <= x->start_offset)
			if (!(have = catalog_objects_next_cover(st, &j, in,
								n_in, &a, &b)))
				break;
		if (!have || a > x->start_offset || b < x->end_offset)
			return catalog_objects_refuse(
				co, why, SL_ESTALE,
				"output block [%" PRId64 ", %" PRId64
				") of stream %" PRIu64 " holds offsets the "
				"inputs do not",
				x->start_offset, x->end_offset, st->id);
	}
	if (!exact)
		return 0;
	/* Each input range, clipped to the log start, lies inside one run
	 * of adjacent output blocks. */
	size_t k = 0;
	int64_t ua = 0, ub = 0;
	int uhave = 0;
	j = 0;
	while (catalog_objects_next_cover(st, &j, in, n_in, &a, &b)) {
		if (a < st->log_start)
			a = st->log_start;
		if (a >= b)
			continue;
		while (!uhave || ub <= a) {
			if (!(uhave = k < n))
				break;
			ua = ob[k]->start_offset;
			ub = ob[k++]->end_offset;
			while (k < n && ob[k]->start_offset == ub)
				ub = ob[k++]->end_offset;
		}
		if (!uhave || ua > a || ub < b)
			return catalog_objects_refuse(
				co, why, SL_ESTALE,
				"outputs leave out offsets of stream %" PRIu64
				" from %" PRId64 " on, above its log start %"
				PRId64, st->id, !uhave || ua > a ? a : ub,
				st->log_start);
	}
	return 0;
}

/* The sorted, distinct streams the inputs hold blocks in (*n of them), or
 * NULL when out of memory. */
static uint64_t *catalog_objects_input_streams(const struct catalog_objects *co,
					       const uint64_t *in, size_t n_in,
					       size_t *n)
{
	size_t total = 0;
	for (size_t i = 0; i < n_in; i++)
		total += catalog_objects_find(co, in[i])->stream_count;
	uint64_t *ids = malloc((total ? total : 1) * sizeof *ids);
	if (!ids)
		return NULL;
	total = 0;
	for (size_t i = 0; i < n_in; i++) {
		const struct catalog_obj *e = catalog_objects_find(co, in[i]);
		memcpy(ids + total, e->streams, e->stream_count * sizeof *ids);
		total += e->stream_count;
	}
	qsort(ids, total, sizeof *ids, catalog_objects_cmp_u64);
	*n = 0;
	for (size_t i = 0; i < total; i++)
		if (*n == 0 || ids[i] != ids[*n - 1])
			ids[(*n)++] = ids[i];
	return ids;
}

/* Checks the output blocks (sorted by stream and offset) stream by stream
 * against the sorted inputs, and reserves room for them.  A live topic's
 * stream keeps every offset at or above its log start unless the topic is
 * compacted (cleanup.policy has compact); a deleted topic's stream may
 * lose anything.  Returns 0, SL_ESTALE, SL_EINVAL or SL_ENOMEM. */
static int catalog_objects_check_cover(struct catalog_objects *co,
				       const struct catalog *cat,
				       const struct catalog_block **ob,
				       size_t n, const uint64_t *in,
				       size_t n_in, const char **why)
{
	size_t n_streams;
	uint64_t *streams = catalog_objects_input_streams(co, in, n_in,
							  &n_streams);
	if (!streams)
		return SL_ENOMEM;
	int rc = 0;
	size_t g = 0;
	for (size_t i = 0; i < n_streams && !rc; i++) {
		if (g < n && ob[g]->stream_id < streams[i])
			break; /* a stream no input holds: refused below */
		size_t h = g;
		while (h < n && ob[h]->stream_id == streams[i])
			h++;
		struct catalog_stream *st =
			catalog_objects_stream(co, streams[i]);
		const struct topic *t = catalog_topic_by_stream(cat, st->id);
		int exact = t && !topic_config_list_contains(
					 t, "cleanup.policy", "compact");
		rc = catalog_objects_check_stream(co, st, ob + g, h - g, in,
						  n_in, exact, why);
		if (!rc)
			rc = catalog_objects_stream_reserve(st, h - g);
		g = h;
	}
	free(streams);
	if (!rc && g < n)
		rc = catalog_objects_refuse(
			co, why, SL_ESTALE,
			"output block [%" PRId64 ", %" PRId64 ") of stream %"
			PRIu64 " holds offsets the inputs do not",
			ob[g]->start_offset, ob[g]->end_offset,
			ob[g]->stream_id);
	return rc;
}

/* Checks the inputs and outputs of a REPLACE record, given the inputs
 * sorted; returns 0, SL_ESTALE or SL_EINVAL. */
static int catalog_objects_check_replace_ids(struct catalog_objects *co,
					     const struct catalog_record *rec,
					     const uint64_t *in,
					     const char **why)
{
	for (size_t i = 0; i < rec->id_count; i++) {
		if (i > 0 && in[i] == in[i - 1])
			return catalog_objects_refuse(
				co, why, SL_EINVAL,
				"input %016" PRIx64 " named twice", in[i]);
		if (!catalog_objects_live(co, in[i]))
			return catalog_objects_refuse(
				co, why, SL_ESTALE,
				"input %016" PRIx64 " is not a live object",
				in[i]);
	}
	for (size_t i = 0; i < rec->object_count; i++) {
		const struct catalog_object *o = &rec->objects[i];
		if (o->wal_start != 0 || o->wal_end != 0)
			return catalog_objects_refuse(
				co, why, SL_EINVAL,
				"output %016" PRIx64 " claims a WAL range",
				o->id);
		if (catalog_objects_find(co, o->id))
			return catalog_objects_refuse(
				co, why, SL_ESTALE,
				"output %016" PRIx64 " is already in the "
				"catalog", o->id);
		for (size_t k = 0; k < i; k++)
			if (rec->objects[k].id == o->id)
				return catalog_objects_refuse(
					co, why, SL_EINVAL,
					"output %016" PRIx64 " named twice",
					o->id);
	}
	return 0;
}

/* Checks a REPLACE record and reserves room for it. */
static int catalog_objects_prepare_replace(struct catalog_objects *co,
					   const struct catalog *cat,
					   const struct catalog_record *rec,
					   const char **why)
{
	if (rec->id_count == 0)
		return catalog_objects_refuse(co, why, SL_EINVAL,
					      "no input objects");
	uint64_t *in = malloc(rec->id_count * sizeof *in);
	const struct catalog_block **ob =
		malloc((rec->block_count ? rec->block_count : 1) * sizeof *ob);
	int rc = SL_ENOMEM;
	if (!in || !ob)
		goto out;
	memcpy(in, rec->ids, rec->id_count * sizeof *in);
	qsort(in, rec->id_count, sizeof *in, catalog_objects_cmp_u64);
	rc = catalog_objects_check_replace_ids(co, rec, in, why);

	uint64_t sum = 0;
	for (size_t i = 0; i < rec->object_count; i++)
		sum += rec->objects[i].block_count;
	if (!rc && sum != rec->block_count)
		rc = catalog_objects_refuse(co, why, SL_EINVAL,
					    "block count does not match");
	sum = 0;
	for (size_t i = 0; i < rec->object_count && !rc; i++) {
		rc = catalog_objects_check_blocks(co, cat, &rec->objects[i],
						  rec->blocks + sum, why);
		sum += rec->objects[i].block_count;
	}
	if (rc)
		goto out;

	for (size_t i = 0; i < rec->block_count; i++)
		ob[i] = &rec->blocks[i];
	qsort(ob, rec->block_count, sizeof *ob, catalog_objects_cmp_block_ptr);
	rc = catalog_objects_check_cover(co, cat, ob, rec->block_count, in,
					 rec->id_count, why);
	if (!rc)
		rc = catalog_objects_reserve(co, rec->object_count);
	if (!rc)
		rc = catalog_objects_pending_prepare(co, rec);
out:
	free(in);
	free(ob);
	return rc;
}

/* Checks a FORGET record: each id retired, none twice. */
static int catalog_objects_prepare_forget(struct catalog_objects *co,
					  const struct catalog_record *rec,
					  const char **why)
{
	uint64_t *ids = malloc((rec->id_count ? rec->id_count : 1) *
			       sizeof *ids);
	if (!ids)
		return SL_ENOMEM;
	memcpy(ids, rec->ids, rec->id_count * sizeof *ids);
	qsort(ids, rec->id_count, sizeof *ids, catalog_objects_cmp_u64);
	int rc = 0;
	for (size_t i = 0; i < rec->id_count && !rc; i++) {
		const struct catalog_obj *e = catalog_objects_find(co, ids[i]);
		if (!e || e->retired_ms == CATALOG_LIVE)
			rc = catalog_objects_refuse(co, why, SL_ESTALE,
						    "object %016" PRIx64
						    " is %s", ids[i],
						    e ? "live" : "unknown");
		else if (i > 0 && ids[i] == ids[i - 1])
			rc = catalog_objects_refuse(co, why, SL_EINVAL,
						    "object %016" PRIx64
						    " named twice", ids[i]);
	}
	free(ids);
	return rc;
}

/* Checks a LOG_START record and makes the stream's entry. */
static int catalog_objects_prepare_log_start(struct catalog_objects *co,
					     const struct catalog *cat,
					     const struct catalog_record *rec,
					     const char **why)
{
	if (catalog_objects_kind(cat, rec->stream_id) != STREAM_LIVE)
		return catalog_objects_refuse(co, why, SL_ESTALE,
					      "stream %" PRIu64 " is not a "
					      "live topic's", rec->stream_id);
	const struct catalog_stream *st =
		catalog_objects_stream(co, rec->stream_id);
	int64_t cur = st ? st->log_start : 0;
	if (rec->log_start <= cur)
		return catalog_objects_refuse(
			co, why, SL_ESTALE,
			"log start of stream %" PRIu64 " would move from %"
			PRId64 " back to %" PRId64,
			rec->stream_id, cur, rec->log_start);
	return catalog_objects_stream_add(co, rec->stream_id) ? 0 : SL_ENOMEM;
}

int catalog_objects_handles(enum catalog_record_type type)
{
	return type == CATALOG_RECORD_UPLOAD ||
	       type == CATALOG_RECORD_REPLACE ||
	       type == CATALOG_RECORD_FORGET ||
	       type == CATALOG_RECORD_LOG_START;
}

int catalog_objects_prepare(struct catalog_objects *co,
			    const struct catalog *cat,
			    const struct catalog_record *rec, const char **why)
{
	/* Before reserving room for blocks that cannot be journaled. */
	if (rec->block_count >
	    CATALOG_RECORD_MAX_BODY / CATALOG_RECORD_BLOCK_BYTES - 1)
		return catalog_objects_refuse(co, why, SL_EINVAL,
					      "%zu blocks do not fit one "
					      "journal record",
					      rec->block_count);
	switch (rec->type) {
	case CATALOG_RECORD_UPLOAD:
		return catalog_objects_prepare_upload(co, cat, rec, why);
	case CATALOG_RECORD_REPLACE:
		return catalog_objects_prepare_replace(co, cat, rec, why);
	case CATALOG_RECORD_FORGET:
		return catalog_objects_prepare_forget(co, rec, why);
	case CATALOG_RECORD_LOG_START:
		return catalog_objects_prepare_log_start(co, cat, rec, why);
	default:
		*why = "not an object storage record";
		return SL_EINVAL;
	}
}

/* ---- applying ---- */

/* Adds the record's objects as live, with the stream lists prepared. */
static void catalog_objects_apply_add(struct catalog_objects *co,
				      const struct catalog_record *rec)
{
	SL_ASSERT(co->pending_count == rec->object_count);
	for (size_t i = 0; i < rec->object_count; i++)
		catalog_objects_add(co, &rec->objects[i], CATALOG_LIVE,
				    co->pending[i], co->pending_counts[i]);
	co->pending_count = 0;
}

/* Appends the record's blocks to their streams (room reserved); with
 * set_end, each stream's end follows its last block. */
static void catalog_objects_apply_append(struct catalog_objects *co,
					 const struct catalog_record *rec,
					 int set_end)
{
	struct catalog_stream *st = NULL;
	for (size_t i = 0; i < rec->block_count; i++) {
		const struct catalog_block *b = &rec->blocks[i];
		if (!st || st->id != b->stream_id)
			st = catalog_objects_stream(co, b->stream_id);
		SL_ASSERT(st && st->count < st->cap);
		st->blocks[st->count++] = *b;
		if (set_end)
			st->end = b->end_offset;
	}
	co->block_count += rec->block_count;
}

/* Drops a stream's blocks of retired objects (those just retired: older
 * ones have none left); returns how many. */
static uint32_t catalog_objects_drop_retired(const struct catalog_objects *co,
					     struct catalog_stream *st)
{
	uint32_t kept = 0;
	uint64_t last_id = 0;
	int last_live = 0;
	for (uint32_t i = 0; i < st->count; i++) {
		if (i == 0 || st->blocks[i].object_id != last_id) {
			last_id = st->blocks[i].object_id;
			last_live = catalog_objects_live(co, last_id);
		}
		if (last_live)
			st->blocks[kept++] = st->blocks[i];
	}
	uint32_t dropped = st->count - kept;
	st->count = kept;
	return dropped;
}

/* Retires the inputs and puts the outputs in their place. */
static void catalog_objects_apply_replace(struct catalog_objects *co,
					  const struct catalog *cat,
					  const struct catalog_record *rec)
{
	for (size_t i = 0; i < rec->id_count; i++)
		catalog_objects_find(co, rec->ids[i])->retired_ms =
			rec->retire_ms;
	catalog_objects_apply_add(co, rec);
	/* Outputs first, so a stream they keep is never seen empty. */
	catalog_objects_apply_append(co, rec, 0);

	for (size_t i = 0; i < rec->id_count; i++) {
		struct catalog_obj *e = catalog_objects_find(co, rec->ids[i]);
		for (uint32_t k = 0; k < e->stream_count; k++) {
			int found;
			size_t pos = catalog_objects_stream_pos(
				co, e->streams[k], &found);
			if (!found)
				continue; /* dropped for an earlier input */
			struct catalog_stream *st = &co->streams[pos];
			co->block_count -= catalog_objects_drop_retired(co, st);
			if (st->count == 0 &&
			    catalog_objects_kind(cat, st->id) == STREAM_DELETED)
				catalog_objects_stream_remove(co, pos);
		}
		free(e->streams);
		e->streams = NULL;
		e->stream_count = 0;
	}
	struct catalog_stream *st = NULL;
	for (size_t i = 0; i < rec->block_count; i++) {
		if (st && st->id == rec->blocks[i].stream_id)
			continue;
		st = catalog_objects_stream(co, rec->blocks[i].stream_id);
		qsort(st->blocks, st->count, sizeof *st->blocks,
		      catalog_objects_cmp_block);
	}
}

void catalog_objects_apply(struct catalog_objects *co,
			   const struct catalog *cat,
			   const struct catalog_record *rec)
{
	switch (rec->type) {
	case CATALOG_RECORD_UPLOAD:
		catalog_objects_apply_add(co, rec);
		catalog_objects_apply_append(co, rec, 1);
		co->uploaded_end = rec->objects[0].wal_end;
		return;
	case CATALOG_RECORD_REPLACE:
		catalog_objects_apply_replace(co, cat, rec);
		return;
	case CATALOG_RECORD_FORGET:
		for (size_t i = 0; i < rec->id_count; i++)
			catalog_objects_remove(
				co, catalog_objects_find(co, rec->ids[i]));
		return;
	case CATALOG_RECORD_LOG_START:
		catalog_objects_stream(co, rec->stream_id)->log_start =
			rec->log_start;
		return;
	default:
		log_panic("catalog: applying record type %d as an object "
			  "storage change", (int)rec->type);
	}
}

/* ---- the public calls (catalog.h) ---- */

int catalog_commit_upload(struct catalog *cat, const struct catalog_object *obj,
			  const struct catalog_block *blocks, size_t n,
			  int *already)
{
	const struct catalog_obj *e =
		catalog_objects_find(catalog_objects_of(cat), obj->id);
	if (already)
		*already = 0;
	/* A repeat whose answer was lost: the region is committed. */
	if (e && e->obj.wal_end != 0 && e->obj.wal_start == obj->wal_start &&
	    e->obj.wal_end == obj->wal_end) {
		if (already)
			*already = 1;
		return 0;
	}
	struct catalog_record rec = {
		.type = CATALOG_RECORD_UPLOAD,
		.objects = obj,
		.object_count = 1,
		.blocks = blocks,
		.block_count = n,
	};
	const char *why = NULL;
	int rc = catalog_commit(cat, &rec, &why);
	if (why)
		log_warn("catalog: upload of object %016" PRIx64 " for WAL [%"
			 PRIu64 ", %" PRIu64 ") refused: %s", obj->id,
			 obj->wal_start, obj->wal_end, why);
	return rc;
}

uint64_t catalog_uploaded_end(const struct catalog *cat)
{
	return catalog_objects_of(cat)->uploaded_end;
}

/* Milliseconds since the epoch. */
static int64_t catalog_objects_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int catalog_replace_objects(struct catalog *cat, const uint64_t *inputs,
			    size_t n_in, const struct catalog_object *outputs,
			    size_t n_out, const struct catalog_block *blocks,
			    size_t n_blocks)
{
	const struct catalog_objects *co = catalog_objects_of(cat);
	/* Output ids are new for each proposal: if all are known and no
	 * input is live any more, this one was applied already. */
	int applied = n_in > 0;
	for (size_t i = 0; i < n_in && applied; i++)
		applied = !catalog_objects_live(co, inputs[i]);
	for (size_t i = 0; i < n_out && applied; i++)
		applied = catalog_objects_find(co, outputs[i].id) != NULL;
	if (applied) {
		log_info("catalog: replace of %zu objects by %zu was applied "
			 "before", n_in, n_out);
		return 0;
	}
	struct catalog_record rec = {
		.type = CATALOG_RECORD_REPLACE,
		.objects = outputs,
		.object_count = n_out,
		.blocks = blocks,
		.block_count = n_blocks,
		.ids = inputs,
		.id_count = n_in,
		.retire_ms = catalog_objects_now_ms(),
	};
	const char *why = NULL;
	int rc = catalog_commit(cat, &rec, &why);
	if (why)
		log_warn("catalog: replace of %zu objects (first %016" PRIx64
			 ") by %zu refused: %s", n_in, n_in ? inputs[0] : 0,
			 n_out, why);
	else if (rc == 0)
		log_info("catalog: replaced %zu objects by %zu (%zu blocks)",
			 n_in, n_out, n_blocks);
	return rc;
}

int catalog_forget_objects(struct catalog *cat, const uint64_t *ids, size_t n)
{
	const struct catalog_objects *co = catalog_objects_of(cat);
	uint64_t *known = malloc((n ? n : 1) * sizeof *known);
	if (!known)
		return SL_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (catalog_objects_find(co, ids[i]))
			known[k++] = ids[i];
	int rc = 0;
	const char *why = NULL;
	if (k > 0) {
		struct catalog_record rec = {
			.type = CATALOG_RECORD_FORGET,
			.ids = known,
			.id_count = k,
		};
		rc = catalog_commit(cat, &rec, &why);
	}
	if (why)
		log_warn("catalog: forgetting %zu objects refused: %s", n, why);
	free(known);
	return rc;
}

int64_t catalog_stream_end(const struct catalog *cat, uint64_t stream_id)
{
	const struct catalog_stream *st =
		catalog_objects_stream(catalog_objects_of(cat), stream_id);
	return st ? st->end : 0;
}

int64_t catalog_stream_log_start(const struct catalog *cat, uint64_t stream_id)
{
	const struct catalog_stream *st =
		catalog_objects_stream(catalog_objects_of(cat), stream_id);
	return st ? st->log_start : 0;
}

int catalog_set_log_start(struct catalog *cat, uint64_t stream_id,
			  int64_t offset)
{
	if (catalog_objects_kind(cat, stream_id) != STREAM_LIVE)
		return SL_ENOENT;
	if (offset < 0)
		return SL_EINVAL;
	if (offset <= catalog_stream_log_start(cat, stream_id))
		return 0;
	struct catalog_record rec = {
		.type = CATALOG_RECORD_LOG_START,
		.stream_id = stream_id,
		.log_start = offset,
	};
	const char *why = NULL;
	return catalog_commit(cat, &rec, &why);
}

const struct catalog_block *catalog_stream_blocks(const struct catalog *cat,
						  uint64_t stream_id,
						  size_t *n)
{
	const struct catalog_stream *st =
		catalog_objects_stream(catalog_objects_of(cat), stream_id);
	*n = st ? st->count : 0;
	return st && st->count ? st->blocks : NULL;
}

const struct catalog_block *catalog_stream_find(const struct catalog *cat,
						uint64_t stream_id,
						int64_t offset)
{
	const struct catalog_stream *st =
		catalog_objects_stream(catalog_objects_of(cat), stream_id);
	if (!st)
		return NULL;
	if (offset < st->log_start)
		offset = st->log_start;
	/* The first block ending after offset. */
	size_t lo = 0, hi = st->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->blocks[mid].end_offset <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->count ? &st->blocks[lo] : NULL;
}

int catalog_stream_is_deleted(const struct catalog *cat, uint64_t stream_id)
{
	return catalog_objects_kind(cat, stream_id) == STREAM_DELETED;
}

uint64_t catalog_dead_stream_next(const struct catalog *cat, uint64_t after)
{
	const struct catalog_objects *co = catalog_objects_of(cat);
	if (after == UINT64_MAX)
		return 0;
	int found;
	for (size_t i = catalog_objects_stream_pos(co, after + 1, &found);
	     i < co->stream_count; i++)
		if (co->streams[i].count > 0 &&
		    catalog_objects_kind(cat, co->streams[i].id) ==
			    STREAM_DELETED)
			return co->streams[i].id;
	return 0;
}

const struct catalog_object *catalog_object_by_id(const struct catalog *cat,
						  uint64_t id)
{
	const struct catalog_obj *e =
		catalog_objects_find(catalog_objects_of(cat), id);
	return e ? &e->obj : NULL;
}

size_t catalog_object_count(const struct catalog *cat)
{
	return catalog_objects_of(cat)->obj_count;
}

const struct catalog_object *catalog_object_at(const struct catalog *cat,
					       size_t i)
{
	const struct catalog_objects *co = catalog_objects_of(cat);
	return i < co->obj_count ? &co->objs[i].obj : NULL;
}

int catalog_object_is_retired(const struct catalog *cat, uint64_t id,
			      int64_t *retired_ms)
{
	const struct catalog_obj *e =
		catalog_objects_find(catalog_objects_of(cat), id);
	if (!e)
		return SL_ENOENT;
	if (e->retired_ms == CATALOG_LIVE)
		return 0;
	if (retired_ms)
		*retired_ms = e->retired_ms;
	return 1;
}

/* ---- snapshots ---- */

/* Whether a stream entry says anything an absent one would not. */
static int catalog_objects_stream_kept(const struct catalog_stream *st)
{
	return st->count > 0 || st->end != 0 || st->log_start != 0;
}

void catalog_objects_totals(const struct catalog_objects *co,
			    struct catalog_record *rec_state)
{
	uint64_t streams = 0;
	for (size_t i = 0; i < co->stream_count; i++)
		streams += (uint64_t)catalog_objects_stream_kept(
			&co->streams[i]);
	rec_state->uploaded_end = co->uploaded_end;
	rec_state->object_total = co->obj_count;
	rec_state->stream_total = streams;
	rec_state->block_total = co->block_count;
}

int catalog_objects_encode(const struct catalog_objects *co, uint64_t seq,
			   struct byte_buf *buf)
{
	size_t chunk = CATALOG_OBJECTS_CHUNK;
	struct catalog_object *objs = malloc(chunk * sizeof *objs);
	int64_t *retired = malloc(chunk * sizeof *retired);
	int rc = objs && retired ? 0 : SL_ENOMEM;
	for (size_t i = 0; i < co->obj_count && !rc; i += chunk) {
		size_t n = co->obj_count - i;
		if (n > chunk)
			n = chunk;
		for (size_t k = 0; k < n; k++) {
			objs[k] = co->objs[i + k].obj;
			retired[k] = co->objs[i + k].retired_ms;
		}
		struct catalog_record rec = {
			.type = CATALOG_RECORD_OBJECTS,
			.seq = seq,
			.objects = objs,
			.retired_ms = retired,
			.object_count = n,
		};
		rc = catalog_record_encode(buf, &rec);
	}
	free(objs);
	free(retired);

	for (size_t i = 0; i < co->stream_count && !rc; i++) {
		const struct catalog_stream *st = &co->streams[i];
		if (!catalog_objects_stream_kept(st))
			continue;
		/* A stream without blocks still needs one record. */
		uint32_t k = 0;
		do {
			uint32_t n = st->count - k < CATALOG_BLOCKS_CHUNK
					     ? st->count - k
					     : CATALOG_BLOCKS_CHUNK;
			struct catalog_record rec = {
				.type = CATALOG_RECORD_STREAM,
				.seq = seq,
				.stream_id = st->id,
				.log_start = st->log_start,
				.stream_end = st->end,
				.blocks = n ? st->blocks + k : NULL,
				.block_count = n,
			};
			rc = catalog_record_encode(buf, &rec);
			k += n;
		} while (k < st->count && !rc);
	}
	return rc;
}

/* Loads an OBJECTS record: objects without their stream lists yet. */
static int catalog_objects_load_objects(struct catalog_objects *co,
					const struct catalog_record *rec,
					const char **why)
{
	if (co->stream_count > 0) {
		*why = "holds objects after streams";
		return SL_ECORRUPT;
	}
	int rc = catalog_objects_reserve(co, rec->object_count);
	if (rc)
		return rc;
	for (size_t i = 0; i < rec->object_count; i++) {
		const struct catalog_object *o = &rec->objects[i];
		if (o->id == 0 || catalog_objects_find(co, o->id)) {
			*why = "holds object id 0 or an object twice";
			return SL_ECORRUPT;
		}
		catalog_objects_add(co, o, rec->retired_ms[i], NULL, 0);
	}
	return 0;
}

/* Loads a STREAM record: a new stream, or more blocks of the last one. */
static int catalog_objects_load_stream(struct catalog_objects *co,
				       const struct catalog_record *rec,
				       const char **why)
{
	struct catalog_stream *st =
		co->stream_count ? &co->streams[co->stream_count - 1] : NULL;
	if (!st || st->id != rec->stream_id) {
		if (rec->stream_id == 0 || (st && st->id > rec->stream_id)) {
			*why = "holds streams out of order";
			return SL_ECORRUPT;
		}
		st = catalog_objects_stream_add(co, rec->stream_id);
		if (!st)
			return SL_ENOMEM;
		st->log_start = rec->log_start;
		st->end = rec->stream_end;
	} else if (st->log_start != rec->log_start ||
		   st->end != rec->stream_end) {
		*why = "continues a stream with other offsets";
		return SL_ECORRUPT;
	}
	if (rec->block_count > UINT32_MAX - st->count)
		return SL_ENOMEM;
	/* Exactly the size needed: a loaded catalog carries no slack. */
	size_t cap = st->count + rec->block_count;
	struct catalog_block *b =
		realloc(st->blocks, (cap ? cap : 1) * sizeof *b);
	if (!b)
		return SL_ENOMEM;
	st->blocks = b;
	st->cap = (uint32_t)cap;
	for (size_t i = 0; i < rec->block_count; i++) {
		const struct catalog_block *x = &rec->blocks[i];
		int64_t prev_end = st->count ? b[st->count - 1].end_offset : 0;
		if (!catalog_objects_live(co, x->object_id))
			*why = "holds a block of an unknown or retired object";
		else if (x->start_offset < prev_end ||
			 x->end_offset <= x->start_offset ||
			 x->end_offset > st->end)
			*why = "holds blocks out of order, overlapping or past "
			       "the stream's end";
		if (*why)
			return SL_ECORRUPT;
		b[st->count++] = *x;
	}
	co->block_count += rec->block_count;
	return 0;
}

int catalog_objects_load(struct catalog_objects *co,
			 const struct catalog_record *rec, const char **why)
{
	*why = NULL;
	if (rec->type == CATALOG_RECORD_OBJECTS)
		return catalog_objects_load_objects(co, rec, why);
	if (rec->type == CATALOG_RECORD_STREAM)
		return catalog_objects_load_stream(co, rec, why);
	*why = "holds a record snapshots do not have";
	return SL_ECORRUPT;
}

/* Calls back for each (object position, stream id) pair the first time
 * an object's block is met in a stream; last[] tracks the stream seen per
 * object (stream ids start at 1). */
static void catalog_objects_walk(struct catalog_objects *co, uint64_t *last,
				 uint64_t *blocks, int fill)
{
	for (size_t s = 0; s < co->stream_count; s++) {
		const struct catalog_stream *st = &co->streams[s];
		for (uint32_t i = 0; i < st->count; i++) {
			struct catalog_obj *e = catalog_objects_find(
				co, st->blocks[i].object_id);
			size_t pos = (size_t)(e - co->objs);
			blocks[pos]++;
			if (last[pos] == st->id)
				continue;
			last[pos] = st->id;
			if (fill)
				e->streams[e->stream_count] = st->id;
			e->stream_count++;
		}
	}
}

/* Checks that each live object has exactly its block count of live blocks
 * and builds its stream list.  Returns 0, SL_ENOMEM, or SL_ECORRUPT with
 * *why set. */
static int catalog_objects_link(struct catalog_objects *co, const char **why)
{
	size_t n = co->obj_count;
	uint64_t *blocks = calloc(n + 1, sizeof *blocks);
	uint64_t *last = calloc(n + 1, sizeof *last);
	int rc = blocks && last ? 0 : SL_ENOMEM;
	if (!rc)
		catalog_objects_walk(co, last, blocks, 0);
	for (size_t i = 0; i < n && !rc; i++) {
		struct catalog_obj *e = &co->objs[i];
		if (e->retired_ms == CATALOG_LIVE &&
		    blocks[i] != e->obj.block_count) {
			*why = "a live object's blocks do not match its block "
			       "count";
			rc = SL_ECORRUPT;
			break;
		}
		e->streams = malloc((e->stream_count ? e->stream_count : 1) *
				    sizeof *e->streams);
		e->stream_count = 0;
		if (!e->streams)
			rc = SL_ENOMEM;
	}
	if (!rc) {
		memset(last, 0, (n + 1) * sizeof *last);
		catalog_objects_walk(co, last, blocks, 1);
	}
	free(blocks);
	free(last);
	return rc;
}

int catalog_objects_load_finish(struct catalog_objects *co,
				const struct catalog *cat,
				const struct catalog_record *rec_state,
				const char **why)
{
	*why = NULL;
	co->uploaded_end = rec_state->uploaded_end;
	uint64_t streams = 0;
	for (size_t i = 0; i < co->stream_count; i++) {
		streams += (uint64_t)catalog_objects_stream_kept(
			&co->streams[i]);
		if (catalog_objects_kind(cat, co->streams[i].id) ==
		    STREAM_UNKNOWN)
			*why = "holds a stream id never handed out";
	}
	if (!*why && (rec_state->object_total != co->obj_count ||
		      rec_state->stream_total != streams ||
		      rec_state->block_total != co->block_count))
		*why = "object, stream or block count does not match";
	if (*why)
		return SL_ECORRUPT;
	return catalog_objects_link(co, why);
}

/* ---- memory ---- */

size_t catalog_objects_memory(const struct catalog_objects *co)
{
	size_t bytes = co->stream_cap * sizeof *co->streams +
		       co->obj_cap * sizeof *co->objs +
		       co->slot_count * sizeof *co->slots;
	for (size_t i = 0; i < co->stream_count; i++)
		bytes += co->streams[i].cap * sizeof(struct catalog_block);
	for (size_t i = 0; i < co->obj_count; i++)
		bytes += co->objs[i].stream_count * sizeof(uint64_t);
	return bytes;
}

void catalog_objects_shrink(struct catalog_objects *co)
{
	for (size_t i = 0; i < co->stream_count; i++) {
		struct catalog_stream *st = &co->streams[i];
		if (st->count == st->cap)
			continue;
		if (st->count == 0) {
			free(st->blocks);
			st->blocks = NULL;
			st->cap = 0;
			continue;
		}
		struct catalog_block *b =
			realloc(st->blocks, st->count * sizeof *b);
		if (b) {
			st->blocks = b;
			st->cap = st->count;
		}
	}
	if (co->stream_count && co->stream_count < co->stream_cap) {
		struct catalog_stream *s = realloc(
			co->streams, co->stream_count * sizeof *s);
		if (s) {
			co->streams = s;
			co->stream_cap = co->stream_count;
		}
	}
}

void catalog_objects_free(struct catalog_objects *co)
{
	catalog_objects_pending_clear(co);
	free(co->pending);
	free(co->pending_counts);
	for (size_t i = 0; i < co->stream_count; i++)
		free(co->streams[i].blocks);
	free(co->streams);
	for (size_t i = 0; i < co->obj_count; i++)
		free(co->objs[i].streams);
	free(co->objs);
	free(co->slots);
	memset(co, 0, sizeof *co);
}
