/*
 * Reading one rewrite's inputs (see fetch.h).  State machine on the loop
 * thread: tails (footer and index of every input) first, then the block
 * ranges; fetch_pump issues what may start and, once nothing is in flight,
 * reports.  Requests delayed by pacing count as in flight, so the fetch is
 * never freed under a pending callback.  Nothing here is durable.
 */
#include "compactd/fetch.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/object_format.h"
#include "common/objstore.h"
#include "compactd/catalog_view.h"
#include "compactd/pace.h"
#include "compactd/plan.h"
#include "compactd/rewrite.h"

/* Bytes read beyond the index in a tail GET, so one GET nearly always
 * holds footer and index together. */
#define FETCH_TAIL_SLACK 4096

struct fetch_obj {
	struct fetch *f;
	const struct cv_object *o;
	struct object_footer foot;
	struct object_index_entry *e; /* the object's own index */
	size_t n;
	unsigned char *need;          /* per entry: read it */
	uint8_t *whole;               /* the object, when read in one GET */
	uint64_t tail_len;            /* bytes the tail GET reads */
};

struct fetch_range {
	struct fetch *f;
	struct fetch_obj *fo;
	size_t first, count;          /* entries of fo, adjacent in the object */
	uint64_t pos, len;
	uint8_t *buf;
};

struct fetch {
	struct event_base *base;
	struct objstore *os;
	struct pace *pace;
	const struct catalog_view *v;
	uint64_t *bytes_read;
	fetch_done_fn done;
	void *arg;
	struct fetch_obj *objs;
	size_t nobj, next_tail, tails_done;
	struct fetch_range *ranges;
	size_t nranges, next_range, ranges_done;
	int ranges_built;
	int inflight;
	int rc;
	int aborted;
	int reported;       /* done was called */
	char error[512];
	struct rewrite_block *blocks;
	size_t nblocks, cap;
};

static void fetch_pump(struct fetch *f);
static int fetch_keep(struct fetch *f, struct fetch_obj *fo, size_t k,
		      const uint8_t *data);

/* Monotonic milliseconds. */
static int64_t fetch_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Records the first failure. */
static void fetch_fail(struct fetch *f, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fetch_fail(struct fetch *f, int rc, const char *fmt, ...)
{
	if (f->rc)
		return;
	f->rc = rc;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->error, sizeof f->error, fmt, ap);
	va_end(ap);
}

/* Marks the entries to read after checking the index against the
 * catalog: every block the catalog lists must be in the object exactly. */
static void fetch_obj_indexed(struct fetch_obj *fo, const uint8_t *index)
{
	struct fetch *f = fo->f;
	const struct cv_object *o = fo->o;
	char why[256];
	if (fo->foot.object_id != o->id) {
		fetch_fail(f, SL_ECORRUPT, "object %016" PRIx64 " names itself %016" PRIx64,
			   o->id, fo->foot.object_id);
		return;
	}
	int rc = object_index_parse(index, fo->foot.index_size, &fo->foot, &fo->e,
				    &fo->n, why, sizeof why);
	if (rc) {
		fetch_fail(f, rc, "object %016" PRIx64 ": %s", o->id, why);
		return;
	}
	fo->need = calloc(fo->n ? fo->n : 1, 1);
	if (!fo->need) {
		fetch_fail(f, SL_ENOMEM, "out of memory");
		return;
	}
	for (size_t k = 0; k < o->block_count; k++) {
		const struct cv_block *b = &o->blocks[k];
		const struct object_index_entry *e =
			object_index_find(fo->e, fo->n, b->stream_id, b->start);
		if (!e || e->stream_id != b->stream_id || e->start_offset != b->start ||
		    e->end_offset != b->end || e->position != b->position ||
		    e->size != b->size || e->block_crc != b->crc) {
			fetch_fail(f, SL_ECORRUPT, "object %016" PRIx64 ": the catalog's block"
				   " [%" PRId64 ", %" PRId64 ") of stream %" PRIu64
				   " is not in its index", o->id, b->start, b->end,
				   b->stream_id);
			return;
		}
		if (!catalog_view_block_dead(f->v, b))
			fo->need[e - fo->e] = 1;
	}
	f->tails_done++;
}

/* An object read in one GET: index it and keep its blocks to read. */
static void fetch_obj_whole(struct fetch_obj *fo, const uint8_t *data,
			    const uint8_t *index)
{
	struct fetch *f = fo->f;
	fo->whole = malloc(fo->o->size ? fo->o->size : 1);
	if (!fo->whole) {
		fetch_fail(f, SL_ENOMEM, "out of memory");
		return;
	}
	memcpy(fo->whole, data, fo->o->size);
	fetch_obj_indexed(fo, fo->whole + (index - data));
	for (size_t k = 0; k < fo->n && !f->rc; k++)
		if (fo->need[k])
			fetch_keep(f, fo, k, fo->whole + fo->e[k].position);
}

/* The index GET (when the tail was too short) finished. */
static void fetch_on_index(void *arg, const struct objstore_result *res)
{
	struct fetch_obj *fo = arg;
	struct fetch *f = fo->f;
	f->inflight--;
	if (res->status)
		fetch_fail(f, SL_EIO, "index of %016" PRIx64 ": %s", fo->o->id, res->error);
	else if (res->len != fo->foot.index_size)
		fetch_fail(f, SL_EIO, "index of %016" PRIx64 ": short read", fo->o->id);
	else {
		*f->bytes_read += res->len;
		if (!f->rc)
			fetch_obj_indexed(fo, res->data);
	}
	fetch_pump(f);
}

/* The tail GET finished: the footer, usually the index too. */
static void fetch_on_tail(void *arg, const struct objstore_result *res)
{
	struct fetch_obj *fo = arg;
	struct fetch *f = fo->f;
	char why[256];
	f->inflight--;
	if (res->status) {
		fetch_fail(f, SL_EIO, "tail of %016" PRIx64 ": %s", fo->o->id, res->error);
	} else if (!f->rc && !f->aborted) {
		*f->bytes_read += res->len;
		int rc = object_footer_parse(res->data, res->len, fo->o->size, &fo->foot,
					     why, sizeof why);
		const uint8_t *index =
			rc ? NULL : object_footer_index_in_tail(&fo->foot, res->data, res->len);
		char key[OBJECT_KEY_MAX];
		if (rc) {
			fetch_fail(f, SL_ECORRUPT, "object %016" PRIx64 ": %s", fo->o->id, why);
		} else if (index && res->len == fo->o->size) {
			fetch_obj_whole(fo, res->data, index);
		} else if (index) {
			fetch_obj_indexed(fo, index);
		} else {
			object_key(fo->o->id, key, sizeof key);
			f->inflight++;
			objstore_get(f->os, key, fo->foot.index_pos, fo->foot.index_size,
				     fetch_on_index, fo);
		}
	}
	fetch_pump(f);
}

/* The receive rate of one GET: the GETs in flight share the pace's rate,
 * so an input does not arrive as one burst either. */
static uint64_t fetch_rate(const struct fetch *f)
{
	return pace_bytes_per_sec(f->pace) / FETCH_INFLIGHT + 1;
}

/* Issues a tail GET (after its pacing delay). */
static void fetch_tail_go(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_obj *fo = arg;
	struct fetch *f = fo->f;
	if (f->rc || f->aborted) {
		f->inflight--;
		fetch_pump(f);
		return;
	}
	char key[OBJECT_KEY_MAX];
	object_key(fo->o->id, key, sizeof key);
	objstore_get_paced(f->os, key, fo->o->size - fo->tail_len, fo->tail_len,
			   fetch_rate(f), fetch_on_tail, fo);
}

/* Issues the tail GET of one input: footer and index, or the whole object
 * when it is small and mostly live. */
static void fetch_tail(struct fetch *f, struct fetch_obj *fo)
{
	const struct cv_object *o = fo->o;
	if (o->size < OBJECT_FOOTER_BYTES) {
		fetch_fail(f, SL_ECORRUPT, "object %016" PRIx64 " is %" PRIu64 " bytes",
			   o->id, o->size);
		return;
	}
	uint64_t len = OBJECT_FOOTER_BYTES + (uint64_t)OBJECT_INDEX_ENTRY_BYTES *
						     o->block_count + FETCH_TAIL_SLACK;
	/* a small object whose data is all needed: one GET instead of two */
	uint64_t live = 0;
	for (size_t k = 0; k < o->block_count; k++)
		if (!catalog_view_block_dead(f->v, &o->blocks[k]))
			live += o->blocks[k].size;
	if (o->size <= FETCH_RANGE_MAX && 2 * live >= o->size)
		len = o->size;
	if (len > o->size)
		len = o->size;
	fo->tail_len = len;
	int64_t delay = pace_delay(f->pace, len, fetch_now_ms());
	struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
	f->inflight++;
	if (delay <= 0 ||
	    event_base_once(f->base, -1, EV_TIMEOUT, fetch_tail_go, fo, &tv) < 0)
		fetch_tail_go(-1, 0, fo);
}

/* Groups the entries to read into ranges of adjacent blocks (objects
 * read whole have theirs already). */
static int fetch_build_ranges(struct fetch *f)
{
	size_t max = 0;
	for (size_t i = 0; i < f->nobj; i++)
		max += f->objs[i].n;
	f->ranges = calloc(max ? max : 1, sizeof *f->ranges);
	if (!f->ranges)
		return SL_ENOMEM;
	for (size_t i = 0; i < f->nobj; i++) {
		struct fetch_obj *fo = &f->objs[i];
		struct fetch_range *r = NULL;
		if (fo->whole)
			continue;
		for (size_t k = 0; k < fo->n; k++) {
			const struct object_index_entry *e = &fo->e[k];
			if (!fo->need[k]) {
				r = NULL;
				continue;
			}
			if (r && r->pos + r->len == e->position &&
			    r->len + e->size <= FETCH_RANGE_MAX) {
				r->count++;
				r->len += e->size;
				continue;
			}
			r = &f->ranges[f->nranges++];
			*r = (struct fetch_range){f, fo, k, 1, e->position, e->size, NULL};
		}
	}
	f->ranges_built = 1;
	return 0;
}

/* Verifies entry k of fo, whose bytes are at data, and keeps it.
 * Returns 0 or -1 after recording the failure. */
static int fetch_keep(struct fetch *f, struct fetch_obj *fo, size_t k,
		      const uint8_t *data)
{
	const struct object_index_entry *e = &fo->e[k];
	char why[256];
	if (object_block_verify(e, data, e->size, why, sizeof why)) {
		fetch_fail(f, SL_ECORRUPT, "object %016" PRIx64 " block at %" PRIu64 ": %s",
			   fo->o->id, e->position, why);
		return -1;
	}
	if (f->nblocks == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;
		struct rewrite_block *b = realloc(f->blocks, cap * sizeof *b);
		if (!b) {
			fetch_fail(f, SL_ENOMEM, "out of memory");
			return -1;
		}
		f->blocks = b;
		f->cap = cap;
	}
	f->blocks[f->nblocks++] = (struct rewrite_block){fo->o->id, *e, data};
	return 0;
}

/* A range GET finished: verify each block, keep the bytes. */
static void fetch_on_range(void *arg, const struct objstore_result *res)
{
	struct fetch_range *r = arg;
	struct fetch *f = r->f;
	const struct cv_object *o = r->fo->o;
	f->inflight--;
	if (res->status) {
		fetch_fail(f, SL_EIO, "blocks of %016" PRIx64 " at %" PRIu64 ": %s", o->id,
			   r->pos, res->error);
	} else if (res->len != r->len) {
		fetch_fail(f, SL_EIO, "blocks of %016" PRIx64 " at %" PRIu64 ": short read",
			   o->id, r->pos);
	} else if (!f->rc && !f->aborted) {
		*f->bytes_read += res->len;
		r->buf = malloc(r->len);
		if (!r->buf)
			fetch_fail(f, SL_ENOMEM, "out of memory");
		else
			memcpy(r->buf, res->data, r->len);
		for (size_t k = r->first; r->buf && k < r->first + r->count && !f->rc; k++)
			fetch_keep(f, r->fo, k, r->buf + (r->fo->e[k].position - r->pos));
		f->ranges_done++;
	}
	fetch_pump(f);
}

/* Issues a range GET (after its pacing delay). */
static void fetch_range_go(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_range *r = arg;
	struct fetch *f = r->f;
	if (f->rc || f->aborted) {
		f->inflight--;
		fetch_pump(f);
		return;
	}
	char key[OBJECT_KEY_MAX];
	object_key(r->fo->o->id, key, sizeof key);
	objstore_get_paced(f->os, key, r->pos, r->len, fetch_rate(f), fetch_on_range, r);
}

/* Issues the tails, then the ranges, as far as FETCH_INFLIGHT allows. */
static void fetch_issue(struct fetch *f)
{
	while (f->next_tail < f->nobj && f->inflight < FETCH_INFLIGHT && !f->rc)
		fetch_tail(f, &f->objs[f->next_tail++]);
	if (f->rc || f->tails_done < f->nobj)
		return;
	if (!f->ranges_built && fetch_build_ranges(f)) {
		fetch_fail(f, SL_ENOMEM, "out of memory");
		return;
	}
	while (f->next_range < f->nranges && f->inflight < FETCH_INFLIGHT) {
		struct fetch_range *r = &f->ranges[f->next_range++];
		int64_t delay = pace_delay(f->pace, r->len, fetch_now_ms());
		f->inflight++;
		struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
		if (delay <= 0 ||
		    event_base_once(f->base, -1, EV_TIMEOUT, fetch_range_go, r, &tv) < 0)
			fetch_range_go(-1, 0, r);
	}
}

/* Starts what may start; once nothing is in flight, reports (once). */
static void fetch_pump(struct fetch *f)
{
	if (!f->rc && !f->aborted)
		fetch_issue(f);
	if (f->inflight || f->reported)
		return;
	if (!f->rc && !f->aborted &&
	    !(f->ranges_built && f->ranges_done == f->nranges))
		return;
	f->reported = 1;
	if (f->rc || f->aborted)
		f->done(f->arg, f->rc ? f->rc : SL_ECANCELED,
			f->rc ? f->error : "abandoned", NULL, 0);
	else
		f->done(f->arg, 0, NULL, f->blocks, f->nblocks);
}

/* The first pump, from the loop: done never runs inside fetch_start. */
static void fetch_kick(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;
	f->inflight--;
	fetch_pump(f);
}

struct fetch *fetch_start(struct event_base *base, struct objstore *os,
			  struct pace *pace, const struct catalog_view *v,
			  const struct rewrite *r, uint64_t *bytes_read,
			  fetch_done_fn done, void *arg)
{
	struct fetch *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	*f = (struct fetch){.base = base, .os = os, .pace = pace, .v = v,
			    .bytes_read = bytes_read, .done = done, .arg = arg};
	f->objs = calloc(r->input_count ? r->input_count : 1, sizeof *f->objs);
	if (!f->objs) {
		free(f);
		return NULL;
	}
	for (size_t i = 0; i < r->input_count; i++) {
		const struct cv_object *o = catalog_view_object(v, r->inputs[i]);
		SL_ASSERT(o);
		f->objs[f->nobj++] = (struct fetch_obj){.f = f, .o = o};
	}
	struct timeval now = {0, 0};
	f->inflight = 1;
	if (event_base_once(base, -1, EV_TIMEOUT, fetch_kick, f, &now) < 0) {
		fetch_free(f);
		return NULL;
	}
	return f;
}

void fetch_abort(struct fetch *f)
{
	f->aborted = 1;
}

void fetch_free(struct fetch *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nobj; i++) {
		free(f->objs[i].e);
		free(f->objs[i].need);
		free(f->objs[i].whole);
	}
	for (size_t i = 0; i < f->nranges; i++)
		free(f->ranges[i].buf);
	free(f->objs);
	free(f->ranges);
	free(f->blocks);
	free(f);
}
