/*
 * The group coordinator module (see groups.h): the table of groups (an
 * array sorted by id: lookups are binary searches and ListGroups comes out
 * in id order), the offset store's hooks that build every group's offsets
 * from durable records, and the cleanup timer.
 *
 * Ownership: the module owns the groups and the store.  Threading: event
 * loop only.  Durable: through the store only.
 */
#include "brokerd/groups/groups.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/groups/group.h"
#include "brokerd/groups/group_txn_offsets.h"
#include "brokerd/groups/offset_store.h"
#include "brokerd/groups/rebalance.h"
#include "common/counters.h"
#include "common/errors.h"
#include "common/log.h"

/* Counters exist only inside brokerd (unit tests may run without). */
#define GROUPS_COUNTER_SET(name, v)                                            \
	do {                                                                   \
		if (broker.counters)                                           \
			COUNTER_SET(name, v);                                  \
	} while (0)

static struct {
	struct event_base *base;
	struct offset_store *store;
	struct group **table; /* sorted by id */
	size_t count, cap;
	int64_t members;
	struct event *cleanup;
	int started;
} groups;

/* Index of id in the table, or where it would go (*found says which). */
static size_t groups_index(const char *id, int *found)
{
	size_t lo = 0, hi = groups.count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(id, groups.table[mid]->id);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = 0;
	return lo;
}

struct group *groups_find(const char *id)
{
	int found;
	size_t i = groups_index(id, &found);
	return found ? groups.table[i] : NULL;
}

struct group *groups_find_or_create(const char *id)
{
	int found;
	size_t i = groups_index(id, &found);
	if (found)
		return groups.table[i];
	if (groups.count == groups.cap) {
		size_t cap = groups.cap ? groups.cap * 2 : 16;
		struct group **t = realloc(groups.table, cap * sizeof *t);
		if (!t)
			return NULL;
		groups.table = t;
		groups.cap = cap;
	}
	struct group *g = group_new(id);
	if (!g)
		return NULL;
	memmove(&groups.table[i + 1], &groups.table[i],
		(groups.count - i) * sizeof groups.table[0]);
	groups.table[i] = g;
	groups.count++;
	GROUPS_COUNTER_SET(groups, groups.count);
	return g;
}

void groups_remove(struct group *g)
{
	int found;
	size_t i = groups_index(g->id, &found);
	SL_ASSERT(found && groups.table[i] == g);
	memmove(&groups.table[i], &groups.table[i + 1],
		(groups.count - i - 1) * sizeof groups.table[0]);
	groups.count--;
	GROUPS_COUNTER_SET(groups, groups.count);
	groups_members_add(-g->member_count);
	group_free(g);
}

size_t groups_count(void)
{
	return groups.count;
}

struct group *groups_at(size_t i)
{
	return i < groups.count ? groups.table[i] : NULL;
}

void groups_members_add(int n)
{
	groups.members += n;
	GROUPS_COUNTER_SET(group_members, groups.members);
}

struct event_base *groups_base(void)
{
	return groups.base;
}

struct offset_store *groups_store(void)
{
	return groups.store;
}

int groups_available(void)
{
	return groups.started && !offset_store_failed(groups.store);
}

int groups_topic_current(const char *name, const uint8_t id[16])
{
	const struct topic *t = catalog_topic_by_name(broker.catalog, name);
	return t && !memcmp(t->id, id, 16);
}

/* Removes a group that holds nothing any more: Empty, no members, no
 * handed-out ids, no offsets, nothing in flight (or Dead: deleted). */
static void groups_maybe_drop(struct group *g)
{
	if (g->commits_in_flight || g->offsets.total || g->txn_count)
		return;
	if (g->state == GROUP_DEAD ||
	    (g->state == GROUP_EMPTY && !g->member_count && !g->pending_count))
		groups_remove(g);
}

/* ---- the store's hooks ---- */

/* Applies one durable record to the group it names. */
static void groups_apply(void *arg, const struct offset_record *rec)
{
	char *id = malloc((size_t)rec->group_len + 1);
	if (!id)
		log_fatal("offsets: out of memory applying a record");
	memcpy(id, rec->group, rec->group_len);
	id[rec->group_len] = '\0';
	int creates = offset_record_has_offsets(rec->type);
	struct group *g = creates ? groups_find_or_create(id) : groups_find(id);
	free(id);
	if (creates && !g)
		log_fatal("offsets: out of memory applying a record");
	if (!g)
		return;
	if (rec->type == OFFSET_RECORD_GROUP_DELETE) {
		group_offsets_clear(&g->offsets);
		group_txn_offsets_clear(g);
		groups_maybe_drop(g);
		return;
	}
	if (rec->type == OFFSET_RECORD_TXN_END) {
		if (group_txn_offsets_end(g, rec->producer_id, rec->committed))
			log_fatal("offsets: out of memory applying a record");
		groups_maybe_drop(g);
		return;
	}
	struct group_offsets *into = &g->offsets;
	if (rec->type == OFFSET_RECORD_TXN_COMMIT) {
		struct group_txn_offsets *t = group_txn_offsets_get(g, rec->producer_id, 1);
		if (!t)
			log_fatal("offsets: out of memory applying a record");
		into = &t->offsets;
	}
	struct offset_record_iter it;
	offset_record_iter_init(&it, rec);
	for (uint32_t i = 0; i < rec->topic_count; i++) {
		struct offset_record_topic t;
		offset_record_next_topic(&it, &t);
		if (rec->type == OFFSET_RECORD_DELETE && t.part_count == 0)
			group_offsets_remove(into, t.name, t.name_len, -1);
		for (uint32_t k = 0; k < t.part_count; k++) {
			struct offset_part part;
			offset_record_next_part(&it, &part);
			if (rec->type == OFFSET_RECORD_DELETE)
				group_offsets_remove(into, t.name, t.name_len,
						     part.partition);
			else if (group_offsets_set(into, t.name, t.name_len, t.id, &part))
				log_fatal("offsets: out of memory applying a record");
		}
	}
	if (rec->type == OFFSET_RECORD_DELETE)
		groups_maybe_drop(g);
}

/* Appends one topic-by-topic set of offsets to the open record. */
static void groups_encode_offsets(struct offset_buf *buf,
				  const struct group_offsets *o)
{
	for (size_t ti = 0; ti < o->count; ti++) {
		const struct group_offset_topic *t = &o->topics[ti];
		offset_record_topic(buf, t->name, strlen(t->name), t->id);
		for (size_t k = 0; k < t->count; k++) {
			const struct group_offset *p = &t->parts[k];
			struct offset_part part = {
				p->partition, p->offset, p->leader_epoch,
				p->commit_ms, p->expire_ms, p->metadata,
				p->metadata_len,
			};
			offset_record_part(buf, &part);
		}
	}
}

/* Writes one COMMIT record per group holding offsets. */
static int groups_snapshot(void *arg, struct offset_buf *buf, uint64_t seq,
			   uint32_t *count)
{
	*count = 0;
	for (size_t i = 0; i < groups.count; i++) {
		const struct group *g = groups.table[i];
		if (!g->offsets.total)
			continue;
		offset_record_begin(buf, OFFSET_RECORD_COMMIT, seq, g->id,
				    strlen(g->id));
		groups_encode_offsets(buf, &g->offsets);
		int rc = offset_record_end(buf);
		if (rc)
			return rc;
		(*count)++;
	}
	for (size_t i = 0; i < groups.count; i++) {
		const struct group *g = groups.table[i];
		for (size_t k = 0; k < g->txn_count; k++) {
			offset_record_begin_txn(buf, seq, g->id, strlen(g->id),
						g->txn[k].producer_id);
			groups_encode_offsets(buf, &g->txn[k].offsets);
			int rc = offset_record_end(buf);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int groups_txn_end(char *const *group_ids, size_t n, int64_t producer_id,
		   int commit, void (*done)(void *arg, int err), void *arg)
{
	if (!groups_available())
		return SL_EIO;
	struct offset_buf buf = {0};
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = offset_record_txn_end(&buf, offset_store_next_seq(groups.store),
					   group_ids[i], strlen(group_ids[i]),
					   producer_id, commit);
	if (!rc)
		rc = offset_store_submit(groups.store, &buf, done, arg);
	offset_buf_free(&buf);
	return rc;
}

/* ---- cleanup ---- */

/* Whether an offset is due to go: its topic was deleted (stale), its own
 * expiry time passed (set by OffsetCommit v2-v4's RetentionTimeMs), or its
 * group has been Empty for the retention since the later of the commit and
 * becoming Empty. */
static int groups_offset_expired(const struct group *g,
				 const struct group_offset *o, int stale,
				 int64_t now, int64_t retention_ms)
{
	if (stale)
		return 1;
	if (o->expire_ms >= 0)
		return now >= o->expire_ms;
	int64_t base = o->commit_ms > g->state_ms ? o->commit_ms : g->state_ms;
	return g->state == GROUP_EMPTY && now - base >= retention_ms;
}

/* Adds a DELETE record to buf for g's offsets that are due to go; returns
 * how many partitions it names (no record, and no sequence number used,
 * for none). */
static size_t groups_expire(struct group *g, struct offset_buf *buf,
			    int64_t now, int64_t retention_ms)
{
	size_t due = 0;
	for (size_t ti = 0; ti < g->offsets.count; ti++) {
		const struct group_offset_topic *t = &g->offsets.topics[ti];
		int stale = !groups_topic_current(t->name, t->id);
		for (size_t k = 0; k < t->count; k++)
			due += groups_offset_expired(g, &t->parts[k], stale, now,
						     retention_ms);
	}
	if (!due)
		return 0;
	offset_record_begin(buf, OFFSET_RECORD_DELETE,
			    offset_store_next_seq(groups.store), g->id,
			    strlen(g->id));
	for (size_t ti = 0; ti < g->offsets.count; ti++) {
		const struct group_offset_topic *t = &g->offsets.topics[ti];
		int stale = !groups_topic_current(t->name, t->id);
		int named = 0;
		for (size_t k = 0; k < t->count; k++) {
			const struct group_offset *o = &t->parts[k];
			if (!groups_offset_expired(g, o, stale, now, retention_ms))
				continue;
			if (!named++)
				offset_record_topic(buf, t->name, strlen(t->name),
						    t->id);
			struct offset_part part = {.partition = o->partition};
			offset_record_part(buf, &part);
		}
	}
	offset_record_end(buf);
	return due;
}

void groups_cleanup(void)
{
	if (!groups_available())
		return;
	int64_t now = group_now_ms();
	int64_t retention = broker.cfg->offsets_retention_minutes * 60000;
	struct offset_buf buf = {0};
	size_t expired = 0;
	for (size_t i = groups.count; i-- > 0;) {
		struct group *g = groups.table[i];
		if (g->state == GROUP_DEAD)
			continue;
		size_t n = groups_expire(g, &buf, now, retention);
		if (n) {
			log_info("groups: %s: %zu committed offsets expired or of deleted topics",
				 g->id, n);
			expired += n;
		} else {
			groups_maybe_drop(g);
		}
	}
	if (!expired) {
		offset_buf_free(&buf);
		return;
	}
	int rc = buf.bytes.err ? buf.bytes.err : offset_store_submit(groups.store, &buf, NULL, NULL);
	if (rc)
		log_warn("groups: cannot journal expired offsets: %s", sl_error_name(rc));
	offset_buf_free(&buf);
}

/* libevent: time for the periodic cleanup. */
static void groups_on_cleanup(evutil_socket_t fd, short what, void *arg)
{
	groups_cleanup();
	struct timeval tv = {GROUPS_CLEANUP_INTERVAL_MS / 1000, 0};
	evtimer_add(groups.cleanup, &tv);
}

/* ---- lifecycle ---- */

int groups_start(struct event_base *base, const char *dir)
{
	memset(&groups, 0, sizeof groups);
	groups.base = base;
	struct offset_store_hooks hooks = {groups_apply, groups_snapshot, NULL};
	int rc = offset_store_open(dir, &hooks, &groups.store);
	if (rc) {
		groups_finish();
		return rc;
	}
	size_t offsets = 0;
	for (size_t i = 0; i < groups.count; i++)
		offsets += groups.table[i]->offsets.total;
	log_info("groups: loaded committed offsets of %zu groups (%zu partitions)",
		 groups.count, offsets);
	rc = offset_store_start(groups.store, base);
	if (rc) {
		groups_finish();
		return rc;
	}
	groups.cleanup = evtimer_new(base, groups_on_cleanup, NULL);
	if (!groups.cleanup) {
		groups_finish();
		return SL_ENOMEM;
	}
	groups.started = 1;
	/* first run soon after start: offsets of topics deleted while
	 * brokerd was down go */
	struct timeval tv = {0, 0};
	evtimer_add(groups.cleanup, &tv);
	return 0;
}

void groups_finish(void)
{
	groups.started = 0;
	/* completions still queued answer their requests and apply */
	offset_store_close(groups.store);
	groups.store = NULL;
	for (size_t i = 0; i < groups.count; i++) {
		rebalance_dispose(groups.table[i], KERR_COORDINATOR_NOT_AVAILABLE);
		group_free(groups.table[i]);
	}
	free(groups.table);
	if (groups.cleanup)
		event_free(groups.cleanup);
	memset(&groups, 0, sizeof groups);
}
