/*
 * Mock cluster (see mock.h).  librdkafka runs the cluster on its own
 * threads; this file only owns the handle.  Everything is in memory: the
 * mock keeps every record until it is stopped, so a long run grows the
 * tool's memory by the bytes produced.
 */
#include "autoconfig.h"

#include "tools/bench/mock.h"
#include "common/errors.h"

#include <stdio.h>
#include <string.h>

int mock_start(struct mock *mock, const char *topic, int partitions, char *err, size_t errlen)
{
	memset(mock, 0, sizeof *mock);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	/*
	 * The handle never talks to a broker, it only hosts the cluster: its
	 * notice about having no bootstrap.servers is noise.
	 */
	if (rd_kafka_conf_set(conf, "client.id", "sluice-bench-mock", err, errlen) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log_level", "4", err, errlen) != RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(conf);
		return SL_EINVAL;
	}
	mock->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
	if (mock->rk == NULL) {
		rd_kafka_conf_destroy(conf);
		return SL_EIO;
	}
	mock->mcluster = rd_kafka_mock_cluster_new(mock->rk, 1);
	if (mock->mcluster == NULL) {
		snprintf(err, errlen, "rd_kafka_mock_cluster_new failed");
		mock_stop(mock);
		return SL_EIO;
	}
	rd_kafka_resp_err_t kerr = rd_kafka_mock_topic_create(mock->mcluster, topic, partitions, 1);
	if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "mock topic %s: %s", topic, rd_kafka_err2str(kerr));
		mock_stop(mock);
		return SL_EIO;
	}
	return 0;
}

const char *mock_bootstraps(const struct mock *mock)
{
	return rd_kafka_mock_cluster_bootstraps(mock->mcluster);
}

void mock_stop(struct mock *mock)
{
	if (mock->mcluster != NULL)
		rd_kafka_mock_cluster_destroy(mock->mcluster);
	if (mock->rk != NULL)
		rd_kafka_destroy(mock->rk);
	memset(mock, 0, sizeof *mock);
}
