/*
 * Tests of the transaction coordinator and the idempotent produce path,
 * the way a client meets them: each client is one end of a socketpair
 * whose other end is a brokerd connection, requests are whole frames, and
 * the event loop runs until the answer comes, so the WAL's I/O thread, the
 * offset store's and the transaction log's all take part.  The fixture
 * starts what brokerd starts (catalog, partitions, producer snapshot, WAL
 * with recovery, group and transaction coordinators) in a temporary
 * directory, and can restart it over the same directory.  Golden vectors
 * are written by hand from the Kafka 3.8 message definitions, field by
 * field (notation: tests/unit/byte_vec.h; {t1} is topic t1's id).
 *
 * Also: the transaction log's records and its torn tail, and a crash
 * between PREPARE_COMMIT and the markers (the journal as such a crash
 * leaves it, then a start).
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/groups/groups.h"
#include "brokerd/handlers/fetch.h"
#include "brokerd/partition/durable.h"
#include "brokerd/partition/partition.h"
#include "brokerd/partition/producer_state.h"
#include "brokerd/protocol/api_table.h"
#include "brokerd/protocol/kreader.h"
#include "brokerd/server/conn.h"
#include "brokerd/server/dispatch.h"
#include "brokerd/topics.h"
#include "brokerd/txn/producer_snapshot.h"
#include "brokerd/txn/txn_coordinator.h"
#include "brokerd/txn/txn_log.h"
#include "brokerd/txn/txn_record.h"
#include "brokerd/wal/wal.h"
#include "common/bytes.h"
#include "common/config.h"
#include "common/errors.h"
#include "common/log.h"
#include "tests/unit/broker_core.h"
#include "tests/unit/eos_batches.h"
#include "tests/unit/scratch_dir.h"
#include "tests/unit/unit_main.h"
#include "tests/unit/wire_client.h"

/* ---- the broker under test ---- */

static char tmp_root[256];
static struct broker_config cfg;

/* Starts brokerd's modules over tmp_root (created by setup). */
static void eos_up(void)
{
	memset(&broker, 0, sizeof broker);
	ck_assert_int_eq(catalog_open(tmp_root, &broker.catalog), 0);
	ck_assert_int_eq(catalog_bump_generation(broker.catalog, &broker.generation), 0);
	broker.cfg = &cfg;
	broker_core_up("txn", broker.generation);
	for (size_t i = 0; i < catalog_topic_count(broker.catalog); i++)
		ck_assert_int_eq(partition_table_add_topic(broker.partitions,
							   catalog_topic_at(broker.catalog, i)), 0);
	ck_assert_int_eq(producer_snapshot_load(tmp_root), 0);
	struct wal_options wo = {
		.path = cfg.wal_path,
		.capacity = 8 << 20,
		.node_id = 1,
		.epoch = broker.generation,
		.max_block_bytes = 1 << 20,
	};
	ck_assert_int_eq(wal_open(&wo, &broker.wal), 0);
	uint64_t skipped = 0;
	ck_assert_int_eq(wal_recover(broker.wal, broker_replay_batch, &skipped), 0);
	ck_assert_int_eq(producer_snapshot_write_now(tmp_root, wal_head(broker.wal)), 0);
	ck_assert_int_eq(wal_start(broker.wal, broker.base, durable_on_wal, NULL), 0);
	ck_assert_int_eq(groups_start(broker.base, tmp_root), 0);
	ck_assert_int_eq(txn_start(broker.base, tmp_root), 0);
	fetch_init();
}

/* Stops them in brokerd's order (a clean stop: the WAL is flushed). */
static void eos_down(void)
{
	conn_close_all();
	txn_finish();
	groups_finish();
	wal_close(broker.wal);
	durable_shutdown();
	producer_snapshot_reset();
	broker_core_down();
	catalog_close(broker.catalog);
	memset(&broker, 0, sizeof broker);
}

static void setup(void)
{
	log_set_level(LOG_LEVEL_WARN);
	scratch_dir_make(tmp_root, sizeof tmp_root, "txn");
	char err[256];
	memset(&cfg, 0, sizeof cfg);
	ck_assert_int_eq(config_set_defaults(broker_config_table, broker_config_count, &cfg,
					     err, sizeof err), 0);
	ck_assert_int_eq(config_set(broker_config_table, broker_config_count, &cfg,
				    "data.dir", tmp_root, err, sizeof err), 0);
	ck_assert_int_eq(sluice_config_finish(&cfg, err, sizeof err), 0);
	cfg.node_id = 1;
	cfg.num_partitions = 1;
	cfg.group_initial_rebalance_delay_ms = 0;
	eos_up();
	const struct topic *t;
	ck_assert_int_eq(topics_create("t1", 4, NULL, 0, 0, err, sizeof err, &t), 0);
	ck_assert_int_eq(topics_create("t2", 1, NULL, 0, 0, err, sizeof err, &t), 0);
}

static void teardown(void)
{
	eos_down();
	config_free(broker_config_table, broker_config_count, &cfg);
	scratch_dir_remove(tmp_root);
}

/* Restarts over the same directory. */
static void eos_restart(void)
{
	eos_down();
	eos_up();
}

/* ---- protocol helpers ---- */

#define PID0 "0000000100000000" /* the first producer id of generation 1 */

/* InitProducerId v4 for a transactional id: returns the error; sets the
 * producer id and epoch. */
static int16_t init_txn(struct client *c, const char *id, int32_t timeout,
			int64_t *pid, int16_t *epoch)
{
	char body[256];
	snprintf(body, sizeof body, "c`%s` %08x ffffffffffffffff ffff 00", id, timeout);
	client_send(c, API_InitProducerId, 4, body);
	struct vec got;
	client_recv(c, &got);
	struct kreader r;
	kreader_init(&r, got.b, got.len, 1);
	kr_i32(&r);
	int16_t err = kr_i16(&r);
	*pid = kr_i64(&r);
	*epoch = kr_i16(&r);
	ck_assert(!kreader_failed(&r));
	vec_free(&got);
	return err;
}

/* Reads an answer's one topic with its one partition, which must be
 * partition, up to and including the partition's ErrorCode; returns it. */
static int16_t read_one_partition(struct kreader *r, int32_t partition)
{
	ck_assert_int_eq(kr_array(r, 10, 0), 1);
	kr_string(r);
	ck_assert_int_eq(kr_array(r, 10, 0), 1);
	ck_assert_int_eq(kr_i32(r), partition);
	return kr_i16(r);
}

/* AddPartitionsToTxn v3 of t1's partition; returns its error. */
static int16_t add_partition(struct client *c, const char *id, int64_t pid, int16_t epoch,
			     int32_t partition)
{
	char body[256];
	snprintf(body, sizeof body, "c`%s` %016llx %04x 02 c`t1` 02 %08x 00 00", id,
		 (unsigned long long)pid, (uint16_t)epoch, partition);
	client_send(c, API_AddPartitionsToTxn, 3, body);
	struct vec got;
	client_recv(c, &got);
	struct kreader r;
	kreader_init(&r, got.b, got.len, 1);
	kr_i32(&r);
	int16_t err = read_one_partition(&r, partition);
	ck_assert(!kreader_failed(&r));
	vec_free(&got);
	return err;
}

/* EndTxn v3; returns its error. */
static int16_t end_txn(struct client *c, const char *id, int64_t pid, int16_t epoch,
		       int commit)
{
	char body[256];
	snprintf(body, sizeof body, "c`%s` %016llx %04x %02x 00", id,
		 (unsigned long long)pid, (uint16_t)epoch, commit);
	client_send(c, API_EndTxn, 3, body);
	struct vec got;
	client_recv(c, &got);
	ck_assert_uint_eq(got.len, 7);
	int16_t err = (int16_t)be16_get(got.b + 4);
	vec_free(&got);
	return err;
}

/* Produce v3 of one batch to t1's partition (acks -1); returns the error
 * and the base offset. */
static int16_t produce(struct client *c, int32_t partition, const uint8_t *batch,
		       size_t len, int64_t *base_offset)
{
	struct vec b = {0};
	char head[128];
	snprintf(head, sizeof head, "ffff ffff 00007530 00000001 s`t1` 00000001 %08x %08x",
		 partition, (unsigned)len);
	vec_add(&b, head);
	vec_put(&b, batch, len);
	client_send_vec(c, API_Produce, 3, &b);
	vec_free(&b);
	struct vec got;
	client_recv(c, &got);
	struct kreader r;
	kreader_init(&r, got.b, got.len, 0);
	int16_t err = read_one_partition(&r, partition);
	*base_offset = kr_i64(&r);
	ck_assert(!kreader_failed(&r));
	vec_free(&got);
	return err;
}

/* Produces a batch built by eb_batch; returns the error and offset. */
static int16_t produce_batch(struct client *c, int32_t partition, int64_t pid,
			     int16_t epoch, int32_t seq, int n, int txn, int64_t *offset)
{
	size_t len;
	uint8_t *b = eb_batch(pid, epoch, seq, n, txn, &len);
	int16_t err = produce(c, partition, b, len, offset);
	free(b);
	return err;
}

/* Opens a transaction of id on t1's partition: InitProducerId, then
 * AddPartitionsToTxn and n records from sequence 0, each of which must
 * succeed; sets the producer id and epoch. */
static void open_txn(struct client *c, const char *id, int32_t timeout,
		     int32_t partition, int n, int64_t *pid, int16_t *epoch)
{
	int64_t off;
	ck_assert_int_eq(init_txn(c, id, timeout, pid, epoch), 0);
	ck_assert_int_eq(add_partition(c, id, *pid, *epoch, partition), 0);
	ck_assert_int_eq(produce_batch(c, partition, *pid, *epoch, 0, n, 1, &off), 0);
}

/* What a Fetch v4 answer says about t1's partition. */
struct fetched {
	int16_t error;
	int64_t hw, lso;
	int32_t aborted;            /* -1: null */
	int64_t aborted_pid, aborted_first;
	int records;                /* data records (markers not counted) */
	int markers;
};

/* Fetch v4 of t1's partition from offset (isolation 1: READ_COMMITTED). */
static struct fetched fetch(struct client *c, int32_t partition, int64_t offset,
			    int isolation)
{
	char body[256];
	snprintf(body, sizeof body,
		 "ffffffff 00000000 00000000 00100000 %02x 00000001 s`t1` 00000001 %08x %016llx 00100000",
		 isolation, partition, (unsigned long long)offset);
	client_send(c, API_Fetch, 4, body);
	struct vec got;
	client_recv(c, &got);
	struct kreader r;
	kreader_init(&r, got.b, got.len, 0);
	struct fetched f = {0};
	kr_i32(&r);
	f.error = read_one_partition(&r, partition);
	f.hw = kr_i64(&r);
	f.lso = kr_i64(&r);
	f.aborted = kr_array(&r, 1000, 16);
	for (int32_t i = 0; i < f.aborted; i++) {
		f.aborted_pid = kr_i64(&r);
		f.aborted_first = kr_i64(&r);
	}
	struct kslice recs = kr_bytes(&r);
	ck_assert(!kreader_failed(&r));
	for (int32_t off = 0; off + RB_HEADER_BYTES <= recs.len;) {
		const uint8_t *p = recs.p + off;
		int n = (int)be32_get(p + RB_OFF_RECORD_COUNT);
		if (be16_get(p + RB_OFF_ATTRIBUTES) & RB_ATTR_CONTROL)
			f.markers += n;
		else
			f.records += n;
		off += (int32_t)be32_get(p + RB_OFF_BATCH_LENGTH) + RB_LENGTH_FIELD_END;
	}
	vec_free(&got);
	return f;
}

/* ---- InitProducerId ---- */

/* Idempotent producers, then transactional ids, over v0 and v1. */
static const struct wire_call init_producer_id_v0_calls[] = {
	/* idempotent producers: a new id each time, epoch 0 */
	{API_InitProducerId, 0, "ffff 0000ea60", "00000000 0000 " PID0 " 0000"},
	{API_InitProducerId, 1, "ffff 0000ea60", "00000000 0000 0000000100000001 0000"},
	/* a transactional id */
	{API_InitProducerId, 0, "s`tx-a` 0000ea60", "00000000 0000 0000000100000002 0000"},
	{API_InitProducerId, 0, "s`tx-a` 0000ea60", "00000000 0000 0000000100000002 0001"},
	/* an empty id; a timeout past transaction.max.timeout.ms */
	{API_InitProducerId, 0, "s`` 0000ea60", "00000000 002a ffffffffffffffff ffff"},
	{API_InitProducerId, 0, "s`tx-b` 7fffffff", "00000000 0032 ffffffffffffffff ffff"},
	{API_InitProducerId, 0, "s`tx-b` 00000000", "00000000 0032 ffffffffffffffff ffff"},
};

START_TEST(test_init_producer_id_v0)
{
	struct client *c = client_new();
	CLIENT_CALL_TABLE(c, init_producer_id_v0_calls);
	client_free(c);
}
END_TEST

/* v4's resume with a known producer id and epoch (KIP-360). */
static const struct wire_call init_producer_id_v4_calls[] = {
	{API_InitProducerId, 4, "00 0000ea60 ffffffffffffffff ffff 00",
	 "00000000 0000 " PID0 " 0000 00"},
	{API_InitProducerId, 4, "c`tx-a` 0000ea60 ffffffffffffffff ffff 00",
	 "00000000 0000 0000000100000001 0000 00"},
	/* resuming with the current pair bumps the epoch ... */
	{API_InitProducerId, 4, "c`tx-a` 0000ea60 0000000100000001 0000 00",
	 "00000000 0000 0000000100000001 0001 00"},
	/* ... a retry of that bump is answered with the same epoch ... */
	{API_InitProducerId, 4, "c`tx-a` 0000ea60 0000000100000001 0000 00",
	 "00000000 0000 0000000100000001 0001 00"},
	/* ... and an older pair is fenced */
	{API_InitProducerId, 4, "c`tx-a` 0000ea60 0000000100000001 0005 00",
	 "00000000 005a ffffffffffffffff ffff 00"},
	{API_InitProducerId, 4, "c`tx-a` 0000ea60 00000000000000aa 0000 00",
	 "00000000 005a ffffffffffffffff ffff 00"},
	/* v3 does not know PRODUCER_FENCED */
	{API_InitProducerId, 3, "c`tx-a` 0000ea60 00000000000000aa 0000 00",
	 "00000000 002f ffffffffffffffff ffff 00"},
};

START_TEST(test_init_producer_id_v4)
{
	struct client *c = client_new();
	CLIENT_CALL_TABLE(c, init_producer_id_v4_calls);
	client_free(c);
}
END_TEST

/* ---- AddPartitionsToTxn ---- */

/* After tx-a's InitProducerId: adds, a repeat, and the refusals. */
static const struct wire_call add_partitions_v3_calls[] = {
	{API_AddPartitionsToTxn, 3,
	 "c`tx-a` " PID0 " 0000 02 c`t1` 03 00000000 00000001 00 00",
	 "00000000 02 c`t1` 03 00000000 0000 00 00000001 0000 00 00 00"},
	/* again: already in the transaction */
	{API_AddPartitionsToTxn, 3,
	 "c`tx-a` " PID0 " 0000 02 c`t1` 02 00000001 00 00",
	 "00000000 02 c`t1` 02 00000001 0000 00 00 00"},
	/* a partition that does not exist: nothing is added */
	{API_AddPartitionsToTxn, 3,
	 "c`tx-a` " PID0 " 0000 02 c`t1` 03 00000002 00000009 00 00",
	 "00000000 02 c`t1` 03 00000002 0037 00 00000009 0003 00 00 00"},
	/* a wrong epoch, an unknown id, an unknown producer id */
	{API_AddPartitionsToTxn, 3,
	 "c`tx-a` " PID0 " 0007 02 c`t1` 02 00000002 00 00",
	 "00000000 02 c`t1` 02 00000002 005a 00 00 00"},
	{API_AddPartitionsToTxn, 1,
	 "s`tx-a` " PID0 " 0007 00000001 s`t1` 00000001 00000002",
	 "00000000 00000001 s`t1` 00000001 00000002 002f"},
	{API_AddPartitionsToTxn, 3,
	 "c`nope` " PID0 " 0000 02 c`t1` 02 00000002 00 00",
	 "00000000 02 c`t1` 02 00000002 0031 00 00 00"},
	{API_AddPartitionsToTxn, 3,
	 "c`tx-a` 0000000000000bad 0000 02 c`t1` 02 00000002 00 00",
	 "00000000 02 c`t1` 02 00000002 0031 00 00 00"},
};

START_TEST(test_add_partitions_v3)
{
	struct client *c = client_new();
	int64_t pid;
	int16_t epoch;
	ck_assert_int_eq(init_txn(c, "tx-a", 60000, &pid, &epoch), 0);
	ck_assert_int_eq(pid, 0x100000000ll);
	CLIENT_CALL_TABLE(c, add_partitions_v3_calls);
	client_free(c);
}
END_TEST

START_TEST(test_add_partitions_v4_batched)
{
	struct client *c = client_new();
	int64_t pid;
	int16_t epoch;
	ck_assert_int_eq(init_txn(c, "tx-a", 60000, &pid, &epoch), 0);
	ck_assert_int_eq(init_txn(c, "tx-b", 60000, &pid, &epoch), 0);
	ck_assert_int_eq(pid, 0x100000001ll);
	/* one transaction adds, the other verifies (nothing added yet) */
	client_call(c, API_AddPartitionsToTxn, 4,
	     "03"
	     "  c`tx-a` " PID0 " 0000 00 02 c`t1` 02 00000000 00 00"
	     "  c`tx-b` 0000000100000001 0000 01 02 c`t2` 02 00000000 00 00"
	     "00",
	     "00000000 0000 03"
	     "  c`tx-a` 02 c`t1` 02 00000000 0000 00 00 00"
	     "  c`tx-b` 02 c`t2` 02 00000000 0030 00 00 00"
	     "00");
	/* verify: in the open transaction, and not */
	client_call(c, API_AddPartitionsToTxn, 5,
	     "02 c`tx-a` " PID0 " 0000 01 02 c`t1` 03 00000000 00000003 00 00 00",
	     "00000000 0000 02 c`tx-a` 02 c`t1` 03 00000000 0000 00 00000003 0030 00 00 00 00");
	client_free(c);
}
END_TEST

/* ---- a transaction end to end ---- */

/* While tx-a's transaction is open (test_commit_end_to_end). */
static const struct wire_call commit_open_calls[] = {
	/* offsets of a group in the transaction */
	{API_TxnOffsetCommit, 0,
	 "s`tx-a` s`grp` " PID0 " 0000 00000001 s`t1` 00000001 00000000 000000000000002a ffff",
	 "00000000 00000001 s`t1` 00000001 00000000 0030"},
	{API_AddOffsetsToTxn, 0, "s`tx-a` " PID0 " 0000 s`grp`", "00000000 0000"},
	{API_TxnOffsetCommit, 0,
	 "s`tx-a` s`grp` " PID0 " 0000 00000001 s`t1` 00000001 00000000 000000000000002a ffff",
	 "00000000 00000001 s`t1` 00000001 00000000 0000"},
	{API_TxnOffsetCommit, 3,
	 "c`tx-a` c`grp` " PID0 " 0000 ffffffff c`` 00 02 c`t1` 02 00000001 000000000000002b ffffffff 00 00 00 00",
	 "00000000 02 c`t1` 02 00000001 0000 00 00 00"},
	/* a fenced epoch */
	{API_TxnOffsetCommit, 0,
	 "s`tx-a` s`grp` " PID0 " 0009 00000001 s`t1` 00000001 00000000 000000000000002a ffff",
	 "00000000 00000001 s`t1` 00000001 00000000 002f"},
	/* pending: not committed yet, unstable for RequireStable */
	{API_OffsetFetch, 7, "c`grp` 02 c`t1` 02 00000000 00 01 00",
	 "00000000 02 c`t1` 02 00000000 ffffffffffffffff ffffffff 01 0058 00 00 0000 00"},
	{API_OffsetFetch, 7, "c`grp` 02 c`t1` 02 00000000 00 00 00",
	 "00000000 02 c`t1` 02 00000000 ffffffffffffffff ffffffff 01 0000 00 00 0000 00"},
	/* ListTransactions and DescribeTransactions see it open */
	{API_ListTransactions, 1, "02 c`Ongoing` 01 ffffffffffffffff 00",
	 "00000000 0000 01 02 c`tx-a` " PID0 " c`Ongoing` 00 00"},
	{API_ListTransactions, 0, "03 c`Ongoing` c`Bogus` 02 00000000000000aa 00",
	 "00000000 0000 02 c`Bogus` 01 00"},
	{API_DescribeTransactions, 0, "02 c`nope` 00",
	 "00000000 02 0069 c`nope` c`` 00000000 ffffffffffffffff ffffffffffffffff ffff 01 00 00"},
};

/* After tx-a committed: a fenced epoch in EndTxn v1 and v2, an unknown
 * id, and the state ListTransactions shows. */
static const struct wire_call commit_ended_calls[] = {
	{API_EndTxn, 1, "s`tx-a` " PID0 " 0003 01", "00000000 002f"},
	{API_EndTxn, 2, "s`tx-a` " PID0 " 0003 01", "00000000 005a"},
	{API_EndTxn, 0, "s`nope` " PID0 " 0000 01", "00000000 0031"},
	{API_ListTransactions, 0, "01 01 00",
	 "00000000 0000 01 02 c`tx-a` " PID0 " c`CompleteCommit` 00 00"},
};

START_TEST(test_commit_end_to_end)
{
	struct client *c = client_new();
	int64_t pid, off;
	int16_t epoch;
	ck_assert_int_eq(init_txn(c, "tx-a", 60000, &pid, &epoch), 0);

	/* a transactional batch before AddPartitionsToTxn is refused */
	ck_assert_int_eq(produce_batch(c, 0, pid, epoch, 0, 3, 1, &off), KERR_INVALID_TXN_STATE);
	ck_assert_int_eq(add_partition(c, "tx-a", pid, epoch, 0), 0);
	ck_assert_int_eq(produce_batch(c, 0, pid, epoch, 0, 3, 1, &off), 0);
	ck_assert_int_eq(off, 0);
	/* a plain batch from someone else after it */
	ck_assert_int_eq(produce_batch(c, 0, -1, -1, -1, 2, 0, &off), 0);
	ck_assert_int_eq(off, 3);

	struct fetched f = fetch(c, 0, 0, 1);
	ck_assert_int_eq(f.hw, 5);
	ck_assert_int_eq(f.lso, 0);
	ck_assert_int_eq(f.records, 0); /* nothing below the LSO */
	f = fetch(c, 0, 0, 0);
	ck_assert_int_eq(f.lso, 0);
	ck_assert_int_eq(f.records, 5);
	ck_assert_int_eq(f.aborted, -1);

	CLIENT_CALL_TABLE(c, commit_open_calls);

	ck_assert_int_eq(end_txn(c, "tx-a", pid, epoch, 1), 0);
	f = fetch(c, 0, 0, 1);
	ck_assert_int_eq(f.hw, 6);
	ck_assert_int_eq(f.lso, 6);
	ck_assert_int_eq(f.records, 5);
	ck_assert_int_eq(f.markers, 1);
	ck_assert_int_eq(f.aborted, 0);
	/* the offsets are committed */
	client_call(c, API_OffsetFetch, 7, "c`grp` 02 c`t1` 03 00000000 00000001 00 01 00",
	     "00000000 02 c`t1` 03"
	     "  00000000 000000000000002a ffffffff 01 0000 00"
	     "  00000001 000000000000002b ffffffff 01 0000 00"
	     "00 0000 00");
	/* a retried EndTxn; the wrong end; a fenced epoch in v1 and v2 */
	ck_assert_int_eq(end_txn(c, "tx-a", pid, epoch, 1), 0);
	ck_assert_int_eq(end_txn(c, "tx-a", pid, epoch, 0), KERR_INVALID_TXN_STATE);
	CLIENT_CALL_TABLE(c, commit_ended_calls);
	client_free(c);
}
END_TEST

START_TEST(test_abort_end_to_end)
{
	struct client *c = client_new();
	int64_t pid, off;
	int16_t epoch;
	ck_assert_int_eq(init_txn(c, "tx-a", 60000, &pid, &epoch), 0);
	ck_assert_int_eq(produce_batch(c, 1, -1, -1, -1, 2, 0, &off), 0);
	ck_assert_int_eq(add_partition(c, "tx-a", pid, epoch, 1), 0);
	ck_assert_int_eq(produce_batch(c, 1, pid, epoch, 0, 3, 1, &off), 0);
	ck_assert_int_eq(off, 2);
	ck_assert_int_eq(end_txn(c, "tx-a", pid, epoch, 0), 0);
	/* the next transaction commits */
	ck_assert_int_eq(add_partition(c, "tx-a", pid, epoch, 1), 0);
	ck_assert_int_eq(produce_batch(c, 1, pid, epoch, 3, 4, 1, &off), 0);
	ck_assert_int_eq(off, 6);
	ck_assert_int_eq(end_txn(c, "tx-a", pid, epoch, 1), 0);

	struct fetched f = fetch(c, 1, 0, 1);
	ck_assert_int_eq(f.hw, 11);
	ck_assert_int_eq(f.lso, 11);
	ck_assert_int_eq(f.aborted, 1);
	ck_assert_int_eq(f.aborted_pid, pid);
	ck_assert_int_eq(f.aborted_first, 2);
	ck_assert_int_eq(f.records, 9); /* the client drops the aborted 3 */
	/* past the aborted transaction, it is not listed */
	f = fetch(c, 1, 6, 1);
	ck_assert_int_eq(f.aborted, 0);
	f = fetch(c, 1, 0, 0);
	ck_assert_int_eq(f.aborted, -1);
	client_free(c);
}
END_TEST

/* ---- idempotence over the wire ---- */

/* A batch the idempotent producer sends, and the answer it must get. */
struct idem_produce {
	int16_t epoch;
	int32_t seq;
	int n;                  /* records */
	int16_t error;
	int64_t offset;         /* ANY_OFFSET: not checked */
};
#define ANY_OFFSET INT64_MIN

/* Produces each row's batch to t1's partition as producer pid. */
static void produce_rows(struct client *c, int32_t partition, int64_t pid,
			 const struct idem_produce *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct idem_produce *r = &rows[i];
		int64_t off;
		int16_t err = produce_batch(c, partition, pid, r->epoch, r->seq, r->n, 0, &off);
		ck_assert_msg(err == r->error, "row %zu: error %d, want %d", i, err, r->error);
		if (r->offset != ANY_OFFSET)
			ck_assert_msg(off == r->offset, "row %zu: offset %lld, want %lld", i,
				      (long long)off, (long long)r->offset);
	}
}

static const struct idem_produce idem_first_run[] = {
	{0, 0, 5, 0, 0},
	{0, 5, 5, 0, 5},
	/* a retry: the first offsets again, nothing written */
	{0, 0, 5, 0, 0},
	{0, 5, 5, 0, 5},
	/* a gap, a stale epoch after a new one */
	{0, 11, 1, KERR_OUT_OF_ORDER_SEQUENCE_NUMBER, -1},
	{1, 0, 1, 0, ANY_OFFSET},
	{0, 10, 1, KERR_INVALID_PRODUCER_EPOCH, ANY_OFFSET},
};

/* After a restart: retries are still recognised and sequences continue. */
static const struct idem_produce idem_after_restart[] = {
	{1, 0, 1, 0, 10},
	{1, 1, 2, 0, 11},
	{1, 5, 2, KERR_OUT_OF_ORDER_SEQUENCE_NUMBER, ANY_OFFSET},
};

START_TEST(test_idempotent_produce)
{
	struct client *c = client_new();
	struct vec got;
	client_send(c, API_InitProducerId, 0, "ffff 0000ea60");
	client_recv(c, &got);
	vec_free(&got);
	int64_t pid = 0x100000000ll, off;
	produce_rows(c, 2, pid, idem_first_run,
		     sizeof idem_first_run / sizeof idem_first_run[0]);
	struct fetched f = fetch(c, 2, 0, 0);
	ck_assert_int_eq(f.hw, 11);
	ck_assert_int_eq(f.records, 11);

	/* after a restart the producer state is read back: retries are
	 * still recognised and sequences continue */
	client_free(c);
	eos_restart();
	c = client_new();
	produce_rows(c, 2, pid, idem_after_restart,
		     sizeof idem_after_restart / sizeof idem_after_restart[0]);
	/* a second restart reads the snapshot the first one wrote */
	client_free(c);
	eos_restart();
	c = client_new();
	ck_assert_int_eq(produce_batch(c, 2, pid, 1, 1, 2, 0, &off), 0);
	ck_assert_int_eq(off, 11);
	f = fetch(c, 2, 0, 0);
	ck_assert_int_eq(f.hw, 13);
	/* producer ids of the new generation do not repeat old ones */
	client_call(c, API_InitProducerId, 0, "ffff 0000ea60",
	     "00000000 0000 0000000300000000 0000");
	client_free(c);
}
END_TEST

/* ---- durability, timeouts, fencing ---- */

START_TEST(test_state_survives_restart)
{
	struct client *c = client_new();
	int64_t pid;
	int16_t epoch;
	open_txn(c, "tx-a", 60000, 3, 2, &pid, &epoch);
	client_call(c, API_AddOffsetsToTxn, 3, "c`tx-a` " PID0 " 0000 c`grp` 00", "00000000 0000 00");
	client_call(c, API_TxnOffsetCommit, 0,
	     "s`tx-a` s`grp` " PID0 " 0000 00000001 s`t1` 00000001 00000003 0000000000000007 ffff",
	     "00000000 00000001 s`t1` 00000001 00000003 0000");
	client_free(c);
	eos_restart();
	c = client_new();
	/* the open transaction, its partition, its pending offsets */
	struct fetched f = fetch(c, 3, 0, 1);
	ck_assert_int_eq(f.lso, 0);
	ck_assert_int_eq(f.hw, 2);
	client_call(c, API_OffsetFetch, 7, "c`grp` 02 c`t1` 02 00000003 00 01 00",
	     "00000000 02 c`t1` 02 00000003 ffffffffffffffff ffffffff 01 0058 00 00 0000 00");
	client_call(c, API_ListTransactions, 0, "01 01 00",
	     "00000000 0000 01 02 c`tx-a` " PID0 " c`Ongoing` 00 00");
	ck_assert_int_eq(end_txn(c, "tx-a", pid, epoch, 1), 0);
	f = fetch(c, 3, 0, 1);
	ck_assert_int_eq(f.lso, 3);
	ck_assert_int_eq(f.records, 2);
	client_call(c, API_OffsetFetch, 7, "c`grp` 02 c`t1` 02 00000003 00 01 00",
	     "00000000 02 c`t1` 02 00000003 0000000000000007 ffffffff 01 0000 00 00 0000 00");
	client_free(c);
}
END_TEST

START_TEST(test_timeout_aborts_and_fences)
{
	struct client *c = client_new();
	int64_t pid, off;
	int16_t epoch;
	open_txn(c, "tx-a", 100, 0, 2, &pid, &epoch);
	loop_for(150);
	txn_scan();
	loop_for(100);
	const struct txn_meta *m = txn_find("tx-a");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->state, TXN_COMPLETE_ABORT);
	ck_assert_int_eq(m->epoch, 1);
	struct fetched f = fetch(c, 0, 0, 1);
	ck_assert_int_eq(f.lso, f.hw);
	ck_assert_int_eq(f.aborted, 1);
	/* the zombie: its data, and its end, are refused */
	ck_assert_int_eq(produce_batch(c, 0, pid, epoch, 2, 1, 1, &off),
			 KERR_INVALID_PRODUCER_EPOCH);
	ck_assert_int_eq(end_txn(c, "tx-a", pid, epoch, 1), KERR_PRODUCER_FENCED);
	/* a new producer instance gets the next epoch */
	ck_assert_int_eq(init_txn(c, "tx-a", 60000, &pid, &epoch), 0);
	ck_assert_int_eq(epoch, 2);
	client_free(c);
}
END_TEST

START_TEST(test_new_instance_aborts_open_transaction)
{
	struct client *c = client_new();
	int64_t pid, pid2, off;
	int16_t epoch, epoch2;
	open_txn(c, "tx-a", 60000, 0, 2, &pid, &epoch);
	/* the new instance is told to retry while the old transaction is
	 * aborted with a fencing epoch */
	ck_assert_int_eq(init_txn(c, "tx-a", 60000, &pid2, &epoch2),
			 KERR_CONCURRENT_TRANSACTIONS);
	loop_for(100);
	ck_assert_int_eq(init_txn(c, "tx-a", 60000, &pid2, &epoch2), 0);
	ck_assert_int_eq(pid2, pid);
	ck_assert_int_eq(epoch2, 2);
	struct fetched f = fetch(c, 0, 0, 1);
	ck_assert_int_eq(f.aborted, 1);
	ck_assert_int_eq(f.lso, f.hw);
	ck_assert_int_eq(produce_batch(c, 0, pid, epoch, 2, 1, 1, &off),
			 KERR_INVALID_PRODUCER_EPOCH);
	client_free(c);
}
END_TEST

/* Appends a record to txn.journal as a crash would have left it. */
static void journal_append(const struct txn_meta *m)
{
	uint8_t *frame;
	size_t len;
	ck_assert_int_eq(txn_record_encode(m, &frame, &len), 0);
	char path[512];
	snprintf(path, sizeof path, "%s/txn.journal", tmp_root);
	int fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, frame, len), (ssize_t)len);
	close(fd);
	free(frame);
}

START_TEST(test_crash_after_prepare_commit)
{
	struct client *c = client_new();
	int64_t pid, off;
	int16_t epoch;
	open_txn(c, "tx-a", 60000, 0, 2, &pid, &epoch);
	ck_assert_int_eq(add_partition(c, "tx-a", pid, epoch, 2), 0);
	ck_assert_int_eq(produce_batch(c, 2, pid, epoch, 0, 3, 1, &off), 0);
	client_call(c, API_AddOffsetsToTxn, 0, "s`tx-a` " PID0 " 0000 s`grp`", "00000000 0000");
	client_call(c, API_TxnOffsetCommit, 0,
	     "s`tx-a` s`grp` " PID0 " 0000 00000001 s`t1` 00000001 00000000 0000000000000009 ffff",
	     "00000000 00000001 s`t1` 00000001 00000000 0000");
	client_free(c);
	/* brokerd stopped right after journaling PREPARE_COMMIT: no marker,
	 * no TXN_END, no COMPLETE_COMMIT */
	struct txn_meta m;
	ck_assert_int_eq(txn_meta_copy(&m, txn_find("tx-a")), 0);
	eos_down();
	m.state = TXN_PREPARE_COMMIT;
	journal_append(&m);
	txn_meta_free(&m);
	eos_up();
	loop_for(200);
	c = client_new();
	const struct txn_meta *now = txn_find("tx-a");
	ck_assert_int_eq(now->state, TXN_COMPLETE_COMMIT);
	struct fetched f = fetch(c, 0, 0, 1);
	ck_assert_int_eq(f.lso, 3);
	ck_assert_int_eq(f.records, 2);
	ck_assert_int_eq(f.markers, 1);
	f = fetch(c, 2, 0, 1);
	ck_assert_int_eq(f.lso, 4);
	ck_assert_int_eq(f.records, 3);
	client_call(c, API_OffsetFetch, 7, "c`grp` 02 c`t1` 02 00000000 00 01 00",
	     "00000000 02 c`t1` 02 00000000 0000000000000009 ffffffff 01 0000 00 00 0000 00");
	/* and again after one more restart: the end is durable */
	client_free(c);
	eos_restart();
	c = client_new();
	ck_assert_int_eq(txn_find("tx-a")->state, TXN_COMPLETE_COMMIT);
	f = fetch(c, 0, 0, 1);
	ck_assert_int_eq(f.markers, 1);
	client_free(c);
}
END_TEST

START_TEST(test_log_compaction)
{
	txn_set_compact_bytes(4096);
	struct client *c = client_new();
	int64_t pid, off;
	int16_t epoch;
	/* many transactions of two ids: the journal is rewritten as it goes */
	for (int round = 0; round < 40; round++) {
		const char *id = round % 2 ? "tx-odd" : "tx-even";
		ck_assert_int_eq(init_txn(c, id, 60000, &pid, &epoch), 0);
		ck_assert_int_eq(add_partition(c, id, pid, epoch, round % 4), 0);
		ck_assert_int_eq(produce_batch(c, round % 4, pid, epoch, 0, 1, 1, &off), 0);
		ck_assert_int_eq(end_txn(c, id, pid, epoch, round % 3 != 0), 0);
	}
	loop_for(50);
	char path[512];
	snprintf(path, sizeof path, "%s/txn.journal", tmp_root);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	/* 40 x 5 records of about 90 bytes were written */
	ck_assert_int_lt(st.st_size, 8192);
	int16_t last_epoch = txn_find("tx-odd")->epoch;
	client_free(c);
	eos_restart();
	ck_assert_int_eq(txn_count(), 2);
	ck_assert_int_eq(txn_find("tx-odd")->state, TXN_COMPLETE_ABORT);
	ck_assert_int_eq(txn_find("tx-odd")->epoch, last_epoch);
	ck_assert_int_eq(txn_find("tx-even")->state, TXN_COMPLETE_COMMIT);
	c = client_new();
	ck_assert_int_eq(init_txn(c, "tx-odd", 60000, &pid, &epoch), 0);
	ck_assert_int_eq(epoch, last_epoch + 1);
	client_free(c);
}
END_TEST

/* ---- the transaction log ---- */

/* Counts replayed records and keeps the last id seen. */
static int replayed;
static char last_id[64];

static int count_replay(void *arg, uint16_t type, const uint8_t *body, size_t len)
{
	struct txn_meta m;
	if (type != TXN_RECORD_STATE || txn_record_decode(body, len, &m))
		return -1;
	snprintf(last_id, sizeof last_id, "%s", m.id);
	txn_meta_free(&m);
	replayed++;
	return 0;
}

START_TEST(test_record_roundtrip)
{
	struct txn_meta m = {0};
	m.id = strdup("tx-round");
	m.producer_id = 0x1234;
	m.last_producer_id = 7;
	m.epoch = 3;
	m.last_epoch = 2;
	m.timeout_ms = 60000;
	m.state = TXN_ONGOING;
	m.start_ms = 1700000000000;
	m.update_ms = 1700000000123;
	ck_assert_int_eq(txn_meta_add_partition(&m, 11, 0, "t1"), 0);
	ck_assert_int_eq(txn_meta_add_partition(&m, 12, 1, "t1"), 0);
	ck_assert_int_eq(txn_meta_add_partition(&m, 11, 0, "t1"), 0); /* no twice */
	ck_assert_int_eq(txn_meta_add_group(&m, "g"), 0);
	uint8_t *frame;
	size_t len;
	ck_assert_int_eq(txn_record_encode(&m, &frame, &len), 0);
	struct txn_meta d;
	ck_assert_int_eq(txn_record_decode(frame + TXN_LOG_FRAME_BYTES,
					   len - TXN_LOG_FRAME_BYTES, &d), 0);
	ck_assert_str_eq(d.id, "tx-round");
	ck_assert_int_eq(d.producer_id, 0x1234);
	ck_assert_int_eq(d.epoch, 3);
	ck_assert_int_eq(d.last_epoch, 2);
	ck_assert_int_eq(d.state, TXN_ONGOING);
	ck_assert_uint_eq(d.part_count, 2);
	ck_assert_uint_eq(d.parts[1].stream_id, 12);
	ck_assert_str_eq(d.parts[1].topic, "t1");
	ck_assert_uint_eq(d.group_count, 1);
	ck_assert_str_eq(d.groups[0], "g");
	txn_meta_free(&d);
	/* short bodies never decode */
	for (size_t cut = 0; cut < len - TXN_LOG_FRAME_BYTES; cut++)
		ck_assert_int_ne(txn_record_decode(frame + TXN_LOG_FRAME_BYTES, cut, &d), 0);
	free(frame);
	txn_meta_free(&m);
	ck_assert_str_eq(txn_state_name(TXN_PREPARE_COMMIT), "PrepareCommit");
	ck_assert_int_eq(txn_state_parse("CompleteAbort", 13), TXN_COMPLETE_ABORT);
	ck_assert_int_eq(txn_state_parse("Nope", 4), -1);
}
END_TEST

START_TEST(test_log_torn_tail)
{
	/* the fixture's coordinator holds the log: use a directory of our own */
	char dir[512];
	snprintf(dir, sizeof dir, "%s/log", tmp_root);
	ck_assert_int_eq(mkdir(dir, 0750), 0);
	struct txn_log *log;
	ck_assert_int_eq(txn_log_open(dir, count_replay, NULL, &log), 0);
	ck_assert_int_eq(txn_log_start(log, broker.base), 0);
	for (int i = 0; i < 3; i++) {
		struct txn_meta m = {0};
		char id[16];
		snprintf(id, sizeof id, "id-%d", i);
		m.id = id;
		uint8_t *frame;
		size_t len;
		ck_assert_int_eq(txn_record_encode(&m, &frame, &len), 0);
		ck_assert_int_eq(txn_log_append(log, frame, len, NULL, NULL), 0);
	}
	txn_log_close(log);
	char path[600];
	snprintf(path, sizeof path, "%s/txn.journal", dir);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	/* a torn last record: cut, the others replay */
	ck_assert_int_eq(truncate(path, st.st_size - 3), 0);
	replayed = 0;
	ck_assert_int_eq(txn_log_open(dir, count_replay, NULL, &log), 0);
	ck_assert_int_eq(replayed, 2);
	ck_assert_str_eq(last_id, "id-1");
	txn_log_close(log);
	ck_assert_int_eq(stat(path, &st), 0);
	replayed = 0;
	ck_assert_int_eq(txn_log_open(dir, count_replay, NULL, &log), 0);
	ck_assert_int_eq(replayed, 2);
	txn_log_close(log);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("txn");
	TCase *tc = tcase_create("coordinator");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_init_producer_id_v0);
	tcase_add_test(tc, test_init_producer_id_v4);
	tcase_add_test(tc, test_add_partitions_v3);
	tcase_add_test(tc, test_add_partitions_v4_batched);
	tcase_add_test(tc, test_commit_end_to_end);
	tcase_add_test(tc, test_abort_end_to_end);
	tcase_add_test(tc, test_idempotent_produce);
	tcase_add_test(tc, test_state_survives_restart);
	tcase_add_test(tc, test_timeout_aborts_and_fences);
	tcase_add_test(tc, test_new_instance_aborts_open_transaction);
	tcase_add_test(tc, test_crash_after_prepare_commit);
	tcase_add_test(tc, test_log_compaction);
	tcase_add_test(tc, test_record_roundtrip);
	tcase_add_test(tc, test_log_torn_tail);
	suite_add_tcase(s, tc);
	return s;
}
