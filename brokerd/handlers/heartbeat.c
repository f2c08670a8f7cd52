/*
 * Heartbeat v0-v4: keeps a member's session alive and tells it of a
 * rebalance (REBALANCE_IN_PROGRESS), a newer generation
 * (ILLEGAL_GENERATION) or that it is no longer a member.
 */
#include <stdlib.h>

#include "brokerd/groups/coordinator.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/server/request.h"
#include "common/errors.h"

int handle_heartbeat(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;

	struct kslice group_id = kr_string(r);             /* GroupId */
	int32_t generation = kr_i32(r);                    /* GenerationId */
	struct kslice member_id = kr_string(r);            /* MemberId */
	struct kslice instance_id = {NULL, -1};
	if (ver >= 3)
		instance_id = kr_nullable_string(r);       /* GroupInstanceId */
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;

	int bad_group = 0, bad = 0;
	char *gid = group_args_str(group_id, &bad_group);
	char *mid = group_args_str(member_id, &bad);
	char *iid = group_args_str(instance_id, &bad);
	int16_t err = bad_group ? KERR_INVALID_GROUP_ID
		      : bad     ? KERR_INVALID_REQUEST
				: coordinator_heartbeat(gid, generation, mid, iid);
	free(gid);
	free(mid);
	free(iid);

	if (ver >= 1)
		kw_i32(w, 0);                              /* ThrottleTimeMs */
	kw_i16(w, err);                                    /* ErrorCode */
	kw_tags(w);
	return REQ_DONE;
}
