/*
 * CreatePartitions v0-v3: grows topics to Count partitions.  The new
 * partitions get fresh stream ids from the catalog (partition p of a topic
 * maps to its own stream id, see catalog.h) and start empty at offset 0;
 * the growth is journaled before the answer.  The whole request is read
 * first, so that one that does not parse changes nothing, and a topic
 * named twice is INVALID_REQUEST for every entry of that name.
 *
 * Checks, in Kafka's order (KRaft's ReplicationControlManager): the topic
 * exists (UNKNOWN_TOPIC_OR_PARTITION), Count is an increase
 * (INVALID_PARTITIONS), then the manual Assignments: one per new partition,
 * each placing it on this broker alone, since there is one broker
 * (INVALID_REPLICA_ASSIGNMENT).  ValidateOnly runs every check and changes
 * nothing.  TimeoutMs is read and ignored: the change is synchronous.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "common/errors.h"

/* Bounds on the request's arrays; more is malformed. */
#define CREATE_PARTITIONS_MAX 10000
#define CREATE_PARTITIONS_BROKER_IDS_MAX 1000

/* One CreatePartitionsTopic and what became of it. */
struct create_partitions_topic {
	struct kslice name;          /* Name */
	int32_t count;               /* Count */
	int32_t assignment_count;    /* Assignments (-1: null) */
	int32_t bad_broker;          /* a broker id other than this one, or -1 */
	int32_t bad_replicas;        /* an assignment's replica count if not 1 */
	int16_t error;               /* ErrorCode */
	char message[300];           /* ErrorMessage when error */
};

/* Sets an entry's error unless one is set already. */
static void create_partitions_fail(struct create_partitions_topic *ct,
				   int16_t error, const char *message)
{
	if (ct->error)
		return;
	ct->error = error;
	snprintf(ct->message, sizeof ct->message, "%s", message);
}

/* Reads one entry's Assignments, noting what breaks the one-broker rule. */
static void create_partitions_read_assignments(struct kreader *r,
					       struct create_partitions_topic *ct,
					       int32_t node_id)
{
	ct->bad_broker = -1;
	ct->assignment_count = kr_array(r, TOPICS_PARTITIONS_MAX,
					r->flexible ? 2 : 4);
	for (int32_t i = 0; i < ct->assignment_count && !kreader_failed(r); i++) {
		int32_t n = kr_array(r, CREATE_PARTITIONS_BROKER_IDS_MAX, 4);
		if (n < 0)
			kreader_fail(r); /* BrokerIds is not nullable */
		for (int32_t j = 0; j < n; j++) {
			int32_t id = kr_i32(r);         /* BrokerIds */
			if (id != node_id && ct->bad_broker < 0)
				ct->bad_broker = id;
		}
		if (n != 1 && n >= 0 && !ct->bad_replicas)
			ct->bad_replicas = n;
		kr_tags(r);
	}
}

/* Checks and (unless validate_only) grows one topic. */
static void create_partitions_one(struct create_partitions_topic *ct,
				  int validate_only)
{
	if (ct->error)
		return;
	char name[TOPIC_NAME_MAX + 1], err[sizeof ct->message];
	const struct topic *t = NULL;
	if (ct->name.len <= TOPIC_NAME_MAX &&
	    !memchr(ct->name.p, 0, (size_t)ct->name.len)) {
		memcpy(name, ct->name.p, (size_t)ct->name.len);
		name[ct->name.len] = '\0';
		t = catalog_topic_by_name(broker.catalog, name);
	}
	if (!t) {
		create_partitions_fail(ct, KERR_UNKNOWN_TOPIC_OR_PARTITION,
				       "This server does not host this topic-partition.");
		return;
	}
	/* the count first: an assignment check of a decrease makes no sense */
	int rc = topics_add_partitions(t, ct->count, 1, err, sizeof err);
	if (rc) {
		create_partitions_fail(ct, (int16_t)rc, err);
		return;
	}
	int32_t added = ct->count - t->partition_count;
	if (ct->assignment_count >= 0 && ct->assignment_count != added) {
		snprintf(err, sizeof err,
			 "Attempted to add %d additional partition(s), but only %d assignment(s) were specified.",
			 added, ct->assignment_count);
		create_partitions_fail(ct, KERR_INVALID_REPLICA_ASSIGNMENT, err);
		return;
	}
	if (ct->bad_broker >= 0) {
		snprintf(err, sizeof err,
			 "The manual partition assignment includes broker %d, but no such broker is registered.",
			 ct->bad_broker);
		create_partitions_fail(ct, KERR_INVALID_REPLICA_ASSIGNMENT, err);
		return;
	}
	if (ct->bad_replicas) {
		snprintf(err, sizeof err,
			 "The manual partition assignment includes a partition with %d replica(s), but this is not consistent with previous partitions, which have 1 replica(s).",
			 ct->bad_replicas);
		create_partitions_fail(ct, KERR_INVALID_REPLICA_ASSIGNMENT, err);
		return;
	}
	if (validate_only)
		return;
	rc = topics_add_partitions(t, ct->count, 0, err, sizeof err);
	if (rc)
		create_partitions_fail(ct, (int16_t)rc, err);
}

int handle_create_partitions(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int32_t node_id = (int32_t)broker.cfg->node_id;

	int32_t count;
	struct create_partitions_topic *topics = kr_array_calloc(
		r, CREATE_PARTITIONS_MAX, r->flexible ? 7 : 10, sizeof *topics,
		&count);                                       /* Topics */
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		topics[i].name = kr_string(r);                 /* Name */
		topics[i].count = kr_i32(r);                   /* Count */
		create_partitions_read_assignments(r, &topics[i], node_id); /* Assignments */
		kr_tags(r);
	}
	(void)kr_i32(r);                                       /* TimeoutMs */
	int validate_only = kr_bool(r);                        /* ValidateOnly */
	kr_tags(r);
	if (kreader_failed(r)) {
		free(topics);
		return REQ_MALFORMED;
	}

	for (int32_t i = 0; i < count; i++)
		for (int32_t j = 0; j < count; j++)
			if (i != j && topics[i].name.len == topics[j].name.len &&
			    !memcmp(topics[i].name.p, topics[j].name.p,
				    (size_t)topics[i].name.len))
				create_partitions_fail(&topics[i],
						       KERR_INVALID_REQUEST,
						       "Duplicate topic name.");
	for (int32_t i = 0; i < count; i++)
		create_partitions_one(&topics[i], validate_only);

	kw_i32(w, 0);                                          /* ThrottleTimeMs */
	kw_array(w, count);                                    /* Results */
	for (int32_t i = 0; i < count; i++) {
		const struct create_partitions_topic *ct = &topics[i];
		kw_string_len(w, ct->name.p, ct->name.len);    /* Name */
		kw_i16(w, ct->error);                          /* ErrorCode */
		kw_string(w, ct->error ? ct->message : NULL);  /* ErrorMessage */
		kw_tags(w);
	}
	kw_tags(w);
	free(topics);
	return REQ_DONE;
}
