/*
 * Resolving the resource of a config request (see config_resource.h).
 * Error messages follow Kafka's (ConfigHelper, ConfigAdminManager) so that
 * clients show what Kafka would.
 *
 * Threading: event-loop thread only (reads the catalog).  No state.
 */
#include "brokerd/handlers/config_resource.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/dynconfig.h"
#include "brokerd/topics.h"
#include "common/errors.h"

/* ConfigType codes of DescribeConfigs v3+. */
enum config_type_code {
	CONFIG_TYPE_BOOLEAN = 1,
	CONFIG_TYPE_STRING = 2,
	CONFIG_TYPE_INT = 3,
	CONFIG_TYPE_LONG = 5,
	CONFIG_TYPE_PASSWORD = 9,
};

/* Resolves a topic resource. */
static int config_resource_topic(struct kslice name, struct config_target *out,
				 char *err, size_t errlen)
{
	int rc = topics_name_validate((const char *)name.p, (size_t)name.len,
				      err, errlen);
	if (rc)
		return rc;
	char topic[TOPIC_NAME_MAX + 1];
	memcpy(topic, name.p, (size_t)name.len);
	topic[name.len] = '\0';
	out->topic = catalog_topic_by_name(broker.catalog, topic);
	if (!out->topic) {
		snprintf(err, errlen, "The topic '%s' does not exist.", topic);
		return KERR_UNKNOWN_TOPIC_OR_PARTITION;
	}
	return 0;
}

/* Resolves a broker resource: this broker's id (or "" if allowed). */
static int config_resource_broker(struct kslice name, int allow_default,
				  struct config_target *out, char *err,
				  size_t errlen)
{
	int32_t node_id = (int32_t)broker.cfg->node_id;
	if (name.len == 0 && allow_default) {
		out->cluster_default = 1;
		return 0;
	}
	char text[16];
	int ok = name.len > 0 && (size_t)name.len < sizeof text;
	long id = 0;
	if (ok) {
		memcpy(text, name.p, (size_t)name.len);
		text[name.len] = '\0';
		char *end;
		errno = 0;
		id = strtol(text, &end, 10);
		ok = !errno && *end == '\0' && id >= INT32_MIN &&
		     id <= INT32_MAX;
	}
	if (!ok) {
		snprintf(err, errlen, "Broker id must be an integer, but it is: %.*s",
			 name.len > 64 ? 64 : (int)name.len, (const char *)name.p);
		return KERR_INVALID_REQUEST;
	}
	if (id != node_id) {
		snprintf(err, errlen,
			 "Unexpected broker id, expected %d%s, but received %ld",
			 node_id, allow_default ? " or empty string" : "", id);
		return KERR_INVALID_REQUEST;
	}
	return 0;
}

int config_resource_find(int8_t type, struct kslice name, int allow_default,
			 struct config_target *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->type = type;
	if (type == CONFIG_RESOURCE_TOPIC)
		return config_resource_topic(name, out, err, errlen);
	if (type == CONFIG_RESOURCE_BROKER)
		return config_resource_broker(name, allow_default, out, err,
					      errlen);
	snprintf(err, errlen, "Unsupported resource type: %d", type);
	return KERR_INVALID_REQUEST;
}

int8_t config_resource_broker_type(const struct config_param *p)
{
	if (dynconfig_sensitive(p))
		return CONFIG_TYPE_PASSWORD;
	switch (p->type) {
	case CONFIG_BOOL:
		return CONFIG_TYPE_BOOLEAN;
	case CONFIG_INT:
		return p->max > INT32_MAX || p->min < INT32_MIN
			       ? CONFIG_TYPE_LONG
			       : CONFIG_TYPE_INT;
	case CONFIG_STRING:
		break;
	}
	return CONFIG_TYPE_STRING;
}
