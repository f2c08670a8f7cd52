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
	X(18, ApiVersions, 0, 3, 3, handle_api_versions)                       \
	X(19, CreateTopics, 0, 7, 5, handle_create_topics)                     \
	X(20, DeleteTopics, 0, 6, 4, handle_delete_topics)

enum kafka_api_key {
#define API_KEY_ENUM(key, name, min, max, flex, fn) API_##name = key,
	KAFKA_APIS(API_KEY_ENUM)
#undef API_KEY_ENUM
};

#endif
