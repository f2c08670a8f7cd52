/*
 * Topic lifecycle (see topics.h).  The catalog is the durable record of a
 * topic; the partition table is its in-memory shadow, so every change here
 * keeps the two in step: a topic is in the partition table exactly when
 * the catalog holds it.  Error messages follow Kafka's wording where
 * clients or people are used to it.
 *
 * Threading: event-loop thread only (the catalog blocks on fdatasync).
 */
#include "topics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/topic_config.h"
#include "brokerd/compaction/compaction.h"
#include "brokerd/partition/partition.h"
#include "common/counters.h"
#include "common/errors.h"
#include "common/log.h"

/* Whether c may appear in a topic name. */
static int topics_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int topics_name_validate(const char *name, size_t len, char *err, size_t errlen)
{
	if (len == 0) {
		snprintf(err, errlen, "Topic name is illegal, it can't be empty");
		return KERR_INVALID_TOPIC_EXCEPTION;
	}
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.')) {
		snprintf(err, errlen,
			 "Topic name cannot be \".\" or \"..\"");
		return KERR_INVALID_TOPIC_EXCEPTION;
	}
	if (len > TOPIC_NAME_MAX) {
		snprintf(err, errlen,
			 "Topic name is illegal, it can't be longer than %d characters",
			 TOPIC_NAME_MAX);
		return KERR_INVALID_TOPIC_EXCEPTION;
	}
	for (size_t i = 0; i < len; i++) {
		if (!topics_name_char_ok(name[i])) {
			snprintf(err, errlen,
				 "Topic name \"%.*s\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'",
				 (int)len, name);
			return KERR_INVALID_TOPIC_EXCEPTION;
		}
	}
	return 0;
}

const struct topic *topics_find(struct kslice name)
{
	char err[300], buf[TOPIC_NAME_MAX + 1];
	if (name.len < 0 ||
	    topics_name_validate((const char *)name.p, (size_t)name.len, err,
				 sizeof err))
		return NULL;
	memcpy(buf, name.p, (size_t)name.len);
	buf[name.len] = '\0';
	return catalog_topic_by_name(broker.catalog, buf);
}

/* Whether a and b differ only by '.' against '_' (Kafka refuses such pairs
 * because both map to the same metric name). */
static int topics_name_collides(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = *a == '.' ? '_' : *a;
		char cb = *b == '.' ? '_' : *b;
		if (ca != cb)
			return 0;
	}
	return *a == *b;
}

/* Returns an existing topic whose name collides with name, or NULL.  A
 * linear scan: creation is rare and already pays an fdatasync. */
static const struct topic *topics_find_collision(const char *name)
{
	if (!strpbrk(name, "._"))
		return NULL;
	size_t count = catalog_topic_count(broker.catalog);
	for (size_t i = 0; i < count; i++) {
		const struct topic *t = catalog_topic_at(broker.catalog, i);
		if (topics_name_collides(name, t->name))
			return t;
	}
	return NULL;
}

/* Checks the explicitly set configs: no null value, no key twice, each key
 * known and its value valid.  Returns 0 or KERR_INVALID_CONFIG. */
static int topics_configs_validate(const struct topic_config_entry *configs,
				   size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (!configs[i].value) {
			snprintf(err, errlen,
				 "Null value not supported for topic configs: %s",
				 configs[i].name);
			return KERR_INVALID_CONFIG;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(configs[i].name, configs[j].name)) {
				snprintf(err, errlen, "Duplicate config key: %s",
					 configs[i].name);
				return KERR_INVALID_CONFIG;
			}
		}
		int rc = topic_config_validate(configs[i].name, configs[i].value,
					       err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int topics_create(const char *name, int32_t partitions,
		  const struct topic_config_entry *configs, size_t n,
		  int validate_only, char *err, size_t errlen,
		  const struct topic **out)
{
	if (out)
		*out = NULL;
	int rc = topics_name_validate(name, strlen(name), err, errlen);
	if (rc)
		return rc;
	if (catalog_topic_by_name(broker.catalog, name)) {
		snprintf(err, errlen, "Topic '%s' already exists.", name);
		return KERR_TOPIC_ALREADY_EXISTS;
	}
	const struct topic *other = topics_find_collision(name);
	if (other) {
		snprintf(err, errlen, "Topic '%s' collides with existing topic: %s",
			 name, other->name);
		return KERR_INVALID_TOPIC_EXCEPTION;
	}
	if (partitions == -1)
		partitions = (int32_t)broker.cfg->num_partitions;
	if (partitions < 1 || partitions > TOPICS_PARTITIONS_MAX) {
		snprintf(err, errlen,
			 "Number of partitions must be between 1 and %d, or -1 to use the default (num.partitions).",
			 TOPICS_PARTITIONS_MAX);
		return KERR_INVALID_PARTITIONS;
	}
	rc = topics_configs_validate(configs, n, err, errlen);
	if (rc || validate_only)
		return rc;

	const struct topic *t;
	rc = catalog_topic_create(broker.catalog, name, partitions, configs, n, &t);
	if (rc == SL_EEXIST) {
		snprintf(err, errlen, "Topic '%s' already exists.", name);
		return KERR_TOPIC_ALREADY_EXISTS;
	}
	if (rc) {
		/* the catalog logged the cause */
		snprintf(err, errlen, "Cannot record topic '%s': %s", name,
			 sl_error_name(rc));
		return KERR_KAFKA_STORAGE_ERROR;
	}
	rc = partition_table_add_topic(broker.partitions, t);
	if (rc) {
		log_error("topics: create %s: %s", name, sl_error_name(rc));
		partition_table_remove_topic(broker.partitions, t);
		if (catalog_topic_delete(broker.catalog, name) != 0)
			log_panic("topics: %s is in the catalog without partitions",
				  name);
		snprintf(err, errlen, "Out of memory creating topic '%s'", name);
		return KERR_UNKNOWN_SERVER_ERROR;
	}
	COUNTER_SET(topics, catalog_topic_count(broker.catalog));
	COUNTER_ADD(partitions, partitions);
	log_info("topics: created %s with %d partitions", name, partitions);
	if (out)
		*out = t;
	return 0;
}

int topics_delete(const struct topic *t)
{
	/* The catalog goes first, so that when it cannot journal the
	 * deletion nothing has changed.  The partition table then forgets
	 * the partitions by a copy of the topic's identity, since the
	 * catalog has freed t; nothing runs in between that could follow
	 * the partitions' dangling topic pointer. */
	struct topic gone = *t;
	gone.configs = NULL;
	gone.config_count = 0;
	size_t ids_len = (size_t)t->partition_count * sizeof *t->stream_ids;
	gone.stream_ids = malloc(ids_len);
	if (!gone.stream_ids) {
		log_error("topics: delete %s: out of memory", gone.name);
		return KERR_UNKNOWN_SERVER_ERROR;
	}
	memcpy(gone.stream_ids, t->stream_ids, ids_len);
	int rc = catalog_topic_delete(broker.catalog, gone.name);
	if (rc) {
		log_error("topics: delete %s: %s", gone.name, sl_error_name(rc));
		free(gone.stream_ids);
		return KERR_KAFKA_STORAGE_ERROR;
	}
	partition_table_remove_topic(broker.partitions, &gone);
	free(gone.stream_ids);
	COUNTER_SET(topics, catalog_topic_count(broker.catalog));
	COUNTER_ADD(partitions, -(int64_t)gone.partition_count);
	log_info("topics: deleted %s", gone.name);
	/* the catalog keeps the streams' blocks until compactd replaces them
	 * with nothing: ask for that to happen soon */
	compaction_nudge("delete_topics");
	return 0;
}

int topics_add_partitions(const struct topic *t, int32_t partitions,
			  int validate_only, char *err, size_t errlen)
{
	/* Kafka's wording (KRaft's ReplicationControlManager). */
	if (partitions < t->partition_count) {
		snprintf(err, errlen,
			 "The topic %s currently has %d partition(s); %d would not be an increase.",
			 t->name, t->partition_count, partitions);
		return KERR_INVALID_PARTITIONS;
	}
	if (partitions == t->partition_count) {
		snprintf(err, errlen, "Topic already has %d partition(s).",
			 partitions);
		return KERR_INVALID_PARTITIONS;
	}
	if (partitions > TOPICS_PARTITIONS_MAX) {
		snprintf(err, errlen,
			 "A topic may have at most %d partitions; %d were asked for.",
			 TOPICS_PARTITIONS_MAX, partitions);
		return KERR_INVALID_PARTITIONS;
	}
	if (validate_only)
		return 0;
	int32_t before = t->partition_count;
	int rc = catalog_topic_add_partitions(broker.catalog, t->name,
					      partitions);
	if (rc) {
		/* the catalog logged an I/O cause */
		snprintf(err, errlen, "Cannot record the new partitions of '%s': %s",
			 t->name, sl_error_name(rc));
		return KERR_KAFKA_STORAGE_ERROR;
	}
	/* The catalog holds them now and cannot take them back; without
	 * memory for the table the next start rebuilds it from the catalog. */
	if (partition_table_add_topic(broker.partitions, t) != 0)
		log_panic("topics: %s: partitions %d-%d are in the catalog but "
			  "not in memory", t->name, before, partitions - 1);
	COUNTER_ADD(partitions, partitions - before);
	log_info("topics: %s grew from %d to %d partitions", t->name, before,
		 partitions);
	return 0;
}

int topics_set_configs(const struct topic *t,
		       const struct topic_config_entry *configs, size_t n,
		       int validate_only, char *err, size_t errlen)
{
	int rc = topics_configs_validate(configs, n, err, errlen);
	if (rc || validate_only)
		return rc;
	rc = catalog_topic_set_configs(broker.catalog, t->name, configs, n);
	if (rc) {
		snprintf(err, errlen, "Cannot record the configs of '%s': %s",
			 t->name, sl_error_name(rc));
		return KERR_KAFKA_STORAGE_ERROR;
	}
	return 0;
}
