/*
 * Token bucket that paces a producer at a fixed record rate.  The caller
 * asks how many records it may send now and, when none, until when to wait:
 * the schedule is kept in absolute time, so the rate does not drift with
 * sleep overshoot the way a sleep after each record does.
 */
#ifndef SLUICE_BENCH_PACE_H
#define SLUICE_BENCH_PACE_H

#include <stdint.h>

struct pace {
	double per_ns;     /* tokens added per nanosecond */
	double tokens;     /* whole and partial tokens available */
	double capacity;   /* tokens held at most: the largest burst */
	uint64_t last_ns;  /* when tokens was last brought up to date */
};

/* Starts an empty bucket at now_ns filling at per_sec, holding at most capacity (>= 1). */
void pace_init(struct pace *pace, double per_sec, double capacity, uint64_t now_ns);
/* Returns how many tokens (at most max) were taken at now_ns. */
uint64_t pace_take(struct pace *pace, uint64_t now_ns, uint64_t max);
/* Returns the time at which the next whole token is available. */
uint64_t pace_next_ns(const struct pace *pace);

#endif
