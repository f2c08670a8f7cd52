/*
 * A consumer group as the coordinator holds it: its state, generation,
 * members with their offered protocols and assignments, the member ids
 * handed out with MEMBER_ID_REQUIRED and not yet used, its timers, and its
 * committed offsets (group_offsets.h).  Member lists keep join order, which
 * is the order the leader is told about members and the order in which a
 * new leader is chosen.
 *
 * The state machine is Kafka's classic one:
 *   Empty -> PreparingRebalance -> CompletingRebalance -> Stable
 *   (any of the last three) -> PreparingRebalance, Empty -> Dead
 * Membership lives in memory only (after a restart members rejoin); a
 * group's committed offsets are durable (offset_store.h).
 *
 * Threading: event-loop thread only.
 */
#ifndef SLUICE_GROUP_H
#define SLUICE_GROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "brokerd/groups/group_offsets.h"

struct event;
struct request;
struct group_txn_offsets;

enum group_state {
	GROUP_EMPTY,
	GROUP_PREPARING_REBALANCE,
	GROUP_COMPLETING_REBALANCE,
	GROUP_STABLE,
	GROUP_DEAD,
};

/* How long a new member may wait in a join before it is dropped (Kafka's
 * NewMemberJoinTimeoutMs): it has no member id to heartbeat with. */
#define GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS 300000

/* What a JoinGroup is answered with; the writer is the handler's. */
struct group_join_result {
	int16_t error;
	int32_t generation;
	const char *protocol_type; /* NULL: null */
	const char *protocol_name; /* NULL: null (empty before v7) */
	const char *leader;
	const char *member_id;
	int skip_assignment;
	/* the leader's answer lists every member's metadata; NULL otherwise */
	const struct group *members_of;
};
typedef void (*group_join_write_fn)(struct request *req,
				    const struct group_join_result *res);

/* What a SyncGroup is answered with. */
struct group_sync_result {
	int16_t error;
	const char *protocol_type, *protocol_name; /* NULL: null */
	const uint8_t *assignment;
	int32_t assignment_len;
};
typedef void (*group_sync_write_fn)(struct request *req,
				    const struct group_sync_result *res);

/* One protocol a member offers (name and opaque metadata). */
struct group_protocol {
	char *name;
	uint8_t *metadata;
	int32_t metadata_len;
};

struct group_member {
	TAILQ_ENTRY(group_member) link;
	struct group *group;
	char *member_id;
	char *instance_id;   /* group.instance.id; NULL for a dynamic member */
	char *client_id;
	char *client_host;
	int32_t session_timeout_ms;
	int32_t rebalance_timeout_ms;
	struct group_protocol *protocols; /* in the member's preference order */
	int protocol_count;
	uint8_t *assignment; /* from the leader's SyncGroup */
	int32_t assignment_len;
	/* a JoinGroup or SyncGroup waiting for the phase to complete */
	struct request *join_req;
	group_join_write_fn join_write;
	struct request *sync_req;
	group_sync_write_fn sync_write;
	struct event *heartbeat; /* session timeout (join timeout when new) */
	int is_new;              /* joined, not yet through a generation */
	int pending_sync;        /* in this generation, has not synced yet */
};

/* A member id handed out with MEMBER_ID_REQUIRED, not yet joined with. */
struct group_pending {
	LIST_ENTRY(group_pending) link;
	struct group *group;
	char *member_id;
	struct event *timer; /* session timeout */
};

struct group {
	struct group *hash_next;
	char *id;
	enum group_state state;
	int64_t state_ms;    /* wall clock of the last state change */
	int32_t generation;
	char *protocol_type; /* NULL while no member has set it */
	char *protocol_name; /* the selected protocol; NULL when none */
	struct group_member *leader;
	TAILQ_HEAD(, group_member) members;
	int member_count;
	int awaiting_join;   /* members with a JoinGroup waiting */
	LIST_HEAD(, group_pending) pending;
	int pending_count;
	/* the join phase: deadline, deferred completion check, and Kafka's
	 * initial delay (group.initial.rebalance.delay.ms) */
	struct event *join_timer;
	struct event *join_check;
	int join_initial;
	int new_member_added;
	int64_t join_remaining_ms;
	struct event *sync_timer; /* members that never sync are removed */
	struct group_offsets offsets; /* durable state, as applied */
	struct group_txn_offsets *txn; /* pending in transactions, as applied */
	size_t txn_count;
	int commits_in_flight;
};

/* Name of a state as Kafka spells it ("PreparingRebalance"). */
const char *group_state_name(enum group_state state);

/* Creates an Empty group (its timers are made when first needed).
 * Returns NULL when out of memory. */
struct group *group_new(const char *id);
/* Frees a group with its members, which must have no request waiting. */
void group_free(struct group *g);
/* Frees a member taken out of its group (NULL is fine). */
void group_member_free(struct group_member *m);
/* Moves to a state and stamps the time. */
void group_transition(struct group *g, enum group_state state);

/* The member with this id, or NULL. */
struct group_member *group_member_find(const struct group *g, const char *member_id);
/* The member holding a group.instance.id, or NULL. */
struct group_member *group_static_find(const struct group *g, const char *instance_id);
/* The pending member id entry, or NULL. */
struct group_pending *group_pending_find(const struct group *g, const char *member_id);

/* A fresh member id: prefix, '-' and a random UUID.  NULL when out of
 * memory. */
char *group_member_id_new(const char *prefix);

/* Copies protocols into a member (replacing what it had).  Returns 0 or
 * SL_ENOMEM (the member keeps its old protocols). */
int group_member_set_protocols(struct group_member *m,
			       const struct group_protocol *protocols, int n);
/* Whether the member offers exactly these protocols (names, metadata,
 * order). */
int group_member_matches(const struct group_member *m,
			 const struct group_protocol *protocols, int n);
/* The member's metadata for a protocol name, or NULL. */
const struct group_protocol *group_member_protocol(const struct group_member *m,
						   const char *name);
/* Stores the leader's assignment for a member (copied); SL_ENOMEM. */
int group_member_set_assignment(struct group_member *m, const uint8_t *p,
				int32_t len);

/* Whether a joining member's protocol type and protocols fit the group:
 * an Empty group takes any non-empty type with at least one protocol;
 * otherwise the type must match and one protocol must be offered by every
 * current member too. */
int group_supports(const struct group *g, const char *protocol_type,
		   const struct group_protocol *protocols, int n);
/* Kafka's protocol selection: among the protocols every member offers,
 * each member votes for the first in its own order; most votes wins, a tie
 * goes to the one the earliest member prefers.  NULL if there is none. */
const char *group_select_protocol(const struct group *g);

/* Whether a consumer group's members subscribe to topic, from the
 * ConsumerProtocolSubscription metadata of the selected protocol; 1 when
 * that cannot be told (not a consumer group, unparsable metadata). */
int group_subscribed_to(const struct group *g, const char *topic);

/* The group's largest member rebalance timeout (0 without members). */
int32_t group_rebalance_timeout_ms(const struct group *g);

/* Wall-clock milliseconds since the epoch. */
int64_t group_now_ms(void);

#endif
