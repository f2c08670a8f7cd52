/*
 * The run's report: a table for people on stdout and, with --json, the same
 * figures as a JSON document for scripts and for BENCHMARKS.md.
 */
#ifndef SLUICE_BENCH_REPORT_H
#define SLUICE_BENCH_REPORT_H

#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "tools/bench/bench.h"
#include "tools/bench/disk.h"
#include "tools/bench/procmem.h"
#include "tools/bench/report_eos.h"
#include "tools/bench/s3bench.h"
#include "tools/bench/txn_bench.h"
#include "tools/bench/workload.h"

struct report {
	const struct bench_opts *opts;
	const struct disk_result *disk;        /* NULL: not run */
	const struct workload_result *broker;  /* NULL: not run */
	const struct workload_result *mock;    /* NULL: not run */
	const struct s3bench_fill *fill;       /* NULL: not run */
	const struct s3bench_catchup *catchup; /* NULL: not run */
	const struct workload_result *eos[REPORT_EOS_MODES]; /* NULL: not run */
	const struct txn_bench_result *txn;    /* NULL: not run */
	pid_t pid;                             /* brokerd, 0: not sampled */
	int mem_rc;                            /* procmem_read's answer */
	struct procmem mem;
	int ok;                                /* every part that ran succeeded */
};

/* Prints the table: its sections, then the verdict line ("result: ok").
 * A part report.c does not know (the compaction section) goes between the
 * two halves. */
void report_print(FILE *out, const struct report *r);
void report_print_sections(FILE *out, const struct report *r);
void report_print_verdict(FILE *out, const struct report *r);
/* Returns the JSON document (new reference); NULL only if out of memory. */
json_t *report_json(const struct report *r);
/* Writes the JSON document to path; returns 0 or SL_EIO. */
int report_json_write(const struct report *r, const char *path);

#endif
