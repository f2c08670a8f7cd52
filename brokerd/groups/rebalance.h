/*
 * The rebalance machinery shared by the coordinator's request paths: the
 * join phase (rebalance timeout, Kafka's initial delay, the check that
 * every member has rejoined), its completion into a new generation, the
 * sync phase and its timeout, session timeouts, and the answers to
 * JoinGroup and SyncGroup requests left waiting in a member.
 *
 * A waiting request is only ever answered from a timer or event callback
 * or while handling another request, never while its own handler runs: a
 * handler that can answer at once returns REQ_DONE instead.
 *
 * Threading: event-loop thread only.
 */
#ifndef SLUICE_REBALANCE_H
#define SLUICE_REBALANCE_H

#include <stdint.h>

#include "brokerd/groups/group.h"

/* Adds a new member to g (its protocol type becomes the group's when it is
 * the first; it becomes leader when there is none) with the join timeout
 * of a new member running.  member_id is taken on success.  Returns the
 * member, or NULL when out of memory (nothing changed). */
struct group_member *rebalance_member_add(struct group *g, char *member_id,
					  const char *instance_id,
					  const char *client_id,
					  const char *client_host,
					  int32_t session_timeout_ms,
					  int32_t rebalance_timeout_ms,
					  const char *protocol_type,
					  const struct group_protocol *protocols,
					  int protocol_count);

/* Removes a member (session expiry, LeaveGroup): answers what it left
 * waiting with UNKNOWN_MEMBER_ID, then moves the group on (a rebalance
 * when it was Stable or CompletingRebalance). */
void rebalance_member_remove(struct group *g, struct group_member *m,
			     const char *reason);

/* Hands out a member id with MEMBER_ID_REQUIRED; it lapses after the
 * session timeout.  Returns 0 or SL_ENOMEM. */
int rebalance_pending_add(struct group *g, const char *member_id,
			  int32_t session_timeout_ms);
/* Forgets a pending member id (joined with, or left). */
void rebalance_pending_remove(struct group *g, struct group_pending *p);

/* Parks a member's JoinGroup until the join phase completes; a JoinGroup
 * it had waiting already is answered REBALANCE_IN_PROGRESS. */
void rebalance_wait_join(struct group_member *m, struct request *req,
			 group_join_write_fn write);
/* Parks a member's SyncGroup until the leader's assignment arrives. */
void rebalance_wait_sync(struct group_member *m, struct request *req,
			 group_sync_write_fn write);

/* Answers a member's waiting JoinGroup or SyncGroup, if any. */
void rebalance_answer_join(struct group_member *m,
			   const struct group_join_result *res);
void rebalance_answer_sync(struct group_member *m,
			   const struct group_sync_result *res);

/* The JoinGroup answer for m in the current generation. */
void rebalance_join_result(const struct group *g, const struct group_member *m,
			   struct group_join_result *res);

/* Starts a rebalance if the state allows one (Empty, Stable,
 * CompletingRebalance). */
void rebalance_maybe_prepare(struct group *g, const char *reason);
/* Starts a rebalance: pending syncs are answered REBALANCE_IN_PROGRESS,
 * the group goes to PreparingRebalance and the join phase's timer runs. */
void rebalance_prepare(struct group *g, const char *reason);
/* Asks for a check, from the loop, whether every member has rejoined. */
void rebalance_check_join(struct group *g);

/* Stores the leader's assignment (members it did not name get an empty
 * one), moves the group to Stable and answers the waiting SyncGroups. */
void rebalance_assign(struct group *g, const char *const *member_ids,
		      const uint8_t *const *assignments, const int32_t *lens,
		      int n);

/* The member synced (or its sync was answered): it is no longer pending. */
void rebalance_synced(struct group *g, struct group_member *m);

/* Restarts a member's session timer (a heartbeat, commit or sync). */
void rebalance_heartbeat(struct group_member *m);

/* Answers every request waiting in the group with err (shutdown). */
void rebalance_dispose(struct group *g, int16_t err);

#endif
