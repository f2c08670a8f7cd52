/*
 * The Kafka topic configs Sluice accepts, written once as a table:
 *   X(key, type, default, min, max, allowed, doc)
 * type is a Kafka ConfigType (BOOLEAN, STRING, INT, LONG, DOUBLE, LIST);
 * default is the broker default as Kafka 3.x documents it; min and max bound
 * numeric values (DOUBLE compares against them as doubles); allowed is NULL
 * or the '|'-separated values a STRING or each LIST element may take.
 * Validation, defaults, CreateTopics and DescribeConfigs all use the table.
 */
#ifndef SLUICE_TOPIC_CONFIG_H
#define SLUICE_TOPIC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct topic;

#define TOPIC_CONFIG_NO_MAX INT64_MAX

#define TOPIC_CONFIGS(X)                                                       \
	X("cleanup.policy", LIST, "delete", 0, 0, "delete|compact",            \
	  "delete old segments, compact to the latest value per key, or both") \
	X("compression.type", STRING, "producer", 0, 0,                        \
	  "uncompressed|zstd|lz4|snappy|gzip|producer",                        \
	  "final compression of the topic's data; producer keeps the codec")   \
	X("delete.retention.ms", LONG, "86400000", 0, TOPIC_CONFIG_NO_MAX,     \
	  NULL, "how long delete tombstones are kept in compacted topics")     \
	X("file.delete.delay.ms", LONG, "60000", 0, TOPIC_CONFIG_NO_MAX, NULL, \
	  "time to wait before deleting a file from storage")                 \
	X("flush.messages", LONG, "9223372036854775807", 1,                    \
	  TOPIC_CONFIG_NO_MAX, NULL,                                           \
	  "messages between forced syncs (Sluice syncs every write)")          \
	X("flush.ms", LONG, "9223372036854775807", 0, TOPIC_CONFIG_NO_MAX,     \
	  NULL, "time between forced syncs (Sluice syncs every write)")        \
	X("index.interval.bytes", INT, "4096", 0, INT32_MAX, NULL,             \
	  "bytes between offset index entries")                               \
	X("local.retention.bytes", LONG, "-2", -2, TOPIC_CONFIG_NO_MAX, NULL,  \
	  "local bytes kept under tiered storage; -2: retention.bytes")        \
	X("local.retention.ms", LONG, "-2", -2, TOPIC_CONFIG_NO_MAX, NULL,     \
	  "local time kept under tiered storage; -2: retention.ms")            \
	X("max.compaction.lag.ms", LONG, "9223372036854775807", 1,             \
	  TOPIC_CONFIG_NO_MAX, NULL,                                           \
	  "longest time a message stays ineligible for compaction")            \
	X("max.message.bytes", INT, "1048588", 0, INT32_MAX, NULL,             \
	  "largest record batch the topic accepts")                           \
	X("message.downconversion.enable", BOOLEAN, "true", 0, 1, NULL,        \
	  "whether old consumers get down-converted batches")                 \
	X("message.timestamp.after.max.ms", LONG, "9223372036854775807", 0,    \
	  TOPIC_CONFIG_NO_MAX, NULL,                                           \
	  "how far a CreateTime timestamp may be ahead of the broker's clock") \
	X("message.timestamp.before.max.ms", LONG, "9223372036854775807", 0,   \
	  TOPIC_CONFIG_NO_MAX, NULL,                                           \
	  "how far a CreateTime timestamp may be behind the broker's clock")   \
	X("message.timestamp.difference.max.ms", LONG, "9223372036854775807",  \
	  0, TOPIC_CONFIG_NO_MAX, NULL,                                        \
	  "deprecated: largest allowed timestamp difference")                  \
	X("message.timestamp.type", STRING, "CreateTime", 0, 0,                \
	  "CreateTime|LogAppendTime",                                          \
	  "whether record timestamps come from the producer or the broker")    \
	X("min.cleanable.dirty.ratio", DOUBLE, "0.5", 0, 1, NULL,              \
	  "dirty fraction of the log that makes it eligible for compaction")   \
	X("min.compaction.lag.ms", LONG, "0", 0, TOPIC_CONFIG_NO_MAX, NULL,    \
	  "shortest time a message stays uncompacted")                        \
	X("min.insync.replicas", INT, "1", 1, INT32_MAX, NULL,                 \
	  "replicas that must acknowledge an acks=all write")                 \
	X("preallocate", BOOLEAN, "false", 0, 1, NULL,                         \
	  "preallocate segment files")                                        \
	X("remote.storage.enable", BOOLEAN, "false", 0, 1, NULL,               \
	  "tiered storage (Sluice always keeps data in object storage)")       \
	X("retention.bytes", LONG, "-1", -1, TOPIC_CONFIG_NO_MAX, NULL,        \
	  "bytes kept per partition before old data is deleted; -1: no limit") \
	X("retention.ms", LONG, "604800000", -1, TOPIC_CONFIG_NO_MAX, NULL,    \
	  "time data is kept before it is deleted; -1: no limit")              \
	X("segment.bytes", INT, "1073741824", 14, INT32_MAX, NULL,             \
	  "size of one log segment")                                          \
	X("segment.index.bytes", INT, "10485760", 4, INT32_MAX, NULL,          \
	  "size of a segment's offset index")                                 \
	X("segment.jitter.ms", LONG, "0", 0, TOPIC_CONFIG_NO_MAX, NULL,        \
	  "random jitter subtracted from segment.ms")                         \
	X("segment.ms", LONG, "604800000", 1, TOPIC_CONFIG_NO_MAX, NULL,       \
	  "time after which a segment is rolled")                             \
	X("unclean.leader.election.enable", BOOLEAN, "false", 0, 1, NULL,      \
	  "whether an out-of-sync replica may become leader")

/* Kafka's DescribeConfigs ConfigType codes, so handlers send them as is. */
enum topic_config_type {
	TOPIC_CONFIG_BOOLEAN = 1,
	TOPIC_CONFIG_STRING = 2,
	TOPIC_CONFIG_INT = 3,
	TOPIC_CONFIG_LONG = 5,
	TOPIC_CONFIG_DOUBLE = 6,
	TOPIC_CONFIG_LIST = 7,
};

struct topic_config_def {
	const char *name;
	enum topic_config_type type;
	const char *default_value;
	int64_t min, max;
	const char *allowed; /* NULL or "a|b|c" */
	const char *doc;
};

/* Number of entries in the table, and the i-th (table order is name
 * order). */
size_t topic_config_def_count(void);
const struct topic_config_def *topic_config_def_at(size_t i);

/* The table entry for name, or NULL if Sluice does not know the key. */
const struct topic_config_def *topic_config_find(const char *name);

/* Checks one key and value.  Returns 0, or KERR_INVALID_CONFIG with err set
 * to a message for the client (unknown key or bad value). */
int topic_config_validate(const char *name, const char *value, char *err,
			  size_t errlen);

/* The broker default of a key, or NULL if the key is unknown. */
const char *topic_config_default(const char *name);

/* The value in force on topic (may be NULL: defaults only): the explicit
 * value if set at creation, else the default; NULL if the key is unknown. */
const char *topic_config_effective(const struct topic *topic,
				   const char *name);

/* The effective value of a LONG, INT or BOOLEAN (0 or 1) key.  Asking for an
 * unknown or non-numeric key is a programming error and panics. */
int64_t topic_config_int(const struct topic *topic, const char *name);

/* The effective value of a DOUBLE key; panics like topic_config_int. */
double topic_config_double(const struct topic *topic, const char *name);

/* Whether the effective value of a LIST key (cleanup.policy) contains item. */
int topic_config_list_contains(const struct topic *topic, const char *name,
			       const char *item);

#endif
