/*
 * The partition table (see partition.h): partitions hashed by stream id,
 * each with a growable array of batch_entry in offset order.  Memory is
 * about 48 bytes per batch.
 */
#include "partition.h"

#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/partition/producer_state.h"
#include "common/errors.h"

struct partition_node {
	struct partition_node *next;
	struct partition part;
};

struct partition_table {
	struct partition_node **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
};

/* Hash of a stream id (ids are dense; mixing spreads them anyway). */
static size_t partition_hash(uint64_t id, size_t nbuckets)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (size_t)id & (nbuckets - 1);
}

struct partition_table *partition_table_new(void)
{
	struct partition_table *pt = calloc(1, sizeof *pt);
	if (!pt)
		return NULL;
	pt->nbuckets = 1024;
	pt->buckets = calloc(pt->nbuckets, sizeof *pt->buckets);
	if (!pt->buckets) {
		free(pt);
		return NULL;
	}
	return pt;
}

void partition_table_free(struct partition_table *pt)
{
	if (!pt)
		return;
	for (size_t i = 0; i < pt->nbuckets; i++) {
		struct partition_node *n = pt->buckets[i], *next;
		for (; n; n = next) {
			next = n->next;
			free(n->part.batches);
			producer_state_free(n->part.producers);
			free(n);
		}
	}
	free(pt->buckets);
	free(pt);
}

/* Doubles the bucket array when the load passes 1. */
static void partition_table_grow(struct partition_table *pt)
{
	size_t nb = pt->nbuckets * 2;
	struct partition_node **b = calloc(nb, sizeof *b);
	if (!b)
		return; /* keep the longer chains */
	for (size_t i = 0; i < pt->nbuckets; i++) {
		struct partition_node *n = pt->buckets[i], *next;
		for (; n; n = next) {
			next = n->next;
			size_t h = partition_hash(n->part.stream_id, nb);
			n->next = b[h];
			b[h] = n;
		}
	}
	free(pt->buckets);
	pt->buckets = b;
	pt->nbuckets = nb;
}

int partition_table_add_topic(struct partition_table *pt, const struct topic *t)
{
	for (int32_t i = 0; i < t->partition_count; i++) {
		uint64_t id = topic_stream_id(t, i);
		struct partition *existing = partition_by_stream(pt, id);
		if (existing) {
			existing->topic = t;
			continue;
		}
		struct partition_node *n = calloc(1, sizeof *n);
		if (!n)
			return SL_ENOMEM;
		n->part.stream_id = id;
		n->part.topic = t;
		n->part.index = i;
		n->part.max_timestamp = -1;
		n->part.max_timestamp_offset = -1;
		if (pt->count >= pt->nbuckets)
			partition_table_grow(pt);
		size_t h = partition_hash(id, pt->nbuckets);
		n->next = pt->buckets[h];
		pt->buckets[h] = n;
		pt->count++;
	}
	return 0;
}

void partition_table_remove_topic(struct partition_table *pt, const struct topic *t)
{
	for (int32_t i = 0; i < t->partition_count; i++) {
		uint64_t id = topic_stream_id(t, i);
		struct partition_node **pp = &pt->buckets[partition_hash(id, pt->nbuckets)];
		for (; *pp; pp = &(*pp)->next) {
			if ((*pp)->part.stream_id == id) {
				struct partition_node *dead = *pp;
				*pp = dead->next;
				free(dead->part.batches);
				producer_state_free(dead->part.producers);
				free(dead);
				pt->count--;
				break;
			}
		}
	}
}

struct partition *partition_by_stream(struct partition_table *pt, uint64_t stream_id)
{
	struct partition_node *n = pt->buckets[partition_hash(stream_id, pt->nbuckets)];
	for (; n; n = n->next)
		if (n->part.stream_id == stream_id)
			return &n->part;
	return NULL;
}

struct partition *partition_by_name(struct partition_table *pt, const char *topic,
				    int32_t index)
{
	const struct topic *t = catalog_topic_by_name(broker.catalog, topic);
	if (!t || index < 0 || index >= t->partition_count)
		return NULL;
	return partition_by_stream(pt, topic_stream_id(t, index));
}

void partition_table_each(struct partition_table *pt,
			  void (*fn)(void *arg, struct partition *p), void *arg)
{
	for (size_t i = 0; i < pt->nbuckets; i++)
		for (struct partition_node *n = pt->buckets[i]; n; n = n->next)
			fn(arg, &n->part);
}

int64_t partition_last_stable(const struct partition *p)
{
	int64_t first_open = producer_state_first_open(p->producers);
	return first_open < p->high_watermark ? first_open : p->high_watermark;
}

void partition_table_drop_below(struct partition_table *pt, uint64_t wal_pos)
{
	for (size_t i = 0; i < pt->nbuckets; i++)
		for (struct partition_node *n = pt->buckets[i]; n; n = n->next) {
			struct partition *p = &n->part;
			size_t k = 0;
			while (k < p->batch_count &&
			       p->batches[k].wal_pos + p->batches[k].len <= wal_pos)
				k++;
			if (!k)
				continue;
			memmove(p->batches, p->batches + k,
				(p->batch_count - k) * sizeof *p->batches);
			p->batch_count -= k;
		}
}

int partition_append(struct partition *p, const struct batch_entry *e)
{
	if (p->batch_count == p->batch_cap) {
		size_t cap = p->batch_cap ? p->batch_cap * 2 : 64;
		struct batch_entry *b = realloc(p->batches, cap * sizeof *b);
		if (!b)
			return SL_ENOMEM;
		p->batches = b;
		p->batch_cap = cap;
	}
	if (e->max_timestamp > p->max_timestamp) {
		p->max_timestamp = e->max_timestamp;
		p->max_timestamp_offset = e->last_offset;
	}
	p->batches[p->batch_count] = *e;
	p->batches[p->batch_count].running_max_ts = p->max_timestamp;
	p->batch_count++;
	p->next_offset = e->last_offset + 1;
	return 0;
}

size_t partition_find(const struct partition *p, int64_t offset)
{
	size_t lo = 0, hi = p->batch_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->batches[mid].last_offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t partition_find_timestamp(const struct partition *p, int64_t ts)
{
	/* MaxTimestamp is not monotonic across batches (CreateTime is the
	 * client's clock), but the running maximum is, and the first batch
	 * whose running maximum reaches ts is the first whose own does. */
	size_t lo = 0, hi = p->batch_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->batches[mid].running_max_ts < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
