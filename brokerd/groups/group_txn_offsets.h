/*
 * Offsets a group's transactions commit (TxnOffsetCommit), per producer
 * id, pending until the transaction ends: a commit moves them into the
 * group's committed offsets, an abort drops them.  Until then OffsetFetch
 * with RequireStable answers UNSTABLE_OFFSET_COMMIT for their partitions.
 *
 * Like the committed offsets, this is the state the offset store's records
 * build (TXN_COMMIT and TXN_END); only the apply hook changes it.
 *
 * Ownership: the group owns its pending sets.  Threading: event loop.
 */
#ifndef SLUICE_GROUP_TXN_OFFSETS_H
#define SLUICE_GROUP_TXN_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd/groups/group_offsets.h"

struct group;

struct group_txn_offsets {
	int64_t producer_id;
	struct group_offsets offsets;
};

/* The producer's pending set in g, created empty when create is set;
 * NULL when absent (or out of memory). */
struct group_txn_offsets *group_txn_offsets_get(struct group *g,
						int64_t producer_id, int create);

/* Ends the producer's transaction in g: on commit its pending offsets
 * become committed offsets; either way the set goes.  Returns 0 or
 * SL_ENOMEM (part of a commit may be applied). */
int group_txn_offsets_end(struct group *g, int64_t producer_id, int commit);

/* Whether any transaction of g has an offset pending for the partition. */
int group_txn_offsets_pending(const struct group *g, const char *topic,
			      size_t topic_len, int32_t partition);

/* Drops every pending set of g. */
void group_txn_offsets_clear(struct group *g);

#endif
