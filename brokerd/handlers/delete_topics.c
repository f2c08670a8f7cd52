/*
 * DeleteTopics v0-v6.  Topics come by name (TopicNames, v0-v5) or as
 * Topics entries holding either a Name or a TopicId (v6+).  The whole
 * request is read and every entry resolved before anything is deleted, so
 * that a request that does not parse deletes nothing and a topic named
 * twice (by name or by id) is refused as INVALID_REQUEST rather than
 * deleted once and then reported unknown.  Deletion is synchronous
 * (journaled by the catalog before the answer); TimeoutMs is read and
 * ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "common/errors.h"

/* Topics one request may name; more is malformed. */
#define DELETE_TOPICS_MAX 10000

/* One requested deletion and its result. */
struct delete_topic {
	struct kslice name;        /* Name as asked (null: by id) */
	uint8_t topic_id[16];      /* TopicId as asked (v6+) */
	const struct topic *topic; /* resolved, NULL if unknown */
	int16_t error;             /* ErrorCode */
	const char *message;       /* ErrorMessage (static text) */
	char found_name[TOPIC_NAME_MAX + 1]; /* kept past the deletion */
	uint8_t found_id[16];
};

static const uint8_t delete_zero_id[16];

/* Finds the topic a request entry names, or sets its error. */
static void delete_topics_resolve(struct delete_topic *dt)
{
	int by_id = memcmp(dt->topic_id, delete_zero_id, 16) != 0;
	if (dt->name.len >= 0 && by_id) {
		dt->error = KERR_INVALID_REQUEST;
		dt->message = "You may not specify both topic name and topic id.";
		return;
	}
	if (dt->name.len < 0 && !by_id) {
		dt->error = KERR_INVALID_REQUEST;
		dt->message = "Neither topic name nor id were specified.";
		return;
	}
	if (by_id) {
		dt->topic = catalog_topic_by_id(broker.catalog, dt->topic_id);
		if (!dt->topic) {
			dt->error = KERR_UNKNOWN_TOPIC_ID;
			dt->message = "This server does not host this topic ID.";
		}
		return;
	}
	/* a name too long or with a NUL byte cannot be in the catalog */
	char name[TOPIC_NAME_MAX + 1];
	if ((size_t)dt->name.len < sizeof name &&
	    !memchr(dt->name.p, 0, (size_t)dt->name.len)) {
		memcpy(name, dt->name.p, (size_t)dt->name.len);
		name[dt->name.len] = '\0';
		dt->topic = catalog_topic_by_name(broker.catalog, name);
	}
	if (!dt->topic) {
		dt->error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		dt->message = "This server does not host this topic-partition.";
	}
}

int handle_delete_topics(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;

	int32_t count;
	if (ver >= 6)
		count = kr_array(r, DELETE_TOPICS_MAX, 16 + 2);  /* Topics */
	else
		count = kr_array(r, DELETE_TOPICS_MAX, r->flexible ? 1 : 2); /* TopicNames */
	if (count < 0)
		kreader_fail(r); /* not nullable */
	struct delete_topic *topics = NULL;
	if (count > 0) {
		topics = calloc((size_t)count, sizeof *topics);
		if (!topics)
			return REQ_MALFORMED;
	}
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		if (ver >= 6) {
			topics[i].name = kr_nullable_string(r);  /* Name */
			kr_uuid(r, topics[i].topic_id);          /* TopicId */
			kr_tags(r);
		} else {
			topics[i].name = kr_string(r);           /* TopicNames[i] */
		}
	}
	(void)kr_i32(r);                                         /* TimeoutMs */
	kr_tags(r);
	if (kreader_failed(r)) {
		free(topics);
		return REQ_MALFORMED;
	}

	for (int32_t i = 0; i < count; i++)
		delete_topics_resolve(&topics[i]);
	for (int32_t i = 0; i < count; i++) {
		for (int32_t j = 0; j < count && topics[i].topic; j++) {
			if (i != j && topics[i].topic == topics[j].topic) {
				topics[i].error = KERR_INVALID_REQUEST;
				topics[i].message = "Duplicate topic name.";
			}
		}
	}
	for (int32_t i = 0; i < count; i++) {
		struct delete_topic *dt = &topics[i];
		if (!dt->topic)
			continue;
		memcpy(dt->found_name, dt->topic->name, sizeof dt->found_name);
		memcpy(dt->found_id, dt->topic->id, 16);
		if (dt->error)
			continue;
		dt->error = (int16_t)topics_delete(dt->topic);
		if (dt->error)
			dt->message = "The catalog could not record the deletion.";
	}
	/* the topic pointers are stale from here on */

	if (ver >= 1)
		kw_i32(w, 0);                                  /* ThrottleTimeMs */
	kw_array(w, count);                                    /* Responses */
	for (int32_t i = 0; i < count; i++) {
		const struct delete_topic *dt = &topics[i];
		int found = dt->found_name[0] != '\0';
		if (found)
			kw_string(w, dt->found_name);          /* Name */
		else /* as asked: null (v6+ only) for an unknown id */
			kw_string_len(w, dt->name.p, dt->name.len);
		if (ver >= 6)
			kw_uuid(w, found ? dt->found_id : dt->topic_id); /* TopicId */
		kw_i16(w, dt->error);                          /* ErrorCode */
		if (ver >= 5)
			kw_string(w, dt->error ? dt->message : NULL); /* ErrorMessage */
		kw_tags(w);
	}
	kw_tags(w);
	free(topics);
	return REQ_DONE;
}
