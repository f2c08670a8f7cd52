/*
 * Makes sure the benchmark topic exists, creating it with the admin API
 * (CreateTopics) when the cluster does not list it.
 */
#ifndef SLUICE_BENCH_TOPIC_H
#define SLUICE_BENCH_TOPIC_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

/*
 * Ensures topic exists on rk's cluster, creating it with partitions
 * partitions (replication factor 1) if it is missing.  Returns the
 * partition count the cluster reports (which may differ from partitions for
 * an existing topic), or SL_EIO with err filled when metadata or creation
 * fails within timeout_ms.  *created tells whether this call created it.
 */
int topic_ensure(rd_kafka_t *rk, const char *topic, int partitions, int timeout_ms,
		 int *created, char *err, size_t errlen);

/*
 * Returns the partition count of topic in the cluster's metadata, 0 when
 * it is absent or a partition has no leader yet, or SL_EIO (err filled)
 * when the metadata request fails.  Never creates the topic.
 */
int topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, char *err, size_t errlen);

#endif
