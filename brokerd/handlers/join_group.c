/*
 * JoinGroup v0-v9.  The coordinator (brokerd/groups/coordinator.c) decides;
 * this file decodes the request and encodes the answer, which may come at
 * once or when the join phase completes (the request is then deferred and
 * the coordinator calls join_group_write before completing it).
 *
 * v0 has no RebalanceTimeoutMs: the session timeout serves as both, as in
 * Kafka.  From v4 a member without an id gets MEMBER_ID_REQUIRED and its
 * id (KIP-394); from v5 GroupInstanceId makes it static; v9 tells a static
 * leader that rejoins a Stable group to skip its assignment.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/groups/coordinator.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/server/request.h"
#include "common/errors.h"

/* Writes a JoinGroup response body for req's version. */
static void join_group_write(struct request *req, const struct group_join_result *res)
{
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;
	if (ver >= 2)
		kw_i32(w, 0);                              /* ThrottleTimeMs */
	kw_i16(w, res->error);                             /* ErrorCode */
	kw_i32(w, res->generation);                        /* GenerationId */
	if (ver >= 7)
		kw_string(w, res->protocol_type);          /* ProtocolType */
	if (ver >= 7 || res->protocol_name)
		kw_string(w, res->protocol_name);          /* ProtocolName */
	else
		kw_string(w, "");                          /* not nullable */
	kw_string(w, res->leader);                         /* Leader */
	if (ver >= 9)
		kw_bool(w, res->skip_assignment);          /* SkipAssignment */
	kw_string(w, res->member_id);                      /* MemberId */
	const struct group *g = res->members_of;
	kw_array(w, g ? g->member_count : 0);              /* Members */
	const struct group_member *m;
	if (g) {
		TAILQ_FOREACH(m, &g->members, link) {
			const struct group_protocol *p =
				group_member_protocol(m, g->protocol_name);
			kw_string(w, m->member_id);        /* MemberId */
			if (ver >= 5)
				kw_string(w, m->instance_id); /* GroupInstanceId */
			kw_bytes(w, p ? p->metadata : NULL,
				 p ? p->metadata_len : 0); /* Metadata */
			kw_tags(w);
		}
	}
	kw_tags(w);
}

int handle_join_group(struct request *req)
{
	struct kreader *r = &req->r;
	int16_t ver = req->api_version;

	struct kslice group_id = kr_string(r);             /* GroupId */
	int32_t session_timeout = kr_i32(r);               /* SessionTimeoutMs */
	int32_t rebalance_timeout = session_timeout;
	if (ver >= 1)
		rebalance_timeout = kr_i32(r);             /* RebalanceTimeoutMs */
	struct kslice member_id = kr_string(r);            /* MemberId */
	struct kslice instance_id = {NULL, -1};
	if (ver >= 5)
		instance_id = kr_nullable_string(r);       /* GroupInstanceId */
	struct kslice protocol_type = kr_string(r);        /* ProtocolType */
	int32_t count = kr_array(r, GROUP_ARGS_MAX, r->flexible ? 3 : 6); /* Protocols */
	if (count < 0)
		kreader_fail(r); /* not nullable */
	struct kslice *names = calloc((size_t)(count > 0 ? count : 1), sizeof *names);
	struct group_protocol *protocols =
		calloc((size_t)(count > 0 ? count : 1), sizeof *protocols);
	if (!names || !protocols)
		kreader_fail(r);
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		names[i] = kr_string(r);                   /* Name */
		struct kslice meta = kr_bytes(r);          /* Metadata */
		protocols[i].metadata = (uint8_t *)meta.p; /* copied if kept */
		protocols[i].metadata_len = meta.len;
		kr_tags(r);
	}
	struct kslice reason = {NULL, -1};
	if (ver >= 8)
		reason = kr_nullable_string(r);            /* Reason */
	kr_tags(r);
	if (kreader_failed(r)) {
		free(names);
		free(protocols);
		return REQ_MALFORMED;
	}

	int bad_group = 0, bad = 0;
	char host[80];
	struct coordinator_join_args a = {
		.session_timeout_ms = session_timeout,
		.rebalance_timeout_ms = rebalance_timeout,
		.protocol_count = count,
		.protocols = protocols,
		.require_known_member_id = ver >= 4,
		.supports_skip_assignment = ver >= 9,
		.client_host = group_args_client_host(req, host, sizeof host),
		.write = join_group_write,
	};
	char *gid = group_args_str(group_id, &bad_group);
	char *mid = group_args_str(member_id, &bad);
	char *iid = group_args_str(instance_id, &bad);
	char *ptype = group_args_str(protocol_type, &bad);
	char *why = group_args_str(reason, &bad);
	char *cid = group_args_client_id(req, &bad);
	for (int32_t i = 0; i < count; i++)
		protocols[i].name = group_args_str(names[i], &bad);
	a.group_id = gid;
	a.member_id = mid;
	a.instance_id = iid;
	a.protocol_type = ptype;
	a.reason = why;
	a.client_id = cid;

	int rc;
	if (bad_group || bad) {
		struct group_join_result res = {
			.error = bad_group ? KERR_INVALID_GROUP_ID : KERR_INVALID_REQUEST,
			.generation = -1, .leader = "", .member_id = "",
		};
		join_group_write(req, &res);
		rc = REQ_DONE;
	} else {
		rc = coordinator_join(req, &a);
	}
	for (int32_t i = 0; i < count; i++)
		free(protocols[i].name);
	free(protocols);
	free(names);
	free(gid);
	free(mid);
	free(iid);
	free(ptype);
	free(why);
	free(cid);
	return rc;
}
