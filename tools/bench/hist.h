/*
 * A log-linear latency histogram in the manner of HdrHistogram: values below
 * 256 have a bucket each, above that every power of two is split into 128
 * buckets, so a reported percentile is at most 1/128 (0.8 %) above the true
 * sample.  Fixed size, no allocation, one writer; min, max and mean are exact.
 */
#ifndef SLUICE_BENCH_HIST_H
#define SLUICE_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)
/* 256 exact buckets, then 128 for each exponent 8..63. */
#define HIST_BUCKETS (2 * HIST_SUB_COUNT + (64 - HIST_SUB_BITS - 1) * HIST_SUB_COUNT)

struct hist {
	uint64_t count;
	uint64_t min;
	uint64_t max;
	double sum;
	uint64_t buckets[HIST_BUCKETS];
};

/* Empties the histogram. */
void hist_reset(struct hist *hist);
/* Counts one value. */
void hist_record(struct hist *hist, uint64_t value);
/* Adds every count of src into dst. */
void hist_merge(struct hist *dst, const struct hist *src);
/*
 * Returns the smallest value v such that at least q percent of the samples
 * are <= v, rounded up to its bucket's top and capped at the exact maximum;
 * 0 when the histogram is empty.  q is in [0, 100].
 */
uint64_t hist_percentile(const struct hist *hist, double q);
/* Returns the arithmetic mean, 0 when empty. */
double hist_mean(const struct hist *hist);

#endif
