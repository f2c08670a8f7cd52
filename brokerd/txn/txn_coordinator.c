/*
 * The transaction coordinator (see txn_coordinator.h): Kafka's state
 * machine over the transaction log.
 *
 * An operation (struct txn_op) carries the record on its way to the log
 * and what to do once it is durable.  Operations that end a transaction
 * (EndTxn, a timeout, fencing an open transaction for a new producer,
 * recovery) go through three stages: the PREPARE record, the markers
 * (txn_markers.h), the COMPLETE record.  Operations on the way are listed
 * so shutdown can answer and free them.
 *
 * Ownership: the module owns the table, the log and the operations.
 * Threading: event loop only.  Durable: through txn_log.
 */
#include "brokerd/txn/txn_coordinator.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/partition/log_append.h"
#include "brokerd/txn/producer_ids.h"
#include "brokerd/txn/producer_snapshot.h"
#include "brokerd/txn/txn_log.h"
#include "brokerd/txn/txn_markers.h"
#include "brokerd/txn/txn_record.h"
#include "brokerd/txn/txn_table.h"
#include "common/counters.h"
#include "common/errors.h"
#include "common/log.h"

/* The log is rewritten when it passes this and four times what is live. */
#define TXN_COMPACT_MIN_BYTES (1u << 20)

/* Counters exist only inside brokerd (unit tests may run without). */
#define TXN_COUNT(name, n)                                                     \
	do {                                                                   \
		if (broker.counters)                                           \
			COUNTER_ADD(name, n);                                  \
	} while (0)

enum txn_op_kind {
	TXN_OP_INIT,    /* InitProducerId: a new epoch */
	TXN_OP_ADD,     /* AddPartitionsToTxn, AddOffsetsToTxn */
	TXN_OP_END,     /* EndTxn */
	TXN_OP_FENCE,   /* InitProducerId found a transaction open: abort it */
	TXN_OP_TIMEOUT, /* the transaction passed its timeout: abort it */
	TXN_OP_RECOVER, /* a PREPARE record found at start: finish it */
	TXN_OP_EXPIRE,  /* an idle id is forgotten */
};

enum txn_op_stage { TXN_STAGE_FIRST, TXN_STAGE_MARKERS, TXN_STAGE_COMPLETE };

struct txn_op {
	struct txn_op *next;
	char *id;
	enum txn_op_kind kind;
	enum txn_op_stage stage;
	int commit;
	struct txn_meta rec; /* what the record on its way says */
	txn_reply_fn fn;     /* NULL once answered, or for internal ones */
	void *arg;
};

static struct {
	struct event_base *base;
	struct txn_log *log;
	struct event *timer;
	struct txn_op *ops;
	int started;
	int rewriting;
	uint64_t compact_bytes;
	uint64_t rewrites;
	int64_t open; /* transactions in state Ongoing */
} tc;

/* ---- helpers ---- */

/* Kafka's TransactionMetadata.isEpochExhausted. */
static int txn_epoch_exhausted(int16_t epoch)
{
	return epoch >= INT16_MAX - 1;
}

/* The epoch after a fencing bump (kept when exhausted: the next
 * InitProducerId then gets a new producer id). */
static int16_t txn_bumped(int16_t epoch)
{
	return txn_epoch_exhausted(epoch) ? epoch : (int16_t)(epoch + 1);
}

/* Sets the open-transactions gauge after a change of t's state. */
static void txn_count_open(enum txn_state before, enum txn_state after)
{
	tc.open += (after == TXN_ONGOING) - (before == TXN_ONGOING);
	if (broker.counters)
		COUNTER_SET(txn_open, tc.open);
}

/* A new operation on t (listed); NULL when out of memory. */
static struct txn_op *txn_op_new(struct txn *t, enum txn_op_kind kind,
				 txn_reply_fn fn, void *arg)
{
	struct txn_op *op = calloc(1, sizeof *op);
	if (!op)
		return NULL;
	op->id = strdup(t->m.id);
	if (!op->id) {
		free(op);
		return NULL;
	}
	op->kind = kind;
	op->fn = fn;
	op->arg = arg;
	op->next = tc.ops;
	tc.ops = op;
	return op;
}

/* Unlists and frees an operation. */
static void txn_op_free(struct txn_op *op)
{
	for (struct txn_op **pp = &tc.ops; *pp; pp = &(*pp)->next)
		if (*pp == op) {
			*pp = op->next;
			break;
		}
	txn_meta_free(&op->rec);
	free(op->id);
	free(op);
}

/* Answers the operation's request, once. */
static void txn_op_reply(struct txn_op *op, int16_t err, int64_t pid, int16_t epoch)
{
	txn_reply_fn fn = op->fn;
	op->fn = NULL;
	if (fn)
		fn(op->arg, err, pid, epoch);
}

static void txn_op_on_logged(void *arg, int err);
static void txn_maybe_compact(void);

/* Sends op->rec to the log and marks t busy.  Returns 0 or an internal
 * error (op untouched). */
static int txn_op_submit(struct txn_op *op, struct txn *t)
{
	uint8_t *frame, *copy;
	size_t len;
	int rc = txn_record_encode(&op->rec, &frame, &len);
	if (rc)
		return rc;
	copy = malloc(len);
	if (!copy) {
		free(frame);
		return SL_ENOMEM;
	}
	memcpy(copy, frame, len);
	rc = txn_log_append(tc.log, frame, len, txn_op_on_logged, op);
	if (rc) {
		free(copy);
		return rc;
	}
	free(t->record);
	t->record = copy;
	t->record_len = len;
	t->busy = 1;
	return 0;
}

/* Starts an operation whose record is op->rec; returns TXN_WAIT, or an
 * error answer (op freed, t left as it was). */
static int txn_op_start(struct txn_op *op, struct txn *t)
{
	if (txn_op_submit(op, t)) {
		txn_op_free(op);
		if (t->is_new)
			txn_table_remove(t);
		return KERR_COORDINATOR_NOT_AVAILABLE;
	}
	return TXN_WAIT;
}

/* Prepares op->rec as a copy of t's state; 0 or SL_ENOMEM. */
static int txn_op_copy(struct txn_op *op, const struct txn *t)
{
	return txn_meta_copy(&op->rec, &t->m);
}

/* ---- ending a transaction ---- */

/* The markers and offsets are durable: write the COMPLETE record. */
static void txn_op_on_markers(void *arg)
{
	struct txn_op *op = arg;
	struct txn *t = txn_table_find(op->id);
	if (!t)
		log_panic("txn: %s vanished while its markers were written", op->id);
	if (txn_op_copy(op, t))
		log_panic("txn: out of memory completing %s", op->id);
	op->rec.state = op->commit ? TXN_COMPLETE_COMMIT : TXN_COMPLETE_ABORT;
	txn_meta_clear_members(&op->rec);
	op->rec.update_ms = log_append_now_ms();
	op->stage = TXN_STAGE_COMPLETE;
	if (txn_op_submit(op, t)) {
		/* the outcome is durable in the partitions; the log failed, so
		 * the id stays busy and a restart writes the markers again */
		log_error("txn: %s: cannot log the end of its transaction", op->id);
		txn_op_reply(op, KERR_NONE, t->m.producer_id, t->m.epoch);
	}
}

/* Writes the markers of t's prepared transaction. */
static void txn_op_write_markers(struct txn_op *op, struct txn *t)
{
	op->stage = TXN_STAGE_MARKERS;
	t->ending = 1;
	if (txn_markers_write(tc.base, &t->m, op->commit, txn_op_on_markers, op))
		log_panic("txn: out of memory writing the markers of %s", op->id);
}

/* ---- the log's answer ---- */

/* A record of op is durable (err 0) or was not written. */
static void txn_op_on_logged(void *arg, int err)
{
	struct txn_op *op = arg;
	if (!tc.started) {
		txn_op_reply(op, KERR_COORDINATOR_NOT_AVAILABLE, -1, -1);
		txn_op_free(op);
		return;
	}
	struct txn *t = txn_table_find(op->id);
	if (!t)
		log_panic("txn: %s vanished while its record was written", op->id);
	if (err) {
		t->busy = t->ending = 0;
		if (t->is_new)
			txn_table_remove(t);
		txn_op_reply(op, KERR_COORDINATOR_NOT_AVAILABLE, -1, -1);
		txn_op_free(op);
		return;
	}
	int64_t old_pid = t->m.producer_id;
	txn_count_open(t->m.state, op->rec.state);
	txn_meta_free(&t->m);
	t->m = op->rec;
	memset(&op->rec, 0, sizeof op->rec);
	t->is_new = 0;
	txn_table_reindex(t, old_pid);
	if (t->m.state == TXN_DEAD) {
		log_info("txn: %s expired", t->m.id);
		txn_table_remove(t);
		txn_op_free(op);
		txn_maybe_compact();
		return;
	}
	if (op->stage == TXN_STAGE_FIRST &&
	    (t->m.state == TXN_PREPARE_COMMIT || t->m.state == TXN_PREPARE_ABORT)) {
		if (op->kind == TXN_OP_FENCE)
			txn_op_reply(op, KERR_CONCURRENT_TRANSACTIONS, -1, -1);
		txn_op_write_markers(op, t);
		txn_maybe_compact();
		return;
	}
	if (op->stage == TXN_STAGE_COMPLETE) {
		if (op->commit)
			TXN_COUNT(txn_commits, 1);
		else
			TXN_COUNT(txn_aborts, 1);
	}
	t->busy = t->ending = 0;
	txn_op_reply(op, KERR_NONE, t->m.producer_id, t->m.epoch);
	txn_op_free(op);
	txn_maybe_compact();
}

/* ---- compaction ---- */

/* The rewrite is done (or failed: the old journal stays). */
static void txn_on_rewritten(void *arg, int err)
{
	tc.rewriting = 0;
	if (!err) {
		tc.rewrites++;
		log_info("txn: journal rewritten (%llu bytes)",
			 (unsigned long long)txn_log_bytes(tc.log));
	}
}

void txn_set_compact_bytes(uint64_t bytes)
{
	tc.compact_bytes = bytes;
}

/* Replaces the log by one record per id when it has grown enough. */
static void txn_maybe_compact(void)
{
	if (tc.rewriting || !tc.log)
		return;
	size_t live = 0, n = txn_table_count();
	for (size_t i = 0; i < n; i++)
		live += txn_table_at(i)->record_len;
	uint64_t floor = tc.compact_bytes ? tc.compact_bytes : TXN_COMPACT_MIN_BYTES;
	uint64_t limit = 4 * (uint64_t)live > floor ? 4 * (uint64_t)live : floor;
	if (txn_log_bytes(tc.log) < limit)
		return;
	uint8_t *image = malloc(live ? live : 1), *p = image;
	if (!image)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct txn *t = txn_table_at(i);
		memcpy(p, t->record, t->record_len);
		p += t->record_len;
	}
	if (txn_log_rewrite(tc.log, image, live, txn_on_rewritten, NULL) == 0)
		tc.rewriting = 1;
}

/* ---- requests ---- */

int txn_available(void)
{
	return tc.started && !txn_log_failed(tc.log);
}

int txn_init_producer_id(const char *id, int32_t timeout_ms,
			 int64_t expected_pid, int16_t expected_epoch,
			 int64_t *producer_id, int16_t *epoch, txn_reply_fn fn,
			 void *arg)
{
	if (!txn_available())
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (timeout_ms <= 0 || timeout_ms > broker.cfg->transaction_max_timeout_ms)
		return KERR_INVALID_TRANSACTION_TIMEOUT;
	struct txn *t = txn_table_find(id);
	if (!t) {
		int64_t pid;
		if (producer_ids_next(&pid) || !(t = txn_table_add(id)))
			return KERR_COORDINATOR_NOT_AVAILABLE;
		t->is_new = 1;
		t->m.producer_id = pid;
		txn_table_reindex(t, -1);
		t->m.timeout_ms = timeout_ms;
		t->m.state = TXN_EMPTY;
	}
	if (t->busy)
		return KERR_CONCURRENT_TRANSACTIONS;
	/* Kafka's isValidProducerId */
	if (expected_pid != -1 && t->m.epoch != -1 && expected_pid != t->m.producer_id &&
	    !(expected_pid == t->m.last_producer_id && txn_epoch_exhausted(expected_epoch)))
		return KERR_PRODUCER_FENCED;
	if (t->m.state == TXN_PREPARE_COMMIT || t->m.state == TXN_PREPARE_ABORT)
		return KERR_CONCURRENT_TRANSACTIONS;
	int64_t now = log_append_now_ms();
	enum txn_op_kind kind =
		t->m.state == TXN_ONGOING ? TXN_OP_FENCE : TXN_OP_INIT;
	struct txn_op *op = txn_op_new(t, kind, fn, arg);
	if (!op || txn_op_copy(op, t)) {
		if (op)
			txn_op_free(op);
		return KERR_COORDINATOR_NOT_AVAILABLE;
	}
	struct txn_meta *r = &op->rec;
	r->update_ms = now;
	if (kind == TXN_OP_FENCE) {
		/* abort the open transaction with a new epoch; the producer
		 * retries and gets yet another one once it is aborted */
		r->state = TXN_PREPARE_ABORT;
		r->epoch = txn_bumped(t->m.epoch);
		r->last_epoch = -1;
		op->commit = 0;
		return txn_op_start(op, t);
	}
	if (txn_epoch_exhausted(t->m.epoch) &&
	    (expected_pid == -1 || expected_epoch == t->m.epoch)) {
		int64_t pid;
		if (producer_ids_next(&pid)) {
			txn_op_free(op);
			return KERR_COORDINATOR_NOT_AVAILABLE;
		}
		r->last_producer_id = t->m.producer_id;
		r->last_epoch = expected_pid == -1 ? -1 : t->m.epoch;
		r->producer_id = pid;
		r->epoch = 0;
	} else if (expected_pid == -1) {
		r->epoch = (int16_t)(t->m.epoch + 1);
		r->last_epoch = -1;
	} else if (t->m.epoch == -1 || expected_epoch == t->m.epoch) {
		r->epoch = (int16_t)(t->m.epoch + 1);
		r->last_epoch = t->m.epoch;
	} else if (expected_epoch != t->m.last_epoch) {
		txn_op_free(op);
		return KERR_PRODUCER_FENCED;
	} /* else a retry of a bump that was done: the epochs stay */
	r->state = TXN_EMPTY;
	r->timeout_ms = timeout_ms;
	r->start_ms = -1;
	txn_meta_clear_members(r);
	*producer_id = r->producer_id;
	*epoch = r->epoch;
	return txn_op_start(op, t);
}

/* The checks EndTxn and AddPartitionsToTxn share; 0 or an error. */
static int txn_check_caller(const struct txn *t, int64_t producer_id, int16_t epoch)
{
	if (!t || t->m.producer_id != producer_id)
		return KERR_INVALID_PRODUCER_ID_MAPPING;
	if (t->m.epoch != epoch)
		return KERR_PRODUCER_FENCED;
	if (t->busy)
		return KERR_CONCURRENT_TRANSACTIONS;
	return 0;
}

int txn_add(const char *id, int64_t producer_id, int16_t epoch,
	    const struct txn_add_part *parts, size_t n, const char *group,
	    txn_reply_fn fn, void *arg)
{
	if (!txn_available())
		return KERR_COORDINATOR_NOT_AVAILABLE;
	struct txn *t = txn_table_find(id);
	int err = txn_check_caller(t, producer_id, epoch);
	if (err)
		return err;
	if (t->m.state == TXN_PREPARE_COMMIT || t->m.state == TXN_PREPARE_ABORT)
		return KERR_CONCURRENT_TRANSACTIONS;
	if (t->m.state == TXN_ONGOING) {
		int all = !group || txn_meta_has_group(&t->m, group);
		for (size_t i = 0; i < n && all; i++)
			all = txn_meta_has_stream(&t->m, parts[i].stream_id);
		if (all)
			return KERR_NONE;
	}
	struct txn_op *op = txn_op_new(t, TXN_OP_ADD, fn, arg);
	if (!op || txn_op_copy(op, t)) {
		if (op)
			txn_op_free(op);
		return KERR_COORDINATOR_NOT_AVAILABLE;
	}
	struct txn_meta *r = &op->rec;
	int64_t now = log_append_now_ms();
	if (r->state != TXN_ONGOING) {
		/* a new transaction */
		txn_meta_clear_members(r);
		r->start_ms = now;
	}
	r->state = TXN_ONGOING;
	r->update_ms = now;
	int rc = group ? txn_meta_add_group(r, group) : 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = txn_meta_add_partition(r, parts[i].stream_id, parts[i].partition,
					    parts[i].topic);
	if (rc) {
		txn_op_free(op);
		return KERR_COORDINATOR_NOT_AVAILABLE;
	}
	return txn_op_start(op, t);
}

int txn_verify(const char *id, int64_t producer_id, int16_t epoch,
	       uint64_t stream_id)
{
	const struct txn *t = txn_table_find(id);
	if (!t || t->m.producer_id != producer_id)
		return KERR_INVALID_PRODUCER_ID_MAPPING;
	if (t->m.epoch != epoch)
		return KERR_PRODUCER_FENCED;
	if (t->m.state != TXN_ONGOING || t->ending ||
	    !txn_meta_has_stream(&t->m, stream_id))
		return KERR_INVALID_TXN_STATE;
	return 0;
}

int txn_end(const char *id, int64_t producer_id, int16_t epoch, int commit,
	    txn_reply_fn fn, void *arg)
{
	if (!txn_available())
		return KERR_COORDINATOR_NOT_AVAILABLE;
	struct txn *t = txn_table_find(id);
	int err = txn_check_caller(t, producer_id, epoch);
	if (err)
		return err;
	switch (t->m.state) {
	case TXN_ONGOING:
		break;
	case TXN_COMPLETE_COMMIT:
		return commit ? KERR_NONE : KERR_INVALID_TXN_STATE;
	case TXN_COMPLETE_ABORT:
		return commit ? KERR_INVALID_TXN_STATE : KERR_NONE;
	case TXN_PREPARE_COMMIT:
		return commit ? KERR_CONCURRENT_TRANSACTIONS : KERR_INVALID_TXN_STATE;
	case TXN_PREPARE_ABORT:
		return commit ? KERR_INVALID_TXN_STATE : KERR_CONCURRENT_TRANSACTIONS;
	default:
		return KERR_INVALID_TXN_STATE;
	}
	struct txn_op *op = txn_op_new(t, TXN_OP_END, fn, arg);
	if (!op || txn_op_copy(op, t)) {
		if (op)
			txn_op_free(op);
		return KERR_COORDINATOR_NOT_AVAILABLE;
	}
	op->commit = commit;
	op->rec.state = commit ? TXN_PREPARE_COMMIT : TXN_PREPARE_ABORT;
	op->rec.update_ms = log_append_now_ms();
	int rc = txn_op_start(op, t);
	if (rc == TXN_WAIT)
		t->ending = 1;
	return rc;
}

int txn_check_produce(int64_t producer_id, int16_t epoch, uint64_t stream_id)
{
	const struct txn *t = txn_table_by_producer(producer_id);
	if (t && epoch < t->m.epoch)
		return KERR_INVALID_PRODUCER_EPOCH;
	if (!t || epoch != t->m.epoch || t->m.state != TXN_ONGOING || t->ending ||
	    !txn_meta_has_stream(&t->m, stream_id))
		return KERR_INVALID_TXN_STATE;
	return 0;
}

int txn_check_offsets(const char *id, int64_t producer_id, int16_t epoch,
		      const char *group)
{
	const struct txn *t = txn_table_find(id);
	if (!t || t->m.producer_id != producer_id)
		return KERR_INVALID_PRODUCER_ID_MAPPING;
	if (epoch != t->m.epoch)
		return KERR_INVALID_PRODUCER_EPOCH;
	if (t->m.state != TXN_ONGOING || t->ending || !txn_meta_has_group(&t->m, group))
		return KERR_INVALID_TXN_STATE;
	return 0;
}

size_t txn_count(void)
{
	return txn_table_count();
}

const struct txn_meta *txn_at(size_t i)
{
	const struct txn *t = txn_table_at(i);
	return t ? &t->m : NULL;
}

const struct txn_meta *txn_find(const char *id)
{
	const struct txn *t = txn_table_find(id);
	return t ? &t->m : NULL;
}

/* ---- timeouts and expiry ---- */

/* Starts aborting t's open transaction past its timeout, fencing its
 * producer with a new epoch. */
static void txn_timeout(struct txn *t, int64_t now)
{
	struct txn_op *op = txn_op_new(t, TXN_OP_TIMEOUT, NULL, NULL);
	if (!op || txn_op_copy(op, t)) {
		if (op)
			txn_op_free(op);
		return; /* the next scan tries again */
	}
	op->rec.state = TXN_PREPARE_ABORT;
	op->rec.epoch = txn_bumped(t->m.epoch);
	op->rec.last_epoch = -1;
	op->rec.update_ms = now;
	log_info("txn: %s: transaction open for %lld ms, past its timeout of %d ms: aborting",
		 t->m.id, (long long)(now - t->m.start_ms), t->m.timeout_ms);
	if (txn_op_start(op, t) == TXN_WAIT) {
		t->ending = 1;
		TXN_COUNT(txn_timeouts, 1);
	}
}

/* Starts forgetting an idle id. */
static void txn_expire(struct txn *t, int64_t now)
{
	struct txn_op *op = txn_op_new(t, TXN_OP_EXPIRE, NULL, NULL);
	if (!op || txn_op_copy(op, t)) {
		if (op)
			txn_op_free(op);
		return;
	}
	op->rec.state = TXN_DEAD;
	op->rec.update_ms = now;
	txn_op_start(op, t);
}

void txn_scan(void)
{
	if (!txn_available())
		return;
	int64_t now = log_append_now_ms();
	int64_t expire = broker.cfg->transactional_id_expiration_ms;
	for (size_t i = 0; i < txn_table_count(); i++) {
		struct txn *t = txn_table_at(i);
		if (t->busy)
			continue;
		if (t->m.state == TXN_ONGOING && now - t->m.start_ms >= t->m.timeout_ms)
			txn_timeout(t, now);
		else if ((t->m.state == TXN_EMPTY || t->m.state == TXN_COMPLETE_COMMIT ||
			  t->m.state == TXN_COMPLETE_ABORT) &&
			 now - t->m.update_ms >= expire)
			txn_expire(t, now);
	}
}

/* libevent: time for the scan. */
static void txn_on_timer(evutil_socket_t fd, short what, void *arg)
{
	txn_scan();
	int64_t ms = broker.cfg->transaction_abort_timed_out_transaction_cleanup_interval_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(tc.timer, &tv);
}

/* ---- start and stop ---- */

/* Replays one record of the log into the table. */
static int txn_replay(void *arg, uint16_t type, const uint8_t *body, size_t len)
{
	if (type != TXN_RECORD_STATE)
		return -1;
	struct txn_meta m;
	if (txn_record_decode(body, len, &m))
		return -1;
	struct txn *t = txn_table_find(m.id);
	if (m.state == TXN_DEAD) {
		if (t)
			txn_table_remove(t);
		txn_meta_free(&m);
		return 0;
	}
	if (!t && !(t = txn_table_add(m.id))) {
		txn_meta_free(&m);
		return -1;
	}
	int64_t old_pid = t->m.producer_id;
	txn_meta_free(&t->m);
	t->m = m;
	txn_table_reindex(t, old_pid);
	return 0;
}

/* Finishes, after a restart, what a crash left prepared; keeps the
 * compaction records of every id. */
static int txn_recover(void)
{
	for (size_t i = 0; i < txn_table_count(); i++) {
		struct txn *t = txn_table_at(i);
		if (txn_record_encode(&t->m, &t->record, &t->record_len))
			return SL_ENOMEM;
		txn_count_open(TXN_EMPTY, t->m.state);
		if (t->m.state != TXN_PREPARE_COMMIT && t->m.state != TXN_PREPARE_ABORT)
			continue;
		struct txn_op *op = txn_op_new(t, TXN_OP_RECOVER, NULL, NULL);
		if (!op)
			return SL_ENOMEM;
		op->commit = t->m.state == TXN_PREPARE_COMMIT;
		log_info("txn: %s: finishing its prepared %s after a restart", t->m.id,
			 op->commit ? "commit" : "abort");
		t->busy = 1;
		txn_op_write_markers(op, t);
	}
	return 0;
}

int txn_start(struct event_base *base, const char *dir)
{
	memset(&tc, 0, sizeof tc);
	tc.base = base;
	int rc = producer_ids_start(broker.generation);
	if (rc) {
		log_error("txn: generation %llu is past what producer ids can hold",
			  (unsigned long long)broker.generation);
		return rc;
	}
	rc = txn_log_open(dir, txn_replay, NULL, &tc.log);
	if (!rc)
		rc = txn_log_start(tc.log, base);
	if (rc) {
		txn_finish();
		return rc;
	}
	tc.timer = evtimer_new(base, txn_on_timer, NULL);
	if (!tc.timer) {
		txn_finish();
		return SL_ENOMEM;
	}
	producer_snapshot_set_log(tc.log);
	tc.started = 1;
	rc = txn_recover();
	if (rc) {
		txn_finish();
		return rc;
	}
	log_info("txn: %zu transactional ids, %lld transactions open",
		 txn_table_count(), (long long)tc.open);
	struct timeval tv = {0, 0};
	evtimer_add(tc.timer, &tv);
	return 0;
}

void txn_finish(void)
{
	tc.started = 0;
	producer_snapshot_set_log(NULL);
	txn_markers_cancel_all();
	/* completions still queued answer their requests and free their
	 * operations (tc.started is 0) */
	txn_log_close(tc.log);
	tc.log = NULL;
	while (tc.ops) {
		txn_op_reply(tc.ops, KERR_COORDINATOR_NOT_AVAILABLE, -1, -1);
		txn_op_free(tc.ops);
	}
	if (tc.timer)
		event_free(tc.timer);
	txn_table_clear();
	if (broker.counters)
		COUNTER_SET(txn_open, 0);
	memset(&tc, 0, sizeof tc);
}
