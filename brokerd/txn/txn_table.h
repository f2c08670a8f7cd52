/*
 * The transaction coordinator's table of transactional ids: each with its
 * state as the transaction log has it (txn_record.h), the last record
 * written for it (compaction rewrites the log from these), and whether an
 * operation on it is under way.  Sorted by id (DescribeTransactions,
 * ListTransactions and lookups) with an index by producer id (Produce
 * checks that a transactional batch belongs to an open transaction).
 *
 * Ownership: the table owns its entries.  Threading: event loop only.
 */
#ifndef SLUICE_TXN_TABLE_H
#define SLUICE_TXN_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd/txn/txn_record.h"

struct txn {
	struct txn_meta m;   /* as durable */
	uint8_t *record;     /* the last record submitted for it (framed) */
	size_t record_len;
	int busy;            /* an operation is under way */
	int ending;          /* ... and it ends the transaction */
	int is_new;          /* no record of it is durable yet */
};

/* The entry for id / for a producer id, or NULL. */
struct txn *txn_table_find(const char *id);
struct txn *txn_table_by_producer(int64_t producer_id);

/* Adds an entry for id (m.id set, the rest zero; producer id -1).
 * NULL when out of memory. */
struct txn *txn_table_add(const char *id);

/* Call after t->m.producer_id changed from old_id. */
void txn_table_reindex(struct txn *t, int64_t old_id);

/* Removes and frees an entry. */
void txn_table_remove(struct txn *t);

/* Number of entries and the i-th in id order. */
size_t txn_table_count(void);
struct txn *txn_table_at(size_t i);

/* Frees everything. */
void txn_table_clear(void);

#endif
