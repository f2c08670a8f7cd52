/*
 * The control operations compactd uses (see compaction.h):
 *
 *   streams          every stream the catalog knows, with its log start,
 *                    end and the topic configs compaction obeys
 *   objects          all objects (live and retired) in id order, a page at
 *                    a time, each with its blocks
 *   replace_objects  one rewrite: inputs retired, outputs live, checked and
 *                    journaled by the catalog; answered once the change is
 *                    also in the bucket's copy of the catalog
 *   forget_objects   retired objects compactd has deleted from the bucket
 *   compact_now      sluicectl asks for a run: a "compact" event
 *
 * Nothing here is durable by itself: the catalog journals every change
 * before it is applied.  A replace only makes brokerd read the outputs from
 * then on; blocks of the inputs in the block cache are simply no longer
 * asked for and age out (compactd deletes inputs after a grace period, so
 * a read in flight still finds them).  Event-loop thread only.
 */
#include "brokerd/compaction/compaction.h"
#include "brokerd/compaction/object_index.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/topic_config.h"
#include "brokerd/control/control_codec.h"
#include "brokerd/control/control_ops.h"
#include "brokerd/upload/catalog_mirror.h"
#include "common/errors.h"
#include "common/log.h"

/* Objects one "objects" page holds at most, whatever limit asks. */
#define COMPACTION_PAGE_MAX 10000
/* Default page size when the request names no limit. */
#define COMPACTION_PAGE_DEFAULT 1000
/* Blocks one "objects" page holds at most (a single object with more still
 * makes a page).  The page is built and encoded on the event loop, about a
 * microsecond per block: 1000 objects of 64 blocks made one page stall
 * produce for 10-17 ms, and compactd lists every object each run. */
#define COMPACTION_PAGE_BLOCKS 1024
/* Ids one replace_objects or forget_objects may name. */
#define COMPACTION_IDS_MAX 100000

/* One stream of the catalog: a live topic's partition, or a deleted
 * topic's stream that still has blocks (topic NULL). */
struct compaction_stream {
	uint64_t id;
	const struct topic *topic;
	int32_t partition;
};

/* Broadcasts the "compact" event (see compaction.h). */
void compaction_nudge(const char *reason)
{
	json_t *ev = json_pack("{s:s, s:s}", "event", "compact", "reason", reason);
	if (!ev)
		return; /* a hint: losing it costs latency only */
	control_broadcast("compaction", ev);
	json_decref(ev);
}

/* Milliseconds since the epoch. */
static int64_t compaction_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Orders streams by id. */
static int compaction_stream_cmp(const void *a, const void *b)
{
	const struct compaction_stream *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Every stream the catalog knows, sorted by id (*n of them); NULL when
 * out of memory. */
static struct compaction_stream *compaction_streams_list(size_t *n)
{
	const struct catalog *cat = broker.catalog;
	size_t total = 0, ntopics = catalog_topic_count(cat);
	for (size_t i = 0; i < ntopics; i++)
		total += (size_t)catalog_topic_at(cat, i)->partition_count;
	for (uint64_t d = catalog_dead_stream_next(cat, 0); d;
	     d = catalog_dead_stream_next(cat, d))
		total++;
	struct compaction_stream *s = malloc((total ? total : 1) * sizeof *s);
	if (!s)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < ntopics; i++) {
		const struct topic *t = catalog_topic_at(cat, i);
		for (int32_t p = 0; p < t->partition_count; p++)
			s[k++] = (struct compaction_stream){
				topic_stream_id(t, p), t, p};
	}
	for (uint64_t d = catalog_dead_stream_next(cat, 0); d;
	     d = catalog_dead_stream_next(cat, d))
		s[k++] = (struct compaction_stream){d, NULL, -1};
	qsort(s, k, sizeof *s, compaction_stream_cmp);
	*n = k;
	return s;
}

/* cleanup.policy of a topic (NULL: the broker default) in the protocol's
 * spelling. */
static const char *compaction_policy(const struct topic *t)
{
	int compact = topic_config_list_contains(t, "cleanup.policy", "compact");
	int del = topic_config_list_contains(t, "cleanup.policy", "delete");
	if (compact && del)
		return "compact,delete";
	return compact ? "compact" : "delete";
}

/* The "streams" entry of one stream. */
static json_t *compaction_stream_json(const struct compaction_stream *s)
{
	const struct catalog *cat = broker.catalog;
	/* a deleted topic's configs are gone: it reports the defaults, which
	 * compactd has no use for (all of its data goes) */
	const struct topic *t = s->topic;
	return json_pack(
		"{s:I, s:s?, s:i, s:I, s:I, s:b, s:s, s:I, s:I, s:I, s:I}",
		"stream", (json_int_t)s->id, "topic", t ? t->name : NULL,
		"partition", (int)s->partition, "log_start",
		(json_int_t)catalog_stream_log_start(cat, s->id), "end",
		(json_int_t)catalog_stream_end(cat, s->id), "deleted", t == NULL,
		"cleanup_policy", compaction_policy(t), "retention_ms",
		(json_int_t)topic_config_int(t, "retention.ms"),
		"retention_bytes",
		(json_int_t)topic_config_int(t, "retention.bytes"),
		"delete_retention_ms",
		(json_int_t)topic_config_int(t, "delete.retention.ms"),
		"min_compaction_lag_ms",
		(json_int_t)topic_config_int(t, "min.compaction.lag.ms"));
}

/* {"op":"streams"}: every stream with its log start, end and configs. */
json_t *compaction_op_streams(struct control_conn *cc, json_t *req)
{
	size_t n;
	struct compaction_stream *s = compaction_streams_list(&n);
	json_t *arr = json_array();
	if (!s || !arr) {
		free(s);
		json_decref(arr);
		return control_error("streams: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, compaction_stream_json(&s[i])) < 0) {
			free(s);
			json_decref(arr);
			return control_error("streams: out of memory");
		}
	free(s);
	json_t *reply = json_pack("{s:b, s:I, s:o}", "ok", 1, "now_ms",
				  (json_int_t)compaction_now_ms(), "streams", arr);
	/* NULL would mean a deferred answer: the client would wait forever */
	return reply ? reply : control_error("streams: out of memory");
}

/* The "objects" entry of one object, with an empty blocks array that
 * compaction_page fills. */
static json_t *compaction_object_json(const struct catalog_object *o)
{
	char id[CONTROL_CODEC_ID_LEN];
	int64_t retired_ms = 0;
	int retired = catalog_object_is_retired(broker.catalog, o->id, &retired_ms) == 1;
	json_t *retired_v = retired ? json_integer((json_int_t)retired_ms) : json_null();
	return json_pack("{s:s, s:I, s:I, s:I, s:o, s:I, s:I, s:[]}", "id",
			 control_codec_id_format(o->id, id), "size",
			 (json_int_t)o->size, "flags", (json_int_t)o->flags,
			 "created_ms", (json_int_t)o->created_ms, "retired_ms",
			 retired_v, "wal_start", (json_int_t)o->wal_start,
			 "wal_end", (json_int_t)o->wal_end, "blocks");
}

/* The objects listing's index (object_index.h), built again when the
 * catalog changed since the last page; NULL when out of memory. */
static const struct object_index *compaction_index(void)
{
	const struct object_index *ix = object_index_current(broker.catalog);
	if (ix)
		return ix;
	size_t ns;
	struct compaction_stream *s = compaction_streams_list(&ns);
	uint64_t *ids = s ? malloc((ns ? ns : 1) * sizeof *ids) : NULL;
	if (ids) {
		for (size_t i = 0; i < ns; i++)
			ids[i] = s[i].id;
		ix = object_index_build(broker.catalog, ids, ns);
	}
	free(ids);
	free(s);
	return ix;
}

/* Appends the index's objects [from, from + n) with their live blocks to
 * arr.  Returns 0, -1 without memory, or 1 when the index does not
 * match the catalog (arr then holds part of the page). */
static int compaction_page(const struct object_index *ix, size_t from,
			   size_t n, json_t *arr)
{
	for (size_t i = from; i < from + n; i++) {
		const struct catalog_object *obj =
			catalog_object_by_id(broker.catalog, ix->ids[i]);
		if (!obj)
			return 1;
		json_t *o = compaction_object_json(obj);
		if (json_array_append_new(arr, o) < 0)
			return -1;
		json_t *blocks = json_object_get(o, "blocks");
		for (size_t r = 0; r < ix->first[i + 1] - ix->first[i]; r++) {
			const struct catalog_block *b = object_index_block(ix, i, r);
			if (!b)
				return 1;
			if (json_array_append_new(blocks, control_codec_block_json(b)) < 0)
				return -1;
		}
	}
	return 0;
}

/* {"op":"objects","after":id|null,"limit":N}: one page of objects in id
 * order, "next" naming the after of the next page (null at the end).  A
 * page ends at `limit` objects or at COMPACTION_PAGE_BLOCKS blocks. */
json_t *compaction_op_objects(struct control_conn *cc, json_t *req)
{
	json_t *after_v = json_object_get(req, "after");
	json_t *limit_v = json_object_get(req, "limit");
	uint64_t after = 0;
	int from_start = !after_v || json_is_null(after_v);
	if (!from_start && control_codec_id_parse(after_v, &after) < 0)
		return control_error("objects: after must be null or a 16-hex-digit id");
	json_int_t limit = COMPACTION_PAGE_DEFAULT;
	if (limit_v && !json_is_null(limit_v)) {
		if (!json_is_integer(limit_v) || json_integer_value(limit_v) < 1)
			return control_error("objects: limit must be a positive integer");
		limit = json_integer_value(limit_v);
	}
	if (limit > COMPACTION_PAGE_MAX)
		limit = COMPACTION_PAGE_MAX;

	const struct object_index *ix = compaction_index();
	if (!ix)
		return control_error("objects: out of memory");
	size_t from = object_index_after(ix, from_start, after);
	size_t fit = 0, blocks = 0;
	while (from + fit < ix->count && fit < (size_t)limit) {
		/* the object's blocks when written: its share of the page
		 * whether or not they are still live */
		const struct catalog_object *o =
			catalog_object_by_id(broker.catalog, ix->ids[from + fit]);
		blocks += o ? o->block_count : 0;
		if (fit > 0 && blocks > COMPACTION_PAGE_BLOCKS)
			break;
		fit++;
	}
	int more = from + fit < ix->count;
	char next[CONTROL_CODEC_ID_LEN];
	if (more)
		control_codec_id_format(ix->ids[from + fit - 1], next);
	json_t *arr = json_array();
	int rc = arr ? compaction_page(ix, from, fit, arr) : -1;
	if (rc || !more)
		object_index_drop(); /* unusable, or the listing is done */
	if (rc) {
		json_decref(arr);
		if (rc < 0)
			return control_error("objects: out of memory");
		/* every change of the catalog moves its sequence, so this
		 * would be a catalog bug: say so rather than list wrongly */
		log_error("compaction: the objects index disagrees with the catalog at sequence %llu",
			  (unsigned long long)catalog_seq(broker.catalog));
		return control_error("objects: the catalog's blocks do not match its objects");
	}
	json_t *reply = json_pack("{s:b, s:o, s:s?}", "ok", 1, "objects", arr,
				  "next", more ? next : NULL);
	return reply ? reply : control_error("objects: out of memory");
}

/* Reads an array of object ids (1..COMPACTION_IDS_MAX).  Returns the count
 * with *out set (caller frees), or -1 when malformed or out of memory. */
static ssize_t compaction_parse_ids(json_t *arr, uint64_t **out)
{
	size_t n = json_array_size(arr);
	if (!json_is_array(arr) || n == 0 || n > COMPACTION_IDS_MAX)
		return -1;
	uint64_t *ids = malloc(n * sizeof *ids);
	if (!ids)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (control_codec_id_parse(json_array_get(arr, i), &ids[i]) < 0) {
			free(ids);
			return -1;
		}
	*out = ids;
	return (ssize_t)n;
}

/* A JSON integer field in [0, max], or -1 when missing or outside. */
static int64_t compaction_json_u(json_t *obj, const char *key, int64_t max)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max)
		return -1;
	return json_integer_value(v);
}

/* Decodes replace_objects' outputs and their blocks (concatenated in
 * output order).  Returns NULL on success, else the complaint. */
static const char *compaction_parse_outputs(json_t *arr,
					    struct catalog_object **outs,
					    size_t *n_out,
					    struct catalog_block **blocks,
					    size_t *n_blocks)
{
	size_t n = json_array_size(arr);
	*outs = NULL;
	*blocks = NULL;
	*n_out = *n_blocks = 0;
	if (!json_is_array(arr) || n > COMPACTION_IDS_MAX)
		return "outputs must be an array";
	struct catalog_object *o = calloc(n ? n : 1, sizeof *o);
	if (!o)
		return "out of memory";
	*outs = o;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		int64_t size = compaction_json_u(e, "size", INT64_MAX);
		int64_t flags = compaction_json_u(e, "flags", UINT32_MAX);
		int64_t created = compaction_json_u(e, "created_ms", INT64_MAX);
		if (!json_is_object(e) ||
		    control_codec_id_parse(json_object_get(e, "id"), &o[i].id) < 0 ||
		    size <= 0 || flags < 0 || created < 0)
			return "malformed output object";
		struct catalog_block *b;
		ssize_t nb = control_codec_blocks_parse(
			json_object_get(e, "blocks"), o[i].id,
			CONTROL_CODEC_MAX_BLOCKS - *n_blocks, &b);
		if (nb < 0)
			return "malformed output blocks";
		struct catalog_block *all =
			realloc(*blocks, (*n_blocks + (size_t)nb + 1) * sizeof *all);
		if (!all) {
			free(b);
			return "out of memory";
		}
		if (nb)
			memcpy(all + *n_blocks, b, (size_t)nb * sizeof *b);
		free(b);
		*blocks = all;
		*n_blocks += (size_t)nb;
		o[i].size = (uint64_t)size;
		o[i].flags = (uint32_t)flags;
		o[i].created_ms = created;
		o[i].block_count = (uint32_t)nb;
		(*n_out)++;
	}
	return NULL;
}

/* A replace's answer waiting for the catalog's copy in the bucket. */
struct compaction_reply {
	struct control_reply_slot *slot;
	json_t *reply;
};

/* Mirror callback: the replace is in the bucket; answer compactd. */
static void compaction_reply_now(void *arg)
{
	struct compaction_reply *cr = arg;
	control_complete(cr->slot, cr->reply);
	free(cr);
}

/* {"op":"replace_objects","inputs":[...],"outputs":[...]}: one rewrite;
 * answered once journaled and copied to the bucket, or refused. */
json_t *compaction_op_replace(struct control_conn *cc, json_t *req)
{
	uint64_t *inputs = NULL;
	ssize_t n_in = compaction_parse_ids(json_object_get(req, "inputs"), &inputs);
	if (n_in < 0)
		return control_error("replace_objects: inputs must be 1 to %d object ids",
				     COMPACTION_IDS_MAX);
	struct catalog_object *outs;
	struct catalog_block *blocks;
	size_t n_out, n_blocks;
	const char *bad = compaction_parse_outputs(json_object_get(req, "outputs"),
						   &outs, &n_out, &blocks, &n_blocks);
	if (bad) {
		free(inputs);
		free(outs);
		free(blocks);
		return control_error("replace_objects: %s", bad);
	}
	int rc = catalog_replace_objects(broker.catalog, inputs, (size_t)n_in,
					 outs, n_out, blocks, n_blocks);
	free(outs);
	free(blocks);
	uint64_t first = inputs[0];
	free(inputs);
	/* the catalog logged why it refused */
	if (rc == SL_ESTALE)
		return control_error("refused: does not match the catalog (inputs from %016" PRIx64 ")",
				     first);
	if (rc == SL_EINVAL)
		return control_error("refused: malformed proposal (inputs from %016" PRIx64 ")",
				     first);
	if (rc)
		return control_error("replace_objects: catalog: %s", sl_error_name(rc));
	/* "replaced" is said only once the bucket's copy of the catalog has
	 * the change: compactd may then delete the inputs after its grace
	 * period even if this disk is lost meanwhile */
	struct compaction_reply *cr = malloc(sizeof *cr);
	if (!cr)
		log_panic("compaction: out of memory");
	cr->slot = control_defer(cc);
	cr->reply = json_pack("{s:b}", "ok", 1);
	catalog_mirror_wait(catalog_seq(broker.catalog), compaction_reply_now, cr);
	return NULL;
}

/* {"op":"forget_objects","ids":[...]}: retired objects deleted from the
 * bucket leave the catalog. */
json_t *compaction_op_forget(struct control_conn *cc, json_t *req)
{
	uint64_t *ids = NULL;
	ssize_t n = compaction_parse_ids(json_object_get(req, "ids"), &ids);
	if (n < 0)
		return control_error("forget_objects: ids must be 1 to %d object ids",
				     COMPACTION_IDS_MAX);
	int rc = catalog_forget_objects(broker.catalog, ids, (size_t)n);
	free(ids);
	if (rc == SL_ESTALE || rc == SL_EINVAL)
		return control_error("refused: an object is still live or named twice");
	if (rc)
		return control_error("forget_objects: catalog: %s", sl_error_name(rc));
	return json_pack("{s:b}", "ok", 1);
}

/* {"op":"compact_now"}: sluicectl asks compactd for a run. */
json_t *compaction_op_compact_now(struct control_conn *cc, json_t *req)
{
	log_info("compaction: run requested on the control socket");
	compaction_nudge("compact_now");
	return json_pack("{s:b}", "ok", 1);
}
