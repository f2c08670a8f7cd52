/*
 * What the transaction log says: one TXN_RECORD_STATE record holds the
 * whole state of one transactional id (the last record of an id wins at
 * replay; state DEAD forgets the id).  The body, all integers big-endian,
 * strings u16 length + bytes:
 *   transactional id, producer id i64, epoch i16, last producer id i64,
 *   last epoch i16, timeout ms i32, state u8, transaction start ms i64,
 *   last update ms i64, partition count u32, then per partition: stream
 *   id u64, partition index i32, topic name; group count u32, then per
 *   group: group id.
 * The stream id is what markers go to (a topic deleted and created again
 * under the same name has new stream ids); name and index are for
 * DescribeTransactions.
 *
 * Ownership: a txn_meta owns its strings and arrays.  Threading: none.
 */
#ifndef SLUICE_TXN_RECORD_H
#define SLUICE_TXN_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define TXN_RECORD_STATE 1

/* Kafka's transaction states (TransactionState), DEAD: forgotten. */
enum txn_state {
	TXN_EMPTY = 0,
	TXN_ONGOING = 1,
	TXN_PREPARE_COMMIT = 2,
	TXN_PREPARE_ABORT = 3,
	TXN_COMPLETE_COMMIT = 4,
	TXN_COMPLETE_ABORT = 5,
	TXN_DEAD = 6,
};

struct txn_partition {
	uint64_t stream_id;
	int32_t partition;
	char *topic;
};

struct txn_meta {
	char *id;
	int64_t producer_id, last_producer_id;
	int16_t epoch, last_epoch;
	int32_t timeout_ms;
	enum txn_state state;
	int64_t start_ms;  /* when the open transaction began (-1: none) */
	int64_t update_ms;
	struct txn_partition *parts;
	size_t part_count;
	char **groups;
	size_t group_count;
};

/* Kafka's name of a state ("Ongoing", "PrepareCommit", ...). */
const char *txn_state_name(enum txn_state state);
/* The state a name stands for, or -1. */
int txn_state_parse(const char *name, size_t len);

/* Encodes m as a framed log record (txn_log_frame).  Returns 0 with *out
 * (caller frees) and *len, SL_EINVAL (a string too long) or SL_ENOMEM. */
int txn_record_encode(const struct txn_meta *m, uint8_t **out, size_t *len);

/* Decodes a record body into m (allocated; m is cleared first).  Returns
 * 0, SL_ECORRUPT or SL_ENOMEM. */
int txn_record_decode(const uint8_t *body, size_t len, struct txn_meta *m);

/* Deep copy; 0 or SL_ENOMEM (dst then empty). */
int txn_meta_copy(struct txn_meta *dst, const struct txn_meta *src);

/* Adds a partition / group unless present; 0 or SL_ENOMEM. */
int txn_meta_add_partition(struct txn_meta *m, uint64_t stream_id,
			   int32_t partition, const char *topic);
int txn_meta_add_group(struct txn_meta *m, const char *group);

/* Whether m holds the stream / group. */
int txn_meta_has_stream(const struct txn_meta *m, uint64_t stream_id);
int txn_meta_has_group(const struct txn_meta *m, const char *group);

/* Forgets partitions and groups. */
void txn_meta_clear_members(struct txn_meta *m);

/* Frees what m holds and zeroes it. */
void txn_meta_free(struct txn_meta *m);

#endif
