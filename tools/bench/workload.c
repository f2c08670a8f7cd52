/*
 * Produce workload (see workload.h).  Threads: the caller's thread produces;
 * a poller thread per producer serves delivery reports (so a report is
 * timed when librdkafka hands it over, not when the producer next looks),
 * and is the only writer of the delivery state; the consumer of phase (c)
 * has its own thread (consume.c).  The record body is fixed pseudo-random
 * bytes; each record carries its run id, sequence number and send time.
 */
#include "autoconfig.h"

#include "tools/bench/workload.h"
#include "tools/bench/consume.h"
#include "tools/bench/pace.h"
#include "tools/bench/record.h"
#include "tools/bench/topic.h"
#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define WORKLOAD_TIMEOUT_MS 30000    /* topic setup, message.timeout.ms */
#define WORKLOAD_DRAIN_MS 60000      /* waiting for the last delivery reports */
#define WORKLOAD_CONSUME_MS 10000    /* waiting for the consumer to catch up */

/*
 * A high-throughput producer: large batches filled for up to 10 ms, a deep
 * local queue (256 MiB) and, with idempotence off, many requests in flight
 * per connection.
 */
const char *const workload_tput_conf[] = {
	"acks", "-1",
	"enable.idempotence", "false",
	"linger.ms", "10",
	"batch.size", "1000000",
	"batch.num.messages", "10000",
	"queue.buffering.max.messages", "262144",
	"queue.buffering.max.kbytes", "262144",
	"max.in.flight.requests.per.connection", "1000000",
	"compression.type", "none",
	"socket.nagle.disable", "true",
	"message.timeout.ms", "30000",
	NULL,
};

/* The paced producer: the same, with the short linger a latency-minded one uses. */
const char *const workload_paced_conf[] = {
	"acks", "-1",
	"enable.idempotence", "false",
	"batch.size", "1000000",
	"queue.buffering.max.messages", "262144",
	"queue.buffering.max.kbytes", "262144",
	"max.in.flight.requests.per.connection", "1000000",
	"compression.type", "none",
	"socket.nagle.disable", "true",
	"message.timeout.ms", "30000",
	NULL,
};

/* What the delivery reports of one producer add up to. */
struct workload_dr {
	atomic_uint_least64_t acked;
	atomic_uint_least64_t errors;
	atomic_uint_least64_t last_ack_ns;
	struct hist *lat;        /* NULL: latency not wanted */
	atomic_uint_least32_t run;   /* latency only of this run's records */
	char error[256];         /* the first delivery error */
};

/* One producer with its poller thread. */
struct workload_producer {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	pthread_t poller;
	atomic_int stop;
	struct workload_dr dr;
};

/* Delivery report callback, on the poller thread. */
static void workload_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct workload_dr *dr = opaque;
	uint64_t now = bench_now_ns();
	if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (atomic_fetch_add(&dr->errors, 1) == 0)
			snprintf(dr->error, sizeof dr->error, "delivery to [%d]: %s",
				 (int)msg->partition, rd_kafka_err2str(msg->err));
		return;
	}
	if (dr->lat != NULL && msg->len >= RECORD_HEADER) {
		uint32_t run;
		uint64_t seq, send_ns;
		record_header(msg->payload, &run, &seq, &send_ns);
		/* Run 0 is the warm-up, never timed. */
		if (run != 0 && run == atomic_load(&dr->run))
			hist_record(dr->lat, now > send_ns ? now - send_ns : 0);
	}
	atomic_store(&dr->last_ack_ns, now);
	atomic_fetch_add(&dr->acked, 1);
}

/* Poller thread: serves delivery reports until told to stop. */
static void *workload_poller(void *arg)
{
	struct workload_producer *p = arg;
	while (!atomic_load(&p->stop))
		rd_kafka_poll(p->rk, 10);
	/* Whatever arrived between the last poll and stop. */
	rd_kafka_poll(p->rk, 0);
	return NULL;
}

/* What each producer mode changes in the lists above. */
static const char *const workload_mode_conf[][5] = {
	[BENCH_PRODUCER_PLAIN] = {NULL},
	[BENCH_PRODUCER_PLAIN_5] = {"max.in.flight.requests.per.connection", "5", NULL},
	[BENCH_PRODUCER_IDEMPOTENT] = {"enable.idempotence", "true",
				       "max.in.flight.requests.per.connection", "5", NULL},
};

/* Sets a NULL-terminated key/value list on conf; returns 0 or -1 with err. */
static int workload_conf_apply(rd_kafka_conf_t *conf, const char *const *kv, char *err, size_t errlen)
{
	for (int i = 0; kv[i] != NULL; i += 2)
		if (rd_kafka_conf_set(conf, kv[i], kv[i + 1], err, errlen) != RD_KAFKA_CONF_OK)
			return -1;
	return 0;
}

/*
 * Creates a producer with conf kv, changed for mode (+ linger.ms if >= 0),
 * whose reports time
 * into lat (may be NULL), and starts its poller; 0 or SL_EIO.
 */
static int workload_producer_start(struct workload_producer *p, const char *bootstrap,
				   const char *const *kv, enum bench_producer_mode mode,
				   int linger_ms, struct hist *lat,
				   struct workload_result *res)
{
	char err[512];
	char linger[16];
	memset(p, 0, sizeof *p);
	p->dr.lat = lat;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	snprintf(linger, sizeof linger, "%d", linger_ms);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "client.id", "sluice-bench", err, sizeof err) != RD_KAFKA_CONF_OK ||
	    workload_conf_apply(conf, kv, err, sizeof err) < 0 ||
	    workload_conf_apply(conf, workload_mode_conf[mode], err, sizeof err) < 0 ||
	    (linger_ms >= 0 &&
	     rd_kafka_conf_set(conf, "linger.ms", linger, err, sizeof err) != RD_KAFKA_CONF_OK)) {
		rd_kafka_conf_destroy(conf);
		BENCH_FAIL(res, "producer config: %s", err);
		return SL_EIO;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, workload_dr_cb);
	rd_kafka_conf_set_opaque(conf, &p->dr);
	p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (p->rk == NULL) {
		rd_kafka_conf_destroy(conf);
		BENCH_FAIL(res, "producer: %s", err);
		return SL_EIO;
	}
	if (pthread_create(&p->poller, NULL, workload_poller, p) != 0) {
		BENCH_FAIL(res, "producer: cannot start its poller");
		rd_kafka_destroy(p->rk);
		p->rk = NULL;
		return SL_EIO;
	}
	return 0;
}

/*
 * Opens the topic for producing.  Only once it exists: a topic handle makes
 * the client ask for the topic's metadata, which lets a broker auto-create
 * it with its own default partition count.
 */
static void workload_producer_topic(struct workload_producer *p, const char *topic)
{
	p->rkt = rd_kafka_topic_new(p->rk, topic, NULL);
	SL_ASSERT(p->rkt != NULL);   /* fails only for a NULL topic name */
}

/* Waits until every produced record has its delivery report; returns 0 or SL_EIO on timeout. */
static int workload_producer_drain(struct workload_producer *p, int timeout_ms)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
	/* outq_len counts queued, in-flight and unserved reports alike. */
	while (rd_kafka_outq_len(p->rk) > 0) {
		if (bench_now_ns() >= deadline)
			return SL_EIO;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Stops the poller and destroys the producer. */
static void workload_producer_stop(struct workload_producer *p)
{
	if (p->rk == NULL)
		return;
	atomic_store(&p->stop, 1);
	pthread_join(p->poller, NULL);
	if (p->rkt != NULL)
		rd_kafka_topic_destroy(p->rkt);
	rd_kafka_destroy(p->rk);
	p->rk = NULL;
}

/* Hands one record to the client, waiting while its queue is full; 0 or the error. */
static rd_kafka_resp_err_t workload_produce(struct workload_producer *p, int partition,
					    uint8_t *buf, size_t size, uint64_t *queue_full)
{
	for (;;) {
		if (rd_kafka_produce(p->rkt, partition, RD_KAFKA_MSG_F_COPY, buf, size,
				     NULL, 0, NULL) == 0)
			return RD_KAFKA_RESP_ERR_NO_ERROR;
		rd_kafka_resp_err_t kerr = rd_kafka_last_error();
		if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return kerr;
		/* The poller frees room as reports come back. */
		(*queue_full)++;
		struct timespec ts = { 0, 100000 };
		nanosleep(&ts, NULL);
	}
}

/* One record per partition, so connections and metadata are up before timing. */
static int workload_warmup(struct workload_producer *p, int partitions, uint8_t *buf,
			   size_t size, struct workload_result *res)
{
	uint64_t queue_full = 0;
	for (int part = 0; part < partitions; part++) {
		record_stamp(buf, 0, (uint64_t)part, bench_now_ns());
		rd_kafka_resp_err_t kerr = workload_produce(p, part, buf, size, &queue_full);
		if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
			BENCH_FAIL(res, "warm-up produce: %s", rd_kafka_err2str(kerr));
			return SL_EIO;
		}
	}
	if (workload_producer_drain(p, WORKLOAD_DRAIN_MS) != 0) {
		BENCH_FAIL(res, "warm-up: no delivery report in %d ms", WORKLOAD_DRAIN_MS);
		return SL_EIO;
	}
	if (atomic_load(&p->dr.errors) > 0) {
		BENCH_FAIL(res, "warm-up: %s", p->dr.error);
		return SL_EIO;
	}
	return 0;
}

/*
 * Phase (a): produce as fast as the client takes records, for duration_ns
 * or until max_records are handed over (0: no limit), whichever is first.
 */
static int workload_throughput(const struct bench_opts *opts, struct workload_producer *p,
			       int partitions, uint8_t *buf, uint64_t duration_ns,
			       uint64_t max_records, struct workload_result *res)
{
	uint32_t run = (uint32_t)random() | 1;
	uint64_t seq = 0;
	uint64_t start = bench_now_ns();
	uint64_t end = duration_ns > UINT64_MAX - start ? UINT64_MAX : start + duration_ns;
	uint64_t now = start;
	atomic_store(&p->dr.acked, 0);
	atomic_store(&p->dr.last_ack_ns, start);
	while (now < end && (max_records == 0 || seq < max_records)) {
		for (int i = 0; i < 256 && (max_records == 0 || seq < max_records); i++, seq++) {
			record_stamp(buf, run, seq, now);
			rd_kafka_resp_err_t kerr = workload_produce(p, (int)(seq % (uint64_t)partitions),
								    buf, opts->record_size,
								    &res->tput_queue_full);
			if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
				BENCH_FAIL(res, "produce: %s", rd_kafka_err2str(kerr));
				return SL_EIO;
			}
		}
		now = bench_now_ns();
	}
	int drained = workload_producer_drain(p, WORKLOAD_DRAIN_MS);
	res->tput_acked = atomic_load(&p->dr.acked);
	res->tput_errors = atomic_load(&p->dr.errors);
	res->tput_secs = (double)(atomic_load(&p->dr.last_ack_ns) - start) / 1e9;
	if (res->tput_secs > 0) {
		res->tput_rps = (double)res->tput_acked / res->tput_secs;
		res->tput_mbps = res->tput_rps * (double)opts->record_size / BENCH_MB;
	}
	if (drained != 0)
		BENCH_FAIL(res, "throughput: %zu records without delivery report after %d ms",
			   (size_t)rd_kafka_outq_len(p->rk), WORKLOAD_DRAIN_MS);
	if (res->tput_errors > 0)
		BENCH_FAIL(res, "throughput: %llu delivery errors, first: %s",
			   (unsigned long long)res->tput_errors, p->dr.error);
	if (res->tput_acked == 0)
		BENCH_FAIL(res, "throughput: nothing acknowledged");
	return res->ok ? 0 : SL_EIO;
}

/* Sleeps until the absolute monotonic time when_ns. */
static void workload_sleep_until(uint64_t when_ns)
{
	struct timespec ts = { (time_t)(when_ns / 1000000000u), (long)(when_ns % 1000000000u) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Phases (b) and (c): produce at rate_mb for duration_s with a consumer reading along. */
static int workload_paced(const struct bench_opts *opts, const char *bootstrap,
			  struct workload_producer *p, int partitions, uint8_t *buf,
			  struct workload_result *res)
{
	double rps = opts->rate_mb * BENCH_MB / (double)opts->record_size;
	uint64_t max_records = (uint64_t)ceil(rps * opts->duration_s) + 1;
	uint32_t run = (uint32_t)random() | 1;
	char err[512];

	struct consume *c = malloc(sizeof *c);
	if (c == NULL) {
		BENCH_FAIL(res, "out of memory");
		return SL_ENOMEM;
	}
	if (consume_start(c, bootstrap, opts->topic, partitions, opts->fetch_wait_ms, run, buf,
			  opts->record_size,
			  max_records, err, sizeof err) != 0) {
		BENCH_FAIL(res, "consumer: %s", err);
		free(c);
		return SL_EIO;
	}

	res->target_mbps = opts->rate_mb;
	atomic_store(&p->dr.acked, 0);
	atomic_store(&p->dr.run, run);

	/*
	 * After a stall of the producer thread (two cores shared with the
	 * client's threads, and the mock's) it may catch up by at most 10 ms
	 * of records at once; longer stalls lower the achieved rate, which the
	 * report prints next to the target.
	 */
	struct pace pace;
	uint64_t start = bench_now_ns();
	uint64_t end = start + (uint64_t)(opts->duration_s * 1e9);
	pace_init(&pace, rps, rps * 0.010, start);
	uint64_t seq = 0, now = start;
	while (seq < max_records && now < end) {
		uint64_t n = pace_take(&pace, now, max_records - seq);
		for (uint64_t i = 0; i < n; i++, seq++) {
			record_stamp(buf, run, seq, bench_now_ns());
			rd_kafka_resp_err_t kerr = workload_produce(p, (int)(seq % (uint64_t)partitions),
								    buf, opts->record_size,
								    &res->lat_queue_full);
			if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
				BENCH_FAIL(res, "paced produce: %s", rd_kafka_err2str(kerr));
				goto out;
			}
		}
		uint64_t next = pace_next_ns(&pace);
		workload_sleep_until(next < end ? next : end);
		now = bench_now_ns();
	}
	res->lat_sent = seq;
	res->achieved_mbps = (double)seq * (double)opts->record_size / BENCH_MB /
			     ((double)(now - start) / 1e9);

	if (workload_producer_drain(p, WORKLOAD_DRAIN_MS) != 0)
		BENCH_FAIL(res, "paced: %zu records without delivery report after %d ms",
			   (size_t)rd_kafka_outq_len(p->rk), WORKLOAD_DRAIN_MS);
	res->lat_acked = atomic_load(&p->dr.acked);
	res->lat_errors = atomic_load(&p->dr.errors);
	if (res->lat_errors > 0)
		BENCH_FAIL(res, "paced: %llu delivery errors, first: %s",
			   (unsigned long long)res->lat_errors, p->dr.error);

	/* Every acknowledged record must come back. */
	uint64_t deadline = bench_now_ns() + (uint64_t)WORKLOAD_CONSUME_MS * 1000000u;
	while (consume_unique(c) < res->lat_acked && bench_now_ns() < deadline) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
out:
	consume_stop(c);
	res->e2e = c->e2e;
	res->e2e_consumed = consume_unique(c);
	res->e2e_duplicates = c->duplicates;
	res->e2e_corrupt = c->corrupt;
	res->e2e_errors = c->errors;
	if (res->lat_acked > res->e2e_consumed)
		res->e2e_missing = res->lat_acked - res->e2e_consumed;
	if (res->e2e_missing > 0)
		BENCH_FAIL(res, "e2e: %llu acknowledged records not read back within %d ms",
			   (unsigned long long)res->e2e_missing, WORKLOAD_CONSUME_MS);
	if (res->e2e_corrupt > 0)
		BENCH_FAIL(res, "e2e: %llu records read back with different bytes",
			   (unsigned long long)res->e2e_corrupt);
	if (c->error[0] != '\0')
		BENCH_FAIL(res, "e2e: %s", c->error);
	consume_free(c);
	free(c);
	return res->ok ? 0 : SL_EIO;
}

/* Clears res for a run and makes the record buffer (opts->record_size
 * bytes of the seeded pattern, caller frees); an error when the size is
 * below the record header or memory runs out, recorded in res. */
static int workload_begin(const struct bench_opts *opts, struct workload_result *res,
			  uint8_t **buf)
{
	memset(res, 0, sizeof *res);
	res->ok = 1;
	hist_reset(&res->produce);
	hist_reset(&res->e2e);
	if (opts->record_size < RECORD_HEADER) {
		BENCH_FAIL(res, "record size %zu below the %d-byte header", opts->record_size,
			   RECORD_HEADER);
		return SL_EINVAL;
	}
	*buf = malloc(opts->record_size);
	if (*buf == NULL) {
		BENCH_FAIL(res, "out of memory");
		return SL_ENOMEM;
	}
	record_fill(*buf, opts->record_size, 0x5EED);
	return 0;
}

/* Starts the throughput producer in mode and makes sure of opts->topic,
 * setting res->partitions; an error, recorded in res, with no producer
 * left running. */
static int workload_open_topic(const struct bench_opts *opts, const char *bootstrap,
			       enum bench_producer_mode mode, struct workload_producer *p,
			       struct workload_result *res)
{
	int rc = workload_producer_start(p, bootstrap, workload_tput_conf, mode, -1, NULL, res);
	if (rc != 0)
		return rc;
	char err[512];
	int partitions = topic_ensure(p->rk, opts->topic, opts->partitions, WORKLOAD_TIMEOUT_MS,
				      &res->topic_created, err, sizeof err);
	if (partitions <= 0) {
		BENCH_FAIL(res, "topic %s: %s", opts->topic, err);
		workload_producer_stop(p);
		return SL_EIO;
	}
	res->partitions = partitions;
	return 0;
}

int workload_run(const struct bench_opts *opts, const char *bootstrap, struct workload_result *res)
{
	uint8_t *buf;
	int rc = workload_begin(opts, res, &buf);
	if (rc != 0)
		return rc;

	struct workload_producer p;
	rc = workload_open_topic(opts, bootstrap, opts->producer_mode, &p, res);
	if (rc != 0)
		goto out;
	int partitions = res->partitions;
	if (!opts->skip_throughput) {
		workload_producer_topic(&p, opts->topic);
		rc = workload_warmup(&p, partitions, buf, opts->record_size, res);
		if (rc == 0)
			rc = workload_throughput(opts, &p, partitions, buf,
						 (uint64_t)(opts->duration_s * 1e9), 0, res);
	}
	workload_producer_stop(&p);
	if (rc != 0)
		goto out;

	rc = workload_producer_start(&p, bootstrap, workload_paced_conf, opts->producer_mode,
				     opts->latency_linger_ms, &res->produce, res);
	if (rc != 0)
		goto out;
	workload_producer_topic(&p, opts->topic);
	rc = workload_warmup(&p, partitions, buf, opts->record_size, res);
	if (rc == 0)
		rc = workload_paced(opts, bootstrap, &p, partitions, buf, res);
	workload_producer_stop(&p);
out:
	free(buf);
	return res->ok ? 0 : (rc != 0 ? rc : SL_EIO);
}

int workload_fill(const struct bench_opts *opts, const char *bootstrap, struct workload_result *res)
{
	uint8_t *buf;
	int rc = workload_begin(opts, res, &buf);
	if (rc != 0)
		return rc;
	uint64_t records = (opts->fill_bytes + opts->record_size - 1) / opts->record_size;

	struct workload_producer p;
	rc = workload_open_topic(opts, bootstrap, BENCH_PRODUCER_PLAIN, &p, res);
	if (rc != 0)
		goto out;
	int partitions = res->partitions;
	workload_producer_topic(&p, opts->topic);
	rc = workload_warmup(&p, partitions, buf, opts->record_size, res);
	if (rc == 0)
		rc = workload_throughput(opts, &p, partitions, buf, UINT64_MAX, records, res);
	if (rc == 0 && res->tput_acked != records)
		BENCH_FAIL(res, "fill: %llu of %llu records acknowledged",
			   (unsigned long long)res->tput_acked, (unsigned long long)records);
	workload_producer_stop(&p);
out:
	free(buf);
	return res->ok ? 0 : (rc != 0 ? rc : SL_EIO);
}
