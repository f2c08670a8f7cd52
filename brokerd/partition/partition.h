/*
 * Per-partition state in brokerd's memory: offsets and an index of the
 * partition's batches (Kafka offsets -> where the bytes are in the WAL).
 * Rebuilt at start by WAL recovery; nothing here is durable by itself.
 *
 *   log_start        first offset still readable
 *   next_offset      log end offset: the next offset to assign (appended,
 *                    maybe not yet durable)
 *   high_watermark   everything below is durable and visible to Fetch
 *
 * Event-loop thread only.
 */
#ifndef SLUICE_PARTITION_H
#define SLUICE_PARTITION_H

#include <stddef.h>
#include <stdint.h>

struct topic;
struct producer_state;

struct batch_entry {
	int64_t base_offset;
	int64_t last_offset;    /* base + last offset delta */
	int64_t max_timestamp;  /* the batch's MaxTimestamp */
	uint64_t wal_pos;       /* logical WAL offset of the RecordBatch bytes */
	uint32_t len;           /* RecordBatch bytes */
	uint16_t attributes;    /* the batch's Attributes (codec, timestamp type) */
	int64_t running_max_ts; /* max of max_timestamp up to here (set by
				   partition_append; lets timestamp search
				   bisect although timestamps are unordered) */
};

struct partition {
	uint64_t stream_id;
	const struct topic *topic;
	int32_t index;
	int64_t log_start;
	int64_t next_offset;
	int64_t high_watermark;
	int64_t max_timestamp;        /* largest MaxTimestamp seen (-1: none) */
	int64_t max_timestamp_offset; /* offset of that batch's last record */
	struct batch_entry *batches;  /* in offset order */
	size_t batch_count;
	size_t batch_cap;
	struct producer_state *producers; /* NULL until a producer id writes */
};

struct partition_table;

struct partition_table *partition_table_new(void);
void partition_table_free(struct partition_table *pt);

/* Adds the partitions of a topic (offsets 0).  Returns 0 or SL_ENOMEM. */
int partition_table_add_topic(struct partition_table *pt, const struct topic *t);
/* Forgets a topic's partitions (call before the catalog frees the topic). */
void partition_table_remove_topic(struct partition_table *pt, const struct topic *t);

/* Lookups; NULL when absent. */
struct partition *partition_by_stream(struct partition_table *pt, uint64_t stream_id);
struct partition *partition_by_name(struct partition_table *pt, const char *topic,
				    int32_t index);

/* Calls fn for every partition (in no particular order). */
void partition_table_each(struct partition_table *pt,
			  void (*fn)(void *arg, struct partition *p), void *arg);

/* The last stable offset: the first offset of the earliest open
 * transaction, or the high watermark when that is lower (or none is
 * open).  read_committed consumers read only below it. */
int64_t partition_last_stable(const struct partition *p);

/* Forgets index entries of batches that end at or below wal_pos in every
 * partition (their bytes are in S3 and no longer in the WAL or cache). */
void partition_table_drop_below(struct partition_table *pt, uint64_t wal_pos);

/* Records a batch appended at wal_pos (offsets already assigned; advances
 * next_offset).  Returns 0 or SL_ENOMEM. */
int partition_append(struct partition *p, const struct batch_entry *e);

/* Index of the first batch whose last_offset >= offset, or batch_count. */
size_t partition_find(const struct partition *p, int64_t offset);

/* Index of the first batch with max_timestamp >= ts, or batch_count. */
size_t partition_find_timestamp(const struct partition *p, int64_t ts);

#endif
