/*
 * The group coordinator module: the table of groups, the committed-offsets
 * store behind them, and the periodic cleanup.
 *
 * groups_start loads every committed offset (offset_store_open replays the
 * snapshot and journal) before brokerd opens its listeners, so no request
 * ever finds the coordinator loading: COORDINATOR_LOAD_IN_PROGRESS is never
 * sent.  A group exists while it has members, pending member ids, committed
 * offsets or commits in flight; the cleanup (every
 * GROUPS_CLEANUP_INTERVAL_MS, and once at start) removes offsets of deleted
 * topics and, for Empty groups, offsets older than offsets.retention.minutes
 * (counted from the later of the commit and the moment the group became
 * Empty), then drops Empty groups left with nothing.
 *
 * Threading: event-loop thread only.
 */
#ifndef SLUICE_GROUPS_H
#define SLUICE_GROUPS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct group;
struct offset_store;
struct offset_buf;

#define GROUPS_CLEANUP_INTERVAL_MS 60000

/* Loads the committed offsets under dir and starts the store's thread and
 * the cleanup timer on base.  Returns 0 or a negative SL_E* (logged). */
int groups_start(struct event_base *base, const char *dir);

/* Makes everything queued durable, answers every request still waiting in
 * a group, and frees the module.  Safe when groups_start never ran. */
void groups_finish(void);

/* Whether the coordinator serves requests: started, and the store has
 * not failed. */
int groups_available(void);

struct event_base *groups_base(void);
struct offset_store *groups_store(void);

/* The group with this id, or NULL. */
struct group *groups_find(const char *id);
/* The group with this id, created Empty if missing; NULL when out of
 * memory. */
struct group *groups_find_or_create(const char *id);
/* Removes a group that has nothing left waiting, and frees it. */
void groups_remove(struct group *g);

/* Number of groups and the i-th in id order (for ListGroups). */
size_t groups_count(void);
struct group *groups_at(size_t i);

/* Adds to the member gauge (members joined or removed). */
void groups_members_add(int n);

/* Whether a group's offsets for topic (name, id as committed) still
 * belong to a topic of the catalog. */
int groups_topic_current(const char *name, const uint8_t id[16]);

/* Journals the end of producer_id's transaction in each of the n groups
 * (TXN_END records: its pending offsets become committed or go);
 * done(arg, err) follows once durable and applied.  Returns 0, or SL_EIO
 * when the coordinator is not available (done is not called then). */
int groups_txn_end(char *const *group_ids, size_t n, int64_t producer_id,
		   int commit, void (*done)(void *arg, int err), void *arg);

/* Runs the cleanup now (also exported for tests). */
void groups_cleanup(void);

#endif
