/*
 * librdkafka's in-memory mock cluster, started inside the tool: the
 * reference the broker's figures are compared with, and (--serve-mock) a
 * stand-in broker for scripts while brokerd is not available.
 */
#ifndef SLUICE_BENCH_MOCK_H
#define SLUICE_BENCH_MOCK_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

struct mock {
	rd_kafka_t *rk;                   /* the handle the cluster lives on */
	rd_kafka_mock_cluster_t *mcluster;
};

/*
 * Starts a one-broker mock cluster listening on 127.0.0.1 (a port the kernel
 * picks) and creates topic with partitions partitions.  Returns 0, or
 * SL_EIO with err filled.
 */
int mock_start(struct mock *mock, const char *topic, int partitions, char *err, size_t errlen);
/* Returns the cluster's bootstrap address ("127.0.0.1:PORT"). */
const char *mock_bootstraps(const struct mock *mock);
/* Stops the cluster and frees the handle. */
void mock_stop(struct mock *mock);

#endif
