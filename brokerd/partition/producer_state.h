/*
 * What a partition knows about the producers writing to it: per producer
 * id, its epoch, the first and last sequence numbers and offsets of its
 * last PRODUCER_BATCHES_KEPT batches (a retried batch is recognised and
 * answered with its first offsets instead of being written twice), and
 * the first offset of its open transaction; per partition, the
 * transactions aborted so far (Fetch's AbortedTransactions) and the open
 * ones in offset order (the first one is the last stable offset).
 *
 * Built by applying every appended batch in offset order: from produce and
 * the transaction coordinator's markers as they are appended, and at start
 * from producer_snapshot.h's snapshot plus the WAL after it.  So it covers
 * appended batches, durable or not; a duplicate's answer waits for its
 * original's WAL bytes (wal_end) to be durable.
 *
 * The checks are Kafka's (ProducerAppendInfo): an epoch below the last
 * one is INVALID_PRODUCER_EPOCH; within an epoch the first sequence must
 * follow the last one (wrapping after INT32_MAX), else
 * OUT_OF_ORDER_SEQUENCE_NUMBER; a new epoch starts at sequence 0 unless
 * the producer is unknown here, whose first batch may carry any sequence
 * (Kafka 2.5 and later accept it instead of UNKNOWN_PRODUCER_ID); a
 * producer with an open transaction may not write outside it
 * (INVALID_TXN_STATE).
 *
 * Ownership: a partition owns its state.  Threading: event loop only.
 */
#ifndef SLUICE_PRODUCER_STATE_H
#define SLUICE_PRODUCER_STATE_H

#include <stddef.h>
#include <stdint.h>

#define PRODUCER_BATCHES_KEPT 5
#define PRODUCER_NO_EPOCH (-1)
#define PRODUCER_NO_SEQUENCE (-1)
/* Distinct producer ids one request may carry for one partition (Kafka
 * allows one batch per partition per request). */
#define PRODUCER_CHECK_MAX 4

struct producer_batch {
	int32_t first_seq, last_seq;
	int64_t first_offset, last_offset;
	uint64_t wal_end; /* where its WAL record ends */
};

struct producer_entry {
	int64_t producer_id;
	int64_t txn_first_offset; /* of its open transaction here; -1: none */
	int64_t last_ms;          /* wall clock of its last write here */
	int16_t epoch;
	uint8_t count;            /* batches kept, oldest first */
	struct producer_batch batches[PRODUCER_BATCHES_KEPT];
};

struct aborted_txn {
	int64_t producer_id;
	int64_t first_offset, last_offset; /* last: the ABORT marker */
};

struct open_txn {
	int64_t producer_id;
	int64_t first_offset;
};

struct producer_state {
	struct producer_entry *entries; /* sorted by producer id */
	size_t count, cap;
	struct aborted_txn *aborted;    /* in marker offset order */
	size_t aborted_count, aborted_cap;
	struct open_txn *open;          /* in first offset order */
	size_t open_count, open_cap;
};

/* The producer fields of a batch header. */
struct producer_batch_desc {
	int64_t producer_id;   /* -1: not an idempotent batch */
	int16_t epoch;
	int32_t first_seq, last_seq;
	int64_t base_offset, last_offset;
	int transactional, control;
};

/* Reads them from the RecordBatch header at p (RB_HEADER_BYTES at least). */
void producer_batch_desc_read(const uint8_t *p, struct producer_batch_desc *d);

/* Checks a request's batches for one partition in order against state
 * (NULL: no producer has written there).  Keeps working copies of the
 * entries the batches touch. */
struct producer_check {
	const struct producer_state *state;
	struct producer_entry work[PRODUCER_CHECK_MAX];
	size_t n;
};

void producer_check_init(struct producer_check *c, const struct producer_state *state);

/* Checks the next batch.  Returns 0 when it is new and acceptable,
 * PRODUCER_CHECK_DUPLICATE with *dup set when it repeats one of the
 * batches kept (checked against the state before the request, as Kafka
 * does), or a Kafka error (*why set): INVALID_PRODUCER_EPOCH,
 * OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_TXN_STATE, INVALID_RECORD (a
 * transactional batch without producer id, or too many producer ids). */
#define PRODUCER_CHECK_DUPLICATE 1000
int producer_check_batch(struct producer_check *c,
			 const struct producer_batch_desc *d,
			 struct producer_batch *dup, const char **why);

/* Records an appended batch (BaseOffset set) in *statep, created on first
 * use; control batches end the producer's transaction (an ABORT adds it
 * to the aborted list).  now_ms stamps the producer's activity.  Returns 0
 * or SL_ENOMEM (nothing changed). */
int producer_state_apply(struct producer_state **statep, const uint8_t *batch,
			 size_t len, uint64_t wal_end, int64_t now_ms);

/* The producer's entry, or NULL. */
const struct producer_entry *producer_state_find(const struct producer_state *s,
						 int64_t producer_id);

/* First offset of the earliest open transaction, or INT64_MAX. */
int64_t producer_state_first_open(const struct producer_state *s);

/* Index of the first aborted transaction whose marker is at or after
 * offset (s->aborted_count when none). */
size_t producer_state_aborted_from(const struct producer_state *s, int64_t offset);

/* Forgets producers idle since before cutoff_ms with no open transaction,
 * and aborted transactions whose marker is below log_start.  Returns how
 * many producers went. */
size_t producer_state_expire(struct producer_state *s, int64_t cutoff_ms,
			     int64_t log_start);

/* Inserts a whole entry (snapshot load); replaces one with the same id.
 * Returns 0 or SL_ENOMEM. */
int producer_state_put(struct producer_state **statep,
		       const struct producer_entry *e);
/* Appends an aborted transaction (snapshot load, in marker order). */
int producer_state_put_aborted(struct producer_state **statep,
			       const struct aborted_txn *a);

void producer_state_free(struct producer_state *s);

#endif
