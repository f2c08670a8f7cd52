/*
 * Writing a transaction's markers (see txn_markers.h).  A job walks the
 * transaction's partitions appending one marker each (a deleted topic's
 * partition is skipped), then waits for the WAL to be durable past the
 * last one; in parallel it journals the groups' TXN_END records.  Jobs in
 * flight sit on a list so shutdown can cancel them; a canceled job is
 * freed by its last outstanding callback.
 *
 * Ownership: the module owns its jobs.  Threading: event loop only.
 * Durable: through the WAL and the offset store.
 */
#include "brokerd/txn/txn_markers.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/groups/groups.h"
#include "brokerd/partition/control_batch.h"
#include "brokerd/partition/durable.h"
#include "brokerd/partition/log_append.h"
#include "brokerd/partition/partition.h"
#include "brokerd/txn/txn_record.h"
#include "brokerd/wal/wal.h"
#include "common/counters.h"
#include "common/errors.h"
#include "common/log.h"

/* Retry delays: a full WAL frees up as uploads commit; a failing device
 * or store is not worth hammering. */
#define TXN_MARKERS_RETRY_FULL_MS 50
#define TXN_MARKERS_RETRY_ERROR_MS 1000

struct marker_job {
	struct marker_job *next;
	int64_t producer_id;
	int16_t epoch;
	int commit;
	uint64_t *streams;
	size_t stream_count, appended;
	char **groups;
	size_t group_count;
	uint64_t wal_end;
	int markers_durable, offsets_durable, offsets_queued;
	int waits;          /* callbacks still to come */
	int canceled;
	struct event *retry;
	void (*done)(void *arg);
	void *arg;
};

static struct marker_job *marker_jobs;

/* Frees a job that is off the list. */
static void marker_job_free(struct marker_job *job)
{
	if (job->retry)
		event_free(job->retry);
	for (size_t i = 0; i < job->group_count; i++)
		free(job->groups[i]);
	free(job->groups);
	free(job->streams);
	free(job);
}

/* Takes a job off the list. */
static void marker_job_unlink(struct marker_job *job)
{
	for (struct marker_job **pp = &marker_jobs; *pp; pp = &(*pp)->next)
		if (*pp == job) {
			*pp = job->next;
			return;
		}
}

/* Ends the job when both halves are durable. */
static void marker_job_check(struct marker_job *job)
{
	if (!job->markers_durable || !job->offsets_durable || job->waits)
		return;
	marker_job_unlink(job);
	void (*done)(void *) = job->done;
	void *arg = job->arg;
	marker_job_free(job);
	done(arg);
}

/* One outstanding callback came back; a canceled job may go now. */
static int marker_job_returned(struct marker_job *job)
{
	job->waits--;
	if (job->canceled) {
		if (!job->waits)
			marker_job_free(job);
		return 1;
	}
	return 0;
}

static void marker_job_run(struct marker_job *job);

/* libevent: time to try again. */
static void marker_job_on_retry(evutil_socket_t fd, short what, void *arg)
{
	marker_job_run(arg);
}

/* Tries again after ms. */
static void marker_job_later(struct marker_job *job, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(job->retry, &tv);
}

/* The WAL is durable past the last marker. */
static void marker_job_on_durable(void *arg)
{
	struct marker_job *job = arg;
	if (marker_job_returned(job))
		return;
	job->markers_durable = 1;
	marker_job_check(job);
}

/* The offset store made the TXN_END records durable (or failed). */
static void marker_job_on_offsets(void *arg, int err)
{
	struct marker_job *job = arg;
	if (marker_job_returned(job))
		return;
	if (err) {
		log_warn("txn: producer %lld: the offset store refused the end of "
			 "its transaction; retrying", (long long)job->producer_id);
		job->offsets_queued = 0;
		marker_job_later(job, TXN_MARKERS_RETRY_ERROR_MS);
		return;
	}
	job->offsets_durable = 1;
	marker_job_check(job);
}

/* Appends the markers still to write, then queues the waits. */
static void marker_job_run(struct marker_job *job)
{
	int64_t now = log_append_now_ms();
	int type = job->commit ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT;
	while (job->appended < job->stream_count) {
		struct partition *part =
			partition_by_stream(broker.partitions, job->streams[job->appended]);
		if (part) {
			uint8_t batch[CONTROL_BATCH_BYTES];
			control_batch_build(batch, job->producer_id, job->epoch, type, 0, now);
			uint64_t end;
			int rc = log_append_batch(part, batch, sizeof batch, &end);
			if (rc) {
				if (rc != SL_EFULL)
					log_warn("txn: marker for stream %llu: %s; retrying",
						 (unsigned long long)part->stream_id,
						 sl_error_name(rc));
				marker_job_later(job, rc == SL_EFULL ? TXN_MARKERS_RETRY_FULL_MS
								     : TXN_MARKERS_RETRY_ERROR_MS);
				return;
			}
			job->wal_end = end;
			if (broker.counters)
				COUNTER_ADD(txn_markers, 1);
		}
		job->appended++;
	}
	if (!job->markers_durable && job->wal_end && !job->waits) {
		wal_flush(broker.wal);
		job->waits++;
		if (durable_call(job->wal_end, marker_job_on_durable, job))
			log_panic("txn: out of memory waiting for markers");
		if (job->canceled)
			return;
	} else if (!job->wal_end) {
		job->markers_durable = 1;
	}
	if (!job->offsets_durable && !job->offsets_queued) {
		if (!job->group_count) {
			job->offsets_durable = 1;
		} else {
			job->offsets_queued = 1;
			job->waits++;
			int rc = groups_txn_end(job->groups, job->group_count,
						job->producer_id, job->commit,
						marker_job_on_offsets, job);
			if (rc) {
				job->waits--;
				job->offsets_queued = 0;
				marker_job_later(job, TXN_MARKERS_RETRY_ERROR_MS);
				return;
			}
		}
	}
	marker_job_check(job);
}

int txn_markers_write(struct event_base *base, const struct txn_meta *m,
		      int commit, void (*done)(void *arg), void *arg)
{
	struct marker_job *job = calloc(1, sizeof *job);
	if (!job)
		return SL_ENOMEM;
	job->producer_id = m->producer_id;
	job->epoch = m->epoch;
	job->commit = commit;
	job->done = done;
	job->arg = arg;
	job->retry = evtimer_new(base, marker_job_on_retry, job);
	job->streams = calloc(m->part_count + 1, sizeof *job->streams);
	job->groups = calloc(m->group_count + 1, sizeof *job->groups);
	if (!job->retry || !job->streams || !job->groups) {
		marker_job_free(job);
		return SL_ENOMEM;
	}
	for (size_t i = 0; i < m->part_count; i++)
		job->streams[job->stream_count++] = m->parts[i].stream_id;
	for (size_t i = 0; i < m->group_count; i++) {
		job->groups[i] = strdup(m->groups[i]);
		if (!job->groups[i]) {
			marker_job_free(job);
			return SL_ENOMEM;
		}
		job->group_count = i + 1;
	}
	job->next = marker_jobs;
	marker_jobs = job;
	marker_job_run(job);
	return 0;
}

void txn_markers_cancel_all(void)
{
	while (marker_jobs) {
		struct marker_job *job = marker_jobs;
		marker_jobs = job->next;
		job->canceled = 1;
		if (!job->waits)
			marker_job_free(job);
		else
			evtimer_del(job->retry);
	}
}
