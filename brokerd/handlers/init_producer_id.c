/*
 * InitProducerId v0-v5.  Without a TransactionalId (an idempotent
 * producer) every request gets a new producer id with epoch 0, as Kafka
 * does; nothing is written (producer_ids.h).  With one, the transaction
 * coordinator bumps the id's epoch (or hands out a new producer id when the
 * epoch is exhausted) and answers once that is durable; a transaction
 * still open is aborted first and the answer is CONCURRENT_TRANSACTIONS,
 * which the producer retries.  v3+ ProducerId/ProducerEpoch let a producer
 * resume after an error; a stale pair is PRODUCER_FENCED, which versions
 * before 4 do not know and get as INVALID_PRODUCER_EPOCH.
 */
#include <stdlib.h>

#include "brokerd/groups/group_args.h"
#include "brokerd/server/request.h"
#include "brokerd/txn/producer_ids.h"
#include "brokerd/txn/txn_coordinator.h"
#include "common/errors.h"

/* Writes the response. */
static void init_producer_id_write(struct request *req, int16_t err,
				   int64_t producer_id, int16_t epoch)
{
	struct kwriter *w = &req->w;
	if (err == KERR_PRODUCER_FENCED && req->api_version < 4)
		err = KERR_INVALID_PRODUCER_EPOCH;
	if (err) {
		producer_id = -1;
		epoch = -1;
	}
	kw_i32(w, 0);                                      /* ThrottleTimeMs */
	kw_i16(w, err);                                    /* ErrorCode */
	kw_i64(w, producer_id);                            /* ProducerId */
	kw_i16(w, epoch);                                  /* ProducerEpoch */
	kw_tags(w);
}

/* The coordinator's answer to a request that waited. */
static void init_producer_id_done(void *arg, int16_t err, int64_t producer_id,
				  int16_t epoch)
{
	struct request *req = arg;
	if (request_conn_alive(req))
		init_producer_id_write(req, err, producer_id, epoch);
	request_complete(req);
}

int handle_init_producer_id(struct request *req)
{
	struct kreader *r = &req->r;
	int16_t ver = req->api_version;
	struct kslice txn_id = kr_nullable_string(r);      /* TransactionalId */
	int32_t timeout_ms = kr_i32(r);                    /* TransactionTimeoutMs */
	int64_t expected_pid = -1;
	int16_t expected_epoch = -1;
	if (ver >= 3) {
		expected_pid = kr_i64(r);                  /* ProducerId */
		expected_epoch = kr_i16(r);                /* ProducerEpoch */
	}
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;

	int64_t producer_id = -1;
	int16_t epoch = -1;
	if (txn_id.len < 0) {
		int rc = producer_ids_next(&producer_id);
		epoch = 0;
		init_producer_id_write(req, rc ? KERR_COORDINATOR_NOT_AVAILABLE : KERR_NONE,
				       producer_id, epoch);
		return REQ_DONE;
	}
	int bad = 0;
	char *id = group_args_str(txn_id, &bad);
	if (bad || !id[0]) {
		free(id);
		init_producer_id_write(req, KERR_INVALID_REQUEST, -1, -1);
		return REQ_DONE;
	}
	int rc = txn_init_producer_id(id, timeout_ms, expected_pid, expected_epoch,
				      &producer_id, &epoch, init_producer_id_done, req);
	free(id);
	if (rc == TXN_WAIT)
		return REQ_DEFERRED;
	init_producer_id_write(req, (int16_t)rc, producer_id, epoch);
	return REQ_DONE;
}
