/*
 * Where WAL durability becomes visible: appended batches wait in a FIFO
 * until the WAL reports their bytes durable; then the block goes into the
 * shm cache, each partition's high watermark advances, waiting produce
 * requests are answered (in offset order) and long-polling fetches wake.
 * Event-loop thread only.
 */
#ifndef SLUICE_DURABLE_H
#define SLUICE_DURABLE_H

#include <stddef.h>
#include <stdint.h>

struct request;

/* Notes that a batch of stream ending at Kafka offset last_offset occupies
 * WAL bytes up to wal_end.  Returns 0 or SL_ENOMEM. */
int durable_note_append(uint64_t stream_id, int64_t last_offset, uint64_t wal_end);

/* Calls fn(req) once the WAL is durable up to wal_end (immediately if it
 * already is).  Returns 0 or SL_ENOMEM. */
int durable_wait(struct request *req, uint64_t wal_end, void (*fn)(struct request *req));

/* Calls fn(arg) once the WAL is durable up to wal_end (at once if it
 * already is), in WAL order with the requests waiting.  Returns 0 or
 * SL_ENOMEM.  At shutdown fn runs as for requests (durable or not):
 * callers check whether brokerd is stopping. */
int durable_call(uint64_t wal_end, void (*fn)(void *arg), void *arg);

/* Lends the WAL the shm cache to build its blocks in (wal_memory_fn), so
 * that durable_on_wal finds their bytes already cached. */
uint8_t *durable_lend(void *arg, uint64_t start, size_t len, uint64_t keep);

/* The WAL's completion callback (wal_durable_fn). */
void durable_on_wal(void *arg, uint64_t start, uint64_t end, const uint8_t *bytes);

/* Registers the function called after high watermarks advanced. */
void durable_set_wakeup(void (*fn)(void));

/* Frees the queues (shutdown); waiting requests are completed as they are. */
void durable_shutdown(void);

#endif
