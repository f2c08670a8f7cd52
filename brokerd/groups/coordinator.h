/*
 * The group coordinator's request paths, one per API, after Kafka's
 * GroupCoordinator: JoinGroup, SyncGroup, Heartbeat, LeaveGroup and the
 * checks OffsetCommit makes before it writes anything.  The handlers
 * (brokerd/handlers/) decode and encode; everything here works on plain
 * values and answers with Kafka error codes.
 *
 * Threading: event-loop thread only.
 */
#ifndef SLUICE_COORDINATOR_H
#define SLUICE_COORDINATOR_H

#include <stdint.h>

#include "brokerd/groups/group.h"

struct request;

/* A decoded JoinGroup (strings NUL-terminated; instance_id and reason may
 * be NULL). */
struct coordinator_join_args {
	const char *group_id;
	int32_t session_timeout_ms;
	int32_t rebalance_timeout_ms;
	const char *member_id;   /* "" when the member has none yet */
	const char *instance_id; /* group.instance.id (v5+) */
	const char *protocol_type;
	const struct group_protocol *protocols;
	int protocol_count;
	const char *reason;      /* v8+ */
	int require_known_member_id;  /* v4+: KIP-394 */
	int supports_skip_assignment; /* v9+ */
	const char *client_id;
	const char *client_host;
	group_join_write_fn write;
};

/* Runs a JoinGroup.  Returns REQ_DONE after writing the answer with
 * args->write, or REQ_DEFERRED when the request waits for the join phase
 * (it is answered and completed later). */
int coordinator_join(struct request *req, const struct coordinator_join_args *args);

/* A decoded SyncGroup; the assignments are the leader's (n may be 0). */
struct coordinator_sync_args {
	const char *group_id;
	int32_t generation;
	const char *member_id;
	const char *instance_id;   /* v3+ */
	const char *protocol_type; /* v5+, NULL when absent */
	const char *protocol_name; /* v5+, NULL when absent */
	const char *const *assignment_members;
	const uint8_t *const *assignments;
	const int32_t *assignment_lens;
	int assignment_count;
	group_sync_write_fn write;
};

/* Runs a SyncGroup: REQ_DONE (answered) or REQ_DEFERRED (a follower
 * waiting for the leader's assignment). */
int coordinator_sync(struct request *req, const struct coordinator_sync_args *args);

/* Runs a Heartbeat; returns its ErrorCode. */
int16_t coordinator_heartbeat(const char *group_id, int32_t generation,
			      const char *member_id, const char *instance_id);

/* One member named in a LeaveGroup, and its result. */
struct coordinator_leave_member {
	const char *member_id;   /* "" to name a static member by instance */
	const char *instance_id; /* may be NULL */
	const char *reason;      /* may be NULL */
	int16_t error;
};

/* Runs a LeaveGroup; sets each member's error and returns the top-level
 * ErrorCode. */
int16_t coordinator_leave(const char *group_id,
			  struct coordinator_leave_member *members, int n);

/* The checks of an OffsetCommit before its offsets are written: the group
 * (created Empty for a commit from outside group management, generation
 * < 0), the member and the generation, and the state.  A member's commit
 * counts as a heartbeat.  Returns 0 with *out set, or the ErrorCode every
 * partition gets. */
int16_t coordinator_commit_check(const char *group_id, int32_t generation,
				 const char *member_id, const char *instance_id,
				 struct group **out);

/* The same checks for a TxnOffsetCommit, with Kafka's differences: a
 * commit that names no member (TxnOffsetCommit before v3 cannot) is taken
 * whatever the group's state, and a member's commit is not refused during
 * a rebalance (the offsets only count once the transaction commits). */
int16_t coordinator_txn_commit_check(const char *group_id, int32_t generation,
				     const char *member_id,
				     const char *instance_id, struct group **out);

#endif
