/*
 * EndTxn v0-v4: commits or aborts the producer's transaction.  The
 * coordinator journals PREPARE_COMMIT (or PREPARE_ABORT), writes the
 * markers to every partition of the transaction and ends its groups'
 * pending offsets, then journals COMPLETE; the answer waits for all of it
 * to be durable, so the next transaction never finds the previous one
 * still ending.  A retry of an end that is done gets NONE; PRODUCER_FENCED
 * is INVALID_PRODUCER_EPOCH before v2.
 */
#include <stdlib.h>

#include "brokerd/groups/group_args.h"
#include "brokerd/server/request.h"
#include "brokerd/txn/txn_answer.h"
#include "brokerd/txn/txn_coordinator.h"
#include "common/errors.h"

int handle_end_txn(struct request *req)
{
	struct kreader *r = &req->r;
	struct kslice txn_id = kr_string(r);               /* TransactionalId */
	int64_t producer_id = kr_i64(r);                   /* ProducerId */
	int16_t epoch = kr_i16(r);                         /* ProducerEpoch */
	int committed = kr_bool(r);                        /* Committed */
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;

	int bad = 0;
	char *id = group_args_str(txn_id, &bad);
	int rc = bad || !id[0] ? KERR_INVALID_REQUEST
			       : txn_end(id, producer_id, epoch, committed,
					 txn_answer_deferred, req);
	free(id);
	if (rc == TXN_WAIT)
		return REQ_DEFERRED;
	txn_answer_write(req, (int16_t)rc);
	return REQ_DONE;
}
