/*
 * A durable append-only journal file written by a thread of its own: the
 * machinery the transaction log and the committed-offsets store share.
 * What the bytes mean (framing, records, snapshots) is the caller's.
 *
 * Open creates or opens dir/name (a new file is made durable in the
 * directory) and replay walks its frames through the caller's check and
 * apply, cutting a torn tail.  Once started, jobs run on the I/O thread in
 * the order they were queued:
 *   - appends: every run of consecutive appends goes out with one pwritev
 *     and one fdatasync (group commit: whatever was queued while a sync ran
 *     goes out in the next);
 *   - exclusive jobs (journal_writer_run): a function run alone on the
 *     thread, after everything queued before it and before anything queued
 *     after it, that may replace the journal or write other files.
 * Each job's done callback runs on the event loop, in queue order, woken
 * through an eventfd, so the loop never waits for the disk.
 *
 * A failed append or sync is sticky (the kernel may have dropped the
 * pages): the thread writes no more appends and the loop refuses new ones;
 * a restart replays what is durable.
 *
 * Jobs are the caller's memory (struct journal_job embedded in its own
 * request, like a libuv request): the writer links them while queued and
 * hands each back through its done callback, after which the caller may
 * free it.
 *
 * Threading: every function is called on the event-loop thread, but for
 * those marked "I/O thread", which only an exclusive job's function calls.
 */
#ifndef SLUICE_JOURNAL_WRITER_H
#define SLUICE_JOURNAL_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct event_base;
struct journal_writer;
struct journal_job;

/* Runs on the I/O thread with the journal to itself; returns 0 or an
 * error (SL_*) handed to done. */
typedef int (*journal_job_run_fn)(struct journal_writer *w,
				  struct journal_job *job);

/* Called on the loop once the job is done (err 0, or what the write or the
 * run function returned); the job is the caller's again. */
typedef void (*journal_job_done_fn)(struct journal_job *job, int err);

struct journal_job {
	/* set by journal_writer_append or journal_writer_run */
	const uint8_t *data;     /* an append's bytes, not copied */
	size_t len;
	journal_job_run_fn run;  /* an exclusive job's function; NULL: append */
	journal_job_done_fn done;
	/* the writer's */
	struct journal_job *next;
	int err;
	uint64_t journal_end;    /* journal bytes once this job is done */
	uint64_t syncs;          /* append rounds synced once it is done */
};

/* What a frame at the replay position is. */
enum journal_frame {
	JOURNAL_FRAME_VALID, /* *used says how long */
	JOURNAL_FRAME_TORN,  /* torn or garbage: the tail is cut from here */
	JOURNAL_FRAME_BAD,   /* checks, yet cannot be understood: refuse */
};

struct journal_replay {
	/* Checks the frame at data (avail bytes left); sets *used when
	 * VALID, *why otherwise.  It must not depend on earlier frames: it
	 * also scans past a torn frame, to tell a torn tail from damage. */
	enum journal_frame (*check)(const uint8_t *data, size_t avail,
				    size_t *used, const char **why);
	/* Applies a VALID frame found at offset off; returns 0, or nonzero
	 * (after logging why) to fail the replay with SL_ECORRUPT. */
	int (*apply)(void *arg, const uint8_t *frame, size_t len, size_t off);
	void *arg;
	size_t min_frame;    /* no frame is shorter (the scan's bound) */
};

/* Opens or creates dir/name and removes a leftover dir/name.tmp; who
 * prefixes log lines ("txn", "offsets").  Returns 0, SL_ENOMEM or SL_EIO
 * (logged). */
int journal_writer_open(const char *dir, const char *name, const char *who,
			struct journal_writer **out);

/* Walks the journal's frames through r, in order, then cuts a torn tail
 * (logged; an error if a valid frame follows the torn one).  Returns 0,
 * SL_ECORRUPT (a BAD frame, or apply refused one) or SL_EIO. */
int journal_writer_replay(struct journal_writer *w,
			  const struct journal_replay *r);

/* The journal's path, for the caller's log lines. */
const char *journal_writer_path(const struct journal_writer *w);

/* Starts the I/O thread and its completion event on base.  Returns 0 or
 * SL_EIO (logged). */
int journal_writer_start(struct journal_writer *w, struct event_base *base);

/* Queues len bytes (not copied: they must stay until done) to be appended
 * and synced.  Returns 0, or SL_EIO when an earlier append failed or the
 * thread is not running (done is then not called). */
int journal_writer_append(struct journal_writer *w, struct journal_job *job,
			  const uint8_t *data, size_t len,
			  journal_job_done_fn done);

/* Queues run to be called alone on the I/O thread, after everything
 * queued before.  Returns 0, or SL_EIO when the thread is not running
 * (done is then not called).  An earlier failed append does not stop it:
 * run asks journal_writer_io_failed when it matters. */
int journal_writer_run(struct journal_writer *w, struct journal_job *job,
		       journal_job_run_fn run, journal_job_done_fn done);

/* I/O thread: whether an append or a journal replacement failed. */
int journal_writer_io_failed(const struct journal_writer *w);

/* I/O thread: replaces the journal by the iov pieces (temp file, fsync,
 * rename, directory fsync); later appends go after them.  Returns 0, or
 * SL_EIO (logged) with the old journal still in place, and sticky when
 * the new one cannot be reopened; SL_EIO at once after a failed append. */
int journal_writer_replace(struct journal_writer *w, const struct iovec *iov,
			   int iovcnt);

/* I/O thread: replaces the journal by its own bytes from offset from on
 * (what a snapshot does not cover).  Returns as journal_writer_replace,
 * or SL_ENOMEM. */
int journal_writer_keep_from(struct journal_writer *w, uint64_t from);

/* I/O thread: writes the iov pieces durably as dir/name (temp file, fsync,
 * rename, directory fsync).  Returns 0 or SL_EIO (logged) or SL_ENOMEM. */
int journal_writer_write_file(struct journal_writer *w, const char *name,
			      const struct iovec *iov, int iovcnt);

/* Whether an append failed: nothing more will be appended. */
int journal_writer_failed(const struct journal_writer *w);

/* Journal bytes once the last delivered job was done (after replay before
 * any). */
uint64_t journal_writer_bytes(const struct journal_writer *w);

/* Append rounds (each one fdatasync) done by the last delivered job. */
uint64_t journal_writer_syncs(const struct journal_writer *w);

/* Lets the thread finish everything queued, stops it, delivers the last
 * completions (their done callbacks run here), and frees the writer
 * (NULL is fine). */
void journal_writer_close(struct journal_writer *w);

#endif
