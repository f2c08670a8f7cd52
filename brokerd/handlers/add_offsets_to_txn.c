/*
 * AddOffsetsToTxn v0-v4: the transaction will commit offsets of GroupId
 * (TxnOffsetCommit follows).  Kafka adds the group's __consumer_offsets
 * partition to the transaction; this coordinator records the group, whose
 * TXN_END record the transaction's end writes to the offset store.
 * Answered once the transaction's new state is durable.  PRODUCER_FENCED
 * is INVALID_PRODUCER_EPOCH before v2.
 */
#include <stdlib.h>

#include "brokerd/groups/group_args.h"
#include "brokerd/server/request.h"
#include "brokerd/txn/txn_answer.h"
#include "brokerd/txn/txn_coordinator.h"
#include "common/errors.h"

int handle_add_offsets_to_txn(struct request *req)
{
	struct kreader *r = &req->r;
	struct kslice txn_id = kr_string(r);               /* TransactionalId */
	int64_t producer_id = kr_i64(r);                   /* ProducerId */
	int16_t epoch = kr_i16(r);                         /* ProducerEpoch */
	struct kslice group_id = kr_string(r);             /* GroupId */
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;

	int bad_txn = 0, bad_group = 0;
	char *id = group_args_str(txn_id, &bad_txn);
	char *group = group_args_str(group_id, &bad_group);
	int rc = bad_txn || !id[0] ? KERR_INVALID_REQUEST
		 : bad_group || !group[0]
			 ? KERR_INVALID_GROUP_ID
			 : txn_add(id, producer_id, epoch, NULL, 0, group,
				   txn_answer_deferred, req);
	free(id);
	free(group);
	if (rc == TXN_WAIT)
		return REQ_DEFERRED;
	txn_answer_write(req, (int16_t)rc);
	return REQ_DONE;
}
