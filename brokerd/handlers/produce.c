/*
 * Produce v3-v9 (RecordBatch v2 only).  Each batch is validated, given its
 * offsets (BaseOffset patched in place) and appended to the WAL's current
 * group-commit block; the response waits until the WAL reports those bytes
 * durable (acks=1 and acks=all both mean durable on the WAL; acks=0 gets no
 * response).  A partition whose records fail validation is rejected whole.
 *
 * Batches with a producer id go through the partition's producer state
 * (producer_state.h): a retried batch (same epoch and sequence range as
 * one of the producer's last five) is not written again but answered with
 * the first offset it got, once that original is durable; a stale epoch
 * or a sequence gap rejects the partition.  A transactional batch must
 * belong to an open transaction that holds the partition (the transaction
 * coordinator says so); control batches are the coordinator's alone.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/partition/durable.h"
#include "brokerd/partition/log_append.h"
#include "brokerd/partition/partition.h"
#include "brokerd/partition/producer_state.h"
#include "brokerd/partition/record_batch.h"
#include "brokerd/server/request.h"
#include "brokerd/txn/txn_coordinator.h"
#include "brokerd/wal/wal.h"
#include "common/bytes.h"
#include "common/counters.h"
#include "common/errors.h"
#include "common/log.h"

#define PRODUCE_MAX_TOPICS 10000
#define PRODUCE_MAX_PARTITIONS 100000

struct produce_result {
	int32_t topic;      /* index into produce_ctx.topics */
	int32_t index;      /* PartitionIndex */
	int16_t error;
	int64_t base_offset;
	int64_t log_append_time;
	int64_t log_start;
	const char *message; /* static text or NULL */
};

struct produce_topic {
	struct kslice name;
	int32_t first, count; /* results[first .. first+count) */
};

struct produce_ctx {
	struct produce_topic *topics;
	int32_t topic_count;
	struct produce_result *results;
	int32_t result_count, result_cap;
};

/* Frees a produce context. */
static void produce_ctx_free(void *arg)
{
	struct produce_ctx *ctx = arg;
	free(ctx->topics);
	free(ctx->results);
	free(ctx);
}

/* The topic's max.message.bytes, or the broker's message.max.bytes. */
static int64_t produce_max_batch_bytes(const struct topic *t)
{
	const char *v = topic_config_get(t, "max.message.bytes");
	return v ? strtoll(v, NULL, 10) : broker.cfg->message_max_bytes;
}

/* Checks one validated batch against the partition's producers and open
 * transactions; 0, PRODUCER_CHECK_DUPLICATE (*dup set) or a Kafka error. */
static int produce_check_producer(struct producer_check *chk,
				  const struct partition *part, const uint8_t *p,
				  struct producer_batch *dup, const char **why)
{
	struct producer_batch_desc d;
	producer_batch_desc_read(p, &d);
	if (d.control) {
		*why = "control batches are written by the transaction coordinator only";
		return KERR_INVALID_RECORD;
	}
	int err = producer_check_batch(chk, &d, dup, why);
	if (err || !d.transactional)
		return err;
	err = txn_check_produce(d.producer_id, d.epoch, part->stream_id);
	if (err)
		*why = err == KERR_INVALID_PRODUCER_EPOCH
			       ? "the producer was fenced by a newer epoch"
			       : "the partition is not part of an open transaction of this producer";
	return err;
}

/* Validates every batch of one partition's Records; 0, a Kafka error, or
 * PRODUCER_CHECK_DUPLICATE with *dup set. */
static int produce_validate(const struct topic *t, const struct partition *part,
			    uint8_t *p, size_t len, struct producer_batch *dup,
			    const char **why)
{
	struct producer_check chk;
	producer_check_init(&chk, part->producers);
	int64_t max = produce_max_batch_bytes(t);
	if (len == 0) {
		*why = "empty record set";
		return KERR_INVALID_RECORD;
	}
	while (len) {
		int64_t size = record_batch_size(p, len);
		if (size < 0 || (uint64_t)size > len) {
			*why = "record batch length exceeds the records field";
			return KERR_CORRUPT_MESSAGE;
		}
		if (size > max) {
			*why = "record batch larger than max.message.bytes";
			return KERR_MESSAGE_TOO_LARGE;
		}
		struct record_batch_info info;
		int err = record_batch_validate(p, (size_t)size, &info);
		if (err) {
			*why = err == KERR_CORRUPT_MESSAGE ? "record batch failed its CRC or length checks"
							   : "invalid record batch";
			return err;
		}
		err = produce_check_producer(&chk, part, p, dup, why);
		if (err)
			return err; /* a duplicate answers for the partition, as in Kafka */
		p += size;
		len -= (size_t)size;
	}
	return 0;
}

/* Assigns offsets and appends every (validated) batch of a partition to the
 * WAL; returns 0 or a Kafka error, and the WAL end of what it appended. */
static int produce_append(struct partition *part, uint8_t *p, size_t len,
			  int log_append_time, int64_t now,
			  struct produce_result *res, uint64_t *wal_end)
{
	res->base_offset = part->next_offset;
	while (len) {
		size_t size = (size_t)record_batch_size(p, len);
		int32_t count = (int32_t)be32_get(p + RB_OFF_LAST_OFFSET_DELTA) + 1;
		if (log_append_time)
			record_batch_set_log_append_time(p, size, now);
		int err = log_append_batch(part, p, size, wal_end);
		if (err == SL_EFULL) {
			COUNTER_ADD(produce_wal_full, 1);
			res->message = "the WAL is full until uploaded data is trimmed; retry later";
			return KERR_REQUEST_TIMED_OUT;
		}
		if (err)
			return KERR_KAFKA_STORAGE_ERROR;
		COUNTER_ADD(produce_batches, 1);
		COUNTER_ADD(produce_records, count);
		COUNTER_ADD(produce_bytes, size);
		p += size;
		len -= size;
	}
	return 0;
}

/* Handles one partition's data: lookup, validation, append. */
static void produce_partition(const struct topic *t, int16_t acks,
			      struct kslice records, struct produce_result *res,
			      uint64_t *wal_end)
{
	res->base_offset = -1;
	res->log_append_time = -1;
	res->log_start = -1;
	struct partition *part = NULL;
	if (t && res->index >= 0 && res->index < t->partition_count)
		part = partition_by_stream(broker.partitions,
					   topic_stream_id(t, res->index));
	if (!part) {
		res->error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	res->log_start = part->log_start;
	if (acks != 0 && acks != 1 && acks != -1) {
		res->error = KERR_INVALID_REQUIRED_ACKS;
		return;
	}
	if (records.len < 0) {
		res->error = KERR_INVALID_RECORD;
		res->message = "null records";
		return;
	}
	/* The frame is ours (request.frame), so batches are patched in place. */
	uint8_t *p = (uint8_t *)records.p;
	struct producer_batch dup;
	int err = produce_validate(t, part, p, (size_t)records.len, &dup, &res->message);
	if (err == PRODUCER_CHECK_DUPLICATE) {
		/* answered like the original, once the original is durable */
		COUNTER_ADD(produce_duplicates, 1);
		res->base_offset = dup.first_offset;
		if (dup.wal_end > *wal_end)
			*wal_end = dup.wal_end;
		return;
	}
	uint64_t end = 0;
	if (!err) {
		const char *tt = topic_config_get(t, "message.timestamp.type");
		int lat = tt && !strcmp(tt, "LogAppendTime");
		int64_t now = log_append_now_ms();
		err = produce_append(part, p, (size_t)records.len, lat, now, res, &end);
		if (lat && !err)
			res->log_append_time = now;
	}
	if (end > *wal_end)
		*wal_end = end;
	if (err) {
		res->error = (int16_t)err;
		res->base_offset = -1;
		COUNTER_ADD(produce_errors, 1);
	}
}

/* Writes the response body once everything appended is durable. */
static void produce_respond(struct request *req)
{
	struct produce_ctx *ctx = req->ctx;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;
	kw_array(w, ctx->topic_count); /* Responses */
	for (int32_t ti = 0; ti < ctx->topic_count; ti++) {
		struct produce_topic *pt = &ctx->topics[ti];
		kw_string_len(w, pt->name.p, pt->name.len);
		kw_array(w, pt->count); /* PartitionResponses */
		for (int32_t i = 0; i < pt->count; i++) {
			struct produce_result *res = &ctx->results[pt->first + i];
			kw_i32(w, res->index);
			kw_i16(w, res->error);
			kw_i64(w, res->base_offset);
			kw_i64(w, res->log_append_time); /* v2+ */
			if (ver >= 5)
				kw_i64(w, res->log_start);
			if (ver >= 8) {
				kw_array(w, 0); /* RecordErrors */
				kw_string(w, res->error ? res->message : NULL);
			}
			kw_tags(w);
		}
		kw_tags(w);
	}
	kw_i32(w, 0); /* ThrottleTimeMs */
	kw_tags(w);
}

/* Completion of a deferred produce. */
static void produce_on_durable(struct request *req)
{
	if (request_conn_alive(req))
		produce_respond(req);
	request_complete(req);
}

int handle_produce(struct request *req)
{
	struct kreader *r = &req->r;
	struct produce_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return REQ_MALFORMED;
	req->ctx = ctx;
	req->ctx_free = produce_ctx_free;
	COUNTER_ADD(produce_requests, 1);

	(void)kr_nullable_string(r); /* TransactionalId (v3+) */
	int16_t acks = kr_i16(r);
	(void)kr_i32(r); /* TimeoutMs */
	int32_t ntopics = kr_array(r, PRODUCE_MAX_TOPICS, 2);
	if (ntopics < 0)
		return REQ_MALFORMED;
	ctx->topics = calloc((size_t)ntopics + 1, sizeof *ctx->topics);
	if (!ctx->topics)
		return REQ_MALFORMED;
	uint64_t wal_end = 0;
	for (int32_t ti = 0; ti < ntopics && !kreader_failed(r); ti++) {
		struct produce_topic *pt = &ctx->topics[ti];
		char name[TOPIC_NAME_MAX + 1];
		pt->name = kr_string(r);
		int known_name = pt->name.len >= 0 && pt->name.len <= TOPIC_NAME_MAX;
		if (known_name) {
			memcpy(name, pt->name.p, (size_t)pt->name.len);
			name[pt->name.len] = '\0';
		}
		const struct topic *t = known_name ? catalog_topic_by_name(broker.catalog, name) : NULL;
		int32_t nparts = kr_array(r, PRODUCE_MAX_PARTITIONS, 4);
		if (nparts < 0)
			return REQ_MALFORMED;
		pt->first = ctx->result_count;
		pt->count = nparts;
		if (ctx->result_count + nparts > ctx->result_cap) {
			int32_t cap = ctx->result_cap * 2 + nparts;
			struct produce_result *n = realloc(ctx->results, (size_t)cap * sizeof *n);
			if (!n)
				return REQ_MALFORMED;
			ctx->results = n;
			ctx->result_cap = cap;
		}
		for (int32_t i = 0; i < nparts && !kreader_failed(r); i++) {
			struct produce_result *res = &ctx->results[ctx->result_count++];
			memset(res, 0, sizeof *res);
			res->topic = ti;
			res->index = kr_i32(r);
			struct kslice records = kr_nullable_bytes(r); /* Records */
			kr_tags(r);
			if (kreader_failed(r))
				break;
			produce_partition(t, acks, records, res, &wal_end);
		}
		kr_tags(r);
		ctx->topic_count = ti + 1;
	}
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED; /* batches already appended stay: they are valid */
	if (acks == 0)
		return REQ_NO_RESPONSE;
	if (wal_end == 0) {
		produce_respond(req);
		return REQ_DONE;
	}
	if (durable_wait(req, wal_end, produce_on_durable) < 0)
		return REQ_MALFORMED;
	return REQ_DEFERRED;
}
