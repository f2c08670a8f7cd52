/*
 * Region sealing (see regions.h).  The ring has SHM_REGION_SLOTS slots; a
 * slot is reused only after its region is committed, so when uploads stall
 * the current region simply grows (the WAL's own back-pressure bounds it).
 */
#include "regions.h"

#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "brokerd/broker.h"
#include "brokerd/control/control.h"
#include "brokerd/shm/segment.h"
#include "brokerd/wal/wal.h"
#include "common/log.h"
#include "common/shm_layout.h"

static struct event *regions_timer;
static uint64_t region_start;     /* first byte of the next region */
static uint64_t region_durable;   /* durable end seen so far */
static int64_t region_first_ms;   /* when bytes after region_start became durable */

/* Wall-clock milliseconds. */
static int64_t regions_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Publishes [region_start, region_durable) if a slot is free. */
static void regions_seal(void)
{
	struct shm_region_ring *ring = shm_regions(broker.shm);
	if (region_durable <= region_start)
		return;
	if (ring->sealed - ring->committed >= SHM_REGION_SLOTS)
		return; /* uploads are behind: the region keeps growing */
	uint64_t n = ring->sealed;
	struct shm_region_slot *slot = &ring->slots[n % SHM_REGION_SLOTS];
	slot->wal_start = region_start;
	slot->wal_end = region_durable;
	slot->sealed_ms = regions_now_ms();
	__atomic_store_n(&slot->seq, n + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&ring->sealed, n + 1, __ATOMIC_RELEASE);
	log_debug("regions: sealed region %llu [%llu, %llu)", (unsigned long long)n,
		  (unsigned long long)region_start, (unsigned long long)region_durable);
	region_start = region_durable;
	region_first_ms = 0;
	json_t *ev = json_pack("{s:s, s:I}", "event", "region", "sealed",
			       (json_int_t)(n + 1));
	control_broadcast("regions", ev);
	json_decref(ev);
}

void regions_on_durable(uint64_t end)
{
	if (end <= region_durable)
		return;
	region_durable = end;
	if (!region_first_ms)
		region_first_ms = regions_now_ms();
	if (region_durable - region_start >= (uint64_t)broker.cfg->region_bytes)
		regions_seal();
}

void regions_seal_now(void)
{
	regions_seal();
}

/* Timer: seals a region whose oldest byte has waited region.ms. */
static void regions_on_timer(evutil_socket_t fd, short what, void *arg)
{
	if (region_first_ms &&
	    regions_now_ms() - region_first_ms >= broker.cfg->region_ms)
		regions_seal();
}

void regions_on_commit(uint64_t uploaded_end)
{
	struct shm_region_ring *ring = shm_regions(broker.shm);
	while (ring->committed < ring->sealed &&
	       ring->slots[ring->committed % SHM_REGION_SLOTS].wal_end <= uploaded_end)
		__atomic_store_n(&ring->committed, ring->committed + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&ring->uploaded_end, uploaded_end, __ATOMIC_RELEASE);
	/* a slot may have freed up for a region that had to wait */
	if (region_durable - region_start >= (uint64_t)broker.cfg->region_bytes)
		regions_seal();
}

int regions_start(struct event_base *base, uint64_t start)
{
	struct shm_region_ring *ring = shm_regions(broker.shm);
	region_start = region_durable = start;
	region_first_ms = 0;
	ring->uploaded_end = start;
	int64_t period = broker.cfg->region_ms / 4;
	if (period < 5)
		period = 5;
	if (period > 250)
		period = 250;
	regions_timer = event_new(base, -1, EV_PERSIST, regions_on_timer, NULL);
	struct timeval tv = {period / 1000, (period % 1000) * 1000};
	if (!regions_timer || event_add(regions_timer, &tv) < 0)
		return -1;
	return 0;
}

void regions_stop(void)
{
	if (regions_timer)
		event_free(regions_timer);
	regions_timer = NULL;
}
