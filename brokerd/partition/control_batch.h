/*
 * Transaction markers: the control batches (a RecordBatch with the
 * transactional and control attribute bits) that end a producer's
 * transaction in a partition.  One record each: key = version i16 (0) and
 * type i16 (0 ABORT, 1 COMMIT), value = version i16 (0) and the
 * coordinator epoch i32.  Clients never send these (Produce refuses the
 * control bit); the transaction coordinator writes them through the normal
 * WAL path and recovery reads them back.  Pure functions over caller-owned
 * bytes.
 */
#ifndef SLUICE_CONTROL_BATCH_H
#define SLUICE_CONTROL_BATCH_H

#include <stddef.h>
#include <stdint.h>

#define CONTROL_TYPE_ABORT 0
#define CONTROL_TYPE_COMMIT 1

/* Size of the marker batches control_batch_build writes. */
#define CONTROL_BATCH_BYTES 78

/* Writes a marker for producer_id/epoch into out[CONTROL_BATCH_BYTES]
 * (BaseOffset 0: the append assigns it; BaseSequence -1; both timestamps
 * now_ms) with its CRC. */
void control_batch_build(uint8_t *out, int64_t producer_id, int16_t epoch,
			 int type, int32_t coordinator_epoch, int64_t now_ms);

/* The marker type (CONTROL_TYPE_*) of the control batch p[0..len), or -1
 * when its first record does not parse as a transaction marker (other
 * control types are not transaction ends). */
int control_batch_type(const uint8_t *p, size_t len);

#endif
