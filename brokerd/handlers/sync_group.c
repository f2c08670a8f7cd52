/*
 * SyncGroup v0-v5.  The leader sends every member's assignment; the other
 * members wait (the request is deferred) until it has, then each gets its
 * own.  From v5 ProtocolType and ProtocolName are mandatory and must be the
 * group's (INCONSISTENT_GROUP_PROTOCOL otherwise, as in Kafka).
 */
#include <stdlib.h>

#include "brokerd/groups/coordinator.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/server/request.h"
#include "common/errors.h"

/* Writes a SyncGroup response body for req's version. */
static void sync_group_write(struct request *req, const struct group_sync_result *res)
{
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;
	if (ver >= 1)
		kw_i32(w, 0);                              /* ThrottleTimeMs */
	kw_i16(w, res->error);                             /* ErrorCode */
	if (ver >= 5) {
		kw_string(w, res->error ? NULL : res->protocol_type); /* ProtocolType */
		kw_string(w, res->error ? NULL : res->protocol_name); /* ProtocolName */
	}
	kw_bytes(w, res->error ? NULL : res->assignment,
		 res->error ? 0 : res->assignment_len);    /* Assignment */
	kw_tags(w);
}

int handle_sync_group(struct request *req)
{
	struct kreader *r = &req->r;
	int16_t ver = req->api_version;

	struct kslice group_id = kr_string(r);             /* GroupId */
	int32_t generation = kr_i32(r);                    /* GenerationId */
	struct kslice member_id = kr_string(r);            /* MemberId */
	struct kslice instance_id = {NULL, -1};
	if (ver >= 3)
		instance_id = kr_nullable_string(r);       /* GroupInstanceId */
	struct kslice protocol_type = {NULL, -1}, protocol_name = {NULL, -1};
	if (ver >= 5) {
		protocol_type = kr_nullable_string(r);     /* ProtocolType */
		protocol_name = kr_nullable_string(r);     /* ProtocolName */
	}
	int32_t count = kr_array(r, GROUP_ARGS_MAX, r->flexible ? 3 : 6); /* Assignments */
	if (count < 0)
		kreader_fail(r); /* not nullable */
	size_t n = (size_t)(count > 0 ? count : 1);
	struct kslice *ids = calloc(n, sizeof *ids);
	const uint8_t **assignments = calloc(n, sizeof *assignments);
	int32_t *lens = calloc(n, sizeof *lens);
	char **members = calloc(n, sizeof *members);
	if (!ids || !assignments || !lens || !members)
		kreader_fail(r);
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		ids[i] = kr_string(r);                     /* MemberId */
		struct kslice a = kr_bytes(r);             /* Assignment */
		assignments[i] = a.p;
		lens[i] = a.len;
		kr_tags(r);
	}
	kr_tags(r);
	int rc = REQ_MALFORMED;
	if (kreader_failed(r))
		goto out;

	int bad_group = 0, bad = 0;
	struct coordinator_sync_args a = {
		.generation = generation,
		.assignment_members = (const char *const *)members,
		.assignments = assignments,
		.assignment_lens = lens,
		.assignment_count = count,
		.write = sync_group_write,
	};
	char *gid = group_args_str(group_id, &bad_group);
	char *mid = group_args_str(member_id, &bad);
	char *iid = group_args_str(instance_id, &bad);
	char *ptype = group_args_str(protocol_type, &bad);
	char *pname = group_args_str(protocol_name, &bad);
	for (int32_t i = 0; i < count; i++)
		members[i] = group_args_str(ids[i], &bad);
	a.group_id = gid;
	a.member_id = mid;
	a.instance_id = iid;
	a.protocol_type = ptype;
	a.protocol_name = pname;
	if (bad_group || bad) {
		struct group_sync_result res = {
			.error = bad_group ? KERR_INVALID_GROUP_ID : KERR_INVALID_REQUEST,
		};
		sync_group_write(req, &res);
		rc = REQ_DONE;
	} else if (ver >= 5 && (!ptype || !pname)) {
		struct group_sync_result res = {.error = KERR_INCONSISTENT_GROUP_PROTOCOL};
		sync_group_write(req, &res);
		rc = REQ_DONE;
	} else {
		rc = coordinator_sync(req, &a);
	}
	free(gid);
	free(mid);
	free(iid);
	free(ptype);
	free(pname);
out:
	for (int32_t i = 0; members && i < count; i++)
		free(members[i]);
	free(members);
	free(ids);
	free(assignments);
	free(lens);
	return rc;
}
