/*
 * OffsetFetch v0-v8.  Answers from the coordinator's memory, which holds
 * exactly the offsets that are durable.  A partition without an offset, of
 * a group that does not exist, or of a topic deleted since (the topic id
 * changed) gets CommittedOffset -1, no leader epoch and metadata "".  Null
 * Topics (v2+) asks for every offset of the group.  v8 asks for several
 * groups at once.  RequireStable (v7+): a partition for which a
 * transaction has offsets pending (TxnOffsetCommit, not yet ended) is
 * answered UNSTABLE_OFFSET_COMMIT, which the client retries, as Kafka
 * does; the flag comes last in the request, so a first pass over a copy
 * of the reader finds it.  Like ListOffsets, the response is written
 * while the request is read.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/groups/group.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/groups/group_txn_offsets.h"
#include "brokerd/groups/groups.h"
#include "brokerd/server/request.h"
#include "common/errors.h"

/* The group's offsets entry for a topic, unless stale or absent. */
static const struct group_offset_topic *offset_fetch_topic(const struct group *g,
							   const char *name,
							   size_t len)
{
	if (!g || g->state == GROUP_DEAD)
		return NULL;
	const struct group_offset_topic *t = group_offsets_topic(&g->offsets, name, len);
	return t && groups_topic_current(t->name, t->id) ? t : NULL;
}

/* Writes one partition's answer. */
static void offset_fetch_write_part(struct kwriter *w, int16_t ver,
				    int32_t index, const struct group_offset *o,
				    int16_t err)
{
	kw_i32(w, index);                                  /* PartitionIndex */
	kw_i64(w, o ? o->offset : -1);                     /* CommittedOffset */
	if (ver >= 5)
		kw_i32(w, o ? o->leader_epoch : -1);       /* CommittedLeaderEpoch */
	if (o)
		kw_string_len(w, o->metadata, (int32_t)o->metadata_len); /* Metadata */
	else
		kw_string(w, "");
	kw_i16(w, err);                                    /* ErrorCode */
	kw_tags(w);
}

/* The answer for one partition: an offset a transaction still holds
 * pending is unstable when the client asks for stable ones. */
static void offset_fetch_answer(struct kwriter *w, int16_t ver, const struct group *g,
				const char *topic, size_t topic_len, int32_t index,
				const struct group_offset *o, int16_t err,
				int require_stable)
{
	if (!err && require_stable && g &&
	    group_txn_offsets_pending(g, topic, topic_len, index)) {
		o = NULL;
		err = KERR_UNSTABLE_OFFSET_COMMIT;
	}
	offset_fetch_write_part(w, ver, index, o, err);
}

/* Skips one group's Topics in a first pass; fails the reader when they do
 * not parse. */
static void offset_fetch_skip_topics(struct kreader *r)
{
	int32_t ntopics = kr_array(r, GROUP_ARGS_MAX, r->flexible ? 3 : 6);
	for (int32_t i = 0; i < ntopics && !kreader_failed(r); i++) {
		(void)kr_string(r);
		int32_t nparts = kr_array(r, GROUP_ARGS_MAX, 4);
		for (int32_t k = 0; k < nparts && !kreader_failed(r); k++)
			(void)kr_i32(r);
		kr_tags(r);
	}
}

/* RequireStable of a v7+ request, read from a copy of the reader. */
static int offset_fetch_require_stable(struct kreader r, int16_t ver)
{
	if (ver < 7)
		return 0;
	if (ver == 7) {
		(void)kr_string(&r);
		offset_fetch_skip_topics(&r);
	} else {
		int32_t ngroups = kr_array(&r, GROUP_ARGS_MAX, 3);
		for (int32_t i = 0; i < ngroups && !kreader_failed(&r); i++) {
			(void)kr_string(&r);
			offset_fetch_skip_topics(&r);
			kr_tags(&r);
		}
	}
	return kr_bool(&r) && !kreader_failed(&r);
}

/* Writes every offset the group holds (Topics null). */
static void offset_fetch_write_all(struct kwriter *w, int16_t ver,
				   const struct group *g, int require_stable)
{
	int32_t n = 0;
	for (size_t i = 0; g && g->state != GROUP_DEAD && i < g->offsets.count; i++)
		n += offset_fetch_topic(g, g->offsets.topics[i].name,
					strlen(g->offsets.topics[i].name)) != NULL;
	kw_array(w, n);                                    /* Topics */
	for (size_t i = 0; n && i < g->offsets.count; i++) {
		const struct group_offset_topic *t = &g->offsets.topics[i];
		if (!offset_fetch_topic(g, t->name, strlen(t->name)))
			continue;
		kw_string(w, t->name);                     /* Name */
		kw_array(w, (int32_t)t->count);            /* Partitions */
		for (size_t k = 0; k < t->count; k++)
			offset_fetch_answer(w, ver, g, t->name, strlen(t->name),
					    t->parts[k].partition, &t->parts[k],
					    KERR_NONE, require_stable);
		kw_tags(w);
	}
}

/* Reads one group's Topics and writes its answer's Topics; returns the
 * group-level ErrorCode. */
static int16_t offset_fetch_group(struct kreader *r, struct kwriter *w,
				  int16_t ver, struct kslice group_id,
				  int require_stable)
{
	if (kreader_failed(r))
		return KERR_NONE; /* the request is malformed: no answer */
	int bad = 0;
	char *id = group_args_str(group_id, &bad);
	int16_t err = bad ? KERR_INVALID_GROUP_ID
		      : !groups_available() ? KERR_COORDINATOR_NOT_AVAILABLE
					    : KERR_NONE;
	const struct group *g = err ? NULL : groups_find(id);
	free(id);
	/* before v2 there is no group-level error: partitions carry it */
	int16_t part_err = ver < 2 ? err : KERR_NONE;

	int32_t ntopics = kr_array(r, GROUP_ARGS_MAX, r->flexible ? 3 : 6); /* Topics */
	if (ntopics < 0 && ver < 2)
		kreader_fail(r); /* nullable from v2 */
	if (kreader_failed(r))
		return err;
	/* from v2 a group-level error comes with no topics (as in Kafka);
	 * the request's topics are still read */
	int echo = !(err && ver >= 2);
	if (ntopics < 0) {
		if (echo)
			offset_fetch_write_all(w, ver, g, require_stable);
		else
			kw_array(w, 0);
		return err;
	}
	kw_array(w, echo ? ntopics : 0);                   /* Topics */
	for (int32_t i = 0; i < ntopics && !kreader_failed(r); i++) {
		struct kslice name = kr_string(r);         /* Name */
		int32_t nparts = kr_array(r, GROUP_ARGS_MAX, 4); /* PartitionIndexes */
		if (nparts < 0)
			kreader_fail(r);
		const struct group_offset_topic *t =
			name.len >= 0 ? offset_fetch_topic(g, (const char *)name.p,
							   (size_t)name.len)
				      : NULL;
		if (echo) {
			kw_string_len(w, name.p, name.len); /* Name */
			kw_array(w, nparts);               /* Partitions */
		}
		for (int32_t k = 0; k < nparts && !kreader_failed(r); k++) {
			int32_t index = kr_i32(r);
			if (echo)
				offset_fetch_answer(
					w, ver, g, (const char *)name.p,
					name.len > 0 ? (size_t)name.len : 0, index,
					t ? group_offsets_part(t, index) : NULL,
					part_err, require_stable);
		}
		kr_tags(r);
		if (echo)
			kw_tags(w);
	}
	return err;
}

int handle_offset_fetch(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;

	int require_stable = offset_fetch_require_stable(*r, ver);
	if (ver >= 3)
		kw_i32(w, 0);                              /* ThrottleTimeMs */
	if (ver <= 7) {
		struct kslice group_id = kr_string(r);     /* GroupId */
		int16_t err = offset_fetch_group(r, w, ver, group_id,
						 require_stable); /* Topics */
		if (ver >= 7)
			(void)kr_bool(r);                  /* RequireStable */
		if (ver >= 2)
			kw_i16(w, err);                    /* ErrorCode */
	} else {
		int32_t ngroups = kr_array(r, GROUP_ARGS_MAX, 3); /* Groups */
		if (ngroups < 0)
			kreader_fail(r);
		kw_array(w, ngroups);                      /* Groups */
		for (int32_t i = 0; i < ngroups && !kreader_failed(r); i++) {
			struct kslice group_id = kr_string(r); /* GroupId */
			kw_string_len(w, group_id.p, group_id.len); /* GroupId */
			int16_t err = offset_fetch_group(r, w, ver, group_id,
							 require_stable); /* Topics */
			kr_tags(r);
			kw_i16(w, err);                    /* ErrorCode */
			kw_tags(w);
		}
		(void)kr_bool(r);                          /* RequireStable */
	}
	kr_tags(r);
	kw_tags(w);
	return kreader_failed(r) ? REQ_MALFORMED : REQ_DONE;
}
