/*
 * The one error type: 0 ok, positive = a Kafka wire error code (the table
 * below), negative = an internal error (SL_E*).  Functions that can fail
 * return this type unless they say otherwise.
 */
#ifndef SLUICE_ERRORS_H
#define SLUICE_ERRORS_H

/* Kafka error codes that Sluice sends: X(code, NAME, retriable). */
#define KAFKA_ERRORS(X)                                                        \
	X(-1, UNKNOWN_SERVER_ERROR, 0)                                         \
	X(0, NONE, 0)                                                          \
	X(1, OFFSET_OUT_OF_RANGE, 0)                                           \
	X(2, CORRUPT_MESSAGE, 1)                                               \
	X(3, UNKNOWN_TOPIC_OR_PARTITION, 1)                                    \
	X(4, INVALID_FETCH_SIZE, 0)                                            \
	X(5, LEADER_NOT_AVAILABLE, 1)                                          \
	X(6, NOT_LEADER_OR_FOLLOWER, 1)                                        \
	X(7, REQUEST_TIMED_OUT, 1)                                             \
	X(10, MESSAGE_TOO_LARGE, 0)                                            \
	X(12, OFFSET_METADATA_TOO_LARGE, 0)                                    \
	X(13, NETWORK_EXCEPTION, 1)                                            \
	X(14, COORDINATOR_LOAD_IN_PROGRESS, 1)                                 \
	X(15, COORDINATOR_NOT_AVAILABLE, 1)                                    \
	X(16, NOT_COORDINATOR, 1)                                              \
	X(17, INVALID_TOPIC_EXCEPTION, 0)                                      \
	X(18, RECORD_LIST_TOO_LARGE, 0)                                        \
	X(19, NOT_ENOUGH_REPLICAS, 1)                                          \
	X(21, INVALID_REQUIRED_ACKS, 0)                                        \
	X(22, ILLEGAL_GENERATION, 0)                                           \
	X(23, INCONSISTENT_GROUP_PROTOCOL, 0)                                  \
	X(24, INVALID_GROUP_ID, 0)                                             \
	X(25, UNKNOWN_MEMBER_ID, 0)                                            \
	X(26, INVALID_SESSION_TIMEOUT, 0)                                      \
	X(27, REBALANCE_IN_PROGRESS, 0)                                        \
	X(28, INVALID_COMMIT_OFFSET_SIZE, 0)                                   \
	X(32, INVALID_TIMESTAMP, 0)                                            \
	X(35, UNSUPPORTED_VERSION, 0)                                          \
	X(36, TOPIC_ALREADY_EXISTS, 0)                                         \
	X(37, INVALID_PARTITIONS, 0)                                           \
	X(38, INVALID_REPLICATION_FACTOR, 0)                                   \
	X(39, INVALID_REPLICA_ASSIGNMENT, 0)                                   \
	X(40, INVALID_CONFIG, 0)                                               \
	X(41, NOT_CONTROLLER, 1)                                               \
	X(42, INVALID_REQUEST, 0)                                              \
	X(43, UNSUPPORTED_FOR_MESSAGE_FORMAT, 0)                               \
	X(44, POLICY_VIOLATION, 0)                                             \
	X(45, OUT_OF_ORDER_SEQUENCE_NUMBER, 0)                                 \
	X(46, DUPLICATE_SEQUENCE_NUMBER, 0)                                    \
	X(47, INVALID_PRODUCER_EPOCH, 0)                                       \
	X(48, INVALID_TXN_STATE, 0)                                            \
	X(49, INVALID_PRODUCER_ID_MAPPING, 0)                                  \
	X(50, INVALID_TRANSACTION_TIMEOUT, 0)                                  \
	X(51, CONCURRENT_TRANSACTIONS, 1)                                      \
	X(55, OPERATION_NOT_ATTEMPTED, 0)                                      \
	X(56, KAFKA_STORAGE_ERROR, 1)                                          \
	X(68, NON_EMPTY_GROUP, 0)                                              \
	X(69, GROUP_ID_NOT_FOUND, 0)                                           \
	X(70, FETCH_SESSION_ID_NOT_FOUND, 1)                                   \
	X(73, TOPIC_DELETION_DISABLED, 0)                                      \
	X(76, UNSUPPORTED_COMPRESSION_TYPE, 0)                                 \
	X(79, MEMBER_ID_REQUIRED, 0)                                           \
	X(82, FENCED_INSTANCE_ID, 0)                                           \
	X(86, GROUP_SUBSCRIBED_TO_TOPIC, 0)                                    \
	X(87, INVALID_RECORD, 0)                                               \
	X(88, UNSTABLE_OFFSET_COMMIT, 1)                                       \
	X(90, PRODUCER_FENCED, 0)                                              \
	X(100, UNKNOWN_TOPIC_ID, 1)                                            \
	X(105, TRANSACTIONAL_ID_NOT_FOUND, 0)                                  \
	X(114, MISMATCHED_ENDPOINT_TYPE, 0)                                    \
	X(115, UNSUPPORTED_ENDPOINT_TYPE, 0)

enum kafka_error {
#define KAFKA_ERROR_ENUM(code, name, retriable) KERR_##name = code,
	KAFKA_ERRORS(KAFKA_ERROR_ENUM)
#undef KAFKA_ERROR_ENUM
};

/* Internal errors (negative). */
enum sl_internal_error {
	SL_EIO = -1000,  /* an I/O call failed; errno was logged */
	SL_ENOMEM = -1001,
	SL_ECORRUPT = -1002, /* stored bytes failed validation */
	SL_EFULL = -1003,    /* no space (WAL ring full) */
	SL_EINVAL = -1004,   /* bad argument or input */
	SL_ENOENT = -1005,
	SL_EEXIST = -1006,
	SL_ESTALE = -1007, /* refused: does not match the catalog */
	SL_ECANCELED = -1008, /* the owner shut down before the operation ended */
};

/* Name of a Kafka error code or internal error, for logs. */
const char *sl_error_name(int err);

/* Whether a Kafka error code is retriable for clients. */
int kafka_error_retriable(int code);

#endif
