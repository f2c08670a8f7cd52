/*
 * Retention by time and size (see retention.h).  A pass walks the catalog's
 * topics, asks retention_log_start where each partition's log should start
 * and journals the moves one partition at a time; the pass is cheap (a
 * walk over block arrays already in memory) and the journal writes happen
 * only for partitions that actually move.  The timer is a libevent timer;
 * a pass runs on the loop thread like every catalog change.
 */
#include "brokerd/compaction/retention.h"

#include <inttypes.h>
#include <time.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/topic_config.h"
#include "brokerd/compaction/compaction.h"
#include "brokerd/partition/partition.h"
#include "common/errors.h"
#include "common/log.h"

static struct event *retention_timer;

/* The rule itself (see retention.h); pure. */
int64_t retention_log_start(const struct catalog_block *blocks, size_t n,
			    int64_t log_start, int64_t now_ms,
			    int64_t retention_ms, int64_t retention_bytes)
{
	int64_t start = log_start;
	size_t i = 0;
	/* blocks wholly below the log start are gone already */
	while (i < n && blocks[i].end_offset <= start)
		i++;
	if (retention_ms >= 0) {
		int64_t cutoff = now_ms - retention_ms;
		for (; i < n && blocks[i].max_timestamp < cutoff; i++)
			start = blocks[i].end_offset;
	}
	if (retention_bytes >= 0) {
		int64_t bytes = 0;
		for (size_t k = i; k < n; k++)
			bytes += blocks[k].size;
		for (; i < n && bytes > retention_bytes; i++) {
			bytes -= blocks[i].size;
			start = blocks[i].end_offset;
		}
	}
	return start;
}

/* Journal first, memory second (see retention.h). */
int retention_set_log_start(struct partition *p, int64_t offset)
{
	if (offset <= p->log_start)
		return 0;
	int rc = catalog_set_log_start(broker.catalog, p->stream_id, offset);
	if (rc) {
		log_error("log start: stream %" PRIu64 " to %" PRId64 ": %s",
			  p->stream_id, offset, sl_error_name(rc));
		return rc;
	}
	p->log_start = offset;
	return 0;
}

/* Applies retention to one partition of t; returns 1 if its log start
 * moved, 0 if not, or a negative SL_E*. */
static int retention_partition(const struct topic *t, int32_t index,
			       int64_t now_ms, int64_t retention_ms,
			       int64_t retention_bytes)
{
	uint64_t stream = topic_stream_id(t, index);
	struct partition *p = partition_by_stream(broker.partitions, stream);
	if (!p)
		return 0;
	size_t n;
	const struct catalog_block *b = catalog_stream_blocks(broker.catalog, stream, &n);
	int64_t cur = catalog_stream_log_start(broker.catalog, stream);
	if (p->log_start > cur) /* DeleteRecords journals first, so never */
		log_panic("retention: %s-%d log start %" PRId64 " ahead of the catalog's %" PRId64,
			  t->name, index, p->log_start, cur);
	int64_t start = retention_log_start(b, n, cur, now_ms, retention_ms,
					    retention_bytes);
	if (start <= cur)
		return 0;
	int rc = retention_set_log_start(p, start);
	if (rc)
		return rc;
	log_info("retention: %s-%d log start %" PRId64 " -> %" PRId64, t->name,
		 index, cur, start);
	return 1;
}

/* One pass over the live topics whose cleanup.policy has "delete". */
int retention_run(int64_t now_ms)
{
	int moved = 0, err = 0;
	size_t ntopics = catalog_topic_count(broker.catalog);
	for (size_t i = 0; i < ntopics; i++) {
		const struct topic *t = catalog_topic_at(broker.catalog, i);
		if (!topic_config_list_contains(t, "cleanup.policy", "delete"))
			continue;
		int64_t ms = topic_config_int(t, "retention.ms");
		int64_t bytes = topic_config_int(t, "retention.bytes");
		if (ms < 0 && bytes < 0)
			continue;
		for (int32_t k = 0; k < t->partition_count; k++) {
			int rc = retention_partition(t, k, now_ms, ms, bytes);
			if (rc > 0)
				moved++;
			else if (rc < 0 && !err)
				err = rc;
		}
	}
	if (moved)
		compaction_nudge("retention");
	return err ? err : moved;
}

/* Arms the timer for the next pass. */
static void retention_arm(void)
{
	int64_t ms = broker.cfg->retention_check_interval_ms;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(retention_timer, &tv);
}

/* libevent: time for a pass. */
static void retention_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	(void)retention_run((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	retention_arm();
}

/* Creates and arms the pass timer. */
int retention_start(struct event_base *base)
{
	retention_timer = evtimer_new(base, retention_on_timer, NULL);
	if (!retention_timer) {
		log_error("retention: cannot create its timer");
		return -1;
	}
	retention_arm();
	return 0;
}

/* Frees the timer; no pass runs after this. */
void retention_stop(void)
{
	if (retention_timer)
		event_free(retention_timer);
	retention_timer = NULL;
}
