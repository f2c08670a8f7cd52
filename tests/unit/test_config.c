/*
 * The config table machinery the daemons share: formatting values, and the
 * SIGHUP reload that moves changed reloadable values into the running
 * configuration and keeps (and counts) the others.  Also the log level
 * names that log.level takes.
 */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "common/sluice_config.h"
#include "tests/unit/unit_main.h"

struct values {
	char *name;     /* reloadable string */
	int64_t port;   /* not reloadable */
	int64_t flag;   /* reloadable bool */
	char *secret;   /* not reloadable */
	int64_t size;   /* reloadable int */
};

static const struct config_param table[] = {
	{"name", CONFIG_STRING, "a", 0, 0, 1, offsetof(struct values, name), ""},
	{"port", CONFIG_INT, "9092", 1, 65535, 0, offsetof(struct values, port), ""},
	{"flag", CONFIG_BOOL, "false", 0, 1, 1, offsetof(struct values, flag), ""},
	{"s3.secret.key", CONFIG_STRING, "", 0, 0, 0, offsetof(struct values, secret), ""},
	{"size", CONFIG_INT, "1M", 0, INT64_MAX, 1, offsetof(struct values, size), ""},
};
#define NPARAMS (sizeof table / sizeof table[0])

/* Fills v with defaults, then the given key = value pairs. */
static void values_make(struct values *v, const char *const *kv)
{
	char err[256];
	memset(v, 0, sizeof *v);
	ck_assert_int_eq(config_set_defaults(table, NPARAMS, v, err, sizeof err), 0);
	for (; kv && kv[0]; kv += 2)
		ck_assert_msg(config_set(table, NPARAMS, v, kv[0], kv[1], err, sizeof err) == 0,
			      "%s", err);
}

START_TEST(test_config_format)
{
	struct values v;
	char buf[64];
	values_make(&v, (const char *const[]){"size", "2K", "flag", "yes", NULL});
	config_format(&table[4], &v, buf, sizeof buf);
	ck_assert_str_eq(buf, "2048");
	config_format(&table[2], &v, buf, sizeof buf);
	ck_assert_str_eq(buf, "true");
	config_format(&table[0], &v, buf, sizeof buf);
	ck_assert_str_eq(buf, "a");
	config_free(table, NPARAMS, &v);
}
END_TEST

START_TEST(test_config_reload_applies_reloadable)
{
	struct values run, fresh;
	values_make(&run, NULL);
	values_make(&fresh, (const char *const[]){"name", "b", "flag", "true", "size", "5", NULL});
	ck_assert_int_eq(config_reload(table, NPARAMS, &run, &fresh, "test"), 0);
	ck_assert_str_eq(run.name, "b");
	ck_assert_int_eq(run.flag, 1);
	ck_assert_int_eq(run.size, 5);
	/* the strings were swapped, not shared: each struct frees its own */
	ck_assert_ptr_ne(run.name, fresh.name);
	config_free(table, NPARAMS, &run);
	config_free(table, NPARAMS, &fresh);
}
END_TEST

START_TEST(test_config_reload_keeps_others)
{
	struct values run, fresh;
	values_make(&run, NULL);
	values_make(&fresh, (const char *const[]){"port", "1234", "s3.secret.key", "x",
						   "size", "7", NULL});
	ck_assert_int_eq(config_reload(table, NPARAMS, &run, &fresh, "test"), 2);
	ck_assert_int_eq(run.port, 9092);
	ck_assert_str_eq(run.secret, "");
	ck_assert_int_eq(run.size, 7); /* a reloadable key beside them still moves */
	config_free(table, NPARAMS, &run);
	config_free(table, NPARAMS, &fresh);
}
END_TEST

START_TEST(test_config_reload_unchanged)
{
	struct values run, fresh;
	values_make(&run, (const char *const[]){"port", "1", NULL});
	values_make(&fresh, (const char *const[]){"port", "1", NULL});
	ck_assert_int_eq(config_reload(table, NPARAMS, &run, &fresh, "test"), 0);
	ck_assert_int_eq(run.port, 1);
	config_free(table, NPARAMS, &run);
	config_free(table, NPARAMS, &fresh);
}
END_TEST

/* The shared table: every key documented, every default valid, and the
 * finish step filling the derived paths. */
START_TEST(test_config_sluice_table)
{
	struct sluice_config cfg;
	char err[512];
	memset(&cfg, 0, sizeof cfg);
	for (size_t i = 0; i < sluice_config_count; i++)
		ck_assert_msg(sluice_config_table[i].doc && *sluice_config_table[i].doc,
			      "%s has no doc", sluice_config_table[i].name);
	ck_assert_int_eq(config_set_defaults(sluice_config_table, sluice_config_count, &cfg, err,
					     sizeof err), 0);
	ck_assert_int_eq(sluice_config_finish(&cfg, err, sizeof err), 0);
	ck_assert_str_eq(cfg.pid_file, "/var/lib/sluice/brokerd.pid");
	ck_assert_str_eq(cfg.metrics_listener, "");
	ck_assert_int_eq(config_set(sluice_config_table, sluice_config_count, &cfg,
				    "metrics.listener", "127.0.0.1:9644", err, sizeof err), 0);
	ck_assert_int_eq(sluice_config_finish(&cfg, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "metrics.listener"));
	config_free(sluice_config_table, sluice_config_count, &cfg);
}
END_TEST

START_TEST(test_log_level_names)
{
	enum log_level l;
	ck_assert_int_eq(log_level_from_name("debug", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_DEBUG);
	ck_assert_int_eq(log_level_from_name("warn", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_WARN);
	ck_assert_int_eq(log_level_from_name("error", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_ERROR);
	ck_assert_int_eq(log_level_from_name("info", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_INFO);
	ck_assert_int_eq(log_level_from_name("warning", &l), -1);
	ck_assert_int_eq(log_level_from_name("", &l), -1);
}
END_TEST

Suite *unit_suite(void)
{
	/* Process-wide, before any test runs (see unit_main.h). */
	log_set_level(LOG_LEVEL_ERROR);
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("reload");
	tcase_add_test(tc, test_config_format);
	tcase_add_test(tc, test_config_reload_applies_reloadable);
	tcase_add_test(tc, test_config_reload_keeps_others);
	tcase_add_test(tc, test_config_reload_unchanged);
	tcase_add_test(tc, test_config_sluice_table);
	tcase_add_test(tc, test_log_level_names);
	suite_add_tcase(s, tc);
	return s;
}
