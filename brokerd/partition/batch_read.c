/*
 * Batch bytes come from the shm cache when still there, else from the WAL
 * with pread (the page cache usually has them; no S3 tier yet).
 */
#include "batch_read.h"

#include "brokerd/broker.h"
#include "brokerd/partition/partition.h"
#include "brokerd/shm/segment.h"
#include "brokerd/wal/wal.h"
#include "common/counters.h"
#include "common/errors.h"

int batch_read(const struct batch_entry *e, uint8_t *dst)
{
	if (shm_cache_get(broker.shm, e->wal_pos, dst, e->len) == 0) {
		COUNTER_ADD(fetch_cache_hits, 1);
		return 0;
	}
	COUNTER_ADD(fetch_wal_reads, 1);
	return wal_read(broker.wal, e->wal_pos, dst, e->len);
}
