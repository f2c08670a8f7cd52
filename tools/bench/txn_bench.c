/*
 * Transactional throughput (see txn_bench.h).  Single-threaded: librdkafka
 * serves delivery reports inside commit_transaction's flush and in the
 * rd_kafka_poll after it.  Nothing durable.
 */
#include "autoconfig.h"

#include "tools/bench/txn_bench.h"
#include "tools/bench/record.h"
#include "tools/bench/topic.h"
#include "common/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define TXN_BENCH_TIMEOUT_MS 30000

const char *const txn_bench_conf[] = {
	"linger.ms", "5",
	"batch.size", "1000000",
	"compression.type", "none",
	"socket.nagle.disable", "true",
	"transaction.timeout.ms", "60000",
	"message.timeout.ms", "30000",
	NULL,
};

/* Delivery reports of the run. */
struct txn_bench_dr {
	uint64_t acked, errors;
	char error[256];
};

/* Delivery report callback. */
static void txn_bench_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct txn_bench_dr *dr = opaque;
	if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		dr->acked++;
		return;
	}
	if (dr->errors++ == 0)
		snprintf(dr->error, sizeof dr->error, "delivery to [%d]: %s",
			 (int)msg->partition, rd_kafka_err2str(msg->err));
}

/* The producer, or NULL with the error in res. */
static rd_kafka_t *txn_bench_producer(const char *bootstrap, struct txn_bench_dr *dr,
				      struct txn_bench_result *res)
{
	char err[512], txn_id[64];
	snprintf(txn_id, sizeof txn_id, "sluice-bench-txn-%ld", (long)getpid());
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int bad = rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) ||
		  rd_kafka_conf_set(conf, "client.id", "sluice-bench", err, sizeof err) ||
		  rd_kafka_conf_set(conf, "transactional.id", txn_id, err, sizeof err);
	for (int i = 0; !bad && txn_bench_conf[i] != NULL; i += 2)
		bad = rd_kafka_conf_set(conf, txn_bench_conf[i], txn_bench_conf[i + 1], err,
					sizeof err) != RD_KAFKA_CONF_OK;
	if (bad) {
		rd_kafka_conf_destroy(conf);
		BENCH_FAIL(res, "producer config: %s", err);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, txn_bench_dr_cb);
	rd_kafka_conf_set_opaque(conf, dr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (rk == NULL) {
		rd_kafka_conf_destroy(conf);
		BENCH_FAIL(res, "producer: %s", err);
	}
	return rk;
}

/* Fails the run with a transactional API error (and frees it). */
static int txn_bench_error(struct txn_bench_result *res, const char *what,
			   rd_kafka_error_t *error)
{
	BENCH_FAIL(res, "%s: %s", what, rd_kafka_error_string(error));
	rd_kafka_error_destroy(error);
	return SL_EIO;
}

/* Begins, fills and commits one transaction; 0 or SL_EIO. */
static int txn_bench_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int partitions,
			 const struct bench_opts *opts, uint8_t *buf, uint32_t run,
			 uint64_t *seq, struct txn_bench_result *res)
{
	uint64_t t0 = bench_now_ns();
	rd_kafka_error_t *error = rd_kafka_begin_transaction(rk);
	if (error)
		return txn_bench_error(res, "begin_transaction", error);
	for (int i = 0; i < opts->txn_records; i++, (*seq)++) {
		record_stamp(buf, run, *seq, bench_now_ns());
		while (rd_kafka_produce(rkt, (int)(*seq % (uint64_t)partitions),
					RD_KAFKA_MSG_F_COPY, buf, opts->record_size, NULL, 0,
					NULL) != 0) {
			rd_kafka_resp_err_t kerr = rd_kafka_last_error();
			if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
				BENCH_FAIL(res, "produce: %s", rd_kafka_err2str(kerr));
				return SL_EIO;
			}
			rd_kafka_poll(rk, 1);
		}
	}
	uint64_t t1 = bench_now_ns();
	error = rd_kafka_commit_transaction(rk, TXN_BENCH_TIMEOUT_MS);
	if (error)
		return txn_bench_error(res, "commit_transaction", error);
	uint64_t t2 = bench_now_ns();
	rd_kafka_poll(rk, 0);
	hist_record(&res->commit, t2 - t1);
	hist_record(&res->txn, t2 - t0);
	res->txns++;
	return 0;
}

int txn_bench_run(const struct bench_opts *opts, const char *bootstrap,
		  struct txn_bench_result *res)
{
	memset(res, 0, sizeof *res);
	res->ok = 1;
	hist_reset(&res->commit);
	hist_reset(&res->txn);
	if (opts->record_size < RECORD_HEADER || opts->txn_records <= 0) {
		BENCH_FAIL(res, "record size %zu or records per transaction %d too small",
			   opts->record_size, opts->txn_records);
		return SL_EINVAL;
	}
	uint8_t *buf = malloc(opts->record_size);
	if (buf == NULL) {
		BENCH_FAIL(res, "out of memory");
		return SL_ENOMEM;
	}
	record_fill(buf, opts->record_size, 0x7A11);
	struct txn_bench_dr dr = {0};
	rd_kafka_t *rk = txn_bench_producer(bootstrap, &dr, res);
	rd_kafka_topic_t *rkt = NULL;
	int rc = SL_EIO;
	if (rk == NULL)
		goto out;
	char err[512];
	int created;
	res->partitions = topic_ensure(rk, opts->topic, opts->partitions, TXN_BENCH_TIMEOUT_MS,
				       &created, err, sizeof err);
	if (res->partitions <= 0) {
		BENCH_FAIL(res, "topic %s: %s", opts->topic, err);
		goto out;
	}
	rkt = rd_kafka_topic_new(rk, opts->topic, NULL);
	rd_kafka_error_t *error = rd_kafka_init_transactions(rk, TXN_BENCH_TIMEOUT_MS);
	if (error) {
		txn_bench_error(res, "init_transactions", error);
		goto out;
	}
	uint32_t run = (uint32_t)random() | 1;
	uint64_t seq = 0;
	/* a first transaction, not timed: connections and partitions set up */
	rc = txn_bench_one(rk, rkt, res->partitions, opts, buf, run, &seq, res);
	if (rc)
		goto out;
	res->txns = 0;
	hist_reset(&res->commit);
	hist_reset(&res->txn);
	uint64_t acked_before = dr.acked;
	uint64_t start = bench_now_ns();
	uint64_t end = start + (uint64_t)(opts->duration_s * 1e9);
	while (bench_now_ns() < end) {
		rc = txn_bench_one(rk, rkt, res->partitions, opts, buf, run, &seq, res);
		if (rc)
			goto out;
	}
	res->secs = (double)(bench_now_ns() - start) / 1e9;
	rd_kafka_poll(rk, 0);
	res->records = dr.acked - acked_before;
	res->delivery_errors = dr.errors;
	res->txns_per_s = (double)res->txns / res->secs;
	res->records_per_s = (double)res->records / res->secs;
	res->mbps = res->records_per_s * (double)opts->record_size / BENCH_MB;
	if (dr.errors)
		BENCH_FAIL(res, "%llu delivery errors, first: %s",
			   (unsigned long long)dr.errors, dr.error);
	if (res->records != res->txns * (uint64_t)opts->txn_records)
		BENCH_FAIL(res, "%llu records acknowledged in %llu transactions of %d",
			   (unsigned long long)res->records, (unsigned long long)res->txns,
			   opts->txn_records);
	rc = res->ok ? 0 : SL_EIO;
out:
	if (rkt != NULL)
		rd_kafka_topic_destroy(rkt);
	if (rk != NULL)
		rd_kafka_destroy(rk);
	free(buf);
	return res->ok ? rc : (rc ? rc : SL_EIO);
}
