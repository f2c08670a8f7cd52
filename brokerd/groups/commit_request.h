/*
 * What OffsetCommit and TxnOffsetCommit share: their Topics array (read
 * into one context that lives with the request), the per-partition checks
 * (the topic and partition exist, metadata fits COMMIT_REQUEST_METADATA_MAX
 * bytes, Kafka's offset.metadata.max.bytes default), the offset store
 * record the partitions that pass become, its submission, and the
 * response (Topics, then each partition's ErrorCode, in request order),
 * written once the record is durable.  Each handler keeps what is its
 * own: the fields before Topics, who may commit, and what the record is.
 *
 * Threading: the event loop's.
 */
#ifndef SLUICE_COMMIT_REQUEST_H
#define SLUICE_COMMIT_REQUEST_H

#include <stdint.h>

#include "brokerd/groups/offset_store.h"
#include "brokerd/protocol/kreader.h"

struct group;
struct request;

#define COMMIT_REQUEST_METADATA_MAX 4096

struct commit_part {
	int32_t index;          /* PartitionIndex */
	int64_t offset;         /* CommittedOffset */
	int32_t leader_epoch;   /* CommittedLeaderEpoch, or -1 */
	int64_t timestamp;      /* CommitTimestamp (OffsetCommit v1), or -1 */
	struct kslice metadata; /* CommittedMetadata */
	int16_t error;
	int written;            /* in the record */
};

struct commit_topic {
	struct kslice name;
	int32_t first, count;   /* its partitions in parts[] */
};

struct commit_request {
	struct request *req;
	char *group_id;         /* set by the handler */
	int throttle;           /* the response starts with ThrottleTimeMs */
	struct commit_topic *topics;
	int32_t topic_count;
	struct commit_part *parts;
	int32_t part_count, part_cap;
};

/* What the record of the partitions that pass says beside them. */
struct commit_record {
	int txn;                /* TXN_COMMIT of producer_id, else COMMIT */
	int64_t producer_id;
	int64_t retention_ms;   /* RetentionTimeMs; -1: the group's applies */
};

/* A new context, owned by req from now on (freed with it); NULL when out
 * of memory. */
struct commit_request *commit_request_new(struct request *req);

/* Reads the Topics array; with_epoch and with_timestamp say whether the
 * version carries CommittedLeaderEpoch and CommitTimestamp.  A malformed
 * array or no memory fails the reader. */
void commit_request_read_topics(struct commit_request *cr, struct kreader *r,
				int with_epoch, int with_timestamp);

/* Writes the response: every partition in request order. */
void commit_request_write(struct commit_request *cr);

/* Sets err on every partition still without an error (or, with
 * written_only, on those in the record). */
void commit_request_fail(struct commit_request *cr, int16_t err,
			 int written_only);

/* Answers at once with err on every partition (the checks before the
 * partitions failed); returns REQ_DONE. */
int commit_request_refuse(struct commit_request *cr, int16_t err);

/* Encodes the partitions that pass as one record and submits it to the
 * offset store for group g, which done(cr, err) follows; returns
 * REQ_DEFERRED then.  Otherwise (none passes, the record is too big, the
 * store refuses) writes the response and returns REQ_DONE. */
int commit_request_submit(struct commit_request *cr, struct group *g,
			  const struct commit_record *rec,
			  offset_store_done_fn done);

/* Finishes a submitted request once the store answered (err: the record
 * failed): the response, and the request's completion. */
void commit_request_finish(struct commit_request *cr, int err);

#endif
