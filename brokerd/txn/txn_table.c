/*
 * The table of transactional ids (see txn_table.h): two sorted arrays of
 * pointers, by id and by producer id.  Ids come and go rarely (a new
 * producer application, expiry), so inserts pay a memmove and lookups a
 * binary search.
 */
#include "brokerd/txn/txn_table.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static struct {
	struct txn **by_id, **by_pid;
	size_t count, cap;
} tt;

/* Position of id in by_id, or where it goes (*found says which). */
static size_t txn_table_id_at(const char *id, int *found)
{
	size_t lo = 0, hi = tt.count;
	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, tt.by_id[mid]->m.id);
		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* First position among the first n of by_pid with a producer id >= pid. */
static size_t txn_table_pid_at(int64_t pid, size_t n)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tt.by_pid[mid]->m.producer_id < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct txn *txn_table_find(const char *id)
{
	int found;
	size_t i = txn_table_id_at(id, &found);
	return found ? tt.by_id[i] : NULL;
}

struct txn *txn_table_by_producer(int64_t producer_id)
{
	size_t i = txn_table_pid_at(producer_id, tt.count);
	return i < tt.count && tt.by_pid[i]->m.producer_id == producer_id ? tt.by_pid[i]
									 : NULL;
}

/* Inserts t into by_pid (n entries) at its producer id. */
static void txn_table_pid_insert(struct txn *t, size_t n)
{
	size_t i = txn_table_pid_at(t->m.producer_id, n);
	memmove(&tt.by_pid[i + 1], &tt.by_pid[i], (n - i) * sizeof tt.by_pid[0]);
	tt.by_pid[i] = t;
}

/* Removes t from by_pid (n entries). */
static void txn_table_pid_remove(struct txn *t, int64_t pid, size_t n)
{
	for (size_t i = txn_table_pid_at(pid, n); i < n; i++)
		if (tt.by_pid[i] == t) {
			memmove(&tt.by_pid[i], &tt.by_pid[i + 1],
				(n - i - 1) * sizeof tt.by_pid[0]);
			return;
		}
	log_panic("txn: %s missing from the producer id index", t->m.id);
}

struct txn *txn_table_add(const char *id)
{
	if (tt.count == tt.cap) {
		size_t cap = tt.cap ? tt.cap * 2 : 16;
		struct txn **a = realloc(tt.by_id, cap * sizeof *a);
		if (!a)
			return NULL;
		tt.by_id = a;
		struct txn **b = realloc(tt.by_pid, cap * sizeof *b);
		if (!b)
			return NULL;
		tt.by_pid = b;
		tt.cap = cap;
	}
	struct txn *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->m.id = strdup(id);
	if (!t->m.id) {
		free(t);
		return NULL;
	}
	t->m.producer_id = t->m.last_producer_id = -1;
	t->m.epoch = t->m.last_epoch = -1;
	t->m.start_ms = -1;
	int found;
	size_t i = txn_table_id_at(id, &found);
	memmove(&tt.by_id[i + 1], &tt.by_id[i], (tt.count - i) * sizeof tt.by_id[0]);
	tt.by_id[i] = t;
	txn_table_pid_insert(t, tt.count);
	tt.count++;
	return t;
}

void txn_table_reindex(struct txn *t, int64_t old_id)
{
	if (t->m.producer_id == old_id)
		return;
	txn_table_pid_remove(t, old_id, tt.count);
	txn_table_pid_insert(t, tt.count - 1);
}

void txn_table_remove(struct txn *t)
{
	int found;
	size_t i = txn_table_id_at(t->m.id, &found);
	if (!found || tt.by_id[i] != t)
		log_panic("txn: %s missing from the table", t->m.id);
	memmove(&tt.by_id[i], &tt.by_id[i + 1], (tt.count - i - 1) * sizeof tt.by_id[0]);
	txn_table_pid_remove(t, t->m.producer_id, tt.count);
	tt.count--;
	txn_meta_free(&t->m);
	free(t->record);
	free(t);
}

size_t txn_table_count(void)
{
	return tt.count;
}

struct txn *txn_table_at(size_t i)
{
	return i < tt.count ? tt.by_id[i] : NULL;
}

void txn_table_clear(void)
{
	for (size_t i = 0; i < tt.count; i++) {
		txn_meta_free(&tt.by_id[i]->m);
		free(tt.by_id[i]->record);
		free(tt.by_id[i]);
	}
	free(tt.by_id);
	free(tt.by_pid);
	memset(&tt, 0, sizeof tt);
}
