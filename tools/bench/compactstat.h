/*
 * compactd's counters as the benchmark samples them: compactd reports
 * them to brokerd (the "report" control operation: after every run and
 * every second while they move), and brokerd's "status" answer carries
 * the last report of each helper daemon.  One sample also holds the
 * object store counters of uploaderd (its report) and of brokerd (its
 * own), so requests per GB can be split by daemon.  compactd's counters
 * restart with each process (the benchmark stops and starts it), so
 * samples go through an accumulator that adds up the processes.
 */
#ifndef SLUICE_BENCH_COMPACTSTAT_H
#define SLUICE_BENCH_COMPACTSTAT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/objstore.h"

/* Which daemon's object store counters. */
enum compactstat_daemon {
	COMPACTSTAT_COMPACTD,
	COMPACTSTAT_UPLOADERD,
	COMPACTSTAT_BROKERD,
	COMPACTSTAT_DAEMONS
};

/* compactd's own counters the benchmark uses (compactd/stats.h names). */
#define COMPACTSTAT_FIELDS(X)                                                  \
	X(runs)                                                                \
	X(runs_failed)                                                         \
	X(bytes_read)                                                          \
	X(bytes_written)                                                       \
	X(objects_written)                                                     \
	X(rewrites_committed)                                                  \
	X(rewrites_refused)                                                    \
	X(objects_expired)                                                     \
	X(retired_deleted)                                                     \
	X(orphans_deleted)

struct compactstat_sample {
	uint64_t generation;        /* brokerd's; counters of a restarted one differ */
	int reported;               /* compactd has reported to this brokerd */
	int64_t at_ms;              /* when brokerd got compactd's report (wall ms) */
	int64_t compactd_pid;
#define COMPACTSTAT_FIELD(f) uint64_t f;
	COMPACTSTAT_FIELDS(COMPACTSTAT_FIELD)
#undef COMPACTSTAT_FIELD
	struct objstore_stats s3[COMPACTSTAT_DAEMONS];  /* zero when not reported */
};

/* Sums compactd's counters over its processes (told apart by pid): each
 * process's last report, as brokerd keeps it, is added in once the next
 * process reports.  A stopping compactd waits for brokerd to have its
 * last report, so a sample taken after it exited holds its final counts. */
struct compactstat_accum {
	int64_t pid;                        /* the process of last; 0: none yet */
	struct compactstat_sample base;     /* earlier processes' final counters */
	struct compactstat_sample last;     /* the last sample as read */
};

/* Takes raw (a sample as read) into acc and gives in out the same sample
 * with compactd's counters (its own and its object store's) summed over
 * every process seen. */
void compactstat_accumulate(struct compactstat_accum *acc, const struct compactstat_sample *raw,
			    struct compactstat_sample *out);

/* Fills out from brokerd's "status" answer; returns 0, or SL_EINVAL when
 * status is not a successful answer (missing fields read as 0). */
int compactstat_parse(json_t *status, struct compactstat_sample *out);

/* Asks brokerd's control socket at path for its status (blocking, at
 * most timeout_ms) and parses it; returns 0, or SL_EIO with err filled
 * (no brokerd, no answer, not JSON, not ok). */
int compactstat_read(const char *path, int timeout_ms, struct compactstat_sample *out,
		     char *err, size_t errlen);

/* The name of a daemon of enum compactstat_daemon. */
const char *compactstat_daemon_name(int d);

/* A run of compactd ended (finished or abandoned) between a and b. */
int compactstat_runs_ended(const struct compactstat_sample *a, const struct compactstat_sample *b);

/* compactd changed something in the bucket between a and b (wrote,
 * expired or deleted objects). */
int compactstat_worked(const struct compactstat_sample *a, const struct compactstat_sample *b);

#endif
