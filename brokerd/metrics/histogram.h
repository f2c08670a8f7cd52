/*
 * brokerd's latency histograms: fixed buckets (Prometheus "le" bounds),
 * written once as a table: X(name, api_key, help).  Produce is measured
 * from the moment its frame was read to the moment its response is queued
 * (mostly the WAL's group commit); Fetch the same way, long-poll waiting
 * included.  The counts live in brokerd's memory, not in shared memory:
 * only the metrics endpoint reads them.  Event-loop thread only.
 */
#ifndef SLUICE_HISTOGRAM_H
#define SLUICE_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HISTOGRAMS(X)                                                          \
	X(produce, 0, "Produce request latency: frame read to response queued") \
	X(fetch, 1, "Fetch request latency: frame read to response queued, long polling included")

enum histogram_id {
#define HISTOGRAM_ENUM(name, key, help) HISTOGRAM_##name,
	HISTOGRAMS(HISTOGRAM_ENUM)
#undef HISTOGRAM_ENUM
	HISTOGRAM__COUNT
};

/* Upper bounds of the finite buckets, in microseconds (100 us to 10 s). */
#define HISTOGRAM_BOUNDS 16
extern const int64_t histogram_bounds_us[HISTOGRAM_BOUNDS];

struct histogram {
	/* counts[i] observations <= bounds[i] and > bounds[i-1] (not
	 * cumulative); counts[HISTOGRAM_BOUNDS] above the last bound */
	uint64_t counts[HISTOGRAM_BOUNDS + 1];
	uint64_t count;
	uint64_t sum_us;
};

/* Monotonic clock in microseconds. */
int64_t histogram_now_us(void);

/* Adds one observation of us microseconds (negative counts as 0). */
void histogram_observe(struct histogram *h, int64_t us);

/* Adds the latency of a request of api_key that started at start_us, if a
 * histogram measures that API. */
void histogram_observe_request(int16_t api_key, int64_t start_us);

/* The histogram id measures (never NULL for a valid id). */
const struct histogram *histogram_get(enum histogram_id id);

/* Name ("produce") and help text of a histogram. */
const char *histogram_name(enum histogram_id id);
const char *histogram_help(enum histogram_id id);

/* Forgets every observation (tests). */
void histogram_reset_all(void);

#endif
