/*
 * DeleteGroups v0-v2.  Only an Empty group can be deleted (NON_EMPTY_GROUP
 * otherwise; GROUP_ID_NOT_FOUND for none).  It becomes Dead at once, so
 * joins and commits are refused while its deletion is journaled; once the
 * GROUP_DELETE records of every group deleted by the request are durable
 * the offsets and the groups are gone and the request is answered.  A
 * group with no offsets and nothing in flight is simply dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/groups/group.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/groups/groups.h"
#include "brokerd/groups/offset_store.h"
#include "brokerd/server/request.h"
#include "common/errors.h"
#include "common/log.h"

struct delete_groups_result {
	struct kslice id;
	char *group_id; /* copy, while the group is being deleted */
	int16_t error;
	int journaled;
};

struct delete_groups_ctx {
	struct request *req;
	struct delete_groups_result *results;
	int32_t count;
};

/* Frees the context with its request. */
static void delete_groups_ctx_free(void *arg)
{
	struct delete_groups_ctx *ctx = arg;
	for (int32_t i = 0; i < ctx->count; i++)
		free(ctx->results[i].group_id);
	free(ctx->results);
	free(ctx);
}

/* Writes the response. */
static void delete_groups_write(struct delete_groups_ctx *ctx)
{
	struct kwriter *w = &ctx->req->w;
	kw_i32(w, 0);                                      /* ThrottleTimeMs */
	kw_array(w, ctx->count);                           /* Results */
	for (int32_t i = 0; i < ctx->count; i++) {
		kw_string_len(w, ctx->results[i].id.p, ctx->results[i].id.len); /* GroupId */
		kw_i16(w, ctx->results[i].error);          /* ErrorCode */
		kw_tags(w);
	}
	kw_tags(w);
}

/* Undoes the journaled deletions that could not be written: the groups,
 * still there and Dead, live on. */
static void delete_groups_restore(struct delete_groups_ctx *ctx)
{
	for (int32_t i = 0; i < ctx->count; i++) {
		struct delete_groups_result *res = &ctx->results[i];
		if (!res->journaled)
			continue;
		struct group *g = groups_find(res->group_id);
		if (g && g->state == GROUP_DEAD)
			group_transition(g, GROUP_EMPTY);
		res->error = KERR_COORDINATOR_NOT_AVAILABLE;
	}
}

/* The store's callback: the deletions are durable (or failed). */
static void delete_groups_done(void *arg, int err)
{
	struct delete_groups_ctx *ctx = arg;
	if (err)
		delete_groups_restore(ctx);
	if (request_conn_alive(ctx->req))
		delete_groups_write(ctx);
	request_complete(ctx->req);
}

/* Decides one group's deletion; adds its record to buf when it has
 * offsets to remove. */
static void delete_groups_one(struct delete_groups_result *res,
			      struct offset_buf *buf)
{
	int bad = 0;
	res->group_id = group_args_str(res->id, &bad);
	if (bad) {
		res->error = KERR_INVALID_GROUP_ID;
		return;
	}
	if (!groups_available()) {
		res->error = KERR_COORDINATOR_NOT_AVAILABLE;
		return;
	}
	struct group *g = groups_find(res->group_id);
	if (!g || g->state == GROUP_DEAD) {
		res->error = KERR_GROUP_ID_NOT_FOUND;
		return;
	}
	if (g->state != GROUP_EMPTY) {
		res->error = KERR_NON_EMPTY_GROUP;
		return;
	}
	group_transition(g, GROUP_DEAD);
	log_info("groups: %s: deleted (%zu committed offsets)", g->id,
		 g->offsets.total);
	if (!g->offsets.total && !g->commits_in_flight) {
		groups_remove(g);
		return;
	}
	offset_record_begin(buf, OFFSET_RECORD_GROUP_DELETE,
			    offset_store_next_seq(groups_store()), g->id,
			    strlen(g->id));
	offset_record_end(buf);
	res->journaled = 1;
}

int handle_delete_groups(struct request *req)
{
	struct kreader *r = &req->r;
	struct delete_groups_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return REQ_MALFORMED;
	ctx->req = req;
	req->ctx = ctx;
	req->ctx_free = delete_groups_ctx_free;

	int32_t count = kr_array(r, GROUP_ARGS_MAX, 1);    /* GroupsNames */
	if (count < 0)
		kreader_fail(r);
	ctx->results = calloc((size_t)(count > 0 ? count : 1), sizeof *ctx->results);
	if (!ctx->results)
		return REQ_MALFORMED;
	for (int32_t i = 0; i < count && !kreader_failed(r); i++)
		ctx->results[i].id = kr_string(r);
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;
	ctx->count = count;

	struct offset_buf buf = {0};
	for (int32_t i = 0; i < count; i++)
		delete_groups_one(&ctx->results[i], &buf);
	if (buf.bytes.len > 0) {
		int rc = buf.bytes.err;
		if (!rc)
			rc = offset_store_submit(groups_store(), &buf,
						 delete_groups_done, ctx);
		offset_buf_free(&buf);
		if (!rc)
			return REQ_DEFERRED;
		delete_groups_restore(ctx);
	}
	delete_groups_write(ctx);
	return REQ_DONE;
}
