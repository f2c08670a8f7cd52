/*
 * Tests for rawget.c on the object store's local backend (file://): whole
 * objects and ranges read every byte of exactly the objects under the
 * prefix, with the GET count the ranges imply; an empty prefix, a bad
 * parallelism and an unusable store are errors.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench/rawget.h"
#include "tests/unit/unit_main.h"

static char root[] = "/tmp/test_rawget.XXXXXX";
static char url[128];
static const size_t sizes[] = { 1, 4096, 100000, 300001 };   /* 404098 bytes */

/* Stores the test objects: four under o/, one beside them. */
static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(url, sizeof url, "file://%s", root);
	struct objstore_options oo = { .url = url };
	struct objstore_sync *sync;
	char err[256];
	ck_assert_msg(objstore_sync_open(&oo, &sync, err, sizeof err) == 0, "%s", err);
	static uint8_t data[300001];
	memset(data, 0xab, sizeof data);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char key[32];
		snprintf(key, sizeof key, "o/%02zx/obj%zu", i * 37, i);
		ck_assert_msg(objstore_sync_put(sync, key, data, sizes[i], err, sizeof err) == 0,
			      "%s", err);
	}
	ck_assert(objstore_sync_put(sync, "catalog/snapshot", data, 777, err, sizeof err) == 0);
	objstore_sync_close(sync);
}

/* Removes the store's directory tree. */
static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_whole_objects)
{
	struct objstore_options oo = { .url = url };
	struct rawget_result r;
	int rc = rawget_run(&oo, "o/", 0, 3, &r);
	ck_assert_msg(rc == 0 && r.ok, "%s", r.error);
	ck_assert_uint_eq(r.objects, 4);
	ck_assert_uint_eq(r.object_bytes, 404098);
	ck_assert_uint_eq(r.bytes, 404098);
	ck_assert_uint_eq(r.gets, 4);
	ck_assert_int_eq(r.parallel, 3);
	ck_assert(r.secs > 0 && r.mbps > 0);
}
END_TEST

START_TEST(test_ranges)
{
	struct objstore_options oo = { .url = url };
	struct rawget_result r;
	/* 1 + 1 + 2 + 5 ranges of 65536 bytes. */
	int rc = rawget_run(&oo, "o/", 65536, 2, &r);
	ck_assert_msg(rc == 0 && r.ok, "%s", r.error);
	ck_assert_uint_eq(r.gets, 9);
	ck_assert_uint_eq(r.bytes, 404098);
	ck_assert_uint_eq(r.range, 65536);
	/* One GET in flight at a time works too. */
	rc = rawget_run(&oo, "", 100000, 1, &r);
	ck_assert_msg(rc == 0 && r.ok, "%s", r.error);
	ck_assert_uint_eq(r.objects, 5);
	ck_assert_uint_eq(r.gets, 1 + 1 + 1 + 4 + 1);
	ck_assert_uint_eq(r.bytes, 404098 + 777);
}
END_TEST

START_TEST(test_errors)
{
	struct objstore_options oo = { .url = url };
	struct rawget_result r;
	ck_assert_int_ne(rawget_run(&oo, "nothing/", 0, 4, &r), 0);
	ck_assert_msg(strstr(r.error, "no object") != NULL, "%s", r.error);
	ck_assert_int_ne(rawget_run(&oo, "o/", 0, 0, &r), 0);
	ck_assert_int_eq(r.ok, 0);
	struct objstore_options bad = { .url = "nonsense://x" };
	ck_assert_int_ne(rawget_run(&bad, "o/", 0, 4, &r), 0);
	ck_assert_msg(strstr(r.error, "object store") != NULL, "%s", r.error);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("rawget");
	TCase *tc = tcase_create("local");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_whole_objects);
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}
