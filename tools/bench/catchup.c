/*
 * Catch-up consumer (see catchup.h).  Runs on the caller's thread: it owns
 * the rd_kafka_t consumer from start to end and is the only writer of the
 * result.  No consumer group, as in consume.c: the legacy per-partition
 * consumer starts each partition at an explicit offset (its low
 * watermark), so the broker needs no coordinator.  Nothing durable.
 */
#include "autoconfig.h"

#include "tools/bench/catchup.h"
#include "tools/bench/bench.h"
#include "tools/bench/record.h"
#include "tools/bench/topic.h"
#include "common/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define CATCHUP_TIMEOUT_MS 10000   /* metadata and watermark queries */

/*
 * librdkafka's fetch defaults stay (fetch.max.bytes 50 MiB,
 * max.partition.fetch.bytes 1 MiB, fetch.wait.max.ms 500,
 * queued.max.messages.kbytes 64 MiB): they are what a consumer catching up
 * meets in the field.
 */
const char *const catchup_conf[] = {
	"enable.auto.commit", "false",
	"enable.auto.offset.store", "false",
	"enable.partition.eof", "false",
	"socket.nagle.disable", "true",
	"client.id", "sluice-bench-catchup",
	NULL,
};

/* Per-partition progress. */
struct catchup_part {
	int64_t low, high;   /* the range to read, [low, high) */
	int64_t next;        /* next offset expected */
};

/* Accounts one message; returns 1 when its partition just reached its end. */
static int catchup_message(struct catchup_result *res, struct catchup_part *parts,
			   const rd_kafka_message_t *msg, const uint8_t *pattern,
			   size_t record_size)
{
	if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (res->errors++ == 0)
			BENCH_FAIL(res, "consume [%d]: %s", (int)msg->partition,
				   rd_kafka_message_errstr(msg));
		return 0;
	}
	if (msg->partition < 0 || msg->partition >= res->partitions) {
		res->foreign++;
		return 0;
	}
	struct catchup_part *cp = &parts[msg->partition];
	if (msg->offset < cp->next) {
		res->duplicates++;
		return 0;
	}
	if (cp->next >= cp->high)
		return 0;   /* past the range: produced after the start */
	res->gaps += (uint64_t)(msg->offset - cp->next);
	cp->next = msg->offset + 1;

	uint32_t run = 0;
	uint64_t seq, send_ns;
	if (msg->payload != NULL && msg->len >= RECORD_HEADER)
		record_header(msg->payload, &run, &seq, &send_ns);
	switch (record_check(msg->payload, msg->len, run, pattern, record_size, &seq, &send_ns)) {
	case RECORD_OK:
		res->consumed++;
		res->value_bytes += msg->len;
		break;
	case RECORD_CORRUPT:
		res->corrupt++;
		break;
	case RECORD_FOREIGN:
		res->foreign++;
		break;
	}
	return cp->next >= cp->high;
}

/* Creates the consumer; NULL with err filled on failure. */
static rd_kafka_t *catchup_consumer(const char *bootstrap, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, errlen) != RD_KAFKA_CONF_OK)
		goto fail;
	for (int i = 0; catchup_conf[i] != NULL; i += 2)
		if (rd_kafka_conf_set(conf, catchup_conf[i], catchup_conf[i + 1], err, errlen) !=
		    RD_KAFKA_CONF_OK)
			goto fail;
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
	if (rk != NULL)
		return rk;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

int catchup_run(const char *bootstrap, const char *topic, size_t record_size, double stall_s,
		struct catchup_result *res)
{
	char err[512];
	memset(res, 0, sizeof *res);
	res->ok = 1;
	if (record_size < RECORD_HEADER) {
		BENCH_FAIL(res, "record size %zu below the %d-byte header", record_size,
			   RECORD_HEADER);
		return SL_EINVAL;
	}
	uint8_t *pattern = malloc(record_size);
	if (pattern == NULL) {
		BENCH_FAIL(res, "out of memory");
		return SL_ENOMEM;
	}
	record_fill(pattern, record_size, 0x5EED);
	rd_kafka_t *rk = catchup_consumer(bootstrap, err, sizeof err);
	if (rk == NULL) {
		BENCH_FAIL(res, "consumer: %s", err);
		free(pattern);
		return SL_EIO;
	}
	rd_kafka_topic_t *rkt = NULL;
	rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
	struct catchup_part *parts = NULL;
	int started = 0, done = 0;

	/* Before any topic handle: its metadata request could auto-create it. */
	int n = topic_partitions(rk, topic, CATCHUP_TIMEOUT_MS, err, sizeof err);
	if (n <= 0) {
		BENCH_FAIL(res, "topic %s: %s", topic, n == 0 ? "not in the metadata" : err);
		goto out;
	}
	rkt = rd_kafka_topic_new(rk, topic, NULL);
	res->partitions = n;
	parts = calloc((size_t)n, sizeof *parts);
	if (parts == NULL) {
		BENCH_FAIL(res, "out of memory");
		goto out;
	}
	for (int p = 0; p < n; p++) {
		rd_kafka_resp_err_t kerr = rd_kafka_query_watermark_offsets(
			rk, topic, p, &parts[p].low, &parts[p].high, CATCHUP_TIMEOUT_MS);
		if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
			BENCH_FAIL(res, "watermarks of %s [%d]: %s", topic, p, rd_kafka_err2str(kerr));
			goto out;
		}
		parts[p].next = parts[p].low;
		res->expected += (uint64_t)(parts[p].high - parts[p].low);
		if (parts[p].high <= parts[p].low)
			done++;
	}
	if (res->expected == 0) {
		BENCH_FAIL(res, "topic %s has no records to read", topic);
		goto out;
	}

	uint64_t start = bench_now_ns(), last = start;
	for (int p = 0; p < n; p++) {
		if (parts[p].high <= parts[p].low)
			continue;
		if (rd_kafka_consume_start_queue(rkt, p, parts[p].low, queue) < 0) {
			BENCH_FAIL(res, "consume %s [%d]: %s", topic, p,
				   rd_kafka_err2str(rd_kafka_last_error()));
			goto stop;
		}
		started = p + 1;
	}
	started = n;
	uint64_t stall_ns = (uint64_t)(stall_s * 1e9);
	while (done < n) {
		rd_kafka_message_t *msg = rd_kafka_consume_queue(queue, 100);
		uint64_t now = bench_now_ns();
		if (msg == NULL) {
			if (now - last > stall_ns) {
				BENCH_FAIL(res, "no record for %.0f s with %llu of %llu read",
					   stall_s, (unsigned long long)res->consumed,
					   (unsigned long long)res->expected);
				break;
			}
			continue;
		}
		if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR)
			last = now;
		done += catchup_message(res, parts, msg, pattern, record_size);
		rd_kafka_message_destroy(msg);
	}
	res->secs = (double)(last - start) / 1e9;
	if (res->secs > 0) {
		res->rps = (double)res->consumed / res->secs;
		res->mbps = (double)res->value_bytes / BENCH_MB / res->secs;
	}
	if (res->corrupt > 0)
		BENCH_FAIL(res, "%llu records read back with different bytes",
			   (unsigned long long)res->corrupt);
	if (res->gaps > 0)
		BENCH_FAIL(res, "%llu offsets skipped", (unsigned long long)res->gaps);
	if (res->foreign > 0)
		BENCH_FAIL(res, "%llu records not written by sluice-bench with --record-size %zu",
			   (unsigned long long)res->foreign, record_size);
stop:
	for (int p = 0; p < started; p++)
		if (parts[p].high > parts[p].low)
			rd_kafka_consume_stop(rkt, p);
out:
	free(parts);
	rd_kafka_queue_destroy(queue);
	if (rkt != NULL)
		rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	free(pattern);
	return res->ok ? 0 : SL_EIO;
}
