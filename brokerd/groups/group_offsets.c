/*
 * A group's committed offsets in memory (see group_offsets.h): two levels
 * of sorted arrays.  Groups commit a few hundred partitions at most in
 * practice, so an insert's memmove is cheaper than a tree's allocations.
 */
#include "brokerd/groups/group_offsets.h"

#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

/* Compares a name of len bytes with a NUL-terminated one, like strcmp. */
static int group_offsets_name_cmp(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Index of the topic, or of where it would go (*found says which). */
static size_t group_offsets_topic_at(const struct group_offsets *o,
				     const char *name, size_t len, int *found)
{
	size_t lo = 0, hi = o->count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = group_offsets_name_cmp(name, len, o->topics[mid].name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = 0;
	return lo;
}

/* Index of the partition, or of where it would go. */
static size_t group_offsets_part_at(const struct group_offset_topic *t,
				    int32_t partition, int *found)
{
	size_t lo = 0, hi = t->count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->parts[mid].partition == partition) {
			*found = 1;
			return mid;
		}
		if (partition < t->parts[mid].partition)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = 0;
	return lo;
}

/* Frees a topic entry's partitions. */
static void group_offsets_topic_clear(struct group_offset_topic *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->parts[i].metadata);
	free(t->parts);
	t->parts = NULL;
	t->count = t->cap = 0;
}

/* Inserts an empty topic entry at i; NULL when out of memory. */
static struct group_offset_topic *group_offsets_topic_insert(struct group_offsets *o,
							     size_t i,
							     const char *name,
							     size_t len)
{
	if (o->count == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 4;
		struct group_offset_topic *n = realloc(o->topics, cap * sizeof *n);
		if (!n)
			return NULL;
		o->topics = n;
		o->cap = cap;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, name, len);
	copy[len] = '\0';
	memmove(&o->topics[i + 1], &o->topics[i],
		(o->count - i) * sizeof o->topics[0]);
	o->count++;
	struct group_offset_topic *t = &o->topics[i];
	memset(t, 0, sizeof *t);
	t->name = copy;
	return t;
}

/* Removes the topic entry at i. */
static void group_offsets_topic_delete(struct group_offsets *o, size_t i)
{
	struct group_offset_topic *t = &o->topics[i];
	o->total -= t->count;
	group_offsets_topic_clear(t);
	free(t->name);
	memmove(&o->topics[i], &o->topics[i + 1],
		(o->count - i - 1) * sizeof o->topics[0]);
	o->count--;
}

int group_offsets_set(struct group_offsets *o, const char *topic,
		      size_t topic_len, const uint8_t id[16],
		      const struct offset_part *part)
{
	char *metadata = malloc(part->metadata_len + 1);
	if (!metadata)
		return SL_ENOMEM;
	if (part->metadata_len)
		memcpy(metadata, part->metadata, part->metadata_len);
	metadata[part->metadata_len] = '\0';

	int found;
	size_t ti = group_offsets_topic_at(o, topic, topic_len, &found);
	struct group_offset_topic *t = found ? &o->topics[ti] : NULL;
	if (t && memcmp(t->id, id, 16) != 0) {
		/* the topic was deleted and made again since these */
		o->total -= t->count;
		group_offsets_topic_clear(t);
	}
	if (!t)
		t = group_offsets_topic_insert(o, ti, topic, topic_len);
	if (!t)
		goto nomem;
	memcpy(t->id, id, 16);
	size_t pi = group_offsets_part_at(t, part->partition, &found);
	if (!found) {
		if (t->count == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 4;
			struct group_offset *n = realloc(t->parts, cap * sizeof *n);
			if (!n)
				goto nomem;
			t->parts = n;
			t->cap = cap;
		}
		memmove(&t->parts[pi + 1], &t->parts[pi],
			(t->count - pi) * sizeof t->parts[0]);
		t->count++;
		o->total++;
		t->parts[pi].metadata = NULL;
	}
	struct group_offset *go = &t->parts[pi];
	free(go->metadata);
	go->partition = part->partition;
	go->offset = part->offset;
	go->leader_epoch = part->leader_epoch;
	go->commit_ms = part->commit_ms;
	go->expire_ms = part->expire_ms;
	go->metadata = metadata;
	go->metadata_len = part->metadata_len;
	return 0;
nomem:
	free(metadata);
	/* a topic entry left empty by a failed insert goes again */
	if (t && t->count == 0)
		group_offsets_topic_delete(o, (size_t)(t - o->topics));
	return SL_ENOMEM;
}

const struct group_offset_topic *group_offsets_topic(const struct group_offsets *o,
						     const char *topic,
						     size_t topic_len)
{
	int found;
	size_t i = group_offsets_topic_at(o, topic, topic_len, &found);
	return found ? &o->topics[i] : NULL;
}

const struct group_offset *group_offsets_part(const struct group_offset_topic *t,
					      int32_t partition)
{
	int found;
	size_t i = group_offsets_part_at(t, partition, &found);
	return found ? &t->parts[i] : NULL;
}

void group_offsets_remove(struct group_offsets *o, const char *topic,
			  size_t topic_len, int32_t partition)
{
	int found;
	size_t ti = group_offsets_topic_at(o, topic, topic_len, &found);
	if (!found)
		return;
	struct group_offset_topic *t = &o->topics[ti];
	if (partition >= 0) {
		size_t pi = group_offsets_part_at(t, partition, &found);
		if (!found)
			return;
		free(t->parts[pi].metadata);
		memmove(&t->parts[pi], &t->parts[pi + 1],
			(t->count - pi - 1) * sizeof t->parts[0]);
		t->count--;
		o->total--;
		if (t->count > 0)
			return;
	}
	group_offsets_topic_delete(o, ti);
}

void group_offsets_clear(struct group_offsets *o)
{
	while (o->count)
		group_offsets_topic_delete(o, o->count - 1);
	free(o->topics);
	o->topics = NULL;
	o->cap = 0;
	o->total = 0;
}
