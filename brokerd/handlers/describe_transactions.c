/*
 * DescribeTransactions v0: the state of each transactional id named, as
 * the transaction log holds it (TRANSACTIONAL_ID_NOT_FOUND for an unknown
 * one).  Groups a transaction commits offsets for appear as partition 0
 * of topic __consumer_offsets: this broker keeps every group's offsets in
 * one store, where Kafka has a partition per group hash.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/groups/group_args.h"
#include "brokerd/server/request.h"
#include "brokerd/txn/txn_coordinator.h"
#include "brokerd/txn/txn_record.h"
#include "common/errors.h"

/* Writes one transaction's Topics: its partitions grouped by topic, in
 * the order they were added, then its groups' offsets topic. */
static void describe_transactions_topics(struct kwriter *w, const struct txn_meta *m)
{
	int32_t topics = m->group_count ? 1 : 0;
	for (size_t i = 0; i < m->part_count; i++) {
		size_t k = 0;
		while (k < i && strcmp(m->parts[k].topic, m->parts[i].topic))
			k++;
		topics += k == i;
	}
	kw_array(w, topics);
	for (size_t i = 0; i < m->part_count; i++) {
		size_t k = 0;
		while (k < i && strcmp(m->parts[k].topic, m->parts[i].topic))
			k++;
		if (k < i)
			continue; /* written with the topic's first partition */
		int32_t n = 0;
		for (size_t j = i; j < m->part_count; j++)
			n += !strcmp(m->parts[j].topic, m->parts[i].topic);
		kw_string(w, m->parts[i].topic);           /* Topic */
		kw_array(w, n);                            /* Partitions */
		for (size_t j = i; j < m->part_count; j++)
			if (!strcmp(m->parts[j].topic, m->parts[i].topic))
				kw_i32(w, m->parts[j].partition);
		kw_tags(w);
	}
	if (m->group_count) {
		kw_string(w, "__consumer_offsets");
		kw_array(w, 1);
		kw_i32(w, 0);
		kw_tags(w);
	}
}

int handle_describe_transactions(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int32_t n = kr_array(r, GROUP_ARGS_MAX, 1);        /* TransactionalIds */
	if (n < 0)
		kreader_fail(r);
	kw_i32(w, 0);                                      /* ThrottleTimeMs */
	kw_array(w, n > 0 ? n : 0);                        /* TransactionStates */
	for (int32_t i = 0; i < n && !kreader_failed(r); i++) {
		struct kslice s = kr_string(r);
		if (kreader_failed(r))
			break;
		int bad = 0;
		char *id = group_args_str(s, &bad);
		const struct txn_meta *m = bad ? NULL : txn_find(id);
		free(id);
		int16_t err = !txn_available() ? KERR_COORDINATOR_NOT_AVAILABLE
			      : m		 ? KERR_NONE
						 : KERR_TRANSACTIONAL_ID_NOT_FOUND;
		if (err)
			m = NULL;
		kw_i16(w, err);                            /* ErrorCode */
		kw_string_len(w, s.p, s.len);              /* TransactionalId */
		kw_string(w, m ? txn_state_name(m->state) : ""); /* TransactionState */
		kw_i32(w, m ? m->timeout_ms : 0);          /* TransactionTimeoutMs */
		kw_i64(w, m ? m->start_ms : -1);           /* TransactionStartTimeMs */
		kw_i64(w, m ? m->producer_id : -1);        /* ProducerId */
		kw_i16(w, m ? m->epoch : -1);              /* ProducerEpoch */
		if (m)
			describe_transactions_topics(w, m); /* Topics */
		else
			kw_array(w, 0);
		kw_tags(w);
	}
	kr_tags(r);
	kw_tags(w);
	return kreader_failed(r) ? REQ_MALFORMED : REQ_DONE;
}
