/*
 * Tests for workload.c, consume.c, topic.c and mock.c together, against
 * librdkafka's in-process mock cluster: a clean short run accounts for every
 * record in all three phases; a cluster that refuses produce fails the run;
 * the consumer tells duplicates, altered bytes and other runs' records apart.
 */
#include "autoconfig.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/bench/consume.h"
#include "tools/bench/mock.h"
#include "tools/bench/record.h"
#include "tools/bench/workload.h"
#include "tests/unit/unit_main.h"

static struct bench_opts opts = {
	.topic = "bench-test",
	.partitions = 4,
	.duration_s = 1,
	.rate_mb = 2,               /* ~1950 records/s of 1 KiB */
	.record_size = 1024,
	.latency_linger_ms = 1,
	.fetch_wait_ms = 10,
};

START_TEST(test_clean_run)
{
	struct mock mock;
	char err[256];
	ck_assert_msg(mock_start(&mock, opts.topic, 4, err, sizeof err) == 0, "%s", err);
	struct workload_result *res = malloc(sizeof *res);
	ck_assert_ptr_nonnull(res);
	int rc = workload_run(&opts, mock_bootstraps(&mock), res);
	ck_assert_msg(rc == 0 && res->ok, "run failed: %s", res->error);
	ck_assert_int_eq(res->partitions, 4);
	ck_assert_int_eq(res->topic_created, 0);

	/* (a) */
	ck_assert_uint_gt(res->tput_acked, 1000);
	ck_assert_uint_eq(res->tput_errors, 0);
	ck_assert(res->tput_secs >= opts.duration_s * 0.9);
	ck_assert(fabs(res->tput_mbps - (double)res->tput_acked * 1024 / 1e6 / res->tput_secs) < 1e-6);

	/* (b): the pacer sends the rate it is asked for, and each is acknowledged. */
	double want = opts.rate_mb * 1e6 / 1024 * opts.duration_s;
	ck_assert_msg(fabs((double)res->lat_sent - want) <= want * 0.02 + 2,
		      "sent %llu, want %.0f", (unsigned long long)res->lat_sent, want);
	ck_assert(fabs(res->achieved_mbps - opts.rate_mb) < opts.rate_mb * 0.05);
	ck_assert_uint_eq(res->lat_acked, res->lat_sent);
	ck_assert_uint_eq(res->produce.count, res->lat_acked);
	ck_assert_uint_gt(res->produce.min, 0);

	/* (c): every acknowledged record read back once, intact. */
	ck_assert_uint_eq(res->e2e_consumed, res->lat_acked);
	ck_assert_uint_eq(res->e2e.count, res->lat_acked);
	ck_assert_uint_eq(res->e2e_missing, 0);
	ck_assert_uint_eq(res->e2e_corrupt, 0);
	ck_assert_uint_eq(res->e2e_duplicates, 0);
	/* A record is consumed after it was sent: latency is positive. */
	ck_assert_uint_gt(res->e2e.min, 0);
	free(res);
	mock_stop(&mock);
}
END_TEST

START_TEST(test_produce_refused)
{
	struct mock mock;
	char err[256];
	ck_assert_msg(mock_start(&mock, opts.topic, 4, err, sizeof err) == 0, "%s", err);
	/* Every Produce (ApiKey 0) answered with a non-retriable error. */
	static rd_kafka_resp_err_t errs[1000];
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		errs[i] = RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS;
	rd_kafka_mock_push_request_errors_array(mock.mcluster, 0, sizeof errs / sizeof errs[0], errs);
	struct workload_result *res = malloc(sizeof *res);
	ck_assert_ptr_nonnull(res);
	int rc = workload_run(&opts, mock_bootstraps(&mock), res);
	ck_assert_int_ne(rc, 0);
	ck_assert_int_eq(res->ok, 0);
	ck_assert_msg(strstr(res->error, "warm-up") != NULL, "error: %s", res->error);
	free(res);
	mock_stop(&mock);
}
END_TEST

/* Produces one value to partition part and waits for its acknowledgement. */
static void produce_one(rd_kafka_t *rk, int part, const uint8_t *value, size_t len)
{
	rd_kafka_resp_err_t kerr = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(opts.topic),
		RD_KAFKA_V_PARTITION(part), RD_KAFKA_V_VALUE((void *)value, len),
		RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
	ck_assert_int_eq(kerr, RD_KAFKA_RESP_ERR_NO_ERROR);
	ck_assert_int_eq(rd_kafka_flush(rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

START_TEST(test_consumer_verdicts)
{
	struct mock mock;
	char err[256];
	ck_assert_msg(mock_start(&mock, opts.topic, 4, err, sizeof err) == 0, "%s", err);
	static uint8_t pattern[1024], value[1024];
	record_fill(pattern, sizeof pattern, 99);

	struct consume *c = malloc(sizeof *c);
	ck_assert_ptr_nonnull(c);
	int rc = consume_start(c, mock_bootstraps(&mock), opts.topic, 4, 10, 5, pattern,
			       sizeof pattern, 10, err, sizeof err);
	ck_assert_msg(rc == 0, "%s", err);

	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	ck_assert_int_eq(rd_kafka_conf_set(conf, "bootstrap.servers", mock_bootstraps(&mock),
					   err, sizeof err), RD_KAFKA_CONF_OK);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	ck_assert_ptr_nonnull(rk);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;

	memcpy(value, pattern, sizeof value);
	record_stamp(value, 5, 1, ns);
	produce_one(rk, 0, value, sizeof value);   /* good */
	produce_one(rk, 1, value, sizeof value);   /* the same record again */
	record_stamp(value, 6, 2, ns);
	produce_one(rk, 2, value, sizeof value);   /* another run */
	record_stamp(value, 5, 3, ns);
	value[500] ^= 1;
	produce_one(rk, 3, value, sizeof value);   /* altered body */
	value[500] ^= 1;
	record_stamp(value, 5, 11, ns);
	produce_one(rk, 0, value, sizeof value);   /* beyond seen_cap: not this run's */
	record_stamp(value, 5, 4, ns);
	produce_one(rk, 1, value, sizeof value);   /* good */
	rd_kafka_destroy(rk);

	/*
	 * Wait for both good records, then give the other partitions' fetches
	 * (10 ms max wait each) time to deliver the rest.
	 */
	for (int i = 0; i < 1000 && consume_unique(c) < 2; i++)
		usleep(10000);
	usleep(500000);
	consume_stop(c);
	ck_assert_uint_eq(consume_unique(c), 2);
	ck_assert_uint_eq(c->e2e.count, 2);
	ck_assert_uint_eq(c->duplicates, 1);
	ck_assert_uint_eq(c->corrupt, 1);
	ck_assert_uint_eq(c->foreign, 2);
	ck_assert_uint_eq(c->errors, 0);
	consume_free(c);
	free(c);
	mock_stop(&mock);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("workload");
	TCase *tc = tcase_create("mock");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_clean_run);
	tcase_add_test(tc, test_produce_refused);
	tcase_add_test(tc, test_consumer_verdicts);
	suite_add_tcase(s, tc);
	return s;
}
