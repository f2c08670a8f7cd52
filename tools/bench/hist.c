/*
 * Log-linear histogram (see hist.h).  Plain memory owned by the caller; one
 * thread records into a histogram, others may read it only after that thread
 * is joined.  Nothing here is durable.
 */
#include "autoconfig.h"

#include "tools/bench/hist.h"

#include <math.h>
#include <string.h>

/* Index of the bucket that holds value. */
static unsigned hist_index(uint64_t value)
{
	if (value < 2 * HIST_SUB_COUNT)
		return (unsigned)value;
	unsigned exp = 63u - (unsigned)__builtin_clzll(value);
	unsigned shift = exp - HIST_SUB_BITS;
	unsigned sub = (unsigned)(value >> shift) - HIST_SUB_COUNT;
	return 2 * HIST_SUB_COUNT + (exp - HIST_SUB_BITS - 1) * HIST_SUB_COUNT + sub;
}

/* Largest value that falls in bucket index. */
static uint64_t hist_bucket_top(unsigned index)
{
	if (index < 2 * HIST_SUB_COUNT)
		return index;
	unsigned rel = index - 2 * HIST_SUB_COUNT;
	unsigned exp = rel / HIST_SUB_COUNT + HIST_SUB_BITS + 1;
	unsigned shift = exp - HIST_SUB_BITS;
	uint64_t low = (uint64_t)(HIST_SUB_COUNT + rel % HIST_SUB_COUNT) << shift;
	return low + ((UINT64_C(1) << shift) - 1);
}

void hist_reset(struct hist *hist)
{
	memset(hist, 0, sizeof *hist);
	hist->min = UINT64_MAX;
}

void hist_record(struct hist *hist, uint64_t value)
{
	hist->buckets[hist_index(value)]++;
	hist->count++;
	hist->sum += (double)value;
	if (value < hist->min)
		hist->min = value;
	if (value > hist->max)
		hist->max = value;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist_percentile(const struct hist *hist, double q)
{
	if (hist->count == 0)
		return 0;
	if (q <= 0)
		return hist->min;
	/* The rank of the sample we want, 1-based: ceil(q% of count). */
	double want = ceil(q / 100.0 * (double)hist->count);
	uint64_t rank = want < 1 ? 1 : (uint64_t)want;
	if (rank > hist->count)
		rank = hist->count;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += hist->buckets[i];
		if (seen >= rank) {
			uint64_t top = hist_bucket_top(i);
			if (top > hist->max)
				top = hist->max;
			if (top < hist->min)
				top = hist->min;
			return top;
		}
	}
	return hist->max;
}

double hist_mean(const struct hist *hist)
{
	return hist->count ? hist->sum / (double)hist->count : 0;
}
