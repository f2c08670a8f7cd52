/*
 * Transactional produce throughput (the eos part): one librdkafka
 * transactional producer runs transactions of opts->txn_records records
 * (round-robin over the partitions) back to back for opts->duration_s:
 * begin, produce, commit, which returns once brokerd has written the
 * markers and the transaction is complete.  Counts committed transactions
 * and records, and times each commit and each whole transaction.
 */
#ifndef SLUICE_BENCH_TXN_BENCH_H
#define SLUICE_BENCH_TXN_BENCH_H

#include <stdint.h>

#include "tools/bench/bench.h"
#include "tools/bench/hist.h"

struct txn_bench_result {
	int ok;
	char error[512];
	int partitions;
	uint64_t txns;           /* committed */
	uint64_t records;        /* acknowledged in committed transactions */
	uint64_t delivery_errors;
	double secs;             /* first begin to last commit */
	double txns_per_s, records_per_s, mbps;
	struct hist commit;      /* commit_transaction() call, ns */
	struct hist txn;         /* begin to commit returned, ns */
};

/* The producer settings, as a NULL-terminated key/value list. */
extern const char *const txn_bench_conf[];

/* Runs the measurement against bootstrap.  Returns 0 when every
 * transaction committed and every record was acknowledged, SL_EIO
 * otherwise with res->error saying why. */
int txn_bench_run(const struct bench_opts *opts, const char *bootstrap,
		  struct txn_bench_result *res);

#endif
