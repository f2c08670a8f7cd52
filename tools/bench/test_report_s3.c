/*
 * Tests for report_s3.c and s3bench.c's derived figures: objects and GETs
 * per GB, the catch-up rate in batch bytes and its ratio to the raw GETs
 * come from the counter deltas; the table and the JSON carry them; a
 * failed part is marked.
 */
#include "autoconfig.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench/report.h"
#include "tools/bench/report_s3.h"
#include "tests/unit/unit_main.h"

static struct bench_opts opts = {
	.parts = BENCH_PART_FILL | BENCH_PART_CATCHUP,
	.bootstrap = "127.0.0.1:9092",
	.topic = "t",
	.record_size = 1000,
	.fill_bytes = 2000000000,
	.get_parallel = 8,
	.get_range = 1 << 20,
};

static struct s3bench_fill fill;
static struct s3bench_catchup cu;

/* 2 GB produced into 30 objects; 2 GB read back in 20 s with 1900 GETs;
 * raw GETs at 200 MB/s whole and 120 MB/s in ranges. */
static void setup(void)
{
	memset(&fill, 0, sizeof fill);
	fill.ok = 1;
	fill.produce.tput_acked = 2000000;
	fill.produce.tput_mbps = 150;
	fill.before.produce_bytes = 1000;
	fill.after.produce_bytes = 1000 + 2000000000ull;
	fill.before.uploads_committed = 5;
	fill.after.uploads_committed = 35;
	fill.after.uploader_objects = 30;
	fill.drain_secs = 4.5;

	memset(&cu, 0, sizeof cu);
	cu.ok = 1;
	cu.read_ran = 1;
	cu.read.partitions = 4;
	cu.read.expected = cu.read.consumed = 2000004;
	cu.read.secs = 20;
	cu.read.mbps = 100;
	cu.before.fetch_bytes = 7;
	cu.after.fetch_bytes = 7 + 2000000000ull;
	cu.before.cold_read_gets = 100;
	cu.after.cold_read_gets = 2000;
	cu.whole = (struct rawget_result){ .ok = 1, .parallel = 8, .objects = 30, .gets = 30,
					   .bytes = 2000000000ull, .secs = 10, .mbps = 200 };
	cu.ranged = (struct rawget_result){ .ok = 1, .parallel = 8, .range = 1 << 20,
					    .objects = 30, .gets = 1908, .bytes = 2000000000ull,
					    .secs = 16.7, .mbps = 120 };
}

START_TEST(test_derived)
{
	ck_assert(fabs(s3bench_objects_per_gb(&fill) - 15.0) < 1e-9);
	ck_assert(fabs(s3bench_catchup_batch_mbps(&cu) - 100.0) < 1e-9);
	ck_assert(fabs(s3bench_gets_per_gb(&cu) - 950.0) < 1e-9);
	ck_assert(fabs(s3bench_ratio(&cu) - 0.5) < 1e-9);
	struct s3bench_catchup empty;
	memset(&empty, 0, sizeof empty);
	ck_assert(s3bench_ratio(&empty) == 0 && s3bench_gets_per_gb(&empty) == 0);
}
END_TEST

START_TEST(test_print_and_json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct report rep = { .opts = &opts, .fill = &fill, .catchup = &cu, .ok = 1 };
	report_print(out, &rep);
	fclose(out);
	ck_assert_msg(strstr(buf, "objects per GB ingested") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "15.0") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "0.50") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "950.0") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "catchup: ok") != NULL, "%s", buf);
	free(buf);

	json_t *root = report_json(&rep);
	ck_assert_ptr_nonnull(root);
	json_t *f = json_object_get(root, "fill"), *c = json_object_get(root, "catchup");
	ck_assert(fabs(json_real_value(json_object_get(f, "objects_per_gb")) - 15) < 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(f, "counters"),
							    "uploads_committed")), 30);
	ck_assert(fabs(json_real_value(json_object_get(c, "ratio_catchup_raw")) - 0.5) < 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(c, "raw_get_ranged"),
							    "gets")), 1908);
	ck_assert(fabs(json_real_value(json_object_get(json_object_get(c, "read"), "gets_per_gb")) -
		       950) < 1e-9);
	ck_assert_ptr_nonnull(json_object_get(root, "catchup_consumer_config"));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(root, "params"),
							    "get_parallel")), 8);
	json_decref(root);

	cu.ok = 0;
	snprintf(cu.error, sizeof cu.error, "raw GET: boom");
	out = open_memstream(&buf, &len);
	rep.ok = 0;
	report_print(out, &rep);
	fclose(out);
	ck_assert_msg(strstr(buf, "catchup: FAILED: raw GET: boom") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "result: FAILED") != NULL, "%s", buf);
	free(buf);
}
END_TEST

START_TEST(test_raw_only)
{
	cu.read_ran = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct report rep = { .opts = &opts, .catchup = &cu, .ok = 1 };
	report_print(out, &rep);
	fclose(out);
	ck_assert_msg(strstr(buf, "Raw GETs of the objects under o/") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "200.0") != NULL && strstr(buf, "120.0") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "records read back") == NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "catch-up / raw") == NULL, "%s", buf);
	free(buf);
	json_t *root = report_json(&rep);
	ck_assert(json_is_null(json_object_get(json_object_get(root, "catchup"), "read")));
	json_decref(root);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("report_s3");
	TCase *tc = tcase_create("report");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_derived);
	tcase_add_test(tc, test_print_and_json);
	tcase_add_test(tc, test_raw_only);
	suite_add_tcase(s, tc);
	return s;
}
