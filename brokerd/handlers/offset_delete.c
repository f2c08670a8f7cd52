/*
 * OffsetDelete v0: removes a group's committed offsets for some partitions.
 * The group must exist (GROUP_ID_NOT_FOUND).  An Empty group loses any of
 * them; a consumer group with members keeps the offsets of topics its
 * members subscribe to (GROUP_SUBSCRIBED_TO_TOPIC) and loses the others;
 * any other group with members refuses (NON_EMPTY_GROUP).  Partitions of
 * topics that do not exist are UNKNOWN_TOPIC_OR_PARTITION.  The answer
 * waits until the DELETE record is durable.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/catalog/catalog.h"
#include "brokerd/groups/group.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/groups/groups.h"
#include "brokerd/groups/offset_store.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "common/errors.h"

struct offset_delete_part {
	int32_t index;
	int16_t error;
	int journaled;
};

struct offset_delete_topic {
	struct kslice name;
	int32_t first, count;
};

struct offset_delete_ctx {
	struct request *req;
	int16_t error; /* top-level */
	struct offset_delete_topic *topics;
	int32_t topic_count;
	struct offset_delete_part *parts;
	int32_t part_count;
};

/* Frees the context with its request. */
static void offset_delete_ctx_free(void *arg)
{
	struct offset_delete_ctx *ctx = arg;
	free(ctx->topics);
	free(ctx->parts);
	free(ctx);
}

/* Writes the response (no topics with a top-level error, as in Kafka). */
static void offset_delete_write(struct offset_delete_ctx *ctx)
{
	struct kwriter *w = &ctx->req->w;
	int32_t ntopics = ctx->error ? 0 : ctx->topic_count;
	kw_i16(w, ctx->error);                             /* ErrorCode */
	kw_i32(w, 0);                                      /* ThrottleTimeMs */
	kw_array(w, ntopics);                              /* Topics */
	for (int32_t i = 0; i < ntopics; i++) {
		const struct offset_delete_topic *t = &ctx->topics[i];
		kw_string_len(w, t->name.p, t->name.len);  /* Name */
		kw_array(w, t->count);                     /* Partitions */
		for (int32_t k = 0; k < t->count; k++) {
			kw_i32(w, ctx->parts[t->first + k].index); /* PartitionIndex */
			kw_i16(w, ctx->parts[t->first + k].error); /* ErrorCode */
		}
	}
}

/* The store's callback: the record is durable (or failed). */
static void offset_delete_done(void *arg, int err)
{
	struct offset_delete_ctx *ctx = arg;
	for (int32_t i = 0; err && i < ctx->part_count; i++)
		if (ctx->parts[i].journaled)
			ctx->parts[i].error = KERR_COORDINATOR_NOT_AVAILABLE;
	if (request_conn_alive(ctx->req))
		offset_delete_write(ctx);
	request_complete(ctx->req);
}

/* Decides each partition and encodes the DELETE record for those that go;
 * returns how many do. */
static int32_t offset_delete_encode(struct offset_delete_ctx *ctx,
				    const struct group *g, struct offset_buf *buf)
{
	int32_t named = 0;
	for (int32_t i = 0; i < ctx->topic_count; i++) {
		const struct offset_delete_topic *dt = &ctx->topics[i];
		const struct topic *t = topics_find(dt->name);
		int subscribed = t && g->state != GROUP_EMPTY &&
				 group_subscribed_to(g, t->name);
		int in_topic = 0;
		for (int32_t k = 0; k < dt->count; k++) {
			struct offset_delete_part *p = &ctx->parts[dt->first + k];
			if (!t || p->index < 0 || p->index >= t->partition_count) {
				p->error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
				continue;
			}
			if (subscribed) {
				p->error = KERR_GROUP_SUBSCRIBED_TO_TOPIC;
				continue;
			}
			if (!named++)
				offset_record_begin(buf, OFFSET_RECORD_DELETE,
						    offset_store_next_seq(groups_store()),
						    g->id, strlen(g->id));
			if (!in_topic++)
				offset_record_topic(buf, t->name, strlen(t->name), t->id);
			struct offset_part part = {.partition = p->index};
			offset_record_part(buf, &part);
			p->journaled = 1;
		}
	}
	return named;
}

int handle_offset_delete(struct request *req)
{
	struct kreader *r = &req->r;
	struct offset_delete_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return REQ_MALFORMED;
	ctx->req = req;
	req->ctx = ctx;
	req->ctx_free = offset_delete_ctx_free;

	struct kslice group_id = kr_string(r);             /* GroupId */
	int32_t ntopics = kr_array(r, GROUP_ARGS_MAX, 6);  /* Topics */
	if (ntopics < 0)
		kreader_fail(r);
	ctx->topics = calloc((size_t)(ntopics > 0 ? ntopics : 1), sizeof *ctx->topics);
	if (!ctx->topics)
		return REQ_MALFORMED;
	int32_t cap = 0;
	for (int32_t i = 0; i < ntopics && !kreader_failed(r); i++) {
		struct offset_delete_topic *t = &ctx->topics[i];
		t->name = kr_string(r);                    /* Name */
		int32_t nparts = kr_array(r, GROUP_ARGS_MAX, 4); /* Partitions */
		if (nparts < 0)
			kreader_fail(r);
		if (kreader_failed(r))
			break;
		t->first = ctx->part_count;
		t->count = nparts;
		ctx->topic_count = i + 1;
		if (ctx->part_count + nparts > cap) {
			cap = (ctx->part_count + nparts) * 2;
			struct offset_delete_part *n =
				realloc(ctx->parts, (size_t)cap * sizeof *n);
			if (!n)
				return REQ_MALFORMED;
			ctx->parts = n;
		}
		for (int32_t k = 0; k < nparts; k++) {
			struct offset_delete_part *p = &ctx->parts[ctx->part_count++];
			memset(p, 0, sizeof *p);
			p->index = kr_i32(r);              /* PartitionIndex */
		}
	}
	if (kreader_failed(r))
		return REQ_MALFORMED;

	int bad = 0;
	char *id = group_args_str(group_id, &bad);
	struct group *g = bad ? NULL : groups_find(id);
	free(id);
	if (bad)
		ctx->error = KERR_INVALID_GROUP_ID;
	else if (!groups_available())
		ctx->error = KERR_COORDINATOR_NOT_AVAILABLE;
	else if (!g || g->state == GROUP_DEAD)
		ctx->error = KERR_GROUP_ID_NOT_FOUND;
	else if (g->state != GROUP_EMPTY &&
		 (!g->protocol_type || strcmp(g->protocol_type, "consumer")))
		ctx->error = KERR_NON_EMPTY_GROUP;
	if (ctx->error) {
		offset_delete_write(ctx);
		return REQ_DONE;
	}

	struct offset_buf buf = {0};
	if (offset_delete_encode(ctx, g, &buf)) {
		int rc = offset_record_end(&buf);
		if (!rc)
			rc = offset_store_submit(groups_store(), &buf,
						 offset_delete_done, ctx);
		offset_buf_free(&buf);
		if (!rc)
			return REQ_DEFERRED;
		for (int32_t i = 0; i < ctx->part_count; i++)
			if (ctx->parts[i].journaled)
				ctx->parts[i].error = KERR_COORDINATOR_NOT_AVAILABLE;
	}
	offset_buf_free(&buf);
	offset_delete_write(ctx);
	return REQ_DONE;
}
