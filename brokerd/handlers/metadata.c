/*
 * Metadata v0-v12.  One broker (this one) leads every partition, is its
 * only replica and the controller.  An unknown topic named in the request
 * is created on the spot when auto.create.topics.enable and the request's
 * AllowAutoTopicCreation allow it; creation is synchronous (the catalog
 * journals it before returning), so the answer already carries the new
 * topic with ErrorCode NONE rather than Kafka's LEADER_NOT_AVAILABLE.
 *
 * No topic is internal: group offsets live in the catalog, not in a
 * __consumer_offsets topic.  There are no ACLs yet, so the authorized
 * operation fields carry INT32_MIN ("not provided") even when asked for.
 * A topic requested twice is answered twice.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/server/listener.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "common/errors.h"

/* Topics one request may name; more is malformed. */
#define METADATA_TOPICS_MAX 100000

/* One entry of the request's Topics array. */
struct metadata_topic_req {
	uint8_t topic_id[16]; /* TopicId (v10+), zero when by name */
	struct kslice name;   /* Name (nullable v10+) */
};

static const uint8_t metadata_zero_id[16];

/* Writes the Brokers array: this broker alone. */
static void metadata_write_brokers(struct kwriter *w, int16_t ver,
				   int32_t node_id)
{
	const char *host;
	int32_t port;
	listener_advertised(&host, &port);
	kw_array(w, 1);
	kw_i32(w, node_id);      /* NodeId */
	kw_string(w, host);      /* Host */
	kw_i32(w, port);         /* Port */
	if (ver >= 1)
		kw_string(w, NULL); /* Rack */
	kw_tags(w);
}

/* Writes one MetadataResponseTopic for an existing topic. */
static void metadata_write_topic(struct kwriter *w, int16_t ver,
				 int32_t node_id, const struct topic *t)
{
	kw_i16(w, KERR_NONE);                   /* ErrorCode */
	kw_string(w, t->name);                  /* Name */
	if (ver >= 10)
		kw_uuid(w, t->id);              /* TopicId */
	if (ver >= 1)
		kw_bool(w, 0);                  /* IsInternal */
	kw_array(w, t->partition_count);        /* Partitions */
	for (int32_t i = 0; i < t->partition_count; i++) {
		kw_i16(w, KERR_NONE);           /* ErrorCode */
		kw_i32(w, i);                   /* PartitionIndex */
		kw_i32(w, node_id);             /* LeaderId */
		if (ver >= 7)
			kw_i32(w, 0);           /* LeaderEpoch */
		kw_array(w, 1);                 /* ReplicaNodes */
		kw_i32(w, node_id);
		kw_array(w, 1);                 /* IsrNodes */
		kw_i32(w, node_id);
		if (ver >= 5)
			kw_array(w, 0);         /* OfflineReplicas */
		kw_tags(w);
	}
	if (ver >= 8)
		kw_i32(w, INT32_MIN);           /* TopicAuthorizedOperations */
	kw_tags(w);
}

/* Writes one MetadataResponseTopic carrying an error.  name may be null
 * only from v12 on; before that a topic asked for by id alone is answered
 * with an empty name. */
static void metadata_write_topic_error(struct kwriter *w, int16_t ver,
				       int16_t error, struct kslice name,
				       const uint8_t topic_id[16])
{
	kw_i16(w, error);                       /* ErrorCode */
	if (name.len < 0 && ver < 12)
		kw_string(w, "");               /* Name */
	else
		kw_string_len(w, name.p, name.len);
	if (ver >= 10)
		kw_uuid(w, topic_id);           /* TopicId */
	if (ver >= 1)
		kw_bool(w, 0);                  /* IsInternal */
	kw_array(w, 0);                         /* Partitions */
	if (ver >= 8)
		kw_i32(w, INT32_MIN);           /* TopicAuthorizedOperations */
	kw_tags(w);
}

/* Answers one requested topic: looks it up by id or name, creating it when
 * allowed. */
static void metadata_answer_topic(struct kwriter *w, int16_t ver,
				  int32_t node_id,
				  const struct metadata_topic_req *tr,
				  int allow_auto_create)
{
	if (tr->name.len < 0) {
		const struct topic *t =
			catalog_topic_by_id(broker.catalog, tr->topic_id);
		if (t)
			metadata_write_topic(w, ver, node_id, t);
		else
			metadata_write_topic_error(w, ver, KERR_UNKNOWN_TOPIC_ID,
						   tr->name, tr->topic_id);
		return;
	}
	char err[512];
	if (topics_name_validate((const char *)tr->name.p, (size_t)tr->name.len,
				 err, sizeof err)) {
		metadata_write_topic_error(w, ver, KERR_INVALID_TOPIC_EXCEPTION,
					   tr->name, metadata_zero_id);
		return;
	}
	char name[TOPIC_NAME_MAX + 1];
	memcpy(name, tr->name.p, (size_t)tr->name.len);
	name[tr->name.len] = '\0';
	const struct topic *t = catalog_topic_by_name(broker.catalog, name);
	if (!t && allow_auto_create) {
		int rc = topics_create(name, -1, NULL, 0, 0, err, sizeof err, &t);
		if (rc) {
			metadata_write_topic_error(w, ver, (int16_t)rc, tr->name,
						   metadata_zero_id);
			return;
		}
	}
	if (t)
		metadata_write_topic(w, ver, node_id, t);
	else
		metadata_write_topic_error(w, ver,
					   KERR_UNKNOWN_TOPIC_OR_PARTITION,
					   tr->name, metadata_zero_id);
}

int handle_metadata(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;

	/* Topics: v0 empty = all; v1+ null = all, empty = none */
	size_t min_elem = ver >= 10 ? 16 + 1 + 1 : 2;
	int32_t topic_count = kr_array(r, METADATA_TOPICS_MAX, min_elem);
	if (ver < 1 && topic_count < 0)
		kreader_fail(r); /* nullable from v1 on */
	struct metadata_topic_req *topics = NULL;
	if (topic_count > 0) {
		topics = calloc((size_t)topic_count, sizeof *topics);
		if (!topics)
			return REQ_MALFORMED;
	}
	for (int32_t i = 0; i < topic_count && !kreader_failed(r); i++) {
		if (ver >= 10)
			kr_uuid(r, topics[i].topic_id);                /* TopicId */
		if (ver >= 10)
			topics[i].name = kr_nullable_string(r);        /* Name */
		else
			topics[i].name = kr_string(r);
		kr_tags(r);
	}
	int allow_auto_topic_creation = 1;
	if (ver >= 4)
		allow_auto_topic_creation = kr_bool(r);  /* AllowAutoTopicCreation */
	if (ver >= 8 && ver <= 10)
		(void)kr_bool(r);            /* IncludeClusterAuthorizedOperations */
	if (ver >= 8)
		(void)kr_bool(r);            /* IncludeTopicAuthorizedOperations */
	kr_tags(r);
	if (kreader_failed(r)) {
		free(topics);
		return REQ_MALFORMED;
	}

	int32_t node_id = (int32_t)broker.cfg->node_id;
	int all_topics = topic_count == -1 || (ver == 0 && topic_count == 0);
	int allow_auto_create = broker.cfg->auto_create_topics_enable &&
				allow_auto_topic_creation;

	if (ver >= 3)
		kw_i32(w, 0);                           /* ThrottleTimeMs */
	metadata_write_brokers(w, ver, node_id);        /* Brokers */
	if (ver >= 2)
		kw_string(w, broker.cfg->cluster_id);   /* ClusterId */
	if (ver >= 1)
		kw_i32(w, node_id);                     /* ControllerId */
	if (all_topics) {                               /* Topics */
		size_t n = catalog_topic_count(broker.catalog);
		kw_array(w, (int32_t)n);
		for (size_t i = 0; i < n; i++)
			metadata_write_topic(w, ver, node_id,
					     catalog_topic_at(broker.catalog, i));
	} else {
		kw_array(w, topic_count);
		for (int32_t i = 0; i < topic_count; i++)
			metadata_answer_topic(w, ver, node_id, &topics[i],
					      allow_auto_create);
	}
	if (ver >= 8 && ver <= 10)
		kw_i32(w, INT32_MIN);         /* ClusterAuthorizedOperations */
	kw_tags(w);
	free(topics);
	return REQ_DONE;
}
