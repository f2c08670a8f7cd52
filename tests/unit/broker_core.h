/*
 * The part of brokerd's start that the tests driving it over real
 * connections share (test_groups.c, test_txn.c): the event loop
 * (broker.base), a shared-memory segment (broker.shm, broker.counters)
 * and an empty partition table (broker.partitions).  The catalog, the
 * config and the modules on top stay with each test's fixture, which
 * calls broker_core_up after filling broker.catalog and broker.cfg and
 * broker_core_down before closing the catalog (the partition table
 * points into its topics).
 */
#ifndef SLUICE_TEST_BROKER_CORE_H
#define SLUICE_TEST_BROKER_CORE_H

#include <stdint.h>

/* Creates the loop, the segment (of generation, named after name and
 * the pid) and the partition table; fails the test if one cannot be. */
void broker_core_up(const char *name, uint64_t generation);
/* Frees them and clears their fields of broker. */
void broker_core_down(void);

#endif
