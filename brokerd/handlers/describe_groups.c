/*
 * DescribeGroups v0-v5.  A Stable group reports its protocol and, for each
 * member, the metadata it offered for that protocol and the assignment
 * the leader gave it; in other states both are empty, as in Kafka.  An
 * unknown group is reported Dead with no error (Kafka's DeadGroup); a
 * group with an error has an empty state, as in Kafka.  There
 * are no ACLs yet, so AuthorizedOperations is INT32_MIN ("not provided")
 * even when asked for, like Metadata's.
 */
#include <stdlib.h>

#include "brokerd/groups/group.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/groups/groups.h"
#include "brokerd/server/request.h"
#include "common/errors.h"

/* Writes one DescribedGroup. */
static void describe_groups_write(struct kwriter *w, int16_t ver,
				  struct kslice id, int16_t err,
				  const struct group *g)
{
	int stable = g && g->state == GROUP_STABLE;
	kw_i16(w, err);                                    /* ErrorCode */
	kw_string_len(w, id.p, id.len);                    /* GroupId */
	kw_string(w, err ? "" : group_state_name(g ? g->state : GROUP_DEAD)); /* GroupState */
	kw_string(w, g && g->protocol_type ? g->protocol_type : ""); /* ProtocolType */
	kw_string(w, stable ? g->protocol_name : "");      /* ProtocolData */
	kw_array(w, g ? g->member_count : 0);              /* Members */
	const struct group_member *m;
	if (g) {
		TAILQ_FOREACH(m, &g->members, link) {
			const struct group_protocol *p =
				stable ? group_member_protocol(m, g->protocol_name)
				       : NULL;
			kw_string(w, m->member_id);        /* MemberId */
			if (ver >= 4)
				kw_string(w, m->instance_id); /* GroupInstanceId */
			kw_string(w, m->client_id);        /* ClientId */
			kw_string(w, m->client_host);      /* ClientHost */
			kw_bytes(w, p ? p->metadata : NULL,
				 p ? p->metadata_len : 0); /* MemberMetadata */
			kw_bytes(w, stable ? m->assignment : NULL,
				 stable ? m->assignment_len : 0); /* MemberAssignment */
			kw_tags(w);
		}
	}
	if (ver >= 3)
		kw_i32(w, INT32_MIN);                      /* AuthorizedOperations */
	kw_tags(w);
}

int handle_describe_groups(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;

	int32_t count = kr_array(r, GROUP_ARGS_MAX, 1);    /* Groups */
	if (count < 0)
		kreader_fail(r);
	struct kslice *ids = calloc((size_t)(count > 0 ? count : 1), sizeof *ids);
	if (!ids)
		return REQ_MALFORMED;
	for (int32_t i = 0; i < count && !kreader_failed(r); i++)
		ids[i] = kr_string(r);
	if (ver >= 3)
		(void)kr_bool(r);                          /* IncludeAuthorizedOperations */
	kr_tags(r);
	if (kreader_failed(r)) {
		free(ids);
		return REQ_MALFORMED;
	}

	if (ver >= 1)
		kw_i32(w, 0);                              /* ThrottleTimeMs */
	kw_array(w, count);                                /* Groups */
	for (int32_t i = 0; i < count; i++) {
		int bad = 0;
		char *id = group_args_str(ids[i], &bad);
		int16_t err = bad ? KERR_INVALID_GROUP_ID
			      : !groups_available() ? KERR_COORDINATOR_NOT_AVAILABLE
						    : KERR_NONE;
		describe_groups_write(w, ver, ids[i], err,
				      err ? NULL : groups_find(id));
		free(id);
	}
	kw_tags(w);
	free(ids);
	return REQ_DONE;
}
