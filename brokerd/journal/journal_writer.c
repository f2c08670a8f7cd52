/*
 * The journal writer (see journal_writer.h): open and replay, the I/O
 * thread with group commit, completions on the loop.
 *
 * Jobs go through two FIFO lists guarded by one mutex: `pending` (queued
 * by the loop, taken by the thread) and `done` (filled by the thread,
 * drained by the loop when the eventfd fires).  The thread takes either
 * every consecutive append at the head of `pending` (one round: one
 * pwritev per 256 pieces, one fdatasync) or one exclusive job, so an
 * exclusive job sees the journal exactly as everything queued before it
 * left it.
 *
 * Ownership: the writer owns its fds, thread and event; jobs and their
 * bytes stay the caller's.  Threading: the journal fd, its size and
 * io_failed belong to the thread once it runs; everything else to the
 * loop but the lists, under the mutex.  Durable: the journal, and the
 * files exclusive jobs write.
 */
#include "brokerd/journal/journal_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "common/durable_file.h"
#include "common/errors.h"
#include "common/log.h"

/* iovecs per pwritev call (IOV_MAX is 1024 on Linux). */
#define JOURNAL_WRITER_IOV 256

struct journal_writer {
	char *who, *dir, *path, *tmp;
	int dir_fd;
	int fd;             /* the journal; the thread's once started */
	uint64_t size;      /* journal bytes; the thread's once started */
	int io_failed;      /* the thread's */
	uint64_t rounds;    /* append rounds synced; the thread's */

	pthread_t thread;
	int thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct journal_job *pending, **pending_tail;
	struct journal_job *done, **done_tail;
	int stop;
	int efd;
	struct event *wake;

	/* the loop's */
	uint64_t journal_end;
	uint64_t syncs;
	int failed;
};

/* Returns "dir/name" in a new string, or NULL. */
static char *journal_writer_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Returns path with ".tmp" after it in a new string, or NULL. */
static char *journal_writer_tmp_name(const char *path)
{
	size_t n = strlen(path) + sizeof ".tmp";
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s.tmp", path);
	return p;
}

int journal_writer_open(const char *dir, const char *name, const char *who,
			struct journal_writer **out)
{
	*out = NULL;
	struct journal_writer *w = calloc(1, sizeof *w);
	if (!w)
		return SL_ENOMEM;
	w->fd = w->dir_fd = w->efd = -1;
	w->pending_tail = &w->pending;
	w->done_tail = &w->done;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->who = strdup(who);
	w->dir = strdup(dir);
	w->path = journal_writer_join(dir, name);
	w->tmp = w->path ? journal_writer_tmp_name(w->path) : NULL;
	int rc = SL_ENOMEM;
	if (!w->who || !w->dir || !w->path || !w->tmp)
		goto fail;
	rc = SL_EIO;
	w->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dir_fd < 0) {
		log_error("%s: open directory %s: %s", who, dir, strerror(errno));
		goto fail;
	}
	unlink(w->tmp); /* a replacement that did not finish */
	int created = 1;
	w->fd = open(w->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (w->fd < 0 && errno == EEXIST) {
		created = 0;
		w->fd = open(w->path, O_RDWR | O_CLOEXEC);
	}
	if (w->fd < 0) {
		log_error("%s: open %s: %s", who, w->path, strerror(errno));
		goto fail;
	}
	if (created && fsync(w->dir_fd) < 0) {
		log_error("%s: fsync of directory %s: %s", who, dir, strerror(errno));
		goto fail;
	}
	struct stat st;
	if (fstat(w->fd, &st) < 0) {
		log_error("%s: stat %s: %s", who, w->path, strerror(errno));
		goto fail;
	}
	w->size = w->journal_end = (uint64_t)st.st_size;
	*out = w;
	return 0;
fail:
	journal_writer_close(w);
	return rc;
}

/* ---- replay ---- */

/* Whether a valid frame starts anywhere after off: tells a torn tail from
 * damage in the middle of the journal. */
static int journal_writer_valid_after(const struct journal_replay *r,
				      const uint8_t *data, size_t len, size_t off)
{
	for (size_t p = off + 1; p + r->min_frame <= len; p++) {
		size_t used;
		const char *why;
		if (r->check(data + p, len - p, &used, &why) == JOURNAL_FRAME_VALID)
			return 1;
	}
	return 0;
}

/* Cuts the journal at off, durably. */
static int journal_writer_cut(struct journal_writer *w, size_t off)
{
	if (ftruncate(w->fd, (off_t)off) < 0 || fdatasync(w->fd) < 0) {
		log_error("%s: cut %s at %zu: %s", w->who, w->path, off,
			  strerror(errno));
		return SL_EIO;
	}
	return 0;
}

int journal_writer_replay(struct journal_writer *w,
			  const struct journal_replay *r)
{
	uint8_t *data;
	size_t len;
	int rc = durable_file_read(w->path, &data, &len);
	if (rc)
		return rc;
	size_t off = 0;
	while (off < len) {
		size_t used = 0;
		const char *why = NULL;
		enum journal_frame f = r->check(data + off, len - off, &used, &why);
		if (f == JOURNAL_FRAME_BAD) {
			log_error("%s: %s: record at offset %zu: %s; refusing to "
				  "guess what it meant", w->who, w->path, off, why);
			rc = SL_ECORRUPT;
			break;
		}
		if (f == JOURNAL_FRAME_TORN) {
			if (journal_writer_valid_after(r, data, len, off))
				log_error("%s: %s: record at offset %zu: %s, yet a "
					  "valid record follows: the journal is "
					  "damaged; dropping %zu bytes",
					  w->who, w->path, off, why, len - off);
			else
				log_warn("%s: %s: torn tail at offset %zu: %s; "
					 "dropping %zu bytes", w->who, w->path,
					 off, why, len - off);
			rc = journal_writer_cut(w, off);
			break;
		}
		if (r->apply(r->arg, data + off, used, off)) {
			rc = SL_ECORRUPT;
			break;
		}
		off += used;
	}
	free(data);
	w->size = w->journal_end = off;
	return rc;
}

const char *journal_writer_path(const struct journal_writer *w)
{
	return w->path;
}

/* ---- the I/O thread ---- */

/* Writes the n iov pieces in full at off; returns 0 or -1 with errno set. */
static int journal_writer_pwritev_all(int fd, struct iovec *iov, int n, off_t off)
{
	while (n > 0) {
		ssize_t wr = pwritev(fd, iov, n, off);
		if (wr < 0 && errno == EINTR)
			continue;
		if (wr < 0)
			return -1;
		off += wr;
		while (n > 0 && (size_t)wr >= iov->iov_len) {
			wr -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + wr;
			iov->iov_len -= (size_t)wr;
		}
	}
	return 0;
}

/* Writes a round of appends and syncs once; sets each job's result. */
static void journal_writer_round(struct journal_writer *w,
				 struct journal_job *first)
{
	int err = w->io_failed ? SL_EIO : 0;
	uint64_t start = w->size, off = w->size;
	struct iovec iov[JOURNAL_WRITER_IOV];
	struct journal_job *job = first;
	while (job && !err) {
		int n = 0;
		uint64_t bytes = 0;
		for (; job && n < JOURNAL_WRITER_IOV; job = job->next) {
			iov[n].iov_base = (void *)job->data;
			iov[n].iov_len = job->len;
			bytes += job->len;
			n++;
		}
		if (journal_writer_pwritev_all(w->fd, iov, n, (off_t)off) < 0) {
			log_error("%s: write %s at %llu: %s", w->who, w->path,
				  (unsigned long long)off, strerror(errno));
			err = SL_EIO;
		}
		off += bytes;
	}
	if (!err && fdatasync(w->fd) < 0) {
		log_error("%s: fdatasync %s: %s", w->who, w->path, strerror(errno));
		err = SL_EIO;
	}
	if (err && !w->io_failed) {
		w->io_failed = 1;
		/* leave no partial record for a restart to puzzle over */
		if (ftruncate(w->fd, (off_t)start) < 0)
			log_error("%s: cut %s back to %llu: %s", w->who, w->path,
				  (unsigned long long)start, strerror(errno));
		log_error("%s: %s failed; refusing further appends until "
			  "brokerd restarts", w->who, w->path);
	}
	if (!err)
		w->rounds++;
	/* each job ends where its own bytes do, so a caller acting on one
	 * completion never counts bytes of a job it has not seen yet */
	for (job = first; job; job = job->next) {
		job->err = err;
		if (!err)
			w->size += job->len;
		job->journal_end = w->size;
		job->syncs = w->rounds;
	}
}

int journal_writer_io_failed(const struct journal_writer *w)
{
	return w->io_failed;
}

int journal_writer_replace(struct journal_writer *w, const struct iovec *iov,
			   int iovcnt)
{
	if (w->io_failed)
		return SL_EIO;
	int rc = durable_file_write(w->dir_fd, w->path, w->tmp, iov, iovcnt);
	if (rc)
		return rc;
	/* the old fd now names an unlinked file: appends go to the new */
	int fd = open(w->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		log_error("%s: reopen %s: %s; refusing further appends", w->who,
			  w->path, strerror(errno));
		w->io_failed = 1;
		return SL_EIO;
	}
	close(w->fd);
	w->fd = fd;
	w->size = 0;
	for (int i = 0; i < iovcnt; i++)
		w->size += iov[i].iov_len;
	return 0;
}

int journal_writer_keep_from(struct journal_writer *w, uint64_t from)
{
	if (w->io_failed)
		return SL_EIO;
	SL_ASSERT(from <= w->size);
	size_t len = (size_t)(w->size - from), got = 0;
	uint8_t *tail = malloc(len ? len : 1);
	if (!tail)
		return SL_ENOMEM;
	while (got < len) {
		ssize_t r = pread(w->fd, tail + got, len - got, (off_t)(from + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_error("%s: read %s at %llu: %s", w->who, w->path,
				  (unsigned long long)(from + got),
				  r ? strerror(errno) : "end of file");
			free(tail);
			return SL_EIO;
		}
		got += (size_t)r;
	}
	struct iovec v = {tail, len};
	int rc = journal_writer_replace(w, &v, 1);
	free(tail);
	return rc;
}

int journal_writer_write_file(struct journal_writer *w, const char *name,
			      const struct iovec *iov, int iovcnt)
{
	char *path = journal_writer_join(w->dir, name);
	char *tmp = path ? journal_writer_tmp_name(path) : NULL;
	int rc = SL_ENOMEM;
	if (path && tmp)
		rc = durable_file_write(w->dir_fd, path, tmp, iov, iovcnt);
	free(path);
	free(tmp);
	return rc;
}

/* The thread: rounds until told to stop with nothing left queued. */
static void *journal_writer_main(void *arg)
{
	struct journal_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->pending && !w->stop)
			pthread_cond_wait(&w->cond, &w->mu);
		if (!w->pending)
			break;
		/* an exclusive job alone; otherwise every append up to one */
		struct journal_job *first = w->pending, *last = first;
		if (!first->run)
			while (last->next && !last->next->run)
				last = last->next;
		w->pending = last->next;
		if (!w->pending)
			w->pending_tail = &w->pending;
		last->next = NULL;
		pthread_mutex_unlock(&w->mu);

		if (first->run) {
			first->err = first->run(w, first);
			first->journal_end = w->size;
			first->syncs = w->rounds;
		} else {
			journal_writer_round(w, first);
		}

		pthread_mutex_lock(&w->mu);
		*w->done_tail = first;
		w->done_tail = &last->next;
		pthread_mutex_unlock(&w->mu);
		uint64_t one = 1;
		while (write(w->efd, &one, sizeof one) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* ---- the loop side ---- */

/* Hands every completed job back in order. */
static void journal_writer_deliver(struct journal_writer *w)
{
	pthread_mutex_lock(&w->mu);
	struct journal_job *job = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->mu);
	while (job) {
		struct journal_job *next = job->next; /* done may free job */
		w->journal_end = job->journal_end;
		w->syncs = job->syncs;
		if (!job->run && job->err)
			w->failed = 1;
		if (job->done)
			job->done(job, job->err);
		job = next;
	}
}

/* libevent: the thread finished a round. */
static void journal_writer_on_wake(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;
	(void)what;
	while (read(fd, &n, sizeof n) < 0 && errno == EINTR)
		;
	journal_writer_deliver(arg);
}

int journal_writer_start(struct journal_writer *w, struct event_base *base)
{
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0) {
		log_error("%s: eventfd: %s", w->who, strerror(errno));
		return SL_EIO;
	}
	w->wake = event_new(base, w->efd, EV_READ | EV_PERSIST,
			    journal_writer_on_wake, w);
	if (!w->wake || event_add(w->wake, NULL)) {
		log_error("%s: cannot register the completion event", w->who);
		return SL_EIO;
	}
	int rc = pthread_create(&w->thread, NULL, journal_writer_main, w);
	if (rc) {
		log_error("%s: start I/O thread: %s", w->who, strerror(rc));
		return SL_EIO;
	}
	w->thread_started = 1;
	return 0;
}

/* Queues a job for the thread. */
static void journal_writer_queue(struct journal_writer *w,
				 struct journal_job *job)
{
	job->next = NULL;
	job->err = 0;
	pthread_mutex_lock(&w->mu);
	*w->pending_tail = job;
	w->pending_tail = &job->next;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

int journal_writer_append(struct journal_writer *w, struct journal_job *job,
			  const uint8_t *data, size_t len,
			  journal_job_done_fn done)
{
	if (!w->thread_started || w->failed)
		return SL_EIO;
	job->data = data;
	job->len = len;
	job->run = NULL;
	job->done = done;
	journal_writer_queue(w, job);
	return 0;
}

int journal_writer_run(struct journal_writer *w, struct journal_job *job,
		       journal_job_run_fn run, journal_job_done_fn done)
{
	SL_ASSERT(run);
	if (!w->thread_started)
		return SL_EIO;
	job->data = NULL;
	job->len = 0;
	job->run = run;
	job->done = done;
	journal_writer_queue(w, job);
	return 0;
}

int journal_writer_failed(const struct journal_writer *w)
{
	return w->failed;
}

uint64_t journal_writer_bytes(const struct journal_writer *w)
{
	return w->journal_end;
}

uint64_t journal_writer_syncs(const struct journal_writer *w)
{
	return w->syncs;
}

void journal_writer_close(struct journal_writer *w)
{
	if (!w)
		return;
	if (w->thread_started) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		/* done callbacks below can queue nothing more */
		w->thread_started = 0;
		journal_writer_deliver(w);
	}
	if (w->wake)
		event_free(w->wake);
	if (w->efd >= 0)
		close(w->efd);
	if (w->fd >= 0)
		close(w->fd);
	if (w->dir_fd >= 0)
		close(w->dir_fd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cond);
	free(w->who);
	free(w->dir);
	free(w->path);
	free(w->tmp);
	free(w);
}
