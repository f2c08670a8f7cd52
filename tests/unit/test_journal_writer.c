/*
 * Tests of the journal writer: group commit, exclusive jobs ordered
 * between the appends queued around them, close draining the queue,
 * replay with a torn tail or a bad frame, and a failed append staying
 * failed.  The journal holds frames of a small format of the test's own
 * (magic, version, length, CRC-32C, payload), so what the writer does
 * is checked byte for byte against the file.
 *
 * A "gate" is an exclusive job that holds the I/O thread until the test
 * opens it: whatever the test queues meanwhile is waiting together when
 * the thread goes on, which makes the rounds deterministic.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "brokerd/journal/journal_writer.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "tests/unit/scratch_dir.h"
#include "tests/unit/unit_main.h"

#define TF_MAGIC 0x544a5752u /* "TJWR" */
#define TF_VERSION 1u
#define TF_HEADER 12u

static char dir[256];
static struct event_base *base;
static struct journal_writer *w;

/* ---- the test's frame format ---- */

/* Frames payload into out (TF_HEADER + strlen(payload) bytes); returns the
 * length. */
static size_t tf_frame(uint8_t *out, const char *payload, uint16_t version)
{
	size_t n = strlen(payload);
	be32_put(out, TF_MAGIC);
	be16_put(out + 4, version);
	be16_put(out + 6, (uint16_t)n);
	memcpy(out + TF_HEADER, payload, n);
	be32_put(out + 8, crc32c(out + TF_HEADER, n));
	return TF_HEADER + n;
}

/* journal_replay.check for the test format. */
static enum journal_frame tf_check(const uint8_t *data, size_t avail,
				   size_t *used, const char **why)
{
	if (avail < TF_HEADER || be32_get(data) != TF_MAGIC) {
		*why = "no header";
		return JOURNAL_FRAME_TORN;
	}
	size_t n = be16_get(data + 6);
	if (n > avail - TF_HEADER || be32_get(data + 8) != crc32c(data + TF_HEADER, n)) {
		*why = "short or bad CRC";
		return JOURNAL_FRAME_TORN;
	}
	if (be16_get(data + 4) != TF_VERSION) {
		*why = "unknown version";
		return JOURNAL_FRAME_BAD;
	}
	*used = TF_HEADER + n;
	return JOURNAL_FRAME_VALID;
}

/* Payloads replayed, joined by '|'; "refuse" makes apply fail. */
static char replayed[1024];
static int replayed_count;

/* journal_replay.apply: records the payload. */
static int tf_apply(void *arg, const uint8_t *frame, size_t len, size_t off)
{
	(void)arg;
	(void)off;
	size_t n = len - TF_HEADER;
	if (n == 6 && !memcmp(frame + TF_HEADER, "refuse", 6))
		return -1;
	size_t at = strlen(replayed);
	ck_assert_uint_lt(at + n + 2, sizeof replayed);
	if (at)
		replayed[at++] = '|';
	memcpy(replayed + at, frame + TF_HEADER, n);
	replayed[at + n] = 0;
	replayed_count++;
	return 0;
}

/* Opens dir/test.journal and replays it into `replayed`; returns what
 * open or replay returned. */
static int tj_open(void)
{
	replayed[0] = 0;
	replayed_count = 0;
	int rc = journal_writer_open(dir, "test.journal", "test", &w);
	if (rc)
		return rc;
	struct journal_replay r = {tf_check, tf_apply, NULL, TF_HEADER};
	rc = journal_writer_replay(w, &r);
	if (rc) {
		journal_writer_close(w);
		w = NULL;
	}
	return rc;
}

/* ---- jobs and their completions ---- */

struct tj_job {
	struct journal_job jj; /* first */
	int id;
	uint8_t frame[64];
	size_t len;
	int err;
	uint64_t journal_end, syncs;
	int delivered;
};

#define TJ_MAX 64
static struct tj_job jobs[TJ_MAX];
static int order[TJ_MAX], delivered;

/* Records the completion order and what the writer said then. */
static void tj_done(struct journal_job *jj, int err)
{
	struct tj_job *job = (struct tj_job *)jj;
	job->err = err;
	job->journal_end = journal_writer_bytes(w);
	job->syncs = journal_writer_syncs(w);
	job->delivered++;
	order[delivered++] = job->id;
}

/* Queues an append of a frame holding payload as job id; returns what
 * journal_writer_append returned. */
static int tj_append(int id, const char *payload)
{
	struct tj_job *job = &jobs[id];
	job->id = id;
	job->len = tf_frame(job->frame, payload, TF_VERSION);
	return journal_writer_append(w, &job->jj, job->frame, job->len, tj_done);
}

/* The gate: a pipe the thread blocks on until the test writes to it. */
static int gate[2];

/* Holds the I/O thread until the gate opens. */
static int tj_gate_run(struct journal_writer *jw, struct journal_job *jj)
{
	(void)jw;
	(void)jj;
	char c;
	return read(gate[0], &c, 1) == 1 ? 0 : SL_EIO;
}

/* Opens the gate. */
static void tj_gate_open(void)
{
	ck_assert_int_eq(write(gate[1], "x", 1), 1);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop until n jobs were delivered (or 5 s went by). */
static void loop_until(int n)
{
	int64_t end = now_ms() + 5000;
	while (delivered < n && now_ms() < end) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(200);
	}
	ck_assert_int_eq(delivered, n);
}

/* Reads dir/name whole into buf (NUL-terminated); returns its length. */
static size_t file_read_in_dir(const char *name, uint8_t *buf, size_t cap)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	buf[n] = 0;
	return (size_t)n;
}

/* The journal's bytes as the concatenation of frames of the payloads. */
static size_t expect_frames(uint8_t *buf, const char *const *payloads, int n)
{
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += tf_frame(buf + len, payloads[i], TF_VERSION);
	return len;
}

/* Asserts the journal holds exactly the frames of payloads. */
static void assert_journal(const char *const *payloads, int n)
{
	uint8_t want[2048], got[2048];
	size_t want_len = expect_frames(want, payloads, n);
	size_t got_len = file_read_in_dir("test.journal", got, sizeof got);
	ck_assert_uint_eq(got_len, want_len);
	ck_assert_mem_eq(got, want, want_len);
}

static void setup(void)
{
	scratch_dir_make(dir, sizeof dir, "jw");
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(pipe(gate), 0);
	memset(jobs, 0, sizeof jobs);
	memset(order, 0, sizeof order);
	delivered = 0;
	w = NULL;
}

static void teardown(void)
{
	journal_writer_close(w);
	w = NULL;
	close(gate[0]);
	close(gate[1]);
	event_base_free(base);
	scratch_dir_remove(dir);
}

/* ---- tests ---- */

START_TEST(test_refused_before_start)
{
	ck_assert_int_eq(tj_open(), 0);
	ck_assert_int_eq(tj_append(0, "a"), SL_EIO);
	ck_assert_int_eq(journal_writer_run(w, &jobs[1].jj, tj_gate_run, tj_done),
			 SL_EIO);
	ck_assert_int_eq(journal_writer_bytes(w), 0);
}
END_TEST

START_TEST(test_group_commit)
{
	ck_assert_int_eq(tj_open(), 0);
	ck_assert_int_eq(journal_writer_start(w, base), 0);
	/* the thread is held while five appends are queued: one round */
	ck_assert_int_eq(journal_writer_run(w, &jobs[0].jj, tj_gate_run, tj_done), 0);
	static const char *const p[] = {"one", "two", "three", "four", "five"};
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(tj_append(i + 1, p[i]), 0);
	tj_gate_open();
	loop_until(6);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(order[i], i);
	ck_assert_uint_eq(jobs[0].syncs, 0);
	/* one fdatasync for all five, and each ends where its bytes do */
	uint64_t end = 0;
	for (int i = 1; i <= 5; i++) {
		end += jobs[i].len;
		ck_assert_int_eq(jobs[i].err, 0);
		ck_assert_uint_eq(jobs[i].syncs, 1);
		ck_assert_uint_eq(jobs[i].journal_end, end);
	}
	ck_assert_uint_eq(journal_writer_syncs(w), 1);
	assert_journal(p, 5);
	/* a later append is a round of its own, after the others */
	ck_assert_int_eq(tj_append(6, "six"), 0);
	loop_until(7);
	ck_assert_uint_eq(journal_writer_syncs(w), 2);
	ck_assert_uint_eq(journal_writer_bytes(w), end + jobs[6].len);
	journal_writer_close(w);
	w = NULL;
	ck_assert_int_eq(tj_open(), 0);
	ck_assert_str_eq(replayed, "one|two|three|four|five|six");
	ck_assert_uint_eq(journal_writer_bytes(w), end + jobs[6].len);
}
END_TEST

/* What the exclusive job saw of the journal when it ran. */
static uint8_t seen[2048];
static size_t seen_len;

/* Reads the journal as the appends before it left it, then replaces it
 * by one frame "image". */
static int tj_replace_run(struct journal_writer *jw, struct journal_job *jj)
{
	(void)jj;
	char path[400];
	snprintf(path, sizeof path, "%s/test.journal", dir);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return SL_EIO;
	ssize_t n = read(fd, seen, sizeof seen);
	close(fd);
	seen_len = n > 0 ? (size_t)n : 0;
	uint8_t frame[64];
	struct iovec v = {frame, tf_frame(frame, "image", TF_VERSION)};
	return journal_writer_replace(jw, &v, 1);
}

START_TEST(test_exclusive_order)
{
	ck_assert_int_eq(tj_open(), 0);
	ck_assert_int_eq(journal_writer_start(w, base), 0);
	ck_assert_int_eq(journal_writer_run(w, &jobs[0].jj, tj_gate_run, tj_done), 0);
	static const char *const a[] = {"a1", "a2", "a3"};
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tj_append(i + 1, a[i]), 0);
	jobs[4].id = 4;
	ck_assert_int_eq(journal_writer_run(w, &jobs[4].jj, tj_replace_run, tj_done), 0);
	ck_assert_int_eq(tj_append(5, "b1"), 0);
	ck_assert_int_eq(tj_append(6, "b2"), 0);
	tj_gate_open();
	loop_until(7);
	/* completions in queue order */
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(order[i], i);
	/* the exclusive job saw every append queued before it, none after */
	uint8_t want[256];
	size_t want_len = expect_frames(want, a, 3);
	ck_assert_uint_eq(seen_len, want_len);
	ck_assert_mem_eq(seen, want, want_len);
	ck_assert_int_eq(jobs[4].err, 0);
	ck_assert_uint_eq(jobs[4].journal_end, TF_HEADER + 5);
	/* the appends before it in one round, those after in another */
	ck_assert_uint_eq(jobs[3].syncs, 1);
	ck_assert_uint_eq(jobs[5].syncs, 2);
	ck_assert_uint_eq(jobs[6].syncs, 2);
	/* the later appends went to the new journal, after the image */
	static const char *const after[] = {"image", "b1", "b2"};
	assert_journal(after, 3);
	ck_assert_uint_eq(journal_writer_bytes(w), TF_HEADER + 5 + jobs[5].len +
						       jobs[6].len);
}
END_TEST

/* Replaces the journal by its frames after the first two. */
static int tj_keep_run(struct journal_writer *jw, struct journal_job *jj)
{
	(void)jj;
	return journal_writer_keep_from(jw, 2 * (TF_HEADER + 2));
}

START_TEST(test_keep_from)
{
	ck_assert_int_eq(tj_open(), 0);
	ck_assert_int_eq(journal_writer_start(w, base), 0);
	static const char *const p[] = {"k1", "k2", "k3", "k4"};
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(tj_append(i, p[i]), 0);
	jobs[4].id = 4;
	ck_assert_int_eq(journal_writer_run(w, &jobs[4].jj, tj_keep_run, tj_done), 0);
	ck_assert_int_eq(tj_append(5, "k5"), 0);
	loop_until(6);
	ck_assert_int_eq(jobs[4].err, 0);
	ck_assert_uint_eq(jobs[4].journal_end, 2 * (TF_HEADER + 2));
	static const char *const left[] = {"k3", "k4", "k5"};
	assert_journal(left, 3);
}
END_TEST

/* Writes dir/side.file with "side". */
static int tj_file_run(struct journal_writer *jw, struct journal_job *jj)
{
	(void)jj;
	struct iovec v = {(void *)"side", 4};
	return journal_writer_write_file(jw, "side.file", &v, 1);
}

START_TEST(test_close_drains)
{
	ck_assert_int_eq(tj_open(), 0);
	ck_assert_int_eq(journal_writer_start(w, base), 0);
	char payload[TJ_MAX][8];
	const char *p[TJ_MAX];
	int n = 0;
	for (; n < 10; n++) {
		snprintf(payload[n], sizeof payload[n], "c%d", n);
		p[n] = payload[n];
		ck_assert_int_eq(tj_append(n, p[n]), 0);
	}
	jobs[10].id = 10;
	ck_assert_int_eq(journal_writer_run(w, &jobs[10].jj, tj_file_run, tj_done), 0);
	for (; n < 13; n++) {
		snprintf(payload[n], sizeof payload[n], "c%d", n);
		p[n] = payload[n];
		ck_assert_int_eq(tj_append(n + 1, p[n]), 0);
	}
	/* no loop turn: close itself must finish and deliver every job */
	journal_writer_close(w);
	w = NULL;
	ck_assert_int_eq(delivered, 14);
	for (int i = 0; i < 14; i++) {
		ck_assert_int_eq(order[i], i);
		ck_assert_int_eq(jobs[i].delivered, 1);
		ck_assert_int_eq(jobs[i].err, 0);
	}
	assert_journal(p, 13);
	uint8_t side[16];
	ck_assert_uint_eq(file_read_in_dir("side.file", side, sizeof side), 4);
	ck_assert_str_eq((char *)side, "side");
	ck_assert_int_eq(tj_open(), 0);
	ck_assert_int_eq(replayed_count, 13);
}
END_TEST

/* Appends raw bytes to the journal file behind the writer's back. */
static void journal_add(const void *bytes, size_t len)
{
	char path[400];
	snprintf(path, sizeof path, "%s/test.journal", dir);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0640);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, bytes, len), (ssize_t)len);
	close(fd);
}

START_TEST(test_replay_torn_tail)
{
	uint8_t buf[256];
	size_t good = tf_frame(buf, "r1", TF_VERSION);
	good += tf_frame(buf + good, "r2", TF_VERSION);
	size_t torn = tf_frame(buf + good, "r3", TF_VERSION);
	journal_add(buf, good + torn - 3); /* r3 half written */
	ck_assert_int_eq(tj_open(), 0);
	ck_assert_str_eq(replayed, "r1|r2");
	ck_assert_uint_eq(journal_writer_bytes(w), good);
	static const char *const cut[] = {"r1", "r2"};
	assert_journal(cut, 2);
	/* appends go right after the last good frame */
	ck_assert_int_eq(journal_writer_start(w, base), 0);
	ck_assert_int_eq(tj_append(0, "r4"), 0);
	loop_until(1);
	static const char *const after[] = {"r1", "r2", "r4"};
	assert_journal(after, 3);
}
END_TEST

START_TEST(test_replay_refuses)
{
	uint8_t buf[256];
	size_t len = tf_frame(buf, "ok", TF_VERSION);
	/* a frame that checks but is of a version nobody knows */
	len += tf_frame(buf + len, "future", TF_VERSION + 1);
	journal_add(buf, len);
	ck_assert_int_eq(tj_open(), SL_ECORRUPT);
	ck_assert_ptr_null(w);
	/* the journal was left alone for someone to look at */
	uint8_t got[256];
	ck_assert_uint_eq(file_read_in_dir("test.journal", got, sizeof got), len);
	/* a frame the caller's apply refuses */
	char path[400];
	snprintf(path, sizeof path, "%s/test.journal", dir);
	ck_assert_int_eq(unlink(path), 0);
	len = tf_frame(buf, "ok", TF_VERSION);
	len += tf_frame(buf + len, "refuse", TF_VERSION);
	journal_add(buf, len);
	ck_assert_int_eq(tj_open(), SL_ECORRUPT);
	ck_assert_str_eq(replayed, "ok");
}
END_TEST

/* Whether the thread saw the failure; set by tj_probe_run. */
static int probe_saw_failed = -1;

/* Reports journal_writer_io_failed from the thread. */
static int tj_probe_run(struct journal_writer *jw, struct journal_job *jj)
{
	(void)jj;
	probe_saw_failed = journal_writer_io_failed(jw);
	return 0;
}

START_TEST(test_failure_sticky)
{
	ck_assert_int_eq(tj_open(), 0);
	ck_assert_int_eq(journal_writer_start(w, base), 0);
	ck_assert_int_eq(tj_append(0, "fine"), 0);
	loop_until(1);
	uint64_t good = jobs[0].len;
	/* the file may not grow past a few bytes more: the write fails
	 * (EFBIG; Check runs each test in a child of its own) */
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, rl;
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	rl = old;
	rl.rlim_cur = good + 5;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_eq(tj_append(1, "too-long-to-fit"), 0);
	ck_assert_int_eq(tj_append(2, "same-round"), 0);
	jobs[3].id = 3;
	ck_assert_int_eq(journal_writer_run(w, &jobs[3].jj, tj_probe_run, tj_done), 0);
	loop_until(4);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	ck_assert_int_eq(jobs[1].err, SL_EIO);
	ck_assert_int_eq(jobs[2].err, SL_EIO);
	ck_assert_int_eq(jobs[3].err, 0);
	ck_assert_int_eq(probe_saw_failed, 1);
	ck_assert_int_eq(journal_writer_failed(w), 1);
	ck_assert_uint_eq(journal_writer_bytes(w), good);
	/* the partial write was cut: only the good frame is left */
	static const char *const left[] = {"fine"};
	assert_journal(left, 1);
	/* and nothing more is taken */
	ck_assert_int_eq(tj_append(4, "x"), SL_EIO);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("journal_writer");
	TCase *tc = tcase_create("writer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_refused_before_start);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_exclusive_order);
	tcase_add_test(tc, test_keep_from);
	tcase_add_test(tc, test_close_drains);
	tcase_add_test(tc, test_replay_torn_tail);
	tcase_add_test(tc, test_replay_refuses);
	tcase_add_test(tc, test_failure_sticky);
	suite_add_tcase(s, tc);
	return s;
}
