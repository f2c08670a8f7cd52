/*
 * CreateTopics v0-v7.  The whole request is read first, so that a request
 * that does not parse changes nothing and duplicate names can be refused
 * (INVALID_REQUEST for every entry of a name given twice).  Each topic is
 * then checked and created in request order through topics_create.
 *
 * Replication: there is one broker, so ReplicationFactor must be -1 or 1
 * (more gets INVALID_REPLICATION_FACTOR, as Kafka answers when there are
 * fewer brokers than replicas).  Manual Assignments are accepted when they
 * are what the broker would do anyway: NumPartitions and ReplicationFactor
 * -1 (else INVALID_REQUEST, as in Kafka), partition indexes 0..n-1 each
 * once, and every partition placed on this broker alone (else
 * INVALID_REPLICA_ASSIGNMENT); the topic then gets n partitions.
 * NumPartitions -1 (num.partitions) is accepted in every version: older
 * clients never send it, and Kafka does not refuse it either.
 *
 * Checks run in this order: duplicate, name, assignments, then
 * topics_create's (exists, collision, partitions, configs), then the
 * replication factor, so that an existing topic is reported as such
 * whatever the factor asked for (clients that create idempotently rely on
 * TOPIC_ALREADY_EXISTS).  timeoutMs is read and ignored: creation is
 * synchronous.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/topic_config.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "common/errors.h"

/* Bounds on the request's arrays; more is malformed. */
#define CREATE_TOPICS_MAX 10000
#define CREATE_TOPICS_CONFIGS_MAX 1000
#define CREATE_TOPICS_BROKER_IDS_MAX 1000

/* Kafka's ConfigSource values used in the response. */
#define CONFIG_SOURCE_TOPIC_CONFIG 1
#define CONFIG_SOURCE_DEFAULT_CONFIG 5

/* One CreatableTopic and what became of it. */
struct create_topic {
	struct kslice name;              /* Name */
	int32_t num_partitions;          /* NumPartitions */
	int16_t replication_factor;      /* ReplicationFactor */
	int32_t assignment_count;        /* Assignments (validated on read) */
	int16_t error;                   /* set early by reading, or later */
	char message[300];
	struct topic_config_entry *configs; /* Configs, NUL-terminated copies */
	size_t config_count;
	const struct topic *created;     /* NULL when validate-only or failed */
	int32_t result_partitions;       /* for the v5+ response */
};

/* Sets an entry's error unless one is already set (the first wins). */
static void create_topics_fail(struct create_topic *ct, int16_t error,
			       const char *message)
{
	if (ct->error)
		return;
	ct->error = error;
	snprintf(ct->message, sizeof ct->message, "%s", message);
}

/* Copies a string slice into a new NUL-terminated string; NULL for a null
 * slice.  *bad is set when the slice holds a NUL byte. */
static char *create_topics_strdup(struct kslice s, int *bad)
{
	if (s.len < 0)
		return NULL;
	if (memchr(s.p, 0, (size_t)s.len))
		*bad = 1;
	char *c = malloc((size_t)s.len + 1);
	if (!c)
		return NULL;
	memcpy(c, s.p, (size_t)s.len);
	c[s.len] = '\0';
	return c;
}

/* Reads one entry's Assignments and checks them against the single-broker
 * rule; sets ct->assignment_count or an error. */
static void create_topics_read_assignments(struct kreader *r,
					   struct create_topic *ct,
					   int32_t node_id)
{
	int32_t count = kr_array(r, TOPICS_PARTITIONS_MAX, r->flexible ? 6 : 8);
	if (count < 0) {
		kreader_fail(r); /* not nullable */
		return;
	}
	uint8_t *seen = count ? calloc((size_t)count, 1) : NULL;
	if (count && !seen) {
		kreader_fail(r);
		return;
	}
	int placed_alone = 1, indexes_ok = 1;
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		int32_t partition_index = kr_i32(r);    /* PartitionIndex */
		int32_t n = kr_array(r, CREATE_TOPICS_BROKER_IDS_MAX, 4);
		if (n < 0)
			kreader_fail(r);
		for (int32_t j = 0; j < n; j++) {
			int32_t broker_id = kr_i32(r);  /* BrokerIds */
			if (broker_id != node_id)
				placed_alone = 0;
		}
		if (n != 1)
			placed_alone = 0;
		kr_tags(r);
		if (partition_index < 0 || partition_index >= count ||
		    seen[partition_index])
			indexes_ok = 0;
		else
			seen[partition_index] = 1;
	}
	free(seen);
	ct->assignment_count = count;
	if (!count)
		return;
	char msg[200];
	if (ct->num_partitions != -1 || ct->replication_factor != -1) {
		create_topics_fail(ct, KERR_INVALID_REQUEST,
				   "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.");
	} else if (!indexes_ok) {
		create_topics_fail(ct, KERR_INVALID_REPLICA_ASSIGNMENT,
				   "Partitions in a manual assignment must be numbered 0 to n-1, each once.");
	} else if (!placed_alone) {
		snprintf(msg, sizeof msg,
			 "This cluster has one broker: every partition must be assigned to broker %d alone.",
			 node_id);
		create_topics_fail(ct, KERR_INVALID_REPLICA_ASSIGNMENT, msg);
	}
}

/* Reads one entry's Configs into NUL-terminated copies. */
static void create_topics_read_configs(struct kreader *r,
				       struct create_topic *ct)
{
	int32_t count = kr_array(r, CREATE_TOPICS_CONFIGS_MAX, r->flexible ? 3 : 4);
	if (count < 0) {
		kreader_fail(r); /* not nullable */
		return;
	}
	if (!count)
		return;
	ct->configs = calloc((size_t)count, sizeof *ct->configs);
	if (!ct->configs) {
		kreader_fail(r);
		return;
	}
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		struct kslice name = kr_string(r);           /* Name */
		struct kslice value = kr_nullable_string(r); /* Value */
		kr_tags(r);
		if (kreader_failed(r))
			break;
		int bad = 0;
		struct topic_config_entry *e = &ct->configs[ct->config_count++];
		e->name = create_topics_strdup(name, &bad);
		e->value = create_topics_strdup(value, &bad);
		if (!e->name || (value.len >= 0 && !e->value)) {
			kreader_fail(r); /* out of memory */
			break;
		}
		if (bad)
			create_topics_fail(ct, KERR_INVALID_CONFIG,
					   "Config names and values may not contain NUL bytes.");
	}
}

/* Frees the entries' config copies and the array. */
static void create_topics_free(struct create_topic *topics, int32_t count)
{
	for (int32_t i = 0; i < count; i++) {
		for (size_t j = 0; j < topics[i].config_count; j++) {
			free(topics[i].configs[j].name);
			free(topics[i].configs[j].value);
		}
		free(topics[i].configs);
	}
	free(topics);
}

/* Checks and (unless validate_only) creates one topic. */
static void create_topics_one(struct create_topic *ct, int validate_only)
{
	if (ct->error)
		return;
	char err[sizeof ct->message];
	if (topics_name_validate((const char *)ct->name.p, (size_t)ct->name.len,
				 err, sizeof err)) {
		create_topics_fail(ct, KERR_INVALID_TOPIC_EXCEPTION, err);
		return;
	}
	char name[TOPIC_NAME_MAX + 1];
	memcpy(name, ct->name.p, (size_t)ct->name.len);
	name[ct->name.len] = '\0';
	int32_t partitions = ct->assignment_count ? ct->assignment_count
						  : ct->num_partitions;
	int rc = topics_create(name, partitions, ct->configs, ct->config_count,
			       1, err, sizeof err, NULL);
	if (rc) {
		create_topics_fail(ct, (int16_t)rc, err);
		return;
	}
	int16_t rf = ct->replication_factor;
	if (rf == 0 || rf < -1) {
		create_topics_fail(ct, KERR_INVALID_REPLICATION_FACTOR,
				   "Replication factor must be larger than 0, or -1 to use the default value.");
		return;
	}
	if (rf > 1) {
		snprintf(err, sizeof err,
			 "Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only 1 broker(s) are registered.",
			 rf, rf);
		create_topics_fail(ct, KERR_INVALID_REPLICATION_FACTOR, err);
		return;
	}
	ct->result_partitions = partitions == -1
					? (int32_t)broker.cfg->num_partitions
					: partitions;
	if (validate_only)
		return;
	rc = topics_create(name, partitions, ct->configs, ct->config_count, 0,
			   err, sizeof err, &ct->created);
	if (rc)
		create_topics_fail(ct, (int16_t)rc, err);
	else
		ct->result_partitions = ct->created->partition_count;
}

/* The value of config key name for a created topic (t) or, validating
 * only, for the request's entry; *explicit says whether it was set. */
static const char *create_topics_config_value(const struct create_topic *ct,
					      const char *name, int *explicit)
{
	if (ct->created) {
		*explicit = topic_config_get(ct->created, name) != NULL;
		return topic_config_effective(ct->created, name);
	}
	for (size_t i = 0; i < ct->config_count; i++) {
		if (!strcmp(ct->configs[i].name, name)) {
			*explicit = 1;
			return ct->configs[i].value;
		}
	}
	*explicit = 0;
	return topic_config_default(name);
}

/* Writes the v5+ Configs array: every known key with the value in force. */
static void create_topics_write_configs(struct kwriter *w,
					const struct create_topic *ct)
{
	size_t n = topic_config_def_count();
	kw_array(w, (int32_t)n);
	for (size_t i = 0; i < n; i++) {
		const struct topic_config_def *def = topic_config_def_at(i);
		int explicit;
		const char *value = create_topics_config_value(ct, def->name,
							       &explicit);
		kw_string(w, def->name);                  /* Name */
		kw_string(w, value);                      /* Value */
		kw_bool(w, 0);                            /* ReadOnly */
		kw_i8(w, explicit ? CONFIG_SOURCE_TOPIC_CONFIG
				  : CONFIG_SOURCE_DEFAULT_CONFIG); /* ConfigSource */
		kw_bool(w, 0);                            /* IsSensitive */
		kw_tags(w);
	}
}

int handle_create_topics(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;
	int32_t node_id = (int32_t)broker.cfg->node_id;

	int32_t count;
	struct create_topic *topics = kr_array_calloc(
		r, CREATE_TOPICS_MAX, r->flexible ? 10 : 16, sizeof *topics,
		&count);                                       /* Topics */
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		struct create_topic *ct = &topics[i];
		ct->name = kr_string(r);                       /* Name */
		ct->num_partitions = kr_i32(r);                /* NumPartitions */
		ct->replication_factor = kr_i16(r);            /* ReplicationFactor */
		create_topics_read_assignments(r, ct, node_id); /* Assignments */
		create_topics_read_configs(r, ct);             /* Configs */
		kr_tags(r);
	}
	(void)kr_i32(r);                                       /* timeoutMs */
	int validate_only = 0;
	if (ver >= 1)
		validate_only = kr_bool(r);                    /* validateOnly */
	kr_tags(r);
	if (kreader_failed(r)) {
		create_topics_free(topics, count);
		return REQ_MALFORMED;
	}

	for (int32_t i = 0; i < count; i++) {
		for (int32_t j = 0; j < count; j++) {
			if (i != j && topics[i].name.len == topics[j].name.len &&
			    !memcmp(topics[i].name.p, topics[j].name.p,
				    (size_t)topics[i].name.len)) {
				create_topics_fail(&topics[i], KERR_INVALID_REQUEST,
						   "Duplicate topic name.");
				break;
			}
		}
	}
	for (int32_t i = 0; i < count; i++)
		create_topics_one(&topics[i], validate_only);

	static const uint8_t zero_id[16];
	if (ver >= 2)
		kw_i32(w, 0);                                  /* ThrottleTimeMs */
	kw_array(w, count);                                    /* Topics */
	for (int32_t i = 0; i < count; i++) {
		const struct create_topic *ct = &topics[i];
		kw_string_len(w, ct->name.p, ct->name.len);    /* Name */
		if (ver >= 7)
			kw_uuid(w, ct->created ? ct->created->id : zero_id); /* TopicId */
		kw_i16(w, ct->error);                          /* ErrorCode */
		if (ver >= 1)
			kw_string(w, ct->error ? ct->message : NULL); /* ErrorMessage */
		if (ver >= 5) {
			kw_i32(w, ct->error ? -1 : ct->result_partitions); /* NumPartitions */
			kw_i16(w, ct->error ? -1 : 1);         /* ReplicationFactor */
			if (ct->error)
				kw_array(w, 0);                /* Configs */
			else
				create_topics_write_configs(w, ct);
		}
		kw_tags(w); /* TopicConfigErrorCode (tag 0) left out: configs are always given */
	}
	kw_tags(w);
	create_topics_free(topics, count);
	return REQ_DONE;
}
