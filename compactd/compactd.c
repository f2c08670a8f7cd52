/*
 * When compactd runs, and what it tells (see compactd.h).  Wake-ups are
 * hints: the interval timer, a "compact" event from brokerd, the control
 * connection coming up; a lost one delays a run, never loses data.  The
 * counters live here for the daemon's life and are reported to brokerd,
 * with the object store's counters by operation, after every run and
 * every COMPACTD_REPORT_MS while they move (a run may rewrite for
 * minutes; `sluicectl status` and sluice-bench's write amplification read
 * them there).  A stopping compactd waits for brokerd's answer to its last
 * report, so what a process counted is not lost when it exits.  Loop
 * thread only.
 */
#include "compactd/compactd.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/control_client.h"
#include "common/daemon.h"
#include "common/daemon_report.h"
#include "common/log.h"
#include "common/objstore.h"
#include "common/objstore_config.h"
#include "common/sluice_config.h"
#include "compactd/pace.h"
#include "compactd/run.h"
#include "compactd/stats.h"

/* How often counters that moved are reported during a run: fine enough
 * for a benchmark's phases, one small control line per second at most. */
#define COMPACTD_REPORT_MS 1000

static struct compactd {
	struct event_base *base;
	struct sluice_config *cfg;
	struct control_client *cc;
	struct objstore *os;
	struct event *timer;
	struct event *stop_timer;
	struct event *report_timer;
	struct pace pace;
	struct compactd_stats stats, at_start;
	struct compactd_stats reported;  /* as last sent to brokerd */
	char last_error[512];            /* of the last run, "" when it went through */
	struct run *run;
	int64_t run_started_ms;
	int64_t swept_ms;   /* when the last run that swept orphans started */
	int stopping;
	int finishing;  /* the loop has ended: nothing may end it again */
	int again;      /* a run was asked for while one was in flight */
} cd;

static void compactd_kick(void);

/* Monotonic milliseconds. */
static int64_t compactd_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reply to a report (nothing to do). */
static void compactd_on_reported(void *arg, json_t *reply)
{
}

/* Refreshes s3_requests from the object store's own counters. */
static void compactd_stats_refresh(void)
{
	if (!cd.os)
		return;
	struct objstore_stats os;
	objstore_get_stats(cd.os, &os);
	/* the local backend sends no HTTP requests: count operations */
	cd.stats.s3_requests = os.requests ? os.requests
					   : os.puts + os.gets + os.heads + os.lists + os.deletes;
}

/* Tells brokerd the outcome of the last run (error NULL: healthy), the
 * counters and the object store's counters by operation; fn gets the
 * answer.  Returns 0, or -1 when nothing was sent (no connection or no
 * memory). */
static int compactd_report(const char *error, control_reply_fn fn)
{
	if (!cd.cc || !control_client_connected(cd.cc))
		return -1;
	compactd_stats_refresh();
	json_t *req = daemon_report_new("compactd", error, cd.os, stats_json(&cd.stats));
	if (!req)
		return -1;
	cd.reported = cd.stats;
	control_client_request(cd.cc, req, fn, NULL);
	return 0;
}

/* Answer to the last report of a stopping compactd (NULL: the connection
 * went): the loop may end. */
static void compactd_on_final_reported(void *arg, json_t *reply)
{
	if (!cd.finishing)
		daemon_stop_done();
}

/* Stopping with nothing in flight: ends the loop once brokerd has the
 * last report (the stop timer bounds the wait). */
static void compactd_stop_after_report(void)
{
	if (compactd_report(cd.last_error[0] ? cd.last_error : NULL,
			    compactd_on_final_reported) < 0)
		daemon_stop_done();
}

/* Timer: reports the counters if they moved since the last report (an
 * idle compactd sends nothing). */
static void compactd_on_report_timer(evutil_socket_t fd, short what, void *arg)
{
	compactd_stats_refresh();
	if (!cd.stopping && memcmp(&cd.stats, &cd.reported, sizeof cd.stats) != 0)
		compactd_report(cd.last_error[0] ? cd.last_error : NULL, compactd_on_reported);
}

/* A run ended. */
static void compactd_on_run_done(void *arg, const char *error)
{
	if (cd.os) {
		struct objstore_stats os;
		objstore_get_stats(cd.os, &os);
		log_debug("compact: bucket totals: %llu PUT, %llu GET, %llu LIST, %llu DELETE"
			  " operations, %llu requests, %llu retries",
			  (unsigned long long)os.puts, (unsigned long long)os.gets,
			  (unsigned long long)os.lists, (unsigned long long)os.deletes,
			  (unsigned long long)os.requests, (unsigned long long)os.retries);
	}
	if (error)
		cd.stats.runs_failed++;
	else
		cd.stats.runs++;
	compactd_stats_refresh();
	snprintf(cd.last_error, sizeof cd.last_error, "%s", error ? error : "");
	stats_log_run(&cd.at_start, &cd.stats, compactd_now_ms() - cd.run_started_ms,
		      error);
	run_free(cd.run);
	cd.run = NULL;
	if (cd.stopping) {
		compactd_stop_after_report();
		return;
	}
	compactd_report(cd.last_error[0] ? cd.last_error : NULL, compactd_on_reported);
	if (cd.again) {
		cd.again = 0;
		compactd_kick();
	}
}

/* Starts a run unless one is in flight (then another follows it). */
static void compactd_kick(void)
{
	if (cd.stopping)
		return;
	if (cd.run) {
		cd.again = 1;
		return;
	}
	if (!control_client_connected(cd.cc))
		return; /* the connection coming up kicks again */
	/* orphans are rare and their LIST costs a request per 1000 objects:
	 * sweep four times per grace period (an orphan lives at most 1.25
	 * grace periods) */
	int64_t now = compactd_now_ms();
	int sweep = !cd.swept_ms || now - cd.swept_ms >= cd.cfg->orphan_grace_ms / 4;
	if (sweep)
		cd.swept_ms = now;
	struct run_ctx ctx = {cd.base, cd.cc, cd.os, &cd.pace, cd.cfg, &cd.stats, sweep};
	cd.at_start = cd.stats;
	cd.run_started_ms = now;
	cd.run = run_start(&ctx, compactd_on_run_done, NULL);
	if (!cd.run)
		log_error("compact: out of memory starting a run");
}

/* Reply to subscribe (events follow). */
static void compactd_on_subscribed(void *arg, json_t *reply)
{
	if (reply && !json_is_true(json_object_get(reply, "ok")))
		log_warn("compact: brokerd refused the compaction subscription");
}

/* Control connection up or down. */
static void compactd_on_connected(void *arg, int up)
{
	if (!up) {
		log_warn("compact: lost brokerd's control socket; reconnecting");
		return;
	}
	control_client_request(cd.cc,
			       json_pack("{s:s, s:s}", "op", "subscribe", "topic", "compaction"),
			       compactd_on_subscribed, NULL);
	compactd_kick();
}

/* An event line: brokerd wants a run soon. */
static void compactd_on_event(void *arg, json_t *event)
{
	const char *what = json_string_value(json_object_get(event, "event"));
	if (what && !strcmp(what, "compact"))
		compactd_kick();
}

/* The interval timer. */
static void compactd_on_timer(evutil_socket_t fd, short what, void *arg)
{
	compactd_kick();
}

int compactd_start(struct event_base *base, struct sluice_config *cfg)
{
	cd.base = base;
	cd.cfg = cfg;
	char err[512];
	struct objstore_options oo;
	objstore_options_from_config(cfg, &oo);
	if (objstore_open(base, &oo, &cd.os, err, sizeof err) < 0) {
		log_error("object.store %s: %s", cfg->object_store, err);
		return -1;
	}
	pace_init(&cd.pace, cfg->compaction_bytes_per_sec, compactd_now_ms());
	struct control_client_callbacks cb = {compactd_on_connected, compactd_on_event, NULL};
	cd.cc = control_client_new(base, cfg->control_socket, 500, &cb);
	cd.timer = event_new(base, -1, EV_PERSIST, compactd_on_timer, NULL);
	cd.report_timer = event_new(base, -1, EV_PERSIST, compactd_on_report_timer, NULL);
	struct timeval tv = {cfg->compaction_interval_ms / 1000,
			     (cfg->compaction_interval_ms % 1000) * 1000};
	struct timeval rtv = {COMPACTD_REPORT_MS / 1000, (COMPACTD_REPORT_MS % 1000) * 1000};
	if (!cd.cc || !cd.timer || !cd.report_timer || event_add(cd.timer, &tv) < 0 ||
	    event_add(cd.report_timer, &rtv) < 0)
		return -1;
	log_info("compact: every %lld ms; target %lld, split %lld, small %lld bytes;"
		 " %lld bytes/s, %lld objects per run",
		 (long long)cfg->compaction_interval_ms,
		 (long long)cfg->compaction_target_bytes,
		 (long long)cfg->compaction_split_bytes,
		 (long long)cfg->compaction_small_object_bytes,
		 (long long)cfg->compaction_bytes_per_sec,
		 (long long)cfg->compaction_max_objects_per_run);
	daemon_ready();
	return 0;
}

/* Timer: the run in flight, or brokerd's answer to the last report,
 * outlived shutdown.timeout.ms. */
static void compactd_on_stop_timer(evutil_socket_t fd, short what, void *arg)
{
	if (cd.run)
		log_warn("stop: abandoning the compaction run after shutdown.timeout.ms;"
			 " its outputs are orphans unless brokerd committed them");
	else
		log_warn("stop: no answer from brokerd to the last report; stopping");
	daemon_stop_done();
}

void compactd_stop(void)
{
	cd.stopping = 1;
	int64_t ms = cd.cfg->shutdown_timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	cd.stop_timer = evtimer_new(cd.base, compactd_on_stop_timer, NULL);
	if (!cd.stop_timer || evtimer_add(cd.stop_timer, &tv) < 0) {
		daemon_stop_done();
		return;
	}
	if (!cd.run) {
		compactd_stop_after_report();
		return;
	}
	log_info("stop: ending the compaction run at its next safe point");
	run_stop(cd.run);
}

void compactd_finish(void)
{
	/* A run is still in flight only after a second signal: closing the
	 * store and then the control client fails whatever it waits for, so
	 * it ends at once without starting anything new. */
	cd.stopping = 1;
	cd.finishing = 1;
	if (cd.run)
		run_stop(cd.run);
	if (cd.timer)
		event_free(cd.timer);
	cd.timer = NULL;
	if (cd.report_timer)
		event_free(cd.report_timer);
	cd.report_timer = NULL;
	if (cd.stop_timer)
		event_free(cd.stop_timer);
	cd.stop_timer = NULL;
	if (cd.os)
		objstore_close(cd.os);
	cd.os = NULL;
	control_client_free(cd.cc);
	cd.cc = NULL;
	run_free(cd.run);
	cd.run = NULL;
}
