/*
 * Golden-vector tests of the admin APIs: DescribeConfigs, AlterConfigs,
 * IncrementalAlterConfigs, CreatePartitions, DescribeCluster and
 * DescribeLogDirs, each in an old (classic) and a flexible version, with
 * their per-resource errors, and what each change leaves behind (catalog,
 * partition table, broker.cfg).  Requests and expected responses are
 * written out by hand from the Kafka 3.8 message definitions, field by
 * field with the field names in comments; notation and fixture are
 * handler_harness.h's, plus a WAL file (DescribeLogDirs) and the broker's
 * config layers (dynconfig).
 *
 * The DescribeConfigs vectors quote the config tables' defaults and
 * documentation; they change when those tables do.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/topic_config.h"
#include "brokerd/dynconfig.h"
#include "brokerd/partition/partition.h"
#include "brokerd/protocol/api_table.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "brokerd/wal/wal.h"
#include "common/config.h"
#include "common/counters.h"
#include "common/errors.h"
#include "tests/unit/handler_harness.h"
#include "tests/unit/unit_main.h"

/* The WAL's ring: 1 MiB behind the two header slots. */
#define TEST_WAL_RING (1u << 20)

/* ---- fixture: the harness, brokerd's config layers and a WAL ---- */

static void setup(void)
{
	harness_setup();
	ck_assert_int_eq(dynconfig_start(&harness_cfg), 0);
	struct wal_options wo = {
		.path = harness_cfg.wal_path,
		.capacity = WAL_DATA_START + TEST_WAL_RING,
		.node_id = 1,
		.epoch = 1,
		.max_block_bytes = 65536,
	};
	ck_assert_int_eq(wal_open(&wo, &broker.wal), 0);
	ck_assert_int_eq(wal_recover(broker.wal, NULL, NULL), 0);
}

static void teardown(void)
{
	wal_close(broker.wal);
	broker.wal = NULL;
	dynconfig_finish();
	harness_teardown();
}

/* Creates a topic with explicit configs (name=value pairs, NULL-ended). */
static const struct topic *make_topic_with(const char *name,
					   int32_t partitions, ...)
{
	struct topic_config_entry cfgs[8];
	size_t n = 0;
	va_list ap;
	va_start(ap, partitions);
	for (;;) {
		char *k = va_arg(ap, char *);
		if (!k)
			break;
		cfgs[n].name = k;
		cfgs[n++].value = va_arg(ap, char *);
	}
	va_end(ap);
	char err[256];
	const struct topic *t;
	int rc = topics_create(name, partitions, cfgs, n, 0, err, sizeof err,
			       &t);
	ck_assert_msg(rc == 0, "create %s: %d %s", name, rc, err);
	return t;
}

/* The explicit configs of a topic as "k=v k=v" in set order. */
static const char *explicit_configs(const char *topic, char *buf, size_t len)
{
	const struct topic *t = catalog_topic_by_name(broker.catalog, topic);
	ck_assert_ptr_nonnull(t);
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < t->config_count; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s=%s", i ? " " : "",
				      t->configs[i].name, t->configs[i].value);
	return buf;
}

/* ---- DescribeConfigs ---- */

START_TEST(test_describe_configs_v0)
{
	make_topic_with("t", 2, "retention.ms", "1000", NULL);
	call_expect(API_DescribeConfigs, 0, 0,
		    "00000006"                                 /* Resources */
		    "  02 s`t` 00000002 s`retention.ms` s`max.message.bytes`"
		    "  02 s`nope` ffffffff"
		    "  04 s`1` 00000002 s`log.level` s`node.id`"
		    "  04 s`2` ffffffff"
		    "  63 s`x` ffffffff"
		    "  04 s`` ffffffff",
		    "00000000"                                 /* ThrottleTimeMs */
		    "00000006"                                 /* Results */
		    /* ErrorCode ErrorMessage ResourceType ResourceName Configs */
		    "  0000 ffff 02 s`t` 00000002"
		    /* Name Value ReadOnly IsDefault IsSensitive, table order */
		    "    s`max.message.bytes` s`1048588` 00 01 00"
		    "    s`retention.ms` s`1000` 00 00 00"
		    "  0003 s`The topic 'nope' does not exist.` 02 s`nope` 00000000"
		    "  0000 ffff 04 s`1` 00000002"
		    "    s`node.id` s`1` 01 01 00"          /* not reloadable */
		    "    s`log.level` s`info` 00 01 00"
		    "  002a s`Unexpected broker id, expected 1 or empty string, but received 2`"
		    "    04 s`2` 00000000"
		    "  002a s`Unsupported resource type: 99` 63 s`x` 00000000"
		    "  0000 ffff 04 s`` 00000000");     /* no cluster defaults */
	/* a topic name Kafka refuses, and a broker id that is no number */
	call_expect(API_DescribeConfigs, 0, 0,
		    "00000002 02 s`a b` ffffffff 04 s`one` ffffffff",
		    "00000000 00000002"
		    "  0011 s`Topic name \"a b\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`"
		    "    02 s`a b` 00000000"
		    "  002a s`Broker id must be an integer, but it is: one` 04 s`one` 00000000");
	/* a key list with no key Sluice knows: no configs, no error */
	call_expect(API_DescribeConfigs, 0, 0,
		    "00000001 02 s`t` 00000001 s`retention.hours`",
		    "00000000 00000001 0000 ffff 02 s`t` 00000000");
	call_malformed(API_DescribeConfigs, 0, 0, "00000001 02 s`t`");
}
END_TEST

START_TEST(test_describe_configs_v4)
{
	make_topic_with("t", 1, "retention.ms", "1000", NULL);
	/* a dynamic override of the broker key max.message.bytes falls
	 * back to */
	static const struct topic_config_entry mmb[] = {
		{ (char *)"message.max.bytes", (char *)"2000000" },
	};
	char err[256];
	ck_assert_int_eq(dynconfig_set(mmb, 1, 0, err, sizeof err), 0);
	call_expect(API_DescribeConfigs, 4, 1,
		    "03"                                       /* Resources */
		    "  02 c`t` 03 c`max.message.bytes` c`retention.ms` 00"
		    "  04 c`1` 04 c`cluster.id` c`s3.secret.key` c`message.max.bytes` 00"
		    "01 01 00",     /* IncludeSynonyms IncludeDocumentation tags */
		    "00000000"                                 /* ThrottleTimeMs */
		    "03"                                       /* Results */
		    "  0000 00 02 c`t` 03"
		    /* Name Value ReadOnly ConfigSource IsSensitive */
		    "    c`max.message.bytes` c`2000000` 00 02 00"
		    "      03 c`message.max.bytes` c`2000000` 02 00" /* Synonyms */
		    "         c`message.max.bytes` c`1048588` 05 00"
		    "      03 c`largest record batch the topic accepts` 00" /* ConfigType Documentation tags */
		    "    c`retention.ms` c`1000` 00 01 00"
		    "      03 c`retention.ms` c`1000` 01 00"
		    "         c`retention.ms` c`604800000` 05 00"
		    "      05 c`time data is kept before it is deleted; -1: no limit` 00"
		    "  00"
		    "  0000 00 04 c`1` 04"
		    "    c`cluster.id` c`test-cluster` 01 04 00"
		    "      03 c`cluster.id` c`test-cluster` 04 00"
		    "         c`cluster.id` c`sluice-local-cluster` 05 00"
		    "      02 c`ClusterId reported in Metadata` 00"
		    "    c`message.max.bytes` c`2000000` 00 02 00"
		    "      03 c`message.max.bytes` c`2000000` 02 00"
		    "         c`message.max.bytes` c`1048588` 05 00"
		    "      03 c`largest record batch a topic accepts by default` 00"
		    "    c`s3.secret.key` 00 01 05 01"     /* null, IsSensitive */
		    "      02 c`s3.secret.key` 00 05 00"
		    "      09 c`S3 secret key; empty: $AWS_SECRET_ACCESS_KEY` 00"
		    "  00"
		    "00");
	/* without synonyms and documentation; v3 is the same layout,
	 * classic */
	call_expect(API_DescribeConfigs, 3, 0,
		    "00000001 02 s`t` 00000001 s`cleanup.policy` 00 00",
		    "00000000 00000001 0000 ffff 02 s`t` 00000001"
		    "  s`cleanup.policy` s`delete` 00 05 00 00000000 07 ffff");
}
END_TEST

/* ---- AlterConfigs ---- */

START_TEST(test_alter_configs_v0)
{
	char buf[256];
	make_topic_with("t", 1, "retention.ms", "1000", "cleanup.policy",
			"compact", NULL);
	make_topic_with("u", 1, "retention.ms", "1000", NULL);
	call_expect(API_AlterConfigs, 0, 0,
		    "00000004"                                 /* Resources */
		    "  02 s`t` 00000002 s`retention.ms` s`5000` s`segment.ms` s`100000`"
		    "  02 s`u` 00000001 s`retention.ms` s`soon`"
		    "  04 s`1` 00000001 s`message.max.bytes` s`2000000`"
		    "  02 s`nope` 00000000"
		    "00",                                      /* ValidateOnly */
		    "00000000 00000004"
		    /* ErrorCode ErrorMessage ResourceType ResourceName */
		    "  0000 ffff 02 s`t`"
		    "  0028 s`Invalid value soon for configuration retention.ms: Not a number of type LONG`"
		    "    02 s`u`"
		    "  0000 ffff 04 s`1`"
		    "  0003 s`The topic 'nope' does not exist.` 02 s`nope`");
	/* The whole set was replaced: cleanup.policy is back to default. */
	ck_assert_str_eq(explicit_configs("t", buf, sizeof buf),
			 "retention.ms=5000 segment.ms=100000");
	const struct topic *t = catalog_topic_by_name(broker.catalog, "t");
	ck_assert_int_eq(topic_config_int(t, "retention.ms"), 5000);
	ck_assert(!topic_config_list_contains(t, "cleanup.policy", "compact"));
	ck_assert_str_eq(explicit_configs("u", buf, sizeof buf),
			 "retention.ms=1000");
	/* The broker key applies at once and is in the catalog. */
	ck_assert_int_eq(harness_cfg.message_max_bytes, 2000000);
	ck_assert_uint_eq(catalog_broker_config_count(broker.catalog), 1);
	ck_assert_str_eq(catalog_broker_config_at(broker.catalog, 0)->value,
			 "2000000");

	/* v1, ValidateOnly: checks run, nothing changes. */
	call_expect(API_AlterConfigs, 1, 0,
		    "00000004"
		    "  02 s`t` 00000001 s`retention.ms` s`7`"
		    "  04 s`1` 00000001 s`node.id` s`2`"
		    "  02 s`u` 00000000"
		    "  02 s`u` 00000000"
		    "01",
		    "00000000 00000004"
		    "  0000 ffff 02 s`t`"
		    "  0028 s`Cannot update these configs dynamically: node.id` 04 s`1`"
		    "  002a s`Each resource must appear at most once.` 02 s`u`"
		    "  002a s`Each resource must appear at most once.` 02 s`u`");
	ck_assert_str_eq(explicit_configs("t", buf, sizeof buf),
			 "retention.ms=5000 segment.ms=100000");
	/* Setting the broker's set to nothing returns it to the file's. */
	call_expect(API_AlterConfigs, 1, 0,
		    "00000002 04 s`1` 00000000 04 s`7` 00000000 00",
		    "00000000 00000002 0000 ffff 04 s`1`"
		    "  002a s`Unexpected broker id, expected 1, but received 7` 04 s`7`");
	ck_assert_int_eq(harness_cfg.message_max_bytes, 1048588);
	ck_assert_uint_eq(catalog_broker_config_count(broker.catalog), 0);
}
END_TEST

START_TEST(test_alter_configs_v2)
{
	char buf[256];
	make_topic_with("t", 1, "retention.ms", "1000", NULL);
	make_topic_with("u", 1, NULL);
	call_expect(API_AlterConfigs, 2, 1,
		    "05"                                       /* Resources */
		    "  02 c`t` 02 c`cleanup.policy` c`compact` 00 00"
		    "  02 c`u` 02 c`retention.ms` 00 00 00"    /* null Value */
		    "  02 c`u` 02 c`retention.ms` c`1` 00 00"  /* u twice */
		    "  04 c`1` 02 c`log.level` c`loud` 00 00"
		    "00 00",                             /* ValidateOnly tags */
		    "00000000 05"
		    "  0000 00 02 c`t` 00"
		    "  002a c`Each resource must appear at most once.` 02 c`u` 00"
		    "  002a c`Each resource must appear at most once.` 02 c`u` 00"
		    "  0028 c`log.level: 'loud' is not debug, info, warn or error` 04 c`1` 00"
		    "00");
	ck_assert_str_eq(explicit_configs("t", buf, sizeof buf),
			 "cleanup.policy=compact");
	call_expect(API_AlterConfigs, 2, 1,
		    "02 02 c`u` 02 c`retention.ms` 00 00 00 00 00",
		    "00000000 02"
		    "  002a c`Null value not supported for : retention.ms` 02 c`u` 00"
		    "00");
	ck_assert_str_eq(explicit_configs("u", buf, sizeof buf), "");
}
END_TEST

/* ---- IncrementalAlterConfigs ---- */

START_TEST(test_incremental_alter_configs_v0)
{
	char buf[256];
	make_topic_with("t", 1, "retention.ms", "1000", NULL);
	make_topic_with("u", 1, NULL);
	make_topic_with("v", 1, NULL);
	call_expect(API_IncrementalAlterConfigs, 0, 0,
		    "00000004"                                 /* Resources */
		    /* Name ConfigOperation Value */
		    "  02 s`t` 00000003 s`segment.ms` 00 s`100000`"
		    "                   s`retention.ms` 01 ffff"
		    "                   s`cleanup.policy` 02 s`compact`"
		    "  02 s`u` 00000001 s`retention.ms` 03 s`5`"
		    "  02 s`v` 00000001 s`retention.ms` 07 s`5`"
		    "  04 s`1` 00000001 s`log.level` 02 s`debug`"
		    "00",                                      /* ValidateOnly */
		    "00000000 00000004"
		    "  0000 ffff 02 s`t`"
		    "  0028 s`Can't SUBTRACT to key retention.ms because its type is not LIST.` 02 s`u`"
		    "  002a s`Unknown ConfigOperation 7 for config retention.ms` 02 s`v`"
		    "  0028 s`Can't APPEND to key log.level because its type is not LIST.` 04 s`1`");
	/* APPEND started from the default (delete); retention.ms is back to
	 * its default, in force at once */
	ck_assert_str_eq(explicit_configs("t", buf, sizeof buf),
			 "segment.ms=100000 cleanup.policy=delete,compact");
	const struct topic *t = catalog_topic_by_name(broker.catalog, "t");
	ck_assert_int_eq(topic_config_int(t, "retention.ms"), 604800000);
	ck_assert(topic_config_list_contains(t, "cleanup.policy", "compact"));
	/* an unknown key, for every operation */
	call_expect(API_IncrementalAlterConfigs, 0, 0,
		    "00000001 02 s`t` 00000001 s`retention.hours` 01 ffff 00",
		    "00000000 00000001"
		    "  0028 s`Unknown topic config name: retention.hours` 02 s`t`");
}
END_TEST

START_TEST(test_incremental_alter_configs_v1)
{
	char buf[256];
	make_topic_with("t", 1, "cleanup.policy", "delete,compact", NULL);
	make_topic_with("u", 1, NULL);
	call_expect(API_IncrementalAlterConfigs, 1, 1,
		    "04"
		    "  02 c`t` 02 c`cleanup.policy` 03 c`delete` 00 00"
		    "  04 c`1` 03 c`region.ms` 00 c`250` 00"
		    "             c`message.max.bytes` 01 00 00 00"
		    "  02 c`u` 03 c`retention.ms` 00 c`1` 00"
		    "             c`retention.ms` 00 c`2` 00 00"
		    "00 00",
		    "00000000 04"
		    "  0000 00 02 c`t` 00"
		    "  0000 00 04 c`1` 00"
		    "  002a c`Error due to duplicate config keys` 02 c`u` 00"
		    "00");
	ck_assert_str_eq(explicit_configs("t", buf, sizeof buf),
			 "cleanup.policy=compact");
	ck_assert_int_eq(harness_cfg.region_ms, 250);
	ck_assert_uint_eq(catalog_broker_config_count(broker.catalog), 1);
	ck_assert_str_eq(catalog_broker_config_at(broker.catalog, 0)->name,
			 "region.ms");
	/* Subtracting the last element leaves an empty list, which the
	 * validator refuses; ValidateOnly changes nothing either way. */
	call_expect(API_IncrementalAlterConfigs, 1, 1,
		    "04"
		    "  02 c`t` 02 c`cleanup.policy` 03 c`compact` 00 00"
		    "  02 c`u` 02 c`cleanup.policy` 02 c`compact` 00 00"
		    "  04 c`1` 02 c`region.ms` 01 00 00 00"
		    "01 00",
		    "00000000 04"
		    "  0028 c`Invalid value  for configuration cleanup.policy: Empty list element` 02 c`t` 00"
		    "  0000 00 02 c`u` 00"
		    "  0000 00 04 c`1` 00"
		    "00");
	ck_assert_str_eq(explicit_configs("t", buf, sizeof buf),
			 "cleanup.policy=compact");
	ck_assert_str_eq(explicit_configs("u", buf, sizeof buf), "");
	ck_assert_int_eq(harness_cfg.region_ms, 250);
	/* DELETE of the override returns the key to the file's value. */
	call_expect(API_IncrementalAlterConfigs, 1, 1,
		    "02 04 c`1` 02 c`region.ms` 01 00 00 00 00 00",
		    "00000000 02 0000 00 04 c`1` 00 00");
	ck_assert_int_eq(harness_cfg.region_ms, 5000);
	ck_assert_uint_eq(catalog_broker_config_count(broker.catalog), 0);
}
END_TEST

/* ---- CreatePartitions ---- */

START_TEST(test_create_partitions_v0)
{
	make_topic("grow", 2);                        /* streams 1-2 */
	make_topic("other", 1);                       /* 3 */
	make_topic("shrink", 3);                      /* 4-6 */
	make_topic("assign", 1);                      /* 7 */
	make_topic("counted", 1);                     /* 8 */
	uint64_t parts = broker.counters[BC_partitions];
	call_expect(API_CreatePartitions, 0, 0,
		    "00000006"                                 /* Topics */
		    /* Name Count Assignments */
		    "  s`grow` 00000004 ffffffff"
		    "  s`other` 00000001 ffffffff"
		    "  s`nope` 00000002 ffffffff"
		    "  s`shrink` 00000001 ffffffff"
		    "  s`assign` 00000003 00000002 00000001 00000001"
		    "                              00000001 00000002"
		    "  s`counted` 00000003 00000001 00000001 00000001"
		    "00007530 00",                   /* TimeoutMs ValidateOnly */
		    "00000000 00000006"
		    /* Name ErrorCode ErrorMessage */
		    "  s`grow` 0000 ffff"
		    "  s`other` 0025 s`Topic already has 1 partition(s).`"
		    "  s`nope` 0003 s`This server does not host this topic-partition.`"
		    "  s`shrink` 0025 s`The topic shrink currently has 3 partition(s); 1 would not be an increase.`"
		    "  s`assign` 0027 s`The manual partition assignment includes broker 2, but no such broker is registered.`"
		    "  s`counted` 0027 s`Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.`");
	/* The new partitions have fresh streams, past every topic's. */
	const struct topic *t = catalog_topic_by_name(broker.catalog, "grow");
	ck_assert_int_eq(t->partition_count, 4);
	ck_assert_uint_eq(topic_stream_id(t, 1), 2);
	ck_assert_uint_eq(topic_stream_id(t, 2), 9);
	ck_assert_uint_eq(topic_stream_id(t, 3), 10);
	for (int32_t p = 0; p < 4; p++) {
		struct partition *part = partition_by_name(broker.partitions,
							   "grow", p);
		ck_assert_ptr_nonnull(part);
		ck_assert_int_eq(part->index, p);
		ck_assert_ptr_eq(part->topic, t);
		ck_assert_int_eq(part->next_offset, 0);
	}
	ck_assert_ptr_null(partition_by_name(broker.partitions, "grow", 4));
	ck_assert_ptr_eq(partition_by_stream(broker.partitions, 9)->topic, t);
	ck_assert_uint_eq(broker.counters[BC_partitions], parts + 2);
	ck_assert_int_eq(catalog_topic_by_name(broker.catalog, "assign")
				 ->partition_count, 1);
	/* Metadata sees them. */
	call_expect(API_Metadata, 1, 0, "00000001 s`grow`",
		    "00000001 00000001 s`127.0.0.1` 00002384 ffff" /* Brokers */
		    "00000001"                              /* ControllerId */
		    "00000001 0000 s`grow` 00 00000004"
		    "  0000 00000000 00000001 00000001 00000001 00000001 00000001"
		    "  0000 00000001 00000001 00000001 00000001 00000001 00000001"
		    "  0000 00000002 00000001 00000001 00000001 00000001 00000001"
		    "  0000 00000003 00000001 00000001 00000001 00000001 00000001");
}
END_TEST

START_TEST(test_create_partitions_v3)
{
	make_topic("grow", 2);
	make_topic("other", 1);
	/* ValidateOnly: good assignments, null assignments; nothing done */
	call_expect(API_CreatePartitions, 3, 1,
		    "03"
		    "  c`grow` 00000004 03 02 00000001 00 02 00000001 00 00"
		    "  c`other` 00000003 00 00"
		    "00007530 01 00",
		    "00000000 03"
		    "  c`grow` 0000 00 00"
		    "  c`other` 0000 00 00"
		    "00");
	ck_assert_int_eq(catalog_topic_by_name(broker.catalog, "grow")
				 ->partition_count, 2);
	ck_assert_int_eq(catalog_topic_by_name(broker.catalog, "other")
				 ->partition_count, 1);
	/* a topic named twice, and an assignment with two replicas */
	call_expect(API_CreatePartitions, 2, 1,
		    "04"
		    "  c`other` 00000002 00 00"
		    "  c`other` 00000003 00 00"
		    "  c`grow` 00000003 02 03 00000001 00000001 00 00"
		    "00007530 00 00",
		    "00000000 04"
		    "  c`other` 002a c`Duplicate topic name.` 00"
		    "  c`other` 002a c`Duplicate topic name.` 00"
		    "  c`grow` 0027 c`The manual partition assignment includes a partition with 2 replica(s), but this is not consistent with previous partitions, which have 1 replica(s).` 00"
		    "00");
	call_expect(API_CreatePartitions, 3, 1,
		    "02 c`other` 00000003 00 00 00007530 00 00",
		    "00000000 02 c`other` 0000 00 00 00");
	const struct topic *t = catalog_topic_by_name(broker.catalog, "other");
	ck_assert_int_eq(t->partition_count, 3);
	ck_assert_uint_eq(topic_stream_id(t, 1), 4);
	ck_assert_ptr_nonnull(partition_by_name(broker.partitions, "other", 2));
	call_malformed(API_CreatePartitions, 3, 1, "02 c`other` 00000003 00 00");
}
END_TEST

/* ---- DescribeCluster ---- */

START_TEST(test_describe_cluster)
{
	/* v0 is flexible already */
	call_expect(API_DescribeCluster, 0, 1,
		    "01 00",      /* IncludeClusterAuthorizedOperations tags */
		    "00000000"                                 /* ThrottleTimeMs */
		    "0000 00"                          /* ErrorCode ErrorMessage */
		    "c`test-cluster`"                          /* ClusterId */
		    "00000001"                                 /* ControllerId */
		    "02 00000001 c`127.0.0.1` 00002384 00 00"  /* Brokers */
		    "00001fa0"                 /* ClusterAuthorizedOperations */
		    "00");
	call_expect(API_DescribeCluster, 1, 1,
		    "00 01 00",                 /* ... EndpointType BROKER */
		    "00000000 0000 00"
		    "01"                                       /* EndpointType */
		    "c`test-cluster` 00000001"
		    "02 00000001 c`127.0.0.1` 00002384 00 00"
		    "80000000 00");
	call_expect(API_DescribeCluster, 1, 1, "00 02 00",
		    "00000000 0072"
		    "c`The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER`"
		    "01 01 ffffffff 01 80000000 00");
	call_expect(API_DescribeCluster, 1, 1, "00 05 00",
		    "00000000 0073 00 01 01 ffffffff 01 80000000 00");
	call_malformed(API_DescribeCluster, 1, 1, "00");
}
END_TEST

/* ---- DescribeLogDirs ---- */

/* Indexes a batch of len bytes at wal_pos in partition p. */
static void wal_batch(struct partition *p, uint64_t wal_pos, uint32_t len)
{
	struct batch_entry e = {
		.base_offset = p->next_offset,
		.last_offset = p->next_offset,
		.wal_pos = wal_pos,
		.len = len,
	};
	ck_assert_int_eq(partition_append(p, &e), 0);
}

/* Two topics: a (streams 1, 2) and b (3), with batches in the WAL and
 * blocks in one uploaded object. */
static void log_dirs_data(void)
{
	make_topic("a", 2);
	make_topic("b", 1);
	wal_batch(partition_by_name(broker.partitions, "a", 0), 0, 100);
	wal_batch(partition_by_name(broker.partitions, "a", 0), 4096, 150);
	wal_batch(partition_by_name(broker.partitions, "b", 0), 8192, 70);
	struct catalog_object obj = {
		.id = 0x51, .size = 1520, .wal_start = 0, .wal_end = 4096,
		.block_count = 3,
	};
	struct catalog_block blocks[3] = {
		{ .stream_id = 1, .end_offset = 5, .record_count = 5,
		  .object_id = 0x51, .size = 1000 },
		{ .stream_id = 3, .end_offset = 2, .record_count = 2,
		  .object_id = 0x51, .position = 1000, .size = 500 },
		{ .stream_id = 3, .start_offset = 2, .end_offset = 3,
		  .record_count = 1, .object_id = 0x51, .position = 1500,
		  .size = 20 },
	};
	ck_assert_int_eq(catalog_commit_upload(broker.catalog, &obj, blocks, 3,
					       NULL), 0);
}

START_TEST(test_describe_log_dirs_v1)
{
	log_dirs_data();
	char want[2048];
	snprintf(want, sizeof want,
		 "00000000 00000002"                 /* ThrottleTimeMs Results */
		 /* ErrorCode LogDir Topics */
		 "  0000 s`%s` 00000001"
		 /* Name Partitions: PartitionIndex PartitionSize OffsetLag
		  * IsFutureKey, in request order */
		 "    s`a` 00000002"
		 "      00000001 0000000000000000 0000000000000000 00"
		 "      00000000 00000000000000fa 0000000000000000 00"
		 "  0000 s`%s` 00000001"
		 "    s`a` 00000002"
		 "      00000001 0000000000000000 0000000000000000 00"
		 "      00000000 00000000000003e8 0000000000000000 00",
		 harness_cfg.wal_path, harness_cfg.object_store);
	call_expect(API_DescribeLogDirs, 1, 0,
		    "00000003"                                 /* Topics */
		    "  s`a` 00000004 00000001 00000000 00000009 00000001"
		    "  s`nope` 00000001 00000000"
		    "  s`b` 00000000",
		    want);
}
END_TEST

START_TEST(test_describe_log_dirs_v4)
{
	log_dirs_data();
	char want[2048];
	snprintf(want, sizeof want,
		 "00000000 0000 03"     /* ThrottleTimeMs ErrorCode Results */
		 "  0000 c`%s` 03"
		 "    c`a` 03"
		 "      00000000 00000000000000fa 0000000000000000 00 00"
		 "      00000001 0000000000000000 0000000000000000 00 00"
		 "    00"
		 "    c`b` 02"
		 "      00000000 0000000000000046 0000000000000000 00 00"
		 "    00"
		 "  0000000000100000 0000000000100000 00" /* TotalBytes UsableBytes */
		 "  0000 c`%s` 03"
		 "    c`a` 03"
		 "      00000000 00000000000003e8 0000000000000000 00 00"
		 "      00000001 0000000000000000 0000000000000000 00 00"
		 "    00"
		 "    c`b` 02"
		 "      00000000 0000000000000208 0000000000000000 00 00"
		 "    00"
		 "  ffffffffffffffff ffffffffffffffff 00"
		 "00",
		 harness_cfg.wal_path, harness_cfg.object_store);
	call_expect(API_DescribeLogDirs, 4, 1, "00 00", want); /* Topics null */
	call_malformed(API_DescribeLogDirs, 4, 1, "02 c`a`");
}
END_TEST

/* ---- the broker's config layers ---- */

/* Overrides win over the file at start and across a SIGHUP reload, whose
 * values become the static layer; a key without an override takes the
 * file's new value. */
START_TEST(test_dynconfig_layers)
{
	char err[256], buf[64];
	static const struct topic_config_entry o[] = {
		{ (char *)"region.ms", (char *)"250" },
		{ (char *)"auto.create.topics.enable", (char *)"false" },
	};
	const struct config_param *region = config_find(
		broker_config_table, broker_config_count, "region.ms");
	const struct config_param *parts = config_find(
		broker_config_table, broker_config_count, "num.partitions");
	ck_assert_int_eq(dynconfig_set(o, 2, 0, err, sizeof err), 0);
	ck_assert_int_eq(harness_cfg.region_ms, 250);
	ck_assert_int_eq(harness_cfg.auto_create_topics_enable, 0);
	ck_assert_int_eq(dynconfig_source(region), DYNCONFIG_DYNAMIC);
	ck_assert_str_eq(dynconfig_override(region), "250");
	ck_assert_str_eq(dynconfig_value(region, DYNCONFIG_FILE, buf,
					 sizeof buf), "5000");

	/* SIGHUP: the file now says region.ms 7000, num.partitions 9 */
	struct broker_config fresh;
	memset(&fresh, 0, sizeof fresh);
	ck_assert_int_eq(config_set_defaults(broker_config_table,
					     broker_config_count, &fresh, err,
					     sizeof err), 0);
	fresh.region_ms = 7000;
	fresh.num_partitions = 9;
	dynconfig_reload(&fresh);
	ck_assert_int_eq(fresh.region_ms, 250);
	ck_assert_int_eq(fresh.auto_create_topics_enable, 0);
	ck_assert_int_eq(fresh.num_partitions, 9);
	ck_assert_str_eq(dynconfig_value(region, DYNCONFIG_FILE, buf,
					 sizeof buf), "7000");
	ck_assert_str_eq(dynconfig_value(parts, DYNCONFIG_FILE, buf,
					 sizeof buf), "9");
	ck_assert_int_eq(dynconfig_source(parts), DYNCONFIG_STATIC);
	/* derived defaults (empty in the file) keep their values */
	const struct config_param *walp = config_find(
		broker_config_table, broker_config_count, "wal.path");
	char path[4096];
	ck_assert_str_eq(dynconfig_value(walp, DYNCONFIG_FILE, path,
					 sizeof path), harness_cfg.wal_path);
	ck_assert_int_eq(dynconfig_source(walp), DYNCONFIG_DEFAULT);
	config_free(broker_config_table, broker_config_count, &fresh);

	/* A restart: the file's values, then the catalog's overrides. */
	dynconfig_finish();
	harness_cfg.region_ms = 6000;
	harness_cfg.auto_create_topics_enable = 1;
	ck_assert_int_eq(dynconfig_start(&harness_cfg), 0);
	ck_assert_int_eq(harness_cfg.region_ms, 250);
	ck_assert_int_eq(harness_cfg.auto_create_topics_enable, 0);
	ck_assert_str_eq(dynconfig_value(region, DYNCONFIG_FILE, buf,
					 sizeof buf), "6000");
	ck_assert_str_eq(dynconfig_value(region, DYNCONFIG_TABLE, buf,
					 sizeof buf), "5000");
	/* Overrides that break a cross-key check are refused whole. */
	static const struct topic_config_entry big[] = {
		{ (char *)"message.max.bytes", (char *)"50000000" },
		{ (char *)"socket.request.max.bytes", (char *)"1048576" },
	};
	ck_assert_int_eq(dynconfig_set(big, 2, 0, err, sizeof err),
			 KERR_INVALID_CONFIG);
	ck_assert_str_eq(err, "message.max.bytes (50000000) exceeds socket.request.max.bytes (1048576)");
	ck_assert_int_eq(harness_cfg.region_ms, 250);
	ck_assert_uint_eq(catalog_broker_config_count(broker.catalog), 2);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("admin_apis");
	TCase *tc = tcase_create("handlers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_describe_configs_v0);
	tcase_add_test(tc, test_describe_configs_v4);
	tcase_add_test(tc, test_alter_configs_v0);
	tcase_add_test(tc, test_alter_configs_v2);
	tcase_add_test(tc, test_incremental_alter_configs_v0);
	tcase_add_test(tc, test_incremental_alter_configs_v1);
	tcase_add_test(tc, test_create_partitions_v0);
	tcase_add_test(tc, test_create_partitions_v3);
	tcase_add_test(tc, test_describe_cluster);
	tcase_add_test(tc, test_describe_log_dirs_v1);
	tcase_add_test(tc, test_describe_log_dirs_v4);
	tcase_add_test(tc, test_dynconfig_layers);
	suite_add_tcase(s, tc);
	return s;
}
