/*
 * Pending transactional offsets of a group (see group_txn_offsets.h): a
 * small array of per-producer sets, each a group_offsets.  A group has
 * one set per producer with a transaction open on it, rarely more than a
 * handful.
 */
#include "brokerd/groups/group_txn_offsets.h"

#include <stdlib.h>
#include <string.h>

#include "brokerd/groups/group.h"
#include "common/errors.h"

struct group_txn_offsets *group_txn_offsets_get(struct group *g,
						int64_t producer_id, int create)
{
	for (size_t i = 0; i < g->txn_count; i++)
		if (g->txn[i].producer_id == producer_id)
			return &g->txn[i];
	if (!create)
		return NULL;
	struct group_txn_offsets *t = realloc(g->txn, (g->txn_count + 1) * sizeof *t);
	if (!t)
		return NULL;
	g->txn = t;
	t = &g->txn[g->txn_count++];
	memset(t, 0, sizeof *t);
	t->producer_id = producer_id;
	return t;
}

int group_txn_offsets_end(struct group *g, int64_t producer_id, int commit)
{
	struct group_txn_offsets *t = group_txn_offsets_get(g, producer_id, 0);
	if (!t)
		return 0; /* a repeated end, or nothing was committed */
	int rc = 0;
	for (size_t i = 0; commit && i < t->offsets.count && !rc; i++) {
		const struct group_offset_topic *topic = &t->offsets.topics[i];
		for (size_t k = 0; k < topic->count && !rc; k++) {
			const struct group_offset *o = &topic->parts[k];
			struct offset_part part = {
				o->partition, o->offset, o->leader_epoch,
				o->commit_ms, o->expire_ms, o->metadata,
				o->metadata_len,
			};
			rc = group_offsets_set(&g->offsets, topic->name,
					       strlen(topic->name), topic->id, &part);
		}
	}
	group_offsets_clear(&t->offsets);
	size_t i = (size_t)(t - g->txn);
	memmove(&g->txn[i], &g->txn[i + 1], (g->txn_count - i - 1) * sizeof *g->txn);
	g->txn_count--;
	return rc;
}

int group_txn_offsets_pending(const struct group *g, const char *topic,
			      size_t topic_len, int32_t partition)
{
	for (size_t i = 0; i < g->txn_count; i++) {
		const struct group_offset_topic *t =
			group_offsets_topic(&g->txn[i].offsets, topic, topic_len);
		if (t && group_offsets_part(t, partition))
			return 1;
	}
	return 0;
}

void group_txn_offsets_clear(struct group *g)
{
	for (size_t i = 0; i < g->txn_count; i++)
		group_offsets_clear(&g->txn[i].offsets);
	free(g->txn);
	g->txn = NULL;
	g->txn_count = 0;
}
