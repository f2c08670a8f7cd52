/*
 * OffsetCommit v0-v8.  The group, member and generation are checked by the
 * coordinator; each partition must exist (UNKNOWN_TOPIC_OR_PARTITION) and
 * its metadata fit OFFSET_COMMIT_METADATA_MAX bytes (Kafka's
 * offset.metadata.max.bytes default: OFFSET_METADATA_TOO_LARGE).  The
 * partitions that pass become one COMMIT record of the offset store, and
 * the request is answered only once that record is durable (the store's
 * fdatasync, shared with every commit queued meanwhile) and applied, so an
 * acknowledged offset survives a crash and OffsetFetch sees it.
 *
 * v0 (offsets Kafka kept in ZooKeeper) is served like the others, as a
 * commit from outside group management.  v1's CommitTimestamp is kept
 * when set; v2-v4's RetentionTimeMs sets an expiry time for the offsets
 * instead of offsets.retention.minutes.  A null metadata is stored as "",
 * as Kafka does.  Responses follow the request's order.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/groups/coordinator.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/groups/groups.h"
#include "brokerd/groups/offset_store.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "common/counters.h"
#include "common/errors.h"

#define OFFSET_COMMIT_METADATA_MAX 4096

struct offset_commit_part {
	int32_t index;          /* PartitionIndex */
	int64_t offset;         /* CommittedOffset */
	int32_t leader_epoch;   /* CommittedLeaderEpoch */
	int64_t timestamp;      /* CommitTimestamp (v1) */
	struct kslice metadata; /* CommittedMetadata */
	int16_t error;
	int written;            /* in the record */
};

struct offset_commit_topic {
	struct kslice name;
	int32_t first, count;
};

/* The request while its record is made durable. */
struct offset_commit_ctx {
	struct request *req;
	char *group_id;
	struct offset_commit_topic *topics;
	int32_t topic_count;
	struct offset_commit_part *parts;
	int32_t part_count;
};

/* Frees the context with its request. */
static void offset_commit_ctx_free(void *arg)
{
	struct offset_commit_ctx *ctx = arg;
	free(ctx->group_id);
	free(ctx->topics);
	free(ctx->parts);
	free(ctx);
}

/* Writes the response: every partition in request order. */
static void offset_commit_write(struct offset_commit_ctx *ctx)
{
	struct kwriter *w = &ctx->req->w;
	if (ctx->req->api_version >= 3)
		kw_i32(w, 0);                              /* ThrottleTimeMs */
	kw_array(w, ctx->topic_count);                     /* Topics */
	for (int32_t i = 0; i < ctx->topic_count; i++) {
		const struct offset_commit_topic *t = &ctx->topics[i];
		kw_string_len(w, t->name.p, t->name.len);  /* Name */
		kw_array(w, t->count);                     /* Partitions */
		for (int32_t k = 0; k < t->count; k++) {
			const struct offset_commit_part *p = &ctx->parts[t->first + k];
			kw_i32(w, p->index);               /* PartitionIndex */
			kw_i16(w, p->error);               /* ErrorCode */
			kw_tags(w);
		}
		kw_tags(w);
	}
	kw_tags(w);
}

/* Sets err on every partition still without an error (or, with
 * written_only, on those in the record). */
static void offset_commit_fail(struct offset_commit_ctx *ctx, int16_t err,
			       int written_only)
{
	for (int32_t i = 0; i < ctx->part_count; i++) {
		struct offset_commit_part *p = &ctx->parts[i];
		if (written_only ? p->written : !p->error)
			p->error = err;
	}
}

/* The store's callback: the record is durable and applied (or failed). */
static void offset_commit_done(void *arg, int err)
{
	struct offset_commit_ctx *ctx = arg;
	struct group *g = groups_find(ctx->group_id);
	if (g)
		g->commits_in_flight--;
	if (err) {
		offset_commit_fail(ctx, KERR_COORDINATOR_NOT_AVAILABLE, 1);
	} else if (broker.counters) {
		for (int32_t i = 0; i < ctx->part_count; i++)
			COUNTER_ADD(offset_commits, ctx->parts[i].written);
	}
	if (request_conn_alive(ctx->req))
		offset_commit_write(ctx);
	request_complete(ctx->req);
}

/* The catalog topic a request names, or NULL. */
static const struct topic *offset_commit_topic(struct kslice name)
{
	char err[300], buf[TOPIC_NAME_MAX + 1];
	if (topics_name_validate((const char *)name.p, (size_t)name.len, err,
				 sizeof err))
		return NULL;
	memcpy(buf, name.p, (size_t)name.len);
	buf[name.len] = '\0';
	return catalog_topic_by_name(broker.catalog, buf);
}

/* Encodes the partitions that pass their checks as one COMMIT record;
 * returns how many it holds. */
static int32_t offset_commit_encode(struct offset_commit_ctx *ctx,
				    struct offset_buf *buf, int16_t ver,
				    int64_t retention_ms)
{
	int64_t now = group_now_ms();
	int64_t expire_ms = -1;
	/* a client may send any RetentionTimeMs: saturate, and a time
	 * before the epoch means expired */
	if (retention_ms != -1 &&
	    __builtin_add_overflow(now, retention_ms, &expire_ms))
		expire_ms = retention_ms > 0 ? INT64_MAX : 0;
	if (retention_ms != -1 && expire_ms < 0)
		expire_ms = 0;
	int32_t written = 0;
	for (int32_t i = 0; i < ctx->topic_count; i++) {
		const struct offset_commit_topic *ct = &ctx->topics[i];
		const struct topic *t = offset_commit_topic(ct->name);
		int named = 0;
		for (int32_t k = 0; k < ct->count; k++) {
			struct offset_commit_part *p = &ctx->parts[ct->first + k];
			if (!t || p->index < 0 || p->index >= t->partition_count) {
				p->error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
				continue;
			}
			if (p->metadata.len > OFFSET_COMMIT_METADATA_MAX) {
				p->error = KERR_OFFSET_METADATA_TOO_LARGE;
				continue;
			}
			if (!written++)
				offset_record_begin(buf, OFFSET_RECORD_COMMIT,
						    offset_store_next_seq(groups_store()),
						    ctx->group_id, strlen(ctx->group_id));
			if (!named++)
				offset_record_topic(buf, t->name, strlen(t->name), t->id);
			struct offset_part part = {
				.partition = p->index,
				.offset = p->offset,
				.leader_epoch = p->leader_epoch,
				.commit_ms = ver == 1 && p->timestamp != -1 ? p->timestamp
									   : now,
				.expire_ms = expire_ms,
				.metadata = p->metadata.len > 0 ? (const char *)p->metadata.p : "",
				.metadata_len = p->metadata.len > 0 ? (uint32_t)p->metadata.len : 0,
			};
			offset_record_part(buf, &part);
			p->written = 1;
		}
	}
	return written;
}

int handle_offset_commit(struct request *req)
{
	struct kreader *r = &req->r;
	int16_t ver = req->api_version;
	struct offset_commit_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return REQ_MALFORMED;
	ctx->req = req;
	req->ctx = ctx;
	req->ctx_free = offset_commit_ctx_free;

	struct kslice group_id = kr_string(r);             /* GroupId */
	int32_t generation = -1;
	struct kslice member_id = {(const uint8_t *)"", 0}, instance_id = {NULL, -1};
	int64_t retention_ms = -1;
	if (ver >= 1) {
		generation = kr_i32(r);                    /* GenerationIdOrMemberEpoch */
		member_id = kr_string(r);                  /* MemberId */
	}
	if (ver >= 7)
		instance_id = kr_nullable_string(r);       /* GroupInstanceId */
	if (ver >= 2 && ver <= 4)
		retention_ms = kr_i64(r);                  /* RetentionTimeMs */
	int32_t ntopics = kr_array(r, GROUP_ARGS_MAX, r->flexible ? 3 : 6); /* Topics */
	if (ntopics < 0)
		kreader_fail(r); /* not nullable */
	ctx->topics = calloc((size_t)(ntopics > 0 ? ntopics : 1), sizeof *ctx->topics);
	if (!ctx->topics)
		return REQ_MALFORMED;
	int32_t cap = 0;
	for (int32_t i = 0; i < ntopics && !kreader_failed(r); i++) {
		struct offset_commit_topic *t = &ctx->topics[i];
		t->name = kr_string(r);                    /* Name */
		int32_t nparts = kr_array(r, GROUP_ARGS_MAX, 14); /* Partitions */
		if (nparts < 0)
			kreader_fail(r);
		t->first = ctx->part_count;
		ctx->topic_count = i + 1;
		if (ctx->part_count + nparts > cap && !kreader_failed(r)) {
			cap = (ctx->part_count + nparts) * 2;
			struct offset_commit_part *n =
				realloc(ctx->parts, (size_t)cap * sizeof *n);
			if (!n)
				return REQ_MALFORMED;
			ctx->parts = n;
		}
		for (int32_t k = 0; k < nparts && !kreader_failed(r); k++) {
			struct offset_commit_part *p = &ctx->parts[ctx->part_count++];
			memset(p, 0, sizeof *p);
			p->leader_epoch = -1;
			p->timestamp = -1;
			p->index = kr_i32(r);              /* PartitionIndex */
			p->offset = kr_i64(r);             /* CommittedOffset */
			if (ver >= 6)
				p->leader_epoch = kr_i32(r); /* CommittedLeaderEpoch */
			if (ver == 1)
				p->timestamp = kr_i64(r);  /* CommitTimestamp */
			p->metadata = kr_nullable_string(r); /* CommittedMetadata */
			kr_tags(r);
			t->count++;
		}
		kr_tags(r);
	}
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;

	int bad_group = 0, bad = 0;
	ctx->group_id = group_args_str(group_id, &bad_group);
	char *mid = group_args_str(member_id, &bad);
	char *iid = group_args_str(instance_id, &bad);
	struct group *g = NULL;
	int16_t err = bad_group ? KERR_INVALID_GROUP_ID
		      : bad     ? KERR_UNKNOWN_MEMBER_ID
				: coordinator_commit_check(ctx->group_id, generation,
							   mid, iid, &g);
	free(mid);
	free(iid);
	if (err) {
		offset_commit_fail(ctx, err, 0);
		offset_commit_write(ctx);
		return REQ_DONE;
	}

	struct offset_buf buf = {0};
	int32_t written = offset_commit_encode(ctx, &buf, ver, retention_ms);
	if (!written) {
		offset_buf_free(&buf);
		offset_commit_write(ctx);
		return REQ_DONE;
	}
	int rc = offset_record_end(&buf);
	if (!rc)
		rc = offset_store_submit(groups_store(), &buf, offset_commit_done, ctx);
	offset_buf_free(&buf);
	if (rc) {
		/* a request too big for one record, or the store refusing */
		offset_commit_fail(ctx, rc == SL_EINVAL ? KERR_INVALID_COMMIT_OFFSET_SIZE
							: KERR_COORDINATOR_NOT_AVAILABLE, 1);
		offset_commit_write(ctx);
		return REQ_DONE;
	}
	g->commits_in_flight++;
	return REQ_DEFERRED;
}
