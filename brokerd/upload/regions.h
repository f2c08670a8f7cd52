/*
 * Sealing WAL regions for upload: every region.bytes of durable WAL, or
 * region.ms after the oldest unsealed byte became durable, brokerd
 * publishes [start, end) in the shared-memory region ring and tells
 * subscribed uploaders.  Regions are contiguous: each starts where the
 * previous ended, and the first starts at the catalog's uploaded end.
 * Event-loop thread only.
 */
#ifndef SLUICE_REGIONS_H
#define SLUICE_REGIONS_H

#include <stdint.h>

struct event_base;

/* Starts sealing from start (the catalog's uploaded end). */
int regions_start(struct event_base *base, uint64_t start);
void regions_stop(void);

/* Called when the WAL is durable up to end (a block boundary). */
void regions_on_durable(uint64_t end);

/* Called when the catalog has committed everything below uploaded_end. */
void regions_on_commit(uint64_t uploaded_end);

/* Seals whatever is durable now (sluicectl "upload now", shutdown). */
void regions_seal_now(void);

#endif
