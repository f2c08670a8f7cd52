/*
 * A group's committed offsets in memory: topics sorted by name, each with
 * its partitions sorted by index, so OffsetFetch of everything comes out in
 * a stable order and a lookup is two binary searches.  Each topic keeps the
 * topic id it had when committed: offsets of a deleted topic, or of an
 * older topic of the same name, are recognised as stale.
 *
 * This is the state the offset store's records build; only the apply hook
 * (groups.c) changes it, so it always equals what is durable.
 *
 * Ownership: the struct owns its strings.  Threading: event loop only.
 */
#ifndef SLUICE_GROUP_OFFSETS_H
#define SLUICE_GROUP_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd/groups/offset_record.h"

struct group_offset {
	int32_t partition;
	int64_t offset;
	int32_t leader_epoch; /* -1: none */
	int64_t commit_ms;
	int64_t expire_ms;    /* -1: by offsets.retention.minutes */
	char *metadata;       /* never NULL ("" for none) */
	uint32_t metadata_len;
};

struct group_offset_topic {
	char *name;
	uint8_t id[16];
	struct group_offset *parts;
	size_t count, cap;
};

struct group_offsets {
	struct group_offset_topic *topics;
	size_t count, cap;
	size_t total; /* partitions over all topics */
};

/* Sets one partition's offset.  A topic held under another topic id is
 * replaced: its old offsets belonged to a deleted topic.  Returns 0 or
 * SL_ENOMEM (nothing changed). */
int group_offsets_set(struct group_offsets *o, const char *topic,
		      size_t topic_len, const uint8_t id[16],
		      const struct offset_part *part);

/* The topic's entry, or NULL. */
const struct group_offset_topic *group_offsets_topic(const struct group_offsets *o,
						     const char *topic,
						     size_t topic_len);

/* A partition's offset within a topic entry, or NULL. */
const struct group_offset *group_offsets_part(const struct group_offset_topic *t,
					      int32_t partition);

/* Removes one partition (partition -1: the whole topic). */
void group_offsets_remove(struct group_offsets *o, const char *topic,
			  size_t topic_len, int32_t partition);

/* Removes everything. */
void group_offsets_clear(struct group_offsets *o);

#endif
