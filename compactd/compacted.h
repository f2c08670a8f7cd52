/*
 * Record selection for cleanup.policy=compact streams: the latest record
 * per key stays, older ones go, and so do tombstones (null value) older
 * than delete.retention.ms.  Two passes over a stream's batches in one
 * rewrite: compacted_scan records each key's latest offset, then
 * compacted_filter rebuilds each batch with the records that stay.
 *
 * Kafka semantics kept: offsets never change (BaseOffset and
 * LastOffsetDelta stay, so a rebuilt batch has gaps and a RecordCount
 * below LastOffsetDelta + 1); timestamps stay (BaseTimestamp and each
 * record's delta are kept, MaxTimestamp becomes the largest kept one); a
 * compressed batch is recompressed with its own codec; the CRC is
 * recomputed.  A batch that keeps nothing is dropped.
 *
 * Left as they are, whole: control batches and transactional batches
 * (without the transaction index an aborted record could otherwise
 * shadow a committed one), the stream's last batch (as Kafka keeps the
 * last batch of a log, so the data's end offset never moves back), and
 * records newer than min.compaction.lag.ms.  Keyless records stay.
 * A tombstone goes only when every older record of the stream is in the
 * same rewrite (below prefix_end): otherwise an older value it hides,
 * in an object this rewrite does not touch, would come back.
 */
#ifndef SLUICE_COMPACTD_COMPACTED_H
#define SLUICE_COMPACTD_COMPACTED_H

#include <stddef.h>
#include <stdint.h>

struct keymap;

struct compacted_params {
	int64_t now_ms;
	int64_t min_compaction_lag_ms;
	int64_t delete_retention_ms;
	int64_t prefix_end;     /* tombstones below this offset may go */
	int64_t last_batch_end; /* the batch ending here is kept whole */
};

/* Counts of what compacted_filter removed, summed over calls. */
struct compacted_stats {
	uint64_t records_in, records_kept;
	uint64_t tombstones_dropped;
	uint64_t batches_rebuilt, batches_dropped;
};

/* Pass 1: records the keys of the batch (len bytes) in m.  Returns 0,
 * SL_ECORRUPT (the records do not parse or decompress), or SL_ENOMEM. */
int compacted_scan(struct keymap *m, const uint8_t *batch, size_t len);

/* Pass 2: what stays of the batch.  Returns 0 with *out NULL (drop the
 * batch), *out == batch (keep it as it is), or *out a rebuilt batch of
 * *out_len bytes in *owned (free() it); or SL_ECORRUPT, SL_ENOMEM. */
int compacted_filter(const struct keymap *m, const struct compacted_params *p,
		     const uint8_t *batch, size_t len, const uint8_t **out,
		     size_t *out_len, uint8_t **owned, struct compacted_stats *st);

#endif
