/*
 * The token bucket of compactd's transfers (see pace.h).  No state beyond
 * the struct; the loop thread owns it.
 */
#include "compactd/pace.h"

void pace_init(struct pace *p, int64_t bytes_per_sec, int64_t now_ms)
{
	p->rate = (double)bytes_per_sec / 1000.0;
	p->burst = (double)bytes_per_sec;
	p->tokens = p->burst;
	p->last_ms = now_ms;
}

uint64_t pace_bytes_per_sec(const struct pace *p)
{
	return (uint64_t)(p->rate * 1000.0 + 0.5);
}

int64_t pace_delay(struct pace *p, uint64_t bytes, int64_t now_ms)
{
	if (now_ms > p->last_ms) {
		p->tokens += (double)(now_ms - p->last_ms) * p->rate;
		if (p->tokens > p->burst)
			p->tokens = p->burst;
		p->last_ms = now_ms;
	}
	/* the transfer waits until the tokens it needs, less its own size,
	 * are there: a transfer starts with the bucket at or above zero */
	int64_t wait = p->tokens < 0 ? (int64_t)(-p->tokens / p->rate + 0.999) : 0;
	p->tokens -= (double)bytes;
	return wait;
}
