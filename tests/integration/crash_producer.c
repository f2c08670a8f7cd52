/*
 * crash_producer: the producer of the crash test (crash_acks_all.sh).
 *
 *   crash_producer BOOTSTRAP TOPIC PARTITIONS ACK_LOG STOP_FILE RATE
 *
 * Produces records with acks=all (librdkafka, idempotence off, retries
 * practically unbounded, quick reconnects) at about RATE records a second
 * while the test kills and restarts brokerd under it, until STOP_FILE
 * exists; then flushes for up to 30 s and purges what is left.  Record id
 * n (0, 1, 2, ...) goes to partition n % PARTITIONS with key "n" and the
 * value crash_value(n), so a reader can tell every record apart and check
 * its bytes.
 *
 * For every successful delivery report (the broker acknowledged the record
 * as durable) one line "partition offset id ack_ms" is appended to ACK_LOG
 * and flushed; failed reports are only counted.  The last line on stdout is
 * "produced N acked A failed F".
 *
 * Single-threaded apart from librdkafka's own threads (delivery reports run
 * in rd_kafka_poll on this thread).  Exit status 0 unless setup failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define VALUE_BYTES 100
#define FLUSH_MS 30000
#define TICK_MS 10

/* What the delivery reports found. */
struct crash_stats {
	FILE *ack_log;
	uint64_t acked;
	uint64_t failed;
	uint64_t failed_by_code[4]; /* timed out, purged, transport, other */
};

/* Milliseconds since the epoch. */
static int64_t crash_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fills buf with record id's value: "crash id=<id> " then bytes derived
 * from id (crash_check.py computes the same); returns its length. */
static size_t crash_value(uint64_t id, unsigned char *buf)
{
	int n = snprintf((char *)buf, VALUE_BYTES, "crash id=%" PRIu64 " ", id);
	for (size_t i = (size_t)n; i < VALUE_BYTES; i++)
		buf[i] = (unsigned char)('a' + (id * 7 + i * 13) % 26);
	return VALUE_BYTES;
}

/* librdkafka: one record's fate.  The id travels as the message opaque. */
static void crash_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
			      void *opaque)
{
	struct crash_stats *st = opaque;
	uint64_t id = (uint64_t)(uintptr_t)m->_private;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(st->ack_log, "%" PRId32 " %" PRId64 " %" PRIu64 " %" PRId64 "\n",
			m->partition, m->offset, id, crash_now_ms());
		fflush(st->ack_log);
		st->acked++;
		return;
	}
	st->failed++;
	switch (m->err) {
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
		st->failed_by_code[0]++;
		break;
	case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
	case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
		st->failed_by_code[1]++;
		break;
	case RD_KAFKA_RESP_ERR__TRANSPORT:
		st->failed_by_code[2]++;
		break;
	default:
		st->failed_by_code[3]++;
		if (st->failed_by_code[3] <= 5)
			fprintf(stderr, "crash_producer: id %" PRIu64 ": %s\n", id,
				rd_kafka_err2str(m->err));
	}
}

/* Sets one librdkafka property or exits. */
static void crash_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value)
{
	char err[512];
	if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "crash_producer: %s=%s: %s\n", key, value, err);
		exit(1);
	}
}

/* Produces record id, waiting while librdkafka's queue is full.  Returns 0,
 * or -1 on an error other than a full queue. */
static int crash_produce_one(rd_kafka_t *rk, const char *topic,
			     int32_t partitions, uint64_t id)
{
	unsigned char value[VALUE_BYTES];
	char key[24];
	size_t vlen = crash_value(id, value);
	int klen = snprintf(key, sizeof key, "%" PRIu64, id);
	for (;;) {
		rd_kafka_resp_err_t err = rd_kafka_producev(
			rk, RD_KAFKA_V_TOPIC(topic),
			RD_KAFKA_V_PARTITION((int32_t)(id % (uint64_t)partitions)),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_KEY(key, (size_t)klen),
			RD_KAFKA_V_VALUE(value, vlen),
			RD_KAFKA_V_OPAQUE((void *)(uintptr_t)id), RD_KAFKA_V_END);
		if (!err)
			return 0;
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			fprintf(stderr, "crash_producer: produce id %" PRIu64 ": %s\n",
				id, rd_kafka_err2str(err));
			return -1;
		}
		rd_kafka_poll(rk, 100);
	}
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: crash_producer BOOTSTRAP TOPIC PARTITIONS "
				"ACK_LOG STOP_FILE RATE\n");
		return 2;
	}
	const char *topic = argv[2], *stop_file = argv[5];
	int32_t partitions = atoi(argv[3]);
	long rate = atol(argv[6]);
	if (partitions < 1 || rate < 1) {
		fprintf(stderr, "crash_producer: bad PARTITIONS or RATE\n");
		return 2;
	}
	struct crash_stats st = {0};
	st.ack_log = fopen(argv[4], "a");
	if (!st.ack_log) {
		fprintf(stderr, "crash_producer: %s: %s\n", argv[4], strerror(errno));
		return 1;
	}

	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	crash_conf_set(conf, "bootstrap.servers", argv[1]);
	crash_conf_set(conf, "acks", "all");
	crash_conf_set(conf, "enable.idempotence", "false");
	crash_conf_set(conf, "message.send.max.retries", "2147483647");
	crash_conf_set(conf, "retry.backoff.ms", "100");
	crash_conf_set(conf, "message.timeout.ms", "120000");
	crash_conf_set(conf, "linger.ms", "5");
	crash_conf_set(conf, "reconnect.backoff.ms", "50");
	crash_conf_set(conf, "reconnect.backoff.max.ms", "500");
	crash_conf_set(conf, "log.connection.close", "false");
	rd_kafka_conf_set_dr_msg_cb(conf, crash_on_delivery);
	rd_kafka_conf_set_opaque(conf, &st);
	char err[512];
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!rk) {
		fprintf(stderr, "crash_producer: %s\n", err);
		return 1;
	}

	/* Pace by the clock: records produced so far follow rate * elapsed,
	 * whatever the polls cost (while brokerd is down they queue up in
	 * librdkafka, as an application's would). */
	uint64_t id = 0;
	int64_t start = crash_now_ms();
	int status = 0;
	while (!status && access(stop_file, F_OK) != 0) {
		uint64_t target = (uint64_t)((crash_now_ms() - start) * rate / 1000);
		while (id < target) {
			if (crash_produce_one(rk, topic, partitions, id) < 0) {
				status = 1;
				break;
			}
			id++;
		}
		rd_kafka_poll(rk, TICK_MS);
	}

	rd_kafka_resp_err_t ferr = rd_kafka_flush(rk, FLUSH_MS);
	if (ferr) {
		fprintf(stderr, "crash_producer: flush: %s; purging %d records\n",
			rd_kafka_err2str(ferr), rd_kafka_outq_len(rk));
		rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(rk, 5000);
	}
	rd_kafka_poll(rk, 0);
	fprintf(stderr, "crash_producer: failed reports: %" PRIu64 " timed out, %" PRIu64
		" purged, %" PRIu64 " transport, %" PRIu64 " other\n",
		st.failed_by_code[0], st.failed_by_code[1], st.failed_by_code[2],
		st.failed_by_code[3]);
	printf("produced %" PRIu64 " acked %" PRIu64 " failed %" PRIu64 "\n", id,
	       st.acked, st.failed);
	rd_kafka_destroy(rk);
	fclose(st.ack_log);
	return status;
}
