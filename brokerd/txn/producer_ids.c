/*
 * Producer id allocation (see producer_ids.h).  Nothing is written: the
 * generation in the high bits is already durable in the catalog before
 * any id is handed out.
 */
#include "brokerd/txn/producer_ids.h"

#include "brokerd/broker.h"
#include "common/counters.h"
#include "common/errors.h"

static uint64_t producer_ids_high, producer_ids_used;

int producer_ids_start(uint64_t generation)
{
	if (generation >= (UINT64_C(1) << 31))
		return SL_EINVAL;
	producer_ids_high = generation << 32;
	producer_ids_used = 0;
	return 0;
}

int producer_ids_next(int64_t *id)
{
	if (producer_ids_used > UINT32_MAX)
		return SL_EFULL;
	*id = (int64_t)(producer_ids_high | producer_ids_used++);
	if (broker.counters)
		COUNTER_ADD(producer_ids, 1);
	return 0;
}
