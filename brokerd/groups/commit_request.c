/*
 * The shared part of OffsetCommit and TxnOffsetCommit (see
 * commit_request.h): reading Topics, checking and encoding partitions,
 * submitting the record, answering.
 *
 * Ownership: the context belongs to its request (req->ctx, freed by
 * req->ctx_free).  Threading: the event loop's.  Durable: nothing here;
 * the offset store makes the record durable.
 */
#include "brokerd/groups/commit_request.h"

#include <stdlib.h>
#include <string.h>

#include "brokerd/catalog/catalog.h"
#include "brokerd/groups/group.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/groups/groups.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "common/errors.h"

/* Frees the context with its request. */
static void commit_request_free(void *arg)
{
	struct commit_request *cr = arg;
	free(cr->group_id);
	free(cr->topics);
	free(cr->parts);
	free(cr);
}

struct commit_request *commit_request_new(struct request *req)
{
	struct commit_request *cr = calloc(1, sizeof *cr);
	if (!cr)
		return NULL;
	cr->req = req;
	req->ctx = cr;
	req->ctx_free = commit_request_free;
	return cr;
}

/* A new partition slot, or NULL when out of memory. */
static struct commit_part *commit_request_part_new(struct commit_request *cr)
{
	if (cr->part_count == cr->part_cap) {
		int32_t cap = cr->part_cap ? cr->part_cap * 2 : 16;
		struct commit_part *n = realloc(cr->parts, (size_t)cap * sizeof *n);
		if (!n)
			return NULL;
		cr->parts = n;
		cr->part_cap = cap;
	}
	struct commit_part *p = &cr->parts[cr->part_count++];
	memset(p, 0, sizeof *p);
	p->leader_epoch = -1;
	p->timestamp = -1;
	return p;
}

void commit_request_read_topics(struct commit_request *cr, struct kreader *r,
				int with_epoch, int with_timestamp)
{
	int32_t ntopics = kr_array(r, GROUP_ARGS_MAX, r->flexible ? 3 : 6); /* Topics */
	if (ntopics < 0)
		kreader_fail(r); /* not nullable */
	cr->topics = calloc((size_t)(ntopics > 0 ? ntopics : 1), sizeof *cr->topics);
	if (!cr->topics) {
		kreader_fail(r);
		return;
	}
	for (int32_t i = 0; i < ntopics && !kreader_failed(r); i++) {
		struct commit_topic *t = &cr->topics[i];
		cr->topic_count = i + 1;
		t->name = kr_string(r);                    /* Name */
		int32_t nparts = kr_array(r, GROUP_ARGS_MAX, 14); /* Partitions */
		if (nparts < 0)
			kreader_fail(r);
		t->first = cr->part_count;
		for (int32_t k = 0; k < nparts && !kreader_failed(r); k++) {
			struct commit_part *p = commit_request_part_new(cr);
			if (!p) {
				kreader_fail(r);
				return;
			}
			p->index = kr_i32(r);              /* PartitionIndex */
			p->offset = kr_i64(r);             /* CommittedOffset */
			if (with_epoch)
				p->leader_epoch = kr_i32(r); /* CommittedLeaderEpoch */
			if (with_timestamp)
				p->timestamp = kr_i64(r);  /* CommitTimestamp */
			p->metadata = kr_nullable_string(r); /* CommittedMetadata */
			kr_tags(r);
			t->count++;
		}
		kr_tags(r);
	}
}

void commit_request_write(struct commit_request *cr)
{
	struct kwriter *w = &cr->req->w;
	if (cr->throttle)
		kw_i32(w, 0);                              /* ThrottleTimeMs */
	kw_array(w, cr->topic_count);                      /* Topics */
	for (int32_t i = 0; i < cr->topic_count; i++) {
		const struct commit_topic *t = &cr->topics[i];
		kw_string_len(w, t->name.p, t->name.len);  /* Name */
		kw_array(w, t->count);                     /* Partitions */
		for (int32_t k = 0; k < t->count; k++) {
			const struct commit_part *p = &cr->parts[t->first + k];
			kw_i32(w, p->index);               /* PartitionIndex */
			kw_i16(w, p->error);               /* ErrorCode */
			kw_tags(w);
		}
		kw_tags(w);
	}
	kw_tags(w);
}

void commit_request_fail(struct commit_request *cr, int16_t err,
			 int written_only)
{
	for (int32_t i = 0; i < cr->part_count; i++) {
		struct commit_part *p = &cr->parts[i];
		if (written_only ? p->written : !p->error)
			p->error = err;
	}
}

int commit_request_refuse(struct commit_request *cr, int16_t err)
{
	commit_request_fail(cr, err, 0);
	commit_request_write(cr);
	return REQ_DONE;
}

/* Opens the record in buf. */
static void commit_request_begin(struct commit_request *cr,
				 struct offset_buf *buf,
				 const struct commit_record *rec)
{
	uint64_t seq = offset_store_next_seq(groups_store());
	size_t len = strlen(cr->group_id);
	if (rec->txn)
		offset_record_begin_txn(buf, seq, cr->group_id, len,
					rec->producer_id);
	else
		offset_record_begin(buf, OFFSET_RECORD_COMMIT, seq, cr->group_id,
				    len);
}

/* When offsets committed at now and kept for retention_ms expire, or -1
 * (the group's retention applies). */
static int64_t commit_request_expire_ms(int64_t now, int64_t retention_ms)
{
	if (retention_ms == -1)
		return -1;
	/* a client may send any RetentionTimeMs: saturate, and a time
	 * before the epoch means expired */
	int64_t expire_ms;
	if (__builtin_add_overflow(now, retention_ms, &expire_ms))
		expire_ms = retention_ms > 0 ? INT64_MAX : 0;
	return expire_ms < 0 ? 0 : expire_ms;
}

/* Encodes the partitions that pass their checks as one record; returns
 * how many it holds. */
static int32_t commit_request_encode(struct commit_request *cr,
				     struct offset_buf *buf,
				     const struct commit_record *rec)
{
	int64_t now = group_now_ms();
	int64_t expire_ms = commit_request_expire_ms(now, rec->retention_ms);
	int32_t written = 0;
	for (int32_t i = 0; i < cr->topic_count; i++) {
		const struct commit_topic *ct = &cr->topics[i];
		const struct topic *t = topics_find(ct->name);
		int named = 0;
		for (int32_t k = 0; k < ct->count; k++) {
			struct commit_part *p = &cr->parts[ct->first + k];
			if (!t || p->index < 0 || p->index >= t->partition_count) {
				p->error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
				continue;
			}
			if (p->metadata.len > COMMIT_REQUEST_METADATA_MAX) {
				p->error = KERR_OFFSET_METADATA_TOO_LARGE;
				continue;
			}
			if (!written++)
				commit_request_begin(cr, buf, rec);
			if (!named++)
				offset_record_topic(buf, t->name, strlen(t->name), t->id);
			struct offset_part part = {
				.partition = p->index,
				.offset = p->offset,
				.leader_epoch = p->leader_epoch,
				.commit_ms = p->timestamp != -1 ? p->timestamp : now,
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

int commit_request_submit(struct commit_request *cr, struct group *g,
			  const struct commit_record *rec,
			  offset_store_done_fn done)
{
	struct offset_buf buf = {0};
	int rc = 0;
	if (commit_request_encode(cr, &buf, rec)) {
		rc = offset_record_end(&buf);
		if (!rc)
			rc = offset_store_submit(groups_store(), &buf, done, cr);
		if (!rc) {
			offset_buf_free(&buf);
			g->commits_in_flight++;
			return REQ_DEFERRED;
		}
		/* a request too big for one record, or the store refusing */
		commit_request_fail(cr, rc == SL_EINVAL ? KERR_INVALID_COMMIT_OFFSET_SIZE
							: KERR_COORDINATOR_NOT_AVAILABLE, 1);
	}
	offset_buf_free(&buf);
	commit_request_write(cr);
	return REQ_DONE;
}

void commit_request_finish(struct commit_request *cr, int err)
{
	struct group *g = groups_find(cr->group_id);
	if (g)
		g->commits_in_flight--;
	if (err)
		commit_request_fail(cr, KERR_COORDINATOR_NOT_AVAILABLE, 1);
	if (request_conn_alive(cr->req))
		commit_request_write(cr);
	request_complete(cr->req);
}
