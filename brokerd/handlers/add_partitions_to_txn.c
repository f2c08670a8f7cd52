/*
 * AddPartitionsToTxn v0-v5.  v0-v3 (clients) name one transaction; v4+
 * (brokers) batch several, each possibly VerifyOnly (is the partition
 * already in the open transaction?).  As in Kafka, a request naming a
 * partition that does not exist adds nothing: those partitions get
 * UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED.
 * Otherwise the coordinator's answer (once the transaction's new state is
 * durable) is every partition's error.  PRODUCER_FENCED is
 * INVALID_PRODUCER_EPOCH before v2, which does not know it.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/catalog/catalog.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "brokerd/txn/txn_coordinator.h"
#include "common/errors.h"

struct apt_part {
	int32_t index;     /* PartitionIndex */
	int16_t error;     /* PartitionErrorCode */
};

struct apt_topic {
	struct kslice name;
	int32_t first, count; /* parts[first .. first+count) */
};

struct apt_ctx;

struct apt_txn {
	struct apt_ctx *ctx;
	struct kslice id;
	int64_t producer_id;
	int16_t epoch;
	int verify_only;
	int32_t first, count; /* topics[first .. first+count) */
};

struct apt_ctx {
	struct request *req;
	struct apt_txn *txns;
	int32_t txn_count;
	struct apt_topic *topics;
	int32_t topic_count, topic_cap;
	struct apt_part *parts;
	int32_t part_count, part_cap;
	int waiting; /* coordinator answers still to come */
};

/* Frees the context with its request. */
static void apt_ctx_free(void *arg)
{
	struct apt_ctx *ctx = arg;
	free(ctx->txns);
	free(ctx->topics);
	free(ctx->parts);
	free(ctx);
}

/* Writes one transaction's topic results. */
static void apt_write_topics(struct kwriter *w, const struct apt_ctx *ctx,
			     const struct apt_txn *txn, int16_t ver)
{
	kw_array(w, txn->count);
	for (int32_t i = 0; i < txn->count; i++) {
		const struct apt_topic *t = &ctx->topics[txn->first + i];
		kw_string_len(w, t->name.p, t->name.len);  /* Name */
		kw_array(w, t->count);                     /* ResultsByPartition */
		for (int32_t k = 0; k < t->count; k++) {
			const struct apt_part *p = &ctx->parts[t->first + k];
			int16_t err = p->error;
			if (err == KERR_PRODUCER_FENCED && ver < 2)
				err = KERR_INVALID_PRODUCER_EPOCH;
			kw_i32(w, p->index);               /* PartitionIndex */
			kw_i16(w, err);                    /* PartitionErrorCode */
			kw_tags(w);
		}
		kw_tags(w);
	}
}

/* Writes the response. */
static void apt_write(struct apt_ctx *ctx)
{
	struct kwriter *w = &ctx->req->w;
	int16_t ver = ctx->req->api_version;
	kw_i32(w, 0);                                      /* ThrottleTimeMs */
	if (ver >= 4) {
		kw_i16(w, 0);                              /* ErrorCode */
		kw_array(w, ctx->txn_count);               /* ResultsByTransaction */
		for (int32_t i = 0; i < ctx->txn_count; i++) {
			const struct apt_txn *txn = &ctx->txns[i];
			kw_string_len(w, txn->id.p, txn->id.len); /* TransactionalId */
			apt_write_topics(w, ctx, txn, ver);        /* TopicResults */
			kw_tags(w);
		}
	} else {
		apt_write_topics(w, ctx, &ctx->txns[0], ver); /* ResultsByTopicV3AndBelow */
	}
	kw_tags(w);
}

/* Sets err on every partition of a transaction. */
static void apt_fail(struct apt_txn *txn, int16_t err)
{
	struct apt_ctx *ctx = txn->ctx;
	for (int32_t i = 0; i < txn->count; i++) {
		const struct apt_topic *t = &ctx->topics[txn->first + i];
		for (int32_t k = 0; k < t->count; k++)
			ctx->parts[t->first + k].error = err;
	}
}

/* The coordinator's answer for one transaction. */
static void apt_done(void *arg, int16_t err, int64_t producer_id, int16_t epoch)
{
	struct apt_txn *txn = arg;
	struct apt_ctx *ctx = txn->ctx;
	apt_fail(txn, err);
	if (--ctx->waiting)
		return;
	if (request_conn_alive(ctx->req))
		apt_write(ctx);
	request_complete(ctx->req);
}

/* Resolves a transaction's partitions and asks the coordinator. */
static void apt_process(struct apt_txn *txn)
{
	struct apt_ctx *ctx = txn->ctx;
	int bad = 0;
	char *id = group_args_str(txn->id, &bad);
	if (bad || !id[0]) {
		free(id);
		apt_fail(txn, KERR_INVALID_REQUEST);
		return;
	}
	size_t n = 0, missing = 0;
	for (int32_t i = 0; i < txn->count; i++)
		n += (size_t)ctx->topics[txn->first + i].count;
	struct txn_add_part *add = calloc(n + 1, sizeof *add);
	if (!add) {
		free(id);
		apt_fail(txn, KERR_COORDINATOR_NOT_AVAILABLE);
		return;
	}
	n = 0;
	for (int32_t i = 0; i < txn->count; i++) {
		const struct apt_topic *at = &ctx->topics[txn->first + i];
		const struct topic *t = topics_find(at->name);
		for (int32_t k = 0; k < at->count; k++) {
			struct apt_part *p = &ctx->parts[at->first + k];
			if (!t || p->index < 0 || p->index >= t->partition_count) {
				p->error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
				missing++;
				continue;
			}
			p->error = KERR_OPERATION_NOT_ATTEMPTED;
			add[n++] = (struct txn_add_part){topic_stream_id(t, p->index),
							 p->index, t->name};
		}
	}
	if (txn->verify_only) {
		size_t k = 0;
		for (int32_t i = 0; i < txn->count; i++) {
			const struct apt_topic *at = &ctx->topics[txn->first + i];
			for (int32_t j = 0; j < at->count; j++) {
				struct apt_part *p = &ctx->parts[at->first + j];
				if (p->error == KERR_OPERATION_NOT_ATTEMPTED)
					p->error = (int16_t)txn_verify(id, txn->producer_id,
								       txn->epoch,
								       add[k++].stream_id);
			}
		}
	} else if (!missing) {
		int rc = txn_add(id, txn->producer_id, txn->epoch, add, n, NULL,
				 apt_done, txn);
		if (rc == TXN_WAIT)
			ctx->waiting++;
		else
			apt_fail(txn, (int16_t)rc);
	}
	free(add);
	free(id);
}

/* Reads one transaction's Topics into the context. */
static void apt_read_topics(struct kreader *r, struct apt_ctx *ctx,
			    struct apt_txn *txn)
{
	int32_t ntopics = kr_array(r, GROUP_ARGS_MAX, r->flexible ? 3 : 6);
	if (ntopics < 0)
		kreader_fail(r);
	txn->first = ctx->topic_count;
	for (int32_t i = 0; i < ntopics && !kreader_failed(r); i++) {
		if (ctx->topic_count == ctx->topic_cap) {
			int32_t cap = ctx->topic_cap ? ctx->topic_cap * 2 : 8;
			struct apt_topic *t = realloc(ctx->topics, (size_t)cap * sizeof *t);
			if (!t) {
				kreader_fail(r);
				return;
			}
			ctx->topics = t;
			ctx->topic_cap = cap;
		}
		struct apt_topic *t = &ctx->topics[ctx->topic_count++];
		txn->count++;
		t->name = kr_string(r);                    /* Name */
		int32_t nparts = kr_array(r, GROUP_ARGS_MAX, 4); /* Partitions */
		if (nparts < 0)
			kreader_fail(r);
		t->first = ctx->part_count;
		t->count = 0;
		for (int32_t k = 0; k < nparts && !kreader_failed(r); k++) {
			if (ctx->part_count == ctx->part_cap) {
				int32_t cap = ctx->part_cap ? ctx->part_cap * 2 : 16;
				struct apt_part *p = realloc(ctx->parts, (size_t)cap * sizeof *p);
				if (!p) {
					kreader_fail(r);
					return;
				}
				ctx->parts = p;
				ctx->part_cap = cap;
			}
			ctx->parts[ctx->part_count].index = kr_i32(r);
			ctx->parts[ctx->part_count++].error = 0;
			t->count++;
		}
		kr_tags(r);
	}
}

int handle_add_partitions_to_txn(struct request *req)
{
	struct kreader *r = &req->r;
	int16_t ver = req->api_version;
	struct apt_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return REQ_MALFORMED;
	ctx->req = req;
	req->ctx = ctx;
	req->ctx_free = apt_ctx_free;

	int32_t ntxns = 1;
	if (ver >= 4) {
		ntxns = kr_array(r, GROUP_ARGS_MAX, 16);   /* Transactions */
		if (ntxns < 0)
			kreader_fail(r);
	}
	ctx->txns = calloc((size_t)(ntxns > 0 ? ntxns : 1), sizeof *ctx->txns);
	if (!ctx->txns)
		return REQ_MALFORMED;
	for (int32_t i = 0; i < ntxns && !kreader_failed(r); i++) {
		struct apt_txn *txn = &ctx->txns[i];
		txn->ctx = ctx;
		ctx->txn_count = i + 1;
		txn->id = kr_string(r);                    /* TransactionalId */
		txn->producer_id = kr_i64(r);              /* ProducerId */
		txn->epoch = kr_i16(r);                    /* ProducerEpoch */
		if (ver >= 4)
			txn->verify_only = kr_bool(r);     /* VerifyOnly */
		apt_read_topics(r, ctx, txn);              /* Topics */
		if (ver >= 4)
			kr_tags(r);
	}
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;

	ctx->waiting = 1; /* held until every transaction is asked */
	for (int32_t i = 0; i < ctx->txn_count; i++)
		apt_process(&ctx->txns[i]);
	if (--ctx->waiting)
		return REQ_DEFERRED;
	apt_write(ctx);
	return REQ_DONE;
}
