/*
 * TxnOffsetCommit v0-v4: offsets a transaction commits for a group
 * (sent to the group coordinator after AddOffsetsToTxn).  The transaction
 * coordinator confirms that the producer's transaction is open with the
 * group added (INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH for a
 * fenced producer, INVALID_TXN_STATE otherwise); v3+ member and generation
 * are checked as Kafka does for transactional commits.  The partitions
 * that pass become one TXN_COMMIT record of the offset store, answered
 * once durable: the offsets are pending, and become the group's committed
 * offsets when the transaction commits (the TXN_END record its end
 * writes), or are dropped when it aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/groups/coordinator.h"
#include "brokerd/groups/group.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/groups/groups.h"
#include "brokerd/groups/offset_store.h"
#include "brokerd/partition/log_append.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "brokerd/txn/txn_coordinator.h"
#include "common/errors.h"

/* OffsetCommit's limit on metadata (offset.metadata.max.bytes). */
#define TXN_OFFSET_COMMIT_METADATA_MAX 4096

struct toc_part {
	int32_t index;          /* PartitionIndex */
	int64_t offset;         /* CommittedOffset */
	int32_t leader_epoch;   /* CommittedLeaderEpoch */
	struct kslice metadata; /* CommittedMetadata */
	int16_t error;
	int written;            /* in the record */
};

struct toc_topic {
	struct kslice name;
	int32_t first, count;
};

struct toc_ctx {
	struct request *req;
	char *group_id;
	struct toc_topic *topics;
	int32_t topic_count;
	struct toc_part *parts;
	int32_t part_count, part_cap;
};

/* Frees the context with its request. */
static void toc_ctx_free(void *arg)
{
	struct toc_ctx *ctx = arg;
	free(ctx->group_id);
	free(ctx->topics);
	free(ctx->parts);
	free(ctx);
}

/* Writes the response: every partition in request order. */
static void toc_write(struct toc_ctx *ctx)
{
	struct kwriter *w = &ctx->req->w;
	kw_i32(w, 0);                                      /* ThrottleTimeMs */
	kw_array(w, ctx->topic_count);                     /* Topics */
	for (int32_t i = 0; i < ctx->topic_count; i++) {
		const struct toc_topic *t = &ctx->topics[i];
		kw_string_len(w, t->name.p, t->name.len);  /* Name */
		kw_array(w, t->count);                     /* Partitions */
		for (int32_t k = 0; k < t->count; k++) {
			const struct toc_part *p = &ctx->parts[t->first + k];
			kw_i32(w, p->index);               /* PartitionIndex */
			kw_i16(w, p->error);               /* ErrorCode */
			kw_tags(w);
		}
		kw_tags(w);
	}
	kw_tags(w);
}

/* Sets err on every partition still without one (or, with written_only,
 * on those in the record). */
static void toc_fail(struct toc_ctx *ctx, int16_t err, int written_only)
{
	for (int32_t i = 0; i < ctx->part_count; i++) {
		struct toc_part *p = &ctx->parts[i];
		if (written_only ? p->written : !p->error)
			p->error = err;
	}
}

/* The store's callback: the record is durable and applied (or failed). */
static void toc_done(void *arg, int err)
{
	struct toc_ctx *ctx = arg;
	struct group *g = groups_find(ctx->group_id);
	if (g)
		g->commits_in_flight--;
	if (err)
		toc_fail(ctx, KERR_COORDINATOR_NOT_AVAILABLE, 1);
	if (request_conn_alive(ctx->req))
		toc_write(ctx);
	request_complete(ctx->req);
}

/* The catalog topic a request names, or NULL. */
static const struct topic *toc_topic(struct kslice name)
{
	char err[300], buf[TOPIC_NAME_MAX + 1];
	if (topics_name_validate((const char *)name.p, (size_t)name.len, err, sizeof err))
		return NULL;
	memcpy(buf, name.p, (size_t)name.len);
	buf[name.len] = '\0';
	return catalog_topic_by_name(broker.catalog, buf);
}

/* Encodes the partitions that pass as one TXN_COMMIT record; returns how
 * many it holds. */
static int32_t toc_encode(struct toc_ctx *ctx, struct offset_buf *buf,
			  int64_t producer_id)
{
	int64_t now = log_append_now_ms();
	int32_t written = 0;
	for (int32_t i = 0; i < ctx->topic_count; i++) {
		const struct toc_topic *ct = &ctx->topics[i];
		const struct topic *t = toc_topic(ct->name);
		int named = 0;
		for (int32_t k = 0; k < ct->count; k++) {
			struct toc_part *p = &ctx->parts[ct->first + k];
			if (!t || p->index < 0 || p->index >= t->partition_count) {
				p->error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
				continue;
			}
			if (p->metadata.len > TXN_OFFSET_COMMIT_METADATA_MAX) {
				p->error = KERR_OFFSET_METADATA_TOO_LARGE;
				continue;
			}
			if (!written++)
				offset_record_begin_txn(buf, offset_store_next_seq(groups_store()),
							ctx->group_id, strlen(ctx->group_id),
							producer_id);
			if (!named++)
				offset_record_topic(buf, t->name, strlen(t->name), t->id);
			struct offset_part part = {
				.partition = p->index,
				.offset = p->offset,
				.leader_epoch = p->leader_epoch,
				.commit_ms = now,
				.expire_ms = -1,
				.metadata = p->metadata.len > 0 ? (const char *)p->metadata.p : "",
				.metadata_len = p->metadata.len > 0 ? (uint32_t)p->metadata.len : 0,
			};
			offset_record_part(buf, &part);
			p->written = 1;
		}
	}
	return written;
}

/* Reads the Topics array into the context. */
static void toc_read_topics(struct kreader *r, struct toc_ctx *ctx, int16_t ver)
{
	int32_t ntopics = kr_array(r, GROUP_ARGS_MAX, r->flexible ? 3 : 6);
	if (ntopics < 0)
		kreader_fail(r);
	ctx->topics = calloc((size_t)(ntopics > 0 ? ntopics : 1), sizeof *ctx->topics);
	if (!ctx->topics) {
		kreader_fail(r);
		return;
	}
	for (int32_t i = 0; i < ntopics && !kreader_failed(r); i++) {
		struct toc_topic *t = &ctx->topics[i];
		ctx->topic_count = i + 1;
		t->name = kr_string(r);                    /* Name */
		int32_t nparts = kr_array(r, GROUP_ARGS_MAX, 14); /* Partitions */
		if (nparts < 0)
			kreader_fail(r);
		t->first = ctx->part_count;
		for (int32_t k = 0; k < nparts && !kreader_failed(r); k++) {
			if (ctx->part_count == ctx->part_cap) {
				int32_t cap = ctx->part_cap ? ctx->part_cap * 2 : 16;
				struct toc_part *n = realloc(ctx->parts, (size_t)cap * sizeof *n);
				if (!n) {
					kreader_fail(r);
					return;
				}
				ctx->parts = n;
				ctx->part_cap = cap;
			}
			struct toc_part *p = &ctx->parts[ctx->part_count++];
			memset(p, 0, sizeof *p);
			p->leader_epoch = -1;
			p->index = kr_i32(r);              /* PartitionIndex */
			p->offset = kr_i64(r);             /* CommittedOffset */
			if (ver >= 2)
				p->leader_epoch = kr_i32(r); /* CommittedLeaderEpoch */
			p->metadata = kr_nullable_string(r); /* CommittedMetadata */
			kr_tags(r);
			t->count++;
		}
		kr_tags(r);
	}
}

int handle_txn_offset_commit(struct request *req)
{
	struct kreader *r = &req->r;
	int16_t ver = req->api_version;
	struct toc_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return REQ_MALFORMED;
	ctx->req = req;
	req->ctx = ctx;
	req->ctx_free = toc_ctx_free;

	struct kslice txn_id = kr_string(r);               /* TransactionalId */
	struct kslice group_id = kr_string(r);             /* GroupId */
	int64_t producer_id = kr_i64(r);                   /* ProducerId */
	int16_t epoch = kr_i16(r);                         /* ProducerEpoch */
	int32_t generation = -1;
	struct kslice member_id = {(const uint8_t *)"", 0}, instance_id = {NULL, -1};
	if (ver >= 3) {
		generation = kr_i32(r);                    /* GenerationId */
		member_id = kr_string(r);                  /* MemberId */
		instance_id = kr_nullable_string(r);       /* GroupInstanceId */
	}
	toc_read_topics(r, ctx, ver);                      /* Topics */
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;

	int bad_group = 0, bad = 0;
	ctx->group_id = group_args_str(group_id, &bad_group);
	char *id = group_args_str(txn_id, &bad);
	char *mid = group_args_str(member_id, &bad);
	char *iid = group_args_str(instance_id, &bad);
	struct group *g = NULL;
	int16_t err = bad_group || !ctx->group_id[0] ? KERR_INVALID_GROUP_ID
		      : bad || !id[0]			? KERR_INVALID_REQUEST
							: (int16_t)txn_check_offsets(id, producer_id,
										  epoch, ctx->group_id);
	if (!err)
		err = coordinator_txn_commit_check(ctx->group_id, generation, mid, iid, &g);
	free(id);
	free(mid);
	free(iid);
	if (err) {
		toc_fail(ctx, err, 0);
		toc_write(ctx);
		return REQ_DONE;
	}

	struct offset_buf buf = {0};
	int32_t written = toc_encode(ctx, &buf, producer_id);
	if (!written) {
		offset_buf_free(&buf);
		toc_write(ctx);
		return REQ_DONE;
	}
	int rc = offset_record_end(&buf);
	if (!rc)
		rc = offset_store_submit(groups_store(), &buf, toc_done, ctx);
	offset_buf_free(&buf);
	if (rc) {
		toc_fail(ctx, rc == SL_EINVAL ? KERR_INVALID_COMMIT_OFFSET_SIZE
					      : KERR_COORDINATOR_NOT_AVAILABLE, 1);
		toc_write(ctx);
		return REQ_DONE;
	}
	g->commits_in_flight++;
	return REQ_DEFERRED;
}
