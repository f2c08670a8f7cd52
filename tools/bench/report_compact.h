/*
 * The compaction part's share of the report: a table on stdout and the
 * same figures as JSON, added to the run's JSON document.
 */
#ifndef SLUICE_BENCH_REPORT_COMPACT_H
#define SLUICE_BENCH_REPORT_COMPACT_H

#include <stdio.h>

#include <jansson.h>

#include "tools/bench/compactbench.h"
#include "tools/bench/report.h"

/* Prints the compaction section. */
void report_compact_print(FILE *out, const struct bench_opts *o,
			  const struct compactbench_result *c);
/* The compaction section as JSON (new reference); NULL only without memory. */
json_t *report_compact_json(const struct compactbench_result *c);
/* Writes the run's JSON document (report_json) with the compaction section
 * added under "compact"; returns 0, SL_ENOMEM or SL_EIO. */
int report_compact_json_write(const struct report *r, const struct compactbench_result *c,
			      const char *path);

#endif
