/*
 * The outputs of one rewrite from its input blocks (see rewrite.h).  Pure
 * and single-threaded: block bytes come in, finished objects go out; the
 * caller (run.c) does the GETs before and the PUTs after.  Every output is
 * verified whole (object_verify) before it is handed out, because once
 * committed it is the only copy of its records.
 */
#include "compactd/rewrite.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/errors.h"
#include "common/object_json.h"
#include "compactd/catalog_view.h"
#include "compactd/keymap.h"
#include "compactd/plan.h"

/* An output being filled. */
struct rw_out {
	struct object_builder *b;
	uint64_t id;
	uint16_t flags;
};

struct rw_state {
	const struct catalog_view *v;
	const struct rewrite *r;
	const struct rewrite_params *p;
	struct rewrite_result *res;
	struct rw_out sso, ps; /* the open stream-set and per-stream outputs */
	uint64_t cut_bytes;
	uint64_t *inputs;      /* sorted ids, for the compacted prefix */
	char *err;
	size_t errlen;
};

/* Formats a failure into the caller's err and returns rc. */
static int rw_fail(struct rw_state *st, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int rw_fail(struct rw_state *st, int rc, const char *fmt, ...)
{
	if (st->err && st->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(st->err, st->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Orders input blocks by stream and offset. */
static int rw_block_cmp(const void *a, const void *b)
{
	const struct rewrite_block *x = a, *y = b;
	if (x->entry.stream_id != y->entry.stream_id)
		return x->entry.stream_id < y->entry.stream_id ? -1 : 1;
	return (x->entry.start_offset > y->entry.start_offset) -
	       (x->entry.start_offset < y->entry.start_offset);
}

/* Orders ids. */
static int rw_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Closes an output: finishes, verifies and lists it (nothing when it
 * holds no batch). */
static int rw_finish(struct rw_state *st, struct rw_out *o)
{
	if (!o->b)
		return 0;
	struct object_builder *b = o->b;
	o->b = NULL;
	size_t batches = object_builder_batch_count(b);
	struct rewrite_output out = {.id = o->id, .flags = o->flags, .batches = batches};
	int rc = batches ? object_builder_finish(b, &out.bytes, &out.len) : 0;
	object_builder_free(b);
	if (rc || !batches)
		return rc;
	struct rewrite_result *res = st->res;
	char why[256];
	rc = object_verify(out.bytes, out.len, why, sizeof why);
	if (rc) {
		free(out.bytes);
		return rw_fail(st, rc, "output %016" PRIx64 " does not verify: %s",
			       out.id, why);
	}
	out.blocks = object_json_blocks(out.bytes, out.len, why, sizeof why);
	if (out.blocks && res->count == res->cap) {
		size_t cap = res->cap ? 2 * res->cap : 4;
		struct rewrite_output *v = realloc(res->outputs, cap * sizeof *v);
		if (v) {
			res->outputs = v;
			res->cap = cap;
		}
	}
	if (!out.blocks || res->count == res->cap) {
		free(out.bytes);
		json_decref(out.blocks);
		return SL_ENOMEM;
	}
	res->outputs[res->count++] = out;
	res->bytes_out += out.len;
	res->batches_out += batches;
	return 0;
}

/* Appends one batch of stream sid to output o, cutting the object near
 * the target and a block where the inputs have a gap (*cut). */
static int rw_add(struct rw_state *st, struct rw_out *o, uint16_t flags,
		  uint64_t sid, const uint8_t *batch, size_t len, int *cut)
{
	int rc;
	if (o->b && object_builder_batch_count(o->b) &&
	    object_builder_size(o->b) + len > st->cut_bytes &&
	    (rc = rw_finish(st, o)))
		return rc;
	if (!o->b) {
		o->id = st->p->new_id(st->p->id_arg);
		o->flags = flags;
		o->b = object_builder_new(o->id, flags, 0);
		if (!o->b)
			return SL_ENOMEM;
	}
	if (*cut)
		object_builder_cut(o->b);
	*cut = 0;
	rc = object_builder_add(o->b, sid, batch, len);
	if (rc)
		return rw_fail(st, rc, "stream %" PRIu64 ": batch at %" PRId64
			       " not accepted: %s", sid,
			       len >= 8 ? (int64_t)be64_get(batch) : -1,
			       sl_error_name(rc));
	return 0;
}

/* The compaction settings of stream s in this rewrite. */
static void rw_compacted_params(struct rw_state *st, const struct cv_stream *s,
				struct compacted_params *cp)
{
	size_t n;
	const struct cv_ref *refs = catalog_view_stream_blocks(st->v, s->id, &n);
	*cp = (struct compacted_params){
		.now_ms = st->p->now_ms,
		.min_compaction_lag_ms = s->min_compaction_lag_ms,
		.delete_retention_ms = s->delete_retention_ms,
		.prefix_end = INT64_MIN,
		.last_batch_end = n ? refs[n - 1].blk->end : INT64_MIN,
	};
	/* tombstones may go up to where the first live block not in this
	 * rewrite starts: all the older data is here */
	for (size_t i = 0; i < n; i++) {
		if (catalog_view_block_dead(st->v, refs[i].blk))
			continue;
		if (!bsearch(&refs[i].obj->id, st->inputs, st->r->input_count,
			     sizeof *st->inputs, rw_u64_cmp))
			break;
		cp->prefix_end = refs[i].blk->end;
	}
}

/* Runs fn over each batch of blocks[a..b) at or above the log start. */
static int rw_each_batch(struct rw_state *st, struct rewrite_block *blocks,
			 size_t a, size_t b, int64_t log_start,
			 int (*fn)(struct rw_state *st, void *arg, size_t blk,
				   const struct object_batch *ob),
			 void *arg)
{
	for (size_t i = a; i < b; i++) {
		struct object_batch_iter it;
		struct object_batch ob;
		int rc;
		object_batch_iter_init(&it, blocks[i].data, blocks[i].entry.size);
		while ((rc = object_batch_iter_next(&it, &ob)) == 1) {
			if (ob.base_offset + ob.last_offset_delta + 1 <= log_start)
				continue;
			if ((rc = fn(st, arg, i, &ob)))
				return rc;
		}
		if (rc < 0)
			return rw_fail(st, SL_ECORRUPT, "object %016" PRIx64
				       " block at %" PRIu64 ": batches do not parse",
				       blocks[i].object_id, blocks[i].entry.position);
	}
	return 0;
}

/* Pass 1 of a compacted stream: its keys. */
static int rw_scan(struct rw_state *st, void *arg, size_t blk,
		   const struct object_batch *ob)
{
	int rc = compacted_scan(arg, ob->data, ob->len);
	return rc ? rw_fail(st, rc, "batch at %" PRId64 ": records unreadable",
			    ob->base_offset) : 0;
}

/* Where one stream's batches go in pass 2. */
struct rw_stream {
	const struct rewrite_block *blocks;
	struct rw_out *out;
	uint16_t flags;
	uint64_t sid;
	struct keymap *keys;            /* compacted streams only */
	struct compacted_params cp;
	int64_t prev_end;               /* end of the previous input block */
	size_t prev_blk;
	int cut;
};

/* Pass 2: one batch into its output (filtered when compacted). */
static int rw_copy(struct rw_state *st, void *arg, size_t blk,
		   const struct object_batch *ob)
{
	struct rw_stream *rs = arg;
	if (blk != rs->prev_blk) {
		const struct object_index_entry *e = &rs->blocks[blk].entry;
		if (rs->prev_end != INT64_MIN && e->start_offset != rs->prev_end)
			rs->cut = 1;
		rs->prev_end = e->end_offset;
		rs->prev_blk = blk;
	}
	st->res->batches_in++;
	const uint8_t *data = ob->data;
	size_t len = ob->len;
	uint8_t *owned = NULL;
	if (rs->keys) {
		int rc = compacted_filter(rs->keys, &rs->cp, ob->data, ob->len, &data,
					  &len, &owned, &st->res->compacted);
		if (rc)
			return rw_fail(st, rc, "stream %" PRIu64 ": batch at %" PRId64
				       " cannot be compacted: %s", rs->sid,
				       ob->base_offset, sl_error_name(rc));
		if (!data)
			return 0;
	}
	int rc = rw_add(st, rs->out, rs->flags, rs->sid, data, len, &rs->cut);
	free(owned);
	return rc;
}

/* Both passes over one stream's blocks[a..b). */
static int rw_stream(struct rw_state *st, struct rewrite_block *blocks,
		     size_t a, size_t b)
{
	uint64_t sid = blocks[a].entry.stream_id;
	const struct cv_stream *s = catalog_view_stream(st->v, sid);
	for (size_t i = a; i < b; i++)
		st->res->bytes_in += blocks[i].entry.size;
	if (s && s->deleted) {
		for (size_t i = a; i < b; i++)
			st->res->batches_expired += blocks[i].entry.batch_count;
		return 0;
	}
	int split = plan_rewrite_splits(st->r, sid);
	struct rw_stream rs = {
		.blocks = blocks,
		.out = split ? &st->ps : &st->sso,
		.flags = split ? 0 : OBJECT_FLAG_STREAM_SET,
		.sid = sid,
		.prev_end = INT64_MIN,
		.prev_blk = SIZE_MAX,
	};
	int64_t log_start = s ? s->log_start : 0;
	int rc = 0;
	uint64_t before = st->res->batches_in;
	if (s && (s->policy & CV_POLICY_COMPACT)) {
		rw_compacted_params(st, s, &rs.cp);
		rs.keys = keymap_new();
		rc = rs.keys ? rw_each_batch(st, blocks, a, b, log_start, rw_scan, rs.keys)
			     : SL_ENOMEM;
	}
	if (!rc)
		rc = rw_each_batch(st, blocks, a, b, log_start, rw_copy, &rs);
	keymap_free(rs.keys);
	if (!rc && split)
		rc = rw_finish(st, &st->ps);
	/* batches below the log start were skipped unseen: count them */
	uint64_t total = 0;
	for (size_t i = a; i < b; i++)
		total += blocks[i].entry.batch_count;
	if (!rc)
		st->res->batches_expired += total - (st->res->batches_in - before);
	return rc;
}

int rewrite_build(const struct catalog_view *v, const struct rewrite *r,
		  const struct rewrite_params *p, struct rewrite_block *blocks,
		  size_t n, struct rewrite_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	struct rw_state st = {.v = v, .r = r, .p = p, .res = res,
			      .err = err, .errlen = errlen};
	st.cut_bytes = r->kind == REWRITE_CLEAN ? UINT64_MAX : p->target_bytes;
	st.inputs = malloc((r->input_count ? r->input_count : 1) * sizeof *st.inputs);
	if (!st.inputs)
		return SL_ENOMEM;
	memcpy(st.inputs, r->inputs, r->input_count * sizeof *st.inputs);
	qsort(st.inputs, r->input_count, sizeof *st.inputs, rw_u64_cmp);
	if (n)
		qsort(blocks, n, sizeof *blocks, rw_block_cmp);
	int rc = 0;
	for (size_t i = 0; i < n && !rc;) {
		size_t j = i + 1;
		while (j < n && blocks[j].entry.stream_id == blocks[i].entry.stream_id) {
			if (blocks[j].entry.start_offset < blocks[j - 1].entry.end_offset)
				rc = rw_fail(&st, SL_EINVAL, "stream %" PRIu64
					     ": input blocks overlap at %" PRId64,
					     blocks[j].entry.stream_id,
					     blocks[j].entry.start_offset);
			j++;
		}
		if (!rc)
			rc = rw_stream(&st, blocks, i, j);
		i = j;
	}
	if (!rc)
		rc = rw_finish(&st, &st.sso);
	object_builder_free(st.sso.b);
	object_builder_free(st.ps.b);
	free(st.inputs);
	if (rc)
		rewrite_result_free(res);
	return rc;
}

void rewrite_result_free(struct rewrite_result *res)
{
	for (size_t i = 0; i < res->count; i++) {
		free(res->outputs[i].bytes);
		json_decref(res->outputs[i].blocks);
	}
	free(res->outputs);
	memset(res, 0, sizeof *res);
}
