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
#include "brokerd/txn/txn_coordinator.h"
#include "common/errors.h"

/* Writes the response. */
static void end_txn_write(struct request *req, int16_t err)
{
	struct kwriter *w = &req->w;
	if (err == KERR_PRODUCER_FENCED && req->api_version < 2)
		err = KERR_INVALID_PRODUCER_EPOCH;
	kw_i32(w, 0);                                      /* ThrottleTimeMs */
	kw_i16(w, err);                                    /* ErrorCode */
	kw_tags(w);
}

/* The coordinator's answer to a request that waited. */
static void end_txn_done(void *arg, int16_t err, int64_t producer_id, int16_t epoch)
{
	struct request *req = arg;
	if (request_conn_alive(req))
		end_txn_write(req, err);
	request_complete(req);
}

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
					 end_txn_done, req);
	free(id);
	if (rc == TXN_WAIT)
		return REQ_DEFERRED;
	end_txn_write(req, (int16_t)rc);
	return REQ_DONE;
}
