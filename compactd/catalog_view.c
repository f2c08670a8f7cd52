/*
 * The catalog as compactd sees it for one run (see catalog_view.h): JSON
 * answers of brokerd's "streams" and "objects" operations decoded into
 * sorted arrays.  The view owns everything it holds; it lives for one run
 * and is rebuilt from brokerd at the next, so nothing here is durable.
 * Event-loop thread (or a test); no I/O.
 */
#include "compactd/catalog_view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

/* Most blocks one object may list: far above what a 64 MiB object of
 * 1 MiB blocks holds, low enough to stop a malformed answer early. */
#define CV_MAX_BLOCKS 1000000

/* Formats the reason of a malformed answer and returns SL_EINVAL. */
static int cv_bad(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int cv_bad(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return SL_EINVAL;
}

/* An integer field, or def when missing or null; *ok cleared when it is
 * there but not an integer. */
static int64_t cv_int(json_t *obj, const char *key, int64_t def, int *ok)
{
	json_t *x = json_object_get(obj, key);
	if (!x || json_is_null(x))
		return def;
	if (!json_is_integer(x)) {
		*ok = 0;
		return def;
	}
	return json_integer_value(x);
}

/* cleanup.policy as bits: "delete", "compact" or both, comma-separated. */
static int cv_policy(const char *s)
{
	int bits = 0;
	while (s && *s) {
		size_t n = strcspn(s, ",");
		while (n && s[n - 1] == ' ')
			n--;
		if (n == 6 && !strncmp(s, "delete", 6))
			bits |= CV_POLICY_DELETE;
		else if (n == 7 && !strncmp(s, "compact", 7))
			bits |= CV_POLICY_COMPACT;
		s += strcspn(s, ",");
		while (*s == ',' || *s == ' ')
			s++;
	}
	return bits ? bits : CV_POLICY_DELETE;
}

int catalog_view_parse_id(const char *hex, uint64_t *id)
{
	if (!hex || strlen(hex) != 16)
		return SL_EINVAL;
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		char c = hex[i];
		int d = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return SL_EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	*id = v;
	return 0;
}

/* Orders streams by id. */
static int cv_stream_cmp(const void *a, const void *b)
{
	const struct cv_stream *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Orders objects by id. */
static int cv_object_cmp(const void *a, const void *b)
{
	const struct cv_object *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Orders blocks by stream and start offset. */
static int cv_block_cmp(const void *a, const void *b)
{
	const struct cv_block *x = a, *y = b;
	if (x->stream_id != y->stream_id)
		return x->stream_id < y->stream_id ? -1 : 1;
	return (x->start > y->start) - (x->start < y->start);
}

int catalog_view_set_streams(struct catalog_view *v, json_t *reply, char *err,
			     size_t errlen)
{
	json_t *arr = json_object_get(reply, "streams");
	int ok = 1;
	v->now_ms = cv_int(reply, "now_ms", -1, &ok);
	if (!json_is_array(arr) || !ok || v->now_ms < 0)
		return cv_bad(err, errlen, "streams: no now_ms or streams array");
	size_t n = json_array_size(arr);
	v->streams = calloc(n ? n : 1, sizeof *v->streams);
	if (!v->streams)
		return SL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		struct cv_stream *s = &v->streams[v->stream_count];
		int64_t id = cv_int(e, "stream", -1, &ok);
		s->id = (uint64_t)id;
		s->log_start = cv_int(e, "log_start", 0, &ok);
		s->end = cv_int(e, "end", 0, &ok);
		s->deleted = json_is_true(json_object_get(e, "deleted"));
		s->policy = cv_policy(json_string_value(json_object_get(e, "cleanup_policy")));
		s->delete_retention_ms = cv_int(e, "delete_retention_ms", 86400000, &ok);
		s->min_compaction_lag_ms = cv_int(e, "min_compaction_lag_ms", 0, &ok);
		s->partition = (int32_t)cv_int(e, "partition", -1, &ok);
		const char *topic = json_string_value(json_object_get(e, "topic"));
		if (!json_is_object(e) || !ok || id < 0 || s->log_start < 0)
			return cv_bad(err, errlen, "streams: entry %zu is malformed", i);
		if (topic && !(s->topic = strdup(topic)))
			return SL_ENOMEM;
		v->stream_count++;
	}
	qsort(v->streams, v->stream_count, sizeof *v->streams, cv_stream_cmp);
	for (size_t i = 1; i < v->stream_count; i++)
		if (v->streams[i].id == v->streams[i - 1].id)
			return cv_bad(err, errlen, "streams: stream %llu listed twice",
				      (unsigned long long)v->streams[i].id);
	return 0;
}

/* Decodes one [stream,start,end,max_ts,records,pos,size,crc] array. */
static int cv_block_decode(json_t *e, struct cv_block *b)
{
	json_int_t x[8];
	if (!json_is_array(e) || json_array_size(e) != 8)
		return -1;
	for (size_t k = 0; k < 8; k++) {
		json_t *f = json_array_get(e, k);
		if (!json_is_integer(f))
			return -1;
		x[k] = json_integer_value(f);
	}
	if (x[0] < 0 || x[1] < 0 || x[2] <= x[1] || x[4] < 0 || x[5] < 0 ||
	    x[6] <= 0 || x[6] > UINT32_MAX || x[7] < 0 || x[7] > UINT32_MAX)
		return -1;
	*b = (struct cv_block){(uint64_t)x[0], x[1], x[2], x[3], (uint64_t)x[4],
			       (uint64_t)x[5], (uint32_t)x[6], (uint32_t)x[7]};
	return 0;
}

/* Decodes one object of an "objects" page into o. */
static int cv_object_decode(json_t *e, struct cv_object *o, char *err,
			    size_t errlen)
{
	int ok = 1;
	const char *hex = json_string_value(json_object_get(e, "id"));
	json_t *blocks = json_object_get(e, "blocks");
	if (catalog_view_parse_id(hex, &o->id))
		return cv_bad(err, errlen, "objects: bad id");
	int64_t size = cv_int(e, "size", -1, &ok);
	int64_t flags = cv_int(e, "flags", 0, &ok);
	o->created_ms = cv_int(e, "created_ms", 0, &ok);
	o->retired_ms = cv_int(e, "retired_ms", -1, &ok);
	size_t n = json_array_size(blocks);
	if (!ok || size < 0 || flags < 0 || flags > 0xffff ||
	    (blocks && !json_is_array(blocks)) || n > CV_MAX_BLOCKS)
		return cv_bad(err, errlen, "objects: %s is malformed", hex);
	o->size = (uint64_t)size;
	o->flags = (uint16_t)flags;
	o->blocks = calloc(n ? n : 1, sizeof *o->blocks);
	if (!o->blocks)
		return SL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (cv_block_decode(json_array_get(blocks, i), &o->blocks[i]) < 0)
			return cv_bad(err, errlen, "objects: %s block %zu is malformed",
				      hex, i);
		if (o->blocks[i].position + o->blocks[i].size > o->size)
			return cv_bad(err, errlen, "objects: %s block %zu lies outside it",
				      hex, i);
	}
	o->block_count = n;
	qsort(o->blocks, n, sizeof *o->blocks, cv_block_cmp);
	return 0;
}

int catalog_view_add_objects(struct catalog_view *v, json_t *reply,
			     uint64_t *next, int *more, char *err,
			     size_t errlen)
{
	json_t *arr = json_object_get(reply, "objects");
	json_t *nx = json_object_get(reply, "next");
	if (!json_is_array(arr) || (nx && !json_is_null(nx) && !json_is_string(nx)))
		return cv_bad(err, errlen, "objects: no objects array");
	size_t n = json_array_size(arr);
	if (v->object_count + n > v->object_cap) {
		size_t cap = v->object_cap ? v->object_cap : 256;
		while (cap < v->object_count + n)
			cap *= 2;
		struct cv_object *o = realloc(v->objects, cap * sizeof *o);
		if (!o)
			return SL_ENOMEM;
		v->objects = o;
		v->object_cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		struct cv_object *o = &v->objects[v->object_count];
		memset(o, 0, sizeof *o);
		int rc = cv_object_decode(json_array_get(arr, i), o, err, errlen);
		v->object_count++; /* so that catalog_view_free frees its blocks */
		if (rc)
			return rc;
	}
	*more = json_is_string(nx);
	if (*more && catalog_view_parse_id(json_string_value(nx), next))
		return cv_bad(err, errlen, "objects: bad next id");
	return 0;
}

/* Orders block references by stream and start offset. */
static int cv_ref_cmp(const void *a, const void *b)
{
	const struct cv_ref *x = a, *y = b;
	return cv_block_cmp(x->blk, y->blk);
}

int catalog_view_finish(struct catalog_view *v, char *err, size_t errlen)
{
	if (v->object_count)
		qsort(v->objects, v->object_count, sizeof *v->objects, cv_object_cmp);
	size_t n = 0;
	for (size_t i = 0; i < v->object_count; i++) {
		if (i > 0 && v->objects[i].id == v->objects[i - 1].id)
			return cv_bad(err, errlen, "objects: %016llx listed twice",
				      (unsigned long long)v->objects[i].id);
		if (v->objects[i].retired_ms < 0)
			n += v->objects[i].block_count;
	}
	v->refs = malloc((n ? n : 1) * sizeof *v->refs);
	if (!v->refs)
		return SL_ENOMEM;
	for (size_t i = 0; i < v->object_count; i++) {
		const struct cv_object *o = &v->objects[i];
		for (size_t k = 0; o->retired_ms < 0 && k < o->block_count; k++)
			v->refs[v->ref_count++] = (struct cv_ref){o, &o->blocks[k]};
	}
	qsort(v->refs, v->ref_count, sizeof *v->refs, cv_ref_cmp);
	for (size_t i = 1; i < v->ref_count; i++) {
		const struct cv_block *a = v->refs[i - 1].blk, *b = v->refs[i].blk;
		if (a->stream_id == b->stream_id && a->end > b->start)
			return cv_bad(err, errlen, "stream %llu: live blocks overlap at %lld",
				      (unsigned long long)b->stream_id, (long long)b->start);
	}
	return 0;
}

const struct cv_ref *catalog_view_stream_blocks(const struct catalog_view *v,
						uint64_t stream_id, size_t *n)
{
	size_t lo = 0, hi = v->ref_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->refs[mid].blk->stream_id < stream_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < v->ref_count && v->refs[end].blk->stream_id == stream_id)
		end++;
	*n = end - lo;
	return end > lo ? &v->refs[lo] : NULL;
}

const struct cv_stream *catalog_view_stream(const struct catalog_view *v,
					    uint64_t id)
{
	struct cv_stream key = {.id = id};
	if (!v->stream_count)
		return NULL;
	return bsearch(&key, v->streams, v->stream_count, sizeof key, cv_stream_cmp);
}

const struct cv_object *catalog_view_object(const struct catalog_view *v,
					    uint64_t id)
{
	struct cv_object key = {.id = id};
	if (!v->object_count)
		return NULL;
	return bsearch(&key, v->objects, v->object_count, sizeof key, cv_object_cmp);
}

int catalog_view_block_dead(const struct catalog_view *v,
			    const struct cv_block *b)
{
	const struct cv_stream *s = catalog_view_stream(v, b->stream_id);
	if (!s)
		return 0;
	return s->deleted || b->end <= s->log_start;
}

void catalog_view_free(struct catalog_view *v)
{
	for (size_t i = 0; i < v->stream_count; i++)
		free(v->streams[i].topic);
	free(v->streams);
	for (size_t i = 0; i < v->object_count; i++)
		free(v->objects[i].blocks);
	free(v->objects);
	free(v->refs);
	memset(v, 0, sizeof *v);
}
