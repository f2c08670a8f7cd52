/*
 * Unit tests for brokerd/catalog/topic_config.c: the table's consistency,
 * validation of good and bad values for every type, unknown keys, defaults
 * and effective values on a topic.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/topic_config.h"
#include "common/errors.h"
#include "tests/unit/unit_main.h"

/* The table is in name order (lookups bisect it) and every default passes
 * its own validator. */
START_TEST(test_table_consistent)
{
	size_t n = topic_config_def_count();
	ck_assert_uint_ge(n, 28);
	for (size_t i = 0; i < n; i++) {
		const struct topic_config_def *def = topic_config_def_at(i);
		char err[256] = "";
		ck_assert_ptr_nonnull(def);
		if (i > 0)
			ck_assert_int_lt(
				strcmp(topic_config_def_at(i - 1)->name,
				       def->name), 0);
		ck_assert_ptr_eq(topic_config_find(def->name), def);
		ck_assert_msg(topic_config_validate(def->name,
						    def->default_value, err,
						    sizeof err) == 0,
			      "default of %s: %s", def->name, err);
		ck_assert_str_eq(topic_config_default(def->name),
				 def->default_value);
		ck_assert_ptr_nonnull(def->doc);
	}
	ck_assert_ptr_null(topic_config_def_at(n));
}
END_TEST

/* Keys the brief names, with Kafka's documented defaults and types. */
static const struct {
	const char *name;
	const char *def;
	enum topic_config_type type;
} defaults[] = {
	{ "cleanup.policy", "delete", TOPIC_CONFIG_LIST },
	{ "retention.ms", "604800000", TOPIC_CONFIG_LONG },
	{ "retention.bytes", "-1", TOPIC_CONFIG_LONG },
	{ "max.message.bytes", "1048588", TOPIC_CONFIG_INT },
	{ "message.timestamp.type", "CreateTime", TOPIC_CONFIG_STRING },
	{ "segment.bytes", "1073741824", TOPIC_CONFIG_INT },
	{ "segment.ms", "604800000", TOPIC_CONFIG_LONG },
	{ "delete.retention.ms", "86400000", TOPIC_CONFIG_LONG },
	{ "min.compaction.lag.ms", "0", TOPIC_CONFIG_LONG },
	{ "max.compaction.lag.ms", "9223372036854775807", TOPIC_CONFIG_LONG },
	{ "min.cleanable.dirty.ratio", "0.5", TOPIC_CONFIG_DOUBLE },
	{ "min.insync.replicas", "1", TOPIC_CONFIG_INT },
	{ "compression.type", "producer", TOPIC_CONFIG_STRING },
	{ "file.delete.delay.ms", "60000", TOPIC_CONFIG_LONG },
	{ "flush.messages", "9223372036854775807", TOPIC_CONFIG_LONG },
	{ "flush.ms", "9223372036854775807", TOPIC_CONFIG_LONG },
	{ "index.interval.bytes", "4096", TOPIC_CONFIG_INT },
	{ "message.timestamp.difference.max.ms", "9223372036854775807",
	  TOPIC_CONFIG_LONG },
	{ "message.timestamp.before.max.ms", "9223372036854775807",
	  TOPIC_CONFIG_LONG },
	{ "message.timestamp.after.max.ms", "9223372036854775807",
	  TOPIC_CONFIG_LONG },
	{ "preallocate", "false", TOPIC_CONFIG_BOOLEAN },
	{ "segment.index.bytes", "10485760", TOPIC_CONFIG_INT },
	{ "segment.jitter.ms", "0", TOPIC_CONFIG_LONG },
	{ "unclean.leader.election.enable", "false", TOPIC_CONFIG_BOOLEAN },
	{ "message.downconversion.enable", "true", TOPIC_CONFIG_BOOLEAN },
	{ "local.retention.ms", "-2", TOPIC_CONFIG_LONG },
	{ "local.retention.bytes", "-2", TOPIC_CONFIG_LONG },
	{ "remote.storage.enable", "false", TOPIC_CONFIG_BOOLEAN },
};

START_TEST(test_defaults)
{
	const struct topic_config_def *def = topic_config_find(defaults[_i].name);
	ck_assert_ptr_nonnull(def);
	ck_assert_str_eq(topic_config_default(defaults[_i].name),
			 defaults[_i].def);
	ck_assert_int_eq(def->type, defaults[_i].type);
	ck_assert_str_eq(topic_config_effective(NULL, defaults[_i].name),
			 defaults[_i].def);
}
END_TEST

/* expect is NULL for a valid value, else a substring of the message. */
static const struct {
	const char *name;
	const char *value;
	const char *expect;
} cases[] = {
	/* LIST */
	{ "cleanup.policy", "delete", NULL },
	{ "cleanup.policy", "compact", NULL },
	{ "cleanup.policy", "compact,delete", NULL },
	{ "cleanup.policy", "delete,compact", NULL },
	{ "cleanup.policy", "compact, delete", NULL },
	{ "cleanup.policy", "delete,delete", "must not be repeated" },
	{ "cleanup.policy", "remove", "String must be one of: delete, compact" },
	{ "cleanup.policy", "", "Empty list element" },
	{ "cleanup.policy", "delete,", "Empty list element" },
	{ "cleanup.policy", "Delete", "String must be one of" },
	/* LONG with a lower bound */
	{ "retention.ms", "-1", NULL },
	{ "retention.ms", "0", NULL },
	{ "retention.ms", "9223372036854775807", NULL },
	{ "retention.ms", " 1000 ", NULL },
	{ "retention.ms", "-2", "Value must be at least -1" },
	{ "retention.ms", "9223372036854775808", "Not a number of type LONG" },
	{ "retention.ms", "1e3", "Not a number of type LONG" },
	{ "retention.ms", "x", "Invalid value x for configuration retention.ms" },
	{ "retention.ms", "", "Not a number of type LONG" },
	{ "retention.bytes", "-1", NULL },
	{ "retention.bytes", "-5", "Value must be at least -1" },
	{ "local.retention.ms", "-2", NULL },
	{ "local.retention.ms", "-3", "Value must be at least -2" },
	{ "segment.ms", "0", "Value must be at least 1" },
	{ "flush.messages", "0", "Value must be at least 1" },
	/* INT */
	{ "max.message.bytes", "0", NULL },
	{ "max.message.bytes", "2147483647", NULL },
	{ "max.message.bytes", "2147483648", "Not a number of type INT" },
	{ "max.message.bytes", "-1", "Value must be at least 0" },
	{ "max.message.bytes", "1.5", "Not a number of type INT" },
	{ "min.insync.replicas", "0", "Value must be at least 1" },
	{ "segment.bytes", "13", "Value must be at least 14" },
	{ "segment.index.bytes", "4", NULL },
	/* BOOLEAN */
	{ "preallocate", "true", NULL },
	{ "preallocate", "FALSE", NULL },
	{ "preallocate", "yes", "Expected value to be either true or false" },
	{ "preallocate", "1", "Expected value to be either true or false" },
	/* STRING with allowed values (case-sensitive, as in Kafka) */
	{ "message.timestamp.type", "LogAppendTime", NULL },
	{ "message.timestamp.type", "logappendtime",
	  "String must be one of: CreateTime, LogAppendTime" },
	{ "compression.type", "zstd", NULL },
	{ "compression.type", "uncompressed", NULL },
	{ "compression.type", "producer", NULL },
	{ "compression.type", "brotli", "String must be one of" },
	/* DOUBLE */
	{ "min.cleanable.dirty.ratio", "0", NULL },
	{ "min.cleanable.dirty.ratio", "1", NULL },
	{ "min.cleanable.dirty.ratio", "0.25", NULL },
	{ "min.cleanable.dirty.ratio", "1.01", "Value must be no more than 1" },
	{ "min.cleanable.dirty.ratio", "-0.1", "Value must be at least 0" },
	{ "min.cleanable.dirty.ratio", "nan", "Not a number of type DOUBLE" },
	{ "min.cleanable.dirty.ratio", "half", "Not a number of type DOUBLE" },
	/* unknown keys */
	{ "foo", "1", "Unknown topic config name: foo" },
	{ "retention.hours", "1", "Unknown topic config name: retention.hours" },
	{ "", "1", "Unknown topic config name: " },
};

START_TEST(test_validate)
{
	char err[256] = "";
	int rc = topic_config_validate(cases[_i].name, cases[_i].value, err,
				       sizeof err);
	if (!cases[_i].expect) {
		ck_assert_msg(rc == 0, "%s=%s rejected: %s", cases[_i].name,
			      cases[_i].value, err);
		return;
	}
	ck_assert_int_eq(rc, KERR_INVALID_CONFIG);
	ck_assert_msg(strstr(err, cases[_i].expect) != NULL,
		      "%s=%s: message '%s' lacks '%s'", cases[_i].name,
		      cases[_i].value, err, cases[_i].expect);
}
END_TEST

START_TEST(test_unknown_default)
{
	ck_assert_ptr_null(topic_config_default("no.such.key"));
	ck_assert_ptr_null(topic_config_find("no.such.key"));
	ck_assert_ptr_null(topic_config_effective(NULL, "no.such.key"));
	char err[128];
	ck_assert_int_eq(topic_config_validate("retention.ms", NULL, err,
					       sizeof err),
			 KERR_INVALID_CONFIG);
}
END_TEST

START_TEST(test_effective)
{
	struct topic_config_entry entries[] = {
		{ "retention.ms", "3600000" },
		{ "cleanup.policy", "compact, delete" },
		{ "preallocate", "True" },
		{ "min.cleanable.dirty.ratio", "0.75" },
		{ "max.message.bytes", " 2048 " },
	};
	struct topic t;
	memset(&t, 0, sizeof t);
	strcpy(t.name, "t");
	t.configs = entries;
	t.config_count = sizeof entries / sizeof entries[0];

	ck_assert_str_eq(topic_config_get(&t, "retention.ms"), "3600000");
	ck_assert_ptr_null(topic_config_get(&t, "segment.ms"));
	ck_assert_str_eq(topic_config_effective(&t, "retention.ms"), "3600000");
	ck_assert_str_eq(topic_config_effective(&t, "segment.ms"), "604800000");
	ck_assert_int_eq(topic_config_int(&t, "retention.ms"), 3600000);
	ck_assert_int_eq(topic_config_int(&t, "retention.bytes"), -1);
	ck_assert_int_eq(topic_config_int(&t, "max.message.bytes"), 2048);
	ck_assert_int_eq(topic_config_int(NULL, "max.message.bytes"), 1048588);
	ck_assert_int_eq(topic_config_int(&t, "preallocate"), 1);
	ck_assert_int_eq(topic_config_int(&t, "remote.storage.enable"), 0);
	ck_assert_int_eq(topic_config_int(NULL, "flush.ms"), INT64_MAX);
	ck_assert_double_eq(topic_config_double(&t,
						"min.cleanable.dirty.ratio"),
			    0.75);
	ck_assert_double_eq(topic_config_double(NULL,
						"min.cleanable.dirty.ratio"),
			    0.5);
	ck_assert_int_eq(topic_config_list_contains(&t, "cleanup.policy",
						    "compact"), 1);
	ck_assert_int_eq(topic_config_list_contains(&t, "cleanup.policy",
						    "delete"), 1);
	ck_assert_int_eq(topic_config_list_contains(NULL, "cleanup.policy",
						    "compact"), 0);
	ck_assert_int_eq(topic_config_list_contains(NULL, "cleanup.policy",
						    "delete"), 1);
}
END_TEST

/* Asking for a non-numeric key is a programming error: it aborts. */
START_TEST(test_int_of_string_panics)
{
	(void)topic_config_int(NULL, "compression.type");
}
END_TEST

START_TEST(test_int_of_unknown_panics)
{
	(void)topic_config_int(NULL, "no.such.key");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("topic_config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_table_consistent);
	tcase_add_loop_test(tc, test_defaults, 0,
			    sizeof defaults / sizeof defaults[0]);
	tcase_add_loop_test(tc, test_validate, 0,
			    sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, test_unknown_default);
	tcase_add_test(tc, test_effective);
	tcase_add_test_raise_signal(tc, test_int_of_string_panics, SIGABRT);
	tcase_add_test_raise_signal(tc, test_int_of_unknown_panics, SIGABRT);
	suite_add_tcase(s, tc);
	return s;
}
