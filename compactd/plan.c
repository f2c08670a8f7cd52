/*
 * The compaction planner (rules and bounds in plan.h).  A pure function of
 * the catalog view and the settings: no I/O, no clock (brokerd's now_ms
 * comes in the view), so the unit tests drive it with made-up catalogs.
 * The plan owns its arrays; plan_free releases them.
 */
#include "compactd/plan.h"

#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/object_format.h"
#include "compactd/catalog_view.h"

/* Planning state of one live object (parallel to v->objects). */
struct plan_obj {
	uint64_t live_bytes, dead_bytes;
	int live;    /* not retired */
	int taken;   /* claimed by a rewrite of this run */
	int listed;  /* in the list plan_stream_objects is building */
};

struct plan_state {
	const struct catalog_view *v;
	const struct plan_params *p;
	struct plan_obj *po;
	uint64_t rewrite_max;
	uint64_t run_bytes;   /* input bytes of the rewrites planned so far */
	uint64_t fill_bytes;  /* those of fills */
	size_t run_objects;   /* their inputs, expiry aside */
	struct plan *out;
	size_t out_cap;
	/* the rewrite being assembled */
	uint64_t *in;
	size_t in_count, in_cap;
	uint64_t in_bytes;
};

/* The planning state of object o. */
static struct plan_obj *plan_po(struct plan_state *st, const struct cv_object *o)
{
	return &st->po[o - st->v->objects];
}

/* Whether one more input of bytes fits the rewrite being assembled and
 * the run's budget.  The run's first input always fits. */
static int plan_fits(const struct plan_state *st, uint64_t bytes)
{
	if (st->run_objects == 0 && st->in_count == 0)
		return 1;
	if (st->run_objects + st->in_count + 1 > st->p->max_objects)
		return 0;
	if (st->run_bytes + st->in_bytes + bytes > st->p->budget_bytes)
		return 0;
	return st->in_count == 0 || st->in_bytes + bytes <= st->rewrite_max;
}

/* Whether a whole rewrite of objects inputs and bytes fits what is left
 * of the run's budget; an empty run takes any one rewrite. */
static int plan_run_fits(const struct plan_state *st, size_t objects,
			 uint64_t bytes)
{
	return st->run_objects == 0 ||
	       (st->run_objects + objects <= st->p->max_objects &&
		st->run_bytes + bytes <= st->p->budget_bytes);
}

/* Full size: per-stream objects of at least this never merge for size. */
static uint64_t plan_full_bytes(const struct plan_params *p)
{
	return p->target_bytes / 2;
}

/* Adds object o to the rewrite being assembled. */
static int plan_take(struct plan_state *st, const struct cv_object *o)
{
	if (st->in_count == st->in_cap) {
		size_t cap = st->in_cap ? 2 * st->in_cap : 16;
		uint64_t *n = realloc(st->in, cap * sizeof *n);
		if (!n)
			return SL_ENOMEM;
		st->in = n;
		st->in_cap = cap;
	}
	st->in[st->in_count++] = o->id;
	st->in_bytes += plan_po(st, o)->live_bytes;
	plan_po(st, o)->taken = 1;
	return 0;
}

/* Gives back the objects of an abandoned rewrite. */
static void plan_untake(struct plan_state *st)
{
	for (size_t i = 0; i < st->in_count; i++)
		plan_po(st, catalog_view_object(st->v, st->in[i]))->taken = 0;
	st->in_count = 0;
	st->in_bytes = 0;
}

/* Turns the assembled inputs into a rewrite of the plan. */
static int plan_emit(struct plan_state *st, enum rewrite_kind kind,
		     uint64_t stream_id, struct rewrite **made)
{
	if (st->out->count == st->out_cap) {
		size_t cap = st->out_cap ? 2 * st->out_cap : 8;
		struct rewrite *n = realloc(st->out->rewrites, cap * sizeof *n);
		if (!n)
			return SL_ENOMEM;
		st->out->rewrites = n;
		st->out_cap = cap;
	}
	uint64_t *in = malloc(st->in_count * sizeof *in);
	if (!in)
		return SL_ENOMEM;
	memcpy(in, st->in, st->in_count * sizeof *in);
	struct rewrite *r = &st->out->rewrites[st->out->count++];
	*r = (struct rewrite){.kind = kind, .inputs = in,
			      .input_count = st->in_count,
			      .stream_id = stream_id,
			      .input_bytes = st->in_bytes};
	if (kind != REWRITE_EXPIRE) {
		st->run_bytes += st->in_bytes;
		st->run_objects += st->in_count;
	}
	st->in_count = 0;
	st->in_bytes = 0;
	if (made)
		*made = r;
	return 0;
}

/* Rule "expire": live objects with nothing live in them. */
static int plan_expire(struct plan_state *st)
{
	const struct catalog_view *v = st->v;
	for (size_t i = 0; i < v->object_count; i++) {
		const struct cv_object *o = &v->objects[i];
		struct plan_obj *po = &st->po[i];
		if (!po->live || po->live_bytes > 0)
			continue;
		int rc = plan_take(st, o);
		if (!rc && st->in_count == PLAN_EXPIRE_MAX)
			rc = plan_emit(st, REWRITE_EXPIRE, 0, NULL);
		if (rc)
			return rc;
	}
	return st->in_count ? plan_emit(st, REWRITE_EXPIRE, 0, NULL) : 0;
}

/* The live per-stream (flags 0) objects of a stream in offset order of
 * their first block, not yet taken, each once (*n of them, in a malloc'd
 * array; NULL with *n 0 if none).  Objects can interleave (a rewrite whose
 * inputs had a gap writes an object with a gap that another one fills), so
 * an object's later blocks must not list it again: a rewrite would read
 * its blocks twice and refuse them as overlapping. */
static int plan_stream_objects(struct plan_state *st, uint64_t stream_id,
			       const struct cv_object ***out, size_t *n)
{
	size_t nref;
	const struct cv_ref *refs = catalog_view_stream_blocks(st->v, stream_id, &nref);
	*out = NULL;
	*n = 0;
	if (!nref)
		return 0;
	const struct cv_object **list = malloc(nref * sizeof *list);
	if (!list)
		return SL_ENOMEM;
	for (size_t i = 0; i < nref; i++) {
		const struct cv_object *o = refs[i].obj;
		if ((o->flags & OBJECT_FLAG_STREAM_SET) || plan_po(st, o)->taken ||
		    plan_po(st, o)->listed)
			continue;
		plan_po(st, o)->listed = 1;
		list[(*n)++] = o;
	}
	for (size_t i = 0; i < *n; i++)
		plan_po(st, list[i])->listed = 0;
	*out = list;
	return 0;
}

/* Latest time a compacted stream's records in o may still be protected
 * from removal (min.compaction.lag.ms, delete.retention.ms for tombstones):
 * the largest max timestamp of its blocks plus the longer of the two. */
static int64_t plan_compact_horizon(const struct cv_stream *s,
				    const struct cv_object *o)
{
	int64_t ts = INT64_MIN;
	for (size_t k = 0; k < o->block_count; k++)
		if (o->blocks[k].stream_id == s->id && o->blocks[k].max_timestamp > ts)
			ts = o->blocks[k].max_timestamp;
	int64_t hold = s->delete_retention_ms > s->min_compaction_lag_ms
			       ? s->delete_retention_ms
			       : s->min_compaction_lag_ms;
	if (ts == INT64_MIN || hold < 0 || ts > INT64_MAX - hold)
		return INT64_MAX;
	return ts + hold;
}

/* Whether o holds records of a compacted stream that were protected when
 * o was written and no longer are: one more pass can drop them. */
static int plan_compact_due(const struct catalog_view *v, const struct cv_object *o)
{
	for (size_t k = 0; k < o->block_count; k++) {
		const struct cv_stream *s = catalog_view_stream(v, o->blocks[k].stream_id);
		if (!s || s->deleted || !(s->policy & CV_POLICY_COMPACT))
			continue;
		int64_t h = plan_compact_horizon(s, o);
		if (o->created_ms < h && h <= v->now_ms)
			return 1;
	}
	return 0;
}

/* Orders candidate objects oldest first (then by id). */
static int plan_age_cmp(const void *a, const void *b)
{
	const struct cv_object *x = *(const struct cv_object *const *)a;
	const struct cv_object *y = *(const struct cv_object *const *)b;
	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Orders stream ids. */
static int plan_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Whether a stream-set object is small: it merges with others whatever
 * else holds (rule "stream set"). */
static int plan_small(const struct plan_state *st, const struct cv_object *o)
{
	return o->size < st->p->small_bytes;
}

/* The streams to split out of stream-set objects (ascending ids, *n). */
static int plan_split_streams(struct plan_state *st, uint64_t **out, size_t *n)
{
	const struct catalog_view *v = st->v;
	uint64_t *ids = malloc((v->ref_count ? v->ref_count : 1) * sizeof *ids);
	if (!ids)
		return SL_ENOMEM;
	*n = 0;
	for (size_t i = 0; i < v->ref_count;) {
		uint64_t sid = v->refs[i].blk->stream_id;
		const struct cv_stream *s = catalog_view_stream(v, sid);
		uint64_t bytes = 0;
		size_t objects = 0;
		const struct cv_object *prev = NULL;
		for (; i < v->ref_count && v->refs[i].blk->stream_id == sid; i++) {
			const struct cv_ref *r = &v->refs[i];
			if (!(r->obj->flags & OBJECT_FLAG_STREAM_SET) ||
			    plan_po(st, r->obj)->taken || catalog_view_block_dead(v, r->blk))
				continue;
			bytes += r->blk->size;
			/* small objects merge this run instead */
			if (r->obj != prev && !plan_small(st, r->obj))
				objects++;
			prev = r->obj;
		}
		if (s && !s->deleted &&
		    (bytes >= st->p->split_bytes || objects > PLAN_SPLIT_OBJECTS))
			ids[(*n)++] = sid;
	}
	*out = ids;
	return 0;
}

/* Why a stream-set object should be rewritten: bit 1 small, 2 holds a
 * stream to split, 4 a quarter dead or due for another compaction pass. */
static int plan_sso_reasons(struct plan_state *st, const struct cv_object *o,
			    const uint64_t *split, size_t nsplit)
{
	const struct plan_obj *po = plan_po(st, o);
	int why = 0;
	if (plan_small(st, o))
		why |= 1;
	for (size_t k = 0; k < o->block_count && !(why & 2); k++)
		if (bsearch(&o->blocks[k].stream_id, split, nsplit, sizeof *split,
			    plan_u64_cmp) &&
		    !catalog_view_block_dead(st->v, &o->blocks[k]))
			why |= 2;
	if (po->dead_bytes * 4 >= po->live_bytes + po->dead_bytes ||
	    plan_compact_due(st->v, o))
		why |= 4;
	return why;
}

/* A stream-set object worth rewriting and why (plan_sso_reasons). */
struct plan_cand {
	const struct cv_object *obj;
	int why;
};

/* Orders candidates oldest first (then by id). */
static int plan_cand_cmp(const void *a, const void *b)
{
	const struct plan_cand *x = a, *y = b;
	return plan_age_cmp(&x->obj, &y->obj);
}

/* A stream's live bytes in the rewrite being assembled. */
struct plan_share {
	uint64_t stream_id, bytes;
};

/* Orders shares by stream. */
static int plan_share_cmp(const void *a, const void *b)
{
	const struct plan_share *x = a, *y = b;
	return (x->stream_id > y->stream_id) - (x->stream_id < y->stream_id);
}

/* The streams the rewrite being assembled splits out (ascending, *m): the
 * run's split streams its inputs hold, and any stream with a piece's worth
 * of live bytes in its inputs (that piece goes straight to the fill merges
 * instead of into another stream-set object first).  NULL if out of
 * memory. */
static uint64_t *plan_split_of(struct plan_state *st, const uint64_t *split,
			       size_t nsplit, size_t *m)
{
	size_t nblocks = 0;
	for (size_t j = 0; j < st->in_count; j++)
		nblocks += catalog_view_object(st->v, st->in[j])->block_count;
	struct plan_share *sh = malloc((nblocks ? nblocks : 1) * sizeof *sh);
	uint64_t *in_split = malloc((nblocks ? nblocks : 1) * sizeof *in_split);
	*m = 0;
	if (!sh || !in_split) {
		free(sh);
		free(in_split);
		return NULL;
	}
	size_t n = 0;
	for (size_t j = 0; j < st->in_count; j++) {
		const struct cv_object *o = catalog_view_object(st->v, st->in[j]);
		for (size_t b = 0; b < o->block_count; b++)
			sh[n++] = (struct plan_share){o->blocks[b].stream_id,
				catalog_view_block_dead(st->v, &o->blocks[b])
					? 0 : o->blocks[b].size};
	}
	qsort(sh, n, sizeof *sh, plan_share_cmp);
	uint64_t piece = plan_piece_bytes(st->p);
	for (size_t i = 0; i < n;) {
		uint64_t sid = sh[i].stream_id, bytes = 0;
		for (; i < n && sh[i].stream_id == sid; i++)
			bytes += sh[i].bytes;
		const struct cv_stream *s = catalog_view_stream(st->v, sid);
		if (bytes >= piece && s && !s->deleted)
			in_split[(*m)++] = sid;
		else if (bsearch(&sid, split, nsplit, sizeof *split, plan_u64_cmp))
			in_split[(*m)++] = sid;
	}
	free(sh);
	return in_split;
}

/* Rule "stream set": see plan.h.  Candidates go oldest first into
 * rewrites as large as the caps allow; a rewrite of one object that is
 * only small is dropped (it has nothing to merge with). */
static int plan_stream_sets(struct plan_state *st)
{
	const struct catalog_view *v = st->v;
	uint64_t *split = NULL;
	size_t nsplit = 0, n = 0;
	struct plan_cand *cand = malloc((v->object_count ? v->object_count : 1) *
					sizeof *cand);
	int rc = cand ? plan_split_streams(st, &split, &nsplit) : SL_ENOMEM;
	for (size_t i = 0; !rc && i < v->object_count; i++) {
		const struct cv_object *o = &v->objects[i];
		if (!(o->flags & OBJECT_FLAG_STREAM_SET) || !st->po[i].live ||
		    st->po[i].taken)
			continue;
		int why = plan_sso_reasons(st, o, split, nsplit);
		if (why)
			cand[n++] = (struct plan_cand){o, why};
	}
	if (!rc)
		qsort(cand, n, sizeof *cand, plan_cand_cmp);
	size_t next = 0;
	while (!rc && next < n) {
		int need = 0;
		size_t i = next;
		for (; i < n && plan_fits(st, plan_po(st, cand[i].obj)->live_bytes); i++) {
			rc = plan_take(st, cand[i].obj);
			if (rc)
				break;
			need |= cand[i].why & ~1;
		}
		if (rc || st->in_count == 0)
			break;
		next = i;
		if (st->in_count == 1 && !need) {
			plan_untake(st);
			continue;
		}
		size_t m;
		uint64_t *in_split = plan_split_of(st, split, nsplit, &m);
		struct rewrite *r;
		rc = in_split ? plan_emit(st, REWRITE_STREAM_SET, 0, &r) : SL_ENOMEM;
		if (rc) {
			free(in_split);
			break;
		}
		r->split = in_split;
		r->split_count = m;
	}
	free(split);
	free(cand);
	return rc;
}

/* Rule "clean" for one compacted stream. */
static int plan_clean(struct plan_state *st, const struct cv_stream *s)
{
	const struct cv_object **list;
	size_t n;
	int rc = plan_stream_objects(st, s->id, &list, &n);
	if (rc || n == 0) {
		free(list);
		return rc;
	}
	uint64_t first = plan_po(st, list[0])->live_bytes, rest = 0;
	int due = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			rest += plan_po(st, list[i])->live_bytes;
		due |= plan_compact_due(st->v, list[i]) ||
		       plan_po(st, list[i])->dead_bytes > 0;
	}
	/* all of the stream's objects or none: a clean of a prefix would make
	 * the rest look dirty again at the next run.  The per-rewrite cap does
	 * not apply (a compacted partition is bounded by its keys), the run's
	 * budget does. */
	int fits = plan_run_fits(st, n, first + rest);
	if (((n >= 2 && (2 * rest >= first || n > PLAN_FANIN)) || due) && fits) {
		for (size_t i = 0; i < n && !rc; i++)
			rc = plan_take(st, list[i]);
		if (!rc)
			rc = plan_emit(st, REWRITE_CLEAN, s->id, NULL);
	}
	free(list);
	return rc;
}

/* The size class of a per-stream object of bytes: PLAN_CLASS_FULL (never
 * merged for size), PLAN_CLASS_PIECE (waits for a fill), or a tier below
 * the piece size, 0 for the largest, up to PLAN_TIERS - 1. */
#define PLAN_CLASS_FULL (-1)
#define PLAN_CLASS_PIECE (-2)
static int plan_size_class(const struct plan_state *st, uint64_t bytes)
{
	uint64_t piece = plan_piece_bytes(st->p);
	if (bytes >= plan_full_bytes(st->p))
		return PLAN_CLASS_FULL;
	if (bytes >= piece)
		return PLAN_CLASS_PIECE;
	int t = 0;
	for (uint64_t thr = piece / PLAN_FANIN; bytes < thr && t < PLAN_TIERS - 1;
	     thr /= PLAN_FANIN)
		t++;
	return t;
}

/* Takes objects list[a..b) as one MERGE rewrite of stream id, as far as
 * they fit; a merge of fewer than two (except to reclaim) is dropped. */
static int plan_merge_range(struct plan_state *st, uint64_t id,
			    const struct cv_object **list, size_t a, size_t b,
			    int reclaim)
{
	int rc = 0;
	for (size_t i = a; i < b && !rc; i++) {
		if (!plan_fits(st, plan_po(st, list[i])->live_bytes))
			break;
		rc = plan_take(st, list[i]);
	}
	if (rc)
		return rc;
	if (st->in_count < 2 && !(reclaim && st->in_count == 1)) {
		plan_untake(st);
		return 0;
	}
	return plan_emit(st, REWRITE_MERGE, id, NULL);
}

/* Takes pieces list[a..b) as one fill, all of them or none: a fill cut
 * short by the run's budget would write a piece that the next fill
 * rewrites.  Only a run's first rewrite may be cut, when the whole budget
 * is below one fill (plan_fits: compaction must still progress).  Fills
 * are never urgent (waiting pieces are within the bound), so a run spends
 * at most budget / PLAN_FILL_SHARE on them, one fill at least: partitions
 * that fill in step (equal rates, split together) spread over runs
 * instead of keeping compactd at its pace until all have filled. */
static int plan_fill(struct plan_state *st, uint64_t id,
		     const struct cv_object **list, size_t a, size_t b)
{
	uint64_t bytes = 0;
	for (size_t i = a; i < b; i++)
		bytes += plan_po(st, list[i])->live_bytes;
	if (!plan_run_fits(st, b - a, bytes))
		return 0;
	if (st->fill_bytes > 0 &&
	    st->fill_bytes + bytes > st->p->budget_bytes / PLAN_FILL_SHARE)
		return 0;
	size_t before = st->out->count;
	int rc = plan_merge_range(st, id, list, a, b, 0);
	if (!rc && st->out->count > before)
		st->fill_bytes += bytes;
	return rc;
}

/* Rule "merge" for one stream that is not compacted. */
static int plan_merge(struct plan_state *st, uint64_t id)
{
	const struct cv_object **list;
	size_t n;
	int rc = plan_stream_objects(st, id, &list, &n);
	if (rc || n == 0) {
		free(list);
		return rc;
	}
	/* reclaim: an object a quarter dead, alone */
	for (size_t i = 0; i < n; i++) {
		const struct plan_obj *po = plan_po(st, list[i]);
		if (po->dead_bytes * 4 >= po->live_bytes + po->dead_bytes) {
			rc = plan_merge_range(st, id, list, i, i + 1, 1);
			free(list);
			return rc;
		}
	}
	/* fill: a run of adjacent pieces merges as soon as it holds full
	 * bytes (into one object of full to target bytes; PLAN_FILL_MAX
	 * pieces at most, as each is at least full / PLAN_FILL_MAX) */
	uint64_t full = plan_full_bytes(st->p);
	for (size_t i = 0; i < n;) {
		if (plan_size_class(st, plan_po(st, list[i])->live_bytes) != PLAN_CLASS_PIECE) {
			i++;
			continue;
		}
		uint64_t sum = 0;
		size_t j = i;
		while (j < n && sum < full &&
		       plan_size_class(st, plan_po(st, list[j])->live_bytes) == PLAN_CLASS_PIECE)
			sum += plan_po(st, list[j++])->live_bytes;
		if (sum >= full) {
			rc = plan_fill(st, id, list, i, j);
			free(list);
			return rc;
		}
		i = j; /* the run of pieces ended below full size */
	}
	/* tiers: PLAN_FANIN adjacent objects of one tier below the pieces */
	size_t nonfull = 0;
	for (size_t i = 0; i < n;) {
		int t = plan_size_class(st, plan_po(st, list[i])->live_bytes);
		size_t j = i + 1;
		while (j < n && plan_size_class(st, plan_po(st, list[j])->live_bytes) == t)
			j++;
		if (t != PLAN_CLASS_FULL)
			nonfull += j - i;
		if (t >= 0 && j - i >= PLAN_FANIN) {
			size_t end = j - i > 2 * PLAN_FANIN ? i + 2 * PLAN_FANIN : j;
			rc = plan_merge_range(st, id, list, i, end, 0);
			free(list);
			return rc;
		}
		i = j;
	}
	/* fallback bound: the lightest PLAN_FANIN adjacent non-full objects */
	if (nonfull > PLAN_NONFULL_MAX) {
		size_t best = n;
		uint64_t best_bytes = UINT64_MAX;
		for (size_t i = 0; i + PLAN_FANIN <= n; i++) {
			uint64_t sum = 0;
			size_t k = 0;
			for (; k < PLAN_FANIN; k++) {
				uint64_t b = plan_po(st, list[i + k])->live_bytes;
				if (plan_size_class(st, b) == PLAN_CLASS_FULL)
					break;
				sum += b;
			}
			if (k == PLAN_FANIN && sum < best_bytes) {
				best = i;
				best_bytes = sum;
			}
		}
		if (best < n)
			rc = plan_merge_range(st, id, list, best, best + PLAN_FANIN, 0);
	}
	free(list);
	return rc;
}

int plan_build(const struct catalog_view *v, const struct plan_params *p,
	       struct plan *out)
{
	memset(out, 0, sizeof *out);
	struct plan_state st = {.v = v, .p = p, .out = out};
	st.rewrite_max = 2 * p->target_bytes;
	st.po = calloc(v->object_count ? v->object_count : 1, sizeof *st.po);
	if (!st.po)
		return SL_ENOMEM;
	for (size_t i = 0; i < v->object_count; i++) {
		const struct cv_object *o = &v->objects[i];
		st.po[i].live = o->retired_ms < 0;
		for (size_t k = 0; k < o->block_count; k++) {
			if (catalog_view_block_dead(v, &o->blocks[k]))
				st.po[i].dead_bytes += o->blocks[k].size;
			else
				st.po[i].live_bytes += o->blocks[k].size;
		}
	}
	int rc = plan_expire(&st);
	if (!rc)
		rc = plan_stream_sets(&st);
	for (size_t i = 0; !rc && i < v->stream_count; i++) {
		const struct cv_stream *s = &v->streams[i];
		if (s->deleted)
			continue;
		if (s->policy & CV_POLICY_COMPACT)
			rc = plan_clean(&st, s);
		else
			rc = plan_merge(&st, s->id);
	}
	free(st.po);
	free(st.in);
	if (rc)
		plan_free(out);
	return rc;
}

uint64_t plan_piece_bytes(const struct plan_params *p)
{
	return plan_full_bytes(p) / PLAN_FILL_MAX;
}

int plan_rewrite_splits(const struct rewrite *r, uint64_t stream_id)
{
	if (r->kind != REWRITE_STREAM_SET)
		return 1;
	if (r->split_count == 0)
		return 0;
	return bsearch(&stream_id, r->split, r->split_count, sizeof stream_id,
		       plan_u64_cmp) != NULL;
}

const char *plan_kind_name(enum rewrite_kind kind)
{
	switch (kind) {
	case REWRITE_EXPIRE:
		return "expire";
	case REWRITE_STREAM_SET:
		return "stream-set";
	case REWRITE_CLEAN:
		return "clean";
	case REWRITE_MERGE:
		return "merge";
	}
	return "?";
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->count; i++) {
		free(p->rewrites[i].inputs);
		free(p->rewrites[i].split);
	}
	free(p->rewrites);
	memset(p, 0, sizeof *p);
}
