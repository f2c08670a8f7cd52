/*
 * The Kafka APIs brokerd speaks, written once:
 * X(ApiKey, Name, min version, max version, first flexible version, handler)
 * (first flexible 127 = never flexible).  The dispatch table, ApiVersions
 * and the docs come from this list; an API that is not here is absent.
 */
#ifndef SLUICE_API_TABLE_H
#define SLUICE_API_TABLE_H

#define KAFKA_APIS(X)                                                          \
	X(0, Produce, 3, 9, 9, handle_produce)                                 \
	X(1, Fetch, 4, 12, 12, handle_fetch)                                   \
	X(2, ListOffsets, 1, 7, 6, handle_list_offsets)                        \
	X(3, Metadata, 0, 12, 9, handle_metadata)                              \
	X(8, OffsetCommit, 0, 8, 8, handle_offset_commit)                      \
	X(9, OffsetFetch, 0, 8, 6, handle_offset_fetch)                        \
	X(10, FindCoordinator, 0, 4, 3, handle_find_coordinator)               \
	X(11, JoinGroup, 0, 9, 6, handle_join_group)                           \
	X(12, Heartbeat, 0, 4, 4, handle_heartbeat)                            \
	X(13, LeaveGroup, 0, 5, 4, handle_leave_group)                         \
	X(14, SyncGroup, 0, 5, 4, handle_sync_group)                           \
	X(15, DescribeGroups, 0, 5, 5, handle_describe_groups)                 \
	X(16, ListGroups, 0, 4, 3, handle_list_groups)                         \
	X(18, ApiVersions, 0, 3, 3, handle_api_versions)                       \
	X(19, CreateTopics, 0, 7, 5, handle_create_topics)                     \
	X(20, DeleteTopics, 0, 6, 4, handle_delete_topics)                     \
	X(21, DeleteRecords, 0, 2, 2, handle_delete_records)                   \
	X(22, InitProducerId, 0, 5, 2, handle_init_producer_id)                \
	X(24, AddPartitionsToTxn, 0, 5, 3, handle_add_partitions_to_txn)       \
	X(25, AddOffsetsToTxn, 0, 4, 3, handle_add_offsets_to_txn)             \
	X(26, EndTxn, 0, 4, 3, handle_end_txn)                                 \
	X(28, TxnOffsetCommit, 0, 4, 3, handle_txn_offset_commit)              \
	X(32, DescribeConfigs, 0, 4, 4, handle_describe_configs)               \
	X(33, AlterConfigs, 0, 2, 2, handle_alter_configs)                     \
	X(35, DescribeLogDirs, 0, 4, 2, handle_describe_log_dirs)              \
	X(37, CreatePartitions, 0, 3, 2, handle_create_partitions)             \
	X(42, DeleteGroups, 0, 2, 2, handle_delete_groups)                     \
	X(44, IncrementalAlterConfigs, 0, 1, 1,                                \
	  handle_incremental_alter_configs)                                    \
	X(47, OffsetDelete, 0, 0, 127, handle_offset_delete)                   \
	X(60, DescribeCluster, 0, 1, 0, handle_describe_cluster)               \
	X(65, DescribeTransactions, 0, 0, 0, handle_describe_transactions)     \
	X(66, ListTransactions, 0, 1, 0, handle_list_transactions)

enum kafka_api_key {
#define API_KEY_ENUM(key, name, min, max, flex, fn) API_##name = key,
	KAFKA_APIS(API_KEY_ENUM)
#undef API_KEY_ENUM
};

#endif
