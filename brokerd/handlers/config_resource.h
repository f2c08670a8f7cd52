/*
 * What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share:
 * Kafka's ConfigResource types, ConfigSource and ConfigType codes, and
 * finding the resource a request names, with Kafka's errors.
 */
#ifndef SLUICE_CONFIG_RESOURCE_H
#define SLUICE_CONFIG_RESOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd/catalog/catalog.h"
#include "brokerd/protocol/kreader.h"
#include "common/config.h"

/* ConfigResource types Sluice serves (others are INVALID_REQUEST). */
#define CONFIG_RESOURCE_TOPIC 2
#define CONFIG_RESOURCE_BROKER 4

/* ConfigSource codes besides the broker ones in dynconfig.h. */
#define CONFIG_SOURCE_TOPIC 1   /* DYNAMIC_TOPIC_CONFIG */
#define CONFIG_SOURCE_DEFAULT 5 /* DEFAULT_CONFIG */

/* Longest resource name or config key handlers copy. */
#define CONFIG_RESOURCE_NAME_MAX 255

/* What a request names: a topic, this broker, or (DescribeConfigs only)
 * the cluster-wide broker defaults (empty name). */
struct config_target {
	int8_t type;
	const struct topic *topic;  /* CONFIG_RESOURCE_TOPIC */
	int cluster_default;        /* broker resource with an empty name */
};

/* Resolves resource (type, name).  A topic must have a valid name and
 * exist; a broker must be named by this broker's id, or by "" when
 * allow_default.  Returns 0 with *out filled, or a Kafka error with err
 * set: INVALID_TOPIC_EXCEPTION, UNKNOWN_TOPIC_OR_PARTITION, or
 * INVALID_REQUEST (another broker's id, not a number, an unsupported
 * resource type). */
int config_resource_find(int8_t type, struct kslice name, int allow_default,
			 struct config_target *out, char *err, size_t errlen);

/* Kafka's ConfigType code of a broker config key: BOOLEAN, STRING, INT,
 * LONG, or PASSWORD for a secret. */
int8_t config_resource_broker_type(const struct config_param *p);

#endif
