/*
 * Ending a transaction where its data is: a COMMIT or ABORT marker
 * (control_batch.h) appended through the normal WAL path to every
 * partition of the transaction, and a TXN_END record in the offset store
 * for every group whose offsets it carries (TxnOffsetCommit's offsets
 * become committed, or are dropped).  The caller hears back once all of it
 * is durable.  Markers are idempotent for readers and for the producer
 * state, so recovery simply writes them again for a transaction whose
 * PREPARE record is durable and whose COMPLETE record is not.
 *
 * A full WAL (or a failing offset store) is retried on a timer until it
 * works: the decision is durable, only its delivery waits.
 *
 * Threading: event loop only.
 */
#ifndef SLUICE_TXN_MARKERS_H
#define SLUICE_TXN_MARKERS_H

#include <stdint.h>

struct event_base;
struct txn_meta;

/* Starts writing m's markers (commit or abort, with m's producer id and
 * epoch); done(arg) runs once they and the offset records are durable.
 * Returns 0 or SL_ENOMEM (done is not called). */
int txn_markers_write(struct event_base *base, const struct txn_meta *m,
		      int commit, void (*done)(void *arg), void *arg);

/* Shutdown: jobs still running never call done; their memory goes once
 * nothing can call back into them. */
void txn_markers_cancel_all(void);

#endif
