/*
 * The produce workload run against one cluster (brokerd or the mock):
 * (a) maximum acknowledged throughput, (b) produce latency at a fixed paced
 * rate, (c) end-to-end latency at that rate.  acks=all throughout.  Also
 * the fill of the catch-up benchmark: (a) bounded by bytes, not time.
 */
#ifndef SLUICE_BENCH_WORKLOAD_H
#define SLUICE_BENCH_WORKLOAD_H

#include <stdint.h>

#include "tools/bench/bench.h"
#include "tools/bench/hist.h"

struct workload_result {
	int ok;                  /* every record acknowledged and read back intact */
	char error[512];         /* the first thing that went wrong */
	int partitions;          /* as the cluster reports the topic */
	int topic_created;

	/* (a) as fast as the producer can. */
	uint64_t tput_acked;
	uint64_t tput_errors;    /* failed delivery reports */
	uint64_t tput_queue_full;   /* produce() calls refused: the client was the limit */
	double tput_secs;        /* first produce() to last acknowledgement */
	double tput_mbps;
	double tput_rps;

	/* (b) paced. */
	double target_mbps;
	double achieved_mbps;    /* records handed to produce() per second, in MB */
	uint64_t lat_sent;
	uint64_t lat_acked;
	uint64_t lat_errors;
	uint64_t lat_queue_full;
	struct hist produce;     /* produce() call to delivery report, ns */

	/* (c) end to end at the paced rate. */
	uint64_t e2e_consumed;   /* distinct records read back */
	uint64_t e2e_missing;    /* acknowledged but not read back in time */
	uint64_t e2e_duplicates;
	uint64_t e2e_corrupt;
	uint64_t e2e_errors;     /* consumer errors (fetch failures) */
	struct hist e2e;         /* payload send time to consumer poll, ns */
};

/*
 * Producer settings, as NULL-terminated key/value lists: for the throughput
 * phase and for the paced phase (which adds linger.ms from the options).
 */
extern const char *const workload_tput_conf[];
extern const char *const workload_paced_conf[];

/*
 * Runs (a), (b) and (c) against bootstrap, with the producers set up as
 * opts->producer_mode says.  Returns 0 when the run was
 * clean (res->ok), SL_EIO otherwise with res->error saying why; the figures
 * measured before a failure stay in res.
 */
int workload_run(const struct bench_opts *opts, const char *bootstrap, struct workload_result *res);

/*
 * Fills the topic: opts->fill_bytes of record values (rounded up to whole
 * records) produced as in phase (a) but bounded by count, not time; the
 * figures land in res's tput_* fields.  Returns 0 when every record was
 * acknowledged, SL_EIO otherwise with res->error saying why.
 */
int workload_fill(const struct bench_opts *opts, const char *bootstrap, struct workload_result *res);

#endif
