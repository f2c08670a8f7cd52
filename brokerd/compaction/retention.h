/*
 * Retention: brokerd decides where each partition's log starts; compactd
 * then removes what lies below from the bucket.  Every
 * retention.check.interval.ms, for each live topic whose cleanup.policy
 * has "delete", each partition's log start moves past the oldest whole
 * object blocks whose max_timestamp < now - retention.ms (when
 * retention.ms >= 0), and past the oldest blocks while the bytes of the
 * blocks at or above the log start exceed retention.bytes (when >= 0).
 * Data still only in the WAL is not counted or expired.
 *
 * Durability: a move is journaled by the catalog (catalog_set_log_start)
 * before the partition's in-memory log start follows, so Fetch and
 * ListOffsets never show a log start the catalog would lose on a crash.
 * Event-loop thread only.
 */
#ifndef SLUICE_RETENTION_H
#define SLUICE_RETENTION_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct catalog_block;
struct partition;

/* Starts the periodic check (the interval is read again at every run, so
 * a reload takes effect).  Returns 0 or -1 after logging. */
int retention_start(struct event_base *base);
void retention_stop(void);

/* Where the retention rules put a stream's log start, given its live
 * blocks in offset order, its current log start and the topic's
 * retention.ms and retention.bytes (-1: no limit).  Never below
 * log_start. */
int64_t retention_log_start(const struct catalog_block *blocks, size_t n,
			    int64_t log_start, int64_t now_ms,
			    int64_t retention_ms, int64_t retention_bytes);

/* One pass over every live partition at time now_ms.  Sends one "compact"
 * event when a log start moved.  Returns how many partitions' log starts
 * moved, or the first negative SL_E* of the catalog (the pass goes on with
 * the other partitions). */
int retention_run(int64_t now_ms);

/* Moves p's log start forward to offset: the catalog journals it, then p
 * follows.  An offset at or below the current log start changes nothing.
 * Returns 0, or SL_ENOENT / SL_EINVAL / SL_ENOMEM / SL_EIO from the
 * catalog (logged; p unchanged). */
int retention_set_log_start(struct partition *p, int64_t offset);

#endif
