/*
 * brokerd's event loop, shared-memory segment and partition table for the
 * wire tests (see broker_core.h).  The runner's test process owns them
 * from broker_core_up to broker_core_down; nothing is durable.
 */
#include "tests/unit/broker_core.h"

#include <check.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/partition/partition.h"
#include "brokerd/shm/segment.h"

/* Loop, segment, partition table, in brokerd's order. */
void broker_core_up(const char *name, uint64_t generation)
{
	broker.base = event_base_new();
	ck_assert_ptr_nonnull(broker.base);
	char shm_name[64];
	snprintf(shm_name, sizeof shm_name, "/sluice-test-%s-%d", name, (int)getpid());
	struct shm_segment *seg;
	ck_assert_int_eq(shm_segment_create(shm_name, 1, generation, 1 << 20, &seg), 0);
	/* the mapping is all the tests need; a failing test (which skips
	 * teardown) then leaves no segment behind */
	shm_unlink(shm_name);
	broker.shm = seg;
	broker.counters = shm_counters(seg);
	broker.partitions = partition_table_new();
	ck_assert_ptr_nonnull(broker.partitions);
}

/* The reverse of broker_core_up. */
void broker_core_down(void)
{
	partition_table_free(broker.partitions);
	broker.partitions = NULL;
	shm_segment_destroy(broker.shm);
	broker.shm = NULL;
	broker.counters = NULL;
	event_base_free(broker.base);
	broker.base = NULL;
}
