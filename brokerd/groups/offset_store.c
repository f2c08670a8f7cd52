/*
 * The committed-offsets store (see offset_store.h): the snapshot, replay
 * of the journal after it, applying records as they become durable, and
 * compaction.  The journal file, the I/O thread with group commit and
 * completions on the loop are the journal writer's
 * (brokerd/journal/journal_writer.h).
 *
 * A submitted batch is an append job; a COMPACT job carries a snapshot's
 * content and the journal offset from which records are newer than the
 * snapshot, and runs alone on the writer's thread, after everything
 * queued before it.
 *
 * A failed write or sync is sticky: after a failed fdatasync the kernel
 * may have dropped the pages, so nothing later can be trusted to reach the
 * disk.  Every later job fails, the coordinator answers commits with a
 * retriable error, and a restart replays what is durable.  A failed
 * compaction only costs space: the old snapshot and journal stay valid.
 *
 * Ownership: the store owns its writer and jobs; a job's records are
 * freed after delivery.  Threading: the loop's, but for the compaction
 * function, which runs on the writer's thread and touches only its job.
 * Durable: offsets.journal and offsets.snapshot.
 */
#include "brokerd/groups/offset_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "brokerd/broker.h"
#include "brokerd/journal/journal_writer.h"
#include "common/byte_buf.h"
#include "common/counters.h"
#include "common/durable_file.h"
#include "common/errors.h"
#include "common/log.h"

#define OFFSET_STORE_COMPACT_BYTES (16u << 20)
#define OFFSET_STORE_JOURNAL "offsets.journal"
#define OFFSET_STORE_SNAPSHOT "offsets.snapshot"

/* Counters exist only inside brokerd (unit tests may run without). */
#define OFFSET_STORE_COUNT(name, n)                                            \
	do {                                                                   \
		if (broker.counters)                                           \
			COUNTER_ADD(name, n);                                  \
	} while (0)

struct offset_job {
	struct journal_job jj;   /* first: the writer hands back &jj */
	struct offset_store *s;
	struct offset_buf data;  /* records, or the snapshot's content */
	uint64_t keep_from;      /* COMPACT: journal bytes the snapshot covers */
	offset_store_done_fn done;
	void *arg;
};

struct offset_store {
	struct offset_store_hooks hooks;
	struct journal_writer *w;
	char *snapshot_path, *snapshot_tmp;
	int started;             /* compactions may be queued */

	uint64_t next_seq;
	uint64_t applied_seq;    /* last record applied */
	uint64_t snapshot_seq;   /* replay: what the snapshot covers */
	uint64_t replayed;       /* replay: journal records applied */
	uint64_t snapshot_bytes; /* content of the last snapshot */
	uint64_t compact_bytes;
	uint64_t snapshots;
	int compacting;
};

/* ---- paths ---- */

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

/* What a journal frame at data is (journal_replay.check). */
static enum journal_frame offset_store_frame_check(const uint8_t *data,
						   size_t avail, size_t *used,
						   const char **why)
{
	struct offset_record rec;
	switch (offset_record_parse(data, avail, &rec, used, why)) {
	case OFFSET_RECORD_OK:
		return JOURNAL_FRAME_VALID;
	case OFFSET_RECORD_TORN:
		return JOURNAL_FRAME_TORN;
	default:
		return JOURNAL_FRAME_BAD;
	}
}

/* Applies a journal record the snapshot does not cover
 * (journal_replay.apply); refuses one out of sequence. */
static int offset_store_replay_record(void *arg, const uint8_t *frame,
				      size_t len, size_t off)
{
	struct offset_store *s = arg;
	struct offset_record rec;
	size_t used;
	const char *why = NULL;
	if (offset_record_parse(frame, len, &rec, &used, &why) != OFFSET_RECORD_OK)
		log_panic("offsets: a record that checked does not parse: %s", why);
	uint64_t seq = s->snapshot_seq, last = s->applied_seq;
	if (rec.type == OFFSET_RECORD_STATE || (rec.seq <= last && rec.seq > seq)) {
		log_error("offsets: %s: record at offset %zu: %s; refusing to "
			  "guess what it meant", journal_writer_path(s->w), off,
			  rec.type == OFFSET_RECORD_STATE
				  ? "a snapshot record in the journal"
				  : "sequence number out of order");
		return -1;
	}
	if (rec.seq > seq) { /* older ones are in the snapshot */
		s->hooks.apply(s->hooks.arg, &rec);
		s->applied_seq = rec.seq;
		s->replayed++;
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
	s->compact_bytes = OFFSET_STORE_COMPACT_BYTES;
	s->snapshot_path = offset_store_path(dir, OFFSET_STORE_SNAPSHOT);
	s->snapshot_tmp = offset_store_path(dir, OFFSET_STORE_SNAPSHOT ".tmp");
	int rc = SL_ENOMEM;
	if (!s->snapshot_path || !s->snapshot_tmp)
		goto fail;
	unlink(s->snapshot_tmp); /* a compaction that did not finish */
	rc = offset_store_load_snapshot(s, &s->snapshot_seq);
	if (rc)
		goto fail;
	rc = journal_writer_open(dir, OFFSET_STORE_JOURNAL, "offsets", &s->w);
	if (rc)
		goto fail;
	s->applied_seq = s->snapshot_seq;
	struct journal_replay r = {offset_store_frame_check,
				   offset_store_replay_record, s,
				   OFFSET_RECORD_HEADER_BYTES};
	rc = journal_writer_replay(s->w, &r);
	if (rc)
		goto fail;
	s->next_seq = s->applied_seq + 1;
	log_info("offsets: replayed %llu journal records after snapshot seq %llu",
		 (unsigned long long)s->replayed,
		 (unsigned long long)s->snapshot_seq);
	*out = s;
	return 0;
fail:
	offset_store_close(s);
	return rc;
}

/* ---- compaction, on the writer's thread ---- */

/* Writes a snapshot, then starts the journal after what it covers. */
static int offset_store_compact(struct journal_writer *w, struct journal_job *jj)
{
	struct offset_job *job = (struct offset_job *)jj;
	if (journal_writer_io_failed(w))
		return SL_EIO;
	offset_snapshot_seal(job->data.bytes.data, job->data.bytes.len);
	struct iovec v = {job->data.bytes.data, job->data.bytes.len};
	int rc = journal_writer_write_file(w, OFFSET_STORE_SNAPSHOT, &v, 1);
	if (!rc) /* a failure keeps the old journal: still correct */
		journal_writer_keep_from(w, job->keep_from);
	return rc;
}

/* ---- the loop side ---- */

static void offset_store_job_done(struct journal_job *jj, int err);

/* Applies the records of a durable APPEND job in order. */
static void offset_store_apply_job(struct offset_store *s,
				   const struct offset_job *job)
{
	size_t off = 0;
	while (off < job->data.bytes.len) {
		struct offset_record rec;
		size_t used;
		const char *why;
		/* we encoded these bytes ourselves */
		if (offset_record_parse(job->data.bytes.data + off, job->data.bytes.len - off,
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
	uint64_t journal_end = journal_writer_bytes(s->w);
	if (s->compacting || !s->started || journal_writer_failed(s->w) ||
	    journal_end < limit)
		return;
	struct offset_job *job = calloc(1, sizeof *job);
	if (!job)
		return;
	job->s = s;
	job->keep_from = journal_end;
	/* header room (sealed by the thread), a STATE record whose group
	 * count is filled in once known, then every group's offsets */
	uint32_t groups = 0;
	struct offset_buf *b = &job->data;
	byte_buf_put_zeros(&b->bytes, OFFSET_SNAPSHOT_HEADER_BYTES);
	size_t state_at = b->bytes.len;
	int rc = offset_record_state(b, s->applied_seq, 0);
	size_t state_len = b->bytes.len - state_at;
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
	SL_ASSERT(state.bytes.len == state_len);
	memcpy(b->bytes.data + state_at, state.bytes.data, state.bytes.len);
	offset_buf_free(&state);
	log_info("offsets: journal at %llu bytes: snapshot of %u groups (%zu bytes) as of seq %llu",
		 (unsigned long long)journal_end, groups, job->data.bytes.len,
		 (unsigned long long)s->applied_seq);
	if (journal_writer_run(s->w, &job->jj, offset_store_compact,
			       offset_store_job_done)) {
		offset_buf_free(b);
		free(job);
		return;
	}
	s->compacting = 1;
}

/* The writer is done with a job: apply a durable batch or note a
 * snapshot, tell the submitter, and see whether to compact. */
static void offset_store_job_done(struct journal_job *jj, int err)
{
	struct offset_job *job = (struct offset_job *)jj;
	struct offset_store *s = job->s;
	if (jj->run) {
		s->compacting = 0;
		if (!err) {
			s->snapshot_bytes = job->data.bytes.len;
			s->snapshots++;
			OFFSET_STORE_COUNT(offset_snapshots, 1);
		}
	} else if (!err) {
		offset_store_apply_job(s, job);
		OFFSET_STORE_COUNT(offset_journal_bytes, job->data.bytes.len);
	}
	if (job->done)
		job->done(job->arg, err);
	offset_buf_free(&job->data);
	free(job);
	offset_store_maybe_compact(s);
}

int offset_store_start(struct offset_store *s, struct event_base *base)
{
	int rc = journal_writer_start(s->w, base);
	if (!rc)
		s->started = 1;
	return rc;
}

uint64_t offset_store_next_seq(struct offset_store *s)
{
	return s->next_seq++;
}

int offset_store_submit(struct offset_store *s, struct offset_buf *buf,
			offset_store_done_fn done, void *arg)
{
	if (journal_writer_failed(s->w) || !s->started)
		return SL_EIO;
	struct offset_job *job = calloc(1, sizeof *job);
	if (!job)
		return SL_ENOMEM;
	job->s = s;
	job->data = *buf;
	job->done = done;
	job->arg = arg;
	int rc = journal_writer_append(s->w, &job->jj, job->data.bytes.data,
				       job->data.bytes.len, offset_store_job_done);
	if (rc) {
		free(job);
		return rc;
	}
	memset(buf, 0, sizeof *buf);
	return 0;
}

int offset_store_failed(const struct offset_store *s)
{
	return journal_writer_failed(s->w);
}

void offset_store_set_compact_bytes(struct offset_store *s, uint64_t bytes)
{
	s->compact_bytes = bytes;
}

uint64_t offset_store_journal_bytes(const struct offset_store *s)
{
	return journal_writer_bytes(s->w);
}

uint64_t offset_store_snapshots(const struct offset_store *s)
{
	return s->snapshots;
}

void offset_store_close(struct offset_store *s)
{
	if (!s)
		return;
	s->started = 0; /* no new compaction from the last completions */
	journal_writer_close(s->w);
	free(s->snapshot_path);
	free(s->snapshot_tmp);
	free(s);
}
