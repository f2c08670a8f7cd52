/*
 * The compaction part of the benchmark (--only compact), against brokerd,
 * uploaderd and compactd on one object store, in one run:
 *
 *   pairs of paced phases (phase (b) and (c) of the broker part, at
 *   --rate-mb for --duration): first with compactd stopped (idle; the
 *   uploads pile up as work for it), then with compactd started and
 *   rewriting (the phase starts only once it has written something, and
 *   fails if it wrote nothing inside the phase); then, with compactd
 *   running and nothing produced, until the uploads have drained and a
 *   whole compaction run found nothing to do (settled).
 *
 * From brokerd's shared-memory counters (bytes ingested) and compactd's
 * report as brokerd's status carries it (bytes written, object store
 * requests by operation) come the write amplification and the requests
 * per GB over the whole run, and per phase; the phases give produce
 * latency idle and while compacting and the ratio of their p99s.
 * compactd is started and stopped by commands the caller gives (the
 * script that set up the node knows how).
 */
#ifndef SLUICE_BENCH_COMPACTBENCH_H
#define SLUICE_BENCH_COMPACTBENCH_H

#include <stdint.h>

#include "tools/bench/bench.h"
#include "tools/bench/compactstat.h"
#include "tools/bench/s3target.h"
#include "tools/bench/shmstat.h"
#include "tools/bench/workload.h"

/* --only compact's bit among enum bench_part (bench.h is another
 * engineer's file; this belongs there). */
#define BENCH_PART_COMPACT (1u << 8)

#define COMPACTBENCH_MAX_PAIRS 16
#define COMPACTBENCH_P99_TARGET 1.5   /* p99 compacting over idle, at most */

struct compactbench_opts {
	const char *start_cmd;      /* sh: start compactd, exit 0 once it runs */
	const char *stop_cmd;       /* sh: stop compactd, exit 0 once it is gone */
	int pairs;                  /* idle/compacting pairs, 1..COMPACTBENCH_MAX_PAIRS */
	double work_timeout_s;      /* longest wait for compactd's first write */
	double settle_timeout_s;    /* longest wait for compactd to settle */
};

/* One paced phase with the counters around it. */
struct compactbench_phase {
	int compacting;                     /* 1: compactd running */
	int ran;
	double wait_s;                      /* compacting: start to first write */
	double secs;                        /* between the two samples */
	struct workload_result lat;
	struct shmstat_sample shm[2];       /* before, after */
	struct compactstat_sample cs[2];
};

/* The node's compaction settings, echoed in the report. */
struct compactbench_settings {
	int64_t region_bytes, region_ms;
	int64_t interval_ms, target_bytes, split_bytes, small_bytes;
	int64_t bytes_per_sec, max_objects_per_run, retired_grace_ms;
};

struct compactbench_result {
	int ok;
	char error[512];
	int pairs;                          /* pairs that ran (even partly) */
	struct compactbench_settings set;
	struct compactbench_phase phase[2 * COMPACTBENCH_MAX_PAIRS];
	int settled;                        /* compactd found nothing to do */
	double settle_s;                    /* last phase to settled (or timeout) */
	struct shmstat_sample shm_start, shm_end;
	struct compactstat_sample cs_start, cs_end;
	struct compactstat_accum acc;       /* every cs above went through it */
};

/*
 * Runs the part against opts->bootstrap with target's segment and control
 * socket.  Returns 0 when every phase ran clean and compactd wrote in
 * every compacting phase; else SL_EIO with r->error (the figures measured
 * so far stay in r).
 */
int compactbench_run(const struct bench_opts *opts, const struct compactbench_opts *co,
		     const struct s3target *target, struct compactbench_result *r);

/* Derived figures; 0 when their denominator is. */
/* Record batch bytes brokerd appended between two samples. */
uint64_t compactbench_ingested(const struct shmstat_sample *a, const struct shmstat_sample *b);
/* Bytes compactd wrote per byte ingested (record batches appended). */
double compactbench_write_amp(const struct shmstat_sample *sa, const struct shmstat_sample *sb,
			      const struct compactstat_sample *ca,
			      const struct compactstat_sample *cb);
/* Bytes compactd wrote per byte uploaderd uploaded (object bytes). */
double compactbench_write_amp_uploaded(const struct shmstat_sample *sa,
				       const struct shmstat_sample *sb,
				       const struct compactstat_sample *ca,
				       const struct compactstat_sample *cb);
/* count per GB (10^9 bytes) ingested between sa and sb. */
double compactbench_per_gb(uint64_t count, const struct shmstat_sample *sa,
			   const struct shmstat_sample *sb);
/* Median produce p99 (ms) of the phases of one kind that ran. */
double compactbench_median_p99(const struct compactbench_result *r, int compacting);
/* Median p99 compacting over median p99 idle. */
double compactbench_p99_ratio(const struct compactbench_result *r);
/* Pair i's compacting p99 over its idle p99. */
double compactbench_pair_ratio(const struct compactbench_result *r, int i);

#endif
