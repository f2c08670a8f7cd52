/*
 * OffsetCommit v0-v8.  The group, member and generation are checked by the
 * coordinator; each partition must exist (UNKNOWN_TOPIC_OR_PARTITION) and
 * its metadata fit COMMIT_REQUEST_METADATA_MAX bytes (Kafka's
 * offset.metadata.max.bytes default: OFFSET_METADATA_TOO_LARGE).  The
 * partitions that pass become one COMMIT record of the offset store, and
 * the request is answered only once that record is durable (the store's
 * fdatasync, shared with every commit queued meanwhile) and applied, so an
 * acknowledged offset survives a crash and OffsetFetch sees it.  What this
 * shares with TxnOffsetCommit is in brokerd/groups/commit_request.c.
 *
 * v0 (offsets Kafka kept in ZooKeeper) is served like the others, as a
 * commit from outside group management.  v1's CommitTimestamp is kept
 * when set; v2-v4's RetentionTimeMs sets an expiry time for the offsets
 * instead of offsets.retention.minutes.  A null metadata is stored as "",
 * as Kafka does.  Responses follow the request's order.
 */
#include <stdlib.h>

#include "brokerd/broker.h"
#include "brokerd/groups/commit_request.h"
#include "brokerd/groups/coordinator.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/server/request.h"
#include "common/counters.h"
#include "common/errors.h"

/* The store's callback: the record is durable and applied (or failed). */
static void offset_commit_done(void *arg, int err)
{
	struct commit_request *cr = arg;
	if (!err && broker.counters)
		for (int32_t i = 0; i < cr->part_count; i++)
			COUNTER_ADD(offset_commits, cr->parts[i].written);
	commit_request_finish(cr, err);
}

int handle_offset_commit(struct request *req)
{
	struct kreader *r = &req->r;
	int16_t ver = req->api_version;
	struct commit_request *cr = commit_request_new(req);
	if (!cr)
		return REQ_MALFORMED;
	cr->throttle = ver >= 3;

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
	commit_request_read_topics(cr, r, ver >= 6, ver == 1); /* Topics */
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;

	int bad_group = 0, bad = 0;
	cr->group_id = group_args_str(group_id, &bad_group);
	char *mid = group_args_str(member_id, &bad);
	char *iid = group_args_str(instance_id, &bad);
	struct group *g = NULL;
	int16_t err = bad_group ? KERR_INVALID_GROUP_ID
		      : bad     ? KERR_UNKNOWN_MEMBER_ID
				: coordinator_commit_check(cr->group_id, generation,
							   mid, iid, &g);
	free(mid);
	free(iid);
	if (err)
		return commit_request_refuse(cr, err);
	struct commit_record rec = {.retention_ms = retention_ms};
	return commit_request_submit(cr, g, &rec, offset_commit_done);
}
