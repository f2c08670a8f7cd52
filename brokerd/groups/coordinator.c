/*
 * The coordinator's request paths (see coordinator.h), following Kafka's
 * GroupCoordinator (handleJoinGroup, handleSyncGroup, handleHeartbeat,
 * handleLeaveGroup, validateOffsetCommit) case by case; the comments name
 * the Kafka function each part mirrors.
 *
 * Static membership (KIP-345): a group.instance.id maps to one member id.
 * A known instance joining without a member id takes over the member's
 * place under a new id, and the old id is fenced (FENCED_INSTANCE_ID) at
 * once.  In a Stable group that causes no rebalance when the protocol the
 * group would now select is the one it uses: the member keeps its
 * assignment.  Like Kafka, the member's metadata is compared only through
 * that selection; a consumer's subscription metadata carries the
 * partitions it owns, which a restarted process never has, so comparing
 * it byte for byte would rebalance on every restart.
 *
 * Threading: event loop only.  Nothing durable here.
 */
#include "brokerd/groups/coordinator.h"

#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/groups/groups.h"
#include "brokerd/groups/rebalance.h"
#include "brokerd/server/request.h"
#include "common/errors.h"
#include "common/log.h"

/* Kafka's validateCurrentMember: a static member's id must be the one its
 * instance maps to; a dynamic member must exist. */
static int16_t coordinator_validate_member(const struct group *g,
					   const char *member_id,
					   const char *instance_id)
{
	if (instance_id) {
		const struct group_member *m = group_static_find(g, instance_id);
		if (!m)
			return KERR_UNKNOWN_MEMBER_ID;
		if (strcmp(m->member_id, member_id)) {
			log_info("groups: %s: instance %s fenced: member %s, current %s",
				 g->id, instance_id, member_id, m->member_id);
			return KERR_FENCED_INSTANCE_ID;
		}
		return 0;
	}
	return group_member_find(g, member_id) ? 0 : KERR_UNKNOWN_MEMBER_ID;
}

/* Answers a JoinGroup at once with an error. */
static int coordinator_join_error(struct request *req,
				  const struct coordinator_join_args *a,
				  int16_t err, const char *member_id)
{
	struct group_join_result res = {
		.error = err, .generation = -1, .leader = "",
		.member_id = member_id,
	};
	a->write(req, &res);
	return REQ_DONE;
}

/* Kafka's addMemberAndRebalance: a new member (or a pending one joining
 * with its id) waits for the join phase. */
static int coordinator_add_and_rebalance(struct request *req, struct group *g,
					 char *member_id,
					 const struct coordinator_join_args *a)
{
	struct group_member *m = rebalance_member_add(
		g, member_id, a->instance_id, a->client_id, a->client_host,
		a->session_timeout_ms, a->rebalance_timeout_ms, a->protocol_type,
		a->protocols, a->protocol_count);
	if (!m) {
		free(member_id);
		return coordinator_join_error(req, a, KERR_COORDINATOR_NOT_AVAILABLE, "");
	}
	log_info("groups: %s: member %s%s%s joins (%s)", g->id, m->member_id,
		 m->instance_id ? " instance " : "",
		 m->instance_id ? m->instance_id : "", a->reason ? a->reason : "new");
	rebalance_wait_join(m, req, a->write);
	rebalance_maybe_prepare(g, "a new member joined");
	return REQ_DEFERRED;
}

/* Kafka's updateMemberAndRebalance: a known member's join waits for the
 * (possibly new) join phase with its protocols updated. */
static int coordinator_update_and_rebalance(struct request *req, struct group *g,
					    struct group_member *m,
					    const struct coordinator_join_args *a,
					    const char *reason)
{
	if (group_member_set_protocols(m, a->protocols, a->protocol_count))
		return coordinator_join_error(req, a, KERR_COORDINATOR_NOT_AVAILABLE,
					      m->member_id);
	m->session_timeout_ms = a->session_timeout_ms;
	m->rebalance_timeout_ms = a->rebalance_timeout_ms;
	rebalance_wait_join(m, req, a->write);
	rebalance_maybe_prepare(g, reason);
	return REQ_DEFERRED;
}

/* Kafka's updateStaticMemberAndRebalance: instance m restarts under
 * new_id. */
static int coordinator_static_replace(struct request *req, struct group *g,
				      struct group_member *m, char *new_id,
				      const struct coordinator_join_args *a)
{
	/* the answer for clients before v9 names the old leader, so that
	 * the returning leader does not run an assignment a Stable group
	 * would ignore */
	char *old_leader = strdup(g->leader ? g->leader->member_id : "");
	if (!old_leader || group_member_set_protocols(m, a->protocols,
						      a->protocol_count)) {
		free(old_leader);
		free(new_id);
		return coordinator_join_error(req, a, KERR_COORDINATOR_NOT_AVAILABLE, "");
	}
	struct group_join_result fenced = {
		.error = KERR_FENCED_INSTANCE_ID, .generation = -1, .leader = "",
		.member_id = m->member_id,
	};
	struct group_sync_result sfenced = {.error = KERR_FENCED_INSTANCE_ID};
	rebalance_answer_join(m, &fenced);
	rebalance_answer_sync(m, &sfenced);
	log_info("groups: %s: instance %s rejoins: member %s replaces %s",
		 g->id, m->instance_id, new_id, m->member_id);
	free(m->member_id);
	m->member_id = new_id;
	m->session_timeout_ms = a->session_timeout_ms;
	m->rebalance_timeout_ms = a->rebalance_timeout_ms;
	rebalance_heartbeat(m);

	int rc = REQ_DEFERRED;
	switch (g->state) {
	case GROUP_STABLE: {
		const char *sel = group_select_protocol(g);
		if (!sel || !g->protocol_name || strcmp(sel, g->protocol_name)) {
			rebalance_wait_join(m, req, a->write);
			rebalance_prepare(g, "a static member rejoined with other protocols");
			break;
		}
		struct group_join_result res;
		rebalance_join_result(g, m, &res);
		if (a->supports_skip_assignment) {
			/* v9: the leader learns it leads, without assigning */
			res.skip_assignment = g->leader == m;
		} else {
			res.leader = old_leader;
			res.members_of = NULL;
		}
		a->write(req, &res);
		rc = REQ_DONE;
		break;
	}
	case GROUP_COMPLETING_REBALANCE:
		/* the leader may be assigning to the old member id */
		rebalance_wait_join(m, req, a->write);
		rebalance_prepare(g, "a static member rejoined during the sync phase");
		break;
	case GROUP_PREPARING_REBALANCE:
		rebalance_wait_join(m, req, a->write);
		break;
	case GROUP_EMPTY:
	case GROUP_DEAD:
		log_panic("groups: %s: static member in a %s group", g->id,
			  group_state_name(g->state));
	}
	free(old_leader);
	return rc;
}

/* Kafka's doNewMemberJoinGroup: a join without a member id. */
static int coordinator_join_new(struct request *req, struct group *g,
				const struct coordinator_join_args *a)
{
	char *new_id = group_member_id_new(a->instance_id ? a->instance_id
							  : a->client_id);
	if (!new_id)
		return coordinator_join_error(req, a, KERR_COORDINATOR_NOT_AVAILABLE, "");
	if (a->instance_id) {
		struct group_member *m = group_static_find(g, a->instance_id);
		if (m)
			return coordinator_static_replace(req, g, m, new_id, a);
		return coordinator_add_and_rebalance(req, g, new_id, a);
	}
	if (a->require_known_member_id) {
		/* KIP-394: hand out the id and have the client join again
		 * with it, so that a client that times out and retries does
		 * not leave a ghost member behind */
		if (rebalance_pending_add(g, new_id, a->session_timeout_ms)) {
			free(new_id);
			return coordinator_join_error(req, a,
						      KERR_COORDINATOR_NOT_AVAILABLE, "");
		}
		coordinator_join_error(req, a, KERR_MEMBER_ID_REQUIRED, new_id);
		free(new_id);
		return REQ_DONE;
	}
	return coordinator_add_and_rebalance(req, g, new_id, a);
}

/* Kafka's doCurrentMemberJoinGroup: a join with a member id. */
static int coordinator_join_current(struct request *req, struct group *g,
				    const struct coordinator_join_args *a)
{
	struct group_pending *p = group_pending_find(g, a->member_id);
	if (p && !a->instance_id) {
		char *id = strdup(a->member_id);
		if (!id)
			return coordinator_join_error(req, a,
						      KERR_COORDINATOR_NOT_AVAILABLE,
						      a->member_id);
		rebalance_pending_remove(g, p);
		return coordinator_add_and_rebalance(req, g, id, a);
	}
	int16_t err = coordinator_validate_member(g, a->member_id, a->instance_id);
	if (err)
		return coordinator_join_error(req, a, err, a->member_id);
	struct group_member *m = group_member_find(g, a->member_id);
	struct group_join_result res;
	switch (g->state) {
	case GROUP_PREPARING_REBALANCE:
		return coordinator_update_and_rebalance(req, g, m, a,
							"a member rejoined");
	case GROUP_COMPLETING_REBALANCE:
		if (!group_member_matches(m, a->protocols, a->protocol_count))
			return coordinator_update_and_rebalance(
				req, g, m, a, "a member changed its protocols");
		/* it missed the answer to its first join: send it again */
		rebalance_join_result(g, m, &res);
		a->write(req, &res);
		return REQ_DONE;
	case GROUP_STABLE:
		if (m == g->leader)
			/* the leader rejoins to have its assignment redone
			 * (e.g. after a topic's partitions changed) */
			return coordinator_update_and_rebalance(
				req, g, m, a, "the leader rejoined");
		if (!group_member_matches(m, a->protocols, a->protocol_count))
			return coordinator_update_and_rebalance(
				req, g, m, a, "a member changed its protocols");
		rebalance_join_result(g, m, &res);
		res.members_of = NULL;
		a->write(req, &res);
		return REQ_DONE;
	case GROUP_EMPTY:
	case GROUP_DEAD:
		break;
	}
	return coordinator_join_error(req, a, KERR_UNKNOWN_MEMBER_ID, a->member_id);
}

int coordinator_join(struct request *req, const struct coordinator_join_args *a)
{
	if (!groups_available())
		return coordinator_join_error(req, a, KERR_COORDINATOR_NOT_AVAILABLE,
					      a->member_id);
	if (!a->group_id[0])
		return coordinator_join_error(req, a, KERR_INVALID_GROUP_ID,
					      a->member_id);
	if (a->session_timeout_ms < broker.cfg->group_min_session_timeout_ms ||
	    a->session_timeout_ms > broker.cfg->group_max_session_timeout_ms)
		return coordinator_join_error(req, a, KERR_INVALID_SESSION_TIMEOUT,
					      a->member_id);
	int unknown = a->member_id[0] == '\0';
	struct group *g = unknown ? groups_find_or_create(a->group_id)
				  : groups_find(a->group_id);
	if (!g)
		return coordinator_join_error(req, a,
					      unknown ? KERR_COORDINATOR_NOT_AVAILABLE
						      : KERR_UNKNOWN_MEMBER_ID,
					      a->member_id);
	if (g->state == GROUP_DEAD) /* being deleted: the client retries */
		return coordinator_join_error(req, a, KERR_COORDINATOR_NOT_AVAILABLE,
					      a->member_id);
	if (!group_supports(g, a->protocol_type, a->protocols, a->protocol_count))
		return coordinator_join_error(req, a, KERR_INCONSISTENT_GROUP_PROTOCOL,
					      a->member_id);
	int rc = unknown ? coordinator_join_new(req, g, a)
			 : coordinator_join_current(req, g, a);
	if (g->state == GROUP_PREPARING_REBALANCE)
		rebalance_check_join(g);
	return rc;
}

/* Answers a SyncGroup at once with an error. */
static int coordinator_sync_error(struct request *req,
				  const struct coordinator_sync_args *a,
				  int16_t err)
{
	struct group_sync_result res = {.error = err};
	a->write(req, &res);
	return REQ_DONE;
}

int coordinator_sync(struct request *req, const struct coordinator_sync_args *a)
{
	if (!groups_available())
		return coordinator_sync_error(req, a, KERR_COORDINATOR_NOT_AVAILABLE);
	if (!a->group_id[0])
		return coordinator_sync_error(req, a, KERR_INVALID_GROUP_ID);
	struct group *g = groups_find(a->group_id);
	if (!g)
		return coordinator_sync_error(req, a, KERR_UNKNOWN_MEMBER_ID);
	if (g->state == GROUP_DEAD)
		return coordinator_sync_error(req, a, KERR_COORDINATOR_NOT_AVAILABLE);
	int16_t err = coordinator_validate_member(g, a->member_id, a->instance_id);
	if (err)
		return coordinator_sync_error(req, a, err);
	if (a->generation != g->generation)
		return coordinator_sync_error(req, a, KERR_ILLEGAL_GENERATION);
	if ((a->protocol_type && (!g->protocol_type ||
				  strcmp(a->protocol_type, g->protocol_type))) ||
	    (a->protocol_name && (!g->protocol_name ||
				  strcmp(a->protocol_name, g->protocol_name))))
		return coordinator_sync_error(req, a, KERR_INCONSISTENT_GROUP_PROTOCOL);
	struct group_member *m = group_member_find(g, a->member_id);
	struct group_sync_result res = {
		.protocol_type = g->protocol_type,
		.protocol_name = g->protocol_name,
	};
	switch (g->state) {
	case GROUP_EMPTY:
		return coordinator_sync_error(req, a, KERR_UNKNOWN_MEMBER_ID);
	case GROUP_PREPARING_REBALANCE:
		return coordinator_sync_error(req, a, KERR_REBALANCE_IN_PROGRESS);
	case GROUP_COMPLETING_REBALANCE:
		rebalance_synced(g, m);
		if (m != g->leader) {
			rebalance_wait_sync(m, req, a->write);
			return REQ_DEFERRED;
		}
		log_info("groups: %s: assignment from leader %s for generation %d",
			 g->id, m->member_id, g->generation);
		rebalance_assign(g, a->assignment_members, a->assignments,
				 a->assignment_lens, a->assignment_count);
		break;
	case GROUP_STABLE:
		rebalance_synced(g, m);
		break;
	case GROUP_DEAD:
		return coordinator_sync_error(req, a, KERR_COORDINATOR_NOT_AVAILABLE);
	}
	res.assignment = m->assignment;
	res.assignment_len = m->assignment_len;
	a->write(req, &res);
	rebalance_heartbeat(m);
	return REQ_DONE;
}

int16_t coordinator_heartbeat(const char *group_id, int32_t generation,
			      const char *member_id, const char *instance_id)
{
	if (!groups_available())
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (!group_id[0])
		return KERR_INVALID_GROUP_ID;
	struct group *g = groups_find(group_id);
	if (!g)
		return KERR_UNKNOWN_MEMBER_ID;
	if (g->state == GROUP_DEAD)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	int16_t err = coordinator_validate_member(g, member_id, instance_id);
	if (err)
		return err;
	if (generation != g->generation)
		return KERR_ILLEGAL_GENERATION;
	if (g->state == GROUP_EMPTY)
		return KERR_UNKNOWN_MEMBER_ID;
	rebalance_heartbeat(group_member_find(g, member_id));
	/* the member learns of a rebalance from its heartbeat */
	return g->state == GROUP_PREPARING_REBALANCE ? KERR_REBALANCE_IN_PROGRESS
						     : KERR_NONE;
}

int16_t coordinator_leave(const char *group_id,
			  struct coordinator_leave_member *members, int n)
{
	if (!groups_available())
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (!group_id[0])
		return KERR_INVALID_GROUP_ID;
	struct group *g = groups_find(group_id);
	if (!g) {
		for (int i = 0; i < n; i++)
			members[i].error = KERR_UNKNOWN_MEMBER_ID;
		return KERR_NONE;
	}
	if (g->state == GROUP_DEAD)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	for (int i = 0; i < n; i++) {
		struct coordinator_leave_member *lm = &members[i];
		const char *reason = lm->reason ? lm->reason : "the member left";
		struct group_member *m = NULL;
		struct group_pending *p;
		lm->error = KERR_NONE;
		if (!lm->member_id[0]) {
			/* administrative removal by group.instance.id */
			if (lm->instance_id)
				m = group_static_find(g, lm->instance_id);
			if (!m)
				lm->error = KERR_UNKNOWN_MEMBER_ID;
		} else if ((p = group_pending_find(g, lm->member_id))) {
			rebalance_pending_remove(g, p);
			if (g->state == GROUP_PREPARING_REBALANCE)
				rebalance_check_join(g);
		} else {
			lm->error = coordinator_validate_member(g, lm->member_id,
								lm->instance_id);
			if (!lm->error)
				m = group_member_find(g, lm->member_id);
		}
		if (m)
			rebalance_member_remove(g, m, reason);
	}
	return KERR_NONE;
}

int16_t coordinator_commit_check(const char *group_id, int32_t generation,
				 const char *member_id, const char *instance_id,
				 struct group **out)
{
	*out = NULL;
	if (!groups_available())
		return KERR_COORDINATOR_NOT_AVAILABLE;
	struct group *g = groups_find(group_id);
	if (!g) {
		if (generation >= 0) /* a member of a group that is gone */
			return KERR_ILLEGAL_GENERATION;
		/* a client outside group management keeps its offsets here */
		g = groups_find_or_create(group_id);
		if (!g)
			return KERR_COORDINATOR_NOT_AVAILABLE;
	}
	if (g->state == GROUP_DEAD)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (generation >= 0 || member_id[0] || instance_id) {
		int16_t err = coordinator_validate_member(g, member_id, instance_id);
		if (err)
			return err;
		if (generation != g->generation)
			return KERR_ILLEGAL_GENERATION;
	} else if (g->state != GROUP_EMPTY) {
		/* only members commit for a group that has members */
		return KERR_UNKNOWN_MEMBER_ID;
	}
	switch (g->state) {
	case GROUP_COMPLETING_REBALANCE:
		/* a valid member that has not synced yet: let it finish */
		return KERR_REBALANCE_IN_PROGRESS;
	case GROUP_STABLE:
	case GROUP_PREPARING_REBALANCE:
		rebalance_heartbeat(group_member_find(g, member_id));
		break;
	case GROUP_EMPTY:
	case GROUP_DEAD:
		break;
	}
	*out = g;
	return KERR_NONE;
}

int16_t coordinator_txn_commit_check(const char *group_id, int32_t generation,
				     const char *member_id,
				     const char *instance_id, struct group **out)
{
	*out = NULL;
	if (!groups_available())
		return KERR_COORDINATOR_NOT_AVAILABLE;
	struct group *g = groups_find_or_create(group_id);
	if (!g)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (g->state == GROUP_DEAD)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (generation >= 0 || member_id[0] || instance_id) {
		int16_t err = coordinator_validate_member(g, member_id, instance_id);
		if (!err && generation != g->generation)
			err = KERR_ILLEGAL_GENERATION;
		if (err)
			return err;
	}
	*out = g;
	return KERR_NONE;
}
