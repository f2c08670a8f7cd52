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
 * writes), or are dropped when it aborts.  The partition checks, the
 * record and the response are OffsetCommit's
 * (brokerd/groups/commit_request.c).
 */
#include <stdlib.h>

#include "brokerd/groups/commit_request.h"
#include "brokerd/groups/coordinator.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/server/request.h"
#include "brokerd/txn/txn_coordinator.h"
#include "common/errors.h"

/* The store's callback: the record is durable and applied (or failed). */
static void toc_done(void *arg, int err)
{
	commit_request_finish(arg, err);
}

int handle_txn_offset_commit(struct request *req)
{
	struct kreader *r = &req->r;
	int16_t ver = req->api_version;
	struct commit_request *cr = commit_request_new(req);
	if (!cr)
		return REQ_MALFORMED;
	cr->throttle = 1;

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
	commit_request_read_topics(cr, r, ver >= 2, 0);    /* Topics */
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;

	int bad_group = 0, bad = 0;
	cr->group_id = group_args_str(group_id, &bad_group);
	char *id = group_args_str(txn_id, &bad);
	char *mid = group_args_str(member_id, &bad);
	char *iid = group_args_str(instance_id, &bad);
	struct group *g = NULL;
	int16_t err = bad_group || !cr->group_id[0] ? KERR_INVALID_GROUP_ID
		      : bad || !id[0]		       ? KERR_INVALID_REQUEST
						       : (int16_t)txn_check_offsets(id, producer_id,
										 epoch, cr->group_id);
	if (!err)
		err = coordinator_txn_commit_check(cr->group_id, generation, mid, iid, &g);
	free(id);
	free(mid);
	free(iid);
	if (err)
		return commit_request_refuse(cr, err);
	struct commit_record rec = {.txn = 1, .producer_id = producer_id,
				    .retention_ms = -1};
	return commit_request_submit(cr, g, &rec, toc_done);
}
