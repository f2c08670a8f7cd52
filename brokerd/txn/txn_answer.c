/*
 * The ErrorCode-only answer of AddOffsetsToTxn and EndTxn (see
 * txn_answer.h).
 *
 * Ownership: none; the request is the server's.  Threading: the event
 * loop's.  Durable: nothing.
 */
#include "brokerd/txn/txn_answer.h"

#include "brokerd/server/request.h"
#include "common/errors.h"

void txn_answer_write(struct request *req, int16_t err)
{
	struct kwriter *w = &req->w;
	if (err == KERR_PRODUCER_FENCED && req->api_version < 2)
		err = KERR_INVALID_PRODUCER_EPOCH;
	kw_i32(w, 0);                                      /* ThrottleTimeMs */
	kw_i16(w, err);                                    /* ErrorCode */
	kw_tags(w);
}

void txn_answer_deferred(void *arg, int16_t err, int64_t producer_id,
			 int16_t epoch)
{
	struct request *req = arg;
	(void)producer_id;
	(void)epoch;
	if (request_conn_alive(req))
		txn_answer_write(req, err);
	request_complete(req);
}
