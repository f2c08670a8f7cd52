/*
 * Latency histograms (see histogram.h).  Fixed buckets make an observation
 * a short scan of 16 bounds and keep the exposition compatible across
 * restarts; nothing is durable.  Event-loop thread only.
 */
#include "histogram.h"

#include <string.h>
#include <time.h>

const int64_t histogram_bounds_us[HISTOGRAM_BOUNDS] = {
	100,     250,     500,     1000,    2500,    5000,
	10000,   25000,   50000,   100000,  250000,  500000,
	1000000, 2500000, 5000000, 10000000,
};

static struct histogram histograms[HISTOGRAM__COUNT];

static const struct {
	const char *name;
	int16_t api_key;
	const char *help;
} histogram_table[HISTOGRAM__COUNT] = {
#define HISTOGRAM_ROW(name, key, help) {#name, key, help},
	HISTOGRAMS(HISTOGRAM_ROW)
#undef HISTOGRAM_ROW
};

int64_t histogram_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void histogram_observe(struct histogram *h, int64_t us)
{
	if (us < 0)
		us = 0;
	size_t i = 0;
	while (i < HISTOGRAM_BOUNDS && us > histogram_bounds_us[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum_us += (uint64_t)us;
}

void histogram_observe_request(int16_t api_key, int64_t start_us)
{
	for (size_t i = 0; i < HISTOGRAM__COUNT; i++)
		if (histogram_table[i].api_key == api_key) {
			histogram_observe(&histograms[i], histogram_now_us() - start_us);
			return;
		}
}

const struct histogram *histogram_get(enum histogram_id id)
{
	return &histograms[id];
}

const char *histogram_name(enum histogram_id id)
{
	return histogram_table[id].name;
}

const char *histogram_help(enum histogram_id id)
{
	return histogram_table[id].help;
}

void histogram_reset_all(void)
{
	memset(histograms, 0, sizeof histograms);
}
