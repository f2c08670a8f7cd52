/*
 * End-to-end consumer: a thread that reads the paced phase's records from
 * every partition, starting at the offsets the caller found as the end of
 * the log just before producing, and measures consume time minus the send
 * time in each record.
 */
#ifndef SLUICE_BENCH_CONSUME_H
#define SLUICE_BENCH_CONSUME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "tools/bench/hist.h"

struct consume {
	/* Set by consume_start, read-only afterwards. */
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	rd_kafka_queue_t *queue;   /* every partition's messages */
	int partitions;
	pthread_t thread;
	uint32_t run;
	const uint8_t *pattern;   /* the fixed record body */
	size_t record_size;
	uint8_t *seen;            /* one byte per sequence number */
	uint64_t seen_cap;
	/* Written by the thread; the caller reads them after consume_stop. */
	struct hist e2e;          /* nanoseconds */
	uint64_t duplicates;
	uint64_t corrupt;
	uint64_t foreign;
	uint64_t errors;
	char error[256];
	/* Shared. */
	atomic_uint_least64_t unique;   /* distinct records of this run seen */
	atomic_int stop;
};

/*
 * Connects to bootstrap, finds the end offset of each of partitions
 * partitions of topic, starts fetching there (fetches wait at most
 * fetch_wait_ms on the broker) and starts the thread.
 * Records with sequence numbers >= seen_cap count as foreign.  Returns 0,
 * or SL_EIO / SL_ENOMEM with err filled.
 */
int consume_start(struct consume *c, const char *bootstrap, const char *topic,
		  int partitions, int fetch_wait_ms, uint32_t run, const uint8_t *pattern,
		  size_t record_size, uint64_t seen_cap, char *err, size_t errlen);
/* Returns the number of distinct records of this run consumed so far. */
uint64_t consume_unique(struct consume *c);
/* Stops and joins the thread and closes the consumer; results stay readable. */
void consume_stop(struct consume *c);
/* Frees what consume_start allocated. */
void consume_free(struct consume *c);

#endif
