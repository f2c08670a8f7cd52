/*
 * Token bucket (see pace.h).  Caller-owned, single thread, not durable.
 * Tokens beyond the capacity are lost: after a stall the producer bursts at
 * most `capacity` records and the achieved rate, which the report prints,
 * shows the loss instead of the pacer hiding it by catching up.
 */
#include "autoconfig.h"

#include "tools/bench/pace.h"

#include <math.h>

/* Brings the bucket up to now_ns. */
static void pace_refill(struct pace *pace, uint64_t now_ns)
{
	if (now_ns <= pace->last_ns)
		return;
	pace->tokens += (double)(now_ns - pace->last_ns) * pace->per_ns;
	if (pace->tokens > pace->capacity)
		pace->tokens = pace->capacity;
	pace->last_ns = now_ns;
}

void pace_init(struct pace *pace, double per_sec, double capacity, uint64_t now_ns)
{
	pace->per_ns = per_sec / 1e9;
	pace->tokens = 0;
	pace->capacity = capacity < 1 ? 1 : capacity;
	pace->last_ns = now_ns;
}

uint64_t pace_take(struct pace *pace, uint64_t now_ns, uint64_t max)
{
	pace_refill(pace, now_ns);
	double whole = floor(pace->tokens);
	uint64_t n = whole > (double)max ? max : (uint64_t)whole;
	pace->tokens -= (double)n;
	return n;
}

uint64_t pace_next_ns(const struct pace *pace)
{
	if (pace->tokens >= 1)
		return pace->last_ns;
	double wait = (1 - pace->tokens) / pace->per_ns;
	return pace->last_ns + (uint64_t)ceil(wait);
}
