/*
 * brokerd's module lifecycle: start initialises modules in dependency order
 * (catalog, WAL recovery, partitions, shm segment, WAL I/O, listeners) and
 * finish tears them down in reverse.  The global state they share lives in
 * struct broker.
 */
#ifndef SLUICE_BROKER_H
#define SLUICE_BROKER_H

#include <stdint.h>

#include "broker_config.h"

struct event_base;
struct catalog;
struct wal;
struct shm_segment;
struct partition_table;
struct listener;
struct objstore;

struct broker {
	struct broker_config *cfg;
	struct event_base *base;
	struct catalog *catalog;
	struct wal *wal;
	struct shm_segment *shm;
	struct partition_table *partitions;
	struct listener *listener;
	struct objstore *objstore;
	uint64_t *counters; /* in shm; index with enum broker_counter */
	uint64_t generation;
	int stopping;
};

extern struct broker broker;

/* Adds to a counter in shared memory. */
#define COUNTER_ADD(name, n) (broker.counters[BC_##name] += (uint64_t)(n))
#define COUNTER_SET(name, v) (broker.counters[BC_##name] = (uint64_t)(v))

struct wal_batch;

/* WAL recovery's callback (arg: a uint64_t count of batches skipped):
 * indexes one batch found in the WAL and applies it to its partition's
 * producer state.  Exported for tests. */
void broker_replay_batch(void *arg, const struct wal_batch *b);

int broker_start(struct event_base *base, void *cfg);
void broker_stop(void);
void broker_finish(void);
void broker_reload(void *new_cfg);

#endif
