/*
 * Fetch v4-v12.  Batches are served as stored (compressed ones untouched)
 * from the shm cache or the WAL, never past the high watermark.  When fewer
 * than MinBytes are available the request waits (long polling) until new
 * data becomes durable (durable.c wakes every waiting fetch) or MaxWaitMs
 * passes.  Fetch sessions (KIP-227) are declined: SessionId 0 in every
 * response, so clients send full requests.
 *
 * Where the bytes come from, in order: the shm cache, the WAL (until it is
 * trimmed), and S3 (cold reads: the catalog maps the offset to an object
 * block, which the block cache loads asynchronously; a fetch that needs it
 * waits like a long poll and is woken when it arrives).  A cold answer
 * continues into the following blocks while they are cached and MaxBytes
 * allows, and FETCH_READ_AHEAD bytes after the fetch offset are kept
 * loading, in GETs of several blocks, so that a sequential consumer finds
 * its next blocks cached instead of waiting one GET per block.
 *
 * Transactions: LastStableOffset is the partition's last stable offset
 * (the first offset of its earliest open transaction, or the high
 * watermark).  A READ_COMMITTED fetch (IsolationLevel 1) gets no batch at
 * or past it, and AbortedTransactions lists the aborted transactions that
 * overlap the batches returned (producer id and first offset; the client
 * drops that producer's records from there to its ABORT marker), as Kafka
 * does; READ_UNCOMMITTED gets a null list.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/cold/block_cache.h"
#include "brokerd/handlers/fetch.h"
#include "brokerd/partition/durable.h"
#include "brokerd/partition/partition.h"
#include "brokerd/partition/producer_state.h"
#include "brokerd/partition/record_batch.h"
#include "brokerd/server/request.h"
#include "brokerd/shm/segment.h"
#include "brokerd/wal/wal.h"
#include "common/bytes.h"
#include "common/counters.h"
#include "common/errors.h"
#include "common/log.h"

#define FETCH_MAX_TOPICS 10000
#define FETCH_MAX_PARTITIONS 100000
/* Upper bound on one response whatever MaxBytes says (memory per request). */
#define FETCH_RESPONSE_CAP (64 << 20)
/* Cold blocks one partition's answer may span. */
#define FETCH_COLD_SPANS 4
/* How far ahead of a cold fetch offset blocks are loaded: two GETs of
 * BLOCK_CACHE_GET_BYTES, so that one is in flight while the consumer
 * reads what the other brought. */
#define FETCH_READ_AHEAD (2 * (uint64_t)BLOCK_CACHE_GET_BYTES)

/* Bytes [from, to) of a cached cold block, in a partition's answer. */
struct fetch_cold_span {
	const struct cold_block *blk;
	uint32_t from, to;
};

struct fetch_part {
	int32_t index;
	int64_t fetch_offset;
	int32_t max_bytes;
	int16_t error;
	struct partition *part; /* resolved at each evaluation */
	size_t first_batch, batch_count;
	struct fetch_cold_span cold[FETCH_COLD_SPANS]; /* or from cold blocks */
	int cold_count;
	int64_t bytes;
	int64_t end;   /* offset after the last batch planned (fetch_offset: none) */
	int64_t limit; /* batches must end below it (HW, or LSO when committed) */
};

struct fetch_topic {
	struct kslice name;
	int32_t first, count;
};

struct fetch_ctx {
	LIST_ENTRY(fetch_ctx) link;
	struct request *req;
	struct event *timer;
	int32_t min_bytes, max_bytes;
	int8_t isolation;
	int16_t top_error;
	struct fetch_topic *topics;
	int32_t topic_count;
	struct fetch_part *parts;
	int32_t part_count, part_cap;
	int waiting;
	int errors; /* partitions answered with an error: respond at once */
};

/* Whether a WAL-resident batch can still be read locally. */
static int fetch_local(const struct batch_entry *e)
{
	const uint8_t *ptr[2];
	size_t plen[2];
	return e->wal_pos >= wal_trim(broker.wal) ||
	       shm_cache_iov(broker.shm, e->wal_pos, e->len, ptr, plen) > 0;
}

/* Adds the batches of a cached cold block at or after the fetch offset to
 * the plan, within budget; returns 1 when the rest of the block fit (the
 * next block may follow), 0 when the answer ends in this block. */
static int fetch_plan_cold_block(struct fetch_part *fp, const struct cold_block *cb,
				 int64_t budget, int first_nonempty)
{
	uint32_t pos = 0, from = 0;
	int whole = 0;
	for (;;) {
		if (pos == cb->size) {
			whole = 1;
			break;
		}
		int64_t size = record_batch_size(cb->bytes + pos, cb->size - pos);
		if (size < RB_HEADER_BYTES || pos + size > cb->size)
			break; /* the block CRC matched, so this is the end */
		const uint8_t *bp = cb->bytes + pos;
		int64_t last = (int64_t)be64_get(bp + RB_OFF_BASE_OFFSET) +
			       (int32_t)be32_get(bp + RB_OFF_LAST_OFFSET_DELTA);
		if (last < fp->fetch_offset) {
			pos += (uint32_t)size;
			from = pos;
			continue;
		}
		if (last >= fp->limit)
			break; /* past the last stable offset */
		int64_t next_bytes = fp->bytes + size;
		int exempt = fp->bytes == 0 && first_nonempty;
		if (!exempt && (next_bytes > fp->max_bytes || next_bytes > budget))
			break;
		fp->bytes = next_bytes;
		pos += (uint32_t)size;
		fp->end = last + 1;
	}
	if (pos > from)
		fp->cold[fp->cold_count++] = (struct fetch_cold_span){cb, from, pos};
	return whole;
}

/* Plans a cold read: the batches at or after the fetch offset in the
 * object block that holds it, then in the blocks after it while they are
 * cached and the budget lasts.  Starts loading what is missing, and the
 * read-ahead, when not cached. */
static int64_t fetch_plan_cold(struct fetch_part *fp, int64_t budget, int first_nonempty)
{
	struct partition *p = fp->part;
	size_t n;
	const struct catalog_block *all =
		catalog_stream_blocks(broker.catalog, p->stream_id, &n);
	const struct catalog_block *b =
		catalog_stream_find(broker.catalog, p->stream_id, fp->fetch_offset);
	if (!b)
		return 0;
	size_t left = n - (size_t)(b - all);
	int failed;
	const struct cold_block *cb = block_cache_get_run(b, left, &failed);
	block_cache_read_ahead(b + 1, left - 1, FETCH_READ_AHEAD);
	if (!cb) {
		if (failed)
			fp->error = KERR_KAFKA_STORAGE_ERROR;
		return 0;
	}
	for (size_t k = 1; fetch_plan_cold_block(fp, cb, budget, first_nonempty); k++) {
		if (k == left || fp->cold_count == FETCH_COLD_SPANS)
			break;
		/* a missing next block is loading already (the read-ahead);
		 * answer with what is here rather than wait for it */
		cb = block_cache_get_run(b + k, left - k, &failed);
		if (!cb)
			break;
	}
	return fp->bytes;
}

static LIST_HEAD(, fetch_ctx) fetch_waiters = LIST_HEAD_INITIALIZER(fetch_waiters);

/* Frees a fetch context (also when its connection went away). */
static void fetch_ctx_free(void *arg)
{
	struct fetch_ctx *ctx = arg;
	if (ctx->waiting)
		LIST_REMOVE(ctx, link);
	if (ctx->timer)
		event_free(ctx->timer);
	free(ctx->topics);
	free(ctx->parts);
	free(ctx);
}

/* Resolves one partition and plans which batches it returns within budget;
 * returns the bytes planned. */
static int64_t fetch_plan_partition(struct fetch_ctx *ctx, const struct topic *t,
				    struct fetch_part *fp, int64_t budget,
				    int first_nonempty)
{
	fp->error = 0;
	fp->batch_count = 0;
	fp->bytes = 0;
	fp->part = NULL;
	fp->cold_count = 0;
	fp->end = fp->fetch_offset;
	if (t && fp->index >= 0 && fp->index < t->partition_count)
		fp->part = partition_by_stream(broker.partitions,
					       topic_stream_id(t, fp->index));
	struct partition *p = fp->part;
	if (!p) {
		fp->error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return 0;
	}
	if (fp->fetch_offset < p->log_start || fp->fetch_offset > p->high_watermark) {
		fp->error = KERR_OFFSET_OUT_OF_RANGE;
		return 0;
	}
	fp->limit = ctx->isolation ? partition_last_stable(p) : p->high_watermark;
	size_t i = partition_find(p, fp->fetch_offset);
	if (fp->fetch_offset < fp->limit &&
	    (i == p->batch_count || p->batches[i].base_offset > fp->fetch_offset ||
	     !fetch_local(&p->batches[i])))
		return fetch_plan_cold(fp, budget, first_nonempty);
	fp->first_batch = i;
	for (; i < p->batch_count; i++) {
		const struct batch_entry *e = &p->batches[i];
		if (e->last_offset >= fp->limit || !fetch_local(e))
			break;
		int64_t next = fp->bytes + e->len;
		/* KIP-74: the first batch is returned even when it exceeds the
		 * limits, so a consumer always makes progress */
		int exempt = fp->bytes == 0 && first_nonempty;
		if (!exempt && (next > fp->max_bytes || next > budget))
			break;
		fp->bytes = next;
		fp->batch_count++;
		fp->end = e->last_offset + 1;
	}
	return fp->bytes;
}

/* Writes AbortedTransactions for a READ_COMMITTED answer: every aborted
 * transaction whose marker is at or after the fetch offset and whose
 * first offset is before the end of what is returned (Kafka's
 * collectAbortedTransactions). */
static void fetch_write_aborted(struct kwriter *w, const struct fetch_part *fp)
{
	const struct producer_state *s = fp->part ? fp->part->producers : NULL;
	if (!s || fp->end <= fp->fetch_offset) {
		kw_array(w, 0);
		return;
	}
	size_t from = producer_state_aborted_from(s, fp->fetch_offset);
	int32_t n = 0;
	for (size_t i = from; i < s->aborted_count; i++)
		n += s->aborted[i].first_offset < fp->end;
	kw_array(w, n);
	for (size_t i = from; i < s->aborted_count; i++) {
		if (s->aborted[i].first_offset >= fp->end)
			continue;
		kw_i64(w, s->aborted[i].producer_id);      /* ProducerId */
		kw_i64(w, s->aborted[i].first_offset);     /* FirstOffset */
		kw_tags(w);
	}
}

/* Plans the whole response; returns the record bytes it would carry. */
static int64_t fetch_plan(struct fetch_ctx *ctx)
{
	int64_t total = 0;
	ctx->errors = 0;
	int64_t limit = ctx->max_bytes < FETCH_RESPONSE_CAP ? ctx->max_bytes : FETCH_RESPONSE_CAP;
	for (int32_t ti = 0; ti < ctx->topic_count; ti++) {
		struct fetch_topic *ft = &ctx->topics[ti];
		char name[TOPIC_NAME_MAX + 1];
		const struct topic *t = NULL;
		if (ft->name.len >= 0 && ft->name.len <= TOPIC_NAME_MAX) {
			memcpy(name, ft->name.p, (size_t)ft->name.len);
			name[ft->name.len] = '\0';
			t = catalog_topic_by_name(broker.catalog, name);
		}
		for (int32_t i = 0; i < ft->count; i++) {
			struct fetch_part *fp = &ctx->parts[ft->first + i];
			total += fetch_plan_partition(ctx, t, fp, limit - total, total == 0);
			ctx->errors += fp->error != 0;
		}
	}
	return total;
}

/* Appends a planned partition's batches to the response. */
static int fetch_write_records(struct kwriter *w, struct fetch_part *fp)
{
	struct partition *p = fp->part;
	for (int k = 0; k < fp->cold_count; k++)
		kw_raw(w, fp->cold[k].blk->bytes + fp->cold[k].from,
		       fp->cold[k].to - fp->cold[k].from);
	if (fp->cold_count)
		return 0;
	for (size_t i = 0; i < fp->batch_count; i++) {
		const struct batch_entry *e = &p->batches[fp->first_batch + i];
		const uint8_t *ptr[2];
		size_t plen[2];
		int n = shm_cache_iov(broker.shm, e->wal_pos, e->len, ptr, plen);
		if (n > 0) {
			COUNTER_ADD(fetch_cache_hits, 1);
			for (int k = 0; k < n; k++)
				kw_raw(w, ptr[k], plen[k]);
			continue;
		}
		COUNTER_ADD(fetch_wal_reads, 1);
		struct evbuffer_iovec v;
		if (evbuffer_reserve_space(w->buf, e->len, &v, 1) < 1 ||
		    wal_read(broker.wal, e->wal_pos, v.iov_base, e->len) < 0)
			return SL_EIO;
		v.iov_len = e->len;
		evbuffer_commit_space(w->buf, &v, 1);
	}
	return 0;
}

/* Writes the response for the current plan. */
static void fetch_respond(struct fetch_ctx *ctx)
{
	struct request *req = ctx->req;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;
	kw_i32(w, 0); /* ThrottleTimeMs */
	if (ver >= 7) {
		kw_i16(w, ctx->top_error);
		kw_i32(w, 0); /* SessionId: no session */
	}
	kw_array(w, ctx->topic_count); /* Responses */
	for (int32_t ti = 0; ti < ctx->topic_count; ti++) {
		struct fetch_topic *ft = &ctx->topics[ti];
		kw_string_len(w, ft->name.p, ft->name.len);
		kw_array(w, ft->count);
		for (int32_t i = 0; i < ft->count; i++) {
			struct fetch_part *fp = &ctx->parts[ft->first + i];
			struct partition *p = fp->part;
			/* a WAL read error is found while writing: reserve the
			 * records in a side buffer first */
			struct evbuffer *records = evbuffer_new();
			struct kwriter rw = {records, w->flexible};
			int16_t err = fp->error;
			if (!err && records && fetch_write_records(&rw, fp) < 0) {
				log_error("fetch: WAL read failed for stream %llu",
					  (unsigned long long)p->stream_id);
				err = KERR_KAFKA_STORAGE_ERROR;
				evbuffer_drain(records, evbuffer_get_length(records));
			}
			kw_i32(w, fp->index);
			kw_i16(w, err);
			kw_i64(w, p ? p->high_watermark : -1);
			kw_i64(w, p ? partition_last_stable(p) : -1); /* LastStableOffset */
			if (ver >= 5)
				kw_i64(w, p ? p->log_start : -1);
			if (ctx->isolation && !err)
				fetch_write_aborted(w, fp);  /* AbortedTransactions */
			else
				kw_array(w, ctx->isolation ? 0 : -1);
			if (ver >= 11)
				kw_i32(w, -1); /* PreferredReadReplica */
			size_t n = records ? evbuffer_get_length(records) : 0;
			kw_bytes_len(w, (int32_t)n);
			if (n) {
				COUNTER_ADD(fetch_bytes, n);
				evbuffer_add_buffer(w->buf, records);
			}
			if (records)
				evbuffer_free(records);
			kw_tags(w);
		}
		kw_tags(w);
	}
	kw_tags(w);
}

/* Ends a waiting fetch: responds with whatever is there now. */
static void fetch_finish(struct fetch_ctx *ctx)
{
	if (ctx->waiting) {
		LIST_REMOVE(ctx, link);
		ctx->waiting = 0;
	}
	if (request_conn_alive(ctx->req)) {
		fetch_plan(ctx);
		fetch_respond(ctx);
	}
	request_complete(ctx->req);
}

/* libevent: MaxWaitMs passed. */
static void fetch_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	fetch_finish(arg);
}

/* Called when high watermarks advanced: finishes the fetches that now
 * have MinBytes (or whose connection has gone, or all of them when brokerd
 * stops: a graceful stop answers long polls at once). */
static void fetch_wake(void)
{
	struct fetch_ctx *ctx, *next;
	for (ctx = LIST_FIRST(&fetch_waiters); ctx; ctx = next) {
		next = LIST_NEXT(ctx, link);
		if (broker.stopping || !request_conn_alive(ctx->req) ||
		    fetch_plan(ctx) >= ctx->min_bytes || ctx->errors)
			fetch_finish(ctx);
	}
}

void fetch_init(void)
{
	durable_set_wakeup(fetch_wake);
}

void fetch_wake_all(void)
{
	fetch_wake();
}

/* Adds a result slot, growing the array. */
static struct fetch_part *fetch_add_part(struct fetch_ctx *ctx)
{
	if (ctx->part_count == ctx->part_cap) {
		int32_t cap = ctx->part_cap ? ctx->part_cap * 2 : 16;
		struct fetch_part *n = realloc(ctx->parts, (size_t)cap * sizeof *n);
		if (!n)
			return NULL;
		ctx->parts = n;
		ctx->part_cap = cap;
	}
	struct fetch_part *fp = &ctx->parts[ctx->part_count++];
	memset(fp, 0, sizeof *fp);
	return fp;
}

int handle_fetch(struct request *req)
{
	struct kreader *r = &req->r;
	int16_t ver = req->api_version;
	struct fetch_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return REQ_MALFORMED;
	ctx->req = req;
	req->ctx = ctx;
	req->ctx_free = fetch_ctx_free;
	COUNTER_ADD(fetch_requests, 1);

	(void)kr_i32(r); /* ReplicaId */
	int32_t max_wait = kr_i32(r);
	ctx->min_bytes = kr_i32(r);
	ctx->max_bytes = kr_i32(r); /* v3+ */
	ctx->isolation = kr_i8(r);  /* v4+ */
	int32_t session_id = 0;
	if (ver >= 7) {
		session_id = kr_i32(r);
		(void)kr_i32(r); /* SessionEpoch */
	}
	int32_t ntopics = kr_array(r, FETCH_MAX_TOPICS, 2);
	if (ntopics < 0)
		return REQ_MALFORMED;
	ctx->topics = calloc((size_t)ntopics + 1, sizeof *ctx->topics);
	if (!ctx->topics)
		return REQ_MALFORMED;
	for (int32_t ti = 0; ti < ntopics && !kreader_failed(r); ti++) {
		struct fetch_topic *ft = &ctx->topics[ti];
		ft->name = kr_string(r);
		int32_t nparts = kr_array(r, FETCH_MAX_PARTITIONS, 16);
		if (nparts < 0)
			return REQ_MALFORMED;
		ft->first = ctx->part_count;
		ft->count = nparts;
		for (int32_t i = 0; i < nparts && !kreader_failed(r); i++) {
			struct fetch_part *fp = fetch_add_part(ctx);
			if (!fp)
				return REQ_MALFORMED;
			fp->index = kr_i32(r);
			if (ver >= 9)
				(void)kr_i32(r); /* CurrentLeaderEpoch */
			fp->fetch_offset = kr_i64(r);
			if (ver >= 12)
				(void)kr_i32(r); /* LastFetchedEpoch */
			if (ver >= 5)
				(void)kr_i64(r); /* LogStartOffset */
			fp->max_bytes = kr_i32(r);
			kr_tags(r);
		}
		kr_tags(r);
		ctx->topic_count = ti + 1;
	}
	if (ver >= 7) { /* ForgottenTopicsData */
		int32_t nforgot = kr_array(r, FETCH_MAX_TOPICS, 2);
		for (int32_t i = 0; i < nforgot && !kreader_failed(r); i++) {
			(void)kr_string(r);
			int32_t n = kr_array(r, FETCH_MAX_PARTITIONS, 4);
			for (int32_t k = 0; k < n && !kreader_failed(r); k++)
				(void)kr_i32(r);
			kr_tags(r);
		}
	}
	if (ver >= 11)
		(void)kr_string(r); /* RackId */
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;
	if (ctx->max_bytes <= 0)
		ctx->max_bytes = FETCH_RESPONSE_CAP;

	if (session_id != 0) {
		/* we never hand out sessions, so an incremental fetch names
		 * one we do not have */
		ctx->top_error = KERR_FETCH_SESSION_ID_NOT_FOUND;
		ctx->topic_count = 0;
		fetch_respond(ctx);
		return REQ_DONE;
	}
	if (fetch_plan(ctx) >= ctx->min_bytes || max_wait <= 0 || ctx->errors) {
		fetch_respond(ctx);
		return REQ_DONE;
	}
	ctx->timer = evtimer_new(broker.base, fetch_on_timeout, ctx);
	if (!ctx->timer)
		return REQ_MALFORMED;
	struct timeval tv = {max_wait / 1000, (max_wait % 1000) * 1000};
	evtimer_add(ctx->timer, &tv);
	LIST_INSERT_HEAD(&fetch_waiters, ctx, link);
	ctx->waiting = 1;
	return REQ_DEFERRED;
}
