/*
 * The rebalance machinery (see rebalance.h), after Kafka's GroupCoordinator:
 *
 * Join phase.  rebalance_prepare moves a group to PreparingRebalance and
 * arms the join timer.  From Empty it is Kafka's InitialDelayedJoin: wait
 * group.initial.rebalance.delay.ms, again while new members keep coming,
 * up to the rebalance timeout.  Otherwise (DelayedJoin) the phase ends as
 * soon as every member has rejoined and no handed-out member id is still
 * unused, or when the largest rebalance timeout of the members passes.
 * Every change that could complete it asks for a check (join_check, run
 * from the loop), so a request's own handler never answers it.
 *
 * Completion.  Dynamic members that did not rejoin are dropped; static
 * ones are kept (they may be restarting).  If nobody rejoined the phase
 * starts over.  Otherwise the generation goes up, the protocol is chosen
 * by vote, the group is CompletingRebalance (or Empty without members),
 * every waiting JoinGroup is answered (the leader's with all members'
 * metadata) and the sync timer starts: members that do not send SyncGroup
 * within the rebalance timeout are removed.
 *
 * Sessions.  Each member has a timer re-armed by heartbeats, commits and
 * syncs.  When it fires the member is removed, unless it is waiting in a
 * JoinGroup or SyncGroup (the phase's own timeout handles those) and is
 * not new: a new member is dropped after GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS
 * in its first join, since a client that gave up would otherwise hold the
 * phase open.
 *
 * Ownership: waiting requests belong to conn.c; a member only points at
 * them until it answers.  Threading: event loop only.  Nothing durable.
 */
#include "brokerd/groups/rebalance.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/groups/groups.h"
#include "brokerd/server/request.h"
#include "common/counters.h"
#include "common/errors.h"
#include "common/log.h"

static void rebalance_complete_join(struct group *g);

/* (Re)arms a timer of ms milliseconds, creating it on first use. */
static void rebalance_arm(struct event **ev, event_callback_fn cb, void *arg,
			  int64_t ms)
{
	if (!*ev) {
		*ev = evtimer_new(groups_base(), cb, arg);
		if (!*ev)
			log_fatal("groups: cannot create a timer: out of memory");
	}
	if (ms < 0)
		ms = 0;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(*ev, &tv);
}

/* Stops a timer if it exists. */
static void rebalance_disarm(struct event *ev)
{
	if (ev)
		evtimer_del(ev);
}

/* ---- waiting requests ---- */

void rebalance_answer_join(struct group_member *m,
			   const struct group_join_result *res)
{
	struct request *req = m->join_req;
	if (!req)
		return;
	m->join_req = NULL;
	m->group->awaiting_join--;
	if (request_conn_alive(req))
		m->join_write(req, res);
	request_complete(req);
}

void rebalance_answer_sync(struct group_member *m,
			   const struct group_sync_result *res)
{
	struct request *req = m->sync_req;
	if (!req)
		return;
	m->sync_req = NULL;
	if (request_conn_alive(req))
		m->sync_write(req, res);
	request_complete(req);
}

void rebalance_wait_join(struct group_member *m, struct request *req,
			 group_join_write_fn write)
{
	if (m->join_req) {
		/* the client gave up on the first one; it must not hang */
		struct group_join_result res = {
			.error = KERR_REBALANCE_IN_PROGRESS, .generation = -1,
			.leader = "", .member_id = m->member_id,
		};
		rebalance_answer_join(m, &res);
	}
	m->join_req = req;
	m->join_write = write;
	m->group->awaiting_join++;
}

void rebalance_wait_sync(struct group_member *m, struct request *req,
			 group_sync_write_fn write)
{
	if (m->sync_req) {
		struct group_sync_result res = {.error = KERR_REBALANCE_IN_PROGRESS};
		rebalance_answer_sync(m, &res);
	}
	m->sync_req = req;
	m->sync_write = write;
}

void rebalance_join_result(const struct group *g, const struct group_member *m,
			   struct group_join_result *res)
{
	memset(res, 0, sizeof *res);
	res->error = KERR_NONE;
	res->generation = g->generation;
	res->protocol_type = g->protocol_type;
	res->protocol_name = g->protocol_name;
	res->leader = g->leader ? g->leader->member_id : "";
	res->member_id = m->member_id;
	res->members_of = g->leader == m ? g : NULL;
}

/* ---- sessions ---- */

/* Arms the member's session timer for ms. */
static void rebalance_heartbeat_in(struct group_member *m, int64_t ms);

/* libevent: a member's session (or first-join) timeout passed. */
static void rebalance_on_session_expiry(evutil_socket_t fd, short what, void *arg)
{
	struct group_member *m = arg;
	struct group *g = m->group;
	if (g->state == GROUP_DEAD)
		return;
	/* waiting members are the phase's to time out; new ones are not */
	if (!m->is_new && (m->join_req || m->sync_req))
		return;
	log_info("groups: %s: member %s%s%s timed out", g->id, m->member_id,
		 m->instance_id ? " instance " : "",
		 m->instance_id ? m->instance_id : "");
	rebalance_member_remove(g, m, m->is_new ? "new member did not complete its join"
						: "session timeout");
}

static void rebalance_heartbeat_in(struct group_member *m, int64_t ms)
{
	rebalance_arm(&m->heartbeat, rebalance_on_session_expiry, m, ms);
}

void rebalance_heartbeat(struct group_member *m)
{
	rebalance_heartbeat_in(m, m->session_timeout_ms);
}

/* ---- members ---- */

struct group_member *rebalance_member_add(struct group *g, char *member_id,
					  const char *instance_id,
					  const char *client_id,
					  const char *client_host,
					  int32_t session_timeout_ms,
					  int32_t rebalance_timeout_ms,
					  const char *protocol_type,
					  const struct group_protocol *protocols,
					  int protocol_count)
{
	struct group_member *m = calloc(1, sizeof *m);
	char *type = g->member_count == 0 ? strdup(protocol_type) : NULL;
	if (!m || (g->member_count == 0 && !type))
		goto nomem;
	m->group = g;
	m->instance_id = instance_id ? strdup(instance_id) : NULL;
	m->client_id = strdup(client_id);
	m->client_host = strdup(client_host);
	if ((instance_id && !m->instance_id) || !m->client_id || !m->client_host ||
	    group_member_set_protocols(m, protocols, protocol_count))
		goto nomem;
	m->member_id = member_id;
	m->session_timeout_ms = session_timeout_ms;
	m->rebalance_timeout_ms = rebalance_timeout_ms;
	m->is_new = 1;
	if (type) {
		free(g->protocol_type);
		g->protocol_type = type;
	}
	TAILQ_INSERT_TAIL(&g->members, m, link);
	g->member_count++;
	if (!g->leader)
		g->leader = m;
	/* a member joining a group still forming can delay its first
	 * generation further (Kafka's newMemberAdded) */
	if (g->state == GROUP_PREPARING_REBALANCE && g->generation == 0)
		g->new_member_added = 1;
	rebalance_heartbeat_in(m, GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS);
	groups_members_add(1);
	return m;
nomem:
	free(type);
	group_member_free(m);
	return NULL;
}

/* Takes a member out of the group and frees it; answers what it left
 * waiting with UNKNOWN_MEMBER_ID.  The group's state is the caller's. */
static void rebalance_member_drop(struct group *g, struct group_member *m)
{
	struct group_join_result jres = {
		.error = KERR_UNKNOWN_MEMBER_ID, .generation = -1, .leader = "",
		.member_id = "",
	};
	struct group_sync_result sres = {.error = KERR_UNKNOWN_MEMBER_ID};
	rebalance_answer_join(m, &jres);
	rebalance_answer_sync(m, &sres);
	TAILQ_REMOVE(&g->members, m, link);
	g->member_count--;
	if (g->leader == m)
		g->leader = TAILQ_FIRST(&g->members);
	groups_members_add(-1);
	group_member_free(m);
}

void rebalance_member_remove(struct group *g, struct group_member *m,
			     const char *reason)
{
	log_info("groups: %s: removing member %s (%s)", g->id, m->member_id, reason);
	rebalance_member_drop(g, m);
	switch (g->state) {
	case GROUP_STABLE:
	case GROUP_COMPLETING_REBALANCE:
		rebalance_maybe_prepare(g, reason);
		break;
	case GROUP_PREPARING_REBALANCE:
		rebalance_check_join(g);
		break;
	case GROUP_EMPTY:
	case GROUP_DEAD:
		break;
	}
}

/* libevent: a handed-out member id was never used. */
static void rebalance_on_pending_expiry(evutil_socket_t fd, short what, void *arg)
{
	struct group_pending *p = arg;
	struct group *g = p->group;
	log_info("groups: %s: pending member %s never joined", g->id, p->member_id);
	rebalance_pending_remove(g, p);
	if (g->state == GROUP_PREPARING_REBALANCE)
		rebalance_check_join(g);
}

int rebalance_pending_add(struct group *g, const char *member_id,
			  int32_t session_timeout_ms)
{
	struct group_pending *p = calloc(1, sizeof *p);
	if (!p || !(p->member_id = strdup(member_id))) {
		free(p);
		return SL_ENOMEM;
	}
	p->group = g;
	LIST_INSERT_HEAD(&g->pending, p, link);
	g->pending_count++;
	rebalance_arm(&p->timer, rebalance_on_pending_expiry, p,
		      session_timeout_ms);
	return 0;
}

void rebalance_pending_remove(struct group *g, struct group_pending *p)
{
	LIST_REMOVE(p, link);
	g->pending_count--;
	if (p->timer)
		event_free(p->timer);
	free(p->member_id);
	free(p);
}

/* ---- the sync phase ---- */

/* libevent: the rebalance timeout passed with members not synced. */
static void rebalance_on_sync_expiry(evutil_socket_t fd, short what, void *arg)
{
	struct group *g = arg;
	if (g->state != GROUP_COMPLETING_REBALANCE && g->state != GROUP_STABLE)
		return;
	int removed = 0;
	struct group_member *m, *next;
	for (m = TAILQ_FIRST(&g->members); m; m = next) {
		next = TAILQ_NEXT(m, link);
		if (!m->pending_sync)
			continue;
		log_info("groups: %s: member %s did not sync generation %d",
			 g->id, m->member_id, g->generation);
		rebalance_member_drop(g, m);
		removed++;
	}
	if (removed)
		rebalance_prepare(g, "members did not sync in time");
}

void rebalance_synced(struct group *g, struct group_member *m)
{
	m->pending_sync = 0;
	struct group_member *o;
	TAILQ_FOREACH(o, &g->members, link)
		if (o->pending_sync)
			return;
	rebalance_disarm(g->sync_timer);
}

/* Clears every member's pending sync and stops the sync timer. */
static void rebalance_sync_clear(struct group *g)
{
	struct group_member *m;
	TAILQ_FOREACH(m, &g->members, link)
		m->pending_sync = 0;
	rebalance_disarm(g->sync_timer);
}

/* Drops assignments and answers waiting SyncGroups with err. */
static void rebalance_reset_assignments(struct group *g, int16_t err)
{
	struct group_sync_result res = {.error = err};
	struct group_member *m;
	TAILQ_FOREACH(m, &g->members, link) {
		free(m->assignment);
		m->assignment = NULL;
		m->assignment_len = 0;
		rebalance_answer_sync(m, &res);
	}
}

void rebalance_assign(struct group *g, const char *const *member_ids,
		      const uint8_t *const *assignments, const int32_t *lens,
		      int n)
{
	struct group_member *m;
	TAILQ_FOREACH(m, &g->members, link) {
		int k = -1;
		for (int i = 0; i < n && k < 0; i++)
			if (!strcmp(member_ids[i], m->member_id))
				k = i;
		if (k < 0)
			log_warn("groups: %s: the leader gave member %s no assignment",
				 g->id, m->member_id);
		if (group_member_set_assignment(m, k >= 0 ? assignments[k] : NULL,
						k >= 0 ? lens[k] : 0))
			log_fatal("groups: out of memory storing an assignment");
	}
	group_transition(g, GROUP_STABLE);
	log_info("groups: %s: generation %d is stable with %d members",
		 g->id, g->generation, g->member_count);
	TAILQ_FOREACH(m, &g->members, link) {
		if (!m->sync_req)
			continue;
		struct group_sync_result res = {
			.protocol_type = g->protocol_type,
			.protocol_name = g->protocol_name,
			.assignment = m->assignment,
			.assignment_len = m->assignment_len,
		};
		rebalance_answer_sync(m, &res);
		rebalance_heartbeat(m);
	}
}

/* ---- the join phase ---- */

/* Whether every member has a JoinGroup waiting and every handed-out
 * member id was used. */
static int rebalance_all_joined(const struct group *g)
{
	return g->awaiting_join == g->member_count && g->pending_count == 0;
}

/* libevent: the join phase's delay or deadline passed. */
static void rebalance_on_join_timer(evutil_socket_t fd, short what, void *arg)
{
	struct group *g = arg;
	if (g->state != GROUP_PREPARING_REBALANCE)
		return;
	if (g->join_initial && g->new_member_added && g->join_remaining_ms > 0) {
		/* Kafka's InitialDelayedJoin: newcomers buy another delay */
		int64_t delay = broker.cfg->group_initial_rebalance_delay_ms;
		if (delay > g->join_remaining_ms)
			delay = g->join_remaining_ms;
		g->new_member_added = 0;
		g->join_remaining_ms -= delay;
		rebalance_arm(&g->join_timer, rebalance_on_join_timer, g, delay);
		return;
	}
	rebalance_complete_join(g);
}

/* libevent: something changed that may let the join phase end early. */
static void rebalance_on_join_check(evutil_socket_t fd, short what, void *arg)
{
	struct group *g = arg;
	if (g->state == GROUP_PREPARING_REBALANCE && !g->join_initial &&
	    rebalance_all_joined(g))
		rebalance_complete_join(g);
}

void rebalance_check_join(struct group *g)
{
	if (!g->join_check) {
		g->join_check = evtimer_new(groups_base(), rebalance_on_join_check, g);
		if (!g->join_check)
			log_fatal("groups: cannot create an event: out of memory");
	}
	event_active(g->join_check, EV_TIMEOUT, 1);
}

void rebalance_prepare(struct group *g, const char *reason)
{
	if (g->state == GROUP_COMPLETING_REBALANCE)
		rebalance_reset_assignments(g, KERR_REBALANCE_IN_PROGRESS);
	rebalance_sync_clear(g);
	int from_empty = g->state == GROUP_EMPTY;
	group_transition(g, GROUP_PREPARING_REBALANCE);
	int64_t timeout = group_rebalance_timeout_ms(g);
	if (from_empty) {
		int64_t delay = broker.cfg->group_initial_rebalance_delay_ms;
		g->join_initial = 1;
		g->new_member_added = 0;
		g->join_remaining_ms = timeout > delay ? timeout - delay : 0;
		rebalance_arm(&g->join_timer, rebalance_on_join_timer, g, delay);
	} else {
		g->join_initial = 0;
		rebalance_arm(&g->join_timer, rebalance_on_join_timer, g, timeout);
		rebalance_check_join(g);
	}
	log_info("groups: %s: preparing to rebalance after generation %d (%s)",
		 g->id, g->generation, reason);
}

void rebalance_maybe_prepare(struct group *g, const char *reason)
{
	if (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE ||
	    g->state == GROUP_EMPTY)
		rebalance_prepare(g, reason);
}

/* Makes sure the leader is a member that rejoined; 0 when none did. */
static int rebalance_elect_joined_leader(struct group *g)
{
	if (!g->leader)
		return 0;
	if (g->leader->join_req)
		return 1;
	struct group_member *m;
	TAILQ_FOREACH(m, &g->members, link) {
		if (m->join_req) {
			log_info("groups: %s: leader %s did not rejoin; %s leads",
				 g->id, g->leader->member_id, m->member_id);
			g->leader = m;
			return 1;
		}
	}
	return 0;
}

/* Ends the join phase (Kafka's onCompleteJoin). */
static void rebalance_complete_join(struct group *g)
{
	rebalance_disarm(g->join_timer);
	struct group_member *m, *next;
	for (m = TAILQ_FIRST(&g->members); m; m = next) {
		next = TAILQ_NEXT(m, link);
		if (m->join_req || m->instance_id)
			continue;
		log_info("groups: %s: member %s did not rejoin in time", g->id,
			 m->member_id);
		rebalance_member_drop(g, m);
	}
	if (!rebalance_elect_joined_leader(g) && g->member_count > 0) {
		/* only static members that have not come back: wait again */
		log_warn("groups: %s: no member rejoined; waiting another rebalance timeout",
			 g->id);
		g->join_initial = 0;
		rebalance_arm(&g->join_timer, rebalance_on_join_timer, g,
			      group_rebalance_timeout_ms(g));
		return;
	}
	g->generation++;
	free(g->protocol_name);
	g->protocol_name = NULL;
	if (g->member_count == 0) {
		group_transition(g, GROUP_EMPTY);
		log_info("groups: %s: generation %d is empty", g->id, g->generation);
		return;
	}
	const char *selected = group_select_protocol(g);
	SL_ASSERT(selected); /* every join checked group_supports */
	g->protocol_name = strdup(selected);
	if (!g->protocol_name)
		log_fatal("groups: out of memory");
	group_transition(g, GROUP_COMPLETING_REBALANCE);
	if (broker.counters)
		COUNTER_ADD(group_rebalances, 1);
	log_info("groups: %s: generation %d with %d members, protocol %s, leader %s",
		 g->id, g->generation, g->member_count, g->protocol_name,
		 g->leader->member_id);
	TAILQ_FOREACH(m, &g->members, link) {
		struct group_join_result res;
		rebalance_join_result(g, m, &res);
		rebalance_answer_join(m, &res);
		rebalance_heartbeat(m);
		m->is_new = 0;
		m->pending_sync = 1;
	}
	rebalance_arm(&g->sync_timer, rebalance_on_sync_expiry, g,
		      group_rebalance_timeout_ms(g));
}

void rebalance_dispose(struct group *g, int16_t err)
{
	struct group_join_result jres = {
		.error = err, .generation = -1, .leader = "", .member_id = "",
	};
	struct group_sync_result sres = {.error = err};
	struct group_member *m;
	TAILQ_FOREACH(m, &g->members, link) {
		rebalance_answer_join(m, &jres);
		rebalance_answer_sync(m, &sres);
	}
}
