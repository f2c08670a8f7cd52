/*
 * The committed-offsets store (see offset_store.h): replay at open, the
 * I/O thread with group commit, completions on the loop, compaction.
 *
 * Jobs go through two FIFO lists guarded by one mutex: `pending` (queued by
 * the loop, taken by the thread) and `done` (filled by the thread, drained
 * by the loop when the eventfd fires).  An APPEND job carries encoded
 * records; the thread writes every consecutive APPEND job with one pwritev
 * and one fdatasync.  A COMPACT job carries a snapshot's content and the
 * journal offset from which records are newer than the snapshot; the
 * thread runs it alone, after everything queued before it.
 *
 * A failed write or sync is sticky: after a failed fdatasync the kernel
 * may have dropped the pages, so nothing later can be trusted to reach the
 * disk.  Every later job fails, the coordinator answers commits with a
 * retriable error, and a restart replays what is durable.  A failed
 * compaction only costs space: the old snapshot and journal stay valid.
 *
 * Ownership: the store owns its files, thread and jobs; a job's records
 * are freed after delivery.  Threading: the journal fd and its size belong
 * to the thread once it runs; everything else to the loop.  Durable:
 * offsets.journal and offsets.snapshot.
 */
#include "brokerd/groups/offset_store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "common/counters.h"
#include "common/durable_file.h"
#include "common/errors.h"
#include "common/log.h"

#define OFFSET_STORE_COMPACT_BYTES (16u << 20)
/* iovecs per pwritev call (IOV_MAX is 1024 on Linux). */
#define OFFSET_STORE_IOV 256

/* Counters exist only inside brokerd (unit tests may run without). */
#define OFFSET_STORE_COUNT(name, n)                                            \
	do {                                                                   \
		if (broker.counters)                                           \
			COUNTER_ADD(name, n);                                  \
	} while (0)

enum offset_job_kind { OFFSET_JOB_APPEND, OFFSET_JOB_COMPACT };

struct offset_job {
	struct offset_job *next;
	enum offset_job_kind kind;
	struct offset_buf data;  /* records, or the snapshot's content */
	uint64_t keep_from;      /* COMPACT: journal bytes the snapshot covers */
	uint64_t journal_end;    /* set by the thread: journal size after */
	int err;
	offset_store_done_fn done;
	void *arg;
};

struct offset_store {
	struct offset_store_hooks hooks;
	char *journal_path, *journal_tmp, *snapshot_path, *snapshot_tmp;
	int dir_fd;
	int fd;                  /* the journal; the thread's once started */
	uint64_t size;           /* journal bytes; the thread's once started */
	int io_failed;           /* the thread's: a write or sync failed */

	pthread_t thread;
	int thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct offset_job *pending, **pending_tail;
	struct offset_job *done, **done_tail;
	int stop;
	int efd;
	struct event *wake;

	/* the loop's */
	uint64_t next_seq;
	uint64_t applied_seq;    /* last record applied */
	uint64_t journal_end;    /* journal size after the last delivered job */
	uint64_t snapshot_bytes; /* content of the last snapshot */
	uint64_t compact_bytes;
	uint64_t snapshots;
	int compacting;
	int failed;
};

/* ---- paths and files ---- */

/* Returns "dir/name" in a new string, or NULL. */
static char *offset_store_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* ---- replay ---- */

/* Loads the snapshot, if any, through the apply hook; sets *seq to the
 * sequence number it covers (0 without one). */
static int offset_store_load_snapshot(struct offset_store *s, uint64_t *seq)
{
	uint8_t *image;
	size_t len;
	*seq = 0;
	int rc = durable_file_read(s->snapshot_path, &image, &len);
	if (rc == SL_ENOENT)
		return 0;
	if (rc)
		return rc;
	const char *why = offset_snapshot_check(image, len);
	if (why) {
		/* starting without it would lose every group's offsets */
		log_error("offsets: %s: %s; refusing to start without the "
			  "committed offsets (restore it or move it away)",
			  s->snapshot_path, why);
		free(image);
		return SL_ECORRUPT;
	}
	const uint8_t *data = image + OFFSET_SNAPSHOT_HEADER_BYTES;
	len -= OFFSET_SNAPSHOT_HEADER_BYTES;
	s->snapshot_bytes = len;
	size_t off = 0;
	uint32_t groups = 0, expect = 0;
	while (off < len) {
		struct offset_record rec;
		size_t used;
		if (offset_record_parse(data + off, len - off, &rec, &used,
					&why) != OFFSET_RECORD_OK) {
			log_error("offsets: %s: record at offset %zu: %s",
				  s->snapshot_path, off, why);
			rc = SL_ECORRUPT;
			break;
		}
		if ((off == 0) != (rec.type == OFFSET_RECORD_STATE) ||
		    (off && !offset_record_has_offsets(rec.type))) {
			log_error("offsets: %s: unexpected record type %d at offset %zu",
				  s->snapshot_path, rec.type, off);
			rc = SL_ECORRUPT;
			break;
		}
		if (rec.type == OFFSET_RECORD_STATE) {
			*seq = rec.seq;
			expect = rec.group_count;
		} else {
			s->hooks.apply(s->hooks.arg, &rec);
			groups += rec.type == OFFSET_RECORD_COMMIT;
		}
		off += used;
	}
	if (!rc && groups != expect) {
		log_error("offsets: %s: %u groups, the snapshot said %u",
			  s->snapshot_path, groups, expect);
		rc = SL_ECORRUPT;
	}
	free(image);
	return rc;
}

/* Whether a valid record starts anywhere after off: tells a torn tail from
 * damage in the middle of the journal. */
static int offset_store_valid_after(const uint8_t *data, size_t len, size_t off)
{
	for (size_t p = off + 1; p + OFFSET_RECORD_HEADER_BYTES <= len; p++) {
		struct offset_record rec;
		size_t used;
		const char *why;
		if (offset_record_parse(data + p, len - p, &rec, &used, &why) ==
		    OFFSET_RECORD_OK)
			return 1;
	}
	return 0;
}

/* Replays the journal after the snapshot (seq), cutting a torn tail. */
static int offset_store_replay_journal(struct offset_store *s, uint64_t seq)
{
	uint8_t *data;
	size_t len;
	int rc = durable_file_read(s->journal_path, &data, &len);
	if (rc)
		return rc;
	size_t off = 0;
	uint64_t last = seq, replayed = 0;
	while (off < len) {
		struct offset_record rec;
		size_t used;
		const char *why = NULL;
		enum offset_record_status st = offset_record_parse(
			data + off, len - off, &rec, &used, &why);
		if (st == OFFSET_RECORD_OK &&
		    (rec.type == OFFSET_RECORD_STATE ||
		     (rec.seq <= last && rec.seq > seq))) {
			st = OFFSET_RECORD_BAD;
			why = rec.type == OFFSET_RECORD_STATE
				      ? "a snapshot record in the journal"
				      : "sequence number out of order";
		}
		if (st == OFFSET_RECORD_BAD) {
			log_error("offsets: %s: record at offset %zu: %s; "
				  "refusing to guess what it meant",
				  s->journal_path, off, why);
			rc = SL_ECORRUPT;
			break;
		}
		if (st == OFFSET_RECORD_TORN) {
			if (offset_store_valid_after(data, len, off))
				log_error("offsets: %s: record at offset %zu: %s, "
					  "yet a valid record follows: the journal "
					  "is damaged; dropping %zu bytes",
					  s->journal_path, off, why, len - off);
			else
				log_warn("offsets: %s: torn tail at offset %zu: "
					 "%s; dropping %zu bytes",
					 s->journal_path, off, why, len - off);
			if (ftruncate(s->fd, (off_t)off) < 0 ||
			    fdatasync(s->fd) < 0) {
				log_error("offsets: cut %s at %zu: %s",
					  s->journal_path, off, strerror(errno));
				rc = SL_EIO;
			}
			break;
		}
		if (rec.seq > seq) { /* older ones are in the snapshot */
			s->hooks.apply(s->hooks.arg, &rec);
			last = rec.seq;
			replayed++;
		}
		off += used;
	}
	free(data);
	s->size = off;
	s->journal_end = off;
	s->next_seq = last + 1;
	s->applied_seq = last;
	if (!rc)
		log_info("offsets: replayed %llu journal records after snapshot seq %llu",
			 (unsigned long long)replayed, (unsigned long long)seq);
	return rc;
}

/* Opens or creates the journal file; a new one is made durable in the
 * directory. */
static int offset_store_open_journal(struct offset_store *s)
{
	int created = 1;
	s->fd = open(s->journal_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (s->fd < 0 && errno == EEXIST) {
		created = 0;
		s->fd = open(s->journal_path, O_RDWR | O_CLOEXEC);
	}
	if (s->fd < 0) {
		log_error("offsets: open %s: %s", s->journal_path, strerror(errno));
		return SL_EIO;
	}
	if (created && fsync(s->dir_fd) < 0) {
		log_error("offsets: fsync of the directory of %s: %s",
			  s->journal_path, strerror(errno));
		return SL_EIO;
	}
	return 0;
}

int offset_store_open(const char *dir, const struct offset_store_hooks *hooks,
		      struct offset_store **out)
{
	*out = NULL;
	struct offset_store *s = calloc(1, sizeof *s);
	if (!s)
		return SL_ENOMEM;
	s->hooks = *hooks;
	s->fd = s->dir_fd = s->efd = -1;
	s->compact_bytes = OFFSET_STORE_COMPACT_BYTES;
	s->pending_tail = &s->pending;
	s->done_tail = &s->done;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->journal_path = offset_store_path(dir, "offsets.journal");
	s->journal_tmp = offset_store_path(dir, "offsets.journal.tmp");
	s->snapshot_path = offset_store_path(dir, "offsets.snapshot");
	s->snapshot_tmp = offset_store_path(dir, "offsets.snapshot.tmp");
	int rc = SL_ENOMEM;
	if (!s->journal_path || !s->journal_tmp || !s->snapshot_path ||
	    !s->snapshot_tmp)
		goto fail;
	rc = SL_EIO;
	s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0) {
		log_error("offsets: open directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	/* leftovers of a compaction that did not finish */
	unlink(s->snapshot_tmp);
	unlink(s->journal_tmp);
	uint64_t seq;
	rc = offset_store_load_snapshot(s, &seq);
	if (rc)
		goto fail;
	rc = offset_store_open_journal(s);
	if (rc)
		goto fail;
	rc = offset_store_replay_journal(s, seq);
	if (rc)
		goto fail;
	*out = s;
	return 0;
fail:
	offset_store_close(s);
	return rc;
}

/* ---- the I/O thread ---- */

/* Writes the n iov pieces in full at off; returns 0 or -1 with errno set. */
static int offset_store_pwritev_all(int fd, struct iovec *iov, int n, off_t off)
{
	while (n > 0) {
		ssize_t w = pwritev(fd, iov, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += w;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Writes a round of APPEND jobs and syncs once; sets each job's result. */
static void offset_store_write_round(struct offset_store *s,
				     struct offset_job *first)
{
	int err = s->io_failed ? SL_EIO : 0;
	uint64_t start = s->size, off = s->size;
	struct iovec iov[OFFSET_STORE_IOV];
	struct offset_job *job = first;
	while (job && !err) {
		int n = 0;
		uint64_t bytes = 0;
		for (; job && n < OFFSET_STORE_IOV; job = job->next) {
			iov[n].iov_base = job->data.data;
			iov[n].iov_len = job->data.len;
			bytes += job->data.len;
			n++;
		}
		if (offset_store_pwritev_all(s->fd, iov, n, (off_t)off) < 0) {
			log_error("offsets: write %s at %llu: %s", s->journal_path,
				  (unsigned long long)off, strerror(errno));
			err = SL_EIO;
		}
		off += bytes;
	}
	if (!err && fdatasync(s->fd) < 0) {
		log_error("offsets: fdatasync %s: %s", s->journal_path,
			  strerror(errno));
		err = SL_EIO;
	}
	if (err && !s->io_failed) {
		s->io_failed = 1;
		/* leave no partial record for a restart to puzzle over */
		if (ftruncate(s->fd, (off_t)start) < 0)
			log_error("offsets: cut %s back to %llu: %s",
				  s->journal_path, (unsigned long long)start,
				  strerror(errno));
		log_error("offsets: %s failed; refusing further commits until "
			  "brokerd restarts", s->journal_path);
	}
	if (!err)
		s->size = off;
	for (job = first; job; job = job->next) {
		job->err = err;
		job->journal_end = s->size;
	}
}

/* Replaces the journal by a new one holding only its bytes from `from`
 * (the records a snapshot does not cover); returns 0 or SL_EIO (the old
 * journal stays, still correct beside the snapshot). */
static int offset_store_rewrite_journal(struct offset_store *s, uint64_t from)
{
	size_t len = (size_t)(s->size - from), got = 0;
	uint8_t *tail = malloc(len ? len : 1);
	if (!tail)
		return SL_ENOMEM;
	while (got < len) {
		ssize_t r = pread(s->fd, tail + got, len - got, (off_t)(from + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_error("offsets: read %s at %llu: %s", s->journal_path,
				  (unsigned long long)(from + got),
				  r ? strerror(errno) : "end of file");
			free(tail);
			return SL_EIO;
		}
		got += (size_t)r;
	}
	struct iovec v = {tail, len};
	int rc = durable_file_write(s->dir_fd, s->journal_path, s->journal_tmp, &v, 1);
	free(tail);
	if (rc)
		return rc;
	/* the old fd now names an unlinked file: appends must go to the new */
	int fd = open(s->journal_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		log_error("offsets: reopen %s: %s; refusing further commits",
			  s->journal_path, strerror(errno));
		s->io_failed = 1;
		return SL_EIO;
	}
	close(s->fd);
	s->fd = fd;
	s->size = len;
	return 0;
}

/* Writes a snapshot, then starts the journal after what it covers. */
static void offset_store_compact(struct offset_store *s, struct offset_job *job)
{
	job->err = s->io_failed ? SL_EIO : 0;
	if (!job->err) {
		offset_snapshot_seal(job->data.data, job->data.len);
		struct iovec v = {job->data.data, job->data.len};
		job->err = durable_file_write(s->dir_fd, s->snapshot_path,
					      s->snapshot_tmp, &v, 1);
	}
	if (!job->err) /* a failure keeps the old journal: still correct */
		offset_store_rewrite_journal(s, job->keep_from);
	job->journal_end = s->size;
}

/* The thread: rounds until told to stop with nothing left queued. */
static void *offset_store_main(void *arg)
{
	struct offset_store *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->pending && !s->stop)
			pthread_cond_wait(&s->cond, &s->mu);
		if (!s->pending)
			break;
		/* a COMPACT job alone; otherwise every APPEND up to one */
		struct offset_job *first = s->pending, *last = first;
		if (first->kind == OFFSET_JOB_APPEND)
			while (last->next && last->next->kind == OFFSET_JOB_APPEND)
				last = last->next;
		s->pending = last->next;
		if (!s->pending)
			s->pending_tail = &s->pending;
		last->next = NULL;
		pthread_mutex_unlock(&s->mu);

		if (first->kind == OFFSET_JOB_COMPACT)
			offset_store_compact(s, first);
		else
			offset_store_write_round(s, first);

		pthread_mutex_lock(&s->mu);
		*s->done_tail = first;
		s->done_tail = &last->next;
		pthread_mutex_unlock(&s->mu);
		uint64_t one = 1;
		while (write(s->efd, &one, sizeof one) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- the loop side ---- */

/* Queues a job for the thread. */
static void offset_store_queue(struct offset_store *s, struct offset_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&s->mu);
	*s->pending_tail = job;
	s->pending_tail = &job->next;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

/* Applies the records of a durable APPEND job in order. */
static void offset_store_apply_job(struct offset_store *s,
				   const struct offset_job *job)
{
	size_t off = 0;
	while (off < job->data.len) {
		struct offset_record rec;
		size_t used;
		const char *why;
		/* we encoded these bytes ourselves */
		if (offset_record_parse(job->data.data + off, job->data.len - off,
					&rec, &used, &why) != OFFSET_RECORD_OK)
			log_panic("offsets: a record we wrote does not parse: %s", why);
		s->hooks.apply(s->hooks.arg, &rec);
		s->applied_seq = rec.seq;
		off += used;
	}
}

/* Builds a snapshot of what is applied and queues it, when the journal has
 * grown enough. */
static void offset_store_maybe_compact(struct offset_store *s)
{
	uint64_t limit = s->compact_bytes > 2 * s->snapshot_bytes
				 ? s->compact_bytes
				 : 2 * s->snapshot_bytes;
	if (s->compacting || s->failed || !s->thread_started ||
	    s->journal_end < limit)
		return;
	struct offset_job *job = calloc(1, sizeof *job);
	if (!job)
		return;
	job->kind = OFFSET_JOB_COMPACT;
	job->keep_from = s->journal_end;
	/* header room (sealed by the thread), a STATE record whose group
	 * count is filled in once known, then every group's offsets */
	uint32_t groups = 0;
	struct offset_buf *b = &job->data;
	offset_buf_zeros(b, OFFSET_SNAPSHOT_HEADER_BYTES);
	size_t state_at = b->len;
	int rc = offset_record_state(b, s->applied_seq, 0);
	size_t state_len = b->len - state_at;
	if (!rc)
		rc = s->hooks.snapshot(s->hooks.arg, b, s->applied_seq, &groups);
	struct offset_buf state = {0};
	if (!rc)
		rc = offset_record_state(&state, s->applied_seq, groups);
	if (rc) {
		log_warn("offsets: cannot build a snapshot: %s", sl_error_name(rc));
		offset_buf_free(&state);
		offset_buf_free(b);
		free(job);
		return;
	}
	SL_ASSERT(state.len == state_len);
	memcpy(b->data + state_at, state.data, state.len);
	offset_buf_free(&state);
	s->compacting = 1;
	log_info("offsets: journal at %llu bytes: snapshot of %u groups (%zu bytes) as of seq %llu",
		 (unsigned long long)s->journal_end, groups, job->data.len,
		 (unsigned long long)s->applied_seq);
	offset_store_queue(s, job);
}

/* Delivers every completed job in order. */
static void offset_store_deliver(struct offset_store *s)
{
	pthread_mutex_lock(&s->mu);
	struct offset_job *job = s->done;
	s->done = NULL;
	s->done_tail = &s->done;
	pthread_mutex_unlock(&s->mu);
	while (job) {
		struct offset_job *next = job->next;
		s->journal_end = job->journal_end;
		if (job->kind == OFFSET_JOB_COMPACT) {
			s->compacting = 0;
			if (!job->err) {
				s->snapshot_bytes = job->data.len;
				s->snapshots++;
				OFFSET_STORE_COUNT(offset_snapshots, 1);
			}
		} else if (job->err) {
			s->failed = 1;
		} else {
			offset_store_apply_job(s, job);
			OFFSET_STORE_COUNT(offset_journal_bytes, job->data.len);
		}
		if (job->done)
			job->done(job->arg, job->err);
		offset_buf_free(&job->data);
		free(job);
		job = next;
	}
	offset_store_maybe_compact(s);
}

/* libevent: the thread finished a round. */
static void offset_store_on_wake(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;
	while (read(fd, &n, sizeof n) < 0 && errno == EINTR)
		;
	offset_store_deliver(arg);
}

int offset_store_start(struct offset_store *s, struct event_base *base)
{
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		log_error("offsets: eventfd: %s", strerror(errno));
		return SL_EIO;
	}
	s->wake = event_new(base, s->efd, EV_READ | EV_PERSIST,
			    offset_store_on_wake, s);
	if (!s->wake || event_add(s->wake, NULL)) {
		log_error("offsets: cannot register the completion event");
		return SL_EIO;
	}
	int rc = pthread_create(&s->thread, NULL, offset_store_main, s);
	if (rc) {
		log_error("offsets: start I/O thread: %s", strerror(rc));
		return SL_EIO;
	}
	s->thread_started = 1;
	return 0;
}

uint64_t offset_store_next_seq(struct offset_store *s)
{
	return s->next_seq++;
}

int offset_store_submit(struct offset_store *s, struct offset_buf *buf,
			offset_store_done_fn done, void *arg)
{
	if (s->failed || !s->thread_started)
		return SL_EIO;
	struct offset_job *job = calloc(1, sizeof *job);
	if (!job)
		return SL_ENOMEM;
	job->kind = OFFSET_JOB_APPEND;
	job->data = *buf;
	memset(buf, 0, sizeof *buf);
	job->done = done;
	job->arg = arg;
	offset_store_queue(s, job);
	return 0;
}

int offset_store_failed(const struct offset_store *s)
{
	return s->failed;
}

void offset_store_set_compact_bytes(struct offset_store *s, uint64_t bytes)
{
	s->compact_bytes = bytes;
}

uint64_t offset_store_journal_bytes(const struct offset_store *s)
{
	return s->journal_end;
}

uint64_t offset_store_snapshots(const struct offset_store *s)
{
	return s->snapshots;
}

void offset_store_close(struct offset_store *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
		s->thread_started = 0; /* no new compaction from deliver */
		offset_store_deliver(s);
	}
	if (s->wake)
		event_free(s->wake);
	if (s->efd >= 0)
		close(s->efd);
	if (s->fd >= 0)
		close(s->fd);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cond);
	free(s->journal_path);
	free(s->journal_tmp);
	free(s->snapshot_path);
	free(s->snapshot_tmp);
	free(s);
}
