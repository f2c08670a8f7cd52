/*
 * Tests for catchup.c and for workload.c's fill and paced-only runs,
 * against librdkafka's in-process mock cluster: a fill produces exactly the
 * records its byte count asks for; the catch-up consumer reads every one
 * back from offset 0 and tells altered bytes and foreign records apart; a
 * paced-only run leaves phase (a) out.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench/catchup.h"
#include "tools/bench/mock.h"
#include "tools/bench/record.h"
#include "tools/bench/workload.h"
#include "tests/unit/unit_main.h"

static struct bench_opts opts = {
	.topic = "catchup-test",
	.partitions = 4,
	.duration_s = 1,
	.rate_mb = 1,
	.record_size = 1000,
	.latency_linger_ms = 1,
	.fetch_wait_ms = 10,
	.fill_bytes = 3000 * 1000 + 1,   /* 3001 records: the last one rounded up */
};

/* Produces one value to partition part and waits for its acknowledgement. */
static void produce_one(const char *bootstrap, int part, const uint8_t *value, size_t len)
{
	char err[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	ck_assert_int_eq(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err),
			 RD_KAFKA_CONF_OK);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	ck_assert_ptr_nonnull(rk);
	rd_kafka_resp_err_t kerr = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(opts.topic),
		RD_KAFKA_V_PARTITION(part), RD_KAFKA_V_VALUE((void *)value, len),
		RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
	ck_assert_int_eq(kerr, RD_KAFKA_RESP_ERR_NO_ERROR);
	ck_assert_int_eq(rd_kafka_flush(rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
	rd_kafka_destroy(rk);
}

START_TEST(test_fill_then_catchup)
{
	struct mock mock;
	char err[256];
	ck_assert_msg(mock_start(&mock, opts.topic, 4, err, sizeof err) == 0, "%s", err);
	struct workload_result *w = malloc(sizeof *w);
	ck_assert_ptr_nonnull(w);
	int rc = workload_fill(&opts, mock_bootstraps(&mock), w);
	ck_assert_msg(rc == 0 && w->ok, "fill: %s", w->error);
	ck_assert_uint_eq(w->tput_acked, 3001);
	ck_assert_int_eq(w->partitions, 4);
	ck_assert(w->tput_mbps > 0);

	struct catchup_result r;
	rc = catchup_run(mock_bootstraps(&mock), opts.topic, opts.record_size, 20, &r);
	ck_assert_msg(rc == 0 && r.ok, "catch-up: %s", r.error);
	/* The fill's records plus one warm-up record per partition. */
	ck_assert_uint_eq(r.expected, 3001 + 4);
	ck_assert_uint_eq(r.consumed, r.expected);
	ck_assert_uint_eq(r.value_bytes, r.expected * opts.record_size);
	ck_assert_uint_eq(r.corrupt + r.foreign + r.gaps + r.errors, 0);
	ck_assert_int_eq(r.partitions, 4);
	ck_assert(r.secs > 0);
	ck_assert(r.mbps > 0 && r.rps > 0);

	/* One altered body and one record of another format: both fail the run. */
	uint8_t value[1000];
	record_fill(value, sizeof value, 0x5EED);
	record_stamp(value, 7, 1, 1);
	value[600] ^= 1;
	produce_one(mock_bootstraps(&mock), 2, value, sizeof value);
	produce_one(mock_bootstraps(&mock), 3, (const uint8_t *)"hello", 5);
	rc = catchup_run(mock_bootstraps(&mock), opts.topic, opts.record_size, 20, &r);
	ck_assert_int_ne(rc, 0);
	ck_assert_int_eq(r.ok, 0);
	ck_assert_uint_eq(r.expected, 3001 + 4 + 2);
	ck_assert_uint_eq(r.consumed, 3001 + 4);
	ck_assert_uint_eq(r.corrupt, 1);
	ck_assert_uint_eq(r.foreign, 1);
	ck_assert_msg(strstr(r.error, "different bytes") != NULL, "error: %s", r.error);
	free(w);
	mock_stop(&mock);
}
END_TEST

START_TEST(test_catchup_missing_topic)
{
	struct mock mock;
	char err[256];
	ck_assert_msg(mock_start(&mock, opts.topic, 4, err, sizeof err) == 0, "%s", err);
	struct catchup_result r;
	int rc = catchup_run(mock_bootstraps(&mock), "no-such-topic", opts.record_size, 5, &r);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(strstr(r.error, "no-such-topic") != NULL, "error: %s", r.error);
	mock_stop(&mock);
}
END_TEST

START_TEST(test_paced_only)
{
	struct mock mock;
	char err[256];
	ck_assert_msg(mock_start(&mock, opts.topic, 4, err, sizeof err) == 0, "%s", err);
	struct bench_opts o = opts;
	o.skip_throughput = 1;
	struct workload_result *w = malloc(sizeof *w);
	ck_assert_ptr_nonnull(w);
	int rc = workload_run(&o, mock_bootstraps(&mock), w);
	ck_assert_msg(rc == 0 && w->ok, "paced: %s", w->error);
	ck_assert_uint_eq(w->tput_acked, 0);
	ck_assert(w->tput_mbps == 0);
	ck_assert_uint_gt(w->lat_acked, 500);   /* ~1000 records/s for 1 s */
	ck_assert_uint_eq(w->produce.count, w->lat_acked);
	ck_assert_uint_eq(w->e2e_consumed, w->lat_acked);
	free(w);
	mock_stop(&mock);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("catchup");
	TCase *tc = tcase_create("mock");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fill_then_catchup);
	tcase_add_test(tc, test_catchup_missing_topic);
	tcase_add_test(tc, test_paced_only);
	suite_add_tcase(s, tc);
	return s;
}
