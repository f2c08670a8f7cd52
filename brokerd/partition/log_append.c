/*
 * One batch into a partition's log (see log_append.h).  Once wal_append
 * has taken the bytes the batch is in the log: indexing it can only fail
 * for memory, and then brokerd stops rather than serve an index that
 * disagrees with the WAL.
 */
#include "brokerd/partition/log_append.h"

#include <time.h>

#include "brokerd/broker.h"
#include "brokerd/partition/durable.h"
#include "brokerd/partition/partition.h"
#include "brokerd/partition/producer_state.h"
#include "brokerd/partition/record_batch.h"
#include "brokerd/wal/wal.h"
#include "common/bytes.h"
#include "common/log.h"

int64_t log_append_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int log_append_batch(struct partition *part, uint8_t *batch, size_t size,
		     uint64_t *wal_end)
{
	int32_t last_delta = (int32_t)be32_get(batch + RB_OFF_LAST_OFFSET_DELTA);
	record_batch_set_base_offset(batch, part->next_offset);
	uint64_t pos;
	/* The batch's CRC field covers Attributes to the end and was checked
	 * (or computed) before this call: the WAL reuses it. */
	int err = wal_append_crc(broker.wal, part->stream_id, part->next_offset,
				 (uint32_t)(last_delta + 1), batch,
				 (uint32_t)size, RB_OFF_ATTRIBUTES,
				 be32_get(batch + RB_OFF_CRC), &pos);
	if (err)
		return err;
	struct batch_entry e = {
		.base_offset = part->next_offset,
		.last_offset = part->next_offset + last_delta,
		.max_timestamp = (int64_t)be64_get(batch + RB_OFF_MAX_TIMESTAMP),
		.wal_pos = pos,
		.len = (uint32_t)size,
		.attributes = be16_get(batch + RB_OFF_ATTRIBUTES),
	};
	*wal_end = pos + size;
	if (partition_append(part, &e) < 0 ||
	    durable_note_append(part->stream_id, e.last_offset, *wal_end) < 0 ||
	    producer_state_apply(&part->producers, batch, size, *wal_end,
				 log_append_now_ms()) < 0)
		log_panic("log: out of memory indexing a batch already in the WAL");
	return 0;
}
