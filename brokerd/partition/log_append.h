/*
 * Appending one batch to a partition's log: the step produce and the
 * transaction coordinator's markers share.  The batch gets its offsets
 * (BaseOffset patched in place), goes into the WAL's current group-commit
 * block, into the partition's batch index and producer state, and into
 * durable.c's queue so the high watermark moves once it is durable.
 * Event-loop thread only.
 */
#ifndef SLUICE_LOG_APPEND_H
#define SLUICE_LOG_APPEND_H

#include <stddef.h>
#include <stdint.h>

struct partition;

/* Appends the validated batch (size bytes, patched in place; its CRC
 * field must match its bytes, as the WAL record's CRC is derived from
 * it).  Returns 0
 * with *wal_end set to the end of its WAL record, SL_EFULL when the WAL
 * has no room (back-pressure: nothing was appended), or SL_EIO / SL_EINVAL
 * from the WAL. */
int log_append_batch(struct partition *part, uint8_t *batch, size_t size,
		     uint64_t *wal_end);

/* Wall-clock milliseconds since the epoch. */
int64_t log_append_now_ms(void);

#endif
