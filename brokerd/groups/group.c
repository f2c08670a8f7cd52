/*
 * Group and member structures (see group.h): allocation, lookups, the
 * protocols members offer, protocol selection, and the consumer
 * subscriptions OffsetDelete needs.  The rules of the state machine are in
 * coordinator.c and rebalance.c; nothing here answers a request.
 *
 * Ownership: a group owns its members, pending ids, timers and offsets.
 * Threading: event loop only.  Nothing here is durable.
 */
#include "brokerd/groups/group.h"
#include "brokerd/groups/group_txn_offsets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include <event2/event.h>

#include "common/bytes.h"
#include "common/errors.h"
#include "common/log.h"

const char *group_state_name(enum group_state state)
{
	switch (state) {
	case GROUP_EMPTY: return "Empty";
	case GROUP_PREPARING_REBALANCE: return "PreparingRebalance";
	case GROUP_COMPLETING_REBALANCE: return "CompletingRebalance";
	case GROUP_STABLE: return "Stable";
	case GROUP_DEAD: return "Dead";
	}
	return "Unknown";
}

int64_t group_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct group *group_new(const char *id)
{
	struct group *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->id = strdup(id);
	if (!g->id) {
		free(g);
		return NULL;
	}
	TAILQ_INIT(&g->members);
	LIST_INIT(&g->pending);
	g->state = GROUP_EMPTY;
	g->state_ms = group_now_ms();
	return g;
}

void group_transition(struct group *g, enum group_state state)
{
	g->state = state;
	g->state_ms = group_now_ms();
}

/* Frees a member's protocols. */
static void group_protocols_free(struct group_protocol *p, int n)
{
	for (int i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].metadata);
	}
	free(p);
}

void group_member_free(struct group_member *m)
{
	if (!m)
		return;
	SL_ASSERT(!m->join_req && !m->sync_req);
	if (m->heartbeat)
		event_free(m->heartbeat);
	group_protocols_free(m->protocols, m->protocol_count);
	free(m->assignment);
	free(m->member_id);
	free(m->instance_id);
	free(m->client_id);
	free(m->client_host);
	free(m);
}

void group_free(struct group *g)
{
	if (!g)
		return;
	struct group_member *m;
	while ((m = TAILQ_FIRST(&g->members))) {
		TAILQ_REMOVE(&g->members, m, link);
		group_member_free(m);
	}
	struct group_pending *p;
	while ((p = LIST_FIRST(&g->pending))) {
		LIST_REMOVE(p, link);
		if (p->timer)
			event_free(p->timer);
		free(p->member_id);
		free(p);
	}
	if (g->join_timer)
		event_free(g->join_timer);
	if (g->join_check)
		event_free(g->join_check);
	if (g->sync_timer)
		event_free(g->sync_timer);
	group_offsets_clear(&g->offsets);
	group_txn_offsets_clear(g);
	free(g->protocol_type);
	free(g->protocol_name);
	free(g->id);
	free(g);
}

struct group_member *group_member_find(const struct group *g, const char *member_id)
{
	struct group_member *m;
	TAILQ_FOREACH(m, &g->members, link)
		if (!strcmp(m->member_id, member_id))
			return m;
	return NULL;
}

struct group_member *group_static_find(const struct group *g, const char *instance_id)
{
	struct group_member *m;
	TAILQ_FOREACH(m, &g->members, link)
		if (m->instance_id && !strcmp(m->instance_id, instance_id))
			return m;
	return NULL;
}

struct group_pending *group_pending_find(const struct group *g, const char *member_id)
{
	struct group_pending *p;
	LIST_FOREACH(p, &g->pending, link)
		if (!strcmp(p->member_id, member_id))
			return p;
	return NULL;
}

char *group_member_id_new(const char *prefix)
{
	uint8_t u[16];
	size_t got = 0;
	while (got < sizeof u) {
		ssize_t n = getrandom(u + got, sizeof u - got, 0);
		if (n < 0)
			log_panic("getrandom failed"); /* cannot on Linux >= 3.17 */
		got += (size_t)n;
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	size_t n = strlen(prefix) + 38;
	char *id = malloc(n);
	if (!id)
		return NULL;
	snprintf(id, n,
		 "%s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 prefix, u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8],
		 u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return id;
}

int group_member_set_protocols(struct group_member *m,
			       const struct group_protocol *protocols, int n)
{
	struct group_protocol *copy = calloc((size_t)n + 1, sizeof *copy);
	if (!copy)
		return SL_ENOMEM;
	for (int i = 0; i < n; i++) {
		copy[i].name = strdup(protocols[i].name);
		copy[i].metadata_len = protocols[i].metadata_len;
		copy[i].metadata = malloc((size_t)protocols[i].metadata_len + 1);
		if (!copy[i].name || !copy[i].metadata) {
			group_protocols_free(copy, i + 1);
			return SL_ENOMEM;
		}
		if (protocols[i].metadata_len)
			memcpy(copy[i].metadata, protocols[i].metadata,
			       (size_t)protocols[i].metadata_len);
	}
	group_protocols_free(m->protocols, m->protocol_count);
	m->protocols = copy;
	m->protocol_count = n;
	return 0;
}

int group_member_matches(const struct group_member *m,
			 const struct group_protocol *protocols, int n)
{
	if (m->protocol_count != n)
		return 0;
	for (int i = 0; i < n; i++) {
		const struct group_protocol *a = &m->protocols[i], *b = &protocols[i];
		if (strcmp(a->name, b->name) || a->metadata_len != b->metadata_len ||
		    (a->metadata_len &&
		     memcmp(a->metadata, b->metadata, (size_t)a->metadata_len)))
			return 0;
	}
	return 1;
}

const struct group_protocol *group_member_protocol(const struct group_member *m,
						   const char *name)
{
	for (int i = 0; name && i < m->protocol_count; i++)
		if (!strcmp(m->protocols[i].name, name))
			return &m->protocols[i];
	return NULL;
}

int group_member_set_assignment(struct group_member *m, const uint8_t *p,
				int32_t len)
{
	uint8_t *copy = malloc(len > 0 ? (size_t)len : 1);
	if (!copy)
		return SL_ENOMEM;
	if (len > 0)
		memcpy(copy, p, (size_t)len);
	free(m->assignment);
	m->assignment = copy;
	m->assignment_len = len > 0 ? len : 0;
	return 0;
}

/* Whether every member of g offers a protocol of this name. */
static int group_all_offer(const struct group *g, const char *name)
{
	struct group_member *m;
	TAILQ_FOREACH(m, &g->members, link)
		if (!group_member_protocol(m, name))
			return 0;
	return 1;
}

int group_supports(const struct group *g, const char *protocol_type,
		   const struct group_protocol *protocols, int n)
{
	if (g->member_count == 0)
		return protocol_type[0] != '\0' && n > 0;
	if (!g->protocol_type || strcmp(g->protocol_type, protocol_type))
		return 0;
	for (int i = 0; i < n; i++)
		if (group_all_offer(g, protocols[i].name))
			return 1;
	return 0;
}

const char *group_select_protocol(const struct group *g)
{
	const struct group_member *first = TAILQ_FIRST(&g->members);
	if (!first)
		return NULL;
	/* candidates are the first member's protocols every member offers;
	 * count each member's vote for the first candidate it lists */
	const char *best = NULL;
	int best_votes = 0;
	for (int c = 0; c < first->protocol_count; c++) {
		const char *cand = first->protocols[c].name;
		if (!group_all_offer(g, cand))
			continue;
		int votes = 0;
		struct group_member *m;
		TAILQ_FOREACH(m, &g->members, link) {
			for (int i = 0; i < m->protocol_count; i++) {
				if (!group_all_offer(g, m->protocols[i].name))
					continue;
				votes += !strcmp(m->protocols[i].name, cand);
				break;
			}
		}
		/* strictly more votes: on a tie the earlier of first's wins */
		if (votes > best_votes) {
			best = cand;
			best_votes = votes;
		}
	}
	return best;
}

/* Whether ConsumerProtocolSubscription metadata names topic; -1 when it
 * does not parse.  Layout (never flexible): Version i16, Topics [string]
 * (i32 count, i16-length strings), then fields we do not need. */
static int group_subscription_has(const uint8_t *p, int32_t len,
				  const char *topic)
{
	size_t tlen = strlen(topic);
	if (len < 6)
		return -1;
	int32_t n = (int32_t)be32_get(p + 2);
	size_t off = 6;
	if (n < 0)
		return -1;
	for (int32_t i = 0; i < n; i++) {
		if (off + 2 > (size_t)len)
			return -1;
		size_t slen = be16_get(p + off);
		off += 2;
		if (slen > 0x7fff || off + slen > (size_t)len)
			return -1;
		if (slen == tlen && !memcmp(p + off, topic, tlen))
			return 1;
		off += slen;
	}
	return 0;
}

int group_subscribed_to(const struct group *g, const char *topic)
{
	if (!g->protocol_type || strcmp(g->protocol_type, "consumer") ||
	    !g->protocol_name)
		return 1;
	struct group_member *m;
	TAILQ_FOREACH(m, &g->members, link) {
		const struct group_protocol *p = group_member_protocol(m, g->protocol_name);
		if (!p)
			return 1;
		int has = group_subscription_has(p->metadata, p->metadata_len, topic);
		if (has != 0)
			return 1; /* subscribed, or cannot tell */
	}
	return 0;
}

int32_t group_rebalance_timeout_ms(const struct group *g)
{
	int32_t max = 0;
	struct group_member *m;
	TAILQ_FOREACH(m, &g->members, link)
		if (m->rebalance_timeout_ms > max)
			max = m->rebalance_timeout_ms;
	return max;
}
