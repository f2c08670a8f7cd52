/*
 * Tests for compactbench.c's derived figures and report_compact.c: write
 * amplification and requests per GB come from the counter deltas of the
 * whole run, the p99 medians and their ratio from the phases'
 * histograms; the table says whether the 1.5x target is met; the JSON
 * (alone and added to the run's document) carries the same figures; a
 * failed part is marked.
 */
#include "autoconfig.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench/report_compact.h"
#include "tests/unit/unit_main.h"

static struct bench_opts opts = {
	.parts = BENCH_PART_COMPACT,
	.bootstrap = "127.0.0.1:9092",
	.topic = "t",
	.duration_s = 30,
	.rate_mb = 20,
	.record_size = 1024,
};

static struct compactbench_result *res;

/* p99 of each phase, ms: idle 2, 4, 3 (median 3); compacting 3, 8, 5
 * (median 5). */
static const double p99_ms[3][2] = { { 2, 3 }, { 4, 8 }, { 3, 5 } };

/* Fills a phase: 100 samples of ms, 400 MB ingested, 100 MB written. */
static void phase_fill(struct compactbench_phase *ph, int compacting, double ms, uint64_t base)
{
	ph->ran = 1;
	ph->compacting = compacting;
	ph->lat.ok = 1;
	ph->lat.partitions = 64;
	ph->lat.achieved_mbps = 20;
	hist_reset(&ph->lat.produce);
	hist_reset(&ph->lat.e2e);
	for (int i = 0; i < 100; i++)
		hist_record(&ph->lat.produce, (uint64_t)(ms * 1e6));
	ph->shm[0].produce_bytes = base;
	ph->shm[1].produce_bytes = base + 400000000ull;
	if (compacting) {
		ph->cs[0].bytes_written = base;
		ph->cs[1].bytes_written = base + 100000000ull;
		ph->cs[1].rewrites_committed = 7;
		ph->wait_s = 1.5;
	}
}

/* Three pairs; over the whole run 2 GB ingested (2.5 GB uploaded), 3 GB
 * written by compactd with 40 PUTs, 2000 GETs, 10 DELETEs and 2100 HTTP
 * requests; uploaderd 30 PUTs. */
static void setup(void)
{
	res = calloc(1, sizeof *res);
	ck_assert_ptr_nonnull(res);
	res->ok = 1;
	res->pairs = 3;
	res->settled = 1;
	res->settle_s = 12;
	res->set.region_bytes = 4 << 20;
	res->set.target_bytes = 16 << 20;
	for (int i = 0; i < 3; i++) {
		phase_fill(&res->phase[2 * i], 0, p99_ms[i][0], (uint64_t)i * 1000000000ull);
		phase_fill(&res->phase[2 * i + 1], 1, p99_ms[i][1], (uint64_t)i * 1000000000ull);
	}
	res->shm_start.produce_bytes = 1000;
	res->shm_end.produce_bytes = 1000 + 2000000000ull;
	res->shm_start.uploader_bytes = 5;
	res->shm_end.uploader_bytes = 5 + 2500000000ull;
	res->cs_start.bytes_written = 77;
	res->cs_end.bytes_written = 77 + 3000000000ull;
	res->cs_end.objects_written = 90;
	res->cs_end.rewrites_committed = 33;
	res->cs_start.s3[COMPACTSTAT_COMPACTD].puts = 10;
	res->cs_end.s3[COMPACTSTAT_COMPACTD].puts = 50;
	res->cs_end.s3[COMPACTSTAT_COMPACTD].gets = 2000;
	res->cs_end.s3[COMPACTSTAT_COMPACTD].deletes = 10;
	res->cs_end.s3[COMPACTSTAT_COMPACTD].requests = 2100;
	res->cs_end.s3[COMPACTSTAT_UPLOADERD].puts = 30;
}

static void teardown(void)
{
	free(res);
}

/* Relative closeness, for percentiles rounded up to their bucket (0.8 %). */
static int near(double got, double want)
{
	return fabs(got - want) <= 0.01 * fabs(want);
}

START_TEST(test_derived)
{
	const struct shmstat_sample *sa = &res->shm_start, *sb = &res->shm_end;
	ck_assert_uint_eq(compactbench_ingested(sa, sb), 2000000000ull);
	ck_assert(fabs(compactbench_write_amp(sa, sb, &res->cs_start, &res->cs_end) - 1.5) < 1e-9);
	ck_assert(fabs(compactbench_write_amp_uploaded(sa, sb, &res->cs_start, &res->cs_end) -
		       1.2) < 1e-9);
	ck_assert(fabs(compactbench_per_gb(40, sa, sb) - 20) < 1e-9);
	ck_assert_msg(near(compactbench_median_p99(res, 0), 3), "%g",
		      compactbench_median_p99(res, 0));
	ck_assert(near(compactbench_median_p99(res, 1), 5));
	ck_assert(near(compactbench_p99_ratio(res), 5.0 / 3));
	ck_assert(near(compactbench_pair_ratio(res, 0), 1.5));
	ck_assert(near(compactbench_pair_ratio(res, 1), 2.0));
	ck_assert(compactbench_pair_ratio(res, 3) == 0 && compactbench_pair_ratio(res, -1) == 0);

	/* an even count takes the mean of the middle two; a phase that did
	 * not run is left out */
	res->pairs = 2;
	ck_assert(near(compactbench_median_p99(res, 1), 5.5));
	res->phase[3].ran = 0;
	ck_assert(near(compactbench_median_p99(res, 1), 3));
	ck_assert(compactbench_pair_ratio(res, 1) == 0);

	/* zero denominators */
	struct shmstat_sample z = { 0 };
	ck_assert(compactbench_write_amp(&z, &z, &res->cs_start, &res->cs_end) == 0);
	ck_assert(compactbench_write_amp_uploaded(&z, &z, &res->cs_start, &res->cs_end) == 0);
	ck_assert(compactbench_per_gb(5, &z, &z) == 0);
	res->pairs = 0;
	ck_assert(compactbench_median_p99(res, 0) == 0 && compactbench_p99_ratio(res) == 0);
}
END_TEST

/* The table as text. */
static char *print(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	report_compact_print(out, &opts, res);
	fclose(out);
	return buf;
}

START_TEST(test_print)
{
	char *buf = print();
	ck_assert_msg(strstr(buf, "64 partitions") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "ratio 1.67 (target <= 1.5: NOT met)") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "write amplification (written / ingested)") != NULL &&
		      strstr(buf, "1.50\n") != NULL && strstr(buf, "1.20\n") != NULL, "%s", buf);
	/* compacting phases: 300 MB written over 1200 MB ingested */
	ck_assert_msg(strstr(buf, "0.25\n") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "compactd settled after 12 s") != NULL, "%s", buf);
	/* compactd: PUT 20, GET 1000, DELETE 5, HTTP 1050 per GB; uploaderd 15 */
	ck_assert_msg(strstr(buf, "compactd       20.0   1000.0      0.0      0.0      5.0      "
				  "0.0   1050.0") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "uploaderd      15.0") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "compact: ok") != NULL, "%s", buf);
	free(buf);

	/* met, not settled, failed */
	for (int i = 0; i < 3; i++)
		phase_fill(&res->phase[2 * i + 1], 1, p99_ms[i][0] * 1.25, 0);
	res->settled = 0;
	res->ok = 0;
	snprintf(res->error, sizeof res->error, "compactd wrote nothing");
	buf = print();
	ck_assert_msg(strstr(buf, "ratio 1.25 (target <= 1.5: met)") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "NOT settled") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "compact: FAILED: compactd wrote nothing") != NULL, "%s", buf);
	free(buf);
}
END_TEST

START_TEST(test_json)
{
	json_t *c = report_compact_json(res);
	ck_assert_ptr_nonnull(c);
	ck_assert(json_is_true(json_object_get(c, "ok")));
	ck_assert(fabs(json_real_value(json_object_get(c, "write_amp")) - 1.5) < 1e-9);
	ck_assert(near(json_real_value(json_object_get(c, "p99_ratio")), 5.0 / 3));
	ck_assert_int_eq(json_array_size(json_object_get(c, "phases")), 6);
	ck_assert_int_eq(json_array_size(json_object_get(c, "pair_p99_ratios")), 3);
	json_t *ph1 = json_array_get(json_object_get(c, "phases"), 1);
	ck_assert(json_is_true(json_object_get(ph1, "compacting")));
	ck_assert_int_eq(json_integer_value(json_object_get(ph1, "compaction_bytes_written")),
			 100000000);
	ck_assert(near(json_real_value(json_object_get(ph1, "p99_ms")), 3));
	json_t *pg = json_object_get(json_object_get(c, "s3_per_gb"), "compactd");
	ck_assert(fabs(json_real_value(json_object_get(pg, "PUT")) - 20) < 1e-9);
	ck_assert(fabs(json_real_value(json_object_get(pg, "HTTP")) - 1050) < 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(json_object_get(c, "s3"), "uploaderd"), "PUT")), 30);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(c, "counters"),
							    "objects_written")), 90);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(c, "settings"),
							    "target_bytes")), 16 << 20);
	json_decref(c);

	/* added to the run's document */
	char path[] = "/tmp/test_report_compact.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	struct report rep = { .opts = &opts, .ok = 1 };
	ck_assert_int_eq(report_compact_json_write(&rep, res, path), 0);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	unlink(path);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(json_string_value(json_object_get(root, "tool")), "sluice-bench");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(root, "compact"),
							    "pairs")), 3);
	json_decref(root);
	ck_assert_int_ne(report_compact_json_write(&rep, res, "/nonexistent/dir/x.json"), 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("report_compact");
	TCase *tc = tcase_create("report");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_derived);
	tcase_add_test(tc, test_print);
	tcase_add_test(tc, test_json);
	suite_add_tcase(s, tc);
	return s;
}
