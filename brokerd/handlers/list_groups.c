/*
 * ListGroups v0-v4: every group the coordinator holds (with members, or
 * only committed offsets), in group id order; v4 filters by state (case
 * does not matter, as in Kafka's newer coordinator) and reports each
 * group's state.  Groups being deleted (Dead) are not listed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "brokerd/groups/group.h"
#include "brokerd/groups/group_args.h"
#include "brokerd/groups/groups.h"
#include "brokerd/server/request.h"
#include "common/errors.h"

/* States one request may filter on; more is malformed. */
#define LIST_GROUPS_STATES_MAX 16

/* Whether state passes the filter (an empty filter passes everything). */
static int list_groups_match(const struct kslice *states, int32_t n,
			     enum group_state state)
{
	const char *name = group_state_name(state);
	size_t len = strlen(name);
	for (int32_t i = 0; i < n; i++)
		if ((size_t)states[i].len == len &&
		    !strncasecmp((const char *)states[i].p, name, len))
			return 1;
	return n == 0;
}

int handle_list_groups(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;

	struct kslice states[LIST_GROUPS_STATES_MAX];
	int32_t nstates = 0;
	if (ver >= 4) {
		nstates = kr_array(r, LIST_GROUPS_STATES_MAX, 1); /* StatesFilter */
		if (nstates < 0)
			kreader_fail(r);
		for (int32_t i = 0; i < nstates && !kreader_failed(r); i++)
			states[i] = kr_string(r);
	}
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;

	int available = groups_available();
	int32_t count = 0;
	for (size_t i = 0; available && i < groups_count(); i++) {
		const struct group *g = groups_at(i);
		count += g->state != GROUP_DEAD &&
			 list_groups_match(states, nstates, g->state);
	}
	if (ver >= 1)
		kw_i32(w, 0);                              /* ThrottleTimeMs */
	kw_i16(w, available ? KERR_NONE : KERR_COORDINATOR_NOT_AVAILABLE); /* ErrorCode */
	kw_array(w, count);                                /* Groups */
	for (size_t i = 0; count && i < groups_count(); i++) {
		const struct group *g = groups_at(i);
		if (g->state == GROUP_DEAD ||
		    !list_groups_match(states, nstates, g->state))
			continue;
		kw_string(w, g->id);                       /* GroupId */
		kw_string(w, g->protocol_type ? g->protocol_type : ""); /* ProtocolType */
		if (ver >= 4)
			kw_string(w, group_state_name(g->state)); /* GroupState */
		kw_tags(w);
	}
	kw_tags(w);
	return REQ_DONE;
}
