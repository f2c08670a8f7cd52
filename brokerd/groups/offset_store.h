/*
 * The durable store of committed offsets: <dir>/offsets.journal, an
 * append-only file of offset records (offset_record.h), and
 * <dir>/offsets.snapshot, the whole state as of some record.
 *
 * The store holds no offsets itself: the coordinator keeps them in memory
 * and the store calls its apply hook for every record that is durable, in
 * journal order, at open (replay) and as appends complete; it calls the
 * snapshot hook to have the coordinator write everything it holds.
 *
 * Appends are written and fdatasync'ed by the thread of the store's
 * journal writer (brokerd/journal/journal_writer.h) with group commit: whatever was submitted while a sync ran goes out in the
 * next write and sync.  Completions come back to the event loop through an
 * eventfd, in submission order: for each batch the store applies its
 * records, then calls its done callback.  So the loop never waits for the
 * disk, and what the coordinator holds is always exactly what is durable.
 *
 * When the journal has grown past offset_store_set_compact_bytes (16 MiB by
 * default) and twice the last snapshot, the loop has the coordinator write
 * a snapshot (as of the last applied record), and the thread writes it by
 * temp file, fsync, rename and directory fsync, then starts a new journal
 * holding only the records the snapshot does not cover (temp file, copy,
 * fsync, rename, directory fsync).  A crash at any point leaves a snapshot
 * and a journal whose sequence numbers say what to replay.
 *
 * Threading: everything here is called on the event-loop thread.
 */
#ifndef SLUICE_OFFSET_STORE_H
#define SLUICE_OFFSET_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd/groups/offset_record.h"

struct event_base;
struct offset_store;

struct offset_store_hooks {
	/* Applies one durable COMMIT, DELETE, GROUP_DELETE, TXN_COMMIT or
	 * TXN_END record. */
	void (*apply)(void *arg, const struct offset_record *rec);
	/* Appends one COMMIT record (sequence number seq) per group holding
	 * offsets to buf and counts them in *groups, then one TXN_COMMIT per
	 * group and producer with offsets pending (not counted).  Returns 0 or SL_ENOMEM
	 * (the snapshot is then skipped). */
	int (*snapshot)(void *arg, struct offset_buf *buf, uint64_t seq,
			uint32_t *groups);
	void *arg;
};

/* Called on the loop once a submitted batch is durable and applied (err
 * 0), or could not be written (SL_EIO; nothing was applied). */
typedef void (*offset_store_done_fn)(void *arg, int err);

/* Opens or creates the store under dir and replays it through
 * hooks->apply.  A torn journal tail is logged and cut off.  Returns 0, or
 * SL_ECORRUPT (a snapshot or record that checks but does not decode,
 * logged) or SL_EIO. */
int offset_store_open(const char *dir, const struct offset_store_hooks *hooks,
		      struct offset_store **out);

/* Starts the I/O thread and its completion event on base.  Returns 0 or
 * SL_EIO (logged). */
int offset_store_start(struct offset_store *s, struct event_base *base);

/* The sequence number for the next record; records must be submitted in
 * the order of their sequence numbers. */
uint64_t offset_store_next_seq(struct offset_store *s);

/* Queues the records in buf (taken; buf is left empty) to be made durable;
 * done(arg, err) is called later on the loop.  Returns 0, or SL_EIO when
 * an earlier write failed (the store refuses everything after a failed
 * sync) and SL_ENOMEM; done is not called then. */
int offset_store_submit(struct offset_store *s, struct offset_buf *buf,
			offset_store_done_fn done, void *arg);

/* Whether a write failed: nothing more will be made durable. */
int offset_store_failed(const struct offset_store *s);

/* Compacts once the journal passes bytes (and twice the last snapshot). */
void offset_store_set_compact_bytes(struct offset_store *s, uint64_t bytes);

/* Journal size after the last completed write, and snapshots written since
 * open (for tests and counters). */
uint64_t offset_store_journal_bytes(const struct offset_store *s);
uint64_t offset_store_snapshots(const struct offset_store *s);

/* Stops the thread once everything queued is written, delivers the last
 * completions, and frees the store (NULL is fine). */
void offset_store_close(struct offset_store *s);

#endif
