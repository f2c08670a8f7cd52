/*
 * Unit tests for report.c: the JSON document carries the figures it is given
 * (percentiles, ratio, memory, config), the table shows them and marks
 * failures, and the file written reads back.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench/report.h"
#include "tests/unit/unit_main.h"

static struct bench_opts opts = {
	.parts = BENCH_PART_DISK | BENCH_PART_BROKER | BENCH_PART_MOCK,
	.bootstrap = "127.0.0.1:9092",
	.topic = "t",
	.partitions = 4,
	.duration_s = 10,
	.rate_mb = 20,
	.record_size = 1024,
	.latency_linger_ms = 1,
	.fetch_wait_ms = 100,
	.disk_dir = "/var/tmp",
	.cache_bytes = 64 * 1024 * 1024,
};

static struct disk_result *disk;
static struct workload_result *broker, *mockres;

/* A result whose histograms hold 1..1000 ms (produce) and 2..2000 ms (e2e). */
static void fill_workload(struct workload_result *w, double mbps, int ok)
{
	memset(w, 0, sizeof *w);
	hist_reset(&w->produce);
	hist_reset(&w->e2e);
	for (uint64_t i = 1; i <= 1000; i++) {
		hist_record(&w->produce, i * 1000000);
		hist_record(&w->e2e, 2 * i * 1000000);
	}
	w->ok = ok;
	if (!ok)
		strcpy(w->error, "paced: 3 delivery errors, first: boom");
	w->partitions = 4;
	w->tput_mbps = mbps;
	w->tput_rps = mbps * 1e6 / 1024;
	w->tput_acked = 5000;
	w->lat_sent = w->lat_acked = 1000;
	w->lat_errors = ok ? 0 : 3;
	w->e2e_consumed = 1000;
	w->achieved_mbps = 20;
	w->target_mbps = 20;
}

static void setup(void)
{
	disk = malloc(sizeof *disk);
	broker = malloc(sizeof *broker);
	mockres = malloc(sizeof *mockres);
	memset(disk, 0, sizeof *disk);
	strcpy(disk->fs, "ext4");
	disk->bytes = 256u << 20;
	disk->fresh_mbps = 1000;
	disk->overwrite_mbps = 1500;
	disk->iters = 100;
	disk->sync[0].size = 4096;
	disk->sync[1].size = 65536;
	for (int i = 0; i < 2; i++) {
		hist_reset(&disk->sync[i].lat);
		for (uint64_t v = 1; v <= 100; v++)
			hist_record(&disk->sync[i].lat, v * 1000);   /* 1..100 us */
	}
	fill_workload(broker, 300, 1);
	fill_workload(mockres, 600, 1);
}

static void teardown(void)
{
	free(disk);
	free(broker);
	free(mockres);
}

/* A percentile is reported at most one histogram bucket (1/128) above the sample. */
static void assert_near(const json_t *v, double want)
{
	ck_assert_msg(json_is_real(v), "not a real");
	double got = json_real_value(v);
	ck_assert_msg(got >= want && got <= want * (1 + 1.0 / 128), "%f not near %f", got, want);
}

START_TEST(test_json_figures)
{
	struct report r = { .opts = &opts, .disk = disk, .broker = broker, .mock = mockres,
			    .pid = 123, .mem_rc = 0, .ok = 1 };
	r.mem.rss_bytes = 1000;
	r.mem.hwm_bytes = 2000;
	json_t *root = report_json(&r);
	ck_assert_ptr_nonnull(root);
	ck_assert(json_is_true(json_object_get(root, "ok")));
	ck_assert(json_real_value(json_object_get(root, "throughput_ratio_broker_mock")) == 0.5);

	json_t *b = json_object_get(root, "broker");
	ck_assert_str_eq(json_string_value(json_object_get(b, "bootstrap")), "127.0.0.1:9092");
	json_t *lat = json_object_get(b, "produce_latency");
	assert_near(json_object_get(lat, "p50_ms"), 500);
	assert_near(json_object_get(lat, "p99_ms"), 990);
	assert_near(json_object_get(lat, "p999_ms"), 999);
	ck_assert(json_real_value(json_object_get(lat, "max_ms")) == 1000);
	json_t *e2e = json_object_get(b, "e2e_latency");
	assert_near(json_object_get(e2e, "p50_ms"), 1000);
	ck_assert_int_eq(json_integer_value(json_object_get(e2e, "consumed")), 1000);
	ck_assert(json_real_value(json_object_get(json_object_get(b, "throughput"), "mbps")) == 300);

	json_t *d = json_object_get(root, "disk");
	ck_assert_str_eq(json_string_value(json_object_get(d, "fs")), "ext4");
	json_t *s4k = json_array_get(json_object_get(d, "pwrite_fdatasync"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(s4k, "write_bytes")), 4096);
	assert_near(json_object_get(s4k, "p50_us"), 50);

	json_t *m = json_object_get(root, "brokerd_memory");
	ck_assert_int_eq(json_integer_value(json_object_get(m, "vmrss_bytes")), 1000);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "vmhwm_bytes")), 2000);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "cache_bytes")), 64 * 1024 * 1024);

	json_t *conf = json_object_get(json_object_get(root, "producer_config"), "paced");
	ck_assert_str_eq(json_string_value(json_object_get(conf, "acks")), "-1");
	ck_assert_str_eq(json_string_value(json_object_get(conf, "linger.ms")), "1");
	json_decref(root);
}
END_TEST

START_TEST(test_parts_absent)
{
	struct report r = { .opts = &opts, .mock = mockres, .ok = 1 };
	json_t *root = report_json(&r);
	ck_assert_ptr_null(json_object_get(root, "disk"));
	ck_assert_ptr_null(json_object_get(root, "broker"));
	ck_assert_ptr_null(json_object_get(root, "throughput_ratio_broker_mock"));
	ck_assert_ptr_null(json_object_get(root, "brokerd_memory"));
	ck_assert_ptr_nonnull(json_object_get(root, "mock"));
	json_decref(root);
}
END_TEST

/* The table, captured from a memory stream. */
static char *table_of(const struct report *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	report_print(f, r);
	fclose(f);
	return text;
}

START_TEST(test_table)
{
	fill_workload(broker, 300, 0);
	struct report r = { .opts = &opts, .disk = disk, .broker = broker, .mock = mockres,
			    .pid = 123, .mem_rc = 0, .ok = 0 };
	r.mem.rss_bytes = 10u << 20;
	r.mem.hwm_bytes = 20u << 20;
	char *text = table_of(&r);
	ck_assert_ptr_nonnull(strstr(text, "brokerd/mock"));
	ck_assert_ptr_nonnull(strstr(text, "300.0"));
	ck_assert_ptr_nonnull(strstr(text, "0.50"));
	ck_assert_ptr_nonnull(strstr(text, "brokerd: FAILED: paced: 3 delivery errors"));
	ck_assert_ptr_nonnull(strstr(text, "mock: ok"));
	ck_assert_ptr_nonnull(strstr(text, "VmRSS 10.0 MiB, VmHWM 20.0 MiB; --cache-bytes 67108864"));
	ck_assert_ptr_nonnull(strstr(text, "4 KiB x 100"));
	ck_assert_ptr_nonnull(strstr(text, "result: FAILED"));
	free(text);
}
END_TEST

START_TEST(test_write_file)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/test_report.%ld.json", (long)getpid());
	struct report r = { .opts = &opts, .broker = broker, .ok = 1 };
	ck_assert_int_eq(report_json_write(&r, path), 0);
	json_error_t jerr;
	json_t *back = json_load_file(path, 0, &jerr);
	ck_assert_msg(back != NULL, "%s", jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(back, "tool")), "sluice-bench");
	json_decref(back);
	unlink(path);
	ck_assert_int_ne(report_json_write(&r, "/nonexistent/dir/report.json"), 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_json_figures);
	tcase_add_test(tc, test_parts_absent);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_write_file);
	suite_add_tcase(s, tc);
	return s;
}
