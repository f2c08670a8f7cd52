/*
 * Producer ids for InitProducerId.  An id is the brokerd generation (the
 * catalog journals a new one at every start, and a catalog rebuilt from
 * the bucket continues its count) in the high 32 bits and a counter of
 * this run in the low 32 bits, so ids are unique across restarts, crashes
 * and rebuilds without a write per id.  Event-loop thread only.
 */
#ifndef SLUICE_PRODUCER_IDS_H
#define SLUICE_PRODUCER_IDS_H

#include <stdint.h>

/* Starts handing out ids of this generation.  Returns 0, or SL_EINVAL
 * when the generation no longer fits an id (2^31 starts). */
int producer_ids_start(uint64_t generation);

/* The next id in *id.  Returns 0, or SL_EFULL after 2^32 ids in one run
 * (a restart gives a new range). */
int producer_ids_next(int64_t *id);

#endif
