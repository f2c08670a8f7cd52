/*
 * Durability bookkeeping (see durable.h).  Both queues are FIFOs ordered by
 * WAL offset because appends happen in order on the loop thread.
 */
#include "durable.h"

#include <stdlib.h>

#include "brokerd/broker.h"
#include "brokerd/partition/partition.h"
#include "brokerd/shm/segment.h"
#include "brokerd/upload/regions.h"
#include "brokerd/wal/wal.h"
#include "common/counters.h"
#include "common/errors.h"

struct pending_append {
	uint64_t stream_id;
	int64_t last_offset;
	uint64_t wal_end;
};

struct durable_waiter {
	struct durable_waiter *next;
	struct request *req;
	uint64_t wal_end;
	void (*fn)(struct request *req);
	void (*call)(void *arg); /* instead of fn, for durable_call */
	void *arg;
};

/* A ring of pending appends (grows by doubling). */
static struct pending_append *pending;
static size_t pending_cap, pending_head, pending_count;
static struct durable_waiter *waiters_head, **waiters_tail = &waiters_head;
static void (*durable_wakeup)(void);

int durable_note_append(uint64_t stream_id, int64_t last_offset, uint64_t wal_end)
{
	if (pending_count == pending_cap) {
		size_t cap = pending_cap ? pending_cap * 2 : 1024;
		struct pending_append *n = malloc(cap * sizeof *n);
		if (!n)
			return SL_ENOMEM;
		for (size_t i = 0; i < pending_count; i++)
			n[i] = pending[(pending_head + i) % pending_cap];
		free(pending);
		pending = n;
		pending_cap = cap;
		pending_head = 0;
	}
	pending[(pending_head + pending_count) % pending_cap] =
		(struct pending_append){stream_id, last_offset, wal_end};
	pending_count++;
	return 0;
}

int durable_wait(struct request *req, uint64_t wal_end, void (*fn)(struct request *req))
{
	if (wal_end <= wal_durable(broker.wal)) {
		fn(req);
		return 0;
	}
	struct durable_waiter *w = malloc(sizeof *w);
	if (!w)
		return SL_ENOMEM;
	*w = (struct durable_waiter){NULL, req, wal_end, fn, NULL, NULL};
	*waiters_tail = w;
	waiters_tail = &w->next;
	return 0;
}

int durable_call(uint64_t wal_end, void (*fn)(void *arg), void *arg)
{
	if (wal_end <= wal_durable(broker.wal)) {
		fn(arg);
		return 0;
	}
	struct durable_waiter *w = malloc(sizeof *w);
	if (!w)
		return SL_ENOMEM;
	*w = (struct durable_waiter){NULL, NULL, wal_end, NULL, fn, arg};
	*waiters_tail = w;
	waiters_tail = &w->next;
	return 0;
}

/* Runs a waiter's completion. */
static void durable_waiter_run(struct durable_waiter *w)
{
	if (w->call)
		w->call(w->arg);
	else
		w->fn(w->req);
}

uint8_t *durable_lend(void *arg, uint64_t start, size_t len, uint64_t keep)
{
	(void)arg;
	return shm_cache_lend(broker.shm, start, len, keep);
}

void durable_set_wakeup(void (*fn)(void))
{
	durable_wakeup = fn;
}

void durable_on_wal(void *arg, uint64_t start, uint64_t end, const uint8_t *bytes)
{
	shm_cache_put(broker.shm, start, bytes, (size_t)(end - start));
	COUNTER_ADD(wal_blocks, 1);
	COUNTER_ADD(wal_bytes, end - start);
	COUNTER_SET(wal_durable, end);
	COUNTER_SET(wal_head, wal_head(broker.wal));
	COUNTER_SET(cache_low, shm_cache_low(broker.shm));
	COUNTER_SET(cache_high, end);
	COUNTER_SET(wal_head, wal_head(broker.wal));
	COUNTER_SET(cache_low, shm_cache_low(broker.shm));
	COUNTER_SET(cache_high, end);

	int advanced = 0;
	while (pending_count && pending[pending_head].wal_end <= end) {
		struct pending_append *a = &pending[pending_head];
		struct partition *p = partition_by_stream(broker.partitions, a->stream_id);
		if (p && a->last_offset + 1 > p->high_watermark) {
			p->high_watermark = a->last_offset + 1;
			advanced = 1;
		}
		pending_head = (pending_head + 1) % pending_cap;
		pending_count--;
	}
	while (waiters_head && waiters_head->wal_end <= end) {
		struct durable_waiter *w = waiters_head;
		waiters_head = w->next;
		if (!waiters_head)
			waiters_tail = &waiters_head;
		durable_waiter_run(w);
		free(w);
	}
	regions_on_durable(end);
	if (advanced && durable_wakeup)
		durable_wakeup();
}

void durable_shutdown(void)
{
	/* Connections are closed before this runs, so completing a waiter
	 * only frees its orphaned request: nothing undurable is answered. */
	while (waiters_head) {
		struct durable_waiter *w = waiters_head;
		waiters_head = w->next;
		durable_waiter_run(w);
		free(w);
	}
	waiters_tail = &waiters_head;
	free(pending);
	pending = NULL;
	pending_cap = pending_count = pending_head = 0;
}
