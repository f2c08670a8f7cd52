/*
 * The transaction log (see txn_log.h): replay at open, the I/O thread with
 * group commit, completions on the loop.
 *
 * Jobs go through two FIFO lists guarded by one mutex: `pending` (queued
 * by the loop, taken by the thread) and `done` (filled by the thread,
 * drained by the loop when the eventfd fires).  The thread writes every
 * consecutive APPEND job with one pwritev and one fdatasync; a REWRITE or
 * FILE job runs alone, after everything queued before it.
 *
 * Ownership: the log owns its files, thread and jobs; a job's bytes are
 * freed after delivery.  Threading: the journal fd and size belong to the
 * thread once it runs; everything else to the loop.  Durable: txn.journal
 * and the files written for others.
 */
#include "brokerd/txn/txn_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/uio.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "common/bytes.h"
#include "common/counters.h"
#include "common/crc32c.h"
#include "common/durable_file.h"
#include "common/errors.h"
#include "common/log.h"

/* iovecs per pwritev call (IOV_MAX is 1024 on Linux). */
#define TXN_LOG_IOV 256

enum txn_job_kind { TXN_JOB_APPEND, TXN_JOB_REWRITE, TXN_JOB_FILE };

struct txn_job {
	struct txn_job *next;
	enum txn_job_kind kind;
	uint8_t *data;
	size_t len;
	char *path, *tmp;       /* FILE */
	int err;
	uint64_t journal_end;   /* set by the thread */
	txn_log_done_fn done;
	void *arg;
};

struct txn_log {
	txn_log_replay_fn replay;
	void *replay_arg;
	char *dir, *journal_path, *journal_tmp;
	int dir_fd;
	int fd;             /* the journal; the thread's once started */
	uint64_t size;      /* journal bytes; the thread's once started */
	int io_failed;      /* the thread's */

	pthread_t thread;
	int thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct txn_job *pending, **pending_tail;
	struct txn_job *done, **done_tail;
	int stop;
	int efd;
	struct event *wake;

	/* the loop's */
	uint64_t journal_end;
	int failed;
};

/* Returns "dir/name" in a new string, or NULL. */
static char *txn_log_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int txn_log_frame(uint16_t type, const uint8_t *body, size_t len,
		  uint8_t **out, size_t *out_len)
{
	if (len > TXN_LOG_MAX_BODY)
		return SL_EINVAL;
	uint8_t *f = malloc(TXN_LOG_FRAME_BYTES + len);
	if (!f)
		return SL_ENOMEM;
	be32_put(f, TXN_LOG_MAGIC);
	be16_put(f + 4, TXN_LOG_VERSION);
	be16_put(f + 6, type);
	be32_put(f + 8, (uint32_t)len);
	if (len)
		memcpy(f + TXN_LOG_FRAME_BYTES, body, len);
	be32_put(f + 12, crc32c(f + TXN_LOG_FRAME_BYTES, len));
	be32_put(f + 16, crc32c(f, 16));
	*out = f;
	*out_len = TXN_LOG_FRAME_BYTES + len;
	return 0;
}

/* ---- replay ---- */

/* What a frame at data looks like: 1 valid (*used set), 0 torn or
 * garbage, -1 a valid header that promises something we cannot read. */
static int txn_log_frame_check(const uint8_t *data, size_t avail, size_t *used,
			       const char **why)
{
	if (avail < TXN_LOG_FRAME_BYTES) {
		*why = "short header";
		return 0;
	}
	if (be32_get(data) != TXN_LOG_MAGIC || be32_get(data + 16) != crc32c(data, 16)) {
		*why = "bad magic or header CRC";
		return 0;
	}
	uint32_t body_len = be32_get(data + 8);
	if (be16_get(data + 4) != TXN_LOG_VERSION || body_len > TXN_LOG_MAX_BODY) {
		*why = "unsupported format version or body length";
		return -1;
	}
	if (body_len > avail - TXN_LOG_FRAME_BYTES) {
		*why = "body runs past the end";
		return 0;
	}
	if (be32_get(data + 12) != crc32c(data + TXN_LOG_FRAME_BYTES, body_len)) {
		*why = "bad body CRC";
		return 0;
	}
	*used = TXN_LOG_FRAME_BYTES + body_len;
	return 1;
}

/* Whether a valid frame starts anywhere after off: tells a torn tail from
 * damage in the middle of the journal. */
static int txn_log_valid_after(const uint8_t *data, size_t len, size_t off)
{
	for (size_t p = off + 1; p + TXN_LOG_FRAME_BYTES <= len; p++) {
		size_t used;
		const char *why;
		if (txn_log_frame_check(data + p, len - p, &used, &why) == 1)
			return 1;
	}
	return 0;
}

/* Replays the journal, cutting a torn tail. */
static int txn_log_replay(struct txn_log *log)
{
	uint8_t *data;
	size_t len;
	int rc = durable_file_read(log->journal_path, &data, &len);
	if (rc)
		return rc;
	size_t off = 0, records = 0;
	while (off < len) {
		size_t used;
		const char *why = NULL;
		int c = txn_log_frame_check(data + off, len - off, &used, &why);
		if (c < 0) {
			log_error("txn: %s: record at offset %zu: %s; refusing to "
				  "guess what it meant", log->journal_path, off, why);
			rc = SL_ECORRUPT;
			break;
		}
		if (c == 0) {
			if (txn_log_valid_after(data, len, off))
				log_error("txn: %s: record at offset %zu: %s, yet a "
					  "valid record follows: the journal is "
					  "damaged; dropping %zu bytes",
					  log->journal_path, off, why, len - off);
			else
				log_warn("txn: %s: torn tail at offset %zu: %s; "
					 "dropping %zu bytes", log->journal_path,
					 off, why, len - off);
			if (ftruncate(log->fd, (off_t)off) < 0 || fdatasync(log->fd) < 0) {
				log_error("txn: cut %s at %zu: %s", log->journal_path,
					  off, strerror(errno));
				rc = SL_EIO;
			}
			break;
		}
		if (log->replay(log->replay_arg, be16_get(data + off + 6),
				data + off + TXN_LOG_FRAME_BYTES,
				used - TXN_LOG_FRAME_BYTES)) {
			log_error("txn: %s: record at offset %zu does not decode; "
				  "refusing to start without it", log->journal_path, off);
			rc = SL_ECORRUPT;
			break;
		}
		records++;
		off += used;
	}
	free(data);
	log->size = log->journal_end = off;
	if (!rc)
		log_info("txn: replayed %zu records of %s", records, log->journal_path);
	return rc;
}

int txn_log_open(const char *dir, txn_log_replay_fn fn, void *arg,
		 struct txn_log **out)
{
	*out = NULL;
	struct txn_log *log = calloc(1, sizeof *log);
	if (!log)
		return SL_ENOMEM;
	log->replay = fn;
	log->replay_arg = arg;
	log->fd = log->dir_fd = log->efd = -1;
	log->pending_tail = &log->pending;
	log->done_tail = &log->done;
	pthread_mutex_init(&log->mu, NULL);
	pthread_cond_init(&log->cond, NULL);
	log->dir = strdup(dir);
	log->journal_path = txn_log_path(dir, "txn.journal");
	log->journal_tmp = txn_log_path(dir, "txn.journal.tmp");
	int rc = SL_ENOMEM;
	if (!log->dir || !log->journal_path || !log->journal_tmp)
		goto fail;
	rc = SL_EIO;
	log->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (log->dir_fd < 0) {
		log_error("txn: open directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	unlink(log->journal_tmp); /* a rewrite that did not finish */
	int created = 1;
	log->fd = open(log->journal_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (log->fd < 0 && errno == EEXIST) {
		created = 0;
		log->fd = open(log->journal_path, O_RDWR | O_CLOEXEC);
	}
	if (log->fd < 0) {
		log_error("txn: open %s: %s", log->journal_path, strerror(errno));
		goto fail;
	}
	if (created && fsync(log->dir_fd) < 0) {
		log_error("txn: fsync of directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	rc = txn_log_replay(log);
	if (rc)
		goto fail;
	*out = log;
	return 0;
fail:
	txn_log_close(log);
	return rc;
}

/* ---- the I/O thread ---- */

/* Writes the n iov pieces in full at off; returns 0 or -1 with errno set. */
static int txn_log_pwritev_all(int fd, struct iovec *iov, int n, off_t off)
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
static void txn_log_write_round(struct txn_log *log, struct txn_job *first)
{
	int err = log->io_failed ? SL_EIO : 0;
	uint64_t start = log->size, off = log->size;
	struct iovec iov[TXN_LOG_IOV];
	struct txn_job *job = first;
	while (job && !err) {
		int n = 0;
		uint64_t bytes = 0;
		for (; job && n < TXN_LOG_IOV; job = job->next) {
			iov[n].iov_base = job->data;
			iov[n].iov_len = job->len;
			bytes += job->len;
			n++;
		}
		if (txn_log_pwritev_all(log->fd, iov, n, (off_t)off) < 0) {
			log_error("txn: write %s at %llu: %s", log->journal_path,
				  (unsigned long long)off, strerror(errno));
			err = SL_EIO;
		}
		off += bytes;
	}
	if (!err && fdatasync(log->fd) < 0) {
		log_error("txn: fdatasync %s: %s", log->journal_path, strerror(errno));
		err = SL_EIO;
	}
	if (err && !log->io_failed) {
		log->io_failed = 1;
		/* leave no partial record for a restart to puzzle over */
		if (ftruncate(log->fd, (off_t)start) < 0)
			log_error("txn: cut %s back to %llu: %s", log->journal_path,
				  (unsigned long long)start, strerror(errno));
		log_error("txn: %s failed; refusing further transaction changes "
			  "until brokerd restarts", log->journal_path);
	}
	if (!err)
		log->size = off;
	for (job = first; job; job = job->next) {
		job->err = err;
		job->journal_end = log->size;
	}
}

/* Replaces the journal by the image (the loop's compaction). */
static void txn_log_do_rewrite(struct txn_log *log, struct txn_job *job)
{
	job->err = log->io_failed ? SL_EIO : 0;
	if (!job->err) {
		struct iovec v = {job->data, job->len};
		job->err = durable_file_write(log->dir_fd, log->journal_path,
					      log->journal_tmp, &v, 1);
	}
	if (!job->err) {
		/* the old fd now names an unlinked file: appends go to the new */
		int fd = open(log->journal_path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			log_error("txn: reopen %s: %s; refusing further transaction "
				  "changes", log->journal_path, strerror(errno));
			log->io_failed = 1;
			job->err = SL_EIO;
		} else {
			close(log->fd);
			log->fd = fd;
			log->size = job->len;
		}
	}
	job->journal_end = log->size;
}

/* Writes a whole file for someone else. */
static void txn_log_do_file(struct txn_log *log, struct txn_job *job)
{
	struct iovec v = {job->data, job->len};
	job->err = durable_file_write(log->dir_fd, job->path, job->tmp, &v, 1);
	job->journal_end = log->size;
}

/* The thread: rounds until told to stop with nothing left queued. */
static void *txn_log_main(void *arg)
{
	struct txn_log *log = arg;
	pthread_mutex_lock(&log->mu);
	for (;;) {
		while (!log->pending && !log->stop)
			pthread_cond_wait(&log->cond, &log->mu);
		if (!log->pending)
			break;
		struct txn_job *first = log->pending, *last = first;
		if (first->kind == TXN_JOB_APPEND)
			while (last->next && last->next->kind == TXN_JOB_APPEND)
				last = last->next;
		log->pending = last->next;
		if (!log->pending)
			log->pending_tail = &log->pending;
		last->next = NULL;
		pthread_mutex_unlock(&log->mu);

		if (first->kind == TXN_JOB_APPEND)
			txn_log_write_round(log, first);
		else if (first->kind == TXN_JOB_REWRITE)
			txn_log_do_rewrite(log, first);
		else
			txn_log_do_file(log, first);

		pthread_mutex_lock(&log->mu);
		*log->done_tail = first;
		log->done_tail = &last->next;
		pthread_mutex_unlock(&log->mu);
		uint64_t one = 1;
		while (write(log->efd, &one, sizeof one) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&log->mu);
	}
	pthread_mutex_unlock(&log->mu);
	return NULL;
}

/* ---- the loop side ---- */

/* Frees a job and what it holds. */
static void txn_job_free(struct txn_job *job)
{
	free(job->data);
	free(job->path);
	free(job->tmp);
	free(job);
}

/* Delivers every completed job in order. */
static void txn_log_deliver(struct txn_log *log)
{
	pthread_mutex_lock(&log->mu);
	struct txn_job *job = log->done;
	log->done = NULL;
	log->done_tail = &log->done;
	pthread_mutex_unlock(&log->mu);
	while (job) {
		struct txn_job *next = job->next;
		log->journal_end = job->journal_end;
		if (job->kind == TXN_JOB_APPEND && job->err)
			log->failed = 1;
		else if (job->kind == TXN_JOB_APPEND && broker.counters)
			COUNTER_ADD(txn_journal_bytes, job->len);
		if (job->done)
			job->done(job->arg, job->err);
		txn_job_free(job);
		job = next;
	}
}

/* libevent: the thread finished a round. */
static void txn_log_on_wake(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;
	while (read(fd, &n, sizeof n) < 0 && errno == EINTR)
		;
	txn_log_deliver(arg);
}

int txn_log_start(struct txn_log *log, struct event_base *base)
{
	log->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (log->efd < 0) {
		log_error("txn: eventfd: %s", strerror(errno));
		return SL_EIO;
	}
	log->wake = event_new(base, log->efd, EV_READ | EV_PERSIST, txn_log_on_wake, log);
	if (!log->wake || event_add(log->wake, NULL)) {
		log_error("txn: cannot register the completion event");
		return SL_EIO;
	}
	int rc = pthread_create(&log->thread, NULL, txn_log_main, log);
	if (rc) {
		log_error("txn: start I/O thread: %s", strerror(rc));
		return SL_EIO;
	}
	log->thread_started = 1;
	return 0;
}

/* Queues a job for the thread, or frees it and fails. */
static int txn_log_queue(struct txn_log *log, struct txn_job *job)
{
	if (!log->thread_started || (job->kind != TXN_JOB_FILE && log->failed)) {
		txn_job_free(job);
		return SL_EIO;
	}
	job->next = NULL;
	pthread_mutex_lock(&log->mu);
	*log->pending_tail = job;
	log->pending_tail = &job->next;
	pthread_cond_signal(&log->cond);
	pthread_mutex_unlock(&log->mu);
	return 0;
}

/* A new job holding data (taken); NULL (data freed) when out of memory. */
static struct txn_job *txn_job_new(enum txn_job_kind kind, uint8_t *data,
				   size_t len, txn_log_done_fn done, void *arg)
{
	struct txn_job *job = calloc(1, sizeof *job);
	if (!job) {
		free(data);
		return NULL;
	}
	*job = (struct txn_job){.kind = kind, .data = data, .len = len,
				.done = done, .arg = arg};
	return job;
}

int txn_log_append(struct txn_log *log, uint8_t *frames, size_t len,
		   txn_log_done_fn done, void *arg)
{
	struct txn_job *job = txn_job_new(TXN_JOB_APPEND, frames, len, done, arg);
	return job ? txn_log_queue(log, job) : SL_ENOMEM;
}

int txn_log_rewrite(struct txn_log *log, uint8_t *image, size_t len,
		    txn_log_done_fn done, void *arg)
{
	struct txn_job *job = txn_job_new(TXN_JOB_REWRITE, image, len, done, arg);
	return job ? txn_log_queue(log, job) : SL_ENOMEM;
}

int txn_log_write_file(struct txn_log *log, const char *name, uint8_t *data,
		       size_t len, txn_log_done_fn done, void *arg)
{
	struct txn_job *job = txn_job_new(TXN_JOB_FILE, data, len, done, arg);
	if (!job)
		return SL_ENOMEM;
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	job->path = txn_log_path(log->dir, name);
	job->tmp = txn_log_path(log->dir, tmp);
	if (!job->path || !job->tmp) {
		txn_job_free(job);
		return SL_ENOMEM;
	}
	return txn_log_queue(log, job);
}

int txn_log_failed(const struct txn_log *log)
{
	return log->failed;
}

uint64_t txn_log_bytes(const struct txn_log *log)
{
	return log->journal_end;
}

void txn_log_close(struct txn_log *log)
{
	if (!log)
		return;
	if (log->thread_started) {
		pthread_mutex_lock(&log->mu);
		log->stop = 1;
		pthread_cond_signal(&log->cond);
		pthread_mutex_unlock(&log->mu);
		pthread_join(log->thread, NULL);
		log->thread_started = 0;
		txn_log_deliver(log);
	}
	if (log->wake)
		event_free(log->wake);
	if (log->efd >= 0)
		close(log->efd);
	if (log->fd >= 0)
		close(log->fd);
	if (log->dir_fd >= 0)
		close(log->dir_fd);
	pthread_mutex_destroy(&log->mu);
	pthread_cond_destroy(&log->cond);
	free(log->dir);
	free(log->journal_path);
	free(log->journal_tmp);
	free(log);
}
