/*
 * The answer AddOffsetsToTxn and EndTxn share: ThrottleTimeMs, ErrorCode
 * and tags, with PRODUCER_FENCED sent as INVALID_PRODUCER_EPOCH before
 * v2 (both APIs learnt it at v2), written at once or when the transaction
 * coordinator answers a request that waited.
 *
 * Threading: the event loop's.
 */
#ifndef SLUICE_TXN_ANSWER_H
#define SLUICE_TXN_ANSWER_H

#include <stdint.h>

struct request;

/* Writes the response body for err. */
void txn_answer_write(struct request *req, int16_t err);

/* A txn_reply_fn for a deferred request (arg): writes the answer if the
 * connection is still there, and completes the request. */
void txn_answer_deferred(void *arg, int16_t err, int64_t producer_id,
			 int16_t epoch);

#endif
