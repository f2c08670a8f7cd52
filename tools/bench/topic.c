/*
 * Topic check and creation (see topic.h).  Runs on the caller's thread and
 * blocks for at most the timeout it is given.  The metadata request asks
 * for all topics, never for the one topic, because a per-topic request from
 * a producer may auto-create the topic with the broker's default partition
 * count instead of ours.
 */
#include "autoconfig.h"

#include "tools/bench/topic.h"
#include "tools/bench/bench.h"
#include "common/errors.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms,
			    char *err, size_t errlen)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t kerr = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
	if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "metadata: %s", rd_kafka_err2str(kerr));
		return SL_EIO;
	}
	int count = 0;
	for (int i = 0; i < md->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *t = &md->topics[i];
		if (strcmp(t->topic, topic) != 0 || t->err != RD_KAFKA_RESP_ERR_NO_ERROR)
			continue;
		count = t->partition_cnt;
		/* A partition without a leader cannot take produce yet. */
		for (int p = 0; p < t->partition_cnt; p++)
			if (t->partitions[p].leader < 0)
				count = 0;
	}
	rd_kafka_metadata_destroy(md);
	return count;
}

/* Sends CreateTopics and waits for its result; returns 0 or SL_EIO. */
static int topic_create(rd_kafka_t *rk, const char *topic, int partitions, int timeout_ms,
			char *err, size_t errlen)
{
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, errlen);
	if (nt == NULL)
		return SL_EIO;
	rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, NULL, 0);
	rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, NULL, 0);
	rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, &nt, 1, opts, queue);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(queue, timeout_ms + 1000);

	int rc = SL_EIO;
	if (ev == NULL) {
		snprintf(err, errlen, "CreateTopics %s: no answer in %d ms", topic, timeout_ms);
	} else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "CreateTopics %s: %s", topic, rd_kafka_event_error_string(ev));
	} else {
		size_t cnt = 0;
		const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
		const rd_kafka_topic_result_t **topics = rd_kafka_CreateTopics_result_topics(res, &cnt);
		rd_kafka_resp_err_t terr = cnt == 1 ? rd_kafka_topic_result_error(topics[0])
						    : RD_KAFKA_RESP_ERR__BAD_MSG;
		/* Someone else creating it at the same time is as good. */
		if (terr == RD_KAFKA_RESP_ERR_NO_ERROR || terr == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
			rc = 0;
		else
			snprintf(err, errlen, "CreateTopics %s: %s", topic,
				 cnt == 1 && rd_kafka_topic_result_error_string(topics[0])
					 ? rd_kafka_topic_result_error_string(topics[0])
					 : rd_kafka_err2str(terr));
	}
	if (ev != NULL)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(queue);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_NewTopic_destroy(nt);
	return rc;
}

int topic_ensure(rd_kafka_t *rk, const char *topic, int partitions, int timeout_ms,
		 int *created, char *err, size_t errlen)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
	*created = 0;
	int count = topic_partitions(rk, topic, timeout_ms, err, errlen);
	if (count != 0)
		return count;
	int rc = topic_create(rk, topic, partitions, timeout_ms, err, errlen);
	if (rc != 0)
		return rc;
	*created = 1;
	/* Creation is asynchronous on a real cluster: wait until leaders show. */
	while (bench_now_ns() < deadline) {
		count = topic_partitions(rk, topic, timeout_ms, err, errlen);
		if (count != 0)
			return count;
		struct timespec ts = { 0, 100 * 1000000 };
		nanosleep(&ts, NULL);
	}
	snprintf(err, errlen, "topic %s created but not in metadata after %d ms", topic, timeout_ms);
	return SL_EIO;
}
