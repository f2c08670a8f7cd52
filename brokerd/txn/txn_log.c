/*
 * The transaction log (see txn_log.h): the framing and its checks, and
 * the jobs the coordinator and the producer snapshots queue.  Replay,
 * the I/O thread with group commit and completions on the loop are the
 * journal writer's (brokerd/journal/journal_writer.h).
 *
 * Ownership: the log owns its writer and jobs; a job's bytes are freed
 * after delivery.  Threading: the loop's, but for the exclusive jobs'
 * functions, which run on the writer's thread.  Durable: txn.journal and
 * the files written for others.
 */
#include "brokerd/txn/txn_log.h"

#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/journal/journal_writer.h"
#include "common/bytes.h"
#include "common/counters.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/log.h"

struct txn_job {
	struct journal_job jj;  /* first: the writer hands back &jj */
	uint8_t *data;          /* frames, an image or a file's content */
	size_t len;
	char *name;             /* a file job's name in the directory */
	txn_log_done_fn done;
	void *arg;
};

struct txn_log {
	struct journal_writer *w;
	txn_log_replay_fn replay;
	void *replay_arg;
	size_t records;         /* replayed at open */
};

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

/* What a frame at data is (journal_replay.check). */
static enum journal_frame txn_log_frame_check(const uint8_t *data, size_t avail,
					      size_t *used, const char **why)
{
	if (avail < TXN_LOG_FRAME_BYTES) {
		*why = "short header";
		return JOURNAL_FRAME_TORN;
	}
	if (be32_get(data) != TXN_LOG_MAGIC || be32_get(data + 16) != crc32c(data, 16)) {
		*why = "bad magic or header CRC";
		return JOURNAL_FRAME_TORN;
	}
	uint32_t body_len = be32_get(data + 8);
	if (be16_get(data + 4) != TXN_LOG_VERSION || body_len > TXN_LOG_MAX_BODY) {
		*why = "unsupported format version or body length";
		return JOURNAL_FRAME_BAD;
	}
	if (body_len > avail - TXN_LOG_FRAME_BYTES) {
		*why = "body runs past the end";
		return JOURNAL_FRAME_TORN;
	}
	if (be32_get(data + 12) != crc32c(data + TXN_LOG_FRAME_BYTES, body_len)) {
		*why = "bad body CRC";
		return JOURNAL_FRAME_TORN;
	}
	*used = TXN_LOG_FRAME_BYTES + body_len;
	return JOURNAL_FRAME_VALID;
}

/* Hands one checked frame to the coordinator (journal_replay.apply). */
static int txn_log_apply(void *arg, const uint8_t *frame, size_t len, size_t off)
{
	struct txn_log *log = arg;
	if (log->replay(log->replay_arg, be16_get(frame + 6),
			frame + TXN_LOG_FRAME_BYTES, len - TXN_LOG_FRAME_BYTES)) {
		log_error("txn: %s: record at offset %zu does not decode; "
			  "refusing to start without it",
			  journal_writer_path(log->w), off);
		return -1;
	}
	log->records++;
	return 0;
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
	int rc = journal_writer_open(dir, "txn.journal", "txn", &log->w);
	if (!rc) {
		struct journal_replay r = {txn_log_frame_check, txn_log_apply,
					   log, TXN_LOG_FRAME_BYTES};
		rc = journal_writer_replay(log->w, &r);
	}
	if (rc) {
		txn_log_close(log);
		return rc;
	}
	log_info("txn: replayed %zu records of %s", log->records,
		 journal_writer_path(log->w));
	*out = log;
	return 0;
}

int txn_log_start(struct txn_log *log, struct event_base *base)
{
	return journal_writer_start(log->w, base);
}

/* ---- jobs ---- */

/* A new job holding data (taken); NULL (data freed) when out of memory. */
static struct txn_job *txn_job_new(uint8_t *data, size_t len,
				   txn_log_done_fn done, void *arg)
{
	struct txn_job *job = calloc(1, sizeof *job);
	if (!job) {
		free(data);
		return NULL;
	}
	job->data = data;
	job->len = len;
	job->done = done;
	job->arg = arg;
	return job;
}

/* Frees a job and what it holds. */
static void txn_job_free(struct txn_job *job)
{
	free(job->data);
	free(job->name);
	free(job);
}

/* The writer is done with a job: count it, tell the submitter, free it. */
static void txn_job_done(struct journal_job *jj, int err)
{
	struct txn_job *job = (struct txn_job *)jj;
	if (!jj->run && !err && broker.counters)
		COUNTER_ADD(txn_journal_bytes, job->len);
	if (job->done)
		job->done(job->arg, err);
	txn_job_free(job);
}

/* Replaces the journal by the image (the coordinator's compaction). */
static int txn_job_rewrite(struct journal_writer *w, struct journal_job *jj)
{
	struct txn_job *job = (struct txn_job *)jj;
	struct iovec v = {job->data, job->len};
	return journal_writer_replace(w, &v, 1);
}

/* Writes a whole file for someone else. */
static int txn_job_file(struct journal_writer *w, struct journal_job *jj)
{
	struct txn_job *job = (struct txn_job *)jj;
	struct iovec v = {job->data, job->len};
	return journal_writer_write_file(w, job->name, &v, 1);
}

int txn_log_append(struct txn_log *log, uint8_t *frames, size_t len,
		   txn_log_done_fn done, void *arg)
{
	struct txn_job *job = txn_job_new(frames, len, done, arg);
	if (!job)
		return SL_ENOMEM;
	int rc = journal_writer_append(log->w, &job->jj, job->data, job->len,
				       txn_job_done);
	if (rc)
		txn_job_free(job);
	return rc;
}

int txn_log_rewrite(struct txn_log *log, uint8_t *image, size_t len,
		    txn_log_done_fn done, void *arg)
{
	struct txn_job *job = txn_job_new(image, len, done, arg);
	if (!job)
		return SL_ENOMEM;
	/* after a failed append the image may hold changes that were refused */
	int rc = journal_writer_failed(log->w)
			 ? SL_EIO
			 : journal_writer_run(log->w, &job->jj, txn_job_rewrite,
					      txn_job_done);
	if (rc)
		txn_job_free(job);
	return rc;
}

int txn_log_write_file(struct txn_log *log, const char *name, uint8_t *data,
		       size_t len, txn_log_done_fn done, void *arg)
{
	struct txn_job *job = txn_job_new(data, len, done, arg);
	if (!job)
		return SL_ENOMEM;
	job->name = strdup(name);
	int rc = job->name ? journal_writer_run(log->w, &job->jj, txn_job_file,
						txn_job_done)
			   : SL_ENOMEM;
	if (rc)
		txn_job_free(job);
	return rc;
}

int txn_log_failed(const struct txn_log *log)
{
	return journal_writer_failed(log->w);
}

uint64_t txn_log_bytes(const struct txn_log *log)
{
	return journal_writer_bytes(log->w);
}

void txn_log_close(struct txn_log *log)
{
	if (!log)
		return;
	journal_writer_close(log->w);
	free(log);
}
