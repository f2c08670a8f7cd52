/*
 * Tests for s3target.c: brokerd's sluice.conf gives the object store
 * options and the segment name, with the daemons' derived defaults; a bad
 * line is refused with file:line.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench/s3target.h"
#include "common/errors.h"
#include "tests/unit/unit_main.h"

static char path[] = "/tmp/test_s3target.XXXXXX";

/* Writes text to the temporary config file. */
static void conf_write(const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_s3_keys)
{
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	conf_write("node.id = 7\n"
		   "data.dir = /tmp/nowhere\n"
		   "object.store = s3://bucket/some/prefix\n"
		   "s3.endpoint = http://127.0.0.1:9\n"
		   "s3.region = eu-west-3\n"
		   "s3.path.style = false\n"
		   "s3.access.key = AK\n"
		   "s3.secret.key = SK\n");
	struct s3target t;
	char err[256];
	ck_assert_msg(s3target_load(&t, path, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(t.store.url, "s3://bucket/some/prefix");
	ck_assert_str_eq(t.store.endpoint, "http://127.0.0.1:9");
	ck_assert_str_eq(t.store.region, "eu-west-3");
	ck_assert_int_eq(t.store.path_style, 0);
	ck_assert_str_eq(t.store.access_key, "AK");
	ck_assert_str_eq(t.store.secret_key, "SK");
	/* The daemons' default segment name for node 7. */
	ck_assert_str_eq(t.shm_name, "/sluice-7");
	s3target_free(&t);

	conf_write("data.dir = /tmp/nowhere\nshm.name = /mine\n");
	ck_assert_msg(s3target_load(&t, path, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(t.shm_name, "/mine");
	/* No object.store: the local directory under data.dir. */
	ck_assert_str_eq(t.store.url, "file:///tmp/nowhere/objects");
	s3target_free(&t);

	conf_write("data.dir = /tmp/nowhere\nno.such.key = 1\n");
	ck_assert_int_eq(s3target_load(&t, path, err, sizeof err), SL_EINVAL);
	ck_assert_msg(strstr(err, ":2:") != NULL, "%s", err);
	unlink(path);
	ck_assert_int_eq(s3target_load(&t, path, err, sizeof err), SL_EINVAL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("s3target");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, test_s3_keys);
	suite_add_tcase(s, tc);
	return s;
}
