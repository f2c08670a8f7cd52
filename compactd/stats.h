/*
 * compactd's counters: totals since start and the figures of the last
 * run.  Logged once per run and sent to brokerd in the "report" control
 * operation (with the last error), where `sluicectl status` can show them.
 * Loop thread only; nothing durable (they restart at zero).
 */
#ifndef SLUICE_COMPACTD_STATS_H
#define SLUICE_COMPACTD_STATS_H

#include <stdint.h>

#include <jansson.h>

/* X(field, description) */
#define COMPACTD_STATS(X)                                                      \
	X(runs, "compaction runs finished")                                    \
	X(runs_failed, "runs abandoned (brokerd or the bucket unavailable)")   \
	X(bytes_read, "block bytes read from the bucket")                      \
	X(bytes_written, "object bytes written to the bucket")                 \
	X(objects_written, "objects written")                                  \
	X(rewrites_committed, "rewrites brokerd committed")                    \
	X(rewrites_refused, "rewrites brokerd refused (outputs deleted)")      \
	X(objects_expired, "objects replaced by nothing (all data expired)")   \
	X(orphans_deleted, "unknown objects deleted after orphan.grace.ms")    \
	X(retired_deleted, "retired objects deleted after retired.grace.ms")   \
	X(records_dropped, "records removed from compacted topics")            \
	X(s3_requests, "requests sent to the bucket (S3: every attempt, page "  \
			"and part; a local directory: operations)")

struct compactd_stats {
#define COMPACTD_STATS_FIELD(f, doc) uint64_t f;
	COMPACTD_STATS(COMPACTD_STATS_FIELD)
#undef COMPACTD_STATS_FIELD
};

/* The counters as a JSON object (a new reference), or NULL. */
json_t *stats_json(const struct compactd_stats *s);

/* Logs one info line: what a run did (now minus the counters at its
 * start), how long it took, and why it was abandoned (error, or NULL). */
void stats_log_run(const struct compactd_stats *start,
		   const struct compactd_stats *now, int64_t elapsed_ms,
		   const char *error);

#endif
