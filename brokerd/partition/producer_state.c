/*
 * Producer state of a partition (see producer_state.h): the sequence and
 * epoch checks, applying appended batches and markers, and the open and
 * aborted transaction lists.  Entries live in an array sorted by producer
 * id (lookups are binary searches; a new producer costs a memmove, which
 * is rare next to batches).
 *
 * Ownership: the state owns its arrays.  Threading: event loop only.
 * Durable: nothing here; producer_snapshot.c writes it out.
 */
#include "brokerd/partition/producer_state.h"

#include <stdlib.h>
#include <string.h>

#include "brokerd/partition/control_batch.h"
#include "common/bytes.h"
#include "common/errors.h"
#include "common/record_batch.h"

/* Kafka's DefaultRecordBatch.incrementSequence: sequences wrap to 0 after
 * INT32_MAX. */
static int32_t producer_seq_add(int32_t seq, int32_t n)
{
	if (seq > INT32_MAX - n)
		return n - (INT32_MAX - seq) - 1;
	return seq + n;
}

/* Whether next directly follows last. */
static int producer_seq_follows(int32_t last, int32_t next)
{
	return (int64_t)next == (int64_t)last + 1 || (next == 0 && last == INT32_MAX);
}

void producer_batch_desc_read(const uint8_t *p, struct producer_batch_desc *d)
{
	uint16_t attr = be16_get(p + RB_OFF_ATTRIBUTES);
	int32_t delta = (int32_t)be32_get(p + RB_OFF_LAST_OFFSET_DELTA);
	d->producer_id = (int64_t)be64_get(p + RB_OFF_PRODUCER_ID);
	d->epoch = (int16_t)be16_get(p + RB_OFF_PRODUCER_EPOCH);
	d->first_seq = (int32_t)be32_get(p + RB_OFF_BASE_SEQUENCE);
	d->last_seq = d->first_seq == PRODUCER_NO_SEQUENCE
			      ? PRODUCER_NO_SEQUENCE
			      : producer_seq_add(d->first_seq, delta);
	d->base_offset = (int64_t)be64_get(p + RB_OFF_BASE_OFFSET);
	d->last_offset = d->base_offset + delta;
	d->transactional = (attr & RB_ATTR_TRANSACTIONAL) != 0;
	d->control = (attr & RB_ATTR_CONTROL) != 0;
}

/* Index of producer_id in s, or where it would go (*found says which). */
static size_t producer_state_index(const struct producer_state *s,
				   int64_t producer_id, int *found)
{
	size_t lo = 0, hi = s ? s->count : 0;
	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t id = s->entries[mid].producer_id;
		if (id == producer_id) {
			*found = 1;
			return mid;
		}
		if (id < producer_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct producer_entry *producer_state_find(const struct producer_state *s,
						 int64_t producer_id)
{
	int found;
	size_t i = producer_state_index(s, producer_id, &found);
	return found ? &s->entries[i] : NULL;
}

/* The entry for producer_id, inserted empty when missing; NULL when out
 * of memory. */
static struct producer_entry *producer_state_get(struct producer_state *s,
						 int64_t producer_id)
{
	int found;
	size_t i = producer_state_index(s, producer_id, &found);
	if (found)
		return &s->entries[i];
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		struct producer_entry *e = realloc(s->entries, cap * sizeof *e);
		if (!e)
			return NULL;
		s->entries = e;
		s->cap = cap;
	}
	memmove(&s->entries[i + 1], &s->entries[i],
		(s->count - i) * sizeof s->entries[0]);
	s->count++;
	struct producer_entry *e = &s->entries[i];
	memset(e, 0, sizeof *e);
	e->producer_id = producer_id;
	e->epoch = PRODUCER_NO_EPOCH;
	e->txn_first_offset = -1;
	return e;
}

/* Creates *statep when missing; NULL when out of memory. */
static struct producer_state *producer_state_ensure(struct producer_state **statep)
{
	if (!*statep)
		*statep = calloc(1, sizeof **statep);
	return *statep;
}

/* Grows an array of n elements of size sz to hold one more. */
static int producer_array_grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 4;
	void *a = realloc(*arr, c * sz);
	if (!a)
		return SL_ENOMEM;
	*arr = a;
	*cap = c;
	return 0;
}

/* Adds a batch to an entry, dropping the oldest beyond the kept number. */
static void producer_entry_add_batch(struct producer_entry *e,
				     const struct producer_batch *b)
{
	if (e->count == PRODUCER_BATCHES_KEPT) {
		memmove(&e->batches[0], &e->batches[1],
			(PRODUCER_BATCHES_KEPT - 1) * sizeof e->batches[0]);
		e->count--;
	}
	e->batches[e->count++] = *b;
}

/* Moves an entry to a new epoch: the batches of the old one are no
 * reference for sequences any more. */
static void producer_entry_set_epoch(struct producer_entry *e, int16_t epoch)
{
	if (e->epoch != epoch)
		e->count = 0;
	e->epoch = epoch;
}

/* ---- checks ---- */

void producer_check_init(struct producer_check *c, const struct producer_state *state)
{
	c->state = state;
	c->n = 0;
}

/* The working copy for producer_id (made from the state on first use), or
 * NULL when the request carries too many producers. */
static struct producer_entry *producer_check_work(struct producer_check *c,
						  int64_t producer_id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->work[i].producer_id == producer_id)
			return &c->work[i];
	if (c->n == PRODUCER_CHECK_MAX)
		return NULL;
	struct producer_entry *w = &c->work[c->n++];
	const struct producer_entry *e = producer_state_find(c->state, producer_id);
	if (e) {
		*w = *e;
	} else {
		memset(w, 0, sizeof *w);
		w->producer_id = producer_id;
		w->epoch = PRODUCER_NO_EPOCH;
		w->txn_first_offset = -1;
	}
	return w;
}

/* Kafka's findDuplicateBatch: a kept batch of the same epoch with the same
 * sequence range. */
static const struct producer_batch *producer_find_duplicate(
	const struct producer_entry *e, const struct producer_batch_desc *d)
{
	if (!e || e->epoch != d->epoch)
		return NULL;
	for (int i = 0; i < e->count; i++)
		if (e->batches[i].first_seq == d->first_seq &&
		    e->batches[i].last_seq == d->last_seq)
			return &e->batches[i];
	return NULL;
}

int producer_check_batch(struct producer_check *c,
			 const struct producer_batch_desc *d,
			 struct producer_batch *dup, const char **why)
{
	if (d->producer_id < 0) {
		if (d->transactional) {
			*why = "a transactional batch without a producer id";
			return KERR_INVALID_RECORD;
		}
		return 0;
	}
	const struct producer_batch *prev =
		producer_find_duplicate(producer_state_find(c->state, d->producer_id), d);
	if (prev) {
		*dup = *prev;
		return PRODUCER_CHECK_DUPLICATE;
	}
	struct producer_entry *w = producer_check_work(c, d->producer_id);
	if (!w) {
		*why = "too many producer ids in one partition's records";
		return KERR_INVALID_RECORD;
	}
	if (d->epoch < w->epoch) {
		*why = "the producer epoch is older than the last one seen";
		return KERR_INVALID_PRODUCER_EPOCH;
	}
	if (d->epoch != w->epoch) {
		if (d->first_seq != 0 && w->epoch != PRODUCER_NO_EPOCH) {
			*why = "a new producer epoch must start at sequence 0";
			return KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
		}
	} else {
		int32_t last = w->count ? w->batches[w->count - 1].last_seq
					: PRODUCER_NO_SEQUENCE;
		if (!producer_seq_follows(last, d->first_seq)) {
			*why = "the sequence number does not follow the last one written";
			return KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
		}
	}
	if (w->txn_first_offset >= 0 && !d->transactional) {
		*why = "a non-transactional batch from a producer with an open transaction";
		return KERR_INVALID_TXN_STATE;
	}
	producer_entry_set_epoch(w, d->epoch);
	struct producer_batch b = {d->first_seq, d->last_seq, 0, 0, 0};
	producer_entry_add_batch(w, &b);
	if (d->transactional && w->txn_first_offset < 0)
		w->txn_first_offset = 0; /* any offset: "open" is what counts */
	return 0;
}

/* ---- applying appended batches ---- */

/* Adds an open transaction (first offsets arrive in increasing order). */
static int producer_state_open_txn(struct producer_state *s, int64_t producer_id,
				   int64_t first_offset)
{
	if (producer_array_grow((void **)&s->open, &s->open_cap, s->open_count,
				sizeof *s->open))
		return SL_ENOMEM;
	size_t i = s->open_count;
	while (i > 0 && s->open[i - 1].first_offset > first_offset)
		i--; /* a snapshot may list entries in id order */
	memmove(&s->open[i + 1], &s->open[i], (s->open_count - i) * sizeof s->open[0]);
	s->open[i] = (struct open_txn){producer_id, first_offset};
	s->open_count++;
	return 0;
}

/* Removes the producer's open transaction. */
static void producer_state_close_txn(struct producer_state *s, int64_t producer_id)
{
	for (size_t i = 0; i < s->open_count; i++) {
		if (s->open[i].producer_id != producer_id)
			continue;
		memmove(&s->open[i], &s->open[i + 1],
			(s->open_count - i - 1) * sizeof s->open[0]);
		s->open_count--;
		return;
	}
}

int producer_state_put_aborted(struct producer_state **statep,
			       const struct aborted_txn *a)
{
	struct producer_state *s = producer_state_ensure(statep);
	if (!s || producer_array_grow((void **)&s->aborted, &s->aborted_cap,
				      s->aborted_count, sizeof *s->aborted))
		return SL_ENOMEM;
	s->aborted[s->aborted_count++] = *a;
	return 0;
}

/* Applies a transaction marker at offset. */
static int producer_state_apply_marker(struct producer_state *s,
				       struct producer_entry *e, int type,
				       int16_t epoch, int64_t offset)
{
	if (epoch > e->epoch)
		producer_entry_set_epoch(e, epoch);
	if (e->txn_first_offset < 0)
		return 0; /* nothing of this transaction was written here */
	if (type == CONTROL_TYPE_ABORT) {
		struct aborted_txn a = {e->producer_id, e->txn_first_offset, offset};
		if (producer_state_put_aborted(&s, &a))
			return SL_ENOMEM;
	}
	producer_state_close_txn(s, e->producer_id);
	e->txn_first_offset = -1;
	return 0;
}

int producer_state_apply(struct producer_state **statep, const uint8_t *batch,
			 size_t len, uint64_t wal_end, int64_t now_ms)
{
	struct producer_batch_desc d;
	producer_batch_desc_read(batch, &d);
	if (d.producer_id < 0)
		return 0;
	int type = -1;
	if (d.control) {
		type = control_batch_type(batch, len);
		if (type < 0)
			return 0; /* not a transaction marker */
	}
	struct producer_state *s = producer_state_ensure(statep);
	if (!s)
		return SL_ENOMEM;
	/* room first, so that nothing changes when memory runs out */
	if (producer_array_grow((void **)&s->open, &s->open_cap, s->open_count,
				sizeof *s->open) ||
	    producer_array_grow((void **)&s->aborted, &s->aborted_cap,
				s->aborted_count, sizeof *s->aborted))
		return SL_ENOMEM;
	struct producer_entry *e = producer_state_get(s, d.producer_id);
	if (!e)
		return SL_ENOMEM;
	e->last_ms = now_ms;
	if (d.control)
		return producer_state_apply_marker(s, e, type, d.epoch, d.base_offset);
	producer_entry_set_epoch(e, d.epoch);
	struct producer_batch b = {d.first_seq, d.last_seq, d.base_offset,
				   d.last_offset, wal_end};
	producer_entry_add_batch(e, &b);
	if (d.transactional && e->txn_first_offset < 0) {
		e->txn_first_offset = d.base_offset;
		return producer_state_open_txn(s, d.producer_id, d.base_offset);
	}
	return 0;
}

int producer_state_put(struct producer_state **statep,
		       const struct producer_entry *e)
{
	struct producer_state *s = producer_state_ensure(statep);
	if (!s)
		return SL_ENOMEM;
	struct producer_entry *n = producer_state_get(s, e->producer_id);
	if (!n)
		return SL_ENOMEM;
	if (n->txn_first_offset >= 0)
		producer_state_close_txn(s, n->producer_id);
	*n = *e;
	if (e->txn_first_offset >= 0 &&
	    producer_state_open_txn(s, e->producer_id, e->txn_first_offset)) {
		n->txn_first_offset = -1;
		return SL_ENOMEM;
	}
	return 0;
}

/* ---- queries and upkeep ---- */

int64_t producer_state_first_open(const struct producer_state *s)
{
	return s && s->open_count ? s->open[0].first_offset : INT64_MAX;
}

size_t producer_state_aborted_from(const struct producer_state *s, int64_t offset)
{
	size_t lo = 0, hi = s ? s->aborted_count : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->aborted[mid].last_offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t producer_state_expire(struct producer_state *s, int64_t cutoff_ms,
			     int64_t log_start)
{
	if (!s)
		return 0;
	size_t kept = 0, gone = 0;
	for (size_t i = 0; i < s->count; i++) {
		const struct producer_entry *e = &s->entries[i];
		if (e->txn_first_offset < 0 && e->last_ms < cutoff_ms) {
			gone++;
			continue;
		}
		s->entries[kept++] = *e;
	}
	s->count = kept;
	size_t k = producer_state_aborted_from(s, log_start);
	if (k) {
		memmove(s->aborted, s->aborted + k,
			(s->aborted_count - k) * sizeof *s->aborted);
		s->aborted_count -= k;
	}
	return gone;
}

void producer_state_free(struct producer_state *s)
{
	if (!s)
		return;
	free(s->entries);
	free(s->aborted);
	free(s->open);
	free(s);
}
