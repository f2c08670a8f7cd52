/*
 * ListTransactions v0-v1: the transactional ids this coordinator knows,
 * in id order, filtered by state names (unknown names are echoed in
 * UnknownStateFilters and match nothing), by producer id, and (v1) by
 * DurationFilter: only transactions that started longer ago than that
 * many milliseconds (Kafka's rule, which lets ids without a transaction,
 * whose start is -1, pass too).
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/groups/group_args.h"
#include "brokerd/partition/log_append.h"
#include "brokerd/server/request.h"
#include "brokerd/txn/txn_coordinator.h"
#include "brokerd/txn/txn_record.h"
#include "common/errors.h"

/* Filters one request may name; more is malformed. */
#define LIST_TRANSACTIONS_FILTERS_MAX 1000

struct list_transactions_filter {
	struct kslice states[LIST_TRANSACTIONS_FILTERS_MAX];
	int32_t state_count;
	int known_states[TXN_DEAD + 1];
	int64_t pids[LIST_TRANSACTIONS_FILTERS_MAX];
	int32_t pid_count;
	int64_t duration_ms;
};

/* Whether a transaction passes the filters. */
static int list_transactions_match(const struct list_transactions_filter *f,
				   const struct txn_meta *m, int64_t now)
{
	if (f->state_count && !f->known_states[m->state])
		return 0;
	if (f->pid_count) {
		int found = 0;
		for (int32_t i = 0; i < f->pid_count && !found; i++)
			found = f->pids[i] == m->producer_id;
		if (!found)
			return 0;
	}
	if (f->duration_ms >= 0 && now - m->start_ms <= f->duration_ms)
		return 0;
	return 1;
}

int handle_list_transactions(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	struct list_transactions_filter *f = calloc(1, sizeof *f);
	if (!f)
		return REQ_MALFORMED;
	f->state_count = kr_array(r, LIST_TRANSACTIONS_FILTERS_MAX, 1); /* StateFilters */
	for (int32_t i = 0; i < f->state_count && !kreader_failed(r); i++)
		f->states[i] = kr_string(r);
	f->pid_count = kr_array(r, LIST_TRANSACTIONS_FILTERS_MAX, 8); /* ProducerIdFilters */
	for (int32_t i = 0; i < f->pid_count && !kreader_failed(r); i++)
		f->pids[i] = kr_i64(r);
	f->duration_ms = -1;
	if (req->api_version >= 1)
		f->duration_ms = kr_i64(r);                /* DurationFilter */
	kr_tags(r);
	if (kreader_failed(r) || f->state_count < 0 || f->pid_count < 0) {
		free(f);
		return REQ_MALFORMED;
	}
	int32_t unknown = 0;
	for (int32_t i = 0; i < f->state_count; i++) {
		int s = txn_state_parse((const char *)f->states[i].p, (size_t)f->states[i].len);
		if (s < 0 || s == TXN_DEAD)
			unknown++;
		else
			f->known_states[s] = 1;
	}
	kw_i32(w, 0);                                      /* ThrottleTimeMs */
	kw_i16(w, txn_available() ? KERR_NONE : KERR_COORDINATOR_NOT_AVAILABLE); /* ErrorCode */
	kw_array(w, unknown);                              /* UnknownStateFilters */
	for (int32_t i = 0; i < f->state_count; i++) {
		int s = txn_state_parse((const char *)f->states[i].p, (size_t)f->states[i].len);
		if (s < 0 || s == TXN_DEAD)
			kw_string_len(w, f->states[i].p, f->states[i].len);
	}
	int64_t now = log_append_now_ms();
	size_t n = txn_available() ? txn_count() : 0;
	int32_t matches = 0;
	for (size_t i = 0; i < n; i++)
		matches += list_transactions_match(f, txn_at(i), now);
	kw_array(w, matches);                              /* TransactionStates */
	for (size_t i = 0; i < n; i++) {
		const struct txn_meta *m = txn_at(i);
		if (!list_transactions_match(f, m, now))
			continue;
		kw_string(w, m->id);                       /* TransactionalId */
		kw_i64(w, m->producer_id);                 /* ProducerId */
		kw_string(w, txn_state_name(m->state));    /* TransactionState */
		kw_tags(w);
	}
	kw_tags(w);
	free(f);
	return REQ_DONE;
}
