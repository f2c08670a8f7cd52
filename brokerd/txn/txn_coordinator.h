/*
 * The transaction coordinator: Kafka's TransactionCoordinator for the
 * transactional ids this broker coordinates (all of them).  It hands out
 * producer ids and epochs (InitProducerId), records which partitions and
 * groups a transaction touches (AddPartitionsToTxn, AddOffsetsToTxn),
 * ends transactions (EndTxn, and on their timeout), fences zombies by
 * epoch, and forgets idle transactional ids.
 *
 * Every state change is a record in the transaction log (txn_log.h),
 * durable before anyone is told of it; the state in memory is what the log
 * holds.  While a change is on its way the id is busy: other requests for
 * it get CONCURRENT_TRANSACTIONS, which clients retry.  Ending a
 * transaction is PREPARE_COMMIT (or PREPARE_ABORT) in the log, then the
 * markers in every partition and the TXN_END records of its groups
 * (txn_markers.h), then COMPLETE_COMMIT (COMPLETE_ABORT); EndTxn is
 * answered once all of it is durable.  After a crash, a transaction whose
 * PREPARE record is durable is finished at start: its markers are written
 * again (readers and producer state take a repeat as a no-op).
 *
 * Calls that may have to wait for the log return TXN_WAIT and later call
 * fn(arg, err, producer_id, epoch) exactly once on the loop; otherwise
 * they return a Kafka error code (0 with the answer filled in) and never
 * call fn.
 *
 * Threading: event loop only.  Durable: txn.journal (txn_log.h).
 */
#ifndef SLUICE_TXN_COORDINATOR_H
#define SLUICE_TXN_COORDINATOR_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct txn_meta;

#define TXN_WAIT 10000

typedef void (*txn_reply_fn)(void *arg, int16_t err, int64_t producer_id,
			     int16_t epoch);

/* One partition named in AddPartitionsToTxn. */
struct txn_add_part {
	uint64_t stream_id;
	int32_t partition;
	const char *topic;
};

/* Opens the transaction log under dir, replays it, starts its thread and
 * the timeout timer, and starts finishing the transactions a crash left
 * prepared.  Needs the WAL, the partitions and the group coordinator.
 * Returns 0 or a negative SL_E* (logged). */
int txn_start(struct event_base *base, const char *dir);

/* Stops: requests still waiting are answered COORDINATOR_NOT_AVAILABLE,
 * the log is closed after everything queued.  Safe when txn_start never
 * ran. */
void txn_finish(void);

/* Whether the coordinator serves requests. */
int txn_available(void);

/* InitProducerId for a transactional id (non-NULL, checked by the
 * handler for emptiness).  expected_pid / expected_epoch are -1 unless
 * the producer names its current ones (v3+). */
int txn_init_producer_id(const char *id, int32_t timeout_ms,
			 int64_t expected_pid, int16_t expected_epoch,
			 int64_t *producer_id, int16_t *epoch, txn_reply_fn fn,
			 void *arg);

/* AddPartitionsToTxn (parts) or AddOffsetsToTxn (group non-NULL, n 0). */
int txn_add(const char *id, int64_t producer_id, int16_t epoch,
	    const struct txn_add_part *parts, size_t n, const char *group,
	    txn_reply_fn fn, void *arg);

/* AddPartitionsToTxn v4+ VerifyOnly: whether the stream is in the open
 * transaction (0), or why not (INVALID_PRODUCER_ID_MAPPING,
 * PRODUCER_FENCED, INVALID_TXN_STATE). */
int txn_verify(const char *id, int64_t producer_id, int16_t epoch,
	       uint64_t stream_id);

/* EndTxn. */
int txn_end(const char *id, int64_t producer_id, int16_t epoch, int commit,
	    txn_reply_fn fn, void *arg);

/* Produce: whether a transactional batch of producer_id/epoch may go to
 * stream: 0, INVALID_PRODUCER_EPOCH (an older epoch: a zombie) or
 * INVALID_TXN_STATE (no open transaction holding the partition). */
int txn_check_produce(int64_t producer_id, int16_t epoch, uint64_t stream_id);

/* TxnOffsetCommit: whether the transaction may commit offsets of group:
 * 0, INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH or
 * INVALID_TXN_STATE (the group was not added with AddOffsetsToTxn). */
int txn_check_offsets(const char *id, int64_t producer_id, int16_t epoch,
		      const char *group);

/* Transactional ids known: how many, and the i-th in id order (NULL past
 * the end); and one by id. */
size_t txn_count(void);
const struct txn_meta *txn_at(size_t i);
const struct txn_meta *txn_find(const char *id);

/* Runs the timeout and expiry scan now (also on its timer). */
void txn_scan(void);

/* Rewrites the log once it passes bytes (and four times what is live)
 * instead of TXN_COMPACT_MIN_BYTES (tests use small values). */
void txn_set_compact_bytes(uint64_t bytes);

#endif
