/*
 * The counters brokerd publishes in shared memory, written once as a table:
 * X(name, kind, description).  kind is "counter" (only grows) or "gauge".
 * The enum, the JSON description in the segment, sluicestat and the
 * Prometheus endpoint all come from this list.
 */
#ifndef SLUICE_COUNTERS_H
#define SLUICE_COUNTERS_H

#define BROKER_COUNTERS(X)                                                     \
	X(connections_accepted, counter, "client connections accepted")        \
	X(connections_open, gauge, "client connections open now")             \
	X(requests, counter, "Kafka requests received")                        \
	X(requests_bad, counter, "malformed requests (connection closed)")     \
	X(produce_requests, counter, "Produce requests")                      \
	X(produce_batches, counter, "record batches appended")                \
	X(produce_records, counter, "records appended")                       \
	X(produce_bytes, counter, "record batch bytes appended")              \
	X(produce_errors, counter, "partition produce results with an error") \
	X(produce_wal_full, counter, "batches refused because the WAL was full") \
	X(fetch_requests, counter, "Fetch requests")                          \
	X(fetch_bytes, counter, "record batch bytes sent by Fetch")           \
	X(fetch_cache_hits, counter, "batches served from the shm cache")     \
	X(fetch_wal_reads, counter, "batches read back from the WAL device")  \
	X(wal_blocks, counter, "group-commit blocks made durable")            \
	X(wal_bytes, counter, "bytes made durable on the WAL")                \
	X(wal_head, gauge, "WAL logical head offset")                         \
	X(wal_durable, gauge, "WAL logical durable offset")                   \
	X(wal_trim, gauge, "WAL logical trim offset")                         \
	X(wal_capacity, gauge, "WAL ring bytes")                              \
	X(cache_low, gauge, "lowest WAL offset still in the shm cache")       \
	X(cache_high, gauge, "WAL offset just past the shm cache contents")  \
	X(cold_read_gets, counter, "ranged GETs of object blocks for fetches") \
	X(cold_read_bytes, counter, "object block bytes read from S3")        \
	X(cold_read_errors, counter, "failed object block reads")             \
	X(cold_cache_hits, counter, "fetches served from the block cache")   \
	X(uploads_committed, counter, "objects committed by uploaderd")       \
	X(groups, gauge, "consumer groups the coordinator holds")              \
	X(group_members, gauge, "members of those groups")                     \
	X(group_rebalances, counter, "group generations begun with members")   \
	X(offset_commits, counter, "partition offsets committed (durable)")    \
	X(offset_journal_bytes, counter, "bytes made durable in offsets.journal") \
	X(offset_snapshots, counter, "snapshots of the committed offsets")     \
	X(produce_duplicates, counter, "retried batches answered with their first offsets") \
	X(producer_ids, counter, "producer ids handed out by InitProducerId")  \
	X(producer_snapshots, counter, "snapshots of the partitions' producer state") \
	X(txn_open, gauge, "transactions open now")                           \
	X(txn_commits, counter, "transactions committed (markers durable)")   \
	X(txn_aborts, counter, "transactions aborted (markers durable)")      \
	X(txn_timeouts, counter, "transactions aborted for passing their timeout") \
	X(txn_markers, counter, "commit and abort markers written to partitions") \
	X(txn_journal_bytes, counter, "bytes made durable in txn.journal")    \
	X(topics, gauge, "topics in the catalog")                             \
	X(partitions, gauge, "partitions in the catalog")

enum broker_counter {
#define COUNTER_ENUM(name, kind, desc) BC_##name,
	BROKER_COUNTERS(COUNTER_ENUM)
#undef COUNTER_ENUM
	BC__COUNT
};

#endif
