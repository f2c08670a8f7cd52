/*
 * The transaction log: <data.dir>/txn.journal, an append-only file of
 * framed records that the transaction coordinator writes (txn_record.h
 * says what they hold), made durable by a journal writer
 * (brokerd/journal/journal_writer.h), a thread of its own with group
 * commit: whatever was submitted while a sync ran goes out in the next
 * write and fdatasync.  Completions come back to the event loop in
 * submission order, so the loop never waits for the disk.
 *
 * Frame (TXN_LOG_FRAME_BYTES), the layout of the catalog's records with
 * its own magic: magic u32, format version u16, type u16, body length u32,
 * body CRC-32C u32, header CRC-32C u32 (over the 16 bytes before it).
 *
 * Every record the coordinator writes is the whole state of one
 * transactional id, so compaction needs no snapshot file: the journal is
 * replaced (temp file, fsync, rename, directory fsync) by one record per
 * live id.  The same thread also writes whole files for others
 * (txn_log_write_file: the producer state snapshots), in the same order
 * as everything else queued.
 *
 * A failed append or sync is sticky (the kernel may have dropped the
 * pages): every later append fails and a restart replays what is durable.
 *
 * Threading: every function is called on the event-loop thread.
 * Durable: txn.journal.
 */
#ifndef SLUICE_TXN_LOG_H
#define SLUICE_TXN_LOG_H

#include <stddef.h>
#include <stdint.h>

#define TXN_LOG_MAGIC 0x534c5458u /* "SLTX" */
#define TXN_LOG_VERSION 1u
#define TXN_LOG_FRAME_BYTES 20u
#define TXN_LOG_MAX_BODY (16u << 20)

struct event_base;
struct txn_log;

/* Called for every record found at open, in journal order; returns 0, or
 * nonzero when the record checks but cannot be understood (the open
 * fails: better stop than forget a transaction). */
typedef int (*txn_log_replay_fn)(void *arg, uint16_t type,
				 const uint8_t *body, size_t len);

/* Called on the loop once a submitted job is done: err 0, or SL_EIO. */
typedef void (*txn_log_done_fn)(void *arg, int err);

/* Opens or creates dir/txn.journal and replays it through fn.  A torn
 * tail is logged and cut off.  Returns 0, SL_ECORRUPT (logged) or SL_EIO. */
int txn_log_open(const char *dir, txn_log_replay_fn fn, void *arg,
		 struct txn_log **out);

/* Starts the thread and its completion event on base.  Returns 0 or
 * SL_EIO (logged). */
int txn_log_start(struct txn_log *log, struct event_base *base);

/* Frames a record: a new buffer of TXN_LOG_FRAME_BYTES + len bytes in
 * *out.  Returns 0, SL_EINVAL (body too long) or SL_ENOMEM. */
int txn_log_frame(uint16_t type, const uint8_t *body, size_t len,
		  uint8_t **out, size_t *out_len);

/* Queues framed records (taken, freed later) to be appended and synced;
 * done(arg, err) follows on the loop (done may be NULL).  Returns 0, or
 * SL_EIO when an earlier append failed or the thread is not running (the
 * bytes are freed and done is not called). */
int txn_log_append(struct txn_log *log, uint8_t *frames, size_t len,
		   txn_log_done_fn done, void *arg);

/* Queues the replacement of the whole journal by image (framed records,
 * taken): it must hold what every record queued before it says.  A
 * failure keeps the old journal, which stays correct. */
int txn_log_rewrite(struct txn_log *log, uint8_t *image, size_t len,
		    txn_log_done_fn done, void *arg);

/* Queues a durable write of data (taken) as dir/name, by temp file, fsync,
 * rename and directory fsync. */
int txn_log_write_file(struct txn_log *log, const char *name, uint8_t *data,
		       size_t len, txn_log_done_fn done, void *arg);

/* Whether an append failed: nothing more will be made durable. */
int txn_log_failed(const struct txn_log *log);

/* Journal bytes after the last completed job. */
uint64_t txn_log_bytes(const struct txn_log *log);

/* Stops the thread once everything queued is done, delivers the last
 * completions, and frees the log (NULL is fine). */
void txn_log_close(struct txn_log *log);

#endif
