/*
 * Topic lifecycle shared by CreateTopics, DeleteTopics, CreatePartitions,
 * AlterConfigs and Metadata auto-creation: Kafka's rules for names,
 * partition counts and configs, then the catalog (durable) and the
 * partition table (in memory) together.
 */
#ifndef SLUICE_TOPICS_H
#define SLUICE_TOPICS_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd/catalog/catalog.h"
#include "brokerd/protocol/kreader.h"

/* Upper bound on a topic's partition count (the bound of num.partitions). */
#define TOPICS_PARTITIONS_MAX 100000

/* Checks a topic name of len bytes against Kafka's rules: 1..249 bytes of
 * [a-zA-Z0-9._-], not "." or "..".  Returns 0, or
 * KERR_INVALID_TOPIC_EXCEPTION with err set to a message for the client. */
int topics_name_validate(const char *name, size_t len, char *err, size_t errlen);

/* The catalog topic a request names, or NULL (also for a null name or one
 * that breaks the rules above: no such topic can exist). */
const struct topic *topics_find(struct kslice name);

/* Creates topic name with partitions partitions (-1: num.partitions) and
 * the explicitly set configs.  Checks the name, that neither it nor a name
 * colliding with it ('.' and '_' are the same in metric names) exists, the
 * partition count and every config; with validate_only it stops there and
 * sets *out to NULL.  Returns 0 with *out (may be NULL) set, or a Kafka
 * error code with err set: INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS,
 * INVALID_PARTITIONS, INVALID_CONFIG, or KAFKA_STORAGE_ERROR when the
 * catalog cannot journal the change. */
int topics_create(const char *name, int32_t partitions,
		  const struct topic_config_entry *configs, size_t n,
		  int validate_only, char *err, size_t errlen,
		  const struct topic **out);

/* Deletes a topic: its partitions, then its catalog entry (t is freed).
 * Returns 0, KAFKA_STORAGE_ERROR when the catalog cannot journal it, or
 * UNKNOWN_SERVER_ERROR without memory. */
int topics_delete(const struct topic *t);

/* Grows topic t to partitions partitions (CreatePartitions); the new ones
 * start empty at offset 0.  Checks the count first; with validate_only it
 * stops there.  Returns 0, or a Kafka error with err set:
 * INVALID_PARTITIONS (not an increase, or above TOPICS_PARTITIONS_MAX) or
 * KAFKA_STORAGE_ERROR when the catalog cannot journal it. */
int topics_add_partitions(const struct topic *t, int32_t partitions,
			  int validate_only, char *err, size_t errlen);

/* Replaces the explicitly set configs of topic t with configs (AlterConfigs:
 * keys left out return to their defaults).  Checks them as topics_create
 * does; with validate_only it stops there.  The new values are in force
 * when it returns: everything that reads a topic config looks it up at use
 * time.  Returns 0, or a Kafka error with err set: INVALID_CONFIG, or
 * KAFKA_STORAGE_ERROR when the catalog cannot journal it. */
int topics_set_configs(const struct topic *t,
		       const struct topic_config_entry *configs, size_t n,
		       int validate_only, char *err, size_t errlen);

#endif
