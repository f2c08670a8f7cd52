/*
 * The uploader state machine (see uploader.h).
 *
 *   connect -> hello (generation, WAL, shm, uploaded_end) -> map the shm
 *   segment -> [find region starting at `next` -> read -> build -> PUT ->
 *   commit_upload -> next = region end] ...
 *
 * Wake-ups are hints: region events on the control socket, plus a timer.
 * A lost connection abandons the job in flight (its upload, if any, is an
 * orphan for compactd); the next hello says where to resume.  Only this
 * process writes the cursor words of the region ring.
 *
 * Every few seconds (and when its error state changes) it reports to
 * brokerd: its last error, its object store counters and where it is
 * (common/daemon_report.h), for `sluicectl status` and the metrics.  A
 * graceful stop lets the job in flight finish (PUT and commit) within
 * shutdown.timeout.ms, then abandons it: the object is an orphan.
 */
#include "uploader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/control_client.h"
#include "common/daemon.h"
#include "common/daemon_report.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/object_format.h"
#include "common/objstore_config.h"
#include "common/shm_map.h"
#include "common/sluice_config.h"
#include "uploaderd/region_object.h"
#include "uploaderd/upload_pace.h"

#define UPLOADER_POLL_MS 200
#define UPLOADER_RETRY_MS 1000
#define UPLOADER_REPORT_MS 5000
/* S3's largest single PUT. */
#define UPLOADER_PUT_MAX (5ull << 30)

struct uploader {
	struct event_base *base;
	struct sluice_config *cfg;
	struct control_client *cc;
	struct objstore *os;
	struct event *timer;
	struct event *report_timer;
	struct event *stop_timer; /* abandons the job when a stop takes too long */
	char last_error[512];     /* "" while healthy */
	struct shm_map shm;
	int wal_fd;
	uint64_t generation;
	uint64_t ring_bytes;
	uint64_t next;       /* WAL offset where the next region starts */
	int ready;           /* hello answered and shm mapped */
	int busy;            /* a job is in flight */
	uint64_t epoch;      /* bumps when the connection is lost */
	int stopping;
	int64_t retry_at_ms; /* after a failure, no new job before this */
	int failures;        /* consecutive failed jobs */
	uint64_t failed_jobs;
	struct region_object job;
	uint64_t job_start, job_end, job_epoch;
};

static struct uploader up = {.wal_fd = -1};

static void uploader_kick(void);

/* Monotonic milliseconds. */
static int64_t uploader_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wall-clock milliseconds. */
static int64_t uploader_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The ring's cursor words, written only by uploaderd. */
static struct shm_region_ring *uploader_cursor(void)
{
	return (struct shm_region_ring *)up.shm.ring;
}

/* Reply to a report (nothing to do). */
static void uploader_on_reported(void *arg, json_t *reply)
{
}

/* Sends brokerd the report: last error, S3 counters, where uploads are. */
static void uploader_report_send(void)
{
	if (!up.ready)
		return;
	json_t *stats = json_pack("{s:i, s:I}", "busy", up.busy, "uploaded_to",
				  (json_int_t)up.next);
	json_t *req = daemon_report_new("uploaderd", up.last_error[0] ? up.last_error : NULL,
					up.os, stats);
	if (req)
		control_client_request(up.cc, req, uploader_on_reported, NULL);
}

/* Records the last error (NULL: healthy again) and tells brokerd at once
 * when that changes; the log has it too. */
static void uploader_report(const char *error)
{
	const char *now = error ? error : "";
	if (!strcmp(now, up.last_error))
		return;
	snprintf(up.last_error, sizeof up.last_error, "%s", now);
	uploader_report_send();
}

/* Timer: the periodic report. */
static void uploader_on_report_timer(evutil_socket_t fd, short what, void *arg)
{
	uploader_report_send();
}

/* Ends the job in flight (success or not) and maybe stops the daemon. */
static void uploader_job_done(int ok)
{
	region_object_free(&up.job);
	up.busy = 0;
	/* back off on repeated failures (a wrong key or a missing bucket
	 * does not fix itself in a second): 1 s doubling to 8 s */
	up.failures = ok ? 0 : up.failures + 1;
	up.failed_jobs += !ok;
	if (!ok) {
		int shift = up.failures < 4 ? up.failures - 1 : 3;
		int64_t delay = (int64_t)UPLOADER_RETRY_MS << shift;
		up.retry_at_ms = uploader_now_ms() + delay;

	}
	if (up.stopping) {
		daemon_stop_done();
		return;
	}
	uploader_kick();
}

/* Reply to commit_upload. */
static void uploader_on_commit(void *arg, json_t *reply)
{
	if (up.job_epoch != up.epoch || !reply) {
		log_warn("upload: lost brokerd before the commit of object %016" PRIx64
			 " was answered; it is an orphan unless committed",
			 up.job.id);
		uploader_job_done(0);
		return;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *why = json_string_value(json_object_get(reply, "error"));
		json_t *ue = json_object_get(reply, "uploaded_end");
		log_warn("upload: brokerd refused object %016" PRIx64 " for WAL [%" PRIu64
			 ", %" PRIu64 "): %s", up.job.id, up.job_start, up.job_end,
			 why ? why : "?");
		if (json_is_integer(ue))
			up.next = (uint64_t)json_integer_value(ue);
		uploader_job_done(0);
		return;
	}
	struct shm_region_ring *cur = uploader_cursor();
	cur->uploader_objects++;
	cur->uploader_bytes += up.job.len;
	cur->uploader_last_ok_ms = uploader_wall_ms();
	log_info("upload: object %016" PRIx64 " committed: WAL [%" PRIu64 ", %" PRIu64
		 "), %zu batches, %zu bytes%s", up.job.id, up.job_start, up.job_end,
		 up.job.batches, up.job.len, up.job.from_cache ? "" : " (read from the WAL)");
	up.next = up.job_end;
	uploader_report_send();
	uploader_job_done(1);
}

/* Object store callback: the PUT finished. */
static void uploader_on_put(void *arg, const struct objstore_result *res)
{
	if (res->status) {
		log_error("upload: PUT of object %016" PRIx64 " failed: %s", up.job.id,
			  res->error);
		uploader_report(res->error);
		uploader_job_done(0);
		return;
	}
	uploader_report(NULL);
	if (up.job_epoch != up.epoch || !up.ready) {
		uploader_job_done(0);
		return;
	}
	char id[17];
	snprintf(id, sizeof id, "%016" PRIx64, up.job.id);
	json_t *req = json_pack("{s:s, s:I, s:{s:s, s:I, s:I, s:I, s:i, s:I}, s:O}",
				"op", "commit_upload", "generation",
				(json_int_t)up.generation, "object", "id", id,
				"size", (json_int_t)up.job.len, "wal_start",
				(json_int_t)up.job_start, "wal_end", (json_int_t)up.job_end,
				"flags", OBJECT_FLAG_STREAM_SET, "created_ms",
				(json_int_t)uploader_wall_ms(), "blocks", up.job.blocks);
	if (control_client_request(up.cc, req, uploader_on_commit, NULL) < 0)
		uploader_job_done(0);
}

/* Milliseconds region n took to fill: its seal time less region n-1's,
 * or 0 when region n-1's slot was reused meanwhile.  Region n's own slot
 * stays put until its object is committed, which is after this. */
static int64_t uploader_fill_ms(const struct shm_region_ring *ring, uint64_t n)
{
	if (n == 0)
		return 0;
	const struct shm_region_slot *p = &ring->slots[(n - 1) % SHM_REGION_SLOTS];
	if (__atomic_load_n(&p->seq, __ATOMIC_ACQUIRE) != n)
		return 0;
	int64_t prev = p->sealed_ms;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&p->seq, __ATOMIC_RELAXED) != n)
		return 0;
	return ring->slots[n % SHM_REGION_SLOTS].sealed_ms - prev;
}

/* Finds the sealed region that starts at up.next: 1 with its range, how
 * long it took to fill (0: unknown) and whether later regions wait. */
static int uploader_find_region(uint64_t *start, uint64_t *end, int64_t *fill_ms,
				int *backlog)
{
	const struct shm_region_ring *ring = up.shm.ring;
	if (up.shm.hdr->generation != up.generation)
		return 0; /* brokerd restarted: wait for the new hello */
	uint64_t sealed = __atomic_load_n(&ring->sealed, __ATOMIC_ACQUIRE);
	uint64_t first = sealed > SHM_REGION_SLOTS ? sealed - SHM_REGION_SLOTS : 0;
	for (uint64_t n = first; n < sealed; n++) {
		const struct shm_region_slot *s = &ring->slots[n % SHM_REGION_SLOTS];
		if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) != n + 1)
			continue;
		uint64_t a = s->wal_start, b = s->wal_end;
		if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) != n + 1)
			continue; /* reused while we read it */
		if (a == up.next) {
			*start = a;
			*end = b;
			*fill_ms = uploader_fill_ms(ring, n);
			*backlog = n + 1 < sealed;
			uploader_cursor()->uploader_region = n;
			return 1;
		}
	}
	return 0;
}

/* Starts the next job if there is one and nothing is in flight. */
static void uploader_kick(void)
{
	if (!up.ready || up.busy || up.stopping || uploader_now_ms() < up.retry_at_ms)
		return;
	uint64_t start, end;
	int64_t fill_ms;
	int backlog;
	if (!uploader_find_region(&start, &end, &fill_ms, &backlog))
		return;
	uint8_t *buf;
	int from_cache = 0;
	int rc = region_read(&up.shm, up.wal_fd, up.ring_bytes, start, end, &buf,
			     &from_cache);
	if (rc) {
		up.retry_at_ms = uploader_now_ms() + UPLOADER_RETRY_MS;
		return;
	}
	uint64_t id;
	if (getrandom(&id, sizeof id, 0) != sizeof id)
		log_fatal("getrandom: %s", strerror(errno));
	rc = region_build(buf, start, end, up.ring_bytes, id, &up.job);
	free(buf);
	if (rc) {
		log_error("upload: cannot build the object of WAL [%" PRIu64 ", %" PRIu64 "): %s",
			  start, end, sl_error_name(rc));
		up.retry_at_ms = uploader_now_ms() + UPLOADER_RETRY_MS;
		return;
	}
	up.job.from_cache = from_cache;
	up.busy = 1;
	up.job_start = start;
	up.job_end = end;
	up.job_epoch = up.epoch;
	char key[OBJECT_KEY_MAX];
	object_key(id, key, sizeof key);
	uint64_t rate = up.cfg->upload_pace ? upload_pace_rate(up.job.len, fill_ms, backlog) : 0;
	if (rate)
		log_debug("upload: object %016" PRIx64 " (%zu bytes, region filled in %" PRId64
			  " ms) paced at %" PRIu64 " bytes/s", id, up.job.len, fill_ms, rate);
	objstore_put_paced(up.os, key, up.job.bytes, up.job.len, rate, uploader_on_put, NULL);
}

/* Reply to hello: who brokerd is now. */
static void uploader_on_hello(void *arg, json_t *reply)
{
	if (!reply || !json_is_true(json_object_get(reply, "ok")))
		return; /* the connection callback retries */
	const char *shm_name = json_string_value(json_object_get(reply, "shm_name"));
	const char *wal_path = json_string_value(json_object_get(reply, "wal_path"));
	json_t *gen = json_object_get(reply, "generation");
	json_t *ue = json_object_get(reply, "uploaded_end");
	json_t *ring = json_object_get(reply, "wal_ring_bytes");
	if (!shm_name || !wal_path || !json_is_integer(gen) || !json_is_integer(ue) ||
	    !json_is_integer(ring) || json_integer_value(ring) <= 0) {
		log_error("upload: brokerd's hello lacks fields");
		return;
	}
	char err[256];
	shm_map_close(&up.shm);
	if (shm_map_open(shm_name, 1, &up.shm, err, sizeof err) < 0) {
		log_error("upload: %s", err);
		return;
	}
	if (up.wal_fd >= 0)
		close(up.wal_fd);
	up.wal_fd = open(wal_path, O_RDONLY | O_CLOEXEC);
	if (up.wal_fd < 0) {
		log_error("upload: WAL %s: %s", wal_path, strerror(errno));
		shm_map_close(&up.shm);
		return;
	}
	up.generation = (uint64_t)json_integer_value(gen);
	up.next = (uint64_t)json_integer_value(ue);
	up.ring_bytes = (uint64_t)json_integer_value(ring);
	struct shm_region_ring *cur = uploader_cursor();
	cur->uploader_pid = getpid();
	cur->uploader_generation = up.generation;
	up.ready = 1;
	log_info("upload: brokerd generation %" PRIu64 ", uploaded up to %" PRIu64,
		 up.generation, up.next);
	uploader_report_send();
	uploader_kick();
}

/* Reply to subscribe (nothing to do; events follow). */
static void uploader_on_subscribed(void *arg, json_t *reply)
{
}

/* Control connection up or down. */
static void uploader_on_connected(void *arg, int connected)
{
	up.epoch++;
	up.ready = 0;
	if (!connected) {
		log_warn("upload: lost brokerd's control socket; reconnecting");
		return;
	}
	control_client_request(up.cc, json_pack("{s:s, s:s}", "op", "hello", "daemon", "uploaderd"),
			       uploader_on_hello, NULL);
	control_client_request(up.cc, json_pack("{s:s, s:s}", "op", "subscribe", "topic", "regions"),
			       uploader_on_subscribed, NULL);
}

/* An event line from brokerd: a region was sealed. */
static void uploader_on_event(void *arg, json_t *event)
{
	uploader_kick();
}

/* Timer: the fallback wake-up, and the failed-attempts word (S3 retries
 * plus failed jobs) kept current while a PUT is still retrying. */
static void uploader_on_timer(evutil_socket_t fd, short what, void *arg)
{
	if (up.ready) {
		struct objstore_stats st;
		objstore_get_stats(up.os, &st);
		uploader_cursor()->uploader_errors = up.failed_jobs + st.retries;
	}
	uploader_kick();
}

/* The object store's multipart threshold for region objects.  A multipart
 * upload costs create + parts + complete, six requests for a 64 MiB object
 * in 16 MiB parts, where one PUT does; S3 bills and rate-limits per
 * request, so a region goes up in one PUT.  Twice region.bytes leaves room
 * for the block that crosses the seal point and the index; a region that
 * waited for a free ring slot and grew past that still goes multipart, as
 * does anything S3 would refuse in one PUT.  Read at start: after brokerd
 * takes a larger region.bytes on SIGHUP, bigger regions go multipart until
 * uploaderd restarts, which costs requests, not correctness. */
static size_t uploader_multipart_threshold(uint64_t region_bytes)
{
	uint64_t t = 2 * region_bytes;
	if (t < (32u << 20))
		t = 32u << 20; /* the store's default */
	return (size_t)(t < UPLOADER_PUT_MAX ? t : UPLOADER_PUT_MAX);
}

int uploader_start(struct event_base *base, struct sluice_config *cfg)
{
	up.base = base;
	up.cfg = cfg;
	char err[512];
	struct objstore_options oo;
	objstore_options_from_config(cfg, &oo);
	oo.multipart_threshold = uploader_multipart_threshold((uint64_t)cfg->region_bytes);
	if (objstore_open(base, &oo, &up.os, err, sizeof err) < 0) {
		log_error("object.store %s: %s", cfg->object_store, err);
		return -1;
	}
	struct control_client_callbacks cb = {uploader_on_connected, uploader_on_event, NULL};
	up.cc = control_client_new(base, cfg->control_socket, 500, &cb);
	up.timer = event_new(base, -1, EV_PERSIST, uploader_on_timer, NULL);
	up.report_timer = event_new(base, -1, EV_PERSIST, uploader_on_report_timer, NULL);
	struct timeval tv = {0, UPLOADER_POLL_MS * 1000};
	struct timeval rtv = {UPLOADER_REPORT_MS / 1000, 0};
	if (!up.cc || !up.timer || !up.report_timer || event_add(up.timer, &tv) < 0 ||
	    event_add(up.report_timer, &rtv) < 0)
		return -1;
	daemon_ready();
	return 0;
}

/* Timer: the job in flight outlived shutdown.timeout.ms. */
static void uploader_on_stop_timer(evutil_socket_t fd, short what, void *arg)
{
	log_warn("stop: abandoning the upload of WAL [%" PRIu64 ", %" PRIu64
		 ") after shutdown.timeout.ms; object %016" PRIx64
		 " is an orphan unless brokerd committed it", up.job_start, up.job_end,
		 up.job.id);
	daemon_stop_done();
}

void uploader_stop(void)
{
	up.stopping = 1;
	if (!up.busy) {
		daemon_stop_done();
		return;
	}
	log_info("stop: finishing the upload of WAL [%" PRIu64 ", %" PRIu64 ")",
		 up.job_start, up.job_end);
	int64_t ms = up.cfg->shutdown_timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	up.stop_timer = evtimer_new(up.base, uploader_on_stop_timer, NULL);
	if (!up.stop_timer || evtimer_add(up.stop_timer, &tv) < 0)
		daemon_stop_done();
}

void uploader_finish(void)
{
	if (up.stop_timer)
		event_free(up.stop_timer);
	if (up.report_timer)
		event_free(up.report_timer);
	if (up.timer)
		event_free(up.timer);
	control_client_free(up.cc);
	if (up.os)
		objstore_close(up.os);
	region_object_free(&up.job);
	shm_map_close(&up.shm);
	if (up.wal_fd >= 0)
		close(up.wal_fd);
}
