/*
 * Unit tests for procmem.c: parsing a status file, a missing field, a gone
 * process, this process, and pidfiles.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tools/bench/procmem.h"
#include "common/errors.h"
#include "tests/unit/unit_main.h"

static char path[64];

/* Writes text to a fresh temp file named in path. */
static void write_tmp(const char *text)
{
	snprintf(path, sizeof path, "/tmp/test_procmem.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

START_TEST(test_parse)
{
	write_tmp("Name:\tbrokerd\nVmPeak:\t  999 kB\nVmHWM:\t  204800 kB\n"
		  "VmRSS:\t  102400 kB\nThreads:\t4\n");
	struct procmem m;
	ck_assert_int_eq(procmem_read_file(path, &m), 0);
	ck_assert_uint_eq(m.rss_bytes, 102400ull * 1024);
	ck_assert_uint_eq(m.hwm_bytes, 204800ull * 1024);
	unlink(path);
}
END_TEST

START_TEST(test_missing_field)
{
	/* A kernel thread has no Vm lines. */
	write_tmp("Name:\tkworker\nState:\tI (idle)\nVmRSS:\t 1 kB\n");
	struct procmem m;
	ck_assert_int_eq(procmem_read_file(path, &m), SL_ECORRUPT);
	unlink(path);
}
END_TEST

START_TEST(test_gone)
{
	struct procmem m;
	ck_assert_int_eq(procmem_read_file("/nonexistent/status", &m), SL_ENOENT);
}
END_TEST

START_TEST(test_self)
{
	struct procmem m;
	ck_assert_int_eq(procmem_read(getpid(), &m), 0);
	ck_assert_uint_gt(m.rss_bytes, 0);
	ck_assert_uint_ge(m.hwm_bytes, m.rss_bytes);
}
END_TEST

START_TEST(test_pidfile)
{
	pid_t pid = 0;
	write_tmp("4242\n");
	ck_assert_int_eq(procmem_pidfile(path, &pid), 0);
	ck_assert_int_eq(pid, 4242);
	unlink(path);
	write_tmp("42x\n");
	ck_assert_int_eq(procmem_pidfile(path, &pid), SL_EINVAL);
	unlink(path);
	write_tmp("");
	ck_assert_int_eq(procmem_pidfile(path, &pid), SL_EINVAL);
	unlink(path);
	ck_assert_int_eq(procmem_pidfile("/nonexistent/pid", &pid), SL_ENOENT);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("procmem");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_missing_field);
	tcase_add_test(tc, test_gone);
	tcase_add_test(tc, test_self);
	tcase_add_test(tc, test_pidfile);
	suite_add_tcase(s, tc);
	return s;
}
