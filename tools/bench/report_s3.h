/*
 * The fill and catch-up parts' share of the report (report.c calls these):
 * a table on stdout and the same figures as JSON.
 */
#ifndef SLUICE_BENCH_REPORT_S3_H
#define SLUICE_BENCH_REPORT_S3_H

#include <stdio.h>

#include <jansson.h>

#include "tools/bench/s3bench.h"

/* Prints the fill section. */
void report_s3_print_fill(FILE *out, const struct bench_opts *o, const struct s3bench_fill *f);
/* Prints the catch-up section. */
void report_s3_print_catchup(FILE *out, const struct bench_opts *o,
			     const struct s3bench_catchup *c);
/* The fill section as JSON (new reference). */
json_t *report_s3_json_fill(const struct s3bench_fill *f);
/* The catch-up section as JSON (new reference). */
json_t *report_s3_json_catchup(const struct s3bench_catchup *c);

#endif
