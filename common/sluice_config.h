/*
 * Every configuration key of the Sluice daemons, written once as a table:
 * X(field, "key", type, default, min, max, reloadable, doc)
 * All daemons read the same sluice.conf, so they share this table (a key
 * unknown to all of them is an error; each daemon uses the keys it needs).
 * The values struct, the parser table, --help, `sluicectl config` and
 * sluice.conf(5) all come from it.
 */
#ifndef SLUICE_SLUICE_CONFIG_H
#define SLUICE_SLUICE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

#define SLUICE_CONFIG(X)                                                       \
	X(listeners, "listeners", STRING, "PLAINTEXT://127.0.0.1:9092", 0, 0, 0, \
	  "Kafka listeners, comma-separated PLAINTEXT://host:port")            \
	X(advertised_listeners, "advertised.listeners", STRING, "", 0, 0, 0,   \
	  "listeners given to clients in Metadata; empty: same as listeners")  \
	X(node_id, "node.id", INT, "1", 0, 2147483647, 0,                      \
	  "this broker's id, reported to clients and checked in the WAL")      \
	X(cluster_id, "cluster.id", STRING, "sluice-local-cluster", 0, 0, 0,   \
	  "ClusterId reported in Metadata")                                   \
	X(data_dir, "data.dir", STRING, "/var/lib/sluice", 0, 0, 0,            \
	  "directory for the catalog, the default WAL file and the pidfile")   \
	X(wal_path, "wal.path", STRING, "", 0, 0, 0,                           \
	  "WAL file or block device; empty: <data.dir>/wal")                   \
	X(wal_capacity_bytes, "wal.capacity.bytes", INT, "1G", 1 << 20,        \
	  INT64_MAX, 0, "size of a new WAL file (ignored for existing ones)")  \
	X(wal_block_max_bytes, "wal.block.max.bytes", INT, "1M", 4096,         \
	  64 << 20, 0, "group-commit block size that is written at once")      \
	X(cache_bytes, "cache.bytes", INT, "256M", 1 << 20, INT64_MAX, 0,      \
	  "shared-memory cache of the most recent WAL bytes")                  \
	X(shm_name, "shm.name", STRING, "", 0, 0, 0,                           \
	  "shared-memory segment name; empty: /sluice-<node.id>")             \
	X(pid_file, "pid.file", STRING, "", 0, 0, 0,                           \
	  "pidfile; empty: <data.dir>/brokerd.pid")                           \
	X(num_partitions, "num.partitions", INT, "1", 1, 100000, 1,            \
	  "partitions of an automatically created topic")                     \
	X(auto_create_topics_enable, "auto.create.topics.enable", BOOL, "true", \
	  0, 1, 1, "create unknown topics named in Metadata requests")         \
	X(message_max_bytes, "message.max.bytes", INT, "1048588", 1,           \
	  64 << 20, 1, "largest record batch a topic accepts by default")      \
	X(socket_request_max_bytes, "socket.request.max.bytes", INT,           \
	  "104857600", 1024, 1 << 30, 1, "largest request frame accepted")     \
	X(queued_max_requests, "queued.max.requests", INT, "500", 1, 100000, 1, \
	  "requests in flight on one connection before reading pauses")        \
	X(group_min_session_timeout_ms, "group.min.session.timeout.ms", INT,   \
	  "6000", 1, 3600000, 1,                                               \
	  "smallest session timeout a group member may ask for (ms)")          \
	X(group_max_session_timeout_ms, "group.max.session.timeout.ms", INT,   \
	  "1800000", 1, 3600000, 1,                                            \
	  "largest session timeout a group member may ask for (ms)")           \
	X(group_initial_rebalance_delay_ms,                                    \
	  "group.initial.rebalance.delay.ms", INT, "0", 0, 300000, 1,          \
	  "a new group waits this long for more members (ms)")                 \
	X(offsets_retention_minutes, "offsets.retention.minutes", INT,         \
	  "10080", 1, 52560000, 1,                                             \
	  "committed offsets of an empty group expire after this (minutes)")   \
	X(transaction_max_timeout_ms, "transaction.max.timeout.ms", INT,       \
	  "900000", 1, 2147483647, 1,                                          \
	  "largest transaction timeout a producer may ask for (ms)")           \
	X(transaction_abort_timed_out_transaction_cleanup_interval_ms,         \
	  "transaction.abort.timed.out.transaction.cleanup.interval.ms", INT,  \
	  "10000", 10, 3600000, 0,                                             \
	  "how often transactions past their timeout are looked for (ms)")     \
	X(transactional_id_expiration_ms, "transactional.id.expiration.ms",    \
	  INT, "604800000", 1, 2147483647, 1,                                  \
	  "an idle transactional id without a transaction is forgotten (ms)")  \
	X(producer_id_expiration_ms, "producer.id.expiration.ms", INT,         \
	  "86400000", 1, 2147483647, 1,                                        \
	  "a partition forgets an idle producer's sequence numbers (ms)")      \
	X(log_level, "log.level", STRING, "info", 0, 0, 1,                     \
	  "debug, info, warn or error")                                       \
	X(control_socket, "control.socket", STRING, "", 0, 0, 0,               \
	  "brokerd's control socket; empty: <data.dir>/control.sock")          \
	X(region_bytes, "region.bytes", INT, "64M", 1 << 20, 1LL << 32, 1,     \
	  "a WAL region is sealed for upload when it reaches this size")       \
	X(region_ms, "region.ms", INT, "5000", 10, 3600000, 1,                 \
	  "or when its oldest byte is this old (milliseconds)")                \
	X(upload_pace, "upload.pace", BOOL, "true", 0, 1, 0,                   \
	  "spread a region's PUT over 3/4 of its fill time while uploads keep up") \
	X(object_store, "object.store", STRING, "", 0, 0, 0,                   \
	  "s3://bucket/prefix or file:///path; empty: file://<data.dir>/objects") \
	X(s3_endpoint, "s3.endpoint", STRING, "", 0, 0, 0,                     \
	  "S3 endpoint URL; empty: https://s3.<s3.region>.amazonaws.com")       \
	X(s3_region, "s3.region", STRING, "us-east-1", 0, 0, 0,                \
	  "S3 region used in SigV4 signatures")                               \
	X(s3_path_style, "s3.path.style", BOOL, "true", 0, 1, 0,               \
	  "path-style addressing (true) or virtual-hosted (false)")            \
	X(s3_access_key, "s3.access.key", STRING, "", 0, 0, 0,                 \
	  "S3 access key; empty: $AWS_ACCESS_KEY_ID")                          \
	X(s3_secret_key, "s3.secret.key", STRING, "", 0, 0, 0,                 \
	  "S3 secret key; empty: $AWS_SECRET_ACCESS_KEY")                      \
	X(block_cache_bytes, "block.cache.bytes", INT, "256M", 0, INT64_MAX, 0, \
	  "brokerd's in-memory cache of blocks read from S3")                  \
	X(retention_check_interval_ms, "retention.check.interval.ms", INT,     \
	  "30000", 100, 86400000, 1,                                           \
	  "how often brokerd applies retention.ms and retention.bytes")        \
	X(catalog_recover_from_bucket, "catalog.recover.from.bucket", BOOL,    \
	  "false", 0, 1, 0,                                                    \
	  "rebuild a missing catalog from its copy in the bucket at start")   \
	X(uploaderd_pid_file, "uploaderd.pid.file", STRING, "", 0, 0, 0,       \
	  "uploaderd's pidfile; empty: <data.dir>/uploaderd.pid")              \
	X(metrics_listener, "metrics.listener", STRING, "", 0, 0, 0,           \
	  "brokerd's Prometheus endpoint, http://host:port; empty: off")       \
	X(shutdown_timeout_ms, "shutdown.timeout.ms", INT, "10000", 100,        \
	  600000, 1, "longest graceful stop before a daemon exits anyway (ms)") \
	X(compactd_pid_file, "compactd.pid.file", STRING, "", 0, 0, 0,         \
	  "compactd's pidfile; empty: <data.dir>/compactd.pid")                \
	X(compaction_interval_ms, "compaction.interval.ms", INT, "30000", 100, \
	  86400000, 0, "compactd runs this often (and when brokerd asks)")    \
	X(compaction_target_bytes, "compaction.target.bytes", INT, "64M",      \
	  65536, 1LL << 30, 0, "per-stream objects merge toward this size")    \
	X(compaction_split_bytes, "compaction.split.bytes", INT, "8M", 1024,   \
	  1LL << 30, 0,                                                        \
	  "a stream with this much in stream-set objects gets its own objects") \
	X(compaction_small_object_bytes, "compaction.small.object.bytes", INT, \
	  "16M", 1024, 1LL << 30, 0, "stream-set objects below this merge")    \
	X(compaction_bytes_per_sec, "compaction.bytes.per.sec", INT, "64M",    \
	  65536, 1LL << 40, 0, "compactd's bucket traffic, read and written") \
	X(compaction_max_objects_per_run, "compaction.max.objects.per.run",    \
	  INT, "1000", 2, 100000, 0, "input objects one compaction run takes")  \
	X(orphan_grace_ms, "orphan.grace.ms", INT, "3600000", 1000,            \
	  2592000000LL, 0, "unknown objects older than this are deleted")      \
	X(retired_grace_ms, "retired.grace.ms", INT, "60000", 0, 2592000000LL, \
	  0, "replaced objects are deleted this long after their replacement")

struct sluice_config {
#define BROKER_CONFIG_FIELD_STRING char *
#define BROKER_CONFIG_FIELD_INT int64_t
#define BROKER_CONFIG_FIELD_BOOL int64_t
#define BROKER_CONFIG_FIELD(field, key, type, def, min, max, reload, doc)      \
	BROKER_CONFIG_FIELD_##type field;
	SLUICE_CONFIG(BROKER_CONFIG_FIELD)
#undef BROKER_CONFIG_FIELD
};

extern const struct config_param sluice_config_table[];
extern const size_t sluice_config_count;

/* Fills derived defaults (wal.path, pid files, shm.name, control.socket,
 * object.store) and checks values that depend on each other.  Returns 0 or
 * -1 with err set. */
int sluice_config_finish(struct sluice_config *cfg, char *err, size_t errlen);

/* brokerd's names for the shared table. */
#define broker_config sluice_config
#define broker_config_table sluice_config_table
#define broker_config_count sluice_config_count
#define broker_config_finish sluice_config_finish

#endif
