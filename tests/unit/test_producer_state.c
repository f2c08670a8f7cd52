/*
 * Tests of a partition's producer state (brokerd/partition/
 * producer_state.h): the sequence and epoch checks as a table of cases
 * written from Kafka's ProducerAppendInfo rules, duplicates found among the
 * last five batches, requests with several batches, markers ending
 * transactions (open list, aborted list, last stable offset), expiry; the
 * transaction markers (control_batch.h); and the producer state snapshot
 * (encode, decode, damage refused).  Pure code: no loop, no files.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/catalog/catalog.h"
#include "brokerd/partition/control_batch.h"
#include "brokerd/partition/partition.h"
#include "brokerd/partition/producer_state.h"
#include "brokerd/partition/record_batch.h"
#include "brokerd/txn/producer_snapshot.h"
#include "common/bytes.h"
#include "common/errors.h"
#include "tests/unit/eos_batches.h"
#include "tests/unit/unit_main.h"

/* One batch of a case: producer id, epoch, first sequence, records,
 * transactional; marker >= 0 makes it a marker of that type instead. */
struct tb {
	int64_t pid;
	int16_t epoch;
	int32_t seq;
	int n;
	int txn;
	int marker;
};

#define DATA(pid, epoch, seq, n) {pid, epoch, seq, n, 0, -1}
#define TXN(pid, epoch, seq, n) {pid, epoch, seq, n, 1, -1}
#define ABORT(pid, epoch) {pid, epoch, -1, 1, 1, CONTROL_TYPE_ABORT}
#define COMMIT(pid, epoch) {pid, epoch, -1, 1, 1, CONTROL_TYPE_COMMIT}
#define NONE {0, 0, 0, 0, 0, -1}

/* The bytes of a case batch at offset. */
static uint8_t *tb_bytes(const struct tb *b, int64_t offset, size_t *len)
{
	uint8_t *p;
	if (b->marker >= 0) {
		p = malloc(CONTROL_BATCH_BYTES);
		ck_assert_ptr_nonnull(p);
		control_batch_build(p, b->pid, b->epoch, b->marker, 0, 1700000000000);
		*len = CONTROL_BATCH_BYTES;
	} else {
		p = eb_batch(b->pid, b->epoch, b->seq, b->n, b->txn, len);
	}
	be64_put(p + RB_OFF_BASE_OFFSET, (uint64_t)offset);
	return p;
}

/* Applies batches (up to a NONE) from offset 0; returns the next offset. */
static int64_t apply_all(struct producer_state **s, const struct tb *batches)
{
	int64_t next = 0;
	for (; batches->n; batches++) {
		size_t len;
		uint8_t *p = tb_bytes(batches, next, &len);
		ck_assert_int_eq(producer_state_apply(s, p, len, (uint64_t)(next + 1) * 4096,
						      1000), 0);
		free(p);
		next += batches->n;
	}
	return next;
}

/* ---- the sequence check table ---- */

struct seq_case {
	const char *name;
	struct tb before[8];  /* applied first (up to a NONE) */
	struct tb check[3];   /* checked in order as one request */
	int want[3];          /* each one's result */
	int64_t dup_offset;   /* a duplicate's first offset */
};

static const struct seq_case seq_cases[] = {
	{"a new producer at sequence 0", {NONE}, {DATA(1, 0, 0, 1), NONE}, {0}, 0},
	{"an unknown producer at any sequence (Kafka 2.5+, no UNKNOWN_PRODUCER_ID)",
	 {NONE}, {DATA(1, 0, 42, 1), NONE}, {0}, 0},
	{"the next sequence", {DATA(1, 0, 0, 5), NONE}, {DATA(1, 0, 5, 3), NONE}, {0}, 0},
	{"a gap", {DATA(1, 0, 0, 5), NONE}, {DATA(1, 0, 6, 1), NONE},
	 {KERR_OUT_OF_ORDER_SEQUENCE_NUMBER}, 0},
	{"a sequence already written but not a batch kept",
	 {DATA(1, 0, 0, 5), NONE}, {DATA(1, 0, 2, 3), NONE},
	 {KERR_OUT_OF_ORDER_SEQUENCE_NUMBER}, 0},
	{"a retry of the last batch",
	 {DATA(1, 0, 0, 5), DATA(1, 0, 5, 5), NONE}, {DATA(1, 0, 5, 5), NONE},
	 {PRODUCER_CHECK_DUPLICATE}, 5},
	{"a retry of the fifth batch back",
	 {DATA(1, 0, 0, 2), DATA(1, 0, 2, 2), DATA(1, 0, 4, 2), DATA(1, 0, 6, 2),
	  DATA(1, 0, 8, 2), NONE},
	 {DATA(1, 0, 0, 2), NONE}, {PRODUCER_CHECK_DUPLICATE}, 0},
	{"a retry of the sixth batch back: no longer known",
	 {DATA(1, 0, 0, 2), DATA(1, 0, 2, 2), DATA(1, 0, 4, 2), DATA(1, 0, 6, 2),
	  DATA(1, 0, 8, 2), DATA(1, 0, 10, 2), NONE},
	 {DATA(1, 0, 0, 2), NONE}, {KERR_OUT_OF_ORDER_SEQUENCE_NUMBER}, 0},
	{"a retry from an older epoch is not a duplicate",
	 {DATA(1, 0, 0, 5), DATA(1, 1, 0, 5), NONE}, {DATA(1, 0, 0, 5), NONE},
	 {KERR_INVALID_PRODUCER_EPOCH}, 0},
	{"a stale epoch", {DATA(1, 3, 0, 5), NONE}, {DATA(1, 2, 5, 1), NONE},
	 {KERR_INVALID_PRODUCER_EPOCH}, 0},
	{"a new epoch from sequence 0", {DATA(1, 3, 0, 5), NONE},
	 {DATA(1, 4, 0, 1), NONE}, {0}, 0},
	{"a new epoch not from sequence 0", {DATA(1, 3, 0, 5), NONE},
	 {DATA(1, 4, 7, 1), NONE}, {KERR_OUT_OF_ORDER_SEQUENCE_NUMBER}, 0},
	{"the sequence wraps to 0 after INT32_MAX",
	 {DATA(1, 0, INT32_MAX - 1, 2), NONE}, {DATA(1, 0, 0, 1), NONE}, {0}, 0},
	{"a batch that wraps ends past 0",
	 {DATA(1, 0, INT32_MAX, 3), NONE}, {DATA(1, 0, 2, 1), NONE}, {0}, 0},
	{"producers are independent", {DATA(1, 0, 0, 5), NONE},
	 {DATA(2, 0, 0, 1), NONE}, {0}, 0},
	{"a plain batch without producer id", {NONE}, {DATA(-1, -1, -1, 3), NONE},
	 {0}, 0},
	{"a transactional batch without producer id", {NONE},
	 {TXN(-1, -1, -1, 1), NONE}, {KERR_INVALID_RECORD}, 0},
	{"a plain batch while the producer's transaction is open",
	 {TXN(1, 0, 0, 2), NONE}, {DATA(1, 0, 2, 1), NONE},
	 {KERR_INVALID_TXN_STATE}, 0},
	{"a marker's newer epoch fences the old one",
	 {TXN(1, 0, 0, 2), ABORT(1, 1), NONE}, {TXN(1, 0, 2, 1), NONE},
	 {KERR_INVALID_PRODUCER_EPOCH}, 0},
	{"after a marker's new epoch, sequences start at 0",
	 {TXN(1, 0, 0, 2), ABORT(1, 1), NONE}, {TXN(1, 1, 0, 1), NONE}, {0}, 0},
	{"after a marker's new epoch, not at 1",
	 {TXN(1, 0, 0, 2), ABORT(1, 1), NONE}, {TXN(1, 1, 1, 1), NONE},
	 {KERR_OUT_OF_ORDER_SEQUENCE_NUMBER}, 0},
	{"two batches in one request, in sequence", {DATA(1, 0, 0, 5), NONE},
	 {DATA(1, 0, 5, 2), DATA(1, 0, 7, 1), NONE}, {0, 0}, 0},
	{"two batches in one request, the second with a gap", {DATA(1, 0, 0, 5), NONE},
	 {DATA(1, 0, 5, 2), DATA(1, 0, 8, 1), NONE},
	 {0, KERR_OUT_OF_ORDER_SEQUENCE_NUMBER}, 0},
	{"the same batch twice in one request", {NONE},
	 {DATA(1, 0, 0, 2), DATA(1, 0, 0, 2), NONE},
	 {0, KERR_OUT_OF_ORDER_SEQUENCE_NUMBER}, 0},
};

START_TEST(test_sequence_table)
{
	const struct seq_case *c = &seq_cases[_i];
	struct producer_state *s = NULL;
	apply_all(&s, c->before);
	struct producer_check chk;
	producer_check_init(&chk, s);
	for (int k = 0; c->check[k].n; k++) {
		size_t len;
		uint8_t *p = tb_bytes(&c->check[k], 100, &len);
		struct producer_batch_desc d;
		producer_batch_desc_read(p, &d);
		struct producer_batch dup = {0};
		const char *why = NULL;
		int rc = producer_check_batch(&chk, &d, &dup, &why);
		free(p);
		ck_assert_msg(rc == c->want[k], "%s: batch %d: got %d (%s), want %d",
			      c->name, k, rc, why ? why : "-", c->want[k]);
		if (rc == PRODUCER_CHECK_DUPLICATE)
			ck_assert_msg(dup.first_offset == c->dup_offset,
				      "%s: duplicate of offset %lld, want %lld", c->name,
				      (long long)dup.first_offset, (long long)c->dup_offset);
		else if (rc == 0)
			ck_assert_ptr_null(why);
	}
	producer_state_free(s);
}
END_TEST

/* ---- transactions: open list, aborted list, markers ---- */

START_TEST(test_transactions_open_and_aborted)
{
	struct producer_state *s = NULL;
	ck_assert_int_eq(producer_state_first_open(s), INT64_MAX);
	/* offsets: pid 1 data at 0-1, pid 2 data at 2-4, pid 1 data at 5 */
	int64_t next = apply_all(&s, (const struct tb[]){
		TXN(1, 0, 0, 2), TXN(2, 0, 0, 3), TXN(1, 0, 2, 1), NONE});
	ck_assert_int_eq(next, 6);
	ck_assert_int_eq(producer_state_first_open(s), 0);
	ck_assert_uint_eq(s->open_count, 2);

	/* ABORT of pid 1 at offset 6 */
	size_t len;
	uint8_t *m = tb_bytes(&(struct tb)ABORT(1, 0), 6, &len);
	ck_assert_int_eq(producer_state_apply(&s, m, len, 7 * 4096, 1000), 0);
	free(m);
	ck_assert_int_eq(producer_state_first_open(s), 2);
	ck_assert_uint_eq(s->aborted_count, 1);
	ck_assert_int_eq(s->aborted[0].producer_id, 1);
	ck_assert_int_eq(s->aborted[0].first_offset, 0);
	ck_assert_int_eq(s->aborted[0].last_offset, 6);

	/* COMMIT of pid 2 at offset 7: nothing aborted, nothing open */
	m = tb_bytes(&(struct tb)COMMIT(2, 0), 7, &len);
	ck_assert_int_eq(producer_state_apply(&s, m, len, 8 * 4096, 1000), 0);
	free(m);
	ck_assert_int_eq(producer_state_first_open(s), INT64_MAX);
	ck_assert_uint_eq(s->aborted_count, 1);

	/* a repeated marker (recovery writes them again) changes nothing */
	m = tb_bytes(&(struct tb)ABORT(1, 0), 8, &len);
	ck_assert_int_eq(producer_state_apply(&s, m, len, 9 * 4096, 1000), 0);
	free(m);
	ck_assert_uint_eq(s->aborted_count, 1);

	ck_assert_uint_eq(producer_state_aborted_from(s, 0), 0);
	ck_assert_uint_eq(producer_state_aborted_from(s, 6), 0);
	ck_assert_uint_eq(producer_state_aborted_from(s, 7), 1);

	/* a marker's epoch moves the producer on */
	const struct producer_entry *e = producer_state_find(s, 1);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->txn_first_offset, -1);
	producer_state_free(s);
}
END_TEST

START_TEST(test_duplicate_keeps_wal_end)
{
	struct producer_state *s = NULL;
	size_t len;
	uint8_t *p = eb_batch(7, 0, 0, 3, 0, &len);
	be64_put(p + RB_OFF_BASE_OFFSET, 40);
	ck_assert_int_eq(producer_state_apply(&s, p, len, 123456, 1000), 0);
	struct producer_batch_desc d;
	producer_batch_desc_read(p, &d);
	struct producer_check chk;
	producer_check_init(&chk, s);
	struct producer_batch dup;
	const char *why;
	ck_assert_int_eq(producer_check_batch(&chk, &d, &dup, &why), PRODUCER_CHECK_DUPLICATE);
	ck_assert_int_eq(dup.first_offset, 40);
	ck_assert_int_eq(dup.last_offset, 42);
	ck_assert_uint_eq(dup.wal_end, 123456);
	free(p);
	producer_state_free(s);
}
END_TEST

START_TEST(test_expire)
{
	struct producer_state *s = NULL;
	size_t len;
	uint8_t *p = eb_batch(1, 0, 0, 1, 0, &len);
	ck_assert_int_eq(producer_state_apply(&s, p, len, 4096, 1000), 0);
	free(p);
	p = eb_batch(2, 0, 0, 1, 1, &len); /* open transaction: stays */
	be64_put(p + RB_OFF_BASE_OFFSET, 1);
	ck_assert_int_eq(producer_state_apply(&s, p, len, 8192, 1000), 0);
	free(p);
	p = eb_batch(3, 0, 0, 1, 0, &len); /* recent: stays */
	be64_put(p + RB_OFF_BASE_OFFSET, 2);
	ck_assert_int_eq(producer_state_apply(&s, p, len, 12288, 5000), 0);
	free(p);
	struct aborted_txn a = {9, 0, 0};
	ck_assert_int_eq(producer_state_put_aborted(&s, &a), 0);
	ck_assert_uint_eq(producer_state_expire(s, 2000, 1), 1);
	ck_assert_ptr_null(producer_state_find(s, 1));
	ck_assert_ptr_nonnull(producer_state_find(s, 2));
	ck_assert_ptr_nonnull(producer_state_find(s, 3));
	ck_assert_uint_eq(s->aborted_count, 0);
	producer_state_free(s);
}
END_TEST

/* ---- markers ---- */

START_TEST(test_control_batch)
{
	uint8_t b[CONTROL_BATCH_BYTES];
	for (int type = CONTROL_TYPE_ABORT; type <= CONTROL_TYPE_COMMIT; type++) {
		control_batch_build(b, 0x100000002ll, 3, type, 0, 1700000000000);
		struct record_batch_info info;
		ck_assert_int_eq(record_batch_validate(b, sizeof b, &info), 0);
		ck_assert_int_eq(info.record_count, 1);
		ck_assert_int_eq(info.producer_id, 0x100000002ll);
		ck_assert_int_eq(info.producer_epoch, 3);
		ck_assert_int_eq(info.base_sequence, -1);
		ck_assert_uint_eq(info.attributes, RB_ATTR_TRANSACTIONAL | RB_ATTR_CONTROL);
		ck_assert_int_eq(control_batch_type(b, sizeof b), type);
	}
	/* the record: key version 0 type 1, value version 0 epoch 0 */
	static const uint8_t rec[] = {0x20, 0, 0, 0, 0x08, 0, 0, 0, 1, 0x0c,
				      0, 0, 0, 0, 0, 0, 0};
	ck_assert_int_eq(memcmp(b + RB_HEADER_BYTES, rec, sizeof rec), 0);
	size_t len;
	uint8_t *data = eb_batch(1, 0, 0, 1, 1, &len);
	ck_assert_int_eq(control_batch_type(data, len), -1); /* key null */
	free(data);
}
END_TEST

/* ---- snapshots ---- */

static uint64_t streams[2] = {11, 12};
static struct topic snap_topic = {.name = "snap", .partition_count = 2,
				  .stream_ids = streams};

START_TEST(test_snapshot_roundtrip)
{
	struct partition_table *pt = partition_table_new();
	ck_assert_int_eq(partition_table_add_topic(pt, &snap_topic), 0);
	struct partition *p0 = partition_by_stream(pt, 11);
	apply_all(&p0->producers, (const struct tb[]){
		DATA(5, 2, 0, 3), DATA(5, 2, 3, 3), TXN(6, 0, 0, 1), TXN(7, 1, 0, 2),
		ABORT(7, 1), NONE});
	uint8_t *image;
	size_t len;
	ck_assert_int_eq(producer_snapshot_encode(pt, 777, 512, &image, &len), 0);

	struct partition_table *pt2 = partition_table_new();
	ck_assert_int_eq(partition_table_add_topic(pt2, &snap_topic), 0);
	uint64_t pos, trim;
	const char *why;
	ck_assert_int_eq(producer_snapshot_decode(pt2, image, len, &pos, &trim, &why), 0);
	ck_assert_uint_eq(pos, 777);
	ck_assert_uint_eq(trim, 512);
	const struct producer_state *a = p0->producers;
	const struct producer_state *b = partition_by_stream(pt2, 11)->producers;
	ck_assert_ptr_null(partition_by_stream(pt2, 12)->producers);
	ck_assert_uint_eq(a->count, b->count);
	ck_assert_int_eq(memcmp(a->entries, b->entries, a->count * sizeof a->entries[0]), 0);
	ck_assert_uint_eq(b->aborted_count, 1);
	ck_assert_int_eq(b->aborted[0].producer_id, 7);
	ck_assert_int_eq(producer_state_first_open(b), producer_state_first_open(a));
	ck_assert_uint_eq(b->open_count, 1);

	/* the restored state dedups like the original */
	struct producer_check chk;
	producer_check_init(&chk, b);
	size_t blen;
	uint8_t *again = eb_batch(5, 2, 3, 3, 0, &blen);
	struct producer_batch_desc d;
	producer_batch_desc_read(again, &d);
	struct producer_batch dup;
	ck_assert_int_eq(producer_check_batch(&chk, &d, &dup, &why), PRODUCER_CHECK_DUPLICATE);
	ck_assert_int_eq(dup.first_offset, 3);
	free(again);

	/* damage anywhere is refused */
	for (size_t at = 0; at < len; at += 7) {
		struct partition_table *pt3 = partition_table_new();
		ck_assert_int_eq(partition_table_add_topic(pt3, &snap_topic), 0);
		image[at] ^= 0x40;
		ck_assert_int_eq(producer_snapshot_decode(pt3, image, len, &pos, &trim, &why),
				 SL_ECORRUPT);
		ck_assert_ptr_nonnull(why);
		image[at] ^= 0x40;
		partition_table_free(pt3);
	}
	ck_assert_int_eq(producer_snapshot_decode(pt2, image, len - 1, &pos, &trim, &why),
			 SL_ECORRUPT);
	free(image);
	partition_table_free(pt);
	partition_table_free(pt2);
}
END_TEST

START_TEST(test_snapshot_skips_deleted_streams)
{
	struct partition_table *pt = partition_table_new();
	ck_assert_int_eq(partition_table_add_topic(pt, &snap_topic), 0);
	apply_all(&partition_by_stream(pt, 12)->producers,
		  (const struct tb[]){DATA(5, 0, 0, 1), NONE});
	uint8_t *image;
	size_t len;
	ck_assert_int_eq(producer_snapshot_encode(pt, 1, 1, &image, &len), 0);
	struct partition_table *empty = partition_table_new();
	uint64_t pos, trim;
	const char *why;
	ck_assert_int_eq(producer_snapshot_decode(empty, image, len, &pos, &trim, &why), 0);
	free(image);
	partition_table_free(pt);
	partition_table_free(empty);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("producer_state");
	TCase *tc = tcase_create("checks");
	tcase_add_loop_test(tc, test_sequence_table, 0,
			    (int)(sizeof seq_cases / sizeof seq_cases[0]));
	tcase_add_test(tc, test_duplicate_keeps_wal_end);
	tcase_add_test(tc, test_transactions_open_and_aborted);
	tcase_add_test(tc, test_expire);
	tcase_add_test(tc, test_control_batch);
	tcase_add_test(tc, test_snapshot_roundtrip);
	tcase_add_test(tc, test_snapshot_skips_deleted_streams);
	suite_add_tcase(s, tc);
	return s;
}
