/*
 * End-to-end consumer (see consume.h).  One thread owns the rd_kafka_t
 * consumer after start and is the only writer of the histogram and the
 * counters; `unique` and `stop` are the only fields shared while it runs.
 * No consumer group: the legacy per-partition consumer (consume_start_queue)
 * reads from explicit offsets, so the broker needs no group coordinator and
 * no offsets are committed (librdkafka 2.0's assign() wants a group.id).
 */
#include "autoconfig.h"

#include "tools/bench/consume.h"
#include "tools/bench/bench.h"
#include "tools/bench/record.h"
#include "common/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The consumer's settings: a fetch is answered as soon as one byte is there
 * (fetch.min.bytes); fetch.wait.max.ms comes from --fetch-wait-ms.
 */
static const char *const consume_conf[] = {
	"enable.auto.commit", "false",
	"enable.auto.offset.store", "false",
	"enable.partition.eof", "false",
	"fetch.min.bytes", "1",
	"socket.nagle.disable", "true",
	"client.id", "sluice-bench-consumer",
	NULL,
};

/* Accounts one consumed message. */
static void consume_message(struct consume *c, const rd_kafka_message_t *msg, uint64_t now)
{
	if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		c->errors++;
		if (c->error[0] == '\0')
			snprintf(c->error, sizeof c->error, "consume %s [%d]: %s",
				 msg->rkt ? rd_kafka_topic_name(msg->rkt) : "?",
				 (int)msg->partition, rd_kafka_message_errstr(msg));
		return;
	}
	uint64_t seq, send_ns;
	enum record_verdict v = record_check(msg->payload, msg->len, c->run, c->pattern,
					     c->record_size, &seq, &send_ns);
	if (v == RECORD_CORRUPT) {
		c->corrupt++;
		return;
	}
	if (v == RECORD_FOREIGN || seq >= c->seen_cap) {
		c->foreign++;
		return;
	}
	if (c->seen[seq]) {
		c->duplicates++;
		return;
	}
	c->seen[seq] = 1;
	hist_record(&c->e2e, now > send_ns ? now - send_ns : 0);
	atomic_fetch_add(&c->unique, 1);
}

/* Stops the started partitions and frees the client. */
static void consume_close(struct consume *c)
{
	for (int p = 0; p < c->partitions; p++)
		rd_kafka_consume_stop(c->rkt, p);
	rd_kafka_queue_destroy(c->queue);
	rd_kafka_topic_destroy(c->rkt);
	rd_kafka_destroy(c->rk);
	c->rk = NULL;
}

/* Thread body: poll until told to stop. */
static void *consume_main(void *arg)
{
	struct consume *c = arg;
	while (!atomic_load(&c->stop)) {
		rd_kafka_message_t *msg = rd_kafka_consume_queue(c->queue, 50);
		if (msg == NULL)
			continue;
		consume_message(c, msg, bench_now_ns());
		rd_kafka_message_destroy(msg);
	}
	return NULL;
}

int consume_start(struct consume *c, const char *bootstrap, const char *topic,
		  int partitions, int fetch_wait_ms, uint32_t run, const uint8_t *pattern,
		  size_t record_size, uint64_t seen_cap, char *err, size_t errlen)
{
	char wait[16];
	memset(c, 0, sizeof *c);
	hist_reset(&c->e2e);
	c->run = run;
	c->pattern = pattern;
	c->record_size = record_size;
	c->seen_cap = seen_cap;
	c->seen = calloc(seen_cap ? seen_cap : 1, 1);
	if (c->seen == NULL) {
		snprintf(err, errlen, "out of memory");
		return SL_ENOMEM;
	}

	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	snprintf(wait, sizeof wait, "%d", fetch_wait_ms);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, errlen) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "fetch.wait.max.ms", wait, err, errlen) != RD_KAFKA_CONF_OK)
		goto fail_conf;
	for (int i = 0; consume_conf[i] != NULL; i += 2)
		if (rd_kafka_conf_set(conf, consume_conf[i], consume_conf[i + 1], err, errlen) !=
		    RD_KAFKA_CONF_OK)
			goto fail_conf;
	c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
	if (c->rk == NULL)
		goto fail_conf;
	c->rkt = rd_kafka_topic_new(c->rk, topic, NULL);
	c->queue = rd_kafka_queue_new(c->rk);

	/*
	 * Explicit start offsets: "end" resolved later by the client could land
	 * after the first records of the run and silently skip them.
	 */
	for (int p = 0; p < partitions; p++) {
		int64_t lo = 0, hi = 0;
		rd_kafka_resp_err_t kerr = rd_kafka_query_watermark_offsets(c->rk, topic, p, &lo,
									    &hi, 10000);
		if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(err, errlen, "end offset of %s [%d]: %s", topic, p,
				 rd_kafka_err2str(kerr));
			goto fail_rk;
		}
		if (rd_kafka_consume_start_queue(c->rkt, p, hi, c->queue) < 0) {
			snprintf(err, errlen, "consume %s [%d]: %s", topic, p,
				 rd_kafka_err2str(rd_kafka_last_error()));
			goto fail_rk;
		}
		c->partitions = p + 1;
	}
	if (pthread_create(&c->thread, NULL, consume_main, c) != 0) {
		snprintf(err, errlen, "pthread_create failed");
		goto fail_rk;
	}
	return 0;

fail_conf:
	rd_kafka_conf_destroy(conf);
	free(c->seen);
	c->seen = NULL;
	return SL_EIO;
fail_rk:
	consume_close(c);
	free(c->seen);
	c->seen = NULL;
	return SL_EIO;
}

uint64_t consume_unique(struct consume *c)
{
	return atomic_load(&c->unique);
}

void consume_stop(struct consume *c)
{
	if (c->rk == NULL)
		return;
	atomic_store(&c->stop, 1);
	pthread_join(c->thread, NULL);
	consume_close(c);
}

void consume_free(struct consume *c)
{
	free(c->seen);
	c->seen = NULL;
}
