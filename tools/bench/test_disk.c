/*
 * Tests for disk.c on the real filesystem under $TMPDIR (or /var/tmp):
 * a small probe yields every figure and leaves no file behind; a missing
 * directory is an error with a message.
 */
#include "autoconfig.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench/disk.h"
#include "common/errors.h"
#include "tests/unit/unit_main.h"

/* Entries in dir other than . and .. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

START_TEST(test_probe)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/test_disk.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct disk_result *r = malloc(sizeof *r);
	ck_assert_ptr_nonnull(r);

	/* 3 MiB + 1 byte rounds up to whole 1 MiB writes. */
	int rc = disk_probe(dir, 3 * 1024 * 1024 + 1, 40, r);
	ck_assert_msg(rc == 0, "probe failed: %s", r->error);
	ck_assert_str_eq(r->error, "");
	ck_assert_uint_eq(r->bytes, 4 * 1024 * 1024);
	ck_assert(r->fresh_mbps > 0);
	ck_assert(r->overwrite_mbps > 0);
	ck_assert(r->fs[0] != '\0');
	ck_assert_uint_eq(r->sync[0].size, 4096);
	ck_assert_uint_eq(r->sync[1].size, 65536);
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(r->sync[i].lat.count, 40);
		ck_assert_uint_gt(r->sync[i].lat.min, 0);
		ck_assert_uint_ge(hist_percentile(&r->sync[i].lat, 99.9),
				  hist_percentile(&r->sync[i].lat, 50));
	}
	ck_assert_int_eq(dir_entries(dir), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	free(r);
}
END_TEST

START_TEST(test_missing_dir)
{
	struct disk_result *r = malloc(sizeof *r);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_ne(disk_probe("/nonexistent/sluice", 1024 * 1024, 10, r), 0);
	ck_assert_ptr_nonnull(strstr(r->error, "/nonexistent/sluice"));
	free(r);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("disk");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_missing_dir);
	suite_add_tcase(s, tc);
	return s;
}
