/*
 * LeaveGroup v0-v5.  Up to v2 one member leaves by MemberId and the
 * top-level ErrorCode is its result; from v3 a batch of members, each by
 * MemberId or (administratively, with an empty MemberId) by
 * GroupInstanceId, each with its own ErrorCode.
 */
#include <stdlib.h>

#include "brokerd/groups/coordinator.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/server/request.h"
#include "common/errors.h"

int handle_leave_group(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;

	struct kslice group_id = kr_string(r);             /* GroupId */
	int32_t count = 1;
	struct kslice single = {NULL, -1};
	if (ver <= 2) {
		single = kr_string(r);                     /* MemberId */
	} else {
		count = kr_array(r, GROUP_ARGS_MAX, r->flexible ? 3 : 4); /* Members */
		if (count < 0)
			kreader_fail(r); /* not nullable */
	}
	size_t n = (size_t)(count > 0 ? count : 1);
	struct coordinator_leave_member *members = calloc(n, sizeof *members);
	struct kslice *ids = calloc(n, sizeof *ids), *instances = calloc(n, sizeof *instances),
		      *reasons = calloc(n, sizeof *reasons);
	if (!members || !ids || !instances || !reasons)
		kreader_fail(r);
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		instances[i].len = reasons[i].len = -1;
		if (ver <= 2) {
			ids[i] = single;
			continue;
		}
		ids[i] = kr_string(r);                     /* MemberId */
		instances[i] = kr_nullable_string(r);      /* GroupInstanceId */
		if (ver >= 5)
			reasons[i] = kr_nullable_string(r); /* Reason */
		kr_tags(r);
	}
	kr_tags(r);
	int rc = REQ_MALFORMED;
	if (kreader_failed(r))
		goto out;

	int bad_group = 0, bad = 0;
	char *gid = group_args_str(group_id, &bad_group);
	for (int32_t i = 0; i < count; i++) {
		members[i].member_id = group_args_str(ids[i], &bad);
		members[i].instance_id = group_args_str(instances[i], &bad);
		members[i].reason = group_args_str(reasons[i], &bad);
	}
	int16_t err = bad_group ? KERR_INVALID_GROUP_ID
		      : bad     ? KERR_INVALID_REQUEST
				: coordinator_leave(gid, members, count);
	free(gid);

	if (ver >= 1)
		kw_i32(w, 0);                              /* ThrottleTimeMs */
	if (ver <= 2) {
		kw_i16(w, err ? err : members[0].error);   /* ErrorCode */
	} else {
		kw_i16(w, err);                            /* ErrorCode */
		kw_array(w, err ? 0 : count);              /* Members */
		for (int32_t i = 0; !err && i < count; i++) {
			kw_string_len(w, ids[i].p, ids[i].len); /* MemberId */
			kw_string_len(w, instances[i].p, instances[i].len); /* GroupInstanceId */
			kw_i16(w, members[i].error);       /* ErrorCode */
			kw_tags(w);
		}
	}
	kw_tags(w);
	rc = REQ_DONE;
	for (int32_t i = 0; i < count; i++) {
		free((char *)members[i].member_id);
		free((char *)members[i].instance_id);
		free((char *)members[i].reason);
	}
out:
	free(members);
	free(ids);
	free(instances);
	free(reasons);
	return rc;
}
