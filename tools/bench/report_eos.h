/*
 * The eos part's share of the report (report.c calls these): produce with
 * idempotence off and on side by side, and transactional throughput; a
 * table on stdout and the same figures as JSON.
 */
#ifndef SLUICE_BENCH_REPORT_EOS_H
#define SLUICE_BENCH_REPORT_EOS_H

#include <stdio.h>

#include <jansson.h>

#include "tools/bench/bench.h"
#include "tools/bench/txn_bench.h"
#include "tools/bench/workload.h"

/* The three producer set-ups the eos part runs, in enum bench_producer_mode
 * order. */
#define REPORT_EOS_MODES 3

/* Prints the section; modes[i] NULL for a set-up that did not run, txn
 * NULL when the transactional run did not happen. */
void report_eos_print(FILE *out, const struct bench_opts *o,
		      const struct workload_result *const modes[REPORT_EOS_MODES],
		      const struct txn_bench_result *txn);

/* The same as JSON (new reference). */
json_t *report_eos_json(const struct bench_opts *o,
			const struct workload_result *const modes[REPORT_EOS_MODES],
			const struct txn_bench_result *txn);

#endif
