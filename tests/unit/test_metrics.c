/*
 * brokerd's metrics pieces that stand alone: the latency histograms'
 * bucket boundaries (an observation equal to a bound belongs to it, as
 * Prometheus' "le" says), sum and count; which APIs are measured; the
 * metrics.listener parser; and the helper daemons' S3 counters surviving
 * their trip through a report.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/metrics/histogram.h"
#include "brokerd/metrics/metrics.h"
#include "common/daemon_report.h"
#include "common/objstore.h"
#include "tests/unit/unit_main.h"

START_TEST(test_histogram_buckets)
{
	struct histogram h;
	memset(&h, 0, sizeof h);
	histogram_observe(&h, 0);        /* bucket 0: <= 100 us */
	histogram_observe(&h, 100);      /* still bucket 0 */
	histogram_observe(&h, 101);      /* bucket 1: <= 250 us */
	histogram_observe(&h, 1000000);  /* <= 1 s */
	histogram_observe(&h, 10000001); /* above the last bound */
	histogram_observe(&h, -5);       /* a clock step back counts as 0 */
	ck_assert_uint_eq(h.counts[0], 3);
	ck_assert_uint_eq(h.counts[1], 1);
	ck_assert_int_eq(histogram_bounds_us[12], 1000000);
	ck_assert_uint_eq(h.counts[12], 1);
	ck_assert_uint_eq(h.counts[HISTOGRAM_BOUNDS], 1);
	ck_assert_uint_eq(h.count, 6);
	ck_assert_uint_eq(h.sum_us, 100 + 101 + 1000000 + 10000001);
	for (int i = 1; i < HISTOGRAM_BOUNDS; i++)
		ck_assert_int_lt(histogram_bounds_us[i - 1], histogram_bounds_us[i]);
}
END_TEST

START_TEST(test_histogram_requests)
{
	histogram_reset_all();
	int64_t now = histogram_now_us();
	histogram_observe_request(0, now - 2000);  /* Produce, 2 ms */
	histogram_observe_request(1, now - 300000); /* Fetch, 300 ms */
	histogram_observe_request(3, now);         /* Metadata: not measured */
	const struct histogram *p = histogram_get(HISTOGRAM_produce);
	const struct histogram *f = histogram_get(HISTOGRAM_fetch);
	ck_assert_uint_eq(p->count, 1);
	ck_assert_uint_ge(p->sum_us, 2000);
	ck_assert_uint_eq(p->counts[4], 1); /* (1 ms, 2.5 ms] */
	ck_assert_uint_eq(f->count, 1);
	ck_assert_uint_eq(f->counts[11], 1); /* (250 ms, 500 ms] */
	ck_assert_str_eq(histogram_name(HISTOGRAM_fetch), "fetch");
}
END_TEST

static const struct {
	const char *spec;
	int ok;
	const char *host;
	int port;
} listener_cases[] = {
	{"http://127.0.0.1:9644", 1, "127.0.0.1", 9644},
	{"http://localhost:80/metrics", 1, "localhost", 80},
	{"http://0.0.0.0:9644/", 1, "0.0.0.0", 9644},
	{"http://[::1]:9644", 1, "::1", 9644},
	{"127.0.0.1:9644", 0, NULL, 0},
	{"https://127.0.0.1:9644", 0, NULL, 0},
	{"http://127.0.0.1", 0, NULL, 0},
	{"http://:9644", 0, NULL, 0},
	{"http://127.0.0.1:0", 1, "127.0.0.1", 0},
	{"http://127.0.0.1:-1", 0, NULL, 0},
	{"http://127.0.0.1:65536", 0, NULL, 0},
	{"http://127.0.0.1:96x", 0, NULL, 0},
	{"http://127.0.0.1:9644/other", 0, NULL, 0},
};

START_TEST(test_metrics_listener_parse)
{
	char host[64];
	int port = 0;
	int rc = metrics_parse_listener(listener_cases[_i].spec, host, sizeof host, &port);
	ck_assert_msg((rc == 0) == listener_cases[_i].ok, "%s", listener_cases[_i].spec);
	if (listener_cases[_i].ok) {
		ck_assert_str_eq(host, listener_cases[_i].host);
		ck_assert_int_eq(port, listener_cases[_i].port);
	}
}
END_TEST

START_TEST(test_report_s3_roundtrip)
{
	struct objstore_stats in = {.puts = 1, .gets = 2, .heads = 3, .lists = 4, .deletes = 5,
				    .multipart_parts = 6, .requests = 7, .retries = 8,
				    .errors = 9, .bytes_up = 1ull << 40, .bytes_down = 11};
	struct objstore_stats out;
	json_t *j = daemon_report_s3(&in);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "errors")), 9);
	memset(&out, 0xff, sizeof out);
	daemon_report_s3_parse(j, &out);
	ck_assert_mem_eq(&in, &out, sizeof in);
	json_decref(j);
	/* a report without S3 counters reads as zeros */
	daemon_report_s3_parse(NULL, &out);
	ck_assert_uint_eq(out.requests, 0);
	json_t *r = daemon_report_new("compactd", "bucket unreachable", NULL,
				      json_pack("{s:i}", "runs_total", 3));
	ck_assert_str_eq(json_string_value(json_object_get(r, "op")), "report");
	ck_assert_str_eq(json_string_value(json_object_get(r, "error")), "bucket unreachable");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "stats"),
							    "runs_total")), 3);
	ck_assert_ptr_null(json_object_get(r, "s3"));
	json_decref(r);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");
	tcase_add_test(tc, test_histogram_buckets);
	tcase_add_test(tc, test_histogram_requests);
	tcase_add_loop_test(tc, test_metrics_listener_parse, 0,
			    sizeof listener_cases / sizeof listener_cases[0]);
	tcase_add_test(tc, test_report_s3_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
